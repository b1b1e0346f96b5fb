#include "detection/row-input.h"

#include <string>

#include <doctest/doctest.h>
#include <fmt/format.h>

using namespace heyhi;
using namespace heyhi::detection;

namespace {

const char* kHeader =
    "scheduled_at,ts,region,colo,provider,model,ok,http_status,error_type,attribution,"
    "latency_ms,ttfb_ms,tokens_in,tokens_out,request_id,detail\n";

std::string csv(const std::string& body) { return std::string(kHeader) + body; }

std::string error_of(std::string_view text) {
  auto rows = read_exported_rows(text);
  REQUIRE_FALSE(rows.ok());
  const Error& error = rows.error();
  return error.field.empty() ? error.message : error.field + ": " + error.message;
}

}  // namespace

TEST_SUITE("row input") {
  TEST_CASE("CSV rows read with quoted cells, t/f flags and empty cells as null") {
    auto rows = read_exported_rows(
        csv("2026-12-03T12:14:00Z,2026-12-03T12:14:00.250Z,enam,EWR,openai,m,t,200,,,310,290,8,1,"
            ",\n"
            "2026-12-03 12:16:00+00,2026-12-03 12:16:00.5+00,weur,,openai,m,false,500,server_error,"
            "provider,90,,,,req_7,\"500, \"\"boom\"\"\nsecond line\"\r\n"));
    REQUIRE(rows.ok());
    REQUIRE(rows.value().size() == 2);
    const Row& ok = rows.value()[0].row;
    CHECK(ok.ok);
    CHECK(ok.latency_ms == 310);
    CHECK(ok.ttfb_ms == 290);
    CHECK_FALSE(ok.request_id);
    CHECK_FALSE(ok.error_type);
    const Row& failed = rows.value()[1].row;
    CHECK_FALSE(failed.ok);
    CHECK(failed.error_type == ErrorType::server_error);
    CHECK_FALSE(failed.colo);
    CHECK(failed.detail == "500, \"boom\"\nsecond line");
    CHECK(failed.scheduled_at == "2026-12-03 12:16:00+00");
    CHECK(rows.value()[1].where == "line 3");
  }

  TEST_CASE("JSON rows read from an array and from wrangler d1's results wrapper") {
    std::string row = R"({"scheduled_at":"2026-12-03T12:14:00Z","ts":"2026-12-03T12:14:00.250Z",)"
                      R"("region":"enam","provider":"openai","model":"m","ok":1,"error_type":null,)"
                      R"("latency_ms":300,"id":17})";
    auto plain = read_exported_rows("[" + row + "]");
    REQUIRE(plain.ok());
    CHECK(plain.value().size() == 1);
    auto wrapped = read_exported_rows(R"([{"results":[)" + row + "," + row +
                                      R"(],"success":true,"meta":{}}])");
    REQUIRE(wrapped.ok());
    CHECK(wrapped.value().size() == 2);
    CHECK(wrapped.value()[0].row.ok);
    CHECK(wrapped.value()[1].where == "row 2");
  }

  TEST_CASE("bad input names the line or row and the field") {
    struct Case {
      std::string text;
      std::string error;
    };
    const Case cases[] = {
        {csv("2026-12-03T12:14:00Z,,enam,,openai,m,yes,,,,300,,,,,\n"),
         "line 2, ok: must be true, false, 1 or 0, got \"yes\""},
        {csv("2026-12-03T12:14:00Z,,enam,,openai,m,true,,,,300,,,,,\n"
             "2026-12-03T12:16:00Z,,enam,,openai,m,false,,,,300,,,,,\n"),
         "line 3, error_type: must name the error when ok is false"},
        {csv("2026-12-03T12:14:00Z,,enam,,openai,m,false,,melted,,300,,,,,\n"),
         "line 2, error_type: is not a known error type: \"melted\""},
        {csv("12/03/2026 12:14,,enam,,openai,m,true,,,,300,,,,,\n"),
         "line 2, scheduled_at: must be a UTC time such as 2026-12-03T12:14:00Z, got "
         "\"12/03/2026 12:14\""},
        {csv("2026-12-03T12:14:00Z,,enam,,openai,m,true,,,,-4,,,,,\n"),
         "line 2, latency_ms: must be a whole number >= 0, got \"-4\""},
        {csv("2026-12-03T12:14:00Z,,enam\n"), "line 2: has 3 cells where the header has 16"},
        {csv("2026-12-03T12:14:00Z,,enam,,openai,m,true,,,,300,,,,,\"open\n"),
         "line 2: a quoted cell is never closed"},
        {"scheduled_at,region,provider,model,ok,latency_ms\n",
         "line 1: the header has no column \"error_type\""},
        {R"([{"scheduled_at":"2026-12-03T12:14:00Z","region":"enam","provider":"openai",)"
         R"("model":"m","ok":"maybe","error_type":null,"latency_ms":1}])",
         "row 1, ok: must be true, false, 1 or 0, got \"maybe\""},
        {R"([{"scheduled_at":"2026-12-03T12:14:00Z","region":7}])",
         "row 1, region: must be a non-empty string, got 7"},
        {R"({"rows":[]})", "document: must be an array of row objects, or [{\"results\": [...]}]"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.text);
      CHECK(error_of(c.text) == c.error);
    }
  }

  TEST_CASE("a column or key given twice is refused, since readers disagree on which counts") {
    std::string header(kHeader);
    std::string doubled = header.substr(0, header.size() - 1) + ",latency_ms\n";
    CHECK(error_of(doubled + "2026-12-03T12:14:00Z,2026-12-03T12:14:00Z,enam,,openai,m,t,200,,,"
                             "310,,,,,,99999\n") ==
          "line 1: the header has the column \"latency_ms\" twice: which one holds the value "
          "cannot be told");
    CHECK(error_of(R"([{"scheduled_at":"2026-12-03T12:14:00Z","ts":"2026-12-03T12:14:00Z",)"
                   R"("region":"enam","provider":"openai","model":"m","ok":true,)"
                   R"("latency_ms":300,"latency_ms":99999}])") ==
          "row 1, latency_ms: is given twice: JSON readers disagree on which one counts");
  }

  TEST_CASE("values the stores would refuse are refused with the line and the column") {
    struct Case {
      std::string text;
      std::string error;
    };
    const std::string json_start =
        R"([{"scheduled_at":"2026-12-03T12:14:00Z","region":"enam","provider":"openai",)"
        R"("model":"m","ok":true,"error_type":null,)";
    const Case cases[] = {
        {csv("2026-02-30T00:00:00Z,,enam,,openai,m,true,,,,300,,,,,\n"),
         "line 2, scheduled_at: is not a date on the calendar, got \"2026-02-30T00:00:00Z\""},
        {csv("2026-12-03T12:14:00Z,2026-02-29T12:14:00.100Z,enam,,openai,m,true,,,,300,,,,,\n"),
         "line 2, ts: is not a date on the calendar, got \"2026-02-29T12:14:00.100Z\""},
        {csv("2026-12-03T12:14:00Z,,enam,,openai,m,true,42,,,300,,,,,\n"),
         "line 2, http_status: must be from 100 to 599, as the stores check, got \"42\""},
        {csv("2026-12-03T12:14:00Z,,enam,,openai,m,false,600,server_error,,300,,,,,\n"),
         "line 2, http_status: must be from 100 to 599, as the stores check, got \"600\""},
        {csv("2026-12-03T12:14:00Z,,enam,,openai,m,true,,,,9007199254740993,,,,,\n"),
         "line 2, latency_ms: is out of range: the stores hold at most 2147483647, got "
         "\"9007199254740993\""},
        {csv("2026-12-03T12:14:00Z,,enam,,openai,m,true,,,,300,2147483648,,,,\n"),
         "line 2, ttfb_ms: is out of range: the stores hold at most 2147483647, got "
         "\"2147483648\""},
        {json_start + R"("latency_ms":9007199254740993}])",
         "row 1, latency_ms: is out of range: the stores hold at most 2147483647, got "
         "9007199254740993"},
        {json_start + R"("latency_ms":300,"http_status":99}])",
         "row 1, http_status: must be from 100 to 599, as the stores check, got 99"},
        {csv("2026-12-03T12:14:30Z,,enam,,openai,m,true,,,,300,,,,,\n"),
         "line 2, scheduled_at: must be a whole minute, as the stores keep it, got "
         "\"2026-12-03T12:14:30Z\""},
        {csv("2026-12-03T12:14:00.250Z,,enam,,openai,m,true,,,,300,,,,,\n"),
         "line 2, scheduled_at: must be a whole minute, as the stores keep it, got "
         "\"2026-12-03T12:14:00.250Z\""},
        {csv("2026-12-31T23:59:60Z,,enam,,openai,m,true,,,,300,,,,,\n"),
         "line 2, scheduled_at: must be a whole minute, as the stores keep it, got "
         "\"2026-12-31T23:59:60Z\""},
    };
    for (const Case& c : cases) {
      CAPTURE(c.text);
      CHECK(error_of(c.text) == c.error);
    }
  }

  TEST_CASE("a region that is neither a location hint nor a vantage's name is refused") {
    const std::string hints = "wnam, enam, sam, weur, eeur, apac, oc, afr, me";
    for (const char* region : {"ENAM", "moon", "gha_eastus", "-gha"}) {
      CAPTURE(region);
      CHECK(error_of(csv(
                fmt::format("2026-12-03T12:14:00Z,,{},,openai,m,true,,,,300,,,,,\n", region))) ==
            fmt::format("line 2, region: is neither a Cloudflare location hint ({}) nor an "
                        "outside vantage's name (a-z, 0-9 and \"-\", with a \"-\", such as "
                        "gha-eastus), got \"{}\"",
                        hints, region));
    }
    auto read =
        read_exported_rows(csv("2026-12-03T12:14:00Z,,enam,,openai,m,true,,,,300,,,,,\n"
                               "2026-12-03T12:14:00Z,,gha-eastus,,openai,m,true,,,,300,,,,,\n"
                               "2026-12-03T12:14:00Z,,ext-laptop-2,,openai,m,true,,,,3,,,,,\n"));
    CHECK(read.ok());
  }

  TEST_CASE("values at the edges of what the stores hold are read") {
    auto rows = read_exported_rows(
        csv("2024-02-29T00:00:00Z,,enam,,openai,m,true,100,,,2147483647,0,,,,\n"
            "2026-12-31T23:59:00Z,,enam,,openai,m,false,599,server_error,,0,,,,,\n"));
    REQUIRE(rows.ok());
    REQUIRE(rows.value().size() == 2);
    CHECK(rows.value()[0].row.latency_ms == 2147483647);
    CHECK(rows.value()[0].row.http_status == 100);
    CHECK(rows.value()[1].row.http_status == 599);
  }

  TEST_CASE("a file that is no export says what it looks like instead") {
    struct Case {
      std::string text;
      std::string error;
    };
    const std::string row = R"({"scheduled_at":"2026-12-03T12:14:00Z","region":"enam",)";
    const std::string truncated =
        "not valid JSON: it ends before every [ and { is closed, so the file looks truncated";
    const Case cases[] = {
        {"<!DOCTYPE html>\n<html><head><title>Sign in</title></head></html>\n",
         "the file looks like an HTML page (it starts with \"<!DOCTYPE html>\"), not a CSV or "
         "JSON export"},
        {"", "the file is empty"},
        {"\n  \r\n", "the file holds nothing but white space"},
        {"[" + row, truncated},
        {"[" + row.substr(0, 30), truncated},
        {R"([{"results":[)" + row + R"("detail":"a \"quoted]\" }"})", truncated},
        {"scheduled_at;region;provider;model;ok;error_type;latency_ms\n"
         "2026-12-03T12:14:00Z;enam;openai;m;true;;300\n",
         "line 1: the header is separated by semicolons, not commas: the file must be "
         "comma-separated"},
        {"scheduled_at\tregion\tprovider\tmodel\tok\terror_type\tlatency_ms\n",
         "line 1: the header is separated by tabs, not commas: the file must be comma-separated"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.text);
      CHECK(error_of(c.text) == c.error);
    }
    // Closed but malformed: simdjson's reason, without its code's name.
    std::string malformed = error_of(R"([{"scheduled_at":1,,}])");
    CHECK(malformed.rfind("not valid JSON: it is malformed (simdjson: ", 0) == 0);
    CHECK(malformed.find("_ERROR") == std::string::npos);
  }

  TEST_CASE("wrangler's output of a failed query is refused with wrangler's own words") {
    std::string row =
        R"({"scheduled_at":"2026-12-03T12:14:00Z","region":"enam",)"
        R"("provider":"openai","model":"m","ok":1,"error_type":null,"latency_ms":300})";
    struct Case {
      std::string text;
      std::string error;
    };
    const Case cases[] = {
        {R"({"error":{"text":"A request to the Cloudflare API failed.","notes":[)"
         R"({"text":"no such table: llm_checks: SQLITE_ERROR [code: 7500]"}],)"
         R"("kind":"error","name":"APIError","code":7500}})",
         "wrangler reported an error, not rows: \"A request to the Cloudflare API failed.; no such "
         "table: llm_checks: SQLITE_ERROR [code: 7500]\""},
        {R"([{"results":[],"success":false,"meta":{},"error":"D1_ERROR: no such column: ok"}])",
         "wrangler reported \"success\": false, not rows: \"D1_ERROR: no such column: ok\""},
        {R"([{"results":[)" + row + R"(],"success":true},{"results":[],"success":false}])",
         "wrangler reported \"success\": false for statement 2, not rows"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.text);
      CHECK(error_of(c.text) == c.error);
    }
  }
}
