#include "aggregate.h"

#include <algorithm>

#include "time-format.h"

namespace heyhi {
namespace {

ScopeFigures& find_or_add(std::vector<ScopeFigures>& scopes, const ScopeFigures& key) {
  auto it = std::find_if(scopes.begin(), scopes.end(), [&](const ScopeFigures& s) {
    return s.provider == key.provider && s.model == key.model && s.region == key.region;
  });
  if (it != scopes.end()) return *it;
  scopes.push_back(key);
  return scopes.back();
}

void finish_all(std::vector<ScopeFigures>& scopes) {
  for (ScopeFigures& s : scopes) s.tally.finish();
  std::sort(scopes.begin(), scopes.end(), [](const ScopeFigures& a, const ScopeFigures& b) {
    return std::tie(a.provider, a.model, a.region) < std::tie(b.provider, b.model, b.region);
  });
}

}  // namespace

Aggregation aggregate(const std::vector<Row>& rows, int64_t now_ms, int window_min) {
  Aggregation out;
  out.to_ms = epoch_minute(now_ms) * kMinuteMs;
  out.from_ms = out.to_ms - int64_t{std::max(window_min, 1)} * kMinuteMs;
  std::vector<TimedRow> timed = timed_rows(rows);

  for (const TimedRow& r : timed) {
    if (r.minute_ms <= out.from_ms || r.minute_ms > out.to_ms) continue;
    const Row& row = *r.row;
    out.overall.tally.add(row);
    find_or_add(out.providers, {row.provider, "", "", {}, {}}).tally.add(row);
    find_or_add(out.targets, {row.provider, row.model, "", {}, {}}).tally.add(row);
    find_or_add(out.regions, {"", "", row.region, {}, {}}).tally.add(row);
  }
  out.overall.tally.finish();
  finish_all(out.providers);
  finish_all(out.targets);
  finish_all(out.regions);

  for (ScopeFigures& target : out.targets) {
    std::vector<TimedRow> own;
    for (const TimedRow& r : timed) {
      if (r.row->provider == target.provider && r.row->model == target.model) own.push_back(r);
    }
    target.baseline_p95_ms = baseline_p95(own, out.to_ms);
    VantageEvidence evidence = vantage_evidence(own, out.to_ms);
    if (evidence.every_region_failing) target.vantage = std::move(evidence);
  }
  return out;
}

}  // namespace heyhi
