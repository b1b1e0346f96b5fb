// region.ts: one region's minute as its object runs it, against the emulator, written to a
// store that records what it was given (or fails as a test says), with its backlog on SQLite.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import type { CheckRow, Core } from "../../worker-shim/src/core.ts";
import type { Backlog } from "../../worker-shim/src/backlog.ts";
import { runRegion, settleTransitions, type RegionInput } from "../../worker-shim/src/region.ts";
import type { KeptTransition } from "../../worker-shim/src/alerts.ts";
import type { WriteResult } from "../../worker-shim/src/store/store.ts";
import { startEmulator, type Emulator, type FaultRule } from "../emulator/emulator.mjs";
import {
  captureLog,
  fakeKey,
  loadTestCore,
  memoryBacklog,
  MINUTE_ISO,
  MINUTE_MS,
  probeConfig,
  recordingStore,
  testSettings,
  warmUp,
} from "./support.ts";

const PROVIDERS = ["openai", "anthropic", "xai"];
const REGIONS = ["enam", "weur"];
const SECRETS = {
  OPENAI_API_KEY: fakeKey("OPENAI_API_KEY"),
  ANTHROPIC_API_KEY: fakeKey("ANTHROPIC_API_KEY"),
  XAI_API_KEY: fakeKey("XAI_API_KEY"),
};
// xAI rejects a key that starts with "invalid" and quotes it back, masked.
const REJECTED_SECRETS = { ...SECRETS, XAI_API_KEY: `invalid-${SECRETS.XAI_API_KEY}` };
const DOWN: WriteResult = { ok: false, reason: "postgrest unreachable: timeout", retryable: true };

let core: Core;
let emulator: Emulator;
let configJson: string;

before(async () => {
  core = await loadTestCore();
  emulator = await startEmulator({ port: 0, log: null });
  await warmUp(emulator.url);
  configJson = probeConfig(emulator.url, { providers: PROVIDERS, regions: REGIONS });
});

after(() => emulator.close());

beforeEach(() => emulator.setFaults({ rules: [] }));

/** The region's share of the plan of the minute `minuteMs`, as the scheduled handler sends it. */
function inputFor(region: string, minuteMs = MINUTE_MS, config = configJson): RegionInput {
  const plan = core.plan(config, minuteMs);
  if (!plan.ok) throw new Error(JSON.stringify(plan.errors));
  const regional = plan.regions.find((r) => r.region === region);
  if (!regional) throw new Error(`no region ${region} in the plan`);
  return {
    scheduled_ms: minuteMs,
    region,
    colo_trace: regional.colo_trace,
    due: plan.due.filter((p) => p.region === region),
    concurrency: plan.max_concurrency,
  };
}

interface MinuteOptions {
  rules?: FaultRule[];
  answer?: (rows: CheckRow[]) => Promise<WriteResult>;
  secrets?: Record<string, string>;
  backlog?: Backlog;
  region?: string;
  minuteMs?: number;
  config?: string;
}

async function runMinute(options: MinuteOptions = {}) {
  const { secrets = SECRETS, backlog = memoryBacklog(), region = "enam" } = options;
  if (options.rules) emulator.setFaults({ rules: options.rules });
  const store = recordingStore(options.answer);
  const logged = captureLog(Object.values(secrets));
  const settings = testSettings(core, options.config ?? configJson, store, secrets);
  const input = inputFor(region, options.minuteMs, options.config);
  const result = await runRegion({ core, settings, log: logged.log, backlog }, input);
  return { ...result, store, logged, backlog };
}

const minute = (i: number) => MINUTE_MS + i * 60_000;
const key = (r: CheckRow) => `${r.scheduled_at}|${r.region}|${r.provider}`;

