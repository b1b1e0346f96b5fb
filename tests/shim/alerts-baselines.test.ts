// The alert step's latency baselines and outside vantages' rows. Baselines: read once an hour
// from the earlier days' samples, kept by the home region's object and handed back each
// minute, and passed to the core in place of the old rows. A store that cannot give them
// costs the baseline, not the evaluation. Outside vantages' rows: read further back, apart.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import type { Alert, CheckRow, Core, HourBaselines } from "../../worker-shim/src/core.ts";
import { runAlerts } from "../../worker-shim/src/alerts.ts";
import {
  CLOUDFLARE_REGIONS,
  type TargetLatencies,
  type TimeRange,
} from "../../worker-shim/src/store/alerts.ts";
import type { Store } from "../../worker-shim/src/store/store.ts";
import { captureLog, loadTestCore, okRow, recordingStore, testSettings } from "./support.ts";

const HOUR = Date.UTC(2026, 11, 10, 14, 0);
const at = (minute: number) => HOUR + minute * 60_000;
const DAY_MS = 24 * 3_600_000;
const MODEL = "gpt-6-luna";
const CONFIG = JSON.stringify({
  regions: ["enam"],
  targets: [{ provider: "openai", model: MODEL, cadence_min: 1 }],
});

let core: Core;
before(async () => {
  core = await loadTestCore();
});

// Ten slow minutes up to `minute`: 2400 ms, under the absolute 5000 ms line, twice and more
// a 900 ms baseline.
function slowRows(minute: number): CheckRow[] {
  return Array.from({ length: 10 }, (_, i) =>
    okRow(MODEL, at(minute - 9 + i), { latency_ms: 2400 }),
  );
}

// A week of this hour at 900 ms, 20 samples a day, as the store groups them.
function weekOfLatencies(): TargetLatencies[] {
  return [{ provider: "openai", model: MODEL, latencies: Array(7 * 20).fill(900) }];
}

function baselineStore(options: { samplesFail?: boolean; outsideFail?: boolean } = {}) {
  const reads: TimeRange[][] = [];
  const outsideReads: TimeRange[][] = [];
  const opened: Alert[] = [];
  let recent: CheckRow[] = [];
  const store: Store = {
    ...recordingStore(),
    async checksBetween(ranges, filter) {
      if (!filter?.outsideOnly) return { ok: true, rows: recent };
      outsideReads.push(ranges);
      if (options.outsideFail) return { ok: false, reason: "postgrest 503", retryable: true };
      return { ok: true, rows: [] };
    },
    async baselineLatencies(ranges) {
      reads.push(ranges);
      if (options.samplesFail) return { ok: false, reason: "postgrest 503", retryable: true };
      return { ok: true, json: JSON.stringify(weekOfLatencies()) };
    },
    async openAlert(alert) {
      opened.push(alert);
      return { ok: true, opened: true, id: opened.length };
    },
  };
  return {
    store,
    reads,
    outsideReads,
    opened,
    setRecent: (rows: CheckRow[]) => (recent = rows),
  };
}

async function alertMinute(store: Store, minute: number, baselines: HourBaselines | null) {
  const logged = captureLog([]);
  const settings = testSettings(core, CONFIG, store, {});
  const outcome = await runAlerts({ core, settings, log: logged.log, baselines }, at(minute));
  return { ...outcome, events: logged.events() };
}

