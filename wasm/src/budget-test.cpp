#include "budget.h"

#include <algorithm>
#include <optional>
#include <string>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "api.h"
#include "json-read.h"
#include "schedule.h"
#include "test-support.h"

using namespace heyhi;

namespace {

Config parse(const std::string& json) {
  auto parsed = parse_config(json);
  REQUIRE(parsed.ok());
  return parsed.value();
}

// `count` targets of one cadence, in `regions`.
std::string targets_config(int count, int cadence, const std::string& regions = R"(["enam"])",
                           const std::string& extra = "") {
  std::string targets;
  for (int i = 0; i < count; ++i) {
    targets += fmt::format(R"({}{{"provider":"openai","model":"m{}","cadence_min":{}}})",
                           i ? "," : "", i, cadence);
  }
  return fmt::format(R"({{"regions":{},{}"targets":[{}]}})", regions, extra, targets);
}

int term(const InvocationBudget& budget, std::string_view starts) {
  for (const BudgetTerm& t : budget.subrequests) {
    if (t.what.rfind(starts, 0) == 0) return t.count;
  }
  return -1;
}

std::vector<Error> problems_of(const std::string& json) {
  Config config = parse(json);
  return budget_problems(config, compute_budget(config));
}

std::optional<Error> problem_at(const std::string& json, std::string_view field) {
  for (Error& e : problems_of(json)) {
    if (e.field == field) return e;
  }
  return std::nullopt;
}

}  // namespace

