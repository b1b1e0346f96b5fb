// Which probes run in a given cron minute. Each target fires every `cadence_min` minutes at
// its own phase, once per configured region, and every minute while a recent failure is being
// confirmed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerting.h"
#include "config.h"
#include "request.h"
#include "rows.h"

namespace heyhi {

bool is_due(const Target& target, int64_t epoch_minute);

// A failure from a Cloudflare region that could be the start of an incident: the provider or
// the network is to blame.
bool starts_confirmation(const Row& row);

// Whether an open alert already says what `row`, a failure of `target` among `recent`, shows:
// the regional alert on its region, or the target's provider_errors alert while another
// Cloudflare region is failing too. provider_errors does not explain one region failing alone:
// that may be the outage narrowing to a region, which the regional rule needs every-minute
// probes to see. Nor does official_mismatch explain anything: below the outage line, the
// failures may yet grow into one. Confirming an explained failure would tell the alert
// nothing (it is reminded while open and resolves after a clean stretch of the cadence's
// probes), and a day-long outage would otherwise probe every minute from every region all day.
bool explained_by_open_alert(const Target& target, const Row& row, const std::vector<Row>& recent,
                             const std::vector<OpenAlert>& open);

// The target's latest failure among `recent` before `epoch_minute` that starts confirmation and
// no open alert explains, as an epoch minute.
std::optional<int64_t> latest_confirmable(const Target& target, const std::vector<Row>& recent,
                                          int64_t epoch_minute,
                                          const std::vector<OpenAlert>& open = {});

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
// `recent` are the rows of the last minutes and `open` the alerts open now, from which
// confirmation is decided.
std::vector<PlannedProbe> plan(const Config& config, int64_t scheduled_ms,
                               const std::vector<Row>& recent = {},
                               const std::vector<OpenAlert>& open = {});

}  // namespace heyhi
