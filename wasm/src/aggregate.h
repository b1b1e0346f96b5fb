// Figures over any window of cron minutes, per target, per provider, per region and overall:
// probe counts, failures by attribution, failure rates, exact p50 and p95 of the successful
// probes, and for each target its p95 against its own baseline.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rows.h"
#include "vantage.h"
#include "window-stats.h"

namespace heyhi {

struct ScopeFigures {
  std::string provider;  // empty for the overall and region scopes
  std::string model;     // set for target scopes only
  std::string region;    // set for region scopes only
  Tally tally;
  std::optional<int64_t> baseline_p95_ms;  // targets only, where there is enough history
  // Targets only: set while every Cloudflare region is failing against the target, with what
  // an outside vantage saw since (the alert rules' evidence, at the window's last minute).
  std::optional<VantageEvidence> vantage;
};

struct Aggregation {
  int64_t from_ms = 0;  // exclusive
  int64_t to_ms = 0;    // inclusive: the last minute counted
  ScopeFigures overall;
  std::vector<ScopeFigures> providers;
  std::vector<ScopeFigures> targets;
  std::vector<ScopeFigures> regions;
};

// The window holds the `window_min` cron minutes up to and including the one containing
// `now_ms`; rows outside it count only towards target baselines.
Aggregation aggregate(const std::vector<Row>& rows, int64_t now_ms, int window_min);

}  // namespace heyhi
