#include "detection/trace.h"

#include <algorithm>
#include <numeric>

#include "time-format.h"

namespace heyhi::detection {

std::pair<size_t, size_t> TargetRows::range(int64_t from, int64_t to) const {
  auto first = std::lower_bound(minutes.begin(), minutes.end(), from);
  auto last = std::upper_bound(first, minutes.end(), to);
  return {static_cast<size_t>(first - minutes.begin()),
          static_cast<size_t>(last - minutes.begin())};
}

void order_rows(TargetRows& target) {
  std::vector<int64_t> minute_of(target.rows.size());
  for (size_t i = 0; i < target.rows.size(); ++i) {
    minute_of[i] = epoch_minute(parse_iso_utc(target.rows[i].scheduled_at).value_or(0));
  }
  std::vector<size_t> order(target.rows.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (minute_of[a] != minute_of[b]) return minute_of[a] < minute_of[b];
    return target.rows[a].ts < target.rows[b].ts;
  });

  std::vector<Row> rows;
  rows.reserve(order.size());
  target.minutes.clear();
  target.minutes.reserve(order.size());
  for (size_t i : order) {
    rows.push_back(std::move(target.rows[i]));
    target.minutes.push_back(minute_of[i]);
  }
  target.rows = std::move(rows);
}

void compute_span(Trace& trace) {
  bool any = false;
  for (const TargetRows& t : trace.targets) {
    if (t.minutes.empty()) continue;
    trace.first_minute = any ? std::min(trace.first_minute, t.minutes.front()) : t.minutes.front();
    trace.last_minute = any ? std::max(trace.last_minute, t.minutes.back()) : t.minutes.back();
    any = true;
  }
  if (!any) {
    trace.first_minute = 0;
    trace.last_minute = 0;
  }
}

}  // namespace heyhi::detection
