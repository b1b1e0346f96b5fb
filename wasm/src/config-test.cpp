#include "config.h"

#include <algorithm>
#include <string>

#include <doctest/doctest.h>

#include "test-support.h"

using namespace heyhi;

namespace {

std::string first_field(std::string_view json) {
  auto parsed = parse_config(json);
  if (parsed.ok()) return "<valid>";
  return parsed.error().front().field;
}

bool mentions(std::string_view json, std::string_view field, std::string_view words) {
  auto parsed = parse_config(json);
  if (parsed.ok()) return false;
  const auto& errors = parsed.error();
  return std::any_of(errors.begin(), errors.end(), [&](const Error& e) {
    return e.field == field && e.message.find(words) != std::string::npos;
  });
}

}  // namespace

TEST_SUITE("config") {
  TEST_CASE("the shipped default configuration is valid and covers all six providers twice") {
    std::string text = testing::read_fixture("../../worker-shim/config/healthboard.json");
    REQUIRE_FALSE(text.empty());
    auto parsed = parse_config(text);
    REQUIRE(parsed.ok());
    const Config& config = parsed.value();
    CHECK(config.targets.size() == 12);
    for (auto name : {"openai", "anthropic", "gemini", "xai", "cohere", "mistral"}) {
      CAPTURE(name);
      auto provider = *provider_from_name(name);
      auto count = std::count_if(config.targets.begin(), config.targets.end(),
                                 [&](const Target& t) { return t.provider == provider; });
      CHECK(count == 2);
    }
    CHECK(config.regions == std::vector<std::string>{"enam", "weur", "apac"});
  }

  TEST_CASE("a minimal configuration gets the documented defaults") {
    auto parsed = parse_config(R"({"targets":[{"provider":"openai","model":"gpt-6-luna"}]})");
    REQUIRE(parsed.ok());
    const Target& t = parsed.value().targets.at(0);
    CHECK(t.id == "openai/gpt-6-luna");
    CHECK(t.cadence_min == 5);
    CHECK(t.timeout_ms == 3000);
    CHECK(t.max_tokens == 1);
    CHECK(t.phase >= 0);
    CHECK(t.phase < 5);
    CHECK(parsed.value().regions == std::vector<std::string>{"enam"});
    CHECK(parsed.value().max_concurrency == 6);
  }

  TEST_CASE("defaults apply to targets that do not set their own") {
    auto parsed = parse_config(R"({"defaults":{"cadence_min":2,"timeout_ms":4000},
      "targets":[{"provider":"xai","model":"a"},{"provider":"xai","model":"b","cadence_min":15}]})");
    REQUIRE(parsed.ok());
    CHECK(parsed.value().targets[0].cadence_min == 2);
    CHECK(parsed.value().targets[0].timeout_ms == 4000);
    CHECK(parsed.value().targets[1].cadence_min == 15);
  }

  TEST_CASE("each bad field is named with what would be valid") {
    CHECK(first_field("not json") == "");
    CHECK(first_field("[]") == "");
    CHECK(first_field("{}") == "targets");
    CHECK(mentions(R"({"targets":[{"provider":"openai","model":"m","cadence_min":3}]})",
                   "targets[0].cadence_min", "1, 2, 5, 10, 15"));
    CHECK(mentions(R"({"targets":[{"provider":"acme","model":"m"}]})", "targets[0].provider",
                   "openai"));
    CHECK(mentions(R"({"targets":[{"provider":"gemini","model":"../../x"}]})", "targets[0].model",
                   "URL"));
    CHECK(mentions(R"({"targets":[{"provider":"openai","model":"m","timeout_ms":50}]})",
                   "targets[0].timeout_ms", "100 to 30000"));
    CHECK(mentions(R"({"targets":[{"provider":"openai","model":"m","cadance_min":2}]})",
                   "targets[0].cadance_min", "unknown field"));
    CHECK(mentions(R"({"regions":["mars"],"targets":[{"provider":"openai","model":"m"}]})",
                   "regions[0]", "enam"));
    CHECK(mentions(R"({"regions":["enam","enam"],"targets":[{"provider":"openai","model":"m"}]})",
                   "regions[1]", "twice"));
    CHECK(mentions(
        R"({"targets":[{"provider":"openai","model":"m"},{"provider":"openai","model":"m"}]})",
        "targets[1]", "duplicate"));
    CHECK(mentions(R"({"max_concurrency":9,"targets":[{"provider":"openai","model":"m"}]})",
                   "max_concurrency", "1 to 6"));
    CHECK(mentions(R"({"provider_origin":"ftp://x","targets":[{"provider":"openai","model":"m"}]})",
                   "provider_origin", "http"));
    CHECK(mentions(R"({"targets":[{"provider":"cohere","model":"m","reasoning_effort":"low"}]})",
                   "targets[0].reasoning_effort", "only openai"));
  }

  TEST_CASE("every problem is reported at once, not just the first") {
    auto parsed = parse_config(
        R"({"version":2,"targets":[{"provider":"x","model":""},{"provider":"openai","model":"m","enabled":"yes"}]})");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().size() == 4);
  }

  TEST_CASE("annotations starting with _ or $ are allowed anywhere a field is") {
    auto parsed = parse_config(
        R"({"$schema":"x","_comment":"y","targets":[{"provider":"openai","model":"m","_why":"z"}]})");
    CHECK(parsed.ok());
  }

  TEST_CASE("a key given twice is refused where it is, since JSON readers disagree on it") {
    auto parsed = parse_config(R"({"targets":[{"provider":"openai","model":"m"}],
        "alerting":{"reminder_min":60,"reminder_min":5,"maintenance":[{"start":"2026-12-03T12:00:00Z",
        "end":"2026-12-03T13:00:00Z","providers":["openai"],"providers":["anthropic"]}]}})");
    REQUIRE_FALSE(parsed.ok());
    REQUIRE(parsed.error().size() == 2);
    CHECK(parsed.error()[0].field == "alerting.reminder_min");
    CHECK(parsed.error()[0].message == "is given twice: JSON readers disagree on which one counts");
    CHECK(parsed.error()[1].field == "alerting.maintenance[0].providers");
    // Comments may repeat.
    CHECK(
        parse_config(R"({"_c":"a","_c":"b","targets":[{"provider":"openai","model":"m"}]})").ok());
  }

  TEST_CASE("a number too large to read is said to be one, not called invalid JSON") {
    auto parsed = parse_config(
        R"({"targets":[{"provider":"openai","model":"m","timeout_ms":100000000000000000000}]})");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().front().message.find("a whole number too large to read") !=
          std::string::npos);
  }

  TEST_CASE("the origin override loses its trailing slash") {
    auto parsed = parse_config(
        R"({"provider_origin":"http://127.0.0.1:9100/","targets":[{"provider":"openai","model":"m"}]})");
    REQUIRE(parsed.ok());
    CHECK(parsed.value().provider_origin == "http://127.0.0.1:9100");
  }

  TEST_CASE("a region is an outside vantage exactly when it is no Cloudflare location hint") {
    for (const char* hint : {"wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"}) {
      CAPTURE(hint);
      CHECK_FALSE(is_outside_vantage(hint));
    }
    for (const char* vantage : {"gha-eastus", "ext-laptop", "enam-2", "ENAM", ""}) {
      CAPTURE(vantage);
      CHECK(is_outside_vantage(vantage));
    }
  }

  TEST_CASE("stable_hash is FNV-1a and the same on every platform") {
    CHECK(stable_hash("") == 2166136261u);
    CHECK(stable_hash("a") == 0xe40c292cu);
    CHECK(stable_hash("openai/gpt-6-luna") == stable_hash("openai/gpt-6-luna"));
  }
  TEST_CASE("the backlog bound is a whole number within its range, 2000 by default") {
    const std::string targets = R"("targets":[{"provider":"openai","model":"m"}])";
    CHECK(parse_config("{" + targets + "}").value().backlog_max_items == 2000);
    CHECK(parse_config(R"({"backlog_max_items":50,)" + targets + "}").value().backlog_max_items ==
          50);
    CHECK(mentions(R"({"backlog_max_items":5,)" + targets + "}", "backlog_max_items",
                   "from 10 to 100000"));
    CHECK(mentions(R"({"backlog_max_items":"lots",)" + targets + "}", "backlog_max_items",
                   "whole number"));
  }
}
