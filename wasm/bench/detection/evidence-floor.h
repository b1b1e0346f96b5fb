// How soon the evidence for a partial incident can exist at all, whatever decides on it. A rule
// can open only on failed probes it has seen, and the probes come at the cadence until the
// first failure, then every minute from every region while confirmation runs. For an incident
// that fails each probe independently at a fixed rate, this computes exactly, minute by
// minute, the chance that a given amount of failures has been seen: a floor under every
// decider's detection time that no threshold or guard can beat.
#pragma once

#include <optional>
#include <vector>

namespace heyhi::detection {

struct FloorSetting {
  int cadence_min = 2;
  int regions = 3;  // 1 to 8
  double failure_rate = 0.3;
  // After a failure, every region probes each minute until this many minutes pass without
  // one, as the plan confirms; 0: the cadence's probes alone.
  int confirm_min = 10;
};

// What a decider needs to have seen: `total` failures in all, with `per_region` of them from
// each region (what tells an incident on every region from bad patches overlapping in some).
struct Needed {
  int per_region = 0;  // 0 to 3
  int total = 1;       // 1 to 6
};

// For minute m = 0 .. horizon of an incident (m = 0 its first minute), the chance that what is
// needed has been seen by the end of minute m, averaged over where the incident's start falls
// in the cadence. Empty for a setting out of range.
std::vector<double> chance_by_minute(const FloorSetting& setting, Needed needed, int horizon);

// The first minute whose chance reaches `q` (0.95 for a p95); none within the horizon.
std::optional<int> minute_reaching(const std::vector<double>& chance, double q);

}  // namespace heyhi::detection
