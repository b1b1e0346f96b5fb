#include "classify.h"

#include <doctest/doctest.h>

#include "test-support.h"

using namespace heyhi;
using namespace heyhi::testing;

namespace {

struct Case {
  const char* name;
  Provider provider;
  int status;
  const char* content_type;
  const char* body;
  const char* error_type;  // nullptr: ok
  const char* attribution;
};

// Error bodies in the providers' documented shapes; the detail of each row is checked in
// cases of its own below.
const Case
    kCases
        [] =
            {
                {"anthropic 529 overloaded_error", Provider::anthropic, 529, "application/json",
                 R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})",
                 "overloaded", "provider"},
                {"openai 429 insufficient_quota", Provider::openai, 429, "application/json",
                 R"({"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}})",
                 "quota", "ours"},
                {"openai 429 rate_limit_exceeded", Provider::openai, 429, "application/json",
                 R"({"error":{"message":"Rate limit reached for gpt-6-luna in organization org-abc on requests per min (RPM): Limit 3, Used 3, Requested 1.","type":"requests","param":null,"code":"rate_limit_exceeded"}})",
                 "rate_limited", "ambiguous"},
                {"openai 400 unsupported max_tokens", Provider::openai, 400, "application/json",
                 R"({"error":{"message":"Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.","type":"invalid_request_error","param":"max_tokens","code":"unsupported_parameter"}})",
                 "probe_config", "ours"},
                {"gemini 503 model overloaded", Provider::gemini, 503, "application/json",
                 R"({"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}})",
                 "overloaded", "provider"},
                {"502 html cdn page", Provider::openai, 502, "text/html; charset=UTF-8",
                 "<!DOCTYPE html><html><head><title>api.openai.com | 502: Bad "
                 "gateway</title></head>"
                 "<body><h1>Bad gateway</h1><p>Error code 502</p><p>Cloudflare Ray ID: "
                 "8f1a</p></body></html>",
                 "gateway_error", "provider"},
                {"short html 403", Provider::anthropic, 403, "text/html",
                 "<html><head><title>403 Forbidden</title></head><body>Forbidden</body></html>",
                 "edge_blocked", "network"},
                {"empty 200", Provider::mistral, 200, "application/json", "", "bad_body",
                 "provider"},
                {"truncated 200", Provider::openai, 200, "application/json",
                 R"({"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"mess)",
                 "bad_body", "provider"},
                {"anthropic 404 retired model", Provider::anthropic, 404, "application/json",
                 R"({"type":"error","error":{"type":"not_found_error","message":"model: claude-3-haiku-20240307"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"})",
                 "model_not_found", "ours"},
                {"openai 401 bad key", Provider::openai, 401, "application/json",
                 R"({"error":{"message":"Incorrect API key provided: sk-proj-***************abcd. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})",
                 "auth", "ours"},
                {"gemini 400 API_KEY_INVALID", Provider::gemini, 400, "application/json",
                 R"({"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}})",
                 "auth", "ours"},
                {"xai 400 incorrect key", Provider::xai, 400, "application/json",
                 R"({"code":"Client specified an invalid argument","error":"Incorrect API key provided: xa***yz. You can obtain an API key from https://console.x.ai."})",
                 "auth", "ours"},
                {"xai 403 out of credits", Provider::xai, 403, "application/json",
                 R"({"code":"The caller does not have permission to execute the specified operation","error":"Your team has either used all available credits or reached its monthly spending limit."})",
                 "quota", "ours"},
                {"anthropic 400 credit balance", Provider::anthropic, 400, "application/json",
                 R"({"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."}})",
                 "quota", "ours"},
                {"402 payment required", Provider::cohere, 402, "application/json",
                 R"({"message":"Please add a payment method to continue."})", "quota", "ours"},
                {"gemini 429 per-minute", Provider::gemini, 429, "application/json",
                 R"({"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]}]}})",
                 "rate_limited", "ambiguous"},
                {"gemini 429 per-day", Provider::gemini, 429, "application/json",
                 R"({"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]}]}})",
                 "quota", "ours"},
                {"openai 503 server_is_overloaded", Provider::openai, 503, "application/json",
                 R"({"error":{"message":"The server is overloaded or not ready yet.","type":"server_error","param":null,"code":"server_is_overloaded"}})",
                 "overloaded", "provider"},
                {"openai 500 json", Provider::openai, 500, "application/json",
                 R"({"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}})",
                 "server_error", "provider"},
                {"503 json without overload wording", Provider::cohere, 503, "application/json",
     R"({"message":"service unavailable, please try again later"})", "overloaded", "provider"},
    {"504 json", Provider::cohere, 504, "application/json",
                 R"({"message":"upstream timed out"})", "server_error", "provider"},
                {"503 plain text from a proxy", Provider::mistral, 503, "text/plain",
                 "upstream connect error or disconnect/reset before headers. reset reason: "
                 "overflow",
                 "gateway_error", "provider"},
                {"500 with empty body", Provider::xai, 500, "application/json", "", "gateway_error",
                 "provider"},
                {"mistral 422 extra field", Provider::mistral, 422, "application/json",
                 R"({"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","max_completion_tokens"],"msg":"Extra inputs are not permitted","input":1}]},"type":"invalid_request_message_error","param":null,"code":null})",
                 "probe_config", "ours"},
                {"cohere 404 unknown model", Provider::cohere, 404, "application/json",
                 R"({"message":"model 'command-x' not found, make sure the correct model ID was used and that you have access to the model."})",
                 "model_not_found", "ours"},
                {"mistral 400 invalid model", Provider::mistral, 400, "application/json",
                 R"({"object":"error","message":"Invalid model: mistral-tiny-9","type":"invalid_model","param":null,"code":"1500"})",
                 "model_not_found", "ours"},
                {"openai 404 model does not exist", Provider::openai, 404, "application/json",
                 R"({"error":{"message":"The model `gpt-4o-mini` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}})",
                 "model_not_found", "ours"},
                {"openai 400 reasoning ran out of budget", Provider::openai, 400, "application/json", R"({"error":{"message":"Could not finish the message because max_tokens or model output limit was reached. Please try again with higher max_tokens.","type":"invalid_request_error","param":null,"code":null}})",
                 "probe_config", "ours"},
                {"html 404 wrong endpoint", Provider::gemini, 404, "text/html",
                 "<html><title>Error 404 (Not Found)!!1</title></html>", "probe_config", "ours"},
                {"html 429 edge rate limit", Provider::openai, 429, "text/html",
                 "<html><title>Access denied | api.openai.com used Cloudflare to restrict "
                 "access</title></html>",
                 "rate_limited", "ambiguous"},
                {"200 html page", Provider::anthropic, 200, "text/html",
                 "<html><body>Just a moment...</body></html>", "bad_body", "provider"},
                {"200 json of another shape", Provider::openai, 200, "application/json",
                 R"({"hello":"world"})", "bad_body", "provider"},
                {"200 error object", Provider::openai, 200, "application/json",
                 R"({"error":{"message":"internal","type":"server_error"}})", "bad_body",
                 "provider"},
                {"200 json array", Provider::anthropic, 200, "application/json", "[1,2,3]",
                 "bad_body", "provider"},
                {"408 request timeout", Provider::cohere, 408, "application/json",
                 R"({"message":"timeout"})", "timeout", "provider"},
                {"anthropic 429 rate limit", Provider::anthropic, 429, "application/json",
                 R"({"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}})",
                 "rate_limited", "ambiguous"},
                {"anthropic 401 authentication_error", Provider::anthropic, 401, "application/json",
                 R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})",
                 "auth", "ours"},
                {"cohere 429 trial key", Provider::cohere, 429, "application/json",
                 R"({"message":"You are using a Trial key, which is limited to 20 API calls / minute."})",
                 "rate_limited", "ambiguous"},
                {"anthropic 429 spend limit", Provider::anthropic, 429, "application/json",
                 R"({"type":"error","error":{"type":"rate_limit_error","message":"You have reached your specified API usage limits.","details":{"error_code":"enforced_spend_limit_reached"}}})",
                 "quota", "ours"},
                {"gemini 429 prepayment depleted", Provider::gemini, 429, "application/json",
                 R"({"error":{"code":429,"message":"Your prepayment credits are depleted. Please go to AI Studio to manage your project and billing.","status":"RESOURCE_EXHAUSTED"}})",
                 "quota", "ours"},
                {"xai 429 at capacity", Provider::xai, 429, "application/json",
                 R"({"code":"Some resource has been exhausted","error":"The service is temporarily at capacity. Please try again later."})",
                 "overloaded", "provider"},
                {"mistral 503 capacity exceeded", Provider::mistral, 503, "application/json",
                 R"({"object":"error","message":"Service tier capacity exceeded for this model.","type":"service_tier_capacity_exceeded","param":null,"code":"3505"})",
                 "overloaded", "provider"},
                {"error as array", Provider::mistral, 400, "application/json",
                 R"({"message":[{"msg":"bad"}],"code":3001})", "probe_config", "ours"},
                {"error with numeric fields everywhere", Provider::openai, 400, "application/json",
                 R"({"error":{"message":12,"type":7,"code":[1,2]}})", "probe_config", "ours"},
};

