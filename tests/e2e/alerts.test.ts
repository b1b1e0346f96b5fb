// Alerting end to end through `wrangler dev` with D1: the emulator takes one provider down,
// Slack-shaped deliveries arrive at a local receiver, every message passes the Block Kit
// checks, two invocations of the same minute notify once, and recovery is sent once.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { startEmulator } from "../emulator/emulator.mjs";
import { loadCore, type Core } from "../../worker-shim/src/core.ts";
import {
  applyD1Migrations,
  parseEvents,
  ROOT,
  startWrangler,
  type Wrangler,
} from "../../scripts/lib/harness.ts";
import { startSlackReceiver, type SlackMessage } from "./slack-receiver.ts";

const PERSIST_TO = join(ROOT, ".wrangler/e2e-alerts");
const FIRST_MINUTE = Date.UTC(2026, 11, 3, 11, 0);
const KEY = "e2e-alert-key-5c2a9f";
const CONFIG = JSON.stringify({
  regions: ["enam", "weur"],
  targets: [
    { provider: "anthropic", model: "claude-haiku-5-5", cadence_min: 1, timeout_ms: 900 },
    { provider: "mistral", model: "mistral-small-latest", cadence_min: 1, timeout_ms: 900 },
  ],
});

let receiver: Awaited<ReturnType<typeof startSlackReceiver>>;
let received: SlackMessage[] = [];
let emulator: Awaited<ReturnType<typeof startEmulator>>;
let wrangler: Wrangler;
let core: Core;

const minute = (i: number) => FIRST_MINUTE + i * 60000;

before(async () => {
  const wasm = readFileSync(join(ROOT, "build/wasm/heyhi-core.wasm"));
  core = await loadCore(new WebAssembly.Module(wasm));
  receiver = await startSlackReceiver();
  received = receiver.received;
  emulator = await startEmulator({
    port: 0,
    log: null,
    faults: { rules: [{ provider: "anthropic", model: "*", sequence: ["overloaded"] }] },
  });
  applyD1Migrations(PERSIST_TO);
  wrangler = await startWrangler({
    persistTo: PERSIST_TO,
    vars: {
      HEYHI_CONFIG: CONFIG,
      PROVIDER_ORIGIN: emulator.url,
      HEYHI_STORE: "d1",
      ANTHROPIC_API_KEY: KEY,
      MISTRAL_API_KEY: KEY,
      SLACK_WEBHOOK_URL: receiver.url,
    },
  });
});

after(async () => {
  await wrangler?.stop();
  await emulator?.close();
  await receiver?.close();
});

test("an outage opens one alert, even when two invocations run the same minute", async () => {
  await wrangler.fireMinute(minute(0));
  await wrangler.fireMinute(minute(1));
  assert.equal(received.length, 0, "four failures, two per region, are not yet an alert");
  await Promise.all([wrangler.fireMinute(minute(2)), wrangler.fireMinute(minute(2))]);
  assert.equal(received.length, 1, "one Slack message for the episode");
  const reports = parseEvents(wrangler.logs(), "alerts");
  assert.equal(reports.length, 4, "every invocation ran its alert step");
  const opened = reports.map((r) => r.opened);
  assert.deepEqual([...opened].sort(), [0, 0, 0, 1], "of the two at minute 2, one opened");
  assert.match(received[0]?.text ?? "", /Anthropic/);
  assert.match(JSON.stringify(received[0]), /claude-haiku-5-5/);
  await wrangler.fireMinute(minute(3));
  assert.equal(received.length, 1, "no repeat while it stays open");
});

test("recovery after the clean stretch is sent exactly once", async () => {
  emulator.setFaults({ rules: [] });
  for (let i = 4; i <= 17; i++) await wrangler.fireMinute(minute(i));
  assert.equal(received.length, 2, "the opening and one resolution");
  assert.match(JSON.stringify(received[1]), /resolved|Resolved|RESOLVED/);
});

test("every message Slack received passes the Block Kit checks", () => {
  for (const message of received) {
    assert.deepEqual(core.validateSlackMessage(JSON.stringify(message)), { ok: true });
    assert.ok(message.text.length > 0);
  }
  assert.ok(wrangler.logs().every((line) => !line.includes(KEY) && !line.includes(receiver.url)));
});
