#include "cost.h"

#include <optional>
#include <random>
#include <string>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "api.h"
#include "budget.h"
#include "config.h"
#include "json-read.h"
#include "schedule.h"
#include "test-support.h"

using namespace heyhi;

namespace {

Config parse(const std::string& json) {
  auto parsed = parse_config(json);
  if (!parsed.ok()) {
    for (const Error& e : parsed.error()) MESSAGE(e.field << ": " << e.message);
  }
  REQUIRE(parsed.ok());
  return parsed.value();
}

std::vector<Error> errors_of(const std::string& json) {
  auto parsed = parse_config(json);
  REQUIRE_FALSE(parsed.ok());
  return parsed.error();
}

bool names(const std::vector<Error>& errors, std::string_view field, std::string_view words) {
  for (const Error& e : errors) {
    if (e.field == field && e.message.find(words) != std::string::npos) return true;
  }
  return false;
}

// With no background failures, nothing starts confirmation: the cadence's probes alone.
const std::string kNoNoise = R"("assumed_failure_rate":0,)";

// One OpenAI and one Anthropic target, priced at round figures.
std::string priced(const std::string& cost_extra = "", const std::string& regions = R"(["enam"])") {
  return fmt::format(R"({{"regions":{},"targets":[
      {{"provider":"openai","model":"small","cadence_min":2}},
      {{"provider":"anthropic","model":"big","cadence_min":5,"max_tokens":4}}],
    "cost":{{"prices_as_of":"2026-12-01",{}"prices":[
      {{"provider":"openai","model":"small","input_usd_per_mtok":1,"output_usd_per_mtok":10}},
      {{"provider":"anthropic","model":"big","input_usd_per_mtok":5,"output_usd_per_mtok":25}}]}}}})",
                     regions, cost_extra);
}

// A copy, so that a caller may hand it a temporary estimate and keep what it returns.
Allowance allowance(const CostEstimate& cost, std::string_view service, std::string_view what) {
  for (const Allowance& a : cost.allowances) {
    if (a.service == service && a.what.rfind(what, 0) == 0) return a;
  }
  FAIL("no allowance " << service << " " << what);
  return {};
}

// Counts the probes confirmation adds over `minutes`, running the plan's own rule (is_due,
// starts a stretch on any failure, confirming) against failures drawn alone at `rate`.
double simulated_confirmation_probes(const Target& target, int regions, double rate,
                                     int64_t minutes) {
  std::mt19937_64 draw(20261203);
  auto fails = [&] { return static_cast<double>(draw() >> 11) * 0x1.0p-53 < rate; };
  std::optional<int64_t> last_failure;
  int64_t extra = 0;
  for (int64_t minute = 0; minute < minutes; ++minute) {
    bool scheduled = is_due(target, minute);
    if (!scheduled && !confirming(target, last_failure, minute)) continue;
    if (!scheduled) extra += regions;
    for (int r = 0; r < regions; ++r) {
      if (fails()) last_failure = minute;
    }
  }
  return static_cast<double>(extra) * (30.0 * 1440) / static_cast<double>(minutes);
}

}  // namespace

