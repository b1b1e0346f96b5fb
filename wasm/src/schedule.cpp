#include "schedule.h"

#include "time-format.h"

namespace heyhi {

bool is_due(const Target& target, int64_t epoch_minute) {
  if (!target.enabled) return false;
  int64_t cadence = target.cadence_min;
  int64_t slot = (epoch_minute + target.phase) % cadence;
  return (slot < 0 ? slot + cadence : slot) == 0;
}

std::vector<PlannedProbe> plan(const Config& config, int64_t scheduled_ms) {
  int64_t minute = epoch_minute(scheduled_ms);
  std::vector<PlannedProbe> due;
  for (const Target& target : config.targets) {
    if (!is_due(target, minute)) continue;
    ProbeRequest request = build_request(config, target);
    for (const std::string& region : config.regions) {
      due.push_back({&target, region, regional_request(config, request, region)});
    }
  }
  return due;
}

}  // namespace heyhi
