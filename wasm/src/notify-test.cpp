#include "notify.h"

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "json-read.h"

using namespace heyhi;

namespace {

constexpr const char* kAlert = R"({
  "rule": "provider_errors", "scope": "openai/gpt-6-luna", "provider": "openai",
  "model": "gpt-6-luna", "region": null, "verdict": "provider",
  "title": "OpenAI gpt-6-luna: 44% of probes failing",
  "detail": "4 of 9 probes failed in 5 min from 2 of 3 regions: overloaded 3, timeout 1",
  "fix": null,
  "measured": {"window_min": 5, "probes": 9, "failures": 4, "failure_rate": 0.444,
               "p50_ms": 420, "p95_ms": 1900, "baseline_p95_ms": 800,
               "regions_failing": 2, "regions_total": 3,
               "error_types": {"timeout": 1, "overloaded": 3}},
  "official_status": "operational",
  "opened_at": "2026-12-03T12:14:00Z", "last_notified_at": null, "resolved_at": null})";

constexpr const char* kLinks =
    R"({"board": "https://heyhi.example/", "status_page": "https://status.openai.com/"})";

std::string notification(std::string_view kind, std::string_view alert = kAlert,
                         std::string_view links = kLinks) {
  return std::string(R"({"kind":")") + std::string(kind) + R"(","alert":)" + std::string(alert) +
         R"(,"links":)" + std::string(links) + "}";
}

// A JSON string literal holding `text` repeated `times` times.
std::string repeated(std::string_view text, int times) {
  std::string out = "\"";
  for (int i = 0; i < times; ++i) {
    out += text;
  }
  return out + "\"";
}

size_t code_points(std::string_view utf8) {
  size_t count = 0;
  for (char c : utf8) {
    count += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  }
  return count;
}

bool ends_with(std::string_view text, std::string_view tail) {
  return text.size() >= tail.size() && text.substr(text.size() - tail.size()) == tail;
}

element nth(element array, size_t index) {
  element found;
  REQUIRE(array.at(index).get(found) == simdjson::SUCCESS);
  return found;
}

element present(std::optional<element> value) {
  REQUIRE(value);
  return *value;
}

std::string text_of(std::optional<element> object, std::string_view key) {
  REQUIRE(object);
  return std::string(string_at(*object, key).value_or("<absent>"));
}

struct Rendered {
  Document doc;

  explicit Rendered(const std::string& in) {
    // The answer parsing at all proves it is valid JSON in valid UTF-8: simdjson checks both.
    REQUIRE(doc.parse(api_render_notification(in)) == simdjson::SUCCESS);
  }
  bool ok() { return bool_at(doc.root(), "ok").value_or(false); }
  element slack() { return present(member(doc.root(), "slack")); }
  std::string slack_json() { return simdjson::minify(slack()); }
  element blocks() { return present(member(slack(), "blocks")); }
  element block(size_t index) { return nth(blocks(), index); }
  element webhook() { return present(member(doc.root(), "webhook")); }
  std::string email(std::string_view key) { return text_of(member(doc.root(), "email"), key); }
  std::string header() { return text_of(member(block(0), "text"), "text"); }

  // The block of `type` whose text mentions `needle`; fails the test when there is none.
  element block_with(std::string_view type, std::string_view needle) {
    for (element b : items(blocks())) {
      std::string json = simdjson::minify(b);
      if (string_at(b, "type") == type && json.find(needle) != std::string::npos) {
        return b;
      }
    }
    FAIL("no ", type, " block mentions ", needle);
    return slack();
  }

  std::vector<std::string> error_fields() {
    std::vector<std::string> out;
    for (element e : items(present(member(doc.root(), "errors")))) {
      out.emplace_back(string_at(e, "field").value_or("<none>"));
    }
    return out;
  }
};

std::vector<std::string> fields_of(element section) {
  std::vector<std::string> out;
  for (element field : items(*member(section, "fields"))) {
    out.emplace_back(string_at(field, "text").value_or(""));
  }
  return out;
}

std::vector<std::string> error_paths(std::string_view payload) {
  std::vector<std::string> out;
  for (const Error& e : validate_slack_message(payload)) {
    out.push_back(e.field);
  }
  return out;
}

bool has(const std::vector<std::string>& list, std::string_view item) {
  for (const auto& entry : list) {
    if (entry == item) {
      return true;
    }
  }
  return false;
}

std::string header_message(std::string_view header_text_json) {
  return std::string(
             R"({"text":"t","blocks":[{"type":"header","text":{"type":"plain_text","text":)") +
         std::string(header_text_json) + "}}]}";
}

std::string section_message(std::string_view text_json) {
  return std::string(R"({"text":"t","blocks":[{"type":"section","text":{"type":"mrkdwn","text":)") +
         std::string(text_json) + "}}]}";
}

std::string divider_message(int blocks) {
  std::string out = R"({"text":"t","blocks":[)";
  for (int i = 0; i < blocks; ++i) {
    out += i == 0 ? R"({"type":"divider"})" : R"(,{"type":"divider"})";
  }
  return out + "]}";
}

}  // namespace

