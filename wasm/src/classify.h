// Turns what one probe saw into one row: ok or exactly one error_type with its attribution.
// Decisions come from the status and the body, never from latency: a fast 429 is a
// rejection and a slow 200 is a success.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config.h"
#include "rows.h"

namespace heyhi {

struct Outcome {
  std::optional<int64_t> status;  // absent when no response headers arrived
  std::vector<std::pair<std::string, std::string>> headers;  // names in lowercase
  std::string body;
  bool body_capped = false;  // the shim stopped reading at its size limit
  std::optional<double> ms_to_headers;
  double ms_total = 0;

  // A transport failure: fetch threw, or the probe's own timeout fired. The shim names a
  // probe it did not send because its credential is missing "MissingSecret".
  bool failed = false;
  bool timed_out = false;
  std::string error_name;
  std::string error_message;
};

struct ProbeContext {
  Provider provider = Provider::openai;
  std::string model;
  std::string region;
  std::optional<std::string> colo;
  int64_t scheduled_ms = 0;
  int64_t started_ms = 0;
  int timeout_ms = 0;
};

Row classify(const ProbeContext& context, const Outcome& outcome);

}  // namespace heyhi
