#include "detection/backtest.h"

#include <algorithm>
#include <string>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "detection/row-input.h"
#include "detection/test-trace.h"

using namespace heyhi;
using namespace heyhi::detection;
using namespace heyhi::detection::testing;

namespace {

const char* kConfig = R"({"regions":["enam"],"targets":[
  {"provider":"openai","model":"gpt-6-luna","cadence_min":2}]})";

// Two regions every 2 minutes for 90 minutes, failing from minute 20 to minute 40, as HeyHi
// stores them: every minute while a failure is being confirmed.
std::string outage_csv() {
  std::string csv =
      "scheduled_at,ts,region,colo,provider,model,ok,http_status,error_type,attribution,"
      "latency_ms,ttfb_ms,tokens_in,tokens_out,request_id,detail\n";
  for (int m = 0; m < 90; ++m) {
    bool confirming = m > 20 && m <= 49;
    if (m % 2 != 0 && !confirming) continue;
    for (const char* region : {"enam", "weur"}) {
      std::string at = iso_utc_minute((kStartMinute + m) * kMinuteMillis);
      bool down = m >= 20 && m < 40;
      csv += at + "," + at + "," + region + ",,openai,gpt-6-luna," +
             (down ? "false,500,server_error,provider,120" : "true,200,,,300") + ",,,,,\n";
    }
  }
  csv += "2026-12-03T12:20:00Z,2026-12-03T12:20:00Z,enam,,openai,gpt-4o,true,200,,,300,,,,,\n";
  return csv;
}

}  // namespace

