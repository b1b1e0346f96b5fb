#include "rows.h"

#include <array>
#include <initializer_list>
#include <utility>

#include <fmt/format.h>

namespace heyhi {
namespace {

constexpr std::array<std::string_view, kErrorTypeCount> kErrorTypeNames = {
    "overloaded",      "server_error", "gateway_error", "timeout", "bad_body",
    "connect_error",   "dns_error",    "edge_blocked",  "auth",    "quota",
    "model_not_found", "probe_config", "rate_limited"};

constexpr std::array<std::string_view, 4> kAttributionNames = {"provider", "ours", "network",
                                                               "ambiguous"};

Error row_error(size_t index, std::string_view key, std::string_view what) {
  return {fmt::format("rows[{}].{}", index, key), std::string(what)};
}

}  // namespace

std::string_view error_type_name(ErrorType type) {
  return kErrorTypeNames[static_cast<size_t>(type)];
}

std::optional<ErrorType> error_type_from_name(std::string_view name) {
  for (size_t i = 0; i < kErrorTypeNames.size(); ++i) {
    if (kErrorTypeNames[i] == name) return static_cast<ErrorType>(i);
  }
  return std::nullopt;
}

std::string_view attribution_name(Attribution attribution) {
  return kAttributionNames[static_cast<size_t>(attribution)];
}

Attribution attribution_of(ErrorType type) {
  switch (type) {
    case ErrorType::overloaded:
    case ErrorType::server_error:
    case ErrorType::gateway_error:
    case ErrorType::timeout:
    case ErrorType::bad_body: return Attribution::provider;
    case ErrorType::connect_error:
    case ErrorType::dns_error:
    case ErrorType::edge_blocked: return Attribution::network;
    case ErrorType::auth:
    case ErrorType::quota:
    case ErrorType::model_not_found:
    case ErrorType::probe_config: return Attribution::ours;
    case ErrorType::rate_limited: return Attribution::ambiguous;
  }
  return Attribution::ambiguous;
}

void write_row(JsonWriter& w, const Row& row) {
  w.begin_object();
  w.field("scheduled_at", row.scheduled_at).field("ts", row.ts).field("region", row.region);
  w.field("colo", row.colo).field("provider", row.provider).field("model", row.model);
  w.field("ok", row.ok).field("http_status", row.http_status);
  w.key("error_type");
  row.error_type ? w.value(error_type_name(*row.error_type)) : w.null();
  w.key("attribution");
  row.error_type ? w.value(attribution_name(attribution_of(*row.error_type))) : w.null();
  w.field("latency_ms", row.latency_ms).field("ttfb_ms", row.ttfb_ms);
  w.field("tokens_in", row.tokens_in).field("tokens_out", row.tokens_out);
  w.field("request_id", row.request_id).field("detail", row.detail);
  w.end_object();
}

namespace {

// The keys a row is read from, in write_row's order.
enum RowKey : size_t {
  k_scheduled_at,
  k_ts,
  k_region,
  k_colo,
  k_provider,
  k_model,
  k_ok,
  k_http_status,
  k_error_type,
  k_attribution,
  k_latency_ms,
  k_ttfb_ms,
  k_tokens_in,
  k_tokens_out,
  k_request_id,
  k_detail,
  kRowKeys
};
constexpr std::array<std::string_view, kRowKeys> kRowKeyNames = {
    "scheduled_at", "ts",          "region",     "colo",        "provider",   "model",
    "ok",           "http_status", "error_type", "attribution", "latency_ms", "ttfb_ms",
    "tokens_in",    "tokens_out",  "request_id", "detail"};
static_assert(kRowKeys == kRowKeyCount);

// A store's answer holds thousands of rows: one pass over each object's fields instead of a
// search per key. Stores send the columns in a fixed order (all of them, or the rules' subset),
// so the search for a key starts after the last one found and wraps around. The first of
// repeated keys counts, as a lookup by key would find it.
std::array<std::optional<element>, kRowKeys> row_fields(element object) {
  std::array<std::optional<element>, kRowKeys> out;
  size_t start = 0;
  for (auto field : fields(object)) {
    for (size_t step = 0; step < kRowKeys; ++step) {
      size_t i = (start + step) % kRowKeys;
      if (field.key != kRowKeyNames[i]) continue;
      if (!out[i]) out[i] = field.value;
      start = i + 1;
      break;
    }
  }
  return out;
}

std::optional<std::string_view> text_of(const std::optional<element>& value) {
  std::string_view text;
  if (!value || value->get_string().get(text) != simdjson::SUCCESS) return std::nullopt;
  return text;
}

std::optional<std::string> owned_text(const std::optional<element>& value) {
  auto text = text_of(value);
  return text ? std::optional<std::string>(*text) : std::nullopt;
}

std::optional<int64_t> int_of(const std::optional<element>& value) {
  return value ? as_int(*value) : std::nullopt;
}

}  // namespace

Result<Row> read_row(element object, size_t index) {
  if (!object.is_object()) return Error{fmt::format("rows[{}]", index), "must be an object"};
  auto at = row_fields(object);
  Row row;
  using Required = std::pair<RowKey, std::string*>;
  for (auto [key, target] : std::initializer_list<Required>{{k_scheduled_at, &row.scheduled_at},
                                                            {k_ts, &row.ts},
                                                            {k_region, &row.region},
                                                            {k_provider, &row.provider},
                                                            {k_model, &row.model}}) {
    auto text = text_of(at[key]);
    if (!text || text->empty())
      return row_error(index, kRowKeyNames[key], "must be a non-empty string");
    *target = std::string(*text);
  }
  bool ok = false;
  if (!at[k_ok] || at[k_ok]->get_bool().get(ok) != simdjson::SUCCESS) {
    return row_error(index, "ok", "must be true or false");
  }
  row.ok = ok;

  auto latency = int_of(at[k_latency_ms]);
  if (!latency || *latency < 0) {
    return row_error(index, "latency_ms", "must be a whole number >= 0");
  }
  row.latency_ms = *latency;

  if (auto name = text_of(at[k_error_type])) {
    row.error_type = error_type_from_name(*name);
    if (!row.error_type) return row_error(index, "error_type", "is not a known error type");
  }
  if (row.ok == row.error_type.has_value()) {
    return row_error(index, "error_type", "must be null exactly when ok is true");
  }
  row.colo = owned_text(at[k_colo]);
  row.http_status = int_of(at[k_http_status]);
  row.ttfb_ms = int_of(at[k_ttfb_ms]);
  row.tokens_in = int_of(at[k_tokens_in]);
  row.tokens_out = int_of(at[k_tokens_out]);
  row.request_id = owned_text(at[k_request_id]);
  row.detail = owned_text(at[k_detail]);
  return row;
}

Result<std::vector<Row>> read_rows(element array) {
  if (!array.is_array()) return Error{"rows", "must be an array of rows"};
  std::vector<Row> rows;
  rows.reserve(items(array).size());
  size_t index = 0;
  for (element item : items(array)) {
    auto row = read_row(item, index++);
    if (!row.ok()) return row.error();
    rows.push_back(std::move(row).value());
  }
  return rows;
}

}  // namespace heyhi
