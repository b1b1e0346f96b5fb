#include "summary.h"

#include <algorithm>
#include <cmath>

namespace heyhi {

size_t nearest_rank_index(size_t count, double q) {
  double clamped = std::clamp(q, 0.0, 1.0);
  auto rank = static_cast<size_t>(std::ceil(clamped * static_cast<double>(count)));
  return rank == 0 ? 0 : rank - 1;
}

std::optional<int64_t> nearest_rank(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return std::nullopt;
  return sorted[nearest_rank_index(sorted.size(), q)];
}

std::vector<TargetSummary> summarize(const std::vector<Row>& rows) {
  std::vector<TargetSummary> out;
  std::vector<std::vector<int64_t>> latencies;
  for (const Row& row : rows) {
    auto it = std::find_if(out.begin(), out.end(), [&](const TargetSummary& s) {
      return s.provider == row.provider && s.model == row.model;
    });
    if (it == out.end()) {
      out.push_back({row.provider, row.model});
      latencies.emplace_back();
      it = out.end() - 1;
    }
    auto index = static_cast<size_t>(it - out.begin());
    it->probes++;
    if (row.ok) {
      latencies[index].push_back(row.latency_ms);
    } else {
      it->failures++;
      it->by_error_type[std::string(error_type_name(*row.error_type))]++;
    }
  }
  for (size_t i = 0; i < out.size(); ++i) {
    std::sort(latencies[i].begin(), latencies[i].end());
    out[i].p50_ms = nearest_rank(latencies[i], 0.50);
    out[i].p95_ms = nearest_rank(latencies[i], 0.95);
  }
  return out;
}

}  // namespace heyhi
