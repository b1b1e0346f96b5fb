#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "api.h"
#include "config.h"
#include "json-read.h"
#include "status-reading.h"
#include "status-state.h"
#include "test-support.h"
#include "time-format.h"

using namespace heyhi;
using heyhi::testing::read_fixture;

namespace {

constexpr int64_t kNow = 1796299200000;  // 2026-12-03T12:00:00Z
constexpr const char* kClaudeApi = "k8w3r06qmzrp";
constexpr const char* kOpenaiChat = "01JMXBRMFE6N2NNT7DG6XZQ6PW";
constexpr const char* kOpenaiVideo = "01JMXCAX0QN2ZHVMS54EEN1HXB";

std::string config_json(const std::string& sources, const std::string& extra = "") {
  return R"({"regions":["enam","weur"],"targets":[{"provider":"openai","model":"m","cadence_min":1},)"
         R"({"provider":"anthropic","model":"c","cadence_min":1}],"status":{"cadence_min":1,)"
         R"("sources":[)" +
         sources + "]}" + extra + "}";
}

Config config_with(const std::string& sources) {
  auto parsed = parse_config(config_json(sources));
  REQUIRE(parsed.ok());
  return parsed.value();
}

std::string source_json(std::string_view id, std::string_view provider, std::string_view format,
                        std::string_view components, std::string_view extra = "") {
  return std::string(R"({"id":")") + std::string(id) + R"(","provider":")" + std::string(provider) +
         R"(","format":")" + std::string(format) + R"(","url":"https://status.example.com/x",)" +
         R"("components":)" + std::string(components) + std::string(extra) + "}";
}

FetchOutcome page(std::string body, std::string content_type = "application/json",
                  int status = 200) {
  FetchOutcome out;
  out.status = status;
  out.headers = {{"content-type", std::move(content_type)}, {"etag", "\"v1\""}};
  out.body = std::move(body);
  return out;
}

struct Fetch {
  Config config;
  FetchResult result;
  const StatusSource& source() const { return config.status.sources.front(); }
};

Fetch fetch_fixture(const std::string& source, const std::string& fixture,
                    std::string content_type = "application/json", int64_t now = kNow) {
  Fetch f{config_with(source), {}};
  f.result = apply_fetch(f.config.status.sources.front(), nullptr,
                         page(read_fixture(fixture), std::move(content_type)), now);
  return f;
}

const StatusEventRow* event_for(const FetchResult& r, std::string_view source_id,
                                std::string_view status) {
  for (const StatusEventRow& e : r.events) {
    if (e.source_id == source_id && e.status == status) return &e;
  }
  return nullptr;
}

const StoredComponent* component(const FetchResult& r, std::string_view id) {
  for (const StoredComponent& c : r.next.components) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

}  // namespace

