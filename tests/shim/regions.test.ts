// regions.ts: the scheduled handler hands each region its share of the minute through that
// region's object; one that throws or never answers costs its own rows and nothing else.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import type { Core } from "../../worker-shim/src/core.ts";
import type { RegionInput, RegionResult } from "../../worker-shim/src/region.ts";
import { runRegions, type RegionObject } from "../../worker-shim/src/regions.ts";
import {
  captureLog,
  loadTestCore,
  MINUTE_MS,
  okRow,
  probeConfig,
  recordingStore,
  testSettings,
} from "./support.ts";

const REGIONS = ["enam", "weur", "apac"];
let core: Core;
let configJson: string;

before(async () => {
  core = await loadTestCore();
  configJson = probeConfig("http://127.0.0.1:9", {
    providers: ["openai", "mistral"],
    regions: REGIONS,
  });
});

/** A region object that answers as if every probe it was given succeeded and was stored. */
function healthy(seen: RegionInput[]): RegionObject {
  return {
    async run(input) {
      seen.push(input);
      const n = input.due.length;
      const report = {
        region: input.region,
        colo: "TST",
        due: n,
        ok: n,
        failed: 0,
        by_error_type: {},
        failures: [],
        write: { ok: true as const, stored: n },
        stored: n,
        flushed: 0,
        refused: 0,
        kept: { rows: 0, transitions: 0 },
        dropped_oldest: { rows: 0, transitions: 0 },
        duration_ms: 1,
      };
      return { report, transitions: [] } satisfies RegionResult;
    },
    settle: async () => ({}),
  };
}

function runWith(objects: Record<string, RegionObject>, deadlineMs?: number) {
  const settings = testSettings(core, configJson, recordingStore(), {});
  if (deadlineMs !== undefined)
    settings.budget = { ...settings.budget, region_deadline_ms: deadlineMs };
  const logged = captureLog([]);
  const locate = (region: string) => {
    const object = objects[region];
    if (!object) throw new Error(`no object for ${region}`);
    return object;
  };
  return { logged, run: runRegions({ core, settings, log: logged.log }, MINUTE_MS, locate) };
}

describe("runRegions", () => {
  test("each region's object gets that region's due probes, with its colo trace", async () => {
    const seen: RegionInput[] = [];
    const objects = Object.fromEntries(REGIONS.map((r) => [r, healthy(seen)]));
    const { run, logged } = runWith(objects);
    const report = await run;
    assert.deepEqual(seen.map((i) => i.region).sort(), [...REGIONS].sort());
    for (const input of seen) {
      assert.equal(input.due.length, 2);
      assert.ok(input.due.every((p) => p.region === input.region));
      assert.equal(input.colo_trace.headers["x-heyhi-region"], input.region);
    }
    assert.equal(report.due, 6);
    assert.deepEqual(report.write, { ok: true, stored: 6 });
    const [event] = logged.events();
    assert.equal(event?.event, "run");
    assert.deepEqual(event?.failed_regions, []);
  });

  test("an object that throws costs its region's rows only, and the run says which and why", async () => {
    const seen: RegionInput[] = [];
    const broken: RegionObject = {
      run: async () => {
        throw new Error("Durable Object storage is overloaded");
      },
      settle: async () => ({}),
    };
    const { run, logged } = runWith({ enam: healthy(seen), weur: broken, apac: healthy(seen) });
    const report = await run;
    assert.deepEqual(report.regions.map((r) => r.region).sort(), ["apac", "enam"]);
    assert.equal(report.stored, 4);
    assert.deepEqual(report.failed_regions, [
      { region: "weur", reason: "Error: Durable Object storage is overloaded" },
    ]);
    assert.deepEqual(logged.events()[0]?.failed_regions, report.failed_regions);
    assert.notEqual(report.home_transitions, null, "the home region answered");
  });

  test("an object that never answers is given up at the deadline; the others are kept", async () => {
    const seen: RegionInput[] = [];
    const hung: RegionObject = { run: () => new Promise(() => {}), settle: async () => ({}) };
    const started = Date.now();
    const { run } = runWith({ enam: hung, weur: healthy(seen), apac: healthy(seen) }, 200);
    const report = await run;
    assert.ok(Date.now() - started < 2000, "it did not wait for the hung region");
    assert.deepEqual(report.failed_regions, [
      { region: "enam", reason: "RegionTimeout: no answer within 200 ms" },
    ]);
    assert.equal(report.stored, 4);
    assert.equal(report.home_transitions, null, "enam is home: its kept transitions are unknown");
  });

  test("a region whose object cannot even be found fails alone", async () => {
    const seen: RegionInput[] = [];
    const { run } = runWith({ enam: healthy(seen), weur: healthy(seen) });
    const report = await run;
    assert.deepEqual(report.failed_regions, [
      { region: "apac", reason: "Error: no object for apac" },
    ]);
    assert.equal(report.regions.length, 2);
  });
});

