#include "request.h"

#include <fmt/format.h>

#include "json-writer.h"

namespace heyhi {
namespace {

struct Endpoint {
  std::string_view official_origin;
  std::string_view version_path;  // the part of the base URL after the origin
};

Endpoint endpoint(Provider provider) {
  switch (provider) {
    case Provider::openai: return {"https://api.openai.com", "/v1"};
    case Provider::anthropic: return {"https://api.anthropic.com", "/v1"};
    case Provider::gemini: return {"https://generativelanguage.googleapis.com", "/v1beta"};
    case Provider::xai: return {"https://api.x.ai", "/v1"};
    case Provider::cohere: return {"https://api.cohere.com", "/v2"};
    case Provider::mistral: return {"https://api.mistral.ai", "/v1"};
  }
  return {"", ""};
}

std::string base_url(const Config& config, Provider provider) {
  Endpoint e = endpoint(provider);
  if (config.provider_origin.empty()) return fmt::format("{}{}", e.official_origin, e.version_path);
  return fmt::format("{}/{}{}", config.provider_origin, provider_name(provider), e.version_path);
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

void user_message(JsonWriter& w, std::string_view prompt) {
  w.key("messages").begin_array().begin_object();
  w.field("role", "user").field("content", prompt);
  w.end_object().end_array();
}

// OpenAI's reasoning families reject `max_tokens` and every current OpenAI chat model takes
// `max_completion_tokens`; xAI documents `max_tokens` as deprecated in its favour. Mistral
// refuses unknown fields with a 422, `max_completion_tokens` among them, and Cohere's v2
// chat only knows `max_tokens`.
std::string_view token_field(Provider provider) {
  return provider == Provider::openai || provider == Provider::xai ? "max_completion_tokens"
                                                                   : "max_tokens";
}

std::string chat_body(const Target& target, std::string_view prompt) {
  JsonWriter w;
  w.begin_object().field("model", target.model);
  user_message(w, prompt);
  w.field(token_field(target.provider), target.max_tokens);
  if (!target.reasoning_effort.empty()) w.field("reasoning_effort", target.reasoning_effort);
  return w.end_object().take();
}

std::string anthropic_body(const Target& target, std::string_view prompt) {
  JsonWriter w;
  w.begin_object().field("model", target.model).field("max_tokens", target.max_tokens);
  user_message(w, prompt);
  return w.end_object().take();
}

// Gemini 2.5 Flash and Flash-Lite turn thinking off with a zero budget; 2.5 Pro cannot (its
// minimum budget is 128), so it keeps its default. Gemini 3 replaced budgets with levels
// and rejects a zero budget: Flash-Lite goes down to "minimal", while "low" is the lowest
// level every other Gemini 3 model accepts (3.8 Flash refuses "minimal").
Thinking automatic_thinking(std::string_view model) {
  if (starts_with(model, "gemini-2.5-flash")) return Thinking::off;
  if (starts_with(model, "gemini-3")) {
    return contains(model, "flash-lite") ? Thinking::minimal : Thinking::low;
  }
  return Thinking::provider_default;
}

void thinking_config(JsonWriter& w, const Target& target) {
  Thinking mode =
      target.thinking == Thinking::automatic ? automatic_thinking(target.model) : target.thinking;
  if (mode == Thinking::provider_default || mode == Thinking::automatic) return;
  w.key("thinkingConfig").begin_object();
  if (mode == Thinking::off) w.field("thinkingBudget", 0);
  if (mode == Thinking::minimal) w.field("thinkingLevel", "minimal");
  if (mode == Thinking::low) w.field("thinkingLevel", "low");
  w.end_object();
}

std::string gemini_body(const Target& target, std::string_view prompt) {
  JsonWriter w;
  w.begin_object().key("contents").begin_array().begin_object();
  w.field("role", "user").key("parts").begin_array().begin_object().field("text", prompt);
  w.end_object().end_array().end_object().end_array();
  w.key("generationConfig").begin_object().field("maxOutputTokens", target.max_tokens);
  thinking_config(w, target);
  return w.end_object().end_object().take();
}

AuthSpec auth_spec(Provider provider) {
  std::string name(secret_name(provider));
  switch (provider) {
    case Provider::anthropic: return {"x-api-key", "", name};
    case Provider::gemini: return {"x-goog-api-key", "", name};
    default: return {"authorization", "Bearer ", name};
  }
}

}  // namespace

std::string_view secret_name(Provider provider) {
  switch (provider) {
    case Provider::openai: return "OPENAI_API_KEY";
    case Provider::anthropic: return "ANTHROPIC_API_KEY";
    case Provider::gemini: return "GEMINI_API_KEY";
    case Provider::xai: return "XAI_API_KEY";
    case Provider::cohere: return "COHERE_API_KEY";
    case Provider::mistral: return "MISTRAL_API_KEY";
  }
  return "";
}

ProbeRequest build_request(const Config& config, const Target& target) {
  ProbeRequest request;
  std::string base = base_url(config, target.provider);
  request.headers.emplace_back("content-type", "application/json");
  request.headers.emplace_back("user-agent", "heyhi-healthboard/0.1");
  request.auth = auth_spec(target.provider);

  switch (target.provider) {
    case Provider::anthropic:
      request.url = base + "/messages";
      request.headers.emplace_back("anthropic-version", "2023-06-01");
      request.body = anthropic_body(target, config.prompt);
      break;
    case Provider::gemini:
      request.url = fmt::format("{}/models/{}:generateContent", base, target.model);
      request.body = gemini_body(target, config.prompt);
      break;
    case Provider::cohere:
      request.url = base + "/chat";
      request.body = chat_body(target, config.prompt);
      break;
    default:
      request.url = base + "/chat/completions";
      request.body = chat_body(target, config.prompt);
  }
  return request;
}

ProbeRequest regional_request(const Config& config, ProbeRequest request,
                              const std::string& region) {
  if (!config.provider_origin.empty()) request.headers.emplace_back(kRegionHeader, region);
  return request;
}

ProbeRequest colo_trace_request(const Config& config, const std::string& region) {
  ProbeRequest request;
  request.method = "GET";
  std::string origin =
      config.provider_origin.empty() ? "https://cloudflare.com" : config.provider_origin;
  request.url = fmt::format("{}/cdn-cgi/trace", origin);
  request.headers.emplace_back("user-agent", "heyhi-healthboard/0.1");
  return regional_request(config, std::move(request), region);
}

}  // namespace heyhi