TEST_SUITE("status vocabulary") {
  TEST_CASE("every component status of Statuspage and incident.io maps, and nothing else") {
    struct Case {
      const char* from;
      const char* to;
    };
    for (Case c : {Case{"operational", "operational"}, Case{"degraded_performance", "degraded"},
                   Case{"partial_outage", "partial_outage"}, Case{"major_outage", "major_outage"},
                   Case{"full_outage", "major_outage"}, Case{"under_maintenance", "maintenance"},
                   Case{"Operational", "unknown"}, Case{"", "unknown"}, Case{"green", "unknown"}}) {
      CAPTURE(c.from);
      CHECK(component_status(c.from) == c.to);
    }
  }

  TEST_CASE("impacts and the page indicator map, and an unknown value is never operational") {
    CHECK(impact_name("none") == "none");
    CHECK(impact_name("critical") == "critical");
    CHECK(impact_name("maintenance") == "maintenance");
    CHECK(impact_name("severe") == "unknown");
    CHECK(effect_of_impact("none") == "degraded");
    CHECK(effect_of_impact("minor") == "degraded");
    CHECK(effect_of_impact("major") == "partial_outage");
    CHECK(effect_of_impact("critical") == "major_outage");
    CHECK(effect_of_impact("maintenance") == "maintenance");
    CHECK(effect_of_impact("apocalyptic") == "unknown");
    CHECK(indicator_status("none") == "operational");
    CHECK(indicator_status("major") == "partial_outage");
    CHECK(indicator_status("critical") == "major_outage");
    CHECK(indicator_status("weird") == "unknown");
  }

  TEST_CASE("the worse of two statuses ranks unknown above operational") {
    CHECK(worse("operational", "unknown") == "unknown");
    CHECK(worse("unknown", "degraded") == "degraded");
    CHECK(worse("maintenance", "operational") == "maintenance");
    CHECK(worse("major_outage", "partial_outage") == "major_outage");
  }

  TEST_CASE("times with offsets, as the sources write them") {
    CHECK(parse_rfc3339("2026-12-03T11:38:00-08:00") == parse_iso_utc("2026-12-03T19:38:00Z"));
    CHECK(parse_rfc3339("2026-12-03T11:34:12+00:00") == parse_iso_utc("2026-12-03T11:34:12Z"));
    CHECK(parse_rfc3339("2026-12-03T11:30:00.517+01:00") ==
          parse_iso_utc("2026-12-03T10:30:00.517Z"));
    CHECK_FALSE(parse_rfc3339("yesterday"));
    CHECK(parse_rfc822("Wed, 03 Dec 2026 11:40:00 +0000") == parse_iso_utc("2026-12-03T11:40:00Z"));
    CHECK(parse_rfc822("Tue, 2 Dec 2026 22:00:00 GMT") == parse_iso_utc("2026-12-02T22:00:00Z"));
    CHECK(parse_rfc822("Tue, 02 Dec 2026 17:00 EST") == parse_iso_utc("2026-12-02T22:00:00Z"));
    CHECK_FALSE(parse_rfc822("Tue, 02 Foo 2026 17:00 EST"));
  }
}

