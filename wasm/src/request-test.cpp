#include "request.h"

#include <doctest/doctest.h>

#include "json-read.h"

using namespace heyhi;

namespace {

Config config_with(std::string_view targets_json, std::string origin = "") {
  auto parsed = parse_config(std::string(R"({"targets":)") + std::string(targets_json) + "}");
  REQUIRE(parsed.ok());
  Config config = parsed.value();
  config.provider_origin = std::move(origin);
  return config;
}

ProbeRequest only_request(std::string_view targets_json, std::string origin = "") {
  Config config = config_with(targets_json, std::move(origin));
  return build_request(config, config.targets.at(0));
}

std::string header(const ProbeRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "<absent>";
}

}  // namespace

TEST_SUITE("request") {
  TEST_CASE("each provider gets its endpoint, auth header and one-token body") {
    struct Expect {
      const char* provider;
      const char* model;
      const char* url;
      const char* auth_header;
      const char* prefix;
      const char* secret;
      const char* body;
    };
    const Expect cases[] = {
        {"openai", "gpt-6-luna", "https://api.openai.com/v1/chat/completions", "authorization",
         "Bearer ", "OPENAI_API_KEY",
         R"({"model":"gpt-6-luna","messages":[{"role":"user","content":"ping"}],"max_completion_tokens":1})"},
        {"anthropic", "claude-haiku-5-5", "https://api.anthropic.com/v1/messages", "x-api-key", "",
         "ANTHROPIC_API_KEY",
         R"({"model":"claude-haiku-5-5","max_tokens":1,"messages":[{"role":"user","content":"ping"}]})"},
        {"gemini", "gemini-3.5-flash-lite",
         "https://generativelanguage.googleapis.com/v1beta/models/"
         "gemini-3.5-flash-lite:generateContent",
         "x-goog-api-key", "", "GEMINI_API_KEY",
         R"({"contents":[{"role":"user","parts":[{"text":"ping"}]}],"generationConfig":{"maxOutputTokens":1,"thinkingConfig":{"thinkingLevel":"minimal"}}})"},
        {"xai", "grok-4.20-non-reasoning", "https://api.x.ai/v1/chat/completions", "authorization",
         "Bearer ", "XAI_API_KEY",
         R"({"model":"grok-4.20-non-reasoning","messages":[{"role":"user","content":"ping"}],"max_completion_tokens":1})"},
        {"cohere", "command-a-03-2025", "https://api.cohere.com/v2/chat", "authorization",
         "Bearer ", "COHERE_API_KEY",
         R"({"model":"command-a-03-2025","messages":[{"role":"user","content":"ping"}],"max_tokens":1})"},
        {"mistral", "mistral-small-latest", "https://api.mistral.ai/v1/chat/completions",
         "authorization", "Bearer ", "MISTRAL_API_KEY",
         R"({"model":"mistral-small-latest","messages":[{"role":"user","content":"ping"}],"max_tokens":1})"},
    };
    for (const Expect& e : cases) {
      CAPTURE(e.provider);
      ProbeRequest request = only_request(std::string(R"([{"provider":")") + e.provider +
                                          R"(","model":")" + e.model + R"("}])");
      CHECK(request.method == "POST");
      CHECK(request.url == e.url);
      CHECK(request.auth.header == e.auth_header);
      CHECK(request.auth.prefix == e.prefix);
      CHECK(request.auth.secret_name == e.secret);
      CHECK(request.body == e.body);
      CHECK(header(request, "content-type") == "application/json");
    }
  }

  TEST_CASE("anthropic requests name the API version") {
    ProbeRequest request = only_request(R"([{"provider":"anthropic","model":"claude-opus-5-5"}])");
    CHECK(header(request, "anthropic-version") == "2023-06-01");
  }

  TEST_CASE("no credential is ever part of the built request") {
    ProbeRequest request = only_request(R"([{"provider":"openai","model":"m"}])");
    CHECK(header(request, "authorization") == "<absent>");
  }

  TEST_CASE("gemini thinking follows the model family unless the target says otherwise") {
    auto body = [](std::string_view model, std::string_view thinking = "") {
      std::string target =
          std::string(R"([{"provider":"gemini","model":")") + std::string(model) + "\"" +
          (thinking.empty() ? "" : std::string(R"(,"thinking":")") + std::string(thinking) + "\"") +
          "}]";
      return only_request(target).body;
    };
    CHECK(body("gemini-2.5-flash").find(R"("thinkingBudget":0)") != std::string::npos);
    CHECK(body("gemini-2.5-flash-lite").find(R"("thinkingBudget":0)") != std::string::npos);
    CHECK(body("gemini-2.5-pro").find("thinkingConfig") == std::string::npos);
    CHECK(body("gemini-3.8-flash").find(R"("thinkingLevel":"low")") != std::string::npos);
    CHECK(body("gemini-3.5-flash-lite").find(R"("thinkingLevel":"minimal")") != std::string::npos);
    CHECK(body("gemini-3.1-pro-preview").find(R"("thinkingLevel":"low")") != std::string::npos);
    CHECK(body("gemini-2.0-flash").find("thinkingConfig") == std::string::npos);
    CHECK(body("gemini-3.8-flash", "provider_default").find("thinkingConfig") == std::string::npos);
    CHECK(body("gemini-2.5-pro", "off").find(R"("thinkingBudget":0)") != std::string::npos);
  }

  TEST_CASE("a raised budget and a reasoning effort are sent only where configured") {
    ProbeRequest request = only_request(
        R"([{"provider":"openai","model":"gpt-6.2-astra","max_tokens":16,"reasoning_effort":"low"}])");
    CHECK(request.body.find(R"("max_completion_tokens":16)") != std::string::npos);
    CHECK(request.body.find(R"("reasoning_effort":"low")") != std::string::npos);
    CHECK(only_request(R"([{"provider":"mistral","model":"m"}])").body.find("reasoning") ==
          std::string::npos);
  }

  TEST_CASE("the origin override routes every provider through one host by name") {
    CHECK(only_request(R"([{"provider":"openai","model":"m"}])", "http://127.0.0.1:9100").url ==
          "http://127.0.0.1:9100/openai/v1/chat/completions");
    CHECK(only_request(R"([{"provider":"gemini","model":"g"}])", "http://127.0.0.1:9100").url ==
          "http://127.0.0.1:9100/gemini/v1beta/models/g:generateContent");
    CHECK(only_request(R"([{"provider":"cohere","model":"c"}])", "http://h").url ==
          "http://h/cohere/v2/chat");
  }

  TEST_CASE("bodies are valid JSON even when the prompt needs escaping") {
    auto parsed = parse_config(
        R"({"prompt":"say \"hi\"\n","targets":[{"provider":"anthropic","model":"m"}]})");
    REQUIRE(parsed.ok());
    ProbeRequest request = build_request(parsed.value(), parsed.value().targets[0]);
    Document doc;
    CHECK(doc.parse(request.body) == simdjson::SUCCESS);
  }
}
