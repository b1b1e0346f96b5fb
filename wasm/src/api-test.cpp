#include "api.h"

#include <string>

#include <doctest/doctest.h>

#include "json-read.h"

using namespace heyhi;

namespace {

constexpr const char* kConfig =
    R"({"regions":["enam"],"provider_origin":"http://127.0.0.1:9100","targets":[
        {"provider":"anthropic","model":"claude-haiku-5-5","cadence_min":1,"timeout_ms":2500},
        {"provider":"gemini","model":"gemini-3.8-flash","cadence_min":1}]})";

struct Answer {
  Document doc;
  element root() { return doc.root(); }
  bool ok() { return bool_at(doc.root(), "ok").value_or(false); }
  std::string first_error_field() {
    auto errors = member(doc.root(), "errors");
    if (!errors) return "<none>";
    element first;
    if (errors->at(0).get(first) != simdjson::SUCCESS) return "<none>";
    return std::string(string_at(first, "field").value_or("<none>"));
  }
};

void parse_into(Answer& answer, const std::string& text) {
  REQUIRE(answer.doc.parse(text) == simdjson::SUCCESS);
}

std::string classify_input(std::string_view outcome) {
  return std::string(R"({"provider":"anthropic","model":"claude-haiku-5-5","region":"enam",)") +
         R"("scheduled_ms":1796300040000,"started_ms":1796300040005,"timeout_ms":3000,"outcome":)" +
         std::string(outcome) + "}";
}

}  // namespace