TEST_SUITE("budget") {
  TEST_CASE("the shipped configuration fits the Free plan in every invocation") {
    Config config = parse(testing::read_fixture("../../worker-shim/config/healthboard.json"));
    Budget budget = compute_budget(config);
    CHECK(budget_problems(config, budget).empty());
    CHECK(config.regions.size() == 3);
    CHECK(budget.region.subrequest_total() <= kFreeSubrequests / 2);
    CHECK(budget.region.connections == kFreeConnections);
    // The scheduled handler's worst minute fills the plan: 38 for the regions and the alert
    // step, and the status pages' share of 12.
    CHECK(term(budget.scheduled, "the status pages' step") == 12);
    CHECK(budget.scheduled.subrequest_total() == kFreeSubrequests);
    CHECK(budget.scheduled.connections == 3);
    // 6 small targets every 2 minutes and 4 flagships every 5 (OpenAI's and Anthropic's are
    // off): 3.8 rows a minute.
    CHECK(budget.backlog_minutes == 526);
  }

  TEST_CASE("a region's minute is its busiest minute's probes, a colo lookup and one write") {
    Budget budget = compute_budget(parse(targets_config(7, 1)));
    CHECK(budget.busiest_minute_probes == 7);
    CHECK(term(budget.region, "probes") == 7);
    CHECK(budget.region.subrequest_total() == 9);
    CHECK(budget.region.connections == 6);

    Budget few = compute_budget(parse(targets_config(2, 1)));
    CHECK(few.region.connections == 2);
  }

  TEST_CASE("every target that confirms failures may be due in the same minute") {
    Budget budget = compute_budget(parse(targets_config(10, 5)));
    CHECK(budget.busiest_minute_probes == 10);
    // The recent 16 minutes may be one probe a minute: 36 target-regions × 16 rows, against
    // 36 × 4 at the cadence; either way one page.
    std::string three = R"(["enam","weur","apac"])";
    Config confirming = parse(targets_config(12, 5, three));
    Config cadence_only = parse(targets_config(12, 5, three, R"("alerting":{"confirm_min":0},)"));
    CHECK(read_rows_at_most(confirming, read_plan(confirming)).recent == 36 * 16);
    CHECK(read_rows_at_most(cadence_only, read_plan(cadence_only)).recent == 36 * 4);
    CHECK(term(compute_budget(confirming).scheduled, "reads of the rows") == 1);
    CHECK(term(compute_budget(confirming).scheduled, "read of the recent failures") == 1);
    CHECK(term(compute_budget(cadence_only).scheduled, "read of the recent failures") == -1);
  }

  TEST_CASE("an outside vantage's rows are read too, in the recent range and before it") {
    // Twelve targets from three regions; a runner every 5 minutes (288 a day) adds its rows to
    // the 16 recent minutes (4 runs of 12 targets) and to the older pages the verdict reads.
    std::string three = R"(["enam","weur","apac"])";
    Config outside = parse(targets_config(12, 5, three, R"("cost":{"outside_runs_per_day":288},)"));
    Config none = parse(targets_config(12, 5, three));
    ReadPlan plan = read_plan(outside);
    CHECK(read_rows_at_most(outside, plan).recent - read_rows_at_most(none, plan).recent ==
          (plan.lookback_min * 288 + 1439) / 1440 * 12);
    CHECK(term(compute_budget(none).scheduled, "read of the outside vantages' rows") == 1);
    // 80 targets probed from outside every minute fill more than a page before the range.
    Config busy = parse(targets_config(80, 5, three, R"("cost":{"outside_runs_per_day":1440},)"));
    int older = read_plan(busy).outside_lookback_min - read_plan(busy).lookback_min;
    REQUIRE(older * 80 > 1000);
    CHECK(term(compute_budget(busy).scheduled, "read of the outside vantages' rows") ==
          (older * 80 + 999) / 1000);
  }

  TEST_CASE("the rules read back as far as their longest window, clean stretch or probe run") {
    // Defaults: the regional rule's 12 minutes, or three probes at the cadence for the
    // configuration rule's two in a row after a clean one; plus the minute itself.
    CHECK(read_plan(parse(targets_config(1, 1))).lookback_min == 13);
    CHECK(read_plan(parse(targets_config(1, 5))).lookback_min == 16);
    CHECK(read_plan(parse(targets_config(1, 15))).lookback_min == 46);
    Config long_window =
        parse(targets_config(1, 1, R"(["enam"])", R"("alerting":{"recovery_min":30},)"));
    CHECK(read_plan(long_window).lookback_min == 31);
    Config confirm =
        parse(targets_config(1, 1, R"(["enam"])", R"("alerting":{"confirm_min":25},)"));
    CHECK(read_plan(confirm).confirm_min == 25);
    CHECK(read_plan(confirm).lookback_min == 13);
    CHECK(read_plan(confirm).baseline_days == 7);
    CHECK(read_plan(confirm).outside_lookback_min == 30);
  }
  TEST_CASE("the busiest minute is found over the whole schedule period, disabled ones aside") {
    // Phases spread these over their cadences; whatever they are, no minute holds more than
    // all of them and the busiest holds at least an even share.
    Config config = parse(targets_config(10, 5, R"(["enam"])", R"("alerting":{"confirm_min":0},)"));
    Budget budget = compute_budget(config);
    CHECK(budget.busiest_minute_probes >= 2);
    CHECK(budget.busiest_minute_probes <= 10);
    int seen = 0;
    for (int minute = 0; minute < 5; ++minute) {
      int due = static_cast<int>(std::count_if(config.targets.begin(), config.targets.end(),
                                               [&](const Target& t) { return is_due(t, minute); }));
      seen = std::max(seen, due);
    }
    CHECK(budget.busiest_minute_probes == seen);

    Config off = parse(R"({"targets":[{"provider":"openai","model":"a","cadence_min":1},
                                      {"provider":"openai","model":"b","cadence_min":1,
                                       "enabled":false}]})");
    CHECK(compute_budget(off).busiest_minute_probes == 1);
  }

  TEST_CASE("the alert step's row reads grow a page per 1000 rows; the baselines are one read") {
    // One target every minute in one region: 13 recent rows, 7 × 60 baseline samples.
    Budget one = compute_budget(parse(targets_config(1, 1)));
    CHECK(term(one.scheduled, "reads of the rows") == 1);
    CHECK(term(one.scheduled, "read of the latency baselines") == 1);
    // 3 targets in 3 regions: 9 × 420 baseline samples, grouped per target by the store.
    auto busy = compute_budget(parse(targets_config(3, 1, R"(["enam","weur","apac"])")));
    CHECK(term(busy.scheduled, "reads of the rows") == 1);
    CHECK(term(busy.scheduled, "read of the latency baselines") == 1);
    CHECK(term(busy.scheduled, "calls to the region objects") == 3);
    // An hour's recovery stretch, the longest read: 20 × 3 × 60 recent rows, 4 pages.
    auto long_lookback = compute_budget(parse(
        targets_config(20, 1, R"(["enam","weur","apac"])", R"("alerting":{"recovery_min":60},)")));
    CHECK(term(long_lookback.scheduled, "reads of the rows") == 4);
  }

  TEST_CASE("a configuration that overloads a region's object is refused with the excess") {
    // So many targets every minute also overload the alert step's reads; this is the
    // region's own count.
    auto problem = problem_at(targets_config(49, 1), "targets");
    REQUIRE(problem);
    const std::string& message = problem->message;
    CHECK(message.find("each region's object would make 51 subrequests in a minute, 1 over") !=
          std::string::npos);
    CHECK(message.find("(probes due at once in the busiest minute: 49; colo lookup") !=
          std::string::npos);
    // Confirming targets may all be due at once, whatever their cadence.
    CHECK(message.find("set alerting.confirm_min to 0") != std::string::npos);
    CHECK_FALSE(problem_at(targets_config(48, 1), "targets"));
    auto unconfirmed = problem_at(
        targets_config(49, 1, R"(["enam"])", R"("alerting":{"confirm_min":0},)"), "targets");
    REQUIRE(unconfirmed);
    CHECK(unconfirmed->message.find("longer cadence_min") != std::string::npos);
  }

  TEST_CASE("a configuration that overloads the scheduled handler is refused with the excess") {
    auto problems = problems_of(
        targets_config(14, 1, R"(["enam","weur","apac","wnam","eeur","sam","oc","afr","me"])",
                       R"("alerting":{"recovery_min":60},)"));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].field == "regions");
    // 14 × 9 × 60 recent rows are 8 pages, the baselines one read, and with no status page
    // the status step reads its sources' state once:
    // 1 + 1 + 9 + 1 + 8 + 1 + 1 + 1 + 8 + 1 + 1 + 18 + 1 = 52 subrequests, the open alerts
    // read before planning and the outside vantages' read among them.
    CHECK(problems[0].message.find("52 subrequests in a minute, 2 over the Workers Free "
                                   "plan's 50") != std::string::npos);
    CHECK(problems[0].message.find("fewer regions") != std::string::npos);
  }

  TEST_CASE("the status pages' share counts in the scheduled handler's minute") {
    std::string shipped = testing::read_fixture("../../worker-shim/config/healthboard.json");
    std::string four = shipped;
    four.replace(four.find(R"("enam",)"), 7, R"("enam", "wnam",)");
    auto refused = problem_at(four, "regions");
    REQUIRE(refused);
    CHECK(refused->message.find("51 subrequests in a minute, 1 over") != std::string::npos);
    CHECK(refused->message.find("status.max_subrequests") != std::string::npos);

    // A smaller share for the pages makes room for the fourth region.
    std::string shared = four;
    shared.replace(shared.find(R"("max_subrequests": 12)"), 21, R"("max_subrequests": 11)");
    CHECK_FALSE(problem_at(shared, "regions"));
    Config config = parse(shared);
    CHECK(term(compute_budget(config).scheduled, "the status pages' step") == 11);
  }

  TEST_CASE("a backlog too small for one minute's rows is refused") {
    auto problems = problems_of(targets_config(12, 1, R"(["enam"])", R"("backlog_max_items":10,)"));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].field == "backlog_max_items");
    CHECK(problems[0].message.find("one minute's 12 rows") != std::string::npos);
  }

  TEST_CASE("a region is given time for its colo lookup, each wave of probes and its write") {
    std::string json = targets_config(7, 1);
    json.replace(json.find(R"("cadence_min":1})"), 16, R"("cadence_min":1,"timeout_ms":9000})");
    Budget budget = compute_budget(parse(json));
    // 7 probes at 6 at once are two waves of the slowest timeout.
    CHECK(budget.region_deadline_ms ==
          kColoTraceTimeoutMs + 2 * 9000 + kStoreTimeoutMs + kRegionMarginMs);
  }

  TEST_CASE("the budget answer carries the figures and caps, or the refusal") {
    Document doc;
    REQUIRE(doc.parse(api_budget(targets_config(3, 1))) == simdjson::SUCCESS);
    CHECK(bool_at(doc.root(), "ok") == true);
    element budget = *member(doc.root(), "budget");
    CHECK(int_at(*member(budget, "limits"), "subrequests") == 50);
    CHECK(int_at(*member(budget, "region"), "subrequests") == 5);
    CHECK(int_at(*member(budget, "caps"), "deliveries") == kDeliveriesPerRun);
    CHECK(int_at(*member(budget, "caps"), "backlog_max_items") == 2000);

    Document refused;
    REQUIRE(refused.parse(api_budget(targets_config(60, 1))) == simdjson::SUCCESS);
    CHECK(bool_at(refused.root(), "ok") == false);
    Document bad;
    REQUIRE(bad.parse(api_budget(R"({"targets":[]})")) == simdjson::SUCCESS);
    CHECK(bool_at(bad.root(), "ok") == false);
  }
}
