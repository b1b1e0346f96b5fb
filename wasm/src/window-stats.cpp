#include "window-stats.h"

#include <algorithm>
#include <cstdlib>

#include "summary.h"
#include "time-format.h"

namespace heyhi {
namespace {

constexpr size_t kBaselineMinSamples = 20;
constexpr int64_t kHourMs = 60 * kMinuteMs;

}  // namespace

std::vector<TimedRow> timed_rows(const std::vector<Row>& rows) {
  std::vector<TimedRow> out;
  out.reserve(rows.size());
  for (const Row& row : rows) {
    if (auto minute = parse_iso_utc(row.scheduled_at)) out.push_back({&row, *minute});
  }
  return out;
}

void Tally::add(const Row& row) {
  ++probes;
  auto region = std::find_if(regions.begin(), regions.end(),
                             [&](const RegionCount& r) { return r.region == row.region; });
  if (region == regions.end()) region = regions.insert(regions.end(), {row.region});
  if (row.ok) {
    ok_latency.push_back(row.latency_ms);
    return;
  }
  ++by_type[static_cast<size_t>(*row.error_type)];
  switch (attribution_of(*row.error_type)) {
    case Attribution::provider: ++provider; break;
    case Attribution::network: ++network; break;
    case Attribution::ours: ++ours; return;
    case Attribution::ambiguous: ++ambiguous; return;
  }
  ++region->failures;
}

int64_t Tally::regions_failing(int64_t min) const {
  return std::count_if(regions.begin(), regions.end(),
                       [&](const RegionCount& r) { return r.failures > 0 && r.failures >= min; });
}

std::map<std::string, int64_t> Tally::error_types() const {
  std::map<std::string, int64_t> out;
  for (size_t i = 0; i < by_type.size(); ++i) {
    if (by_type[i] > 0) out.emplace(error_type_name(static_cast<ErrorType>(i)), by_type[i]);
  }
  return out;
}

void Tally::finish() { std::sort(ok_latency.begin(), ok_latency.end()); }

double Tally::rate() const {
  int64_t tested = probes - ours;
  return tested > 0 ? static_cast<double>(counted()) / static_cast<double>(tested) : 0.0;
}

bool in_baseline_hours(int64_t minute_ms, int64_t now_minute_ms) {
  int64_t hour = now_minute_ms - now_minute_ms % kHourMs;
  for (int day = 1; day <= kBaselineHourDays; ++day) {
    int64_t start = hour - day * kDayMs;
    if (minute_ms >= start && minute_ms < start + kHourMs) return true;
  }
  return false;
}

// A week of samples per target, once an hour: one order statistic is all the p95 needs, so
// it is selected, not sorted for.
std::optional<int64_t> baseline_of(std::vector<int64_t> samples) {
  if (samples.size() < kBaselineMinSamples) return std::nullopt;
  size_t rank = nearest_rank_index(samples.size(), 0.95);
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(rank),
                   samples.end());
  return samples[rank];
}

std::optional<int64_t> baseline_p95(const std::vector<TimedRow>& rows, int64_t now_minute_ms) {
  std::vector<int64_t> samples;
  for (const TimedRow& r : rows) {
    if (r.row->ok && in_baseline_hours(r.minute_ms, now_minute_ms)) {
      samples.push_back(r.row->latency_ms);
    }
  }
  return baseline_of(std::move(samples));
}

}  // namespace heyhi
