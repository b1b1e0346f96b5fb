#include "aggregate.h"

#include <string>

#include <doctest/doctest.h>

#include "api.h"
#include "json-read.h"
#include "summary.h"
#include "time-format.h"

using namespace heyhi;

namespace {

constexpr int64_t kStart = 1796300040000;  // 2026-12-03T12:14:00Z

Row row(int minute, std::string provider, std::string model, std::string region,
        std::string_view outcome, int64_t latency = 300) {
  Row r;
  r.scheduled_at = iso_utc_minute(kStart + minute * kMinuteMs);
  r.ts = iso_utc_millis(kStart + minute * kMinuteMs + 100);
  r.provider = std::move(provider);
  r.model = std::move(model);
  r.region = std::move(region);
  r.ok = outcome == "ok";
  r.latency_ms = latency;
  if (!r.ok) r.error_type = error_type_from_name(outcome);
  return r;
}

const ScopeFigures* find(const std::vector<ScopeFigures>& all, std::string_view provider,
                         std::string_view model = "", std::string_view region = "") {
  for (const ScopeFigures& s : all) {
    if (s.provider == provider && s.model == model && s.region == region) return &s;
  }
  return nullptr;
}

}  // namespace

TEST_SUITE("aggregate") {
  TEST_CASE("every scope counts failures by attribution over the window only") {
    std::vector<Row> rows = {
        row(0, "openai", "a", "enam", "ok", 100),
        row(0, "openai", "a", "weur", "overloaded"),
        row(1, "openai", "b", "enam", "auth"),
        row(1, "anthropic", "c", "weur", "rate_limited"),
        row(2, "anthropic", "c", "enam", "connect_error"),
        row(2, "anthropic", "c", "enam", "ok", 700),
        row(-10, "openai", "a", "enam", "timeout"),  // before the window
    };
    Aggregation a = aggregate(rows, kStart + 2 * kMinuteMs + 30000, 5);
    CHECK(a.overall.tally.probes == 6);
    CHECK(a.overall.tally.provider == 1);
    CHECK(a.overall.tally.network == 1);
    CHECK(a.overall.tally.ours == 1);
    CHECK(a.overall.tally.ambiguous == 1);
    REQUIRE(a.providers.size() == 2);
    const ScopeFigures* openai = find(a.providers, "openai");
    REQUIRE(openai);
    CHECK(openai->tally.probes == 3);
    // The auth failure is ours: it leaves the provider's rate, 1 of 2 tested probes failed.
    CHECK(openai->tally.rate() == doctest::Approx(0.5));
    REQUIRE(a.targets.size() == 3);
    const ScopeFigures* c = find(a.targets, "anthropic", "c");
    REQUIRE(c);
    CHECK(c->tally.probes == 3);
    CHECK(nearest_rank(c->tally.ok_latency, 0.95) == 700);
    const ScopeFigures* enam = find(a.regions, "", "", "enam");
    REQUIRE(enam);
    CHECK(enam->tally.probes == 4);
  }

  TEST_CASE("the JSON answer has defined values for an empty window, one sample and ties") {
    std::string rows = R"([{"scheduled_at":"2026-12-03T12:14:00Z","ts":"2026-12-03T12:14:00.1Z",
      "region":"enam","provider":"openai","model":"m","ok":true,"latency_ms":250},
      {"scheduled_at":"2026-12-03T12:15:00Z","ts":"2026-12-03T12:15:00.1Z",
      "region":"enam","provider":"openai","model":"m","ok":true,"latency_ms":250}])";
    Document empty;
    REQUIRE(empty.parse(api_aggregate(R"({"rows":[],"now_ms":1796300040000,"window_min":5})")) ==
            simdjson::SUCCESS);
    auto overall = *member(empty.root(), "overall");
    CHECK(int_at(overall, "probes") == 0);
    CHECK(member(overall, "failure_rate")->is_null());
    CHECK(member(overall, "p95_ms")->is_null());

    Document two;
    std::string in = std::string(R"({"now_ms":1796300100000,"window_min":10,"rows":)") + rows + "}";
    REQUIRE(two.parse(api_aggregate(in)) == simdjson::SUCCESS);
    auto figures = *member(two.root(), "overall");
    CHECK(int_at(figures, "p50_ms") == 250);
    CHECK(int_at(figures, "p95_ms") == 250);
    CHECK(string_at(two.root(), "from") == "2026-12-03T12:06:00Z");
    CHECK(string_at(two.root(), "to") == "2026-12-03T12:15:00Z");
    element target;
    REQUIRE(member(two.root(), "targets")->at(0).get(target) == simdjson::SUCCESS);
    CHECK(member(target, "baseline_p95_ms")->is_null());
  }

  TEST_CASE("a target's p95 is set against the same hour on previous days") {
    std::vector<Row> rows;
    for (int day = 1; day <= 7; ++day) {
      for (int k = 0; k < 4; ++k)
        rows.push_back(row(k - day * 24 * 60, "xai", "g", "enam", "ok", 400));
    }
    for (int m = 0; m < 5; ++m) rows.push_back(row(m, "xai", "g", "enam", "ok", 1200));
    Aggregation a = aggregate(rows, kStart + 4 * kMinuteMs, 5);
    REQUIRE(a.targets.size() == 1);
    CHECK(a.targets[0].tally.probes == 5);
    CHECK(a.targets[0].baseline_p95_ms == 400);
  }

  TEST_CASE("a target failing from every Cloudflare region carries the outside vantage's view") {
    std::vector<Row> rows;
    for (int m = 0; m < 5; ++m) {
      for (const char* region : {"enam", "weur"})
        rows.push_back(row(m, "openai", "a", region, "timeout"));
      rows.push_back(row(m, "openai", "b", "enam", "ok"));
    }
    rows.push_back(row(2, "openai", "a", "gha-eastus", "ok"));
    Aggregation a = aggregate(rows, kStart + 4 * kMinuteMs, 15);
    const ScopeFigures* failing = find(a.targets, "openai", "a");
    REQUIRE(failing);
    REQUIRE(failing->vantage);
    CHECK(failing->vantage->verdict() == "network");
    CHECK(failing->vantage->text(a.to_ms) ==
          "failing from enam, weur; fine from gha-eastus 2 min ago");
    CHECK_FALSE(find(a.targets, "openai", "b")->vantage);

    std::string in = R"({"now_ms":1796300280000,"window_min":15,"rows":[)";
    const char* regions_by_minute[] = {"enam", "enam", "gha-eastus"};
    for (int minute = 0; minute < 3; ++minute) {
      int64_t at = kStart + minute * kMinuteMs;
      in += std::string(minute ? "," : "") + R"({"scheduled_at":")" + iso_utc_minute(at) +
            R"(","ts":")" + iso_utc_millis(at + 5) + R"(","region":")" + regions_by_minute[minute] +
            R"(","provider":"openai","model":"m","ok":false,"error_type":"timeout",)" +
            R"("latency_ms":3003})";
    }
    in += "]}";
    Document doc;
    REQUIRE(doc.parse(api_aggregate(in)) == simdjson::SUCCESS);
    element target;
    REQUIRE(member(doc.root(), "targets")->at(0).get(target) == simdjson::SUCCESS);
    element vantage = *member(target, "vantage");
    CHECK(string_at(vantage, "verdict") == "provider");
    CHECK(string_at(vantage, "state") == "failing");
    CHECK(string_at(vantage, "vantage") == "gha-eastus");
    CHECK(string_at(vantage, "evidence") == "failing from enam and from gha-eastus 2 min ago");
    std::vector<std::pair<std::string, bool>> regions;
    for (element r : items(*member(doc.root(), "regions"))) {
      regions.emplace_back(string_at(r, "region").value_or(""),
                           bool_at(r, "outside_vantage").value_or(false));
    }
    CHECK(regions ==
          std::vector<std::pair<std::string, bool>>{{"enam", false}, {"gha-eastus", true}});
  }

  TEST_CASE("bad input is named") {
    Document doc;
    REQUIRE(doc.parse(api_aggregate(R"({"rows":[],"now_ms":1})")) == simdjson::SUCCESS);
    CHECK_FALSE(bool_at(doc.root(), "ok").value_or(true));
  }
}
