// What a set of rows says over a window of cron minutes: counts by attribution, the failure
// rate that matters for a provider, latency percentiles of the successes, and a target's
// baseline from the same hour on previous days. Shared by the alert rules and the
// aggregation export, so both count the same way.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rows.h"

namespace heyhi {

inline constexpr int64_t kMinuteMs = 60000;
inline constexpr int64_t kDayMs = 24 * 60 * kMinuteMs;

struct TimedRow {
  const Row* row;
  int64_t minute_ms;  // scheduled_at as epoch milliseconds
};

// The rows whose scheduled_at parses, with it as a number.
std::vector<TimedRow> timed_rows(const std::vector<Row>& rows);

struct Tally {
  // A region that probed, and its provider or network failures.
  struct RegionCount {
    std::string region;
    int64_t failures = 0;
  };

  int64_t probes = 0;
  int64_t provider = 0;
  int64_t network = 0;
  int64_t ours = 0;
  int64_t ambiguous = 0;
  std::vector<int64_t> ok_latency;  // sorted once finish() ran
  // Windows are counted thousands of times a minute over a handful of regions and error
  // types: flat counts, not maps keyed by strings.
  std::array<int64_t, kErrorTypeCount> by_type{};
  std::vector<RegionCount> regions;  // in the order first seen

  void add(const Row& row);
  void finish();

  // Failures of the provider or of the path to it. Our own configuration failures say
  // nothing about the provider, so they leave the denominator too.
  int64_t counted() const { return provider + network; }
  double rate() const;
  // Regions with at least `min` provider or network failures.
  int64_t regions_failing(int64_t min) const;
  // Failures by error type name, the types seen only.
  std::map<std::string, int64_t> error_types() const;
  std::string verdict() const { return network > provider ? "network" : "provider"; }
};

// A target's latency baseline is the p95 of its successful probes in the same clock hour on
// each of the previous days, when there are at least 20 of them. The clock hour, not the hour
// around this minute, so that one read an hour serves every minute of it.
inline constexpr int kBaselineHourDays = 7;

bool in_baseline_hours(int64_t minute_ms, int64_t now_minute_ms);
std::optional<int64_t> baseline_of(std::vector<int64_t> samples);
std::optional<int64_t> baseline_p95(const std::vector<TimedRow>& rows, int64_t now_minute_ms);

}  // namespace heyhi
