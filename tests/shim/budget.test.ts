// The core's budget against what the shim really does in a minute: the alert step's reads,
// counted minute by minute over the ranges it asks the store for.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import defaultConfig from "../../worker-shim/config/healthboard.json" with { type: "json" };
import { evaluationRanges } from "../../worker-shim/src/alerts.ts";
import type { Budget, Core } from "../../worker-shim/src/core.ts";
import { loadTestCore, MINUTE_MS } from "./support.ts";

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

test("the budget counts every page of rows the alert step reads in a minute", () => {
  const configJson = JSON.stringify(defaultConfig);
  let rows = 0;
  for (const { from, to } of evaluationRanges(MINUTE_MS)) {
    for (let ms = Date.parse(from); ms <= Date.parse(to); ms += 60_000) {
      const plan = core.plan(configJson, ms);
      if (!plan.ok) throw new Error(JSON.stringify(plan.errors));
      rows += plan.due.length;
    }
  }
  assert.ok(rows > 4 * PAGE_ROWS, `the default configuration reads ${rows} rows`);
  const pages = term(budgetOf(configJson), "reads of the rows");
  assert.ok(pages !== undefined && pages >= Math.ceil(rows / PAGE_ROWS), `${pages} pages`);
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
