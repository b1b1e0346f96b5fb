#include <algorithm>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "alerting.h"
#include "api.h"
#include "config.h"
#include "json-read.h"
#include "summary.h"
#include "time-format.h"
#include "window-stats.h"

using namespace heyhi;

namespace {

constexpr int64_t kMinute = 60000;
constexpr int64_t kDay = 24 * 60 * kMinute;
constexpr int64_t kNow = 1796300040000;  // 2026-12-03T12:14:00Z

Config one_target() {
  auto parsed = parse_config(
      R"({"regions":["enam"],"targets":[{"provider":"openai","model":"m","cadence_min":1}]})");
  REQUIRE(parsed.ok());
  return parsed.value();
}

Row ok_at(int64_t ms, int64_t latency) {
  Row r;
  r.scheduled_at = iso_utc_minute(ms);
  r.ts = iso_utc_millis(ms + 500);
  r.region = "enam";
  r.provider = "openai";
  r.model = "m";
  r.ok = true;
  r.latency_ms = latency;
  return r;
}

// Ten minutes at 2400 ms, evaluated at their last minute.
std::vector<Row> slow_minutes() {
  std::vector<Row> rows;
  for (int m = -9; m <= 0; ++m) rows.push_back(ok_at(kNow + m * kMinute, 2400));
  return rows;
}

std::optional<AlertAction> latency_open(const EvaluationInput& input) {
  for (const AlertAction& a : evaluate(one_target(), input)) {
    if (a.kind == ActionKind::open && a.alert.rule == "latency") return a;
  }
  return std::nullopt;
}

}  // namespace

TEST_SUITE("baseline") {
  TEST_CASE("the baseline is the same clock hour on previous days, not the hour around now") {
    // 12:14 now: 12:00 to 12:59 on each earlier day counts, 11:59 and 13:00 do not.
    int64_t hour = kNow - 14 * kMinute;
    CHECK(in_baseline_hours(hour - kDay, kNow));
    CHECK(in_baseline_hours(hour - kDay + 59 * kMinute, kNow));
    CHECK_FALSE(in_baseline_hours(hour - kDay - kMinute, kNow));
    CHECK_FALSE(in_baseline_hours(hour - kDay + 60 * kMinute, kNow));
    CHECK(in_baseline_hours(hour - 7 * kDay + 30 * kMinute, kNow));
    CHECK_FALSE(in_baseline_hours(hour - 8 * kDay + 30 * kMinute, kNow));
    CHECK_FALSE(in_baseline_hours(hour + 5 * kMinute, kNow));  // today is not a baseline
  }

  TEST_CASE("a baseline needs 20 samples and is their p95") {
    CHECK_FALSE(baseline_of(std::vector<int64_t>(19, 500)));
    std::vector<int64_t> samples;
    for (int i = 1; i <= 20; ++i) samples.push_back(i * 100);
    CHECK(baseline_of(samples) == 1900);
  }

  TEST_CASE("a baseline of samples in any order, ties among them, is the sorted samples' p95") {
    uint64_t state = 20261204;
    auto next = [&] {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      return static_cast<int64_t>(state >> 33);
    };
    for (size_t count : {20, 21, 39, 40, 41, 99, 100, 101, 1260}) {
      std::vector<int64_t> samples;
      for (size_t i = 0; i < count; ++i) samples.push_back(200 + next() % 40);  // many ties
      std::vector<int64_t> sorted = samples;
      std::sort(sorted.begin(), sorted.end());
      CAPTURE(count);
      CHECK(baseline_of(samples) == nearest_rank(sorted, 0.95));
    }
  }

  TEST_CASE("precomputed baselines stand in for the older rows") {
    EvaluationInput with{kNow, slow_minutes(), {}, {}};
    with.baselines = std::map<std::string, std::optional<int64_t>>{{"openai/m", 900}};
    auto opened = latency_open(with);
    REQUIRE(opened);
    CHECK(opened->alert.measured.baseline_p95_ms == 900);

    // Too few samples last week: the absolute line of 5000 ms alone, which 2400 is under.
    EvaluationInput none{kNow, slow_minutes(), {}, {}};
    none.baselines = std::map<std::string, std::optional<int64_t>>{{"openai/m", std::nullopt}};
    CHECK_FALSE(latency_open(none));

    // Given, they win over rows: history at 2000 ms would hide the slowdown.
    std::vector<Row> rows = slow_minutes();
    for (int day = 1; day <= 7; ++day) {
      for (int k = 0; k < 5; ++k) rows.push_back(ok_at(kNow - day * kDay - k * kMinute, 2000));
    }
    EvaluationInput given{kNow, rows, {}, {}};
    given.baselines = std::map<std::string, std::optional<int64_t>>{{"openai/m", 900}};
    CHECK(latency_open(given));
    CHECK_FALSE(latency_open(EvaluationInput{kNow, rows, {}, {}}));
  }

  TEST_CASE("the baselines export takes each target's latencies as grouped, names the hour") {
    std::string latencies;
    for (int day = 1; day <= 7; ++day) {
      for (int k = 0; k < 3; ++k)
        latencies += fmt::format("{}{}", latencies.empty() ? "" : ",", 700 + day);
    }
    std::string config = R"({"regions":["enam"],"targets":[{"provider":"openai","model":"m"},)"
                         R"({"provider":"openai","model":"quiet"}]})";
    // A store may hand one target over in more than one group: they count together.
    std::string answer = api_baselines(fmt::format(
        R"({{"config":{},"now_ms":{},"latencies":[{{"provider":"openai","model":"m",)"
        R"("latencies":[{}]}},{{"provider":"openai","model":"m","latencies":[700]}}]}})",
        config, kNow, latencies));
    Document doc;
    REQUIRE(doc.parse(answer) == simdjson::SUCCESS);
    CHECK(string_at(doc.root(), "hour") == "2026-12-03T12:00:00Z");
    element targets = *member(doc.root(), "targets");
    CHECK(int_at(targets, "openai/m") == 707);  // p95 of 22 samples, 700 to 707
    REQUIRE(member(targets, "openai/quiet"));
    CHECK(member(targets, "openai/quiet")->is_null());

    std::string bad = api_baselines(fmt::format(
        R"({{"config":{},"now_ms":{},"latencies":[{{"provider":"openai"}}]}})", config, kNow));
    CHECK(bad.find(R"("field":"latencies[0]")") != std::string::npos);
    std::string negative = api_baselines(
        fmt::format(R"({{"config":{},"now_ms":{},"latencies":[{{"provider":"openai","model":"m",)"
                    R"("latencies":[5,-1]}}]}})",
                    config, kNow));
    CHECK(negative.find(R"("field":"latencies[0].latencies")") != std::string::npos);
    std::string bad_map = api_evaluate(
        fmt::format(R"({{"config":{},"now_ms":{},"rows":[],"baselines":{{"openai/m":"fast"}}}})",
                    config, kNow));
    CHECK(bad_map.find(R"("field":"baselines.openai/m")") != std::string::npos);
  }
}