describe("runRegion", () => {
  test("writes its region's due rows in one batch, stamped with region, colo and minute", async () => {
    const { store, report } = await runMinute({ region: "weur" });
    assert.equal(store.calls.length, 1);
    const rows = store.calls[0] ?? [];
    assert.deepEqual(rows.map((r) => r.provider).sort(), [...PROVIDERS].sort());
    for (const row of rows) {
      assert.equal(row.scheduled_at, MINUTE_ISO);
      assert.equal(row.region, "weur");
      assert.equal(row.colo, "AMS");
    }
    assert.deepEqual(report.write, { ok: true, stored: 3 });
    assert.equal(report.colo, "AMS");
  });

  test("learns its colo once and keeps it in its own storage", async () => {
    const backlog = memoryBacklog();
    const before = emulator.traces().length;
    await runMinute({ backlog, region: "weur", minuteMs: minute(0) });
    const second = await runMinute({ backlog, region: "weur", minuteMs: minute(1) });
    assert.equal(emulator.traces().length - before, 1, "one trace lookup for two runs");
    assert.equal(second.report.colo, "AMS");
    assert.ok(second.store.calls.flat().every((row) => row.colo === "AMS"));
  });

  test("a trace page that names no colo leaves it unknown and tries again next run", async () => {
    const store = recordingStore();
    const settings = testSettings(core, configJson, store, SECRETS);
    const input = { ...inputFor("enam"), colo_trace: { ...inputFor("enam").colo_trace } };
    input.colo_trace.url = `${emulator.url}/no-such-page`;
    const backlog = memoryBacklog();
    const { report } = await runRegion({ core, settings, log: captureLog([]).log, backlog }, input);
    assert.equal(report.colo, null);
    assert.match(report.colo_error ?? "", /trace answered 404 with no colo/);
    assert.equal(backlog.colo(), null);
    assert.ok(store.calls.flat().every((row) => row.colo === null));
  });

  test("a fault for one region at the emulator fails that region's probes only", async () => {
    const rules = [{ provider: "*", region: "weur", sequence: ["overloaded"] }];
    const weur = await runMinute({ rules, region: "weur" });
    const enam = await runMinute({ rules, region: "enam" });
    assert.deepEqual(weur.report.by_error_type, { overloaded: 3 });
    assert.equal(enam.report.failed, 0);
    assert.deepEqual(
      emulator
        .requests()
        .slice(-6)
        .map((r) => r.region),
      ["weur", "weur", "weur", "enam", "enam", "enam"],
    );
  });

  test("rows the store cannot take are kept and written first, once each, when it is back", async () => {
    const backlog = memoryBacklog();
    for (let i = 0; i < 3; i++) {
      const down = await runMinute({ backlog, minuteMs: minute(i), answer: async () => DOWN });
      assert.deepEqual(down.report.kept, { rows: 3 * (i + 1), transitions: 0 });
      assert.deepEqual(down.report.write, DOWN);
    }
    const back = await runMinute({ backlog, minuteMs: minute(3) });
    assert.equal(back.store.calls.length, 1, "the kept rows and this minute's in one write");
    const written = back.store.calls[0] ?? [];
    assert.equal(written.length, 12);
    assert.equal(new Set(written.map(key)).size, 12, "no row twice");
    const minutes = written.map((r) => r.scheduled_at);
    assert.deepEqual(minutes, [...minutes].sort(), "oldest first");
    assert.equal(back.report.flushed, 9);
    assert.deepEqual(back.report.kept, { rows: 0, transitions: 0 });
  });

  test("a repeated minute while the store is down is kept once", async () => {
    const backlog = memoryBacklog();
    await runMinute({ backlog, answer: async () => DOWN });
    const again = await runMinute({ backlog, answer: async () => DOWN });
    assert.deepEqual(again.report.kept, { rows: 3, transitions: 0 });
  });

  test("past the configured bound the oldest rows go first, and the run says how many", async () => {
    const small = JSON.stringify({ ...JSON.parse(configJson), backlog_max_items: 10 });
    const backlog = memoryBacklog();
    const down = async () => DOWN;
    const reports = [];
    for (let i = 0; i < 4; i++) {
      const run = await runMinute({ backlog, minuteMs: minute(i), answer: down, config: small });
      reports.push(run.report);
    }
    assert.deepEqual(
      reports.map((r) => r.dropped_oldest.rows),
      [0, 0, 0, 2],
    );
    const kept = backlog.oldest("row").map((item) => JSON.parse(item.body) as CheckRow);
    assert.equal(kept.length, 10);
    assert.equal(kept[0]?.scheduled_at, "2026-12-03T12:05:00Z");
    assert.equal(kept.filter((r) => r.scheduled_at === "2026-12-03T12:05:00Z").length, 1);
  });

  test("a store that refuses the batch for good keeps nothing; the report says why", async () => {
    const refusal: WriteResult = {
      ok: false,
      reason: "postgrest 400 PGRST204: no column",
      retryable: false,
    };
    const { report, backlog } = await runMinute({ answer: async () => refusal });
    assert.deepEqual(report.write, refusal);
    assert.equal(report.due, 3);
    assert.deepEqual(backlog.counts(), { rows: 0, transitions: 0 });
  });

  test("a store that throws does not fail the run; its rows are kept", async () => {
    const { report } = await runMinute({
      answer: async () => {
        throw new Error("database is on fire");
      },
    });
    assert.equal(report.write?.ok, false);
    assert.match((report.write as { reason: string }).reason, /store threw: database is on fire/);
    assert.deepEqual(report.kept, { rows: 3, transitions: 0 });
  });
});

