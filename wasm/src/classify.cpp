#include "classify.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>

#include <fmt/format.h>

#include "json-read.h"
#include "scrub.h"
#include "time-format.h"

namespace heyhi {
namespace {

enum class BodyKind { empty, html, json, text };

struct Verdict {
  std::optional<ErrorType> error;
  std::string detail;
  std::optional<int64_t> tokens_in;
  std::optional<int64_t> tokens_out;
  std::optional<std::string> body_request_id;
};

// What an error body says, from whichever of the providers' shapes it uses: `error` as an
// object or a string, `message` as a string, an object or an array, FastAPI's `detail`.
struct ErrorInfo {
  std::string label;    // the most specific code or type, for the detail line
  std::string message;  // human text, first one found
  std::string signal;   // every code, type, status, reason and message, lowercased
  std::optional<std::string> request_id;
};

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool has_any(std::string_view haystack, std::initializer_list<std::string_view> needles) {
  for (auto needle : needles) {
    if (haystack.find(needle) != std::string_view::npos) return true;
  }
  return false;
}

std::string_view trim(std::string_view text) {
  auto blank = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

std::optional<std::string_view> header(const Outcome& outcome, std::string_view name) {
  for (const auto& [key, value] : outcome.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

BodyKind body_kind(const Outcome& outcome, Document& doc) {
  std::string_view body = trim(outcome.body);
  if (body.empty()) return BodyKind::empty;
  std::string type = lowercase(header(outcome, "content-type").value_or(""));
  if (type.find("html") != std::string::npos || body.front() == '<') return BodyKind::html;
  if (doc.parse(body) == simdjson::SUCCESS) return BodyKind::json;
  return BodyKind::text;
}

// --- reading error bodies ---------------------------------------------------------------

void add_signal(ErrorInfo& info, std::string_view text) {
  if (text.empty()) return;
  info.signal += lowercase(text);
  info.signal += ' ';
}

void add_label(ErrorInfo& info, element value) {
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) {
    add_signal(info, text);
    if (info.label.empty()) info.label = std::string(text);
    return;
  }
  if (auto number = as_int(value)) add_signal(info, fmt::format("{}", *number));
}

// A message can be a string, an object with its own message, or a list of validation
// problems; take the first readable text at any depth, and feed every string to the signal.
void collect_text(ErrorInfo& info, element value, int depth) {
  if (depth > 6) return;
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) {
    add_signal(info, text);
    if (info.message.empty()) info.message = std::string(text);
    return;
  }
  if (value.is_array()) {
    for (element item : items(value)) collect_text(info, item, depth + 1);
    return;
  }
  if (!value.is_object()) return;
  for (auto [key, item] : fields(value)) {
    bool wanted = key == "message" || key == "msg" || key == "detail" || key == "reason" ||
                  key == "quotaId" || key == "type" || key == "code" || key == "status" ||
                  key == "details" || key == "violations" || key == "loc" || key == "metadata" ||
                  key == "error_code";
    if (wanted) collect_text(info, item, depth + 1);
  }
}

void read_error_object(ErrorInfo& info, element error) {
  for (auto key : {"code", "type", "status"}) {
    if (auto value = member(error, key)) add_label(info, *value);
  }
  if (auto message = member(error, "message")) collect_text(info, *message, 0);
  if (auto details = member(error, "details")) collect_text(info, *details, 0);
}

ErrorInfo read_error_body(element root) {
  ErrorInfo info;
  if (auto error = member(root, "error")) {
    if (error->is_object()) {
      read_error_object(info, *error);
    } else {
      collect_text(info, *error, 0);
    }
  }
  for (auto key : {"code", "type"}) {
    auto value = member(root, key);
    std::string_view text;
    // Anthropic wraps every error in {"type":"error"}; that word says nothing.
    if (value && !(value->get_string().get(text) == simdjson::SUCCESS && text == "error")) {
      add_label(info, *value);
    }
  }
  for (auto key : {"message", "detail"}) {
    if (auto value = member(root, key)) collect_text(info, *value, 0);
  }
  if (auto id = string_at(root, "request_id")) info.request_id = std::string(*id);
  return info;
}

ErrorInfo read_text_body(std::string_view body) {
  ErrorInfo info;
  info.message = std::string(trim(body).substr(0, 160));
  add_signal(info, info.message);
  return info;
}

std::string html_title(std::string_view body) {
  std::string lower = lowercase(body.substr(0, 8192));
  size_t open = lower.find("<title>");
  if (open == std::string::npos) return "no title";
  size_t start = open + 7;
  size_t close = lower.find("</title>", start);
  if (close == std::string::npos) return "no title";
  return std::string(trim(body.substr(start, close - start)));
}

// --- deciding -------------------------------------------------------------------------

bool says_quota(const ErrorInfo& info) {
  return has_any(info.signal, {"insufficient_quota", "billing_hard_limit", "billing_not_active",
                               "credit balance", "credits", "spending limit", "spend limit",
                               "spend_limit", "usage limit", "payment required",
                               "insufficient balance", "/ month", "per month"});
}

bool says_bad_key(const ErrorInfo& info) {
  return has_any(info.signal,
                 {"api_key_invalid", "api key not valid", "incorrect api key", "invalid api key",
                  "invalid_api_key", "invalid x-api-key", "unauthenticated", "no api key"});
}

bool says_unknown_model(const ErrorInfo& info) {
  if (has_any(info.signal, {"model_not_found", "invalid model", "unknown model",
                            "model_decommissioned", "no such model"})) {
    return true;
  }
  return has_any(info.signal, {"model"}) &&
         has_any(info.signal, {"not found", "does not exist", "no longer available",
                               "decommissioned", "has been deprecated", "retired"});
}

bool says_overloaded(const ErrorInfo& info) {
  return has_any(info.signal, {"overloaded", "over capacity", "at capacity", "capacity exceeded"});
}

// Gemini answers per-minute limits, exhausted daily quotas and depleted prepayment alike
// with 429 RESOURCE_EXHAUSTED and often the same text; the quota id or the credit wording
// tells the ones that last past the minute apart.
ErrorType gemini_exhausted(const ErrorInfo& info) {
  bool lasting = says_quota(info) || has_any(info.signal, {"perday", "per day"});
  return lasting ? ErrorType::quota : ErrorType::rate_limited;
}

ErrorType client_error(Provider provider, int64_t status, const ErrorInfo& info, bool json) {
  if (provider == Provider::gemini && status == 429) return gemini_exhausted(info);
  if (status == 402 || (says_quota(info) && (status == 400 || status == 403 || status == 429))) {
    return ErrorType::quota;
  }
  if (status == 401 || status == 403) return ErrorType::auth;
  // A 429 that says the provider is at capacity is the provider's trouble, not our limit.
  if (status == 429) return says_overloaded(info) ? ErrorType::overloaded : ErrorType::rate_limited;
  if (status == 408) return ErrorType::timeout;
  if (status == 400 && says_bad_key(info)) return ErrorType::auth;
  if (status == 404) return json ? ErrorType::model_not_found : ErrorType::probe_config;
  if (says_unknown_model(info)) return ErrorType::model_not_found;
  return ErrorType::probe_config;
}

// 503 is HTTP's "cannot serve this now": from the API itself (its JSON) that is the provider
// shedding load, whatever wording it uses; 529 is Anthropic's own overload status.
ErrorType server_error(int64_t status, const ErrorInfo& info, bool json) {
  if (status == 529 || (status == 503 && json) || says_overloaded(info)) {
    return ErrorType::overloaded;
  }
  // A 5xx that is not the API's JSON came from something in front of it.
  return json ? ErrorType::server_error : ErrorType::gateway_error;
}

ErrorType html_error(int64_t status) {
  if (status >= 500) return ErrorType::gateway_error;
  if (status == 429) return ErrorType::rate_limited;
  if (status == 408) return ErrorType::timeout;
  if (status == 404 || status == 405) return ErrorType::probe_config;
  return ErrorType::edge_blocked;
}

std::string error_detail(int64_t status, const ErrorInfo& info) {
  if (info.label.empty()) return fmt::format("{}: {}", status, info.message);
  if (info.message.empty()) return fmt::format("{} {}", status, info.label);
  return fmt::format("{} {}: {}", status, info.label, info.message);
}

Verdict http_error(Provider provider, const Outcome& outcome, BodyKind kind, Document& doc) {
  int64_t status = *outcome.status;
  if (kind == BodyKind::html) {
    return {html_error(status), fmt::format("{} html: {}", status, html_title(outcome.body))};
  }
  ErrorInfo info =
      kind == BodyKind::json ? read_error_body(doc.root()) : read_text_body(outcome.body);
  bool json = kind == BodyKind::json;
  ErrorType type =
      status >= 500 ? server_error(status, info, json) : client_error(provider, status, info, json);
  std::string detail =
      kind == BodyKind::empty ? fmt::format("{} empty body", status) : error_detail(status, info);
  return {type, detail, std::nullopt, std::nullopt, info.request_id};
}

// --- successful responses -------------------------------------------------------------

struct Shape {
  std::string_view required;  // the member every success body of this provider has
  std::optional<int64_t> tokens_in;
  std::optional<int64_t> tokens_out;
  std::optional<std::string> id;
};

std::optional<int64_t> sum(std::optional<int64_t> a, std::optional<int64_t> b) {
  if (!a && !b) return std::nullopt;
  return a.value_or(0) + b.value_or(0);
}

std::optional<std::string> optional_text(element object, std::string_view key) {
  auto text = string_at(object, key);
  return text ? std::optional<std::string>(std::string(*text)) : std::nullopt;
}

// Returns the shape's tokens, or the missing member's name in `required` when the body is
// JSON but not this provider's success shape.
Shape read_success(Provider provider, element root) {
  Shape shape;
  auto has_array = [&](std::string_view key) {
    auto found = member(root, key);
    return found && found->is_array();
  };
  std::optional<element> usage = member(root, "usage");
  switch (provider) {
    case Provider::anthropic:
      if (!has_array("content")) shape.required = "content";
      shape.tokens_in = int_at(usage, "input_tokens");
      shape.tokens_out = int_at(usage, "output_tokens");
      shape.id = optional_text(root, "id");
      break;
    case Provider::gemini: {
      // A prompt blocked by safety filters still proves the API answers.
      if (!has_array("candidates") && !member(root, "promptFeedback")) {
        shape.required = "candidates";
      }
      std::optional<element> meta = member(root, "usageMetadata");
      shape.tokens_in = int_at(meta, "promptTokenCount");
      shape.tokens_out =
          sum(int_at(meta, "candidatesTokenCount"), int_at(meta, "thoughtsTokenCount"));
      shape.id = optional_text(root, "responseId");
      break;
    }
    case Provider::cohere: {
      if (!member(root, "message") && !member(root, "finish_reason")) shape.required = "message";
      std::optional<element> billed = member(usage, "billed_units");
      std::optional<element> tokens = member(usage, "tokens");
      shape.tokens_in = int_at(billed, "input_tokens");
      if (!shape.tokens_in) shape.tokens_in = int_at(tokens, "input_tokens");
      shape.tokens_out = int_at(billed, "output_tokens");
      if (!shape.tokens_out) shape.tokens_out = int_at(tokens, "output_tokens");
      shape.id = optional_text(root, "id");
      break;
    }
    default:
      if (!has_array("choices")) shape.required = "choices";
      shape.tokens_in = int_at(usage, "prompt_tokens");
      shape.tokens_out = int_at(usage, "completion_tokens");
      shape.id = optional_text(root, "id");
  }
  return shape;
}

Verdict success(Provider provider, const Outcome& outcome, BodyKind kind, Document& doc) {
  int64_t status = *outcome.status;
  if (outcome.body_capped) return {ErrorType::bad_body, fmt::format("{} body too large", status)};
  switch (kind) {
    case BodyKind::empty: return {ErrorType::bad_body, fmt::format("{} empty body", status)};
    case BodyKind::html:
      return {ErrorType::bad_body,
              fmt::format("{} html instead of json: {}", status, html_title(outcome.body))};
    case BodyKind::text:
      return {ErrorType::bad_body, fmt::format("{} truncated or invalid json", status)};
    case BodyKind::json: break;
  }
  element root = doc.root();
  if (member(root, "error")) {
    ErrorInfo info = read_error_body(root);
    return {ErrorType::bad_body, "error body with a 2xx: " + error_detail(status, info)};
  }
  Shape shape = read_success(provider, root);
  if (!shape.required.empty()) {
    return {ErrorType::bad_body, fmt::format("{} json without \"{}\"", status, shape.required)};
  }
  return {std::nullopt, "", shape.tokens_in, shape.tokens_out, shape.id};
}

// --- transport failures ---------------------------------------------------------------

Verdict transport(const ProbeContext& context, const Outcome& outcome) {
  if (outcome.timed_out) {
    if (!outcome.status) {
      return {ErrorType::timeout,
              fmt::format("no response headers within {} ms", context.timeout_ms)};
    }
    return {ErrorType::timeout, fmt::format("{} headers arrived, body not complete within {} ms",
                                            *outcome.status, context.timeout_ms)};
  }
  // The shim refuses to send a request without its credential: that is ours to fix.
  if (outcome.error_name == "MissingSecret") return {ErrorType::auth, outcome.error_message};
  std::string what = fmt::format("{}: {}", outcome.error_name, outcome.error_message);
  if (outcome.status) {
    return {ErrorType::bad_body, fmt::format("{} body cut off: {}", *outcome.status, what)};
  }
  std::string signal = lowercase(what);
  bool dns = has_any(signal, {"dns", "enotfound", "getaddrinfo", "eai_again", "not resolve",
                              "name resolution", "name not resolved", "no such host"});
  return {dns ? ErrorType::dns_error : ErrorType::connect_error, what};
}

std::optional<std::string> request_id(const Outcome& outcome, const Verdict& verdict) {
  for (auto name : {"x-request-id", "request-id", "mistral-correlation-id", "x-debug-trace-id",
                    "x-kong-request-id"}) {
    if (auto value = header(outcome, name); value && !value->empty()) {
      return std::string(utf8_prefix(*value, 128));
    }
  }
  if (verdict.body_request_id) return std::string(utf8_prefix(*verdict.body_request_id, 128));
  return std::nullopt;
}

int64_t whole_ms(double ms) { return ms > 0 && std::isfinite(ms) ? std::llround(ms) : 0; }

Verdict judge(const ProbeContext& context, const Outcome& outcome) {
  if (outcome.failed || !outcome.status) return transport(context, outcome);
  Document doc;
  BodyKind kind = body_kind(outcome, doc);
  int64_t status = *outcome.status;
  if (status >= 200 && status < 300) return success(context.provider, outcome, kind, doc);
  if (status >= 300 && status < 400) {
    auto location = header(outcome, "location").value_or("nowhere");
    return {ErrorType::probe_config, fmt::format("{} redirect to {}", status, location)};
  }
  return http_error(context.provider, outcome, kind, doc);
}

}  // namespace

Row classify(const ProbeContext& context, const Outcome& outcome) {
  Verdict verdict = judge(context, outcome);

  Row row;
  row.scheduled_at = iso_utc_minute(context.scheduled_ms);
  row.ts = iso_utc_millis(context.started_ms);
  row.region = context.region;
  row.colo = context.colo;
  row.provider = std::string(provider_name(context.provider));
  row.model = context.model;
  row.ok = !verdict.error;
  row.http_status = outcome.status;
  row.error_type = verdict.error;
  row.latency_ms = whole_ms(outcome.ms_total);
  if (outcome.ms_to_headers) row.ttfb_ms = whole_ms(*outcome.ms_to_headers);
  row.tokens_in = verdict.tokens_in;
  row.tokens_out = verdict.tokens_out;
  row.request_id = request_id(outcome, verdict);
  if (!verdict.detail.empty()) row.detail = short_detail(verdict.detail);
  return row;
}

}  // namespace heyhi
