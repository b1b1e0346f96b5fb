#include "schedule.h"

#include <algorithm>
#include <map>

#include <doctest/doctest.h>

#include "time-format.h"

using namespace heyhi;

namespace {

Config parse(std::string_view json) {
  auto parsed = parse_config(json);
  REQUIRE(parsed.ok());
  return parsed.value();
}

constexpr int64_t kMinute = 60000;
constexpr int64_t kStart = 1796300040000;  // 2026-12-03T12:14:00Z

Row failure(std::string model, std::string region, int64_t minute_ms, ErrorType type) {
  Row r;
  r.scheduled_at = iso_utc_minute(minute_ms);
  r.ts = iso_utc_millis(minute_ms + 300);
  r.region = std::move(region);
  r.provider = "openai";
  r.model = std::move(model);
  r.ok = false;
  r.error_type = type;
  return r;
}

// The minutes, counted from kStart, at which `model` is planned in [0, minutes).
std::vector<int> planned_minutes(const Config& config, const std::vector<Row>& recent,
                                 const std::string& model, int minutes) {
  std::vector<int> out;
  for (int m = 0; m < minutes; ++m) {
    for (const PlannedProbe& p : plan(config, kStart + m * kMinute, recent)) {
      if (p.target->model == model && p.region == config.regions.front()) out.push_back(m);
    }
  }
  return out;
}

}  // namespace