// Real captures from public repositories, with their sources in tests/fixtures/real.
const std::pair<const char*, Provider> kRealSuccesses[] = {
    {"real/openai_chat_finish_reason_length.json", Provider::openai},
    {"real/anthropic_messages_stop_reason_max_tokens.json", Provider::anthropic},
    {"real/mistral_chat_finish_reason_length.json", Provider::mistral},
};

}  // namespace

TEST_SUITE("classify") {
  TEST_CASE("each documented provider error gets its error type and attribution") {
    for (const Case& c : kCases) {
      CAPTURE(c.name);
      Row row = classify_response(c.provider, c.status, c.body, c.content_type);
      REQUIRE(row.error_type.has_value());
      CHECK(error_type_name(*row.error_type) == std::string_view(c.error_type));
      CHECK(attribution_name(attribution_of(*row.error_type)) == std::string_view(c.attribution));
      CHECK_FALSE(row.ok);
      CHECK(row.http_status == c.status);
      CHECK(row.detail.has_value());
    }
  }

  TEST_CASE("real 200 responses truncated by the one-token budget are ok, with their tokens") {
    for (const auto& real : kRealSuccesses) {
      const char* path = real.first;
      Provider provider = real.second;
      CAPTURE(path);
      std::string body = read_fixture(path);
      REQUIRE_FALSE(body.empty());
      Row row = classify_response(provider, 200, body);
      CHECK(row.ok);
      CHECK_FALSE(row.error_type.has_value());
      CHECK_FALSE(row.detail.has_value());
      CHECK(row.tokens_in.has_value());
      CHECK(row.tokens_out.has_value());
    }
    Row openai = classify_response(Provider::openai, 200,
                                   read_fixture("real/openai_chat_finish_reason_length.json"));
    CHECK(openai.tokens_in == 27);
    CHECK(openai.tokens_out == 5);
  }

  TEST_CASE("a 200 whose text is empty because thinking used the budget is ok") {
    SUBCASE("openai reasoning model") {
      Row row = classify_response(
          Provider::openai, 200,
          R"({"id":"chatcmpl-9","object":"chat.completion","model":"gpt-6-luna","choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":"length"}],"usage":{"prompt_tokens":8,"completion_tokens":1,"completion_tokens_details":{"reasoning_tokens":1}}})");
      CHECK(row.ok);
      CHECK(row.tokens_out == 1);
    }
    SUBCASE("anthropic thinking model with empty content") {
      Row row = classify_response(
          Provider::anthropic, 200,
          R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-opus-5-5","content":[],"stop_reason":"max_tokens","usage":{"input_tokens":8,"output_tokens":1}})");
      CHECK(row.ok);
      CHECK(row.tokens_in == 8);
    }
    SUBCASE("gemini candidate without parts") {
      Row row = classify_response(
          Provider::gemini, 200,
          R"({"candidates":[{"content":{"role":"model"},"finishReason":"MAX_TOKENS","index":0}],"usageMetadata":{"promptTokenCount":2,"totalTokenCount":3,"thoughtsTokenCount":1},"modelVersion":"gemini-3.8-flash","responseId":"abc"})");
      CHECK(row.ok);
      CHECK(row.tokens_in == 2);
      CHECK(row.tokens_out == 1);
      CHECK(row.request_id == "abc");
    }
    SUBCASE("cohere v2 max tokens") {
      Row row = classify_response(
          Provider::cohere, 200,
          R"({"id":"c1","message":{"role":"assistant","content":[{"type":"text","text":""}]},"finish_reason":"MAX_TOKENS","usage":{"billed_units":{"input_tokens":1,"output_tokens":1},"tokens":{"input_tokens":67,"output_tokens":1}}})");
      CHECK(row.ok);
      CHECK(row.tokens_in == 1);
      CHECK(row.tokens_out == 1);
    }
    SUBCASE("xai chat completion") {
      Row row = classify_response(
          Provider::xai, 200,
          R"({"id":"x1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":"length"}],"usage":{"prompt_tokens":9,"completion_tokens":1}})");
      CHECK(row.ok);
    }
  }

  TEST_CASE("the row carries timing, identity and the request id") {
    Outcome outcome = response(
        529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})",
        "application/json", {{"request-id", "req_0123"}});
    ProbeContext context = context_for(Provider::anthropic, "claude-haiku-5-5");
    context.colo = "IAD";
    Row row = classify(context, outcome);
    CHECK(row.scheduled_at == "2026-12-03T12:14:00Z");
    CHECK(row.ts == "2026-12-03T12:14:00.123Z");
    CHECK(row.region == "enam");
    CHECK(row.colo == "IAD");
    CHECK(row.provider == "anthropic");
    CHECK(row.model == "claude-haiku-5-5");
    CHECK(row.latency_ms == 213);
    CHECK(row.ttfb_ms == 180);
    CHECK(row.request_id == "req_0123");
    CHECK(row.detail == "529 overloaded_error: Overloaded");
  }

  TEST_CASE("anthropic's request id in the error body is kept when the header is missing") {
    Row row = classify_response(
        Provider::anthropic, 404,
        R"({"type":"error","error":{"type":"not_found_error","message":"model: x"},"request_id":"req_9"})");
    CHECK(row.request_id == "req_9");
  }

  TEST_CASE("details name what happened and never quote a key") {
    Row auth = classify_response(
        Provider::openai, 401,
        R"({"error":{"message":"Incorrect API key provided: sk-proj-abcdefghijklmnop1234. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","code":"invalid_api_key"}})");
    REQUIRE(auth.detail);
    CHECK(auth.detail->find("sk-proj") == std::string::npos);
    CHECK(auth.detail->find("[redacted]") != std::string::npos);
    CHECK(auth.detail->rfind("401 invalid_api_key: Incorrect API key provided", 0) == 0);

    Row html = classify_response(Provider::openai, 502,
                                 "<html><head><title>api.openai.com | 502: Bad gateway</title>");
    CHECK(html.detail == "502 html: api.openai.com | 502: Bad gateway");

    Row truncated = classify_response(Provider::openai, 200, R"({"choices":[)");
    CHECK(truncated.detail == "200 truncated or invalid json");

    Row shape = classify_response(Provider::gemini, 200, R"({"x":1})");
    CHECK(shape.detail == "200 json without \"candidates\"");
  }

  TEST_CASE("details are at most 200 bytes") {
    std::string message(5000, 'x');
    Row row = classify_response(Provider::cohere, 500, R"({"message":")" + message + R"("})");
    REQUIRE(row.detail);
    CHECK(row.detail->size() <= 200);
  }
}