TEST_SUITE("api") {
  TEST_CASE("validate_config answers the normalised targets") {
    Answer a;
    parse_into(a, api_validate_config(kConfig));
    REQUIRE(a.ok());
    auto targets = member(member(a.root(), "config"), "targets");
    REQUIRE(targets);
    element first;
    REQUIRE(targets->at(0).get(first) == simdjson::SUCCESS);
    CHECK(string_at(first, "id") == "anthropic/claude-haiku-5-5");
    CHECK(int_at(first, "timeout_ms") == 2500);
  }

  TEST_CASE("validate_config lists errors with their fields") {
    Answer a;
    parse_into(a, api_validate_config(R"({"targets":[{"provider":"nope","model":"m"}]})"));
    CHECK_FALSE(a.ok());
    CHECK(a.first_error_field() == "targets[0].provider");
  }

  TEST_CASE("plan returns each due probe with its request and no credential") {
    Answer a;
    std::string in = std::string(R"({"scheduled_ms":1796300040000,"config":)") + kConfig + "}";
    std::string out = api_plan(in);
    parse_into(a, out);
    REQUIRE(a.ok());
    CHECK(string_at(a.root(), "scheduled_at") == "2026-12-03T12:14:00Z");
    auto due = member(a.root(), "due");
    REQUIRE(due);
    CHECK(items(*due).size() == 2);
    element first;
    REQUIRE(due->at(0).get(first) == simdjson::SUCCESS);
    auto request = member(first, "request");
    CHECK(string_at(*request, "url") == "http://127.0.0.1:9100/anthropic/v1/messages");
    CHECK(string_at(*member(*request, "auth"), "secret_name") == "ANTHROPIC_API_KEY");
    CHECK(string_at(*member(*request, "headers"), "anthropic-version") == "2023-06-01");
    CHECK(int_at(first, "timeout_ms") == 2500);
    CHECK(string_at(*member(*request, "headers"), "x-heyhi-region") == "enam");
    element region;
    REQUIRE(member(a.root(), "regions")->at(0).get(region) == simdjson::SUCCESS);
    CHECK(string_at(region, "region") == "enam");
    CHECK(string_at(*member(region, "colo_trace"), "url") == "http://127.0.0.1:9100/cdn-cgi/trace");
  }

  TEST_CASE("build_request names the region it is probed from only when asked") {
    auto request_for = [](Answer& a, const std::string& with) {
      parse_into(a, api_build_request(R"({"target_id":"anthropic/claude-haiku-5-5")" + with +
                                      R"(,"config":)" + kConfig + "}"));
      REQUIRE(a.ok());
      return *member(member(a.root(), "request"), "headers");
    };
    Answer plain;
    CHECK_FALSE(string_at(request_for(plain, ""), "x-heyhi-region"));
    Answer outside;
    CHECK(string_at(request_for(outside, R"(,"region":"gha-eastus")"), "x-heyhi-region") ==
          "gha-eastus");
  }

  TEST_CASE("build_request refuses a target the configuration does not have") {
    Answer a;
    parse_into(a, api_build_request(std::string(R"({"target_id":"openai/none","config":)") +
                                    kConfig + "}"));
    CHECK_FALSE(a.ok());
    CHECK(a.first_error_field() == "target_id");
  }

  TEST_CASE("plan confirms a recent provider failure with probes marked confirm") {
    std::string config = R"({"regions":["enam","weur"],"targets":[
      {"provider":"openai","model":"a","cadence_min":15}]})";
    std::string recent = R"([{"scheduled_at":"2026-12-03T12:13:00Z","ts":"2026-12-03T12:13:00.200Z",
      "region":"enam","provider":"openai","model":"a","ok":false,"http_status":503,
      "error_type":"overloaded","latency_ms":300}])";
    auto due_at = [&](int64_t ms, const std::string& with) {
      Answer a;
      parse_into(a, api_plan(R"({"scheduled_ms":)" + std::to_string(ms) + with + R"(,"config":)" +
                             config + "}"));
      REQUIRE(a.ok());
      std::vector<std::string> reasons;
      for (element probe : items(*member(a.root(), "due"))) {
        reasons.emplace_back(*string_at(probe, "reason"));
      }
      return reasons;
    };
    // Within two minutes of each other, at most one is the target's slot on a 15-min cadence.
    int64_t ms = 1796300040000;  // 12:14
    if (!due_at(ms, "").empty()) ms += 60000;
    REQUIRE(due_at(ms, "").empty());
    CHECK(due_at(ms, R"(,"recent":)" + recent) == std::vector<std::string>{"confirm", "confirm"});
    // The target's open provider_errors alert already explains failures from both regions.
    std::string both = recent.substr(0, recent.size() - 1) +
                       R"(,{"scheduled_at":"2026-12-03T12:12:00Z","ts":"2026-12-03T12:12:00.300Z",
      "region":"weur","provider":"openai","model":"a","ok":false,"http_status":503,
      "error_type":"overloaded","latency_ms":300}])";
    std::string open = R"(,"open_alerts":[{"rule":"provider_errors","scope":"openai/a",
      "opened_at":"2026-12-03T12:10:00.000Z","last_notified_at":null}])";
    CHECK(due_at(ms, R"(,"recent":)" + both).size() == 2);
    CHECK(due_at(ms, R"(,"recent":)" + both + open).empty());

    Answer unreadable;
    parse_into(unreadable, api_plan(R"({"scheduled_ms":1796300040000,"open_alerts":[{"rule":"x"}],
      "config":)" + config + "}"));
    CHECK_FALSE(unreadable.ok());
    CHECK(unreadable.first_error_field() == "open_alerts[0]");

    Answer bad;
    parse_into(bad, api_plan(R"({"scheduled_ms":1796300040000,"recent":[{"ok":"yes"}],"config":)" +
                             config + "}"));
    CHECK_FALSE(bad.ok());
    CHECK(bad.first_error_field().rfind("recent[0]", 0) == 0);
  }

  TEST_CASE("plan names the bad field inside the embedded configuration") {
    Answer a;
    parse_into(a, api_plan(R"({"scheduled_ms":1,"config":{"targets":[]}})"));
    CHECK_FALSE(a.ok());
    CHECK(a.first_error_field() == "config.targets");
    Answer b;
    parse_into(b, api_plan(std::string(R"({"config":)") + kConfig + "}"));
    CHECK(b.first_error_field() == "scheduled_ms");
  }

  TEST_CASE("classify reads headers in any case and returns one row") {
    Answer a;
    parse_into(
        a, api_classify(classify_input(
               R"({"status":529,"headers":{"Content-Type":"application/json","Request-Id":"req_1"},
                          "body":"{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}",
                          "ms_to_headers":95.2,"ms_total":101.7})")));
    REQUIRE(a.ok());
    auto row = *member(a.root(), "row");
    CHECK(string_at(row, "error_type") == "overloaded");
    CHECK(string_at(row, "attribution") == "provider");
    CHECK(string_at(row, "request_id") == "req_1");
    CHECK(int_at(row, "latency_ms") == 102);
    CHECK(int_at(row, "ttfb_ms") == 95);
    CHECK(string_at(row, "ts") == "2026-12-03T12:14:00.005Z");
  }

  TEST_CASE("classify turns a thrown fetch into a transport row") {
    Answer a;
    parse_into(
        a,
        api_classify(classify_input(
            R"({"error":{"name":"TimeoutError","message":"The operation timed out","timed_out":true},"ms_total":3000})")));
    REQUIRE(a.ok());
    auto row = *member(a.root(), "row");
    CHECK(string_at(row, "error_type") == "timeout");
    CHECK(member(row, "http_status")->is_null());
  }

  TEST_CASE("classify refuses input it cannot attribute") {
    Answer a;
    parse_into(a, api_classify(R"({"provider":"acme","model":"m","scheduled_ms":1,"outcome":{}})"));
    CHECK_FALSE(a.ok());
    CHECK(a.first_error_field() == "provider");
    Answer b;
    parse_into(b, api_classify("{"));
    CHECK_FALSE(b.ok());
  }

  TEST_CASE("insert_body gives every row the same keys in the same order") {
    std::string rows =
        R"([{"scheduled_at":"2026-12-03T12:14:00Z","ts":"2026-12-03T12:14:00.005Z","region":"enam",
             "provider":"openai","model":"a","ok":true,"latency_ms":120,"tokens_in":8,"extra":"dropped"},
            {"scheduled_at":"2026-12-03T12:14:00Z","ts":"2026-12-03T12:14:00.006Z","region":"enam",
             "provider":"openai","model":"b","ok":false,"error_type":"timeout","latency_ms":3000}])";
    Answer a;
    parse_into(a, api_insert_body(rows));
    REQUIRE(a.ok());
    CHECK(int_at(a.root(), "count") == 2);
    auto body = member(a.root(), "body");
    REQUIRE(body);
    std::vector<std::vector<std::string>> keys;
    for (element row : items(*body)) {
      keys.emplace_back();
      for (auto [key, value] : fields(row)) {
        (void)value;
        keys.back().emplace_back(key);
      }
    }
    REQUIRE(keys.size() == 2);
    CHECK(keys[0].size() == 16);
    CHECK(keys[0] == keys[1]);
    element second;
    REQUIRE(body->at(1).get(second) == simdjson::SUCCESS);
    CHECK(string_at(second, "attribution") == "provider");
    CHECK(member(second, "tokens_in")->is_null());
  }

  TEST_CASE("insert_body names the first bad row") {
    Answer a;
    parse_into(a, api_insert_body(R"({"rows":[{"scheduled_at":"x","ts":"y","region":"r",
        "provider":"p","model":"m","ok":true,"error_type":"timeout","latency_ms":1}]})"));
    CHECK_FALSE(a.ok());
    CHECK(a.first_error_field() == "rows[0].error_type");
  }

  TEST_CASE("a row is read whatever its key order; of a repeated key the first counts") {
    Answer a;
    parse_into(a, api_insert_body(R"([{"latency_ms":7,"ok":false,"model":"m","provider":"openai",
        "region":"enam","ts":"t","scheduled_at":"s","error_type":"timeout","detail":"first",
        "detail":"second","colo":17,"tokens_in":"8"}])"));
    REQUIRE(a.ok());
    element row;
    REQUIRE(member(a.root(), "body")->at(0).get(row) == simdjson::SUCCESS);
    CHECK(string_at(row, "scheduled_at") == "s");
    CHECK(string_at(row, "error_type") == "timeout");
    CHECK(int_at(row, "latency_ms") == 7);
    CHECK(string_at(row, "detail") == "first");
    // A value of the wrong type in an optional column is read as absent.
    CHECK(member(row, "colo")->is_null());
    CHECK(member(row, "tokens_in")->is_null());

    Answer refused;
    parse_into(refused, api_insert_body(R"([{"scheduled_at":"s","ts":"t","region":"enam",
        "provider":"openai","model":"m","ok":"true","latency_ms":1}])"));
    CHECK(refused.first_error_field() == "rows[0].ok");
  }

  TEST_CASE("summarize reports per-target counts and percentiles") {
    std::string rows =
        R"([{"scheduled_at":"a","ts":"a","region":"r","provider":"openai","model":"m","ok":true,"latency_ms":10},
            {"scheduled_at":"a","ts":"a","region":"r","provider":"openai","model":"m","ok":false,"error_type":"overloaded","latency_ms":5}])";
    Answer a;
    parse_into(a, api_summarize(rows));
    REQUIRE(a.ok());
    element first;
    REQUIRE(member(a.root(), "targets")->at(0).get(first) == simdjson::SUCCESS);
    CHECK(int_at(first, "probes") == 2);
    CHECK(int_at(*member(first, "by_error_type"), "overloaded") == 1);
    CHECK(int_at(first, "p95_ms") == 10);
  }
}