describe("the home region's kept alert transitions", () => {
  const transition = (key: string) => ({ key, stage: "record" }) as unknown as KeptTransition;

  test("are kept in order, forgotten once written, and handed to the next run", async () => {
    const backlog = memoryBacklog();
    settleTransitions(backlog, { done: [], keep: [transition("a"), transition("b")] }, 100);
    const settled = settleTransitions(backlog, { done: ["a"], keep: [transition("c")] }, 100);
    assert.deepEqual(settled.kept, { rows: 0, transitions: 2 });
    const { transitions } = await runMinute({ backlog });
    assert.deepEqual(
      transitions.map((t) => t.key),
      ["b", "c"],
    );
  });

  test("keep the latest hour's baselines apart from the bound, and hand them to each run", async () => {
    const backlog = memoryBacklog();
    assert.equal((await runMinute({ backlog })).baselines, null);
    const first = { hour: "2026-12-03T12:00:00Z", targets: { "openai/a": 900 } };
    const next = { hour: "2026-12-03T13:00:00Z", targets: { "openai/a": null } };
    settleTransitions(backlog, { done: [], keep: [], baselines: first }, 1);
    settleTransitions(backlog, { done: [], keep: [transition("a")], baselines: next }, 1);
    const { baselines, transitions } = await runMinute({ backlog });
    assert.deepEqual(baselines, next);
    assert.equal(transitions.length, 1);
  });

  test("share the bound with rows, which go first", async () => {
    const backlog = memoryBacklog();
    settleTransitions(backlog, { done: [], keep: [transition("a")] }, 100);
    await runMinute({ backlog, answer: async () => DOWN });
    const settled = settleTransitions(backlog, { done: [], keep: [transition("b")] }, 3);
    assert.deepEqual(settled.dropped_oldest, { rows: 2, transitions: 0 });
    assert.deepEqual(settled.kept, { rows: 1, transitions: 2 });
  });
});

describe("runRegion keeps secrets out of what it writes", () => {
  function assertNoSecret(where: string, text: string, secrets = SECRETS): void {
    for (const [name, secret] of Object.entries(secrets)) {
      assert.ok(!text.includes(secret), `${name} appears in ${where}`);
    }
  }

  test("no key reaches the rows, the report or the backlog when providers quote it", async () => {
    const rules = [{ provider: "openai", sequence: ["auth"] }];
    const down = async () => DOWN;
    const { store, report, backlog } = await runMinute({
      rules,
      secrets: REJECTED_SECRETS,
      answer: down,
    });
    const rows = store.calls.flat();

    // The test is only worth something if the providers really did quote the keys.
    const quoted = (provider: string) => rows.find((r) => r.provider === provider)?.detail ?? "";
    assert.match(quoted("openai"), /Incorrect API key provided: fake-\w+\*+91c2/);
    assert.match(quoted("xai"), /Incorrect API key provided: in\*\*\*c2/);

    assertNoSecret("the stored rows", JSON.stringify(store.calls), REJECTED_SECRETS);
    assertNoSecret("the report", JSON.stringify(report), REJECTED_SECRETS);
    assertNoSecret("the backlog", JSON.stringify(backlog.oldest("row")), REJECTED_SECRETS);
  });

  // One region's minute with every probe answered by `answer`, and the rows it stored.
  async function rowsAnswered(answer: typeof fetch) {
    const store = recordingStore();
    const settings = testSettings(core, configJson, store, SECRETS);
    const probeDeps = { fetch: answer, now: () => 0, wallClock: () => MINUTE_MS };
    const ctx = { core, settings, log: captureLog([]).log, probeDeps, backlog: memoryBacklog() };
    await runRegion(ctx, inputFor("enam"));
    return { rows: store.calls.flat(), calls: store.calls };
  }

  test("a key quoted whole by a proxy is redacted from the row", async () => {
    const echo = async (_url: unknown, init?: RequestInit) => {
      const headers = init?.headers as Record<string, string>;
      const sent = headers["authorization"] ?? headers["x-api-key"] ?? "";
      const body = JSON.stringify({ message: `key ${sent.replace("Bearer ", "")} refused` });
      const responseHeaders = { "content-type": "application/json", "x-request-id": sent };
      return new Response(body, { status: 403, headers: responseHeaders });
    };
    const { rows, calls } = await rowsAnswered(echo);
    assert.equal(rows.length, 3);
    for (const row of rows) assert.match(row.detail ?? "", /key \[redacted\] refused/);
    assertNoSecret("the stored rows", JSON.stringify(calls));
  });

  test("a key that the short detail would cut in two is redacted before the cut", async () => {
    // The detail keeps about 200 bytes; the padding puts the quoted key across that line.
    const echo = async (_url: unknown, init?: RequestInit) => {
      const headers = init?.headers as Record<string, string>;
      const sent = (headers["authorization"] ?? headers["x-api-key"] ?? "").replace("Bearer ", "");
      const message = `${"x".repeat(165)} ${sent}`;
      const body = JSON.stringify({ error: { message, type: "server_error" } });
      return new Response(body, { status: 500, headers: { "content-type": "application/json" } });
    };
    const { rows } = await rowsAnswered(echo);
    assert.equal(rows.length, 3);
    for (const [name, secret] of Object.entries(SECRETS)) {
      const head = secret.slice(0, 8);
      for (const row of rows) assert.ok(!row.detail?.includes(head), `${name}'s start in a row`);
    }
    assert.ok(
      rows.every((row) => row.detail?.includes("xxxxxxxx")),
      "the padding was quoted",
    );
  });
});