describe("the alert step's hourly baselines", () => {
  test("without kept baselines it reads this clock hour on the 7 earlier days, once", async () => {
    const { store, reads, opened, setRecent } = baselineStore();
    setRecent(slowRows(20));
    const { change } = await alertMinute(store, 20, null);
    assert.equal(reads.length, 1);
    assert.equal(reads[0]!.length, 7);
    assert.deepEqual(reads[0]![0], {
      from: "2026-12-09T14:00:00.000Z",
      to: "2026-12-09T14:59:00.000Z",
    });
    assert.deepEqual(change.baselines, {
      hour: "2026-12-10T14:00:00Z",
      targets: { [`openai/${MODEL}`]: 900 },
    });
    const latency = opened.find((a) => a.rule === "latency");
    assert.ok(latency, "2400 ms is over twice the 900 ms baseline");
    assert.equal(latency.measured.baseline_p95_ms, 900);
  });

  test("kept baselines of this hour are used as they are, and not handed back again", async () => {
    const { store, reads, opened, setRecent } = baselineStore();
    setRecent(slowRows(40));
    const kept = { hour: "2026-12-10T14:00:00Z", targets: { [`openai/${MODEL}`]: 900 } };
    const { change } = await alertMinute(store, 40, kept);
    assert.equal(reads.length, 0);
    assert.equal(change.baselines, undefined);
    assert.equal(opened.find((a) => a.rule === "latency")?.measured.baseline_p95_ms, 900);
  });

  test("baselines of an earlier hour are read again", async () => {
    const { store, reads, setRecent } = baselineStore();
    setRecent(slowRows(5));
    const stale = { hour: "2026-12-10T13:00:00Z", targets: { [`openai/${MODEL}`]: 100 } };
    const { change } = await alertMinute(store, 5, stale);
    assert.equal(reads.length, 1);
    assert.equal(change.baselines?.hour, "2026-12-10T14:00:00Z");
  });

  test("unreadable samples cost the baseline and are logged; the rules still run", async () => {
    const { store, opened, setRecent } = baselineStore({ samplesFail: true });
    setRecent(slowRows(20));
    const { change, report, events } = await alertMinute(store, 20, null);
    assert.equal(change.baselines, undefined);
    assert.equal(report.error, undefined);
    assert.ok(events.some((e) => e.event === "baselines_unreadable"));
    // Without a baseline 2400 ms is judged by the absolute 5000 ms line alone.
    assert.equal(opened.filter((a) => a.rule === "latency").length, 0);
  });
});

describe("the alert step's read of outside vantages", () => {
  test("reads their rows further back than the recent range, apart from it", async () => {
    const { store, outsideReads, setRecent } = baselineStore();
    setRecent(slowRows(40));
    await alertMinute(store, 40, null);
    // The recent range is 14:28 to 14:40 (13 minutes at cadence 1); the outside vantages'
    // rows go back to 14:11.
    assert.deepEqual(outsideReads, [
      [{ from: "2026-12-10T14:11:00.000Z", to: "2026-12-10T14:27:00.000Z" }],
    ]);
  });

  test("a failed read of them is logged and the rules still run", async () => {
    const { store, opened, setRecent } = baselineStore({ outsideFail: true });
    setRecent(slowRows(20));
    const { report, events } = await alertMinute(store, 20, null);
    assert.equal(report.error, undefined);
    assert.ok(events.some((e) => e.event === "outside_rows_unreadable"));
    assert.ok(opened.some((a) => a.rule === "latency"));
  });
});

const ONE = [{ provider: "openai", model: MODEL }];

test("the stores' list of Cloudflare regions is the one the core accepts", () => {
  for (const region of CLOUDFLARE_REGIONS) {
    const answer = core.validateConfig(JSON.stringify({ regions: [region], targets: ONE }));
    assert.ok(answer.ok, `${region}: ${JSON.stringify(answer)}`);
  }
  const outside = core.validateConfig(JSON.stringify({ regions: ["gha-eastus"], targets: ONE }));
  assert.equal(outside.ok, false);
  const all = JSON.stringify({ regions: ["nowhere"], targets: ONE });
  const refusal = core.validateConfig(all);
  assert.ok(!refusal.ok);
  const listed = /must be one of: ([a-z, ]+)/.exec(JSON.stringify(refusal.errors))?.[1] ?? "";
  assert.deepEqual(
    listed.split(", ").map((r) => r.trim()),
    [...CLOUDFLARE_REGIONS],
  );
});