TEST_SUITE("detection backtest") {
  TEST_CASE("an outside vantage's rows are kept for the verdict and are no region") {
    std::string csv = outage_csv();
    for (int m = 0; m < 90; m += 5) {
      std::string at = iso_utc_minute((kStartMinute + m) * kMinuteMillis);
      csv += at + "," + at + ",gha-eastus,,openai,gpt-6-luna,true,200,,,300,,,,,\n";
    }
    auto rows = read_csv_rows(csv);
    REQUIRE(rows.ok());
    BacktestOptions options;
    Backtest result = run_backtest(rows.value(), config_of(kConfig), options);
    CHECK(result.trace.config.regions == std::vector<std::string>{"enam", "weur"});
    for (const auto& skipped : result.skipped) CHECK(skipped.what.find("gha") == std::string::npos);
    REQUIRE_FALSE(result.events.empty());
    const AlertEvent& opened = result.events.front();
    CHECK(opened.minute - kStartMinute == 22);
    // Failing from both Cloudflare regions since minute 20, fine from outside at minute 20.
    CHECK(opened.alert.verdict == "network");
    REQUIRE(opened.alert.vantage);
    CHECK(opened.alert.vantage->evidence ==
          "failing from enam, weur; fine from gha-eastus 2 min ago");
  }

  TEST_CASE("an outage that outlasts a maintenance window is sent when the window ends") {
    auto rows = read_csv_rows(outage_csv());
    REQUIRE(rows.ok());
    std::string window =
        fmt::format(R"(,"alerting":{{"maintenance":[{{"start":"{}","end":"{}"}}]}}}})",
                    iso_utc_minute(kStartMinute * kMinuteMillis),
                    iso_utc_minute((kStartMinute + 30) * kMinuteMillis));
    std::string config(kConfig);
    config.pop_back();  // the closing brace, given back with the window
    BacktestOptions options;
    Backtest result = run_backtest(rows.value(), config_of(config + window), options);
    std::vector<std::string> seen;
    for (const AlertEvent& e : result.events) {
      seen.push_back(fmt::format("{} {} {}", e.minute - kStartMinute, action_kind_name(e.kind),
                                 e.notify ? "sent" : "silent"));
    }
    CHECK(seen == std::vector<std::string>{"22 open silent", "30 remind sent", "49 resolve sent"});
    std::string text = format_backtest(result, options);
    CHECK(text.find("(silenced by maintenance)") != std::string::npos);
    CHECK(text.find("(first notice, sent as an opening)") != std::string::npos);
  }

  TEST_CASE("an outage in exported CSV rows backtests to one open and one resolve") {
    auto rows = read_csv_rows(outage_csv());
    REQUIRE(rows.ok());
    BacktestOptions options;
    Backtest result = run_backtest(rows.value(), config_of(kConfig), options);
    CHECK(result.trace.config.regions == std::vector<std::string>{"enam", "weur"});

    std::vector<std::string> seen;
    for (const AlertEvent& e : result.events) {
      seen.push_back(std::to_string(e.minute - kStartMinute) + " " +
                     std::string(action_kind_name(e.kind)) + " " + e.alert.rule);
    }
    // Six failures, three from each region, by minute 22; ten clean minutes after minute 39.
    CHECK(seen ==
          std::vector<std::string>{"22 open provider_errors", "49 resolve provider_errors"});

    std::string text = format_backtest(result, options);
    CHECK(text.find("2026-12-03T12:36Z  open    provider_errors   openai/gpt-6-luna") !=
          std::string::npos);
    CHECK(text.find("2026-12-03T13:03Z  resolve provider_errors   openai/gpt-6-luna") !=
          std::string::npos);
    CHECK(text.find("skipped: openai/gpt-4o (1 rows)") != std::string::npos);
  }

  TEST_CASE(
      "the official status is taken as green only when asked, and an outage stays one alert") {
    auto rows = read_csv_rows(outage_csv());
    REQUIRE(rows.ok());
    BacktestOptions options;
    options.assume_operational = true;
    options.regions = {"enam"};
    Backtest result = run_backtest(rows.value(), config_of(kConfig), options);
    int mismatches = 0;
    std::vector<std::string> statuses;
    for (const AlertEvent& e : result.events) {
      mismatches += e.alert.rule == "official_mismatch" && e.kind == ActionKind::open;
      if (e.kind == ActionKind::open) statuses.push_back(e.alert.official_status);
    }
    // A full outage is reported by provider_errors, carrying the green status page with it.
    CHECK(mismatches == 0);
    CHECK(statuses == std::vector<std::string>{"operational"});
    std::string text = format_backtest(result, options);
    CHECK(text.find("skipped: region weur (60 rows): not in --regions") != std::string::npos);
  }

  TEST_CASE("rows spread over more than the longest replay are refused, not replayed for hours") {
    auto rows = read_csv_rows(
        "scheduled_at,region,provider,model,ok,error_type,latency_ms\n"
        "1970-01-01T00:00:00Z,enam,openai,gpt-6-luna,true,,300\n"
        "2026-12-03T12:20:00Z,enam,openai,gpt-6-luna,true,,300\n");
    REQUIRE(rows.ok());
    Backtest result = run_backtest(rows.value(), config_of(kConfig), {});
    REQUIRE(result.refused);
    CHECK(result.refused->find("from 1970-01-01T00:00") != std::string::npos);
    CHECK(result.refused->find("at most 400 days") != std::string::npos);
    CHECK(result.events.empty());
  }

  TEST_CASE("a file holding its rows twice replays them once and says how many it dropped") {
    std::string once = outage_csv();
    std::string twice = once + once.substr(once.find('\n') + 1);
    auto single = read_csv_rows(once);
    auto doubled = read_csv_rows(twice);
    REQUIRE(single.ok());
    REQUIRE(doubled.ok());
    Backtest expected = run_backtest(single.value(), config_of(kConfig), {});
    Backtest result = run_backtest(doubled.value(), config_of(kConfig), {});
    CHECK(result.rows_used == expected.rows_used);
    CHECK(result.duplicates.dropped == single.value().size());
    CHECK(result.duplicates.conflicts.empty());
    CHECK(result.events.size() == expected.events.size());
    std::string text = format_backtest(result, {});
    CHECK(text.find(fmt::format("duplicates: {} rows dropped", single.value().size())) !=
          std::string::npos);
    CHECK(format_backtest(expected, {}).find("duplicates") == std::string::npos);
  }

  TEST_CASE("a repeated key whose columns differ is a conflict resolved as the stores would") {
    auto rows = read_csv_rows(
        "scheduled_at,region,provider,model,ok,http_status,error_type,latency_ms\n"
        "2026-12-03T12:14:00Z,enam,openai,gpt-6-luna,1,200,,300\n"
        "2026-12-03T12:16:00Z,enam,openai,gpt-6-luna,1,200,,300\n"
        "2026-12-03T12:14:00Z,enam,openai,gpt-6-luna,0,500,server_error,300\n"
        "2026-12-03 12:16:00+00,enam,openai,gpt-6-luna,1,200,,300\n"
        "2026-12-03T12:14:00Z,weur,openai,gpt-6-luna,0,500,server_error,300\n");
    REQUIRE(rows.ok());
    Backtest result = run_backtest(rows.value(), config_of(kConfig), {});
    // Line 5 spells line 3's minute another way: the same instant to Postgres, no conflict.
    CHECK(result.duplicates.dropped == 2);
    CHECK(result.rows_used == 3);
    REQUIRE(result.duplicates.conflicts.size() == 1);
    const Conflict& conflict = result.duplicates.conflicts[0];
    CHECK(conflict.kept == "line 2");
    CHECK(conflict.dropped == "line 4");
    CHECK(conflict.columns == std::vector<std::string>{"ok", "http_status", "error_type"});
    const std::vector<Row>& kept = result.trace.targets[0].rows;
    CHECK(std::count_if(kept.begin(), kept.end(), [](const Row& r) { return !r.ok; }) == 1);
    std::string text = format_backtest(result, {});
    CHECK(text.find("conflict: line 2 and line 4 (2026-12-03T12:14:00Z enam openai/gpt-6-luna) "
                    "differ in ok, http_status, error_type; line 2 kept") != std::string::npos);
  }

  TEST_CASE("conflicts past the tenth are counted, not listed") {
    std::string csv = "scheduled_at,region,provider,model,ok,error_type,latency_ms\n";
    for (int m = 0; m < 12; ++m) {
      std::string at = iso_utc_minute((kStartMinute + m) * kMinuteMillis);
      csv +=
          at + ",enam,openai,gpt-6-luna,true,,300\n" + at + ",enam,openai,gpt-6-luna,true,,301\n";
    }
    auto rows = read_csv_rows(csv);
    REQUIRE(rows.ok());
    Backtest result = run_backtest(rows.value(), config_of(kConfig), {});
    CHECK(result.duplicates.conflicts.size() == 12);
    std::string text = format_backtest(result, {});
    CHECK(text.find("conflict: line 20 and line 21") != std::string::npos);
    CHECK(text.find("conflict: line 22 and line 23") == std::string::npos);
    CHECK(text.find("conflict: 2 more not shown") != std::string::npos);
  }

  TEST_CASE("no usable rows is said plainly") {
    auto rows = read_csv_rows(
        "scheduled_at,region,provider,model,ok,error_type,latency_ms\n"
        "2026-12-03T12:20:00Z,enam,cohere,x,true,,300\n");
    REQUIRE(rows.ok());
    Backtest result = run_backtest(rows.value(), config_of(kConfig), {});
    CHECK(result.events.empty());
    CHECK(format_backtest(result, {}).find("no rows to replay") != std::string::npos);
  }

  TEST_CASE("--regions takes Cloudflare regions only, naming them when given another") {
    auto two = read_regions("enam,weur");
    REQUIRE(two.ok());
    CHECK(two.value() == std::vector<std::string>{"enam", "weur"});
    struct Case {
      std::string list;
      std::string error;
    };
    const Case cases[] = {
        {"mars",
         "\"mars\" is not a Cloudflare region: one of wnam, enam, sam, weur, eeur, apac, oc, afr, "
         "me"},
        {"enam,gha-eastus",
         "\"gha-eastus\" is not a Cloudflare region: one of wnam, enam, sam, "
         "weur, eeur, apac, oc, afr, me"},
        {"enam,enam", "\"enam\" is listed twice"},
        {",", "names no region: give one such as enam"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.list);
      auto regions = read_regions(c.list);
      REQUIRE_FALSE(regions.ok());
      CHECK(regions.error().field == "--regions");
      CHECK(regions.error().message == c.error);
    }
  }
}