TEST_SUITE("notify") {
  TEST_CASE("each kind renders slack, webhook and email with its own wording") {
    struct Case {
      const char* kind;
      const char* header_start;
      const char* event;
      const char* subject;
    };
    const Case cases[] = {
        {"open", "🚨 OpenAI", "alert.opened", "[HeyHi] OPEN: OpenAI gpt-6-luna — provider incident"},
        {"remind", "⏰ Still open: OpenAI", "alert.reminder",
         "[HeyHi] REMINDER: OpenAI gpt-6-luna — provider incident"},
        {"resolve", "✅ Resolved: OpenAI", "alert.resolved",
         "[HeyHi] RESOLVED: OpenAI gpt-6-luna — provider incident"},
    };
    for (const Case& c : cases) {
      SUBCASE(c.kind) {
        Rendered r(notification(c.kind));
        REQUIRE(r.ok());
        CHECK(r.header().rfind(c.header_start, 0) == 0);
        CHECK(string_at(r.slack(), "text").value_or("").find("gpt-6-luna") != std::string::npos);
        CHECK(string_at(r.webhook(), "event") == c.event);
        CHECK(r.email("subject") == c.subject);
        CHECK(validate_slack_message(r.slack_json()).empty());
      }
    }
  }

  TEST_CASE("a reminder that is an alert's first notice reads as an opening everywhere") {
    std::string first =
        R"({"kind":"remind","first_notice":true,"alert":)" + std::string(kAlert) + "}";
    Rendered r(first);
    REQUIRE(r.ok());
    CHECK(r.header().rfind("🚨 OpenAI", 0) == 0);
    CHECK(string_at(r.webhook(), "event") == "alert.opened");
    CHECK(r.email("subject") == "[HeyHi] OPEN: OpenAI gpt-6-luna — provider incident");
    // Any other reminder stays one.
    Rendered later(R"({"kind":"remind","first_notice":false,"alert":)" + std::string(kAlert) + "}");
    REQUIRE(later.ok());
    CHECK(string_at(later.webhook(), "event") == "alert.reminder");
  }

  TEST_CASE("the slack fields say where, who is at fault and what was measured") {
    Rendered r(notification("open"));
    REQUIRE(r.ok());
    CHECK(items(r.blocks()).size() == 5);  // header, fields, detail, context, links
    CHECK(text_of(member(r.block(0), "text"), "type") == "plain_text");
    std::vector<std::string> fields = fields_of(r.block(1));
    CHECK(fields.size() <= kSlackMaxFields);
    CHECK(has(fields, "*Provider*\nOpenAI"));
    CHECK(has(fields, "*Model*\ngpt-6-luna"));
    CHECK(has(fields, "*Region*\nall regions"));
    CHECK(has(fields, "*Verdict*\nprovider incident"));
    CHECK(has(fields, "*Official status*\noperational"));
    CHECK(has(fields, "*Failure rate*\n44.4% (4 of 9 probes in 5 min)"));
    CHECK(has(fields, "*Latency*\np50 420 ms, p95 1900 ms"));
    CHECK(has(fields, "*Baseline*\np95 800 ms"));
    CHECK(has(fields, "*Regions failing*\n2 of 3"));
    CHECK(has(fields, "*Errors*\noverloaded 3, timeout 1"));
    CHECK(simdjson::minify(r.block_with("context", "Opened")).find("2026-12-03 12:14 UTC") !=
          std::string::npos);
    element links = r.block_with("section", "status.openai.com");
    CHECK(text_of(member(links, "text"), "text") ==
          "<https://heyhi.example/|Board>  ·  <https://status.openai.com/|Status page>");
  }

  TEST_CASE("the verdict reads in words and a region names itself") {
    std::string alert = R"({"provider":"anthropic","model":"claude-haiku-5-5","region":"weur",
        "verdict":"ours","fix":"Rotate ANTHROPIC_API_KEY: the provider answers 401"})";
    Rendered r(notification("open", alert));
    REQUIRE(r.ok());
    std::vector<std::string> fields = fields_of(r.block(1));
    CHECK(has(fields, "*Region*\nweur"));
    CHECK(has(fields, "*Verdict*\nour configuration"));
    CHECK(text_of(member(r.block_with("section", "Fix"), "text"), "text") ==
          "*Fix:* Rotate ANTHROPIC_API_KEY: the provider answers 401");
    CHECK(r.email("subject") == "[HeyHi] OPEN: Anthropic claude-haiku-5-5 — our configuration");
  }

  TEST_CASE("a failure from every Cloudflare region that is fine from outside reads as egress") {
    std::string egress = R"({"rule":"provider_errors","provider":"openai","model":"gpt-6-luna",
        "verdict":"network","title":"OpenAI gpt-6-luna: 100% of probes failing",
        "vantage":{"state":"fine",
                   "evidence":"failing from apac, enam, weur; fine from gha-eastus 3 min ago"}})";
    Rendered r(notification("open", egress));
    REQUIRE(r.ok());
    CHECK(has(fields_of(r.block(1)),
              "*Verdict*\nnetwork (Cloudflare egress): failing from apac, "
              "enam, weur; fine from gha-eastus 3 min ago"));
    CHECK(string_at(r.slack(), "text") ==
          "OPEN: OpenAI gpt-6-luna: 100% of probes failing — network (Cloudflare egress)");
    CHECK(r.email("subject") == "[HeyHi] OPEN: OpenAI gpt-6-luna — network (Cloudflare egress)");
    CHECK(r.email("text").find("Verdict: network (Cloudflare egress): failing from apac, enam, "
                               "weur; fine from gha-eastus 3 min ago") != std::string::npos);
    element vantage = present(member(*member(r.webhook(), "alert"), "vantage"));
    CHECK(string_at(vantage, "state") == "fine");
    CHECK(string_at(vantage, "evidence") ==
          "failing from apac, enam, weur; fine from gha-eastus 3 min ago");
    CHECK(string_at(*member(r.webhook(), "alert"), "verdict") == "network");
    CHECK(validate_slack_message(r.slack_json()).empty());
  }

  TEST_CASE("an outside vantage failing too, or none, keeps the provider's words with evidence") {
    std::string both = R"({"provider":"openai","verdict":"provider","vantage":{"state":"failing",
        "evidence":"failing from enam and from gha-eastus this minute"}})";
    Rendered r(notification("open", both));
    REQUIRE(r.ok());
    CHECK(has(fields_of(r.block(1)),
              "*Verdict*\nprovider incident: failing from enam and from gha-eastus this minute"));
    std::string network = R"({"provider":"openai","verdict":"network",
        "vantage":{"state":"none","evidence":"failing from enam; no outside vantage"}})";
    Rendered n(notification("open", network));
    CHECK(has(fields_of(n.block(1)), "*Verdict*\nnetwork: failing from enam; no outside vantage"));
    CHECK(n.email("subject") == "[HeyHi] OPEN: OpenAI — network");
    element unknown = present(member(*member(n.webhook(), "alert"), "vantage"));
    CHECK(string_at(unknown, "state") == "none");
    Rendered plain(notification("open"));
    CHECK(member(*member(plain.webhook(), "alert"), "vantage")->is_null());
  }

  TEST_CASE("a long vantage evidence stays within slack's field limit") {
    std::string alert = R"({"provider":"openai","verdict":"network","vantage":{"state":"fine",
        "evidence":)" + repeated("failing from enam ", 300) +
                        "}}";
    Rendered r(notification("open", alert));
    REQUIRE(r.ok());
    CHECK(validate_slack_message(r.slack_json()).empty());
  }

  TEST_CASE("every rendered slack message passes validate_slack_message") {
    const std::string long_text = repeated("Überlastung 日本 🚨 & <x> ", 400);
    const std::string inputs[] = {
        notification("open"),
        notification("remind", R"({})", R"({})"),
        notification("resolve", R"({"title":5,"measured":"lots","region":[],"links":3})", "7"),
        notification("open", R"({"title":)" + long_text + R"(,"detail":)" + long_text +
                                 R"(,"fix":)" + long_text + R"(,"model":)" + long_text +
                                 R"(,"scope":)" + long_text + R"(,"opened_at":)" + long_text + "}"),
        notification("open", R"({"measured":{"error_types":{)" + repeated("e", 3000) + ":1}}}"),
        notification("open", R"({"title":"\u0001\u0002","detail":"   "})"),
    };
    for (const std::string& in : inputs) {
      Rendered r(in);
      REQUIRE(r.ok());
      std::vector<Error> errors = validate_slack_message(r.slack_json());
      for (const Error& e : errors) {
        MESSAGE(e.field, ": ", e.message);
      }
      CHECK(errors.empty());
    }
  }

  TEST_CASE("long multi-byte text is cut within slack's limits on a character boundary") {
    // 日 is one character in three bytes, 🚨 one character in four (two UTF-16 units).
    std::string alert = R"({"title":)" + repeated("日本🚨", 200) + R"(,"detail":)" +
                        repeated("é", 5000) + R"(,"fix":)" + repeated("ß", 3000) + R"(,"model":)" +
                        repeated("模", 4000) + "}";
    Rendered r(notification("open", alert));
    REQUIRE(r.ok());

    std::string header = r.header();
    CHECK(slack_length(header) <= kSlackHeaderMax);
    CHECK(code_points(header) <= kSlackHeaderMax);
    CHECK(ends_with(header, "…"));

    std::string model;
    for (const std::string& field : fields_of(r.block(1))) {
      CHECK(slack_length(field) <= kSlackFieldTextMax);
      model = field.rfind("*Model*", 0) == 0 ? field : model;
    }
    CHECK(code_points(model) == kSlackFieldTextMax);
    CHECK(ends_with(model, "模…"));

    std::string detail = text_of(member(r.block_with("section", "Fix"), "text"), "text");
    CHECK(slack_length(detail) <= kSlackSectionTextMax);
    CHECK(detail.find("é…\n\n*Fix:* ß") != std::string::npos);
    CHECK(ends_with(detail, "ß…"));
  }

  TEST_CASE("slack_length counts characters outside the basic plane twice") {
    CHECK(slack_length("") == 0);
    CHECK(slack_length("abc") == 3);
    CHECK(slack_length("é日") == 2);
    CHECK(slack_length("🚨") == 2);
  }

  TEST_CASE("text from input is escaped for slack and for html") {
    std::string alert = R"({"title":"<!channel> A&B","detail":"<script>alert(1)</script>",
        "model":"m<1>","provider":"openai"})";
    Rendered r(notification("open", alert));
    REQUIRE(r.ok());
    std::string slack = r.slack_json();
    CHECK(r.header() == "🚨 &lt;!channel&gt; A&amp;B");
    CHECK(slack.find("<!channel>") == std::string::npos);
    CHECK(slack.find("<script>") == std::string::npos);
    CHECK(has(fields_of(r.block(1)), "*Model*\nm&lt;1&gt;"));
    CHECK(string_at(r.slack(), "text") == "OPEN: &lt;!channel&gt; A&amp;B");

    std::string html = r.email("html");
    CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
    CHECK(html.find("<script>") == std::string::npos);
    CHECK(html.find("&lt;!channel&gt; A&amp;B") != std::string::npos);

    // The webhook body is JSON, not markup: its text stays as the evaluator wrote it.
    CHECK(string_at(*member(r.webhook(), "alert"), "title") == "<!channel> A&B");
  }

  TEST_CASE("a cut never leaves half of an escaped character") {
    Rendered r(notification("open", R"({"detail":)" + repeated("&", 1000) + "}"));
    REQUIRE(r.ok());
    std::string detail = text_of(member(r.block_with("section", "&amp;"), "text"), "text");
    CHECK(slack_length(detail) <= kSlackSectionTextMax);
    CHECK(ends_with(detail, "&amp;…"));
  }

  TEST_CASE("links other than http and https are left out") {
    Rendered r(notification(
        "open", kAlert, R"j({"board":"javascript:alert(1)","status_page":"https://s.example/"})j"));
    REQUIRE(r.ok());
    CHECK(r.slack_json().find("javascript") == std::string::npos);
    CHECK(r.email("html").find("javascript") == std::string::npos);
    CHECK(r.email("html").find(R"(<a href="https://s.example/">Status page</a>)") !=
          std::string::npos);
  }

  TEST_CASE("anything that looks like a key is redacted before it leaves") {
    std::string alert = R"({"detail":"401 for key sk-proj-abcdefghijklmnop1234567890"})";
    Rendered r(notification("open", alert));
    REQUIRE(r.ok());
    CHECK(r.slack_json().find("sk-proj") == std::string::npos);
    CHECK(r.email("text").find("sk-proj") == std::string::npos);
    CHECK(string_at(*member(r.webhook(), "alert"), "detail") == "401 for key [redacted]");
  }

  TEST_CASE("the webhook body has the schema's fields, null where the input said nothing") {
    Rendered r(notification("resolve", R"({"provider":"openai","verdict":"aliens",
        "official_status":"green","resolved_at":"2026-12-03T12:40:00Z"})",
                            R"({"board":"ftp://x/"})"));
    REQUIRE(r.ok());
    element hook = r.webhook();
    CHECK(string_at(hook, "schema") == "heyhi.alert.v1");
    CHECK(string_at(hook, "event") == "alert.resolved");
    CHECK(string_at(hook, "summary") == "RESOLVED: OpenAI: alert");
    element alert = *member(hook, "alert");
    for (const char* key : {"rule", "scope", "model", "region", "verdict", "detail", "fix",
                            "opened_at", "last_notified_at"}) {
      CAPTURE(key);
      REQUIRE(member(alert, key));
      CHECK(member(alert, key)->is_null());
    }
    CHECK(string_at(alert, "provider") == "openai");
    CHECK(string_at(alert, "title") == "OpenAI: alert");
    CHECK(string_at(alert, "official_status") == "unknown");
    CHECK(string_at(alert, "resolved_at") == "2026-12-03T12:40:00Z");
    element measured = *member(alert, "measured");
    for (const char* key : {"window_min", "probes", "failures", "failure_rate", "p50_ms", "p95_ms",
                            "baseline_p95_ms", "regions_failing", "regions_total"}) {
      CAPTURE(key);
      REQUIRE(member(measured, key));
      CHECK(member(measured, key)->is_null());
    }
    CHECK(member(measured, "error_types")->is_object());
    CHECK(member(*member(hook, "links"), "board")->is_null());
    CHECK(member(*member(hook, "links"), "status_page")->is_null());
  }

  TEST_CASE("the webhook body carries the measurements as numbers") {
    Rendered r(notification("open"));
    REQUIRE(r.ok());
    element alert = *member(r.webhook(), "alert");
    element measured = *member(alert, "measured");
    CHECK(int_at(measured, "probes") == 9);
    CHECK(int_at(measured, "p95_ms") == 1900);
    double rate = 0;
    REQUIRE(member(measured, "failure_rate")->get_double().get(rate) == simdjson::SUCCESS);
    CHECK(rate == doctest::Approx(0.444));
    CHECK(int_at(*member(measured, "error_types"), "overloaded") == 3);
    CHECK(string_at(alert, "rule") == "provider_errors");
    CHECK(string_at(*member(r.webhook(), "links"), "board") == "https://heyhi.example/");
  }

  TEST_CASE("the resolve email says RESOLVED in its subject and reads as plain text") {
    std::string alert = R"({"provider":"openai","model":"gpt-6-luna","verdict":"provider",
        "title":"OpenAI gpt-6-luna: probes succeed again",
        "opened_at":"2026-12-03T12:14:00Z","resolved_at":"2026-12-03T12:40:00Z"})";
    Rendered r(notification("resolve", alert));
    REQUIRE(r.ok());
    CHECK(r.email("subject") == "[HeyHi] RESOLVED: OpenAI gpt-6-luna — provider incident");
    std::string text = r.email("text");
    CHECK(text.rfind("RESOLVED: OpenAI gpt-6-luna: probes succeed again", 0) == 0);
    CHECK(text.find("Resolved: 2026-12-03 12:40 UTC\n") != std::string::npos);
    CHECK(r.email("html").find("<h2>RESOLVED: OpenAI gpt-6-luna: probes succeed again") !=
          std::string::npos);
  }

  TEST_CASE("an email subject stays on one line whatever the input holds") {
    Rendered r(notification("open", R"({"model":"m\r\nBcc: someone@example.com"})"));
    REQUIRE(r.ok());
    std::string subject = r.email("subject");
    CHECK(subject.find('\n') == std::string::npos);
    CHECK(subject.find('\r') == std::string::npos);
    CHECK(subject == "[HeyHi] OPEN: m Bcc: someone@example.com");
  }

  TEST_CASE("missing optional fields leave no null in slack or email text") {
    const char* alerts[] = {
        R"({})",
        R"({"rule":null,"scope":null,"provider":null,"model":null,"region":null,
            "verdict":null,"title":null,"detail":null,"fix":null,"measured":null,
            "official_status":null,"opened_at":null,"last_notified_at":null,
            "resolved_at":null})",
        R"({"measured":{"probes":null,"failures":4,"failure_rate":null,"p50_ms":null,
            "error_types":{"timeout":null}}})",
    };
    for (const char* alert : alerts) {
      CAPTURE(alert);
      Rendered r(notification("remind", alert, R"({"board":null,"status_page":null})"));
      REQUIRE(r.ok());
      CHECK(r.slack_json().find("null") == std::string::npos);
      CHECK(r.email("subject").find("null") == std::string::npos);
      CHECK(r.email("text").find("null") == std::string::npos);
      CHECK(r.email("html").find("null") == std::string::npos);
      CHECK(!string_at(r.slack(), "text").value_or("").empty());
      CHECK(validate_slack_message(r.slack_json()).empty());
    }
  }

  TEST_CASE("an alert with no probes behind it shows no failure rate or failing regions") {
    Rendered r(notification("open", R"json({"rule":"configuration","scope":"status:anthropic",
      "provider":"anthropic","title":"Anthropic status page unreadable (anthropic)",
      "measured":{"window_min":0,"probes":0,"failures":0,"failure_rate":0,
                  "regions_failing":0,"regions_total":0}})json"));
    REQUIRE(r.ok());
    std::vector<std::string> fields = fields_of(r.block(1));
    CHECK(has(fields, "*Provider*\nAnthropic"));
    for (const std::string& field : fields) {
      CAPTURE(field);
      CHECK(field.find("Failure rate") == std::string::npos);
      CHECK(field.find("Regions failing") == std::string::npos);
    }
    CHECK(r.email("text").find("0 of 0") == std::string::npos);
  }

  TEST_CASE("a failure rate is worked out from the counts when it is missing") {
    Rendered r(notification("open", R"({"measured":{"probes":8,"failures":2}})"));
    REQUIRE(r.ok());
    CHECK(has(fields_of(r.block(1)), "*Failure rate*\n25% (2 of 8 probes)"));
  }

  TEST_CASE("bad input is refused with the field that is wrong") {
    struct Case {
      const char* name;
      std::string in;
      std::vector<std::string> fields;
    };
    const Case cases[] = {
        {"not JSON", "{", {""}},
        {"no kind", R"({"alert":{}})", {"kind"}},
        {"unknown kind", R"({"kind":"explode","alert":{}})", {"kind"}},
        {"kind of the wrong type", R"({"kind":1,"alert":{}})", {"kind"}},
        {"alert not an object", R"({"kind":"open","alert":"down"})", {"alert"}},
        {"no alert", R"({"kind":"open"})", {"alert"}},
        {"neither", R"([])", {"kind", "alert"}},
    };
    for (const Case& c : cases) {
      SUBCASE(c.name) {
        Rendered r(c.in);
        CHECK_FALSE(r.ok());
        CHECK(r.error_fields() == c.fields);
      }
    }
  }

  TEST_CASE("validate_slack_message accepts messages at the limits") {
    CHECK(validate_slack_message(R"({"text":"only text"})").empty());
    CHECK(validate_slack_message(header_message(repeated("日", 150))).empty());
    CHECK(validate_slack_message(section_message(repeated("a", 3000))).empty());
    CHECK(validate_slack_message(divider_message(50)).empty());
  }

  TEST_CASE("validate_slack_message names each violation with its path") {
    struct Case {
      const char* name;
      std::string payload;
      const char* path;
    };
    const std::string eleven_fields = [] {
      std::string out = R"({"text":"t","blocks":[{"type":"section","fields":[)";
      for (int i = 0; i < 11; ++i) {
        out += std::string(i == 0 ? "" : ",") + R"({"type":"mrkdwn","text":"f"})";
      }
      return out + "]}]}";
    }();
    const Case cases[] = {
        {"not JSON", "{\"text\":", ""},
        {"not an object", "[]", ""},
        {"no text", R"({"blocks":[]})", "text"},
        {"empty text", R"({"text":"","blocks":[{"type":"divider"}]})", "text"},
        {"blank text", R"({"text":"  \n"})", "text"},
        {"a 151-character header", header_message(repeated("日", 151)), "blocks[0].text.text"},
        {"a header in mrkdwn",
         R"({"text":"t","blocks":[{"type":"header","text":{"type":"mrkdwn","text":"h"}}]})",
         "blocks[0].text.type"},
        {"an empty header",
         R"({"text":"t","blocks":[{"type":"header","text":{"type":"plain_text","text":""}}]})",
         "blocks[0].text.text"},
        {"a 3001-character section", section_message(repeated("a", 3001)), "blocks[0].text.text"},
        {"51 blocks", divider_message(51), "blocks"},
        {"an unknown block type", R"({"text":"t","blocks":[{"type":"carousel_of_doom"}]})",
         "blocks[0].type"},
        {"a block without a type", R"({"text":"t","blocks":[{}]})", "blocks[0].type"},
        {"eleven fields", eleven_fields, "blocks[0].fields"},
        {"a 2001-character field",
         std::string(
             R"({"text":"t","blocks":[{"type":"section","fields":[{"type":"mrkdwn","text":)") +
             repeated("a", 2001) + "}]}]}",
         "blocks[0].fields[0].text"},
        {"a section with neither text nor fields", R"({"text":"t","blocks":[{"type":"section"}]})",
         "blocks[0]"},
        {"an empty context", R"({"text":"t","blocks":[{"type":"context","elements":[]}]})",
         "blocks[0].elements"},
        {"a 76-character button",
         std::string(R"({"text":"t","blocks":[{"type":"actions","elements":[{"type":"button",)") +
             R"("text":{"type":"plain_text","text":)" + repeated("b", 76) + "}}]}]}",
         "blocks[0].elements[0].text.text"},
        {"emoji on mrkdwn",
         std::string(R"({"text":"t","blocks":[{"type":"section","text":{"type":"mrkdwn",)") +
             R"("text":"x","emoji":true}}]})",
         "blocks[0].text.emoji"},
    };
    for (const Case& c : cases) {
      SUBCASE(c.name) {
        std::vector<std::string> paths = error_paths(c.payload);
        CAPTURE(c.payload.substr(0, 200));
        REQUIRE_FALSE(paths.empty());
        CHECK(has(paths, c.path));
      }
    }
  }

  TEST_CASE("validate_slack_message reports every problem, not just the first") {
    std::string payload = std::string(R"({"text":"","blocks":[{"type":"nope"},)") +
                          R"({"type":"header","text":{"type":"plain_text","text":)" +
                          repeated("h", 200) + "}}]}";
    std::vector<std::string> paths = error_paths(payload);
    CHECK(paths == std::vector<std::string>{"text", "blocks[0].type", "blocks[1].text.text"});
  }

  TEST_CASE("api_validate_slack_message answers in the core's JSON shape") {
    CHECK(api_validate_slack_message(R"({"text":"fine"})") == R"({"ok":true})");
    CHECK(api_validate_slack_message(R"({"text":""})") ==
          R"({"ok":false,"errors":[{"field":"text","message":"must be non-empty: notifications )"
          R"(show it in place of blocks"}]})");
  }
}
