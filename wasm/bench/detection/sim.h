// A simulated month of probes for a configuration: bursty background noise per target and
// region, and injected incidents with a known start and end. Deterministic for a seed, and the
// noise does not depend on the incidents, so two runs differ only where incidents were put.
#pragma once

#include <cstdint>
#include <vector>

#include "config.h"
#include "detection/score.h"
#include "detection/trace.h"

namespace heyhi::detection {

// A simulated failure's detail says where it came from.
inline constexpr const char* kFromPatch = "sim: background, bad patch";
inline constexpr const char* kFromCalm = "sim: background, calm";
inline constexpr const char* kFromTail = "sim: latency tail past the timeout";
inline constexpr const char* kFromIncident = "sim: incident";

// The outside vantage's name on its rows: a GitHub Actions runner.
inline constexpr const char* kOutsideVantage = "gha-eastus";

// GitHub's scheduled workflows, as the outside vantage's runs meet them: a run every
// `every_min` minutes on paper, some never started, the others started late (GitHub documents
// delays under load and dropped runs, without figures; these rates are assumptions). A run
// probes every target once.
struct OutsideSchedule {
  int every_min = 5;
  double skipped = 0.15;
  // Lateness of a run that starts: up to 3 min for the first share, 3-10 for the second,
  // 10-20 for the third, 20-30 for the rest.
  double on_time = 0.10;
  double late_3_10 = 0.45;
  double late_10_20 = 0.30;
};

struct SimOptions {
  uint64_t seed = 20261201;
  int days = 30;
  // History before the month, so the latency baseline has its week from the first minute.
  int warmup_days = 7;
  int incidents_per_cadence = 30;  // of each kind, at each cadence present in the config;
                                   // Cloudflare egress trouble: this many, over every target
  int64_t month_start_minute = 0;  // 0: 2026-11-02T00:00Z
  bool outside_vantage = true;     // an outside vantage's rows in `confirmed`
  OutsideSchedule outside;
};

// What the simulator drew for one target.
struct TargetNoise {
  double base_error_rate = 0;  // the calm and bad-patch states together
  double median_ms = 0;
};

struct Simulation {
  Trace trace;  // the probes on each target's cadence: what a monitor without confirmation stores
  Trace confirmed;  // those plus the confirmation probes HeyHi's plan adds after a failure,
                    // and the outside vantage's rows
  std::vector<int64_t> outside_runs;  // the minutes the outside vantage's runs started
  std::vector<Incident> incidents;
  std::vector<TargetNoise> noise;
  int64_t month_from = 0;  // first scored minute
  int64_t month_to = 0;    // last scored minute
  // Per target, the minutes (from the first simulated one) when every region was in a bad
  // patch at once: background that looks like an incident on every probe while it lasts.
  std::vector<std::vector<int64_t>> all_patched;
};

// The stretches of consecutive minutes in `minutes` (sorted), as [first, last] pairs.
std::vector<std::pair<int64_t, int64_t>> stretches(const std::vector<int64_t>& minutes);

// The background's shape: how errors cluster into bad patches and how far latency tails out.
struct NoiseModel {
  double patch_share = 0.5;  // of a target's errors, the share that falls in bad patches
  double patch_error_rate = 0.35;
  double patch_mean_min = 8;
  double latency_sigma = 0.30;  // of the lognormal body
  double outlier_rate = 0.002;  // probes far out in the tail, 2 to 9 s
};

Simulation simulate(Config config, const SimOptions& options, const NoiseModel& model = {});

}  // namespace heyhi::detection
