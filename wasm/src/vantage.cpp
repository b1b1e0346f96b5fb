#include "vantage.h"

#include <algorithm>
#include <cstdint>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "config.h"

namespace heyhi {
namespace {

// A failure that says something about the provider or the path to it; our own configuration
// and rate limits on our key say neither.
bool counted_failure(const Row& row) {
  if (row.ok || !row.error_type) return false;
  Attribution who = attribution_of(*row.error_type);
  return who == Attribution::provider || who == Attribution::network;
}

struct RegionRun {
  std::optional<int64_t> last_ok_ms;
  std::vector<int64_t> failure_ms;

  bool since_ok(int64_t at) const { return !last_ok_ms || at > *last_ok_ms; }
  int64_t failures_since_ok() const {
    return std::count_if(failure_ms.begin(), failure_ms.end(),
                         [&](int64_t at) { return since_ok(at); });
  }
  // The first failure after the latest success: the trouble began between the two.
  int64_t failing_since() const {
    int64_t first = INT64_MAX;
    for (int64_t at : failure_ms) {
      if (since_ok(at)) first = std::min(first, at);
    }
    return first;
  }
};

bool in_lookback(const TimedRow& r, int64_t now_minute_ms) {
  return r.minute_ms > now_minute_ms - kVantageLookbackMin * kMinuteMs &&
         r.minute_ms <= now_minute_ms;
}

std::map<std::string, RegionRun> cloudflare_runs(const std::vector<TimedRow>& rows,
                                                 int64_t now_minute_ms) {
  std::map<std::string, RegionRun> runs;
  for (const TimedRow& r : rows) {
    if (!in_lookback(r, now_minute_ms) || is_outside_vantage(r.row->region)) continue;
    RegionRun& run = runs[r.row->region];
    if (r.row->ok) {
      run.last_ok_ms = std::max(run.last_ok_ms.value_or(r.minute_ms), r.minute_ms);
    } else if (counted_failure(*r.row)) {
      run.failure_ms.push_back(r.minute_ms);
    }
  }
  return runs;
}

// Outside probes from `onset_ms` on: the latest one that failed counts first, since a provider
// that fails from outside as well is the provider, whatever an earlier outside probe saw.
void read_outside(const std::vector<TimedRow>& rows, int64_t now_minute_ms, int64_t onset_ms,
                  VantageEvidence& out) {
  const TimedRow* latest_ok = nullptr;
  const TimedRow* latest_failure = nullptr;
  for (const TimedRow& r : rows) {
    if (!in_lookback(r, now_minute_ms) || r.minute_ms < onset_ms) continue;
    if (!is_outside_vantage(r.row->region)) continue;
    const TimedRow*& slot = r.row->ok ? latest_ok : latest_failure;
    if (!r.row->ok && !counted_failure(*r.row)) continue;
    if (!slot || r.minute_ms > slot->minute_ms) slot = &r;
  }
  const TimedRow* decided = latest_failure ? latest_failure : latest_ok;
  if (!decided) return;
  out.outside = latest_failure ? OutsideView::failing : OutsideView::fine;
  out.vantage = decided->row->region;
  out.seen_minute_ms = decided->minute_ms;
}

}  // namespace

std::optional<std::string> VantageEvidence::verdict() const {
  switch (outside) {
    case OutsideView::fine: return "network";
    case OutsideView::failing: return "provider";
    case OutsideView::none: return std::nullopt;
  }
  return std::nullopt;
}

std::string_view VantageEvidence::state() const {
  switch (outside) {
    case OutsideView::fine: return "fine";
    case OutsideView::failing: return "failing";
    case OutsideView::none: return "none";
  }
  return "none";
}

std::string VantageEvidence::text(int64_t now_minute_ms) const {
  std::string failing = fmt::format("failing from {}", fmt::join(failing_regions, ", "));
  if (outside == OutsideView::none) return failing + "; no outside vantage";
  int64_t ago = (now_minute_ms - seen_minute_ms) / kMinuteMs;
  std::string when = ago == 0 ? "this minute" : fmt::format("{} min ago", ago);
  if (outside == OutsideView::failing) {
    return fmt::format("{} and from {} {}", failing, vantage, when);
  }
  return fmt::format("{}; fine from {} {}", failing, vantage, when);
}

VantageEvidence vantage_evidence(const std::vector<TimedRow>& rows, int64_t now_minute_ms) {
  VantageEvidence out;
  std::map<std::string, RegionRun> runs = cloudflare_runs(rows, now_minute_ms);
  if (runs.empty()) return out;
  // An outside probe speaks for the trouble once every region was seen failing: one between
  // a region's last success and its first failure may predate the trouble.
  int64_t onset_ms = 0;
  for (const auto& [region, run] : runs) {
    if (run.failures_since_ok() < kVantageStreakMin) return out;
    out.failing_regions.push_back(region);
    onset_ms = std::max(onset_ms, run.failing_since());
  }
  out.every_region_failing = true;
  read_outside(rows, now_minute_ms, onset_ms, out);
  return out;
}

}  // namespace heyhi
