// One probe's outcome as stored: the `llm_checks` row, and the taxonomy its error_type and
// attribution come from. Rows cross the JSON boundary in both directions, so writing and
// reading them live together.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json-read.h"
#include "json-writer.h"
#include "result.h"

namespace heyhi {

enum class ErrorType {
  overloaded,
  server_error,
  gateway_error,
  timeout,
  bad_body,
  connect_error,
  dns_error,
  edge_blocked,
  auth,
  quota,
  model_not_found,
  probe_config,
  rate_limited,
};
inline constexpr size_t kErrorTypeCount = static_cast<size_t>(ErrorType::rate_limited) + 1;

// Who has to act: the provider, us (configuration, keys, billing), the network between, or
// nobody can tell yet (a rate limit on our key may be either).
enum class Attribution { provider, ours, network, ambiguous };

std::string_view error_type_name(ErrorType type);
std::optional<ErrorType> error_type_from_name(std::string_view name);
std::string_view attribution_name(Attribution attribution);
Attribution attribution_of(ErrorType type);

struct Row {
  std::string scheduled_at;  // the cron minute, ISO UTC
  std::string ts;            // when the probe started, ISO UTC with milliseconds
  std::string region;
  std::optional<std::string> colo;
  std::string provider;
  std::string model;
  bool ok = false;
  std::optional<int64_t> http_status;
  std::optional<ErrorType> error_type;
  int64_t latency_ms = 0;
  std::optional<int64_t> ttfb_ms;
  std::optional<int64_t> tokens_in;
  std::optional<int64_t> tokens_out;
  std::optional<std::string> request_id;
  std::optional<std::string> detail;
};

// Every row is written with the same keys in the same order: PostgREST refuses a batch whose
// objects differ in keys, and D1 reads the same document.
void write_row(JsonWriter& w, const Row& row);
inline constexpr int kRowKeyCount = 16;

Result<Row> read_row(element object, size_t index);
Result<std::vector<Row>> read_rows(element array);

}  // namespace heyhi