TEST_SUITE("status adapters") {
  TEST_CASE("the real OpenAI incident.io page: Chat is operational, the ongoing incident is kept") {
    std::string components = std::string(R"([")") + kOpenaiChat + "\"]";
    Fetch f = fetch_fixture(source_json("openai", "openai", "incidentio", components),
                            "real/openai_incidentio_proxy_status.json");
    REQUIRE(f.result.state == "events");
    CHECK(f.result.next.status == "operational");
    REQUIRE(component(f.result, kOpenaiChat));
    CHECK(component(f.result, kOpenaiChat)->name == "Chat");
    const StatusEventRow* incident = event_for(f.result, "01JRB888M6TJVDDKGCA1YZ3ZHT", "degraded");
    REQUIRE(incident);
    CHECK(incident->component == kOpenaiVideo);
    CHECK(incident->source == "incidentio");
    CHECK(incident->impact == "minor");
    CHECK(iso_utc_millis(incident->ts_ms) == "2025-04-08T17:48:00.517Z");
    CHECK(incident->url == "https://status.openai.com/incidents/01JRB888M6TJVDDKGCA1YZ3ZHT");
    CHECK(incident->title.find("video generation") != std::string::npos);
  }

  TEST_CASE("the real OpenAI page counts the incident for the component it affects") {
    std::string components = std::string(R"([")") + kOpenaiChat + "\",\"" + kOpenaiVideo + "\"]";
    Fetch f = fetch_fixture(source_json("openai", "openai", "incidentio", components),
                            "real/openai_incidentio_proxy_status.json");
    CHECK(f.result.next.status == "degraded");
    CHECK(component(f.result, kOpenaiVideo)->status == "degraded");
    CHECK(component(f.result, kOpenaiChat)->status == "operational");
  }

  TEST_CASE("the real AI Studio excerpt: the Gemini API's open incident, others filtered out") {
    int64_t april = *parse_iso_utc("2026-04-18T00:00:00Z");
    Fetch f = fetch_fixture(source_json("aistudio", "gemini", "aistudio", R"(["1"])"),
                            "real/gemini_aistudio_status_ListIncidentsHistory_EXCERPT.json",
                            "application/json+protobuf", april);
    REQUIRE(f.result.state == "events");
    CHECK(f.result.next.status == "degraded");
    const StatusEventRow* keys = event_for(f.result, "GeminiAPI-new-keys-20260417", "degraded");
    REQUIRE(keys);
    CHECK(iso_utc_millis(keys->ts_ms) == "2026-04-17T23:00:00.000Z");
    CHECK(keys->component == "1");
    CHECK(keys->impact == "minor");
    CHECK(event_for(f.result, "GeminiAPI-intermittent-unavailability-20250509", "operational"));
    CHECK(event_for(f.result, "AIStudio-unavailability-20250929", "operational"));
    CHECK_FALSE(event_for(f.result, "AIStudio-model-errors-20260417", "degraded"));
    CHECK(f.result.next.incidents.size() == 3);
  }

  TEST_CASE("a component under maintenance reads as maintenance; a future window does not count") {
    std::string components = std::string(R"([")") + kClaudeApi + "\",\"rwppv331jlwc\"]";
    Fetch f = fetch_fixture(source_json("anthropic", "anthropic", "statuspage", components),
                            "status/statuspage_summary_maintenance.json");
    CHECK(component(f.result, kClaudeApi)->status == "maintenance");
    CHECK(component(f.result, "rwppv331jlwc")->status == "operational");
    CHECK(f.result.next.status == "maintenance");
    const StatusEventRow* window = event_for(f.result, "mnt0api0window", "maintenance");
    REQUIRE(window);
    CHECK(window->impact == "maintenance");
    CHECK(iso_utc_millis(window->ts_ms) == "2026-12-03T11:30:00.000Z");
  }

  TEST_CASE("an incident with impact critical is a major outage, acknowledged at its creation") {
    Fetch f =
        fetch_fixture(source_json("anthropic", "anthropic", "statuspage", R"(["k8w3r06qmzrp"])"),
                      "status/statuspage_incident_critical.json");
    CHECK(f.result.next.status == "major_outage");
    const StatusEventRow* opened = event_for(f.result, "inc9critical", "major_outage");
    REQUIRE(opened);
    CHECK(opened->impact == "critical");
    CHECK(iso_utc_millis(opened->ts_ms) == "2026-12-03T19:38:00.000Z");
    REQUIRE(f.result.next.incidents.size() == 1);
    CHECK(f.result.next.incidents[0].counts);
    CHECK(f.result.next.incidents[0].active);
  }

  TEST_CASE("an unresolved incident counts while the page-wide indicator says none") {
    Fetch f =
        fetch_fixture(source_json("anthropic", "anthropic", "statuspage", R"(["k8w3r06qmzrp"])"),
                      "status/statuspage_indicator_none_unresolved.json");
    CHECK(f.result.next.status == "degraded");
    CHECK(component(f.result, kClaudeApi)->status == "degraded");
  }

  TEST_CASE("an incident with an empty component list is kept, and counts by configured words") {
    std::string fixture = "status/statuspage_indicator_none_unresolved.json";
    Fetch any =
        fetch_fixture(source_json("a", "anthropic", "statuspage", R"(["k8w3r06qmzrp"])"), fixture);
    const StatusEventRow* kept = event_for(any.result, "inc4nocomp", "degraded");
    REQUIRE(kept);
    CHECK(kept->component == "");
    CHECK(kept->impact == "none");
    Fetch words = fetch_fixture(
        source_json("a", "anthropic", "statuspage", R"(["k8w3r06qmzrp"])", R"(,"match":["api"])"),
        fixture);
    CHECK(words.result.next.status == "degraded");
    Fetch other = fetch_fixture(source_json("a", "anthropic", "statuspage", R"(["k8w3r06qmzrp"])",
                                            R"(,"match":["console"])"),
                                fixture);
    CHECK(other.result.next.status == "operational");
    CHECK(event_for(other.result, "inc4nocomp", "degraded"));
  }

  TEST_CASE("resolved and postmortem incidents of incidents.json end as operational") {
    Fetch f = fetch_fixture(source_json("a", "anthropic", "statuspage", "[]"),
                            "status/statuspage_incidents.json");
    CHECK(f.result.next.status == "operational");
    CHECK(event_for(f.result, "inc7resolved", "partial_outage"));
    const StatusEventRow* over = event_for(f.result, "inc7resolved", "operational");
    REQUIRE(over);
    CHECK(iso_utc_millis(over->ts_ms) == "2026-12-03T09:00:00.000Z");
    CHECK(event_for(f.result, "inc6postmortem", "operational"));
  }

  TEST_CASE("incident.io's Statuspage-compatible summary; a status no mapping knows is unknown") {
    Fetch f =
        fetch_fixture(source_json("cohere", "cohere", "incidentio",
                                  R"(["01HQ6CA39NZ5X3PRFPN71Q89TE","01HQ6CA39P0H7T3C4D1M8V2Q5S"])"),
                      "status/incidentio_statuspage_compatible.json");
    CHECK(component(f.result, "01HQ6CA39NZ5X3PRFPN71Q89TE")->status == "degraded");
    CHECK(component(f.result, "01HQ6CA39P0H7T3C4D1M8V2Q5S")->status == "unknown");
    CHECK(event_for(f.result, "01HQ6CA39P0H7T3C4D1M8V2Q5S", "unknown"));
    CHECK(f.result.next.status == "degraded");
  }

  TEST_CASE("Google Cloud incidents are filtered by product id") {
    Fetch f = fetch_fixture(
        source_json("vertex", "gemini", "google_cloud", R"(["Z0FZJAMvEB4j3NbCJs6B"])"),
        "status/google_cloud_incidents.json");
    CHECK(f.result.next.status == "major_outage");
    const StatusEventRow* outage = event_for(f.result, "gVertexOutage1", "major_outage");
    REQUIRE(outage);
    CHECK(outage->impact == "critical");
    CHECK(outage->url == "https://status.cloud.google.com/incidents/gVertexOutage1");
    CHECK(iso_utc_millis(outage->ts_ms) == "2026-12-03T11:20:00.000Z");
    CHECK(event_for(f.result, "gVertexOld3", "operational"));
    CHECK_FALSE(event_for(f.result, "gBigQuery2", "degraded"));
  }

  TEST_CASE("an RSS feed: the open API incident counts by words, the resolved one does not") {
    Fetch f = fetch_fixture(source_json("xai", "xai", "feed", "[]", R"(,"match":["api"])"),
                            "status/xai_feed.xml", "application/rss+xml");
    REQUIRE(f.result.state == "events");
    CHECK(f.result.next.status == "degraded");
    const StatusEventRow* open = event_for(f.result, "xai-incident-20261203-01", "degraded");
    REQUIRE(open);
    CHECK(open->title == "[API] Elevated error rates for grok models");
    CHECK(open->url == "https://status.x.ai/incidents/elevated-errors-2026-12-03");
    const StatusEventRow* over = event_for(f.result, "xai-incident-20261202-01", "operational");
    REQUIRE(over);
    CHECK(over->title == "[Console] Slow billing page & usage charts");
  }

  TEST_CASE("an Atom feed: maintenance in progress, with its offset time") {
    Fetch f = fetch_fixture(source_json("ex", "xai", "feed", "[]"), "status/history.atom",
                            "application/atom+xml");
    CHECK(f.result.next.status == "maintenance");
    const StatusEventRow* e =
        event_for(f.result, "tag:status.example.ai,2005:Incident/31", "maintenance");
    REQUIRE(e);
    CHECK(iso_utc_millis(e->ts_ms) == "2026-12-03T10:30:00.000Z");
    CHECK(e->url == "https://status.example.ai/incidents/31");
  }

  TEST_CASE("Instatus: the summary's incidents and page status, and its component list") {
    Fetch summary = fetch_fixture(source_json("mistral", "mistral", "instatus", "[]"),
                                  "status/instatus_summary.json");
    CHECK(summary.result.next.status == "partial_outage");
    CHECK(event_for(summary.result, "cm9incidentmistral01", "partial_outage"));
    CHECK(event_for(summary.result, "cm9maintmistral02", "maintenance"));
    Fetch components =
        fetch_fixture(source_json("mistral", "mistral", "instatus", R"(["cm9componentapi0001"])"),
                      "status/instatus_components.json");
    CHECK(components.result.next.status == "major_outage");
  }
}

