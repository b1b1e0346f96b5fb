#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "alerting.h"
#include "api.h"
#include "config.h"
#include "json-read.h"
#include "notify.h"
#include "status-rows.h"
#include "status-state.h"
#include "test-support.h"
#include "time-format.h"

using namespace heyhi;
using heyhi::testing::read_fixture;

namespace {

constexpr int64_t kMinute = 60000;
constexpr int64_t kNow = 1796299200000;  // 2026-12-03T12:00:00Z

const char* kSources =
    R"([{"id":"anthropic","provider":"anthropic","format":"statuspage",)"
    R"("url":"https://status.claude.com/api/v2/summary.json","components":["k8w3r06qmzrp"]}])";

Config config_with(const std::string& sources,
                   const std::string& targets = R"([{"provider":"anthropic","model":"c",)"
                                                R"("cadence_min":1}])") {
  std::string json = R"({"regions":["enam","weur"],"targets":)" + targets +
                     R"(,"status":{"cadence_min":1,"sources":)" + sources + "}}";
  auto parsed = parse_config(json);
  REQUIRE(parsed.ok());
  return parsed.value();
}

FetchOutcome page(std::string body, std::string type = "application/json", int status = 200) {
  FetchOutcome out;
  out.status = status;
  out.headers = {{"content-type", std::move(type)}, {"etag", "\"e1\""}};
  out.body = std::move(body);
  return out;
}

// The official view and feed states the alert rules get from stored status_sources rows.
EvaluationInput with_states(const Config& config, const std::vector<SourceState>& states,
                            EvaluationInput input) {
  JsonWriter w;
  w.begin_array();
  for (const SourceState& s : states) write_source_state(w, s);
  w.end_array();
  Document doc;
  REQUIRE(doc.parse(w.str()) == simdjson::SUCCESS);
  add_status_sources(config, doc.root(), input);
  return input;
}

std::vector<Row> failing_rows(int64_t now, int minutes) {
  std::vector<Row> rows;
  for (int m = 0; m < minutes; ++m) {
    for (const char* region : {"enam", "weur"}) {
      Row r;
      r.scheduled_at = iso_utc_minute(now - m * kMinute);
      r.ts = iso_utc_millis(now - m * kMinute + 300);
      r.region = region;
      r.provider = "anthropic";
      r.model = "c";
      r.ok = false;
      r.error_type = ErrorType::overloaded;
      r.latency_ms = 200;
      rows.push_back(r);
    }
  }
  return rows;
}

const AlertAction* action(const std::vector<AlertAction>& actions, ActionKind kind,
                          std::string_view rule) {
  for (const AlertAction& a : actions) {
    if (a.kind == kind && a.alert.rule == rule) return &a;
  }
  return nullptr;
}

}  // namespace