TEST_SUITE("classify transport failures") {
  Outcome failure(const char* name, const char* message, bool timed_out = false) {
    Outcome outcome;
    outcome.failed = true;
    outcome.timed_out = timed_out;
    outcome.error_name = name;
    outcome.error_message = message;
    outcome.ms_total = 3001.2;
    return outcome;
  }

  TEST_CASE("no headers before the timeout is a provider timeout") {
    Row row = classify(context_for(Provider::openai), failure("TimeoutError", "aborted", true));
    REQUIRE(row.error_type);
    CHECK(*row.error_type == ErrorType::timeout);
    CHECK_FALSE(row.http_status.has_value());
    CHECK_FALSE(row.ttfb_ms.has_value());
    CHECK(row.latency_ms == 3001);
    CHECK(row.detail == "no response headers within 3000 ms");
  }

  TEST_CASE("headers then a stalled body is a timeout that keeps the status") {
    Outcome outcome = failure("TimeoutError", "aborted", true);
    outcome.status = 200;
    outcome.ms_to_headers = 40;
    Row row = classify(context_for(Provider::anthropic), outcome);
    CHECK(*row.error_type == ErrorType::timeout);
    CHECK(row.http_status == 200);
    CHECK(row.ttfb_ms == 40);
  }

  TEST_CASE("a connection dropped mid-body is a bad body") {
    Outcome outcome = failure("TypeError", "Network connection lost.");
    outcome.status = 200;
    CHECK(*classify(context_for(Provider::xai), outcome).error_type == ErrorType::bad_body);
  }

  TEST_CASE("a probe the shim would not send for want of a key is our auth problem") {
    Row row = classify(context_for(Provider::openai),
                       failure("MissingSecret", "OPENAI_API_KEY is not set"));
    CHECK(*row.error_type == ErrorType::auth);
    CHECK(row.detail == "OPENAI_API_KEY is not set");
  }

  TEST_CASE("dns and connect failures are the network's") {
    Row dns = classify(context_for(Provider::cohere),
                       failure("TypeError", "getaddrinfo ENOTFOUND api.cohere.com"));
    CHECK(*dns.error_type == ErrorType::dns_error);
    CHECK(attribution_of(*dns.error_type) == Attribution::network);
    Row refused =
        classify(context_for(Provider::cohere), failure("TypeError", "Network connection lost."));
    CHECK(*refused.error_type == ErrorType::connect_error);
  }
}
