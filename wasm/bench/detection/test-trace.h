// Builders shared by the detection doctests: a configuration from JSON and rows by outcome.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "config.h"
#include "detection/trace.h"
#include "time-format.h"

namespace heyhi::detection::testing {

inline constexpr int64_t kStartMinute = 29938334;  // 2026-12-03T12:14:00Z

inline Config config_of(std::string_view json) {
  auto parsed = parse_config(json);
  REQUIRE(parsed.ok());
  return parsed.value();
}

// A probe at `minute` after kStartMinute: "ok", "ok:<latency>" or an error type name.
inline Row probe(const Target& target, int minute, std::string_view outcome,
                 std::string region = "enam") {
  Row r;
  int64_t ms = (kStartMinute + minute) * kMinuteMillis;
  r.scheduled_at = iso_utc_minute(ms);
  r.ts = iso_utc_millis(ms + 200 + static_cast<int64_t>(region.size()));
  r.region = std::move(region);
  r.provider = std::string(provider_name(target.provider));
  r.model = target.model;
  r.ok = outcome.substr(0, 2) == "ok";
  r.latency_ms = r.ok && outcome.size() > 3 ? std::stoll(std::string(outcome.substr(3))) : 300;
  if (!r.ok) r.error_type = error_type_from_name(outcome);
  return r;
}

inline Trace trace_of(Config config, std::vector<std::vector<Row>> per_target) {
  Trace trace;
  trace.config = std::move(config);
  trace.targets.resize(trace.config.targets.size());
  for (size_t i = 0; i < per_target.size(); ++i) {
    trace.targets[i].rows = std::move(per_target[i]);
    order_rows(trace.targets[i]);
  }
  compute_span(trace);
  return trace;
}

}  // namespace heyhi::detection::testing