TEST_SUITE("status in the alert rules") {
  TEST_CASE(
      "a feed that keeps failing opens one configuration alert for it and resolves on repair") {
    Config config = config_with(kSources);
    const StatusSource& source = config.status.sources.front();
    FetchResult good =
        apply_fetch(source, nullptr, page(read_fixture("status/statuspage_incidents.json")), kNow);
    FetchResult bad1 = apply_fetch(source, &good.next, page("<html>", "text/html"), kNow + kMinute);
    FetchResult bad2 =
        apply_fetch(source, &bad1.next, page("<html>", "text/html"), kNow + 2 * kMinute);

    EvaluationInput once = with_states(config, {bad1.next}, {kNow + kMinute, {}, {}, {}});
    CHECK(evaluate(config, once).empty());

    EvaluationInput twice = with_states(config, {bad2.next}, {kNow + 2 * kMinute, {}, {}, {}});
    auto opened = evaluate(config, twice);
    REQUIRE(opened.size() == 1);
    const Alert& alert = opened[0].alert;
    CHECK(opened[0].kind == ActionKind::open);
    CHECK(alert.rule == "configuration");
    CHECK(alert.scope == "status:anthropic");
    CHECK(alert.verdict == "ours");
    CHECK(alert.title == "Anthropic status page unreadable (anthropic)");
    CHECK(alert.detail.find("HTML where JSON was expected") != std::string::npos);
    CHECK(alert.detail.find("nothing is marked recovered") != std::string::npos);
    CHECK(alert.fix->find("status source \"anthropic\"") != std::string::npos);
    CHECK(alert.official_status == "operational");

    std::vector<OpenAlert> open = {
        {"configuration", "status:anthropic", kNow + 2 * kMinute, kNow + 2 * kMinute}};
    FetchResult bad3 =
        apply_fetch(source, &bad2.next, page("", "text/plain", 403), kNow + 3 * kMinute);
    EvaluationInput still = with_states(config, {bad3.next}, {kNow + 3 * kMinute, {}, open, {}});
    CHECK(evaluate(config, still).empty());
    EvaluationInput unread{kNow + 3 * kMinute, {}, open, {}};
    CHECK(evaluate(config, unread).empty());

    FetchResult fixed =
        apply_fetch(source, &bad3.next, page(read_fixture("status/statuspage_incidents.json")),
                    kNow + 4 * kMinute);
    EvaluationInput repaired =
        with_states(config, {fixed.next}, {kNow + 4 * kMinute, {}, open, {}});
    auto resolved = evaluate(config, repaired);
    REQUIRE(resolved.size() == 1);
    CHECK(resolved[0].kind == ActionKind::resolve);
    CHECK(resolved[0].alert.scope == "status:anthropic");
  }

  TEST_CASE("an unreadable page of a provider no target probes opens nothing; an open one ends") {
    // Only Anthropic is probed; Mistral's page is configured but compared with nothing.
    std::string sources =
        R"([{"id":"anthropic","provider":"anthropic","format":"statuspage",)"
        R"("url":"https://status.claude.com/api/v2/summary.json","components":["k8w3r06qmzrp"]},)"
        R"({"id":"mistral","provider":"mistral","format":"instatus",)"
        R"("url":"https://status.mistral.ai/summary.json"}])";
    Config config = config_with(sources);
    std::vector<SourceState> broken;
    for (const StatusSource& source : config.status.sources) {
      FetchResult bad1 = apply_fetch(source, nullptr, page("<html>", "text/html"), kNow);
      broken.push_back(
          apply_fetch(source, &bad1.next, page("<html>", "text/html"), kNow + kMinute).next);
    }
    auto opened = evaluate(config, with_states(config, broken, {kNow + kMinute, {}, {}, {}}));
    REQUIRE(opened.size() == 1);
    CHECK(opened[0].alert.scope == "status:anthropic");

    std::vector<OpenAlert> open = {{"configuration", "status:mistral", kNow, kNow}};
    auto ended = evaluate(config, with_states(config, broken, {kNow + kMinute, {}, open, {}}));
    REQUIRE(ended.size() == 2);
    CHECK(ended[1].kind == ActionKind::resolve);
    CHECK(ended[1].alert.scope == "status:mistral");
    CHECK(ended[1].notify);  // it was sent, so its end is too
    CHECK(ended[1].alert.title == "status:mistral configuration: no longer monitored");
  }

  TEST_CASE("a broken feed keeps the status it last read: an open mismatch is not recovered") {
    Config config = config_with(kSources);
    const StatusSource& source = config.status.sources.front();
    FetchResult good =
        apply_fetch(source, nullptr, page(read_fixture("status/statuspage_incidents.json")), kNow);
    FetchResult broken = apply_fetch(source, &good.next, page("{\"moved\":true}"), kNow + kMinute);
    REQUIRE(broken.state == "failed");
    int64_t now = kNow + 3 * kMinute;
    std::vector<OpenAlert> open = {
        {"official_mismatch", "anthropic/c", now - 5 * kMinute, now - 5 * kMinute}};
    std::vector<Row> rows = failing_rows(now, 6);

    EvaluationInput kept = with_states(config, {broken.next}, {now, rows, open, {}});
    CHECK(kept.official.at("anthropic") == "operational");
    CHECK_FALSE(action(evaluate(config, kept), ActionKind::resolve, "official_mismatch"));

    // Without the kept reading the page would count as unknown, and the mismatch would end.
    EvaluationInput forgotten{now, rows, open, {}};
    CHECK(action(evaluate(config, forgotten), ActionKind::resolve, "official_mismatch"));
  }

  TEST_CASE("an outage under a green status page is alerted with the official status") {
    Config config = config_with(kSources);
    FetchResult good = apply_fetch(config.status.sources.front(), nullptr,
                                   page(read_fixture("status/statuspage_incidents.json")), kNow);
    EvaluationInput input = with_states(
        config, {good.next}, {kNow + 5 * kMinute, failing_rows(kNow + 5 * kMinute, 5), {}, {}});
    auto actions = evaluate(config, input);
    const AlertAction* outage = action(actions, ActionKind::open, "provider_errors");
    REQUIRE(outage);
    CHECK(outage->alert.official_status == "operational");
    CHECK_FALSE(outage->alert.official_acknowledged_at);
  }

  TEST_CASE("an alert carries the provider's acknowledgement and the minutes from its opening") {
    Config config = config_with(kSources);
    FetchResult critical = apply_fetch(
        config.status.sources.front(), nullptr,
        page(read_fixture("status/statuspage_incident_critical.json")), kNow + 8 * 60 * kMinute);
    // The incident was created at 19:38Z; our alert opened at 19:24Z.
    int64_t opened = *parse_iso_utc("2026-12-03T19:24:00Z");
    int64_t now = *parse_iso_utc("2026-12-03T20:00:00Z");
    std::vector<OpenAlert> open = {{"provider_errors", "anthropic/c", opened, opened}};
    EvaluationInput input = with_states(config, {critical.next}, {now, {}, open, {}});
    CHECK(input.official.at("anthropic") == "major_outage");
    std::vector<Row> clean;
    for (int m = 0; m < 12; ++m) {
      Row r = failing_rows(now - m * kMinute, 1)[0];
      r.ok = true;
      r.error_type.reset();
      clean.push_back(r);
    }
    input.rows = clean;
    auto actions = evaluate(config, input);
    const AlertAction* resolved = action(actions, ActionKind::resolve, "provider_errors");
    REQUIRE(resolved);
    CHECK(resolved->alert.official_acknowledged_at.value_or("") == "2026-12-03T19:38:00Z");
    CHECK(resolved->alert.official_lag_min == 14);
    CHECK(resolved->alert.official_status == "major_outage");
  }

  TEST_CASE("the official status is the worst of a provider's sources; an unread one is unknown") {
    Config config = config_with(
        R"([{"id":"vertex","provider":"gemini","format":"google_cloud","url":"https://a.example/i",)"
        R"("components":["Z0FZJAMvEB4j3NbCJs6B"]},)"
        R"({"id":"studio","provider":"gemini","format":"aistudio","url":"https://b.example/s"}])");
    FetchResult vertex =
        apply_fetch(config.status.sources[0], nullptr,
                    page(read_fixture("status/google_cloud_incidents.json")), kNow);
    auto one = official_status(config.status, {vertex.next});
    CHECK(one.at("gemini").status == "major_outage");
    FetchResult quiet = apply_fetch(config.status.sources[0], nullptr, page("[]"), kNow);
    CHECK(official_status(config.status, {quiet.next}).at("gemini").status == "unknown");
    FetchResult studio = apply_fetch(config.status.sources[1], nullptr, page("[[[]]]"), kNow);
    REQUIRE(studio.state == "empty");
    CHECK(official_status(config.status, {quiet.next, studio.next}).at("gemini").status ==
          "operational");
  }
}

TEST_SUITE("acknowledgement lag") {
  SourceState with_incident(int64_t first_ms, bool counts = true) {
    SourceState s;
    s.source = "anthropic";
    s.provider = "anthropic";
    s.incidents.push_back({"inc1", "Elevated errors", "https://stspg.io/x", "partial_outage", true,
                           counts, false, first_ms, first_ms});
    return s;
  }

  TEST_CASE("minutes from our first alert of an episode to the provider's first acknowledgement") {
    int64_t t = kNow;
    std::vector<AlertOpening> alerts = {
        {"provider_errors", "anthropic/c", "anthropic", "provider", t, t + 40 * kMinute},
        {"regional", "anthropic/c@weur", "anthropic", "provider", t + 10 * kMinute, std::nullopt},
        {"configuration", "anthropic/c", "anthropic", "ours", t - 30 * kMinute, std::nullopt}};
    auto lags = acknowledgement_lags(alerts, {with_incident(t + 14 * kMinute)}, t + 60 * kMinute);
    REQUIRE(lags.size() == 1);
    CHECK(lags[0].lag_min == 14);
    CHECK(lags[0].alert_rule == "provider_errors");
    CHECK(lags[0].first_alert_ms == t);
    CHECK(lags[0].source_id == "inc1");
  }

  TEST_CASE("a provider that said it first has a negative lag; unrelated incidents do not pair") {
    int64_t t = kNow;
    std::vector<AlertOpening> alerts = {
        {"official_mismatch", "anthropic/c", "anthropic", "provider", t, t + 20 * kMinute}};
    auto first = acknowledgement_lags(alerts, {with_incident(t - 7 * kMinute)}, t + kMinute);
    REQUIRE(first.size() == 1);
    CHECK(first[0].lag_min == -7);
    CHECK(acknowledgement_lags(alerts, {with_incident(t + 5 * 60 * kMinute)}, t).empty());
    CHECK(acknowledgement_lags(alerts, {with_incident(t + kMinute, false)}, t).empty());
  }

  TEST_CASE("the lag export answers one row per acknowledged episode") {
    SourceState s = with_incident(kNow + 9 * kMinute);
    JsonWriter rows;
    rows.begin_array();
    write_source_state(rows, s);
    rows.end_array();
    std::string in = R"({"now_ms":)" + std::to_string(kNow + 30 * kMinute) +
                     R"(,"alerts":[{"rule":"provider_errors","scope":"anthropic/c",)"
                     R"("provider":"anthropic","verdict":"provider","opened_at":")" +
                     iso_utc_minute(kNow) + R"(","resolved_at":null}],"sources":)" + rows.str() +
                     "}";
    Document doc;
    REQUIRE(doc.parse(api_status_lag(in)) == simdjson::SUCCESS);
    auto lags = member(doc.root(), "lags");
    REQUIRE(lags);
    element first;
    REQUIRE(lags->at(0).get(first) == simdjson::SUCCESS);
    CHECK(int_at(first, "lag_min") == 9);
    CHECK(string_at(first, "acknowledged_at") == iso_utc_millis(kNow + 9 * kMinute));
    CHECK(string_at(first, "incident_url") == "https://stspg.io/x");
  }
}

