// The core's budget against what the shim really does in a minute: the alert step's reads,
// counted minute by minute over the ranges it asks the store for.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import defaultConfig from "../../worker-shim/config/healthboard.json" with { type: "json" };
import { baselineRanges, recentRange } from "../../worker-shim/src/alerts.ts";
import type { Budget, Core } from "../../worker-shim/src/core.ts";
import { loadTestCore } from "./support.ts";

const MINUTE_MS = 60_000;

const PAGE_ROWS = 1000; // PostgREST's db-max-rows on Supabase

let core: Core;
before(async () => {
  core = await loadTestCore();
});

function budgetOf(configJson: string): Budget {
  const answer = core.budget(configJson);
  if (!answer.ok) throw new Error(JSON.stringify(answer.errors));
  return answer.budget;
}

const term = (budget: Budget, starts: string) =>
  budget.scheduled.terms.find((t) => t.what.startsWith(starts))?.count;

// Probes the configuration plans in the ranges, from every region.
function plannedIn(configJson: string, ranges: { from: string; to: string }[]): number {
  let rows = 0;
  for (const { from, to } of ranges) {
    for (let ms = Date.parse(from); ms <= Date.parse(to); ms += MINUTE_MS) {
      const plan = core.plan(configJson, ms);
      if (!plan.ok) throw new Error(JSON.stringify(plan.errors));
      rows += plan.due.length;
    }
  }
  return rows;
}

test("the budget counts every page of rows the alert step reads, the baselines as one", () => {
  // 40 targets in 3 regions, so the reads run to several pages.
  const targets = Array.from({ length: 40 }, (_, i) => ({
    provider: "openai",
    model: `m${i}`,
    cadence_min: 5,
  }));
  const alerting = { confirm_min: 0 };
  const configJson = JSON.stringify({ ...defaultConfig, alerting, targets });
  const budget = budgetOf(configJson);
  const now = Date.UTC(2026, 11, 10, 12, 30);
  const recent = plannedIn(configJson, [recentRange(budget, now)]);
  const baseline = plannedIn(configJson, baselineRanges(budget, now));
  assert.equal(budget.reads.lookback_min, 16);
  assert.ok(baseline > 4 * PAGE_ROWS, `the baselines are ${baseline} rows`);
  const pages = (rows: number) => Math.ceil(rows / PAGE_ROWS);
  assert.ok(term(budget, "reads of the rows")! >= pages(recent), `${recent} recent rows`);
  // The store groups the baseline hours per target: one answer of a row per target, however
  // many samples.
  assert.ok(targets.length <= PAGE_ROWS);
  assert.equal(term(budget, "read of the latency baselines"), 1);
});

test("the recent range is the rules' lookback, the baselines this clock hour on earlier days", () => {
  const budget = budgetOf(JSON.stringify(defaultConfig));
  const now = Date.UTC(2026, 11, 10, 12, 34);
  assert.deepEqual(recentRange(budget, now), {
    from: "2026-12-10T12:19:00.000Z",
    to: "2026-12-10T12:34:00.000Z",
  });
  const ranges = baselineRanges(budget, now);
  assert.equal(ranges.length, 7);
  assert.deepEqual(ranges[0], { from: "2026-12-09T12:00:00.000Z", to: "2026-12-09T12:59:00.000Z" });
  assert.deepEqual(ranges[6], { from: "2026-12-03T12:00:00.000Z", to: "2026-12-03T12:59:00.000Z" });
});

test("the region objects' calls and the caps the shim applies are in the count", () => {
  const budget = budgetOf(JSON.stringify(defaultConfig));
  assert.equal(term(budget, "calls to the region objects"), defaultConfig.regions.length);
  assert.equal(term(budget, "alert transitions written"), budget.caps.alert_actions);
  assert.equal(
    term(budget, "claims, sends and marks"),
    3 * budget.caps.deliveries,
    "each delivery is claimed, sent and marked",
  );
});
