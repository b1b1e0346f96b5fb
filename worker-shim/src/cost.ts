// What the configuration costs, said once when an isolate first loads it: a month of tokens
// over the configured budget, or a free allowance the minute-by-minute load would exceed.
// Warnings, not refusals: the operator may have chosen to pay, and probing goes on.
import type { CostEstimate } from "./core.ts";
import type { Logger } from "./log.ts";

const dollars = (n: number) => Math.round(n * 100) / 100;

// The costliest first, as cost_over_budget names them.
const costliest = (cost: CostEstimate) =>
  [...cost.targets].sort((a, b) => (b.usd_month ?? 0) - (a.usd_month ?? 0)).slice(0, 3);

function overBudgetFix(cost: CostEstimate): string {
  const runs = cost.outside_runs_per_day;
  const runner = cost.outside_runner.usd_month;
  // One output token is the least a probe asks for: no smaller max_tokens to suggest then.
  const tokens = costliest(cost).some((t) => t.output_tokens > 1) ? "a smaller max_tokens, " : "";
  return (
    `give the costliest targets a longer cadence_min, ${tokens}or disable them` +
    (runs > 0 ? `; or run the outside vantage less (cost.outside_runs_per_day: ${runs})` : "") +
    (runner > 0
      ? `; its GitHub Actions minutes cost $${dollars(runner)} a month from a private ` +
        "repository and nothing from a public one"
      : "")
  );
}

// A store's allowances concern a deployment only if it writes there.
const STORE_SERVICES: Record<string, "d1" | "postgrest"> = { d1: "d1", supabase: "postgrest" };

function concerns(service: string, store: "d1" | "postgrest" | null): boolean {
  const needs = STORE_SERVICES[service];
  return needs === undefined || needs === store;
}

function unpricedNote(cost: CostEstimate): string {
  const budget = cost.budget_usd_month;
  const month = `the month's $${dollars(cost.usd_month).toFixed(2)} leaves these targets out`;
  if (budget === null) return month;
  return cost.over_budget
    ? `${month}, and is over the budget of $${budget} without them`
    : `${month}, so the budget of $${budget} cannot be judged`;
}

/** `store`: the store the rows go to (null: none), whose allowances alone are judged. */
export function warnAboutCost(
  cost: CostEstimate,
  log: Logger,
  store: "d1" | "postgrest" | null,
): void {
  if (cost.over_budget) {
    const named = costliest(cost).map((t) => ({ id: t.id, usd_month: dollars(t.usd_month ?? 0) }));
    const runner = cost.outside_runner.usd_month;
    log.event("cost_over_budget", {
      usd_month: dollars(cost.usd_month),
      budget_usd_month: cost.budget_usd_month,
      prices_as_of: cost.prices_as_of,
      costliest: named,
      ...(runner > 0 ? { outside_runner_usd_month: dollars(runner) } : {}),
      fix: overBudgetFix(cost),
    });
  }
  if (cost.unpriced.length > 0) {
    // A month that leaves targets out is a floor: "within budget" on it would mislead.
    log.event("cost_unpriced", {
      targets: cost.unpriced,
      prices_as_of: cost.prices_as_of,
      usd_month_priced: dollars(cost.usd_month),
      note: unpricedNote(cost),
      fix:
        "add a cost.prices row for each: provider, model, input_usd_per_mtok, " +
        "output_usd_per_mtok",
    });
  }
  for (const a of cost.allowances.filter((x) => !x.fits && concerns(x.service, store))) {
    log.event("free_allowance_exceeded", {
      service: a.service,
      what: a.what,
      per: a.per,
      used: Math.round(a.used),
      limit: a.limit,
      note: a.note,
    });
  }
}
