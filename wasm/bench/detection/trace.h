// Probe rows grouped by target and ordered by their cron minute: what every decider replays,
// whether the rows came from the simulator or from a store's export.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "config.h"
#include "rows.h"

namespace heyhi::detection {

inline constexpr int64_t kMinuteMillis = 60000;
inline constexpr int64_t kDayMinutes = 24 * 60;

struct TargetRows {
  std::vector<Row> rows;         // by minute, then by ts
  std::vector<int64_t> minutes;  // the epoch minute of each row's scheduled_at

  // Indexes [first, last) of the rows whose minute is in [from, to].
  std::pair<size_t, size_t> range(int64_t from, int64_t to) const;
};

struct Trace {
  Config config;
  std::vector<TargetRows> targets;  // one per config.targets entry, in the same order
  int64_t first_minute = 0;
  int64_t last_minute = 0;
};

// Sorts a target's rows into replay order and fills their minutes. Rows must have a
// scheduled_at that parse_iso_utc reads.
void order_rows(TargetRows& target);

// First and last minute over every target's rows; both 0 when there are none.
void compute_span(Trace& trace);

}  // namespace heyhi::detection