TEST_SUITE("cost") {
  TEST_CASE("a target's month is its probes from every region times its priced tokens") {
    CostEstimate cost = estimate_cost(parse(priced(kNoNoise, R"(["enam","weur"])")));
    REQUIRE(cost.targets.size() == 2);
    const TargetCost& small = cost.targets[0];
    // Every 2 minutes from 2 regions for 30 days; "ping" is one token after OpenAI's 7.
    CHECK(small.probes_month == 30 * 720 * 2);
    CHECK(small.input_tokens == 8);
    CHECK(small.output_tokens == 1);
    CHECK(small.confirmation_probes_month == 0);
    CHECK(small.usd_month == doctest::Approx(43200 * (8 * 1.0 + 1 * 10.0) / 1e6));
    const TargetCost& big = cost.targets[1];
    CHECK(big.probes_month == 30 * 288 * 2);
    CHECK(big.output_tokens == 4);  // the output budget, which reasoning also spends
    CHECK(big.usd_month == doctest::Approx(17280 * (8 * 5.0 + 4 * 25.0) / 1e6));
    CHECK(cost.usd_month == doctest::Approx(small.usd_month + big.usd_month));
    CHECK(cost.probes_month == 43200 + 17280);
    CHECK(cost.unpriced.empty());
  }

  TEST_CASE("a longer prompt costs more input tokens, Cohere and Gemini bill the text alone") {
    Config config = parse(R"({"prompt":"are you there, model?","targets":[
        {"provider":"cohere","model":"c"},{"provider":"gemini","model":"g"},
        {"provider":"mistral","model":"m"}]})");
    CHECK(probe_input_tokens(config, config.targets[0]) == 6);
    CHECK(probe_input_tokens(config, config.targets[1]) == 6);
    CHECK(probe_input_tokens(config, config.targets[2]) == 12);
  }

  TEST_CASE("a target missing from the price table is named, and costs nothing it can count") {
    CostEstimate cost = estimate_cost(parse(R"({"targets":[{"provider":"xai","model":"grok"}],
        "cost":{"prices_as_of":"2026-12-01","prices":[]}})"));
    REQUIRE(cost.unpriced.size() == 1);
    CHECK(cost.unpriced[0] == "xai/grok");
    CHECK(cost.targets[0].price == nullptr);
    CHECK(cost.usd_month == 0);
  }

  TEST_CASE("disabled targets cost nothing") {
    CostEstimate cost = estimate_cost(parse(R"({"targets":[
        {"provider":"openai","model":"small","enabled":false}],
        "cost":{"prices_as_of":"2026-12-01","prices":[
        {"provider":"openai","model":"small","input_usd_per_mtok":1,"output_usd_per_mtok":1}]}})"));
    CHECK(cost.targets.empty());
    CHECK(cost.usd_month == 0);
  }

  TEST_CASE("over budget only when the month costs more than the budget") {
    // 43200 × 18 / 1e6 + 17280 × 140 / 1e6 = 3.19 dollars from two regions.
    std::string regions = R"(["enam","weur"])";
    CHECK(estimate_cost(parse(priced(kNoNoise + R"("budget_usd_month":3.2,)", regions)))
              .over_budget == false);
    CHECK(estimate_cost(parse(priced(kNoNoise + R"("budget_usd_month":3.1,)", regions)))
              .over_budget == true);
    CHECK(estimate_cost(parse(priced("", regions))).over_budget == false);
  }

  TEST_CASE("the shipped configuration costs under 5 dollars a month and fits every allowance") {
    Config config = parse(testing::read_fixture("../../worker-shim/config/healthboard.json"));
    CostEstimate cost = estimate_cost(config);
    CHECK(cost.unpriced.empty());
    CHECK(cost.usd_month < 5.0);
    CHECK_FALSE(cost.over_budget);
    REQUIRE(config.cost.budget_usd_month);
    CHECK(*config.cost.budget_usd_month == 5.0);
    for (const Allowance& a : cost.allowances) {
      INFO(a.service << " " << a.what << ": " << a.used << " of " << a.limit);
      CHECK(a.fits());
    }
  }

  TEST_CASE("the allowances follow regions, cadences and the rules' reads") {
    CostEstimate one = estimate_cost(parse(priced(kNoNoise)));
    CostEstimate three = estimate_cost(parse(priced(kNoNoise, R"(["enam","weur","apac"])")));
    CHECK(allowance(one, "workers", "requests").used == 1440);
    CHECK(allowance(three, "workers", "requests").used == 1440);
    CHECK(allowance(one, "durable_objects", "requests").used == 1440 * 2);
    CHECK(allowance(three, "durable_objects", "requests").used == 1440 * 4);
    // 0.7 rows a minute in one region: a probe row and its key entry each.
    CHECK(allowance(one, "d1", "rows written").used == doctest::Approx(0.7 * 1440 * 2));
    CHECK(allowance(three, "d1", "rows written").used == doctest::Approx(3 * 0.7 * 1440 * 2));
    CHECK(allowance(three, "d1", "rows read").used >
          2.9 * allowance(one, "d1", "rows read").used - 3 * 20 * 1440);
    CHECK(allowance(three, "supabase", "egress").used > allowance(one, "supabase", "egress").used);
    CHECK(allowance(one, "workers", "subrequests").limit == 50);
  }

  TEST_CASE("Durable Objects' duration is judged on a day when every probe hangs") {
    // Two targets from three regions, timeouts of 3 and 8 s, six at once: one wave a minute
    // as long as the slower timeout, plus the run's own 0.3 s, at 128 MB.
    std::string two = R"({"regions":["enam","weur","apac"],"targets":[
        {"provider":"openai","model":"a","cadence_min":5,"timeout_ms":3000},
        {"provider":"openai","model":"b","cadence_min":5,"timeout_ms":8000}]})";
    Allowance hung =
        allowance(estimate_cost(parse(two)), "durable_objects", "duration with every probe");
    CHECK(hung.used == doctest::Approx(1440 * 3 * 0.128 * 8.3));
    CHECK(hung.fits());
    // Fourteen such targets need three waves a minute: 1440 × 3 × 0.128 × 24.3 GB-s, over.
    std::string targets;
    for (int i = 0; i < 14; ++i) {
      targets += fmt::format(R"({}{{"provider":"openai","model":"m{}","timeout_ms":8000}})",
                             i ? "," : "", i);
    }
    Config many = parse(fmt::format(
        R"({{"regions":["enam","weur","apac"],"max_concurrency":6,"targets":[{}]}})", targets));
    Allowance over =
        allowance(estimate_cost(many), "durable_objects", "duration with every probe");
    CHECK(over.used == doctest::Approx(1440 * 3 * 0.128 * 24.3));
    CHECK_FALSE(over.fits());
    // Without confirmation the cadence spreads them, one or two due a minute: one wave.
    std::string fifteen;
    for (int i = 0; i < 14; ++i) {
      fifteen += fmt::format(
          R"({}{{"provider":"openai","model":"m{}","cadence_min":15,"timeout_ms":8000}})",
          i ? "," : "", i);
    }
    Config calm = parse(fmt::format(
        R"({{"regions":["enam","weur","apac"],"alerting":{{"confirm_min":0}},"targets":[{}]}})",
        fifteen));
    REQUIRE(compute_budget(calm).busiest_minute_probes <= 6);
    Allowance quiet =
        allowance(estimate_cost(calm), "durable_objects", "duration with every probe");
    CHECK(quiet.used == doctest::Approx(1440 * 3 * 0.128 * 8.3));
    CHECK(quiet.fits());
    // Hanging the colo lookup and the store write too can only cost more.
    double deadline_gb_s = 1440 * 3 * 0.128 * compute_budget(calm).region_deadline_ms / 1000.0;
    CHECK(quiet.note.find(fmt::format("deadline: {:.0f}", deadline_gb_s)) != std::string::npos);
    CHECK(deadline_gb_s > quiet.used);
  }

  TEST_CASE("D1's daily allowances hold on the worst days, not just on average") {
    // Twelve 5-minute targets from three regions write a fifth of D1's rows on an ordinary day.
    // Failures that keep every target confirming all day without opening an alert mean 12 × 3 ×
    // 1440 probes of two rows: over. A day-long outage opens the alerts, which explain the
    // failures: the cadence's probes, one confirmation stretch each, and two alerts each
    // opened (3 rows) and sent (3 × 6), then reminded hourly to three channels (1 + 3 × 6).
    std::string targets;
    for (int i = 0; i < 12; ++i) {
      targets += fmt::format(R"({}{{"provider":"openai","model":"m{}","cadence_min":5}})",
                             i ? "," : "", i);
    }
    Config config = parse(fmt::format(R"({{"regions":["enam","weur","apac"],"targets":[{}],
        "cost":{{"assumed_failure_rate":0}}}})",
                                      targets));
    CostEstimate cost = estimate_cost(config);
    const Allowance& ordinary = allowance(cost, "d1", "rows written");
    const Allowance& confirming = allowance(cost, "d1", "rows written with every target");
    const Allowance& outage = allowance(cost, "d1", "rows written in a day-long outage");
    CHECK(ordinary.used == doctest::Approx(12 * 3 * 288 * 2));
    CHECK(ordinary.fits());
    CHECK(confirming.used == doctest::Approx(12 * 3 * 1440 * 2));
    CHECK_FALSE(confirming.fits());
    CHECK(outage.used ==
          doctest::Approx(12 * 3 * (288 + 10) * 2 + 12 * 2 * (3 + 3 * 6 + 24 * (1 + 3 * 6))));
    CHECK(outage.fits());
    // The alert step's reads of the recent and the confirmed minutes grow the same way.
    ReadPlan plan = read_plan(config);
    CHECK(allowance(cost, "d1", "rows read with every target").used -
              allowance(cost, "d1", "rows read").used ==
          doctest::Approx((12 * 3 - 12 * 3 / 5.0) * (plan.lookback_min + plan.confirm_min) * 1440));

    // Without confirmation the worst days' probes are the cadence's.
    config.targets.resize(2);
    for (Target& t : config.targets) t.rules.confirm_min = 0;
    CostEstimate unconfirmed = estimate_cost(config);
    CHECK(allowance(unconfirmed, "d1", "rows written with every target").used ==
          doctest::Approx(2 * 3 * 288 * 2));
    CHECK(allowance(unconfirmed, "d1", "rows written in a day-long outage").used ==
          doctest::Approx(2 * 3 * 288 * 2 + 2 * 2 * (3 + 3 * 6 + 24 * (1 + 3 * 6))));
  }

  TEST_CASE("each watched status source's state is rewritten in D1 on every reading") {
    // Two targets' probes (2 × 288 a day, two rows each), then the sources of their providers;
    // a disabled source and one for a provider no target probes are never fetched.
    Config config = parse(R"({"regions":["enam"],"cost":{"assumed_failure_rate":0},
        "status":{"sources":[
        {"id":"a","provider":"openai","format":"statuspage","url":"https://a.example/s.json"},
        {"id":"b","provider":"anthropic","format":"statuspage","url":"https://b.example/s.json",
         "cadence_min":10},
        {"id":"c","provider":"openai","format":"statuspage","url":"https://c.example/s.json",
         "enabled":false},
        {"id":"d","provider":"mistral","format":"statuspage","url":"https://d.example/s.json"}]},
        "targets":[{"provider":"openai","model":"m","cadence_min":5},
                   {"provider":"anthropic","model":"n","cadence_min":5}]})");
    CHECK(allowance(estimate_cost(config), "d1", "rows written").used == 2 * 288 * 2 + 288 + 144);
  }

  TEST_CASE("the expected confirmation probes are those the plan's own rule sends") {
    Config config = parse(R"({"regions":["enam","weur","apac"],"targets":[
        {"provider":"openai","model":"two","cadence_min":2},
        {"provider":"openai","model":"five","cadence_min":5}]})");
    for (const Target& target : config.targets) {
      for (double rate : {0.005, 0.01, 0.03}) {
        double expected = expected_confirmation_probes(target, 3, rate);
        double simulated = simulated_confirmation_probes(target, 3, rate, 4'000'000);
        INFO(target.model << " at " << rate << ": expected " << expected << ", simulated "
                          << simulated);
        CHECK(expected == doctest::Approx(simulated).epsilon(0.05));
      }
    }
  }

  TEST_CASE("confirmation adds nothing without failures, without confirm_min or every minute") {
    Config config = parse(R"({"regions":["enam","weur"],"alerting":{"confirm_min":0},"targets":[
        {"provider":"openai","model":"off","cadence_min":5},
        {"provider":"openai","model":"each","cadence_min":1,"alerting":{"confirm_min":10}},
        {"provider":"openai","model":"on","cadence_min":5,"alerting":{"confirm_min":10}}]})");
    CHECK(expected_confirmation_probes(config.targets[0], 2, 0.02) == 0);
    CHECK(expected_confirmation_probes(config.targets[1], 2, 0.02) == 0);
    CHECK(expected_confirmation_probes(config.targets[2], 2, 0) == 0);
    CHECK(expected_confirmation_probes(config.targets[2], 2, 0.02) > 0);
    // A target that always fails confirms every minute: 4 of every 5 minutes' probes are extra.
    CHECK(expected_confirmation_probes(config.targets[2], 2, 1) == 30 * 1440 * 2 * 4 / 5);
    double nearly = expected_confirmation_probes(config.targets[2], 2, 0.999);
    CHECK(nearly == doctest::Approx(30 * 1440 * 2 * 4 / 5));
  }

  TEST_CASE("confirmation probes are priced and stored like any other") {
    CostEstimate quiet = estimate_cost(parse(priced(kNoNoise, R"(["enam","weur","apac"])")));
    CostEstimate noisy = estimate_cost(
        parse(priced(R"("assumed_failure_rate":0.02,)", R"(["enam","weur","apac"])")));
    REQUIRE(noisy.targets.size() == 2);
    const TargetCost& big = noisy.targets[1];
    CHECK(big.probes_month == quiet.targets[1].probes_month);
    CHECK(big.confirmation_probes_month > 0);
    CHECK(big.usd_month ==
          doctest::Approx(static_cast<double>(big.probes_month + big.confirmation_probes_month) *
                          (8 * 5.0 + 4 * 25.0) / 1e6));
    CHECK(noisy.confirmation_probes_month ==
          noisy.targets[0].confirmation_probes_month + big.confirmation_probes_month);
    CHECK(noisy.usd_month > quiet.usd_month);
    CHECK(allowance(noisy, "d1", "rows written").used >
          allowance(quiet, "d1", "rows written").used);
    CHECK(allowance(noisy, "supabase", "database size").used >
          allowance(quiet, "supabase", "database size").used);
  }

  TEST_CASE("an outside vantage's runs are priced and stored like any other probes") {
    std::string regions = R"(["enam","weur","apac"])";
    CostEstimate inside = estimate_cost(parse(priced(kNoNoise, regions)));
    CostEstimate outside =
        estimate_cost(parse(priced(kNoNoise + R"("outside_runs_per_day":288,)", regions)));
    REQUIRE(outside.targets.size() == 2);
    // Each run probes every enabled target once: 288 a day for 30 days, each.
    for (const TargetCost& t : outside.targets) CHECK(t.outside_probes_month == 288 * 30);
    CHECK(outside.outside_probes_month == 2 * 288 * 30);
    CHECK(outside.targets[0].probes_month == inside.targets[0].probes_month);
    // The OpenAI target's 8 tokens in at $1 and 1 out at $10 per million, per probe.
    CHECK(outside.targets[0].usd_month - inside.targets[0].usd_month ==
          doctest::Approx(288 * 30 * (8 * 1.0 + 1 * 10.0) / 1e6));
    CHECK(allowance(outside, "d1", "rows written").used -
              allowance(inside, "d1", "rows written").used ==
          doctest::Approx(2 * 288 * 2));
    CHECK(allowance(outside, "d1", "rows written in a day-long outage").used -
              allowance(inside, "d1", "rows written in a day-long outage").used ==
          doctest::Approx(2 * 288 * 2));
  }

  TEST_CASE("an outside vantage run from a private repository pays for GitHub's minutes") {
    std::string regions = R"(["enam","weur","apac"])";
    std::string runs = kNoNoise + R"("budget_usd_month":20,"outside_runs_per_day":288,)";
    CostEstimate open = estimate_cost(parse(priced(runs, regions)));
    CostEstimate closed =
        estimate_cost(parse(priced(runs + R"("outside_repository":"private",)", regions)));
    // Every run is a job billed as a whole minute: 288 a day for 30 days.
    CHECK(open.runner.billed_minutes_month == 8640);
    CHECK(open.runner.usd_month == 0);
    // GitHub Free includes 2 000; the other 6 640 at $0.006.
    CHECK(open.runner.private_usd_month == doctest::Approx(6640 * 0.006));
    CHECK(closed.runner.usd_month == doctest::Approx(6640 * 0.006));
    CHECK(closed.usd_month - open.usd_month == doctest::Approx(6640 * 0.006));
    CHECK_FALSE(open.over_budget);
    CHECK(closed.over_budget);
    const Allowance& minutes = allowance(closed, "github_actions", "minutes on a private");
    CHECK(minutes.used == 8640);
    CHECK(minutes.limit == 2000);
    CHECK_FALSE(minutes.fits());
    CHECK(minutes.note.find("66 runs a day fit") != std::string::npos);
    for (const Allowance& a : open.allowances) CHECK(a.service != "github_actions");

    // A run every 30 minutes fits GitHub Free's allowance and costs nothing.
    CostEstimate sparse = estimate_cost(parse(priced(
        kNoNoise + R"("outside_runs_per_day":48,"outside_repository":"private",)", regions)));
    CHECK(sparse.runner.usd_month == 0);
    CHECK(allowance(sparse, "github_actions", "minutes").fits());
  }

  TEST_CASE("a bad cost section names each bad field") {
    auto errors = errors_of(R"({"targets":[{"provider":"openai","model":"m"}],"cost":{
        "budget_usd_month":-1,"prices_as_of":"03/12/2026","colour":"red","prices":[
        {"provider":"openai","model":"m","input_usd_per_mtok":"cheap","output_usd_per_mtok":1},
        {"provider":"acme","model":"m","input_usd_per_mtok":1,"output_usd_per_mtok":1},
        {"provider":"openai","model":"x","output_usd_per_mtok":1},
        {"provider":"openai","model":"y","input_usd_per_mtok":1,"output_usd_per_mtok":1},
        {"provider":"openai","model":"y","input_usd_per_mtok":2,"output_usd_per_mtok":2},
        "free"]}})");
    CHECK(names(errors, "cost.budget_usd_month", "US dollars"));
    CHECK(names(errors, "cost.prices_as_of", "YYYY-MM-DD"));
    CHECK(names(errors, "cost.colour", "unknown field"));
    CHECK(names(errors, "cost.prices[0].input_usd_per_mtok", "US dollars"));
    CHECK(names(errors, "cost.prices[1].provider", "must be one of"));
    CHECK(names(errors, "cost.prices[2].input_usd_per_mtok", "is required"));
    CHECK(names(errors, "cost.prices[4]", "priced twice"));
    CHECK(names(errors, "cost.prices[5]", "must be an object"));
    for (std::string runs : {"-1", "1441", "\"often\"", "2.5"}) {
      INFO(runs);
      CHECK(names(errors_of(R"({"targets":[{"provider":"openai","model":"m"}],"cost":{)"
                            R"("outside_runs_per_day":)" +
                            runs + "}}"),
                  "cost.outside_runs_per_day", ""));
    }
    for (std::string repository : {"\"secret\"", "true", "\"Private\""}) {
      INFO(repository);
      CHECK(names(errors_of(R"({"targets":[],"cost":{"outside_repository":)" + repository + "}}"),
                  "cost.outside_repository", "\"public\" or \"private\""));
    }
    for (const char* date : {"2026-13-45", "2026-02-31", "2025-02-29", "2026-04-31"}) {
      std::string doc = fmt::format(R"({{"targets":[],"cost":{{"prices_as_of":"{}"}}}})", date);
      CHECK_MESSAGE(names(errors_of(doc), "cost.prices_as_of", "YYYY-MM-DD"), date);
    }
    CHECK_FALSE(names(errors_of(R"({"targets":[],"cost":{"prices_as_of":"2028-02-29"}})"),
                      "cost.prices_as_of", ""));
    CHECK(names(errors_of(R"({"targets":[],"cost":{"prices":[]}})"), "cost.prices_as_of",
                "is required with prices"));
    CHECK(names(errors_of(R"({"targets":[],"cost":{"prices":{}}})"), "cost.prices",
                "must be an array"));
    for (std::string rate : {"-0.1", "1.5", "\"1%\""}) {
      CHECK(names(errors_of(R"({"targets":[],"cost":{"assumed_failure_rate":)" + rate + "}}"),
                  "cost.assumed_failure_rate", "share of probes"));
    }
  }

  TEST_CASE("the cost answer carries every target, price and allowance") {
    std::string answer = api_cost(priced(R"("budget_usd_month":1,)"));
    Document doc;
    REQUIRE(doc.parse(answer) == simdjson::SUCCESS);
    element cost = *member(doc.root(), "cost");
    CHECK(string_at(cost, "prices_as_of") == "2026-12-01");
    CHECK(bool_at(cost, "over_budget") == true);
    CHECK(int_at(cost, "days") == 30);
    CHECK(int_at(cost, "probes_month") == 21600 + 8640);
    size_t targets = 0;
    for (element t : items(*member(cost, "targets"))) {
      ++targets;
      CHECK(member(t, "usd_month"));
      CHECK(member(t, "input_usd_per_mtok"));
    }
    CHECK(targets == 2);
    size_t allowances = 0;
    for (element a : items(*member(cost, "allowances"))) {
      ++allowances;
      CHECK(member(a, "share"));
      CHECK(member(a, "fits"));
    }
    CHECK(allowances >= 9);
    CHECK(api_cost(R"({"targets":"none"})").find(R"("ok":false)") != std::string::npos);
  }
}
