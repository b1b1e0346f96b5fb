#include "rows.h"

#include <array>
#include <initializer_list>
#include <utility>

#include <fmt/format.h>

namespace heyhi {
namespace {

constexpr std::array<std::string_view, 13> kErrorTypeNames = {
    "overloaded",      "server_error", "gateway_error", "timeout", "bad_body",
    "connect_error",   "dns_error",    "edge_blocked",  "auth",    "quota",
    "model_not_found", "probe_config", "rate_limited"};

constexpr std::array<std::string_view, 4> kAttributionNames = {"provider", "ours", "network",
                                                               "ambiguous"};

Error row_error(size_t index, std::string_view key, std::string_view what) {
  return {fmt::format("rows[{}].{}", index, key), std::string(what)};
}

std::optional<std::string> optional_string(element object, std::string_view key) {
  auto text = string_at(object, key);
  if (!text) return std::nullopt;
  return std::string(*text);
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

Result<Row> read_row(element object, size_t index) {
  if (!object.is_object()) return Error{fmt::format("rows[{}]", index), "must be an object"};
  Row row;
  using Required = std::pair<std::string_view, std::string*>;
  for (auto [key, target] : std::initializer_list<Required>{{"scheduled_at", &row.scheduled_at},
                                                            {"ts", &row.ts},
                                                            {"region", &row.region},
                                                            {"provider", &row.provider},
                                                            {"model", &row.model}}) {
    auto text = string_at(object, key);
    if (!text || text->empty()) return row_error(index, key, "must be a non-empty string");
    *target = std::string(*text);
  }
  auto ok = bool_at(object, "ok");
  if (!ok) return row_error(index, "ok", "must be true or false");
  row.ok = *ok;

  auto latency = int_at(object, "latency_ms");
  if (!latency || *latency < 0) {
    return row_error(index, "latency_ms", "must be a whole number >= 0");
  }
  row.latency_ms = *latency;

  if (auto name = string_at(object, "error_type")) {
    row.error_type = error_type_from_name(*name);
    if (!row.error_type) return row_error(index, "error_type", "is not a known error type");
  }
  if (row.ok == row.error_type.has_value()) {
    return row_error(index, "error_type", "must be null exactly when ok is true");
  }
  row.colo = optional_string(object, "colo");
  row.http_status = int_at(object, "http_status");
  row.ttfb_ms = int_at(object, "ttfb_ms");
  row.tokens_in = int_at(object, "tokens_in");
  row.tokens_out = int_at(object, "tokens_out");
  row.request_id = optional_string(object, "request_id");
  row.detail = optional_string(object, "detail");
  return row;
}

Result<std::vector<Row>> read_rows(element array) {
  if (!array.is_array()) return Error{"rows", "must be an array of rows"};
  std::vector<Row> rows;
  size_t index = 0;
  for (element item : items(array)) {
    auto row = read_row(item, index++);
    if (!row.ok()) return row.error();
    rows.push_back(std::move(row).value());
  }
  return rows;
}

}  // namespace heyhi
