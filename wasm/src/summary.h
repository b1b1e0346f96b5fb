// Per-target figures over a set of rows: probe counts, failures by error type, and exact
// latency percentiles of the successful probes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rows.h"

namespace heyhi {

// Nearest-rank percentile of `sorted` (ascending): the smallest sample with at least
// q of the samples at or below it. Empty input has no percentile; one sample is every
// percentile; ties need no interpolation.
std::optional<int64_t> nearest_rank(const std::vector<int64_t>& sorted, double q);
// Where that sample sits among `count` sorted ones (count > 0).
size_t nearest_rank_index(size_t count, double q);

struct TargetSummary {
  std::string provider;
  std::string model;
  int64_t probes = 0;
  int64_t failures = 0;
  std::map<std::string, int64_t> by_error_type;
  std::optional<int64_t> p50_ms;
  std::optional<int64_t> p95_ms;
};

// One entry per provider and model, in order of first appearance.
std::vector<TargetSummary> summarize(const std::vector<Row>& rows);

}  // namespace heyhi