TEST_SUITE("schedule") {
  TEST_CASE("over an hour each target fires exactly 60 / cadence times") {
    Config config = parse(R"({"targets":[
      {"provider":"openai","model":"a","cadence_min":1},
      {"provider":"openai","model":"b","cadence_min":2},
      {"provider":"openai","model":"c","cadence_min":5},
      {"provider":"openai","model":"d","cadence_min":10},
      {"provider":"openai","model":"e","cadence_min":15}]})");
    std::map<std::string, int> fired;
    for (int m = 0; m < 60; ++m) {
      for (const PlannedProbe& p : plan(config, kStart + m * kMinute)) fired[p.target->model]++;
    }
    CHECK(fired["a"] == 60);
    CHECK(fired["b"] == 30);
    CHECK(fired["c"] == 12);
    CHECK(fired["d"] == 6);
    CHECK(fired["e"] == 4);
  }

  TEST_CASE("consecutive firings of a target are exactly one cadence apart") {
    Config config = parse(R"({"targets":[{"provider":"mistral","model":"m","cadence_min":5}]})");
    std::vector<int64_t> minutes;
    for (int m = 0; m < 30; ++m) {
      if (!plan(config, kStart + m * kMinute).empty()) minutes.push_back(m);
    }
    REQUIRE(minutes.size() == 6);
    for (size_t i = 1; i < minutes.size(); ++i) CHECK(minutes[i] - minutes[i - 1] == 5);
  }

  TEST_CASE("any instant within a minute plans the same probes as the minute itself") {
    Config config = parse(R"({"targets":[{"provider":"openai","model":"a","cadence_min":2},
                                         {"provider":"xai","model":"b","cadence_min":2}]})");
    for (int m = 0; m < 4; ++m) {
      int64_t minute = kStart + m * kMinute;
      CHECK(plan(config, minute).size() == plan(config, minute + 59999).size());
    }
  }

  TEST_CASE("phases spread a cadence's targets over its minutes") {
    std::string targets;
    for (int i = 0; i < 20; ++i) {
      targets += (i ? "," : "") + std::string(R"({"provider":"openai","model":"m)") +
                 std::to_string(i) + R"(","cadence_min":5})";
    }
    Config config = parse(R"({"targets":[)" + targets + "]}");
    size_t busiest = 0;
    for (int m = 0; m < 5; ++m)
      busiest = std::max(busiest, plan(config, kStart + m * kMinute).size());
    CHECK(busiest < 20);
  }

  TEST_CASE("disabled targets never fire and every region gets each due probe") {
    Config config = parse(R"({"regions":["enam","weur"],"targets":[
      {"provider":"openai","model":"on","cadence_min":1},
      {"provider":"openai","model":"off","cadence_min":1,"enabled":false}]})");
    auto due = plan(config, kStart);
    REQUIRE(due.size() == 2);
    CHECK(due[0].target->model == "on");
    CHECK(due[0].region == "enam");
    CHECK(due[1].region == "weur");
  }

  TEST_CASE("a provider origin hears each probe's region; the real providers never do") {
    std::string targets = R"("targets":[{"provider":"openai","model":"m","cadence_min":1}])";
    auto has_region = [](const PlannedProbe& p) {
      return std::any_of(p.request.headers.begin(), p.request.headers.end(),
                         [](const auto& h) { return h.first == kRegionHeader; });
    };
    Config emulated =
        parse(R"({"regions":["enam","apac"],"provider_origin":"http://e:1",)" + targets + "}");
    auto due = plan(emulated, kStart);
    REQUIRE(due.size() == 2);
    CHECK(due[1].request.headers.back() ==
          std::pair<std::string, std::string>{std::string(kRegionHeader), "apac"});
    Config real = parse(R"({"regions":["enam","apac"],)" + targets + "}");
    for (const PlannedProbe& p : plan(real, kStart)) CHECK_FALSE(has_region(p));
  }

  TEST_CASE("a region learns its colo from Cloudflare's trace page, or the origin's") {
    Config real = parse(R"({"targets":[{"provider":"openai","model":"m"}]})");
    ProbeRequest trace = colo_trace_request(real, "weur");
    CHECK(trace.method == "GET");
    CHECK(trace.url == "https://cloudflare.com/cdn-cgi/trace");
    CHECK(trace.body.empty());
    CHECK(trace.headers.size() == 1);
    Config emulated =
        parse(R"({"provider_origin":"http://e:1/","targets":[{"provider":"openai","model":"m"}]})");
    ProbeRequest local = colo_trace_request(emulated, "weur");
    CHECK(local.url == "http://e:1/cdn-cgi/trace");
    CHECK(local.headers.back().second == "weur");
  }

  TEST_CASE("instants before 1970 floor to their minute") {
    CHECK(epoch_minute(-1) == -1);
    Target target;
    target.cadence_min = 2;
    CHECK(is_due(target, -2));
    CHECK_FALSE(is_due(target, -1));
  }

  TEST_CASE("a provider failure puts its target on one probe a minute in every region") {
    Config config = parse(R"({"regions":["enam","weur","apac"],"targets":[
      {"provider":"openai","model":"a","cadence_min":5},
      {"provider":"openai","model":"b","cadence_min":5}]})");
    std::vector<Row> recent = {failure("a", "weur", kStart - 2 * kMinute, ErrorType::overloaded)};
    auto due = plan(config, kStart + kMinute, recent);
    std::vector<std::string> regions;
    for (const PlannedProbe& p : due) {
      if (p.target->model != "a") continue;
      regions.push_back(p.region);
      CHECK(p.reason == DueReason::confirm);
    }
    CHECK(regions == std::vector<std::string>{"enam", "weur", "apac"});
  }

  TEST_CASE("confirmation lasts confirm_min minutes after the failure, then the cadence resumes") {
    Config config = parse(R"({"alerting":{"confirm_min":3},"targets":[
      {"provider":"openai","model":"a","cadence_min":10}]})");
    std::vector<int> alone = planned_minutes(config, {}, "a", 20);
    REQUIRE(alone.size() == 2);
    int slot = alone.front();
    std::vector<Row> recent = {failure("a", "enam", kStart + slot * kMinute, ErrorType::timeout)};
    std::vector<int> confirmed = planned_minutes(config, recent, "a", 20);
    std::vector<int> expected = {slot, slot + 1, slot + 2, slot + 3, slot + 10};
    CHECK(confirmed == expected);
  }

  TEST_CASE("failures that are ours or ambiguous, and successes, keep the cadence") {
    Config config = parse(R"({"targets":[{"provider":"openai","model":"a","cadence_min":10}]})");
    std::vector<int> alone = planned_minutes(config, {}, "a", 20);
    int slot = alone.front();
    Row ok = failure("a", "enam", kStart + slot * kMinute, ErrorType::overloaded);
    ok.ok = true;
    ok.error_type.reset();
    for (const Row& row :
         {failure("a", "enam", kStart + slot * kMinute, ErrorType::auth),
          failure("a", "enam", kStart + slot * kMinute, ErrorType::rate_limited), ok}) {
      CHECK(planned_minutes(config, {row}, "a", 20) == alone);
    }
    CHECK(starts_confirmation(failure("a", "enam", 0, ErrorType::connect_error)));
  }

  TEST_CASE("another target's failure, or confirm_min 0, confirms nothing") {
    Config config = parse(R"({"targets":[
      {"provider":"openai","model":"a","cadence_min":10},
      {"provider":"openai","model":"b","cadence_min":10,"alerting":{"confirm_min":0}}]})");
    std::vector<int> alone = planned_minutes(config, {}, "a", 20);
    std::vector<Row> recent = {failure("b", "enam", kStart, ErrorType::server_error)};
    CHECK(planned_minutes(config, recent, "a", 20) == alone);
    CHECK(planned_minutes(config, recent, "b", 20) == planned_minutes(config, {}, "b", 20));
  }

  TEST_CASE("a failure an open alert already explains starts no confirmation") {
    Config config = parse(R"({"regions":["enam","weur"],"targets":[
      {"provider":"openai","model":"a","cadence_min":5}]})");
    const Target& a = config.targets.front();
    Row weur = failure("a", "weur", kStart - kMinute, ErrorType::overloaded);
    Row enam = failure("a", "enam", kStart - 2 * kMinute, ErrorType::timeout);
    auto confirming_now = [&](const std::vector<Row>& recent, const std::vector<OpenAlert>& open) {
      auto due = plan(config, kStart + kMinute, recent, open);
      return std::any_of(due.begin(), due.end(),
                         [](const PlannedProbe& p) { return p.reason == DueReason::confirm; });
    };
    auto open = [&](const char* rule, const char* scope) {
      return std::vector<OpenAlert>{{rule, scope, kStart - 5 * kMinute, {}}};
    };
    std::vector<Row> both = {weur, enam};
    CHECK(confirming_now(both, {}));
    // The target's provider_errors alert explains failures while more than one region fails;
    // official_mismatch, below the outage line, explains none.
    CHECK_FALSE(confirming_now(both, open("provider_errors", "openai/a")));
    CHECK(confirming_now(both, open("official_mismatch", "openai/a")));
    // The regional alert explains its own region's failures, whatever the others do.
    CHECK_FALSE(confirming_now({weur}, open("regional", "openai/a@weur")));
    CHECK(confirming_now({weur}, open("regional", "openai/a@enam")));
    CHECK(explained_by_open_alert(a, weur, {weur}, open("regional", "openai/a@weur")));
    // A latency or configuration alert, or another target's, says nothing about failures.
    CHECK(confirming_now(both, open("latency", "openai/a")));
    CHECK(confirming_now(both, open("configuration", "openai/a")));
    CHECK(confirming_now(both, open("provider_errors", "openai/b")));
  }

  TEST_CASE("an outage narrowed to one region is confirmed again, for the regional rule") {
    Config config = parse(R"({"regions":["enam","weur","apac"],"targets":[
      {"provider":"openai","model":"a","cadence_min":5}]})");
    const Target& a = config.targets.front();
    std::vector<OpenAlert> open = {{"provider_errors", "openai/a", kStart - 60 * kMinute, {}}};
    // Only weur still fails: the open provider_errors alert no longer explains it.
    std::vector<Row> alone = {failure("a", "weur", kStart - kMinute, ErrorType::overloaded),
                              failure("a", "weur", kStart - 6 * kMinute, ErrorType::overloaded)};
    CHECK_FALSE(explained_by_open_alert(a, alone.front(), alone, open));
    auto due = plan(config, kStart + kMinute, alone, open);
    CHECK(std::count_if(due.begin(), due.end(),
                        [](const PlannedProbe& p) { return p.reason == DueReason::confirm; }) == 3);
    // A failure of another target in another region does not count as this one's.
    Row other = failure("b", "enam", kStart - kMinute, ErrorType::overloaded);
    std::vector<Row> with_other = {alone.front(), other};
    CHECK_FALSE(explained_by_open_alert(a, alone.front(), with_other, open));
  }

  TEST_CASE("a new failure in a region the regional alert does not cover is confirmed") {
    Config config = parse(R"({"regions":["enam","weur"],"alerting":{"confirm_min":3},
      "targets":[{"provider":"openai","model":"a","cadence_min":10}]})");
    std::vector<OpenAlert> open = {{"regional", "openai/a@weur", kStart - 30 * kMinute, {}}};
    std::vector<Row> recent = {failure("a", "weur", kStart - kMinute, ErrorType::timeout),
                               failure("a", "enam", kStart - 2 * kMinute, ErrorType::timeout)};
    auto confirms = [&](int64_t at_ms) {
      auto due = plan(config, at_ms, recent, open);
      return std::count_if(due.begin(), due.end(),
                           [](const PlannedProbe& p) { return p.reason == DueReason::confirm; });
    };
    // The enam failure, two minutes back, holds the target to every minute from both regions
    // until confirm_min has passed since it; the later weur failure, explained, holds nothing.
    CHECK(confirms(kStart) == 2);
    CHECK(confirms(kStart + kMinute) == 2);
    CHECK(confirms(kStart + 2 * kMinute) == 0);
  }
}
