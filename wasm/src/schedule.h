// Which probes run in a given cron minute. Each target fires every `cadence_min` minutes at
// its own phase, once per configured region.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config.h"
#include "request.h"

namespace heyhi {

bool is_due(const Target& target, int64_t epoch_minute);

struct PlannedProbe {
  const Target* target;
  std::string region;
  ProbeRequest request;
};

// Cron may fire late or twice; everything keys on the minute containing `scheduled_ms`.
std::vector<PlannedProbe> plan(const Config& config, int64_t scheduled_ms);

}  // namespace heyhi
