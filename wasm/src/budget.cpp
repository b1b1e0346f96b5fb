#include "budget.h"

#include <algorithm>
#include <numeric>
#include <optional>

#include <fmt/format.h>

#include "schedule.h"

namespace heyhi {
namespace {

int ceil_div(int a, int b) { return (a + b - 1) / b; }

// The outside vantages' rows of `minutes`: every enabled target in each of their runs, at the
// rate the configuration says the workflow runs (each run labels its minute).
int outside_rows(const Config& config, int minutes) {
  int runs = ceil_div(minutes * config.cost.outside_runs_per_day, 24 * 60);
  int targets = static_cast<int>(std::count_if(config.targets.begin(), config.targets.end(),
                                               [](const Target& t) { return t.enabled; }));
  return runs * targets;
}

void add(InvocationBudget& budget, std::string what, int count) {
  budget.subrequests.push_back({std::move(what), count});
}

// A target that confirms failures may be due in any minute.
bool may_confirm(const Target& t) { return t.enabled && t.rules.confirm_min > 0; }

// The schedule repeats every lcm(cadences) minutes, so scanning one period finds the worst.
int busiest_minute(const Config& config) {
  int period = 1;
  for (const Target& t : config.targets) {
    if (t.enabled) period = std::lcm(period, t.cadence_min);
  }
  int busiest = 0;
  for (int minute = 0; minute < period; ++minute) {
    int due = static_cast<int>(
        std::count_if(config.targets.begin(), config.targets.end(),
                      [&](const Target& t) { return is_due(t, minute) || may_confirm(t); }));
    busiest = std::max(busiest, due);
  }
  return busiest;
}

// The minutes a target's rules look back over: each rule's window, the clean stretch before a
// resolution, and enough probes at its cadence for the configuration rule's run.
int lookback_of(const Target& t) {
  const RuleSettings& r = t.rules;
  int latest_probes = (r.configuration.min_consecutive + 1) * t.cadence_min;
  return std::max({r.provider_errors.window_min, r.latency.window_min,
                   r.official_mismatch.window_min, r.regional.window_min, r.recovery_min,
                   latest_probes});
}

InvocationBudget region_budget(const Config& config, int probes) {
  InvocationBudget budget;
  add(budget, "probes due at once in the busiest minute", probes);
  add(budget, "colo lookup while it is unknown", 1);
  add(budget, "store write of the minute's rows and any kept ones", 1);
  budget.connections = std::max(1, std::min(config.max_concurrency, probes));
  return budget;
}

// One term per kind of request the scheduled handler makes in a minute.
InvocationBudget scheduled_budget(const Config& config) {
  InvocationBudget budget;
  int regions = static_cast<int>(config.regions.size());
  if (std::any_of(config.targets.begin(), config.targets.end(), may_confirm)) {
    add(budget, "read of the recent failures to confirm", 1);
    add(budget, "read of the open alerts that may explain them", 1);
  }
  ReadPlan plan = read_plan(config);
  ReadRows rows = read_rows_at_most(config, plan);
  add(budget, "calls to the region objects", regions);
  add(budget, "update of the kept alert transitions", 1);
  add(budget, "reads of the rows the alert rules evaluate",
      std::max(1, ceil_div(rows.recent, kStorePageRows)));
  // Before the recent range, back as far as the verdict looks: one page at least, asked for
  // whether any vantage runs or not.
  int older = std::max(0, plan.outside_lookback_min - plan.lookback_min);
  add(budget, "read of the outside vantages' rows",
      std::max(1, ceil_div(outside_rows(config, older), kStorePageRows)));
  // Both stores group the baseline hours' latencies per target: one answer of a few rows.
  add(budget, "read of the latency baselines, in the first minute of an hour", 1);
  add(budget, "read of the open alerts", 1);
  add(budget, "alert transitions written, or looked up when a kept one was, at most",
      kAlertActionsPerRun);
  add(budget, "queueing of their notifications", 1);
  add(budget, "read of the notifications due", 1);
  add(budget,
      fmt::format("claims, sends and marks of {} notification deliveries", kDeliveriesPerRun),
      3 * kDeliveriesPerRun);
  // The status pages' step runs in the same invocation, its fetches and store calls held to
  // their own share; with no page enabled it still reads the sources' state once.
  bool pages = std::any_of(config.status.sources.begin(), config.status.sources.end(),
                           [](const StatusSource& s) { return s.enabled; });
  if (pages) {
    add(budget, "the status pages' step, fetches and store calls (status.max_subrequests)",
        config.status.max_subrequests);
  } else {
    add(budget, "read of the status sources' state", 1);
  }
  // The region calls run side by side, at most the connection limit at once; the alert
  // step's requests run one after the other.
  budget.connections = std::max(1, std::min(regions, kFreeConnections));
  return budget;
}

std::optional<int> backlog_minutes(const Config& config) {
  double rows_per_minute = 0;
  for (const Target& t : config.targets) {
    if (t.enabled) rows_per_minute += 1.0 / t.cadence_min;
  }
  if (rows_per_minute == 0) return std::nullopt;
  return static_cast<int>(config.backlog_max_items / rows_per_minute);
}

int region_deadline_ms(const Config& config, int probes) {
  int slowest = 0;
  for (const Target& t : config.targets) {
    if (t.enabled) slowest = std::max(slowest, t.timeout_ms);
  }
  int waves = ceil_div(std::max(probes, 1), config.max_concurrency);
  return kColoTraceTimeoutMs + waves * slowest + kStoreTimeoutMs + kRegionMarginMs;
}

std::string terms_text(const InvocationBudget& budget) {
  std::string text;
  for (const BudgetTerm& term : budget.subrequests) {
    if (!text.empty()) text += "; ";
    text += fmt::format("{}: {}", term.what, term.count);
  }
  return text;
}

std::optional<Error> over_limit(const std::string& field, std::string_view who,
                                const InvocationBudget& budget, std::string_view fix) {
  int total = budget.subrequest_total();
  if (total <= kFreeSubrequests) return std::nullopt;
  return Error{
      field,
      fmt::format("{} would make {} subrequests in a minute, {} over the Workers Free "
                  "plan's {} ({}); {}",
                  who, total, total - kFreeSubrequests, kFreeSubrequests, terms_text(budget), fix)};
}

}  // namespace

ReadPlan read_plan(const Config& config) {
  ReadPlan plan;
  for (const Target& t : config.targets) {
    if (!t.enabled) continue;
    plan.confirm_min = std::max(plan.confirm_min, t.rules.confirm_min);
    plan.lookback_min = std::max(plan.lookback_min, lookback_of(t));
  }
  // The minute being evaluated is read too.
  plan.lookback_min = std::min(plan.lookback_min + 1, kMaxLookbackMin);
  return plan;
}

// The recent range may be all confirmation probes, one a minute; the baseline hours are
// counted at the cadence.
// The recent read takes every region's rows, the outside vantages' among them.
ReadRows read_rows_at_most(const Config& config, const ReadPlan& plan) {
  ReadRows rows;
  for (const Target& t : config.targets) {
    if (!t.enabled) continue;
    rows.recent += may_confirm(t) ? plan.lookback_min : ceil_div(plan.lookback_min, t.cadence_min);
    rows.baseline += ceil_div(60, t.cadence_min) * plan.baseline_days;
  }
  int regions = static_cast<int>(config.regions.size());
  return {rows.recent * regions + outside_rows(config, plan.lookback_min), rows.baseline * regions};
}

int InvocationBudget::subrequest_total() const {
  int total = 0;
  for (const BudgetTerm& term : subrequests) total += term.count;
  return total;
}

Budget compute_budget(const Config& config) {
  Budget budget;
  budget.reads = read_plan(config);
  budget.busiest_minute_probes = busiest_minute(config);
  budget.region = region_budget(config, budget.busiest_minute_probes);
  budget.scheduled = scheduled_budget(config);
  budget.region_deadline_ms = region_deadline_ms(config, budget.busiest_minute_probes);
  budget.backlog_minutes = backlog_minutes(config).value_or(0);
  return budget;
}

std::vector<Error> budget_problems(const Config& config, const Budget& budget) {
  std::vector<Error> problems;
  // Confirming targets count as due in every minute, so their cadence cannot help.
  bool confirming = std::any_of(config.targets.begin(), config.targets.end(), may_confirm);
  std::string_view fix = confirming
                             ? "every target that confirms failures may be due in the same "
                               "minute: disable some, or set alerting.confirm_min to 0 so that "
                               "cadence_min spreads them"
                             : "give some targets a longer cadence_min, so fewer are due in the "
                               "same minute, or disable some";
  if (auto e = over_limit("targets", "each region's object", budget.region, fix)) {
    problems.push_back(std::move(*e));
  }
  if (auto e = over_limit("regions", "the scheduled handler", budget.scheduled,
                          "configure fewer regions, give targets a longer cadence_min so the "
                          "alert step reads fewer rows, or lower status.max_subrequests")) {
    problems.push_back(std::move(*e));
  }
  if (config.backlog_max_items < budget.busiest_minute_probes) {
    problems.push_back(
        {"backlog_max_items", fmt::format("{} cannot keep even one minute's {} rows; raise it",
                                          config.backlog_max_items, budget.busiest_minute_probes)});
  }
  return problems;
}

}  // namespace heyhi
