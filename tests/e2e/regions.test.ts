// Three regions through a real `wrangler dev` (workerd) with D1: one Durable Object per
// region, the emulator failing one region alone. Rows from all three are stored with their
// region and the colo each object learned once; the regional alert rule fires for the failing
// one and no other.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";

import type { Emulator } from "../emulator/emulator.mjs";
import { queryD1, ROOT, type Wrangler } from "../../scripts/lib/harness.ts";
import { startEmulatedD1Worker } from "./setup.ts";

const PERSIST_TO = join(ROOT, ".wrangler/e2e-regions");
const FIRST_MINUTE = Date.UTC(2026, 11, 3, 15, 0);
// Eight minutes: the regional rule wants its region's latest eight probes failed in a row.
const MINUTES = Array.from({ length: 8 }, (_, i) => FIRST_MINUTE + i * 60000);
const REGIONS = ["enam", "weur", "apac"];
const COLOS: Record<string, string> = { enam: "IAD", weur: "AMS", apac: "SIN" };
const KEY = "e2e-regions-key-41d7";
const CONFIG = JSON.stringify({
  regions: REGIONS,
  targets: [
    { provider: "anthropic", model: "claude-haiku-5-5", cadence_min: 1, timeout_ms: 900 },
    { provider: "mistral", model: "mistral-small-latest", cadence_min: 1, timeout_ms: 900 },
  ],
});

interface Row {
  scheduled_at: string;
  region: string;
  colo: string | null;
  provider: string;
  ok: number;
  error_type: string | null;
}

let emulator: Emulator;
let wrangler: Wrangler;

before(async () => {
  ({ emulator, wrangler } = await startEmulatedD1Worker({
    persistTo: PERSIST_TO,
    config: CONFIG,
    faults: { rules: [{ provider: "*", region: "weur", sequence: ["overloaded"] }] },
    keys: ["ANTHROPIC_API_KEY", "MISTRAL_API_KEY"],
    key: KEY,
  }));
  for (const minute of MINUTES) await wrangler.fireMinute(minute);
});

after(async () => {
  await wrangler?.stop();
  await emulator?.close();
});

test("rows from all three regions are stored with their region and their object's colo", () => {
  const rows = queryD1<Row>(PERSIST_TO, "select * from llm_checks order by scheduled_at, region");
  assert.equal(rows.length, MINUTES.length * REGIONS.length * 2);
  for (const region of REGIONS) {
    const own = rows.filter((r) => r.region === region);
    assert.equal(own.length, MINUTES.length * 2, `${region}: every minute's rows`);
    assert.ok(
      own.every((r) => r.colo === COLOS[region]),
      `${region}: colo ${COLOS[region]}`,
    );
    const failing = region === "weur";
    assert.ok(
      own.every((r) => (failing ? r.error_type === "overloaded" : r.ok === 1)),
      `${region}: ${failing ? "failing at the emulator" : "healthy"}`,
    );
  }
});

test("each region's object looked its colo up once over eight minutes", () => {
  const traces = emulator.traces();
  assert.deepEqual(traces.map((t) => t.region).sort(), [...REGIONS].sort());
});

test("the emulator saw each region's probes carry that region, and nothing else added", () => {
  const requests = emulator.requests();
  assert.equal(requests.length, MINUTES.length * REGIONS.length * 2);
  for (const region of REGIONS) {
    assert.equal(requests.filter((r) => r.region === region).length, MINUTES.length * 2);
  }
});

test("the regional rule fires for the failing region alone", () => {
  const alerts = queryD1<{ rule: string; scope: string; region: string | null }>(
    PERSIST_TO,
    "select rule, scope, region from alerts where resolved_at is null order by scope",
  );
  assert.deepEqual(alerts, [
    { rule: "regional", scope: "anthropic/claude-haiku-5-5@weur", region: "weur" },
    { rule: "regional", scope: "mistral/mistral-small-latest@weur", region: "weur" },
  ]);
});

test("each run logs every region's share, with its colo, and no failed region", () => {
  const runs = wrangler.runLogs();
  assert.equal(runs.length, MINUTES.length);
  for (const run of runs) {
    assert.equal(run.due, REGIONS.length * 2);
    assert.deepEqual(run.failed_regions, []);
    const regions = run.regions as Array<{ region: string; colo: string; stored: number }>;
    assert.deepEqual(regions.map((r) => [r.region, r.colo, r.stored]).sort(), [
      ["apac", "SIN", 2],
      ["enam", "IAD", 2],
      ["weur", "AMS", 2],
    ]);
  }
  assert.ok(wrangler.logs().every((line) => !line.includes(KEY)));
});