describe("confirmation", () => {
  const ONE_MINUTE = 60_000;
  // One OpenAI target on a 15-minute cadence in three regions, and a minute off its slot.
  function offSlot() {
    const config = JSON.parse(probeConfig("http://127.0.0.1:9", { providers: ["openai"] }));
    config.regions = REGIONS;
    config.targets = config.targets.map((t: object) => ({ ...t, cadence_min: 15 }));
    const json = JSON.stringify(config);
    let minute = MINUTE_MS;
    for (let i = 0; i < 15; i++) {
      const plan = core.plan(json, minute);
      if (plan.ok && plan.due.length === 0) break;
      minute += ONE_MINUTE;
    }
    return { json, model: config.targets[0].model as string, minute };
  }

  function runAt(json: string, minute: number, store: ReturnType<typeof recordingStore>) {
    const seen: RegionInput[] = [];
    const objects = Object.fromEntries(REGIONS.map((r) => [r, healthy(seen)]));
    const settings = testSettings(core, json, store, {});
    const logged = captureLog([]);
    const locate = (region: string) => objects[region]!;
    const run = runRegions({ core, settings, log: logged.log }, minute, locate);
    return { seen, logged, run };
  }

  // A weur failure of `model` blamed on the provider, two minutes before `minute`.
  function weurFailure(model: string, minute: number) {
    return okRow(model, minute - 2 * ONE_MINUTE, {
      region: "weur",
      ok: false,
      http_status: 503,
      error_type: "overloaded",
      attribution: "provider",
    });
  }

  test("a recent provider failure is confirmed from every region off the cadence", async () => {
    const { json, model, minute } = offSlot();
    const store = recordingStore();
    const asked: unknown[] = [];
    store.checksBetween = async (ranges) => {
      asked.push(ranges);
      return {
        ok: true,
        rows: [okRow(model, minute - 3 * ONE_MINUTE), weurFailure(model, minute)],
      };
    };
    const { seen, run } = runAt(json, minute, store);
    await run;
    assert.deepEqual(asked, [
      [
        {
          from: new Date(minute - 10 * ONE_MINUTE).toISOString(),
          to: new Date(minute - ONE_MINUTE).toISOString(),
        },
      ],
    ]);
    assert.deepEqual(seen.map((i) => i.region).sort(), [...REGIONS].sort());
    for (const input of seen) {
      assert.deepEqual(
        input.due.map((p) => [p.model, p.reason]),
        [[model, "confirm"]],
      );
    }
  });

  test("failures the target's open alert explains are not confirmed", async () => {
    const { json, model, minute } = offSlot();
    const store = recordingStore();
    const enam = { ...weurFailure(model, minute), region: "enam" };
    store.checksBetween = async () => ({ ok: true, rows: [weurFailure(model, minute), enam] });
    const opened_at = new Date(minute - 5 * ONE_MINUTE).toISOString();
    const open = { id: 7, opened_at, last_notified_at: opened_at };
    store.openAlerts = async () => ({
      ok: true,
      alerts: [{ ...open, rule: "provider_errors", scope: `openai/${model}` }],
    });
    const { seen, run } = runAt(json, minute, store);
    assert.equal((await run).due, 0);
    assert.ok(seen.every((i) => i.due.length === 0));

    // Another region's regional alert explains nothing of weur's failure.
    store.checksBetween = async () => ({ ok: true, rows: [weurFailure(model, minute)] });
    store.openAlerts = async () => ({
      ok: true,
      alerts: [{ ...open, rule: "regional", scope: `openai/${model}@enam` }],
    });
    const again = runAt(json, minute, store);
    assert.equal((await again.run).due, REGIONS.length);
  });

  test("without the open alerts the failures are still confirmed, and it says why", async () => {
    const { json, model, minute } = offSlot();
    const store = recordingStore();
    store.checksBetween = async () => ({ ok: true, rows: [weurFailure(model, minute)] });
    store.openAlerts = async () => ({ ok: false, reason: "store unreachable", retryable: true });
    const { logged, run } = runAt(json, minute, store);
    assert.equal((await run).due, REGIONS.length);
    const event = logged.events().find((e) => e.event === "confirm_alerts_unreadable");
    assert.equal(event?.reason, "store unreachable");
  });

  test("alerts the core refuses to read are left out, and the minute still probes", async () => {
    const { json, model, minute } = offSlot();
    const store = recordingStore();
    store.checksBetween = async () => ({ ok: true, rows: [weurFailure(model, minute)] });
    const broken = { id: 7, rule: "provider_errors", scope: `openai/${model}` };
    store.openAlerts = async () => ({
      ok: true,
      alerts: [{ ...broken, opened_at: "yesterday", last_notified_at: null }],
    });
    const { logged, run } = runAt(json, minute, store);
    // The minute is planned, the failure confirmed as if no alert were open.
    assert.equal((await run).due, REGIONS.length);
    const event = logged.events().find((e) => e.event === "confirm_input_refused");
    assert.match(JSON.stringify(event?.errors), /open_alerts\[0\]/);
  });

  test("without the recent rows the minute runs on the cadence and says why", async () => {
    const { json, minute } = offSlot();
    const store = recordingStore();
    store.checksBetween = async () => ({ ok: false, reason: "store unreachable", retryable: true });
    const { seen, logged, run } = runAt(json, minute, store);
    const report = await run;
    assert.equal(report.due, 0);
    assert.ok(seen.every((i) => i.due.length === 0));
    const event = logged.events().find((e) => e.event === "confirm_read_failed");
    assert.equal(event?.reason, "store unreachable");
  });
});
