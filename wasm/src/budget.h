// What one minute costs on the Workers Free plan, from the configuration alone: how many
// subrequests and simultaneous connections the scheduled handler and each region's object
// need in the worst minute, and the per-run caps the shim applies so that the count holds.
// A configuration whose count exceeds a limit is refused at start-up, with the figure, the
// excess and what to change, instead of failing at run time when a fetch is refused.
#pragma once

#include <string>
#include <vector>

#include "config.h"
#include "result.h"
#include "vantage.h"
#include "window-stats.h"

namespace heyhi {

// Workers Free: 50 subrequests per invocation (every fetch, each redirect, and here every
// store call too, since PostgREST calls are fetches), 6 connections open at once.
inline constexpr int kFreeSubrequests = 50;
inline constexpr int kFreeConnections = 6;

// Caps the shim applies per scheduled run; the budget counts them at their maximum.
inline constexpr int kAlertActionsPerRun = 8;   // open, remind, resolve writes; more wait a minute
inline constexpr int kDeliveriesPerRun = 6;     // each is a claim, a send and a mark
inline constexpr int kBacklogFlushItems = 500;  // kept rows written back in one store call
// PostgREST answers at most this many rows per read (Supabase's db-max-rows default).
inline constexpr int kStorePageRows = 1000;
// The alert rules never look further back than this, whatever the configuration.
inline constexpr int kMaxLookbackMin = 60;
// Timeouts a region's run waits on besides its probes.
inline constexpr int kColoTraceTimeoutMs = 2000;
inline constexpr int kStoreTimeoutMs = 5000;
inline constexpr int kRegionMarginMs = 3000;

struct BudgetTerm {
  std::string what;
  int count = 0;
};

struct InvocationBudget {
  std::vector<BudgetTerm> subrequests;  // each term one kind of request, at its worst minute
  int connections = 0;

  int subrequest_total() const;
};

// What the scheduled handler reads from the store. Every minute: the failures of the last
// confirm_min minutes before it plans, and every probe of the last lookback_min minutes for the
// alert rules. Once an hour: the successful probes' latencies in the same clock hour on each
// of the previous baseline_days days, whose baselines the home region's object keeps.
struct ReadPlan {
  int confirm_min = 0;  // 0: no target confirms, no read
  int lookback_min = 0;
  int baseline_days = kBaselineHourDays;
  // Outside vantages' rows are read further back, apart from the rest: a runner outside
  // Cloudflare probes every few minutes, late, and the verdict looks for its latest word.
  int outside_lookback_min = kVantageLookbackMin;
};

// Rows each read returns at most, from every region: the subrequest count pages by these, and
// the cost model bills them.
struct ReadRows {
  int recent = 0;    // each minute, the rules' columns
  int baseline = 0;  // once an hour, successful probes' latencies, grouped per target
};

ReadPlan read_plan(const Config& config);
ReadRows read_rows_at_most(const Config& config, const ReadPlan& plan);

struct Budget {
  ReadPlan reads;
  InvocationBudget region;     // each region's object, in its busiest minute
  InvocationBudget scheduled;  // the cron invocation that hands the minute to the regions
  int busiest_minute_probes = 0;
  // How long the scheduled handler waits for one region before counting it failed.
  int region_deadline_ms = 0;
  // Minutes of rows a region's object can keep while the store is down, at the average rate.
  int backlog_minutes = 0;
};

Budget compute_budget(const Config& config);

// Every limit the budget exceeds, each naming the count, the excess and what to change.
std::vector<Error> budget_problems(const Config& config, const Budget& budget);

}  // namespace heyhi