TEST_SUITE("status plan") {
  TEST_CASE("a source is due at its cadence, least recently fetched first, conditionally") {
    Config config = config_with(
        R"([{"id":"a","provider":"anthropic","format":"statuspage","url":"https://a.example/s",)"
        R"("cadence_min":5},{"id":"b","provider":"openai","format":"incidentio",)"
        R"("url":"https://b.example/s","cadence_min":5}])");
    int64_t base = kNow;
    std::vector<SourceState> states;
    for (const StatusSource& s : config.status.sources) {
      FetchResult r = apply_fetch(s, nullptr, page(R"({"components":[],"incidents":[]})"),
                                  s.id == "a" ? base : base + kMinute);
      states.push_back(r.next);
    }
    CHECK(due_sources(config.status, states, base + 4 * kMinute).empty());
    auto due = due_sources(config.status, states, base + 6 * kMinute);
    REQUIRE(due.size() == 2);
    CHECK(due[0]->id == "a");

    JsonWriter rows;
    rows.begin_array();
    for (const SourceState& s : states) write_source_state(rows, s);
    rows.end_array();
    std::string config_text =
        R"({"targets":[{"provider":"anthropic","model":"m"}],"status":{"sources":[)"
        R"({"id":"a","provider":"anthropic","format":"statuspage",)"
        R"("url":"https://a.example/s","cadence_min":5}]}})";
    std::string in = R"({"config":)" + config_text + R"(,"scheduled_ms":)" +
                     std::to_string(base + 6 * kMinute) + R"(,"sources":)" + rows.str() + "}";
    Document doc;
    REQUIRE(doc.parse(api_status_plan(in)) == simdjson::SUCCESS);
    element first;
    REQUIRE(member(doc.root(), "due")->at(0).get(first) == simdjson::SUCCESS);
    auto headers = member(member(first, "request"), "headers");
    REQUIRE(headers);
    CHECK(string_at(*headers, "if-none-match") == "\"e1\"");
    CHECK(string_at(*headers, "accept") == "application/json");
  }

  TEST_CASE("a provider no enabled target probes has its status page left unfetched") {
    std::string sources =
        R"("status":{"sources":[{"id":"a","provider":"anthropic","format":"statuspage",)"
        R"("url":"https://a.example/s"},{"id":"b","provider":"openai","format":"incidentio",)"
        R"("url":"https://b.example/s"}]})";
    // The sources due in any minute of one cadence, by id.
    auto due_ids = [&](const std::string& targets) {
      std::set<std::string> ids;
      for (int m = 0; m < 5; ++m) {
        std::string in = R"({"scheduled_ms":)" + std::to_string(kNow + m * kMinute) +
                         R"(,"config":{"targets":)" + targets + "," + sources + "}}";
        Document doc;
        REQUIRE(doc.parse(api_status_plan(in)) == simdjson::SUCCESS);
        for (element s : items(*member(doc.root(), "due"))) ids.emplace(*string_at(s, "source_id"));
      }
      return ids;
    };
    CHECK(due_ids(R"([{"provider":"openai","model":"m"}])") == std::set<std::string>{"b"});
    CHECK(due_ids(R"([{"provider":"openai","model":"m"},{"provider":"anthropic","model":"n",)"
                  R"("enabled":false}])") == std::set<std::string>{"b"});
    CHECK(due_ids(R"([{"provider":"openai","model":"m"},{"provider":"anthropic","model":"n"}])")
              .size() == 2);
  }
}

TEST_SUITE("status in notifications") {
  TEST_CASE("the official status and the acknowledgement show next to the measured figures") {
    std::string in = R"({"kind":"open","alert":{"rule":"provider_errors","scope":"anthropic/c",)"
                     R"("provider":"anthropic","model":"c","verdict":"provider","title":"down",)"
                     R"("official_status":"major_outage","official_acknowledged_at":)"
                     R"("2026-12-03T19:38:00Z","official_lag_min":14,)"
                     R"("opened_at":"2026-12-03T19:24:00Z","measured":{"failure_rate":1}}})";
    std::string answer = api_render_notification(in);
    Document doc;
    REQUIRE(doc.parse(answer) == simdjson::SUCCESS);
    auto webhook = member(member(doc.root(), "webhook"), "alert");
    REQUIRE(webhook);
    CHECK(string_at(*webhook, "official_status") == "outage");
    CHECK(int_at(*webhook, "official_lag_min") == 14);
    CHECK(answer.find("major outage, acknowledged") != std::string::npos);
    CHECK(answer.find("(14 min after this alert)") != std::string::npos);
    auto slack = member(doc.root(), "slack");
    REQUIRE(slack);
    CHECK(validate_slack_message(simdjson::minify(*slack)).empty());
  }
}
