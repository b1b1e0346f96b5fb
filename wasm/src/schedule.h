// Which probes run in a given cron minute. Each target fires every `cadence_min` minutes at
// its own phase, once per configured region, and every minute while a recent failure is being
// confirmed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "request.h"
#include "rows.h"

namespace heyhi {

bool is_due(const Target& target, int64_t epoch_minute);

// A failure from a Cloudflare region that could be the start of an incident: the provider or
// the network is to blame.
bool starts_confirmation(const Row& row);

// The target's latest such failure among `recent` before `epoch_minute`, as an epoch minute.
std::optional<int64_t> latest_confirmable(const Target& target, const std::vector<Row>& recent,
                                          int64_t epoch_minute);

// Whether a failure at `failure_minute` still holds the target to one probe a minute.
bool confirming(const Target& target, std::optional<int64_t> failure_minute, int64_t epoch_minute);

enum class DueReason { cadence, confirm };
std::string_view due_reason_name(DueReason reason);

struct PlannedProbe {
  const Target* target;
  std::string region;
  ProbeRequest request;
  DueReason reason = DueReason::cadence;
};

// Cron may fire late or twice; everything keys on the minute containing `scheduled_ms`.
// `recent` are the rows of the last minutes, from which confirmation is decided.
std::vector<PlannedProbe> plan(const Config& config, int64_t scheduled_ms,
                               const std::vector<Row>& recent = {});

}  // namespace heyhi