TEST_SUITE("status fetch states") {
  const std::string kAnthropic =
      source_json("anthropic", "anthropic", "statuspage", R"(["k8w3r06qmzrp"])");

  TEST_CASE("a good reading, then an HTML page where JSON was expected: failed, state kept") {
    Fetch good = fetch_fixture(kAnthropic, "status/statuspage_incident_critical.json");
    REQUIRE(good.result.state == "events");
    FetchResult html =
        apply_fetch(good.source(), &good.result.next,
                    page(read_fixture("status/bot_challenge.html"), "text/html"), kNow + 60000);
    CHECK(html.state == "failed");
    CHECK(html.reason.find("HTML where JSON was expected") != std::string::npos);
    CHECK(html.events.empty());
    CHECK(html.current.empty());
    CHECK(html.next.status == "major_outage");
    CHECK(html.next.failures == 1);
    CHECK(html.next.etag == good.result.next.etag);
    CHECK(html.next.known == good.result.next.known);
    CHECK(html.next.last_ok_ms == good.result.next.last_ok_ms);
    FetchResult again =
        apply_fetch(good.source(), &html.next,
                    page(read_fixture("status/bot_challenge.html"), "text/plain"), kNow + 120000);
    CHECK(again.state == "failed");
    CHECK(again.next.failures == 2);
    CHECK(again.next.failed_since_ms == kNow + 60000);
  }

  TEST_CASE("refusals, redirects and changed structures are failures that say why") {
    Config config = config_with(kAnthropic);
    const StatusSource& s = config.status.sources.front();
    FetchResult forbidden = apply_fetch(s, nullptr, page("denied", "text/plain", 403), kNow);
    CHECK(forbidden.state == "failed");
    CHECK(forbidden.reason.find("bot protection") != std::string::npos);
    FetchOutcome moved = page("", "text/plain", 301);
    moved.headers.emplace_back("location", "https://login.example.net/sso");
    FetchResult redirect = apply_fetch(s, nullptr, moved, kNow);
    CHECK(redirect.reason == "HTTP 301: redirected to another host, login.example.net");
    FetchResult shape = apply_fetch(s, nullptr, page(R"({"data":{"services":[]}})"), kNow);
    CHECK(shape.reason.find("structure changed") != std::string::npos);
    FetchResult junk = apply_fetch(s, nullptr, page("{\"components\": [tru"), kNow);
    CHECK(junk.reason.find("not valid JSON") != std::string::npos);
    FetchOutcome broken;
    broken.error = "TypeError: fetch failed";
    CHECK(apply_fetch(s, nullptr, broken, kNow).reason.find("could not fetch") !=
          std::string::npos);
    FetchResult missing = apply_fetch(
        s, nullptr, page(R"({"components":[{"id":"other","status":"operational"}]})"), kNow);
    CHECK(missing.reason.find("component k8w3r06qmzrp is not on the page") != std::string::npos);
  }

  TEST_CASE("304 keeps the reading and ends a failure; the same page again stores nothing") {
    Fetch good = fetch_fixture(kAnthropic, "status/statuspage_incident_critical.json");
    FetchResult failed =
        apply_fetch(good.source(), &good.result.next, page("", "text/html", 503), kNow + 60000);
    REQUIRE(failed.state == "failed");
    FetchOutcome same;
    same.status = 304;
    FetchResult unchanged = apply_fetch(good.source(), &failed.next, same, kNow + 120000);
    CHECK(unchanged.state == "not_modified");
    CHECK(unchanged.next.parse_state == "events");
    CHECK(unchanged.next.failures == 0);
    CHECK(unchanged.next.status == "major_outage");
    CHECK(unchanged.events.empty());
    FetchResult again =
        apply_fetch(good.source(), &unchanged.next,
                    page(read_fixture("status/statuspage_incident_critical.json")), kNow + 180000);
    CHECK(again.state == "events");
    CHECK(again.events.empty());
    CHECK(again.current.empty());
  }

  TEST_CASE("a changed page stores only what changed") {
    std::string sources = source_json("a", "anthropic", "statuspage", R"(["k8w3r06qmzrp"])");
    Fetch quiet = fetch_fixture(sources, "status/statuspage_indicator_none_unresolved.json");
    std::string body = read_fixture("status/statuspage_indicator_none_unresolved.json");
    std::string worse_body = body;
    std::string from = R"x("name": "Claude API (api.anthropic.com)", "status": "operational")x";
    size_t api = worse_body.find(from);
    REQUIRE(api != std::string::npos);
    worse_body.replace(api, from.size(),
                       R"x("name": "Claude API (api.anthropic.com)", "status": "major_outage")x");
    FetchResult changed =
        apply_fetch(quiet.source(), &quiet.result.next, page(worse_body), kNow + 60000);
    REQUIRE(changed.events.size() == 1);
    CHECK(changed.events[0].source_id == kClaudeApi);
    CHECK(changed.events[0].status == "major_outage");
    // Statuspage dates each component; the event keeps the page's time.
    CHECK(iso_utc_millis(changed.events[0].ts_ms) == "2026-12-01T08:00:00.000Z");
    bool current_changed = false;
    for (const CurrentRow& c : changed.current) {
      if (c.component == kClaudeApi) current_changed = c.status == "major_outage";
    }
    CHECK(current_changed);
  }

  TEST_CASE("a feed with no items is a genuinely empty page") {
    Config config = config_with(source_json("xai", "xai", "feed", "[]"));
    FetchResult empty = apply_fetch(
        config.status.sources.front(), nullptr,
        page("<rss version=\"2.0\"><channel><title>x</title></channel></rss>", "text/xml"), kNow);
    CHECK(empty.state == "empty");
    CHECK(empty.next.status == "operational");
    FetchResult html = apply_fetch(config.status.sources.front(), nullptr,
                                   page("<html><body>hi</body></html>", "application/xml"), kNow);
    CHECK(html.state == "failed");
  }
}

TEST_SUITE("status configuration") {
  TEST_CASE("every bad field of a status source is named") {
    auto parsed = parse_config(config_json(
        R"({"id":"Bad Id","provider":"nope","format":"html","url":"ftp://x","components":"x",)"
        R"("method":"PUT","auth":{"header":"x-key"},"cadence_min":0,"colour":"red"})"));
    REQUIRE_FALSE(parsed.ok());
    std::vector<std::string> fields;
    for (const Error& e : parsed.error()) fields.push_back(e.field);
    for (const char* f :
         {"status.sources[0].id", "status.sources[0].provider", "status.sources[0].format",
          "status.sources[0].url", "status.sources[0].components", "status.sources[0].method",
          "status.sources[0].auth", "status.sources[0].cadence_min", "status.sources[0].colour"}) {
      CAPTURE(f);
      CHECK(std::find(fields.begin(), fields.end(), f) != fields.end());
    }
  }

  TEST_CASE("the embedded default configuration's status sources are valid") {
    std::string text = read_fixture("../../worker-shim/config/healthboard.json");
    auto parsed = parse_config(text);
    REQUIRE(parsed.ok());
    CHECK(parsed.value().status.sources.size() >= 6);
  }
}
