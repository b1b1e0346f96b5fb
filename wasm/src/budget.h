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
// The alert step reads the last hour and the same hour on each of the previous 7 days.
inline constexpr int kEvaluationRanges = 8;
inline constexpr int kEvaluationRangeMin = 61;  // both ends of an hour are read
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

struct Budget {
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
