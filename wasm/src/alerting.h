// Alert rules and the pure decision of what to open, remind about and resolve. Every input
// (recent rows, open alerts, official status, the time) comes in; actions come out. The rules
// are built to stay quiet on background noise: a minimum number of failures and of regions
// before a rate counts, recovery only after a clean stretch, one notification per episode.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rows.h"

namespace heyhi {

struct Config;
class Validator;

// Provider- and network-attributed failures over the probes that tested the provider. The
// defaults are what the detection benchmark measured: with confirmation probing, 10 minutes
// hold enough probes to tell an incident from bad patches that happen to overlap in two
// regions, and asking every region for two failures keeps one or two unlucky regions, plus a
// stray timeout in the third, from paging.
struct ErrorRule {
  int window_min = 10;
  double rate = 0.20;
  int min_failures = 6;
  int min_regions = 3;  // capped at the number of configured regions
  // A region counts toward min_regions with this many failures: one stray timeout in an
  // otherwise healthy region is no sign that it shares the trouble.
  int region_min_failures = 2;
};

// The p95 of successful probes over an absolute line, or over the target's own baseline
// (the same hour on recent days) by a factor, and then only above a floor.
struct LatencyRule {
  int window_min = 10;
  int p95_ms = 5000;
  double baseline_factor = 2.0;
  int floor_ms = 2000;
  int min_samples = 5;
  // A window's p95 over a handful of samples is its slowest one: one outlier is not a trend.
  // Slow samples must be at least min_slow, and at least min_slow_share of the window's.
  int min_slow = 3;
  double min_slow_share = 0.2;
};

// Below the outage line, with the same guards as provider_errors.
struct MismatchRule {
  int window_min = 10;
  double rate = 0.10;
  int min_failures = 6;
  int min_regions = 3;  // capped at the number of configured regions
  int region_min_failures = 2;
};

// One region failing while the others are normal, on its latest probes in a row: a bad patch
// of scattered errors in one region is noise, a region that stopped answering is not.
struct RegionalRule {
  int window_min = 12;
  double rate = 0.5;
  double others_max_rate = 0.1;
  int min_failures = 8;  // in a row; confirmation probing gives a region one probe a minute
};

// Auth, quota, a retired model or a rejected parameter on the latest probes; or, over a longer
// run, 429 rate limits on every one of them (0: never).
struct ConfigurationRule {
  int min_consecutive = 2;
  int rate_limited_consecutive = 6;
};

struct RuleSettings {
  ErrorRule provider_errors;
  LatencyRule latency;
  MismatchRule official_mismatch;
  RegionalRule regional;
  ConfigurationRule configuration;
  int recovery_min = 10;  // the clean stretch before an alert resolves
  int reminder_min = 60;  // how often an alert that stays open is sent again
  // After a failure blamed on the provider or the network, the target is probed every minute
  // from every region for this long; 0 keeps it on its cadence.
  int confirm_min = 10;
};

// Notifications are silenced inside a window; probes and alert state go on.
struct Maintenance {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  std::vector<std::string> providers;  // empty: every provider
};

// The top-level "alerting" section also holds the maintenance windows; a target's holds rules.
enum class RuleScope { top_level, target };

// Applies the rule sections present in `object` (an "alerting" object) onto `into`.
void parse_rule_settings(element object, const std::string& path, Validator& v, RuleSettings& into,
                         RuleScope scope);
std::vector<Maintenance> parse_maintenance(element alerting, const std::string& path, Validator& v);

struct Measured {
  int window_min = 0;
  int64_t probes = 0;
  int64_t failures = 0;
  double failure_rate = 0;
  std::optional<int64_t> p50_ms;
  std::optional<int64_t> p95_ms;
  std::optional<int64_t> baseline_p95_ms;
  int64_t regions_failing = 0;
  int64_t regions_total = 0;
  std::map<std::string, int64_t> error_types;
};

// What the outside vantage said when every Cloudflare region was failing against the target.
struct VantageNote {
  std::string state;     // fine, failing, none
  std::string evidence;  // "failing from apac, enam, weur; fine from gha-eastus 3 min ago"
};

struct Alert {
  std::string rule;   // provider_errors, latency, official_mismatch, regional, configuration
  std::string scope;  // "provider/model", or "provider/model@region" for the regional rule
  std::string provider;
  std::string model;
  std::optional<std::string> region;
  std::string verdict;  // provider, ours, network
  // Set by the error rules when every Cloudflare region was failing; outside fine is the
  // network (Cloudflare's egress), outside failing too is the provider.
  std::optional<VantageNote> vantage;
  std::string title;
  std::string detail;
  std::optional<std::string> fix;
  Measured measured;
  std::string official_status = "unknown";
  // The provider's first acknowledgement of an active incident, and its distance in minutes
  // from this alert's opening (negative when the provider said it first).
  std::optional<std::string> official_acknowledged_at;
  std::optional<int64_t> official_lag_min;
  std::string opened_at;
  std::optional<std::string> last_notified_at;
  std::optional<std::string> resolved_at;
};

struct OpenAlert {
  std::string rule;
  std::string scope;
  int64_t opened_ms = 0;
  std::optional<int64_t> last_notified_ms;
  // The verdict it opened with, which its resolution repeats; unknown for an older row.
  std::optional<std::string> verdict;
};

enum class ActionKind { open, remind, resolve };

struct AlertAction {
  ActionKind kind;
  bool notify = true;  // false inside a maintenance window
  Alert alert;
  // A reminder that is the alert's first notification: it opened inside a maintenance window,
  // in silence, and is still open now that the window is over. Channels show it as an opening.
  bool first_notice = false;
};

// A status source as the alert rules see it: whether its page could be read lately.
struct FeedState {
  std::string source_id;
  std::string provider;
  std::string url;
  std::string parse_state;  // events, empty, failed; empty before the first fetch
  std::string reason;
  std::string status;  // the official status it last read
  int failures = 0;
  std::optional<int64_t> failed_since_ms;
};

struct EvaluationInput {
  int64_t now_ms = 0;
  std::vector<Row> rows;  // at least the longest window and recovery stretch; older rows
                          // at the same hour on previous days make the latency baseline.
                          // Rows from an outside vantage only refine the error rules' verdict
  std::vector<OpenAlert> open_alerts;
  std::map<std::string, std::string> official;  // provider → operational, degraded, ...
  std::map<std::string, int64_t> acknowledged;  // provider → first acknowledgement, epoch ms
  std::vector<FeedState> feeds;                 // configured status sources
  // Latency baselines already computed for this clock hour, by target id (null: too few
  // samples); when set, rows at this hour on previous days are not needed.
  std::optional<std::map<std::string, std::optional<int64_t>>> baselines;
};

std::string_view action_kind_name(ActionKind kind);

std::vector<AlertAction> evaluate(const Config& config, const EvaluationInput& input);

}  // namespace heyhi
