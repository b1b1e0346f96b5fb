#include "schedule.h"

#include <algorithm>

#include "time-format.h"

namespace heyhi {

bool is_due(const Target& target, int64_t epoch_minute) {
  if (!target.enabled) return false;
  int64_t cadence = target.cadence_min;
  int64_t slot = (epoch_minute + target.phase) % cadence;
  return (slot < 0 ? slot + cadence : slot) == 0;
}

bool starts_confirmation(const Row& row) {
  if (row.ok || !row.error_type || is_outside_vantage(row.region)) return false;
  Attribution who = attribution_of(*row.error_type);
  return who == Attribution::provider || who == Attribution::network;
}

namespace {

bool is_targets(const Target& target, const Row& row) {
  return row.provider == provider_name(target.provider) && row.model == target.model;
}

bool another_region_failing(const Target& target, const Row& row, const std::vector<Row>& recent) {
  return std::any_of(recent.begin(), recent.end(), [&](const Row& other) {
    return other.region != row.region && is_targets(target, other) && starts_confirmation(other);
  });
}

}  // namespace

bool explained_by_open_alert(const Target& target, const Row& row, const std::vector<Row>& recent,
                             const std::vector<OpenAlert>& open) {
  std::string regional = target.id + "@" + row.region;
  bool whole_open = false;
  for (const OpenAlert& alert : open) {
    if (alert.rule == "regional" && alert.scope == regional) return true;
    whole_open = whole_open || (alert.rule == "provider_errors" && alert.scope == target.id);
  }
  return whole_open && another_region_failing(target, row, recent);
}

std::optional<int64_t> latest_confirmable(const Target& target, const std::vector<Row>& recent,
                                          int64_t epoch_minute,
                                          const std::vector<OpenAlert>& open) {
  std::optional<int64_t> latest;
  for (const Row& row : recent) {
    if (!is_targets(target, row) || !starts_confirmation(row) ||
        explained_by_open_alert(target, row, recent, open)) {
      continue;
    }
    auto ms = parse_iso_utc(row.scheduled_at);
    if (!ms) continue;
    int64_t minute = heyhi::epoch_minute(*ms);
    if (minute < epoch_minute && (!latest || minute > *latest)) latest = minute;
  }
  return latest;
}

bool confirming(const Target& target, std::optional<int64_t> failure_minute, int64_t epoch_minute) {
  return target.enabled && failure_minute && epoch_minute > *failure_minute &&
         epoch_minute - *failure_minute <= target.rules.confirm_min;
}

std::string_view due_reason_name(DueReason reason) {
  return reason == DueReason::confirm ? "confirm" : "cadence";
}

std::vector<PlannedProbe> plan(const Config& config, int64_t scheduled_ms,
                               const std::vector<Row>& recent, const std::vector<OpenAlert>& open) {
  int64_t minute = epoch_minute(scheduled_ms);
  std::vector<PlannedProbe> due;
  for (const Target& target : config.targets) {
    DueReason reason = DueReason::cadence;
    if (!is_due(target, minute)) {
      if (!confirming(target, latest_confirmable(target, recent, minute, open), minute)) continue;
      reason = DueReason::confirm;
    }
    ProbeRequest request = build_request(config, target);
    for (const std::string& region : config.regions) {
      due.push_back({&target, region, regional_request(config, request, region), reason});
    }
  }
  return due;
}

}  // namespace heyhi
