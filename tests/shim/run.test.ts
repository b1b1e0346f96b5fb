// run.ts: one scheduled minute against the emulator, written to a store that records what it
// was given, and logged into an array, with fake keys that must never come out again.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import type { CheckRow, Core } from "../../worker-shim/src/core.ts";
import { runScheduled } from "../../worker-shim/src/run.ts";
import type { WriteResult } from "../../worker-shim/src/store/store.ts";
import { startEmulator, type Emulator, type FaultRule } from "../emulator/emulator.mjs";
import {
  captureLog,
  fakeKey,
  loadTestCore,
  MINUTE_ISO,
  MINUTE_MS,
  plannedProbes,
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

/** One scheduled minute with the given faults, store answer and secrets. */
async function runMinute(
  rules: FaultRule[],
  answer?: (rows: CheckRow[]) => Promise<WriteResult>,
  secrets: Record<string, string> = SECRETS,
) {
  emulator.setFaults({ rules });
  const store = recordingStore(answer);
  const logged = captureLog(Object.values(secrets));
  const settings = testSettings(core, configJson, store, secrets);
  const report = await runScheduled({ core, settings, log: logged.log }, MINUTE_MS);
  const runEvents = logged.events().filter((event) => event.event === "run");
  return { report, store, logged, runEvents };
}

const pair = (p: { provider: string; region: string }) => `${p.provider}@${p.region}`;

describe("runScheduled", () => {
  test("writes every due row in one batch, stamped with its region and the minute", async () => {
    const { store } = await runMinute([{ provider: "anthropic", sequence: ["overloaded"] }]);
    const due = plannedProbes(core, configJson);
    assert.equal(due.length, PROVIDERS.length * REGIONS.length);

    assert.equal(store.calls.length, 1);
    const rows = store.calls[0] ?? [];
    assert.deepEqual(rows.map(pair).sort(), due.map(pair).sort());
    for (const row of rows) assert.equal(row.scheduled_at, MINUTE_ISO);
  });

  test("logs one run event that counts the probes, failures and the write", async () => {
    const rules = [{ provider: "anthropic", sequence: ["overloaded"] }];
    const { logged, runEvents, report } = await runMinute(rules);
    assert.equal(logged.lines.length, 1);
    assert.equal(runEvents.length, 1);
    // These fields, whatever else the event carries.
    assert.deepEqual(runEvents[0], {
      ...runEvents[0],
      scheduled_at: MINUTE_ISO,
      due: 6,
      ok: 4,
      failed: 2,
      by_error_type: { overloaded: 2 },
      stored: 6,
      store: "d1",
    });
    assert.deepEqual(report.write, { ok: true, stored: 6 });
  });

  test("a store that throws does not fail the run, and the log says why", async () => {
    const { runEvents, report } = await runMinute([], async () => {
      throw new Error("database is on fire");
    });
    assert.equal(report.write.ok, false);
    assert.equal(report.stored, 0);
    const write = runEvents[0]?.write as { ok: boolean; reason: string };
    assert.equal(write.ok, false);
    assert.match(write.reason, /store threw: database is on fire/);
  });

  test("a store that refuses the batch does not fail the run; the log keeps why", async () => {
    const reason = "postgrest 400 PGRST204: no column";
    const refusal: WriteResult = { ok: false, reason, retryable: false };
    const { runEvents, report } = await runMinute([], async () => refusal);
    assert.deepEqual(report.write, refusal);
    assert.deepEqual(runEvents[0]?.write, refusal);
    assert.equal(runEvents[0]?.due, 6);
  });
});

describe("runScheduled keeps secrets out of what it writes", () => {
  function assertNoSecret(where: string, text: string, secrets = SECRETS): void {
    for (const [name, secret] of Object.entries(secrets)) {
      assert.ok(!text.includes(secret), `${name} appears in ${where}`);
    }
  }

  test("no key reaches the log, rows or store when providers quote part of it", async () => {
    const rules = [{ provider: "openai", sequence: ["auth"] }];
    const { store, logged, report } = await runMinute(rules, undefined, REJECTED_SECRETS);
    const rows = store.calls.flat();

    // The test is only worth something if the providers really did quote the keys.
    const quoted = (provider: string) => rows.find((r) => r.provider === provider)?.detail ?? "";
    assert.match(quoted("openai"), /Incorrect API key provided: fake-\w+\*+91c2/);
    assert.match(quoted("xai"), /Incorrect API key provided: in\*\*\*c2/);

    assertNoSecret("the log", logged.lines.join("\n"), REJECTED_SECRETS);
    assertNoSecret("the stored rows", JSON.stringify(store.calls), REJECTED_SECRETS);
    assertNoSecret("the run report", JSON.stringify(report), REJECTED_SECRETS);
  });

  test("a key quoted whole by a proxy is redacted from the row and the log", async () => {
    const echo = async (_url: unknown, init?: RequestInit) => {
      const headers = init?.headers as Record<string, string>;
      const sent = headers["authorization"] ?? headers["x-api-key"] ?? "";
      const body = JSON.stringify({ message: `key ${sent.replace("Bearer ", "")} refused` });
      const responseHeaders = { "content-type": "application/json", "x-request-id": sent };
      return new Response(body, { status: 403, headers: responseHeaders });
    };
    const store = recordingStore();
    const logged = captureLog(Object.values(SECRETS));
    const settings = testSettings(core, configJson, store, SECRETS);
    const probeDeps = { fetch: echo, now: () => 0, wallClock: () => MINUTE_MS };
    await runScheduled({ core, settings, log: logged.log, probeDeps }, MINUTE_MS);

    const rows = store.calls.flat();
    assert.equal(rows.length, 6);
    for (const row of rows) assert.match(row.detail ?? "", /key \[redacted\] refused/);
    assertNoSecret("the stored rows", JSON.stringify(store.calls));
    assertNoSecret("the log", logged.lines.join("\n"));
  });
});
