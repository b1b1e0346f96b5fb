// The whole pipeline through a real `wrangler dev` (workerd) with D1: the emulator injects a
// different fault per target and minute, and the stored rows are checked field by field.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { startEmulator } from "../emulator/emulator.mjs";
import {
  applyD1Migrations,
  queryD1,
  ROOT,
  startWrangler,
  type Wrangler,
} from "../../scripts/lib/harness.ts";
import {
  checkRows,
  configJson,
  FAKE_KEY,
  faultConfig,
  minuteIso,
  TARGETS,
  type StoredRow,
} from "./expectations.ts";

const PERSIST_TO = join(ROOT, ".wrangler/e2e-d1");
const FIRST_MINUTE = Date.UTC(2026, 11, 3, 9, 0);
const MINUTES = [0, 1, 2].map((i) => FIRST_MINUTE + i * 60000);

let emulator: Awaited<ReturnType<typeof startEmulator>>;
let wrangler: Wrangler;

function storedRows(): StoredRow[] {
  const rows = queryD1<StoredRow & { ok: number }>(PERSIST_TO, "select * from llm_checks");
  return rows.map((row) => ({ ...row, ok: row.ok === 1 }));
}

before(async () => {
  emulator = await startEmulator({ port: 0, faults: faultConfig(), log: null });
  applyD1Migrations(PERSIST_TO);
  const vars: Record<string, string> = {
    HEYHI_CONFIG: configJson(),
    PROVIDER_ORIGIN: emulator.url,
    HEYHI_STORE: "d1",
  };
  for (const t of TARGETS) vars[`${t.provider.toUpperCase()}_API_KEY`] = FAKE_KEY;
  wrangler = await startWrangler({ persistTo: PERSIST_TO, vars });
  for (const minute of MINUTES) await wrangler.fireMinute(minute);
});

after(async () => {
  await wrangler?.stop();
  await emulator?.close();
});

test("every probe of three minutes is stored with the fault's classification", () => {
  checkRows(storedRows(), MINUTES.map(minuteIso));
});

test("each run logs one summary with its counts and a successful write", () => {
  const runs = wrangler.runLogs();
  assert.equal(runs.length, MINUTES.length);
  for (const run of runs) {
    assert.equal(run.due, TARGETS.length);
    assert.equal(run.stored, TARGETS.length);
    assert.deepEqual(run.write, { ok: true, stored: TARGETS.length });
  }
  assert.ok(
    wrangler.logs().every((line) => !line.includes(FAKE_KEY)),
    "no key in any log line",
  );
});

test("the emulator saw minimal one-token requests, one per probe, with no retry", () => {
  type Seen = { provider: string; body: Record<string, unknown> };
  const requests = emulator.requests() as Seen[];
  assert.equal(requests.length, TARGETS.length * MINUTES.length);
  const openai = requests.find((r) => r.provider === "openai");
  const fields = (seen: Seen | undefined) => Object.keys(seen?.body ?? {}).sort();
  assert.deepEqual(fields(openai), ["max_completion_tokens", "messages", "model"]);
  assert.equal(openai?.body.max_completion_tokens, 1);
  const mistral = requests.find((r) => r.provider === "mistral");
  assert.deepEqual(fields(mistral), ["max_tokens", "messages", "model"]);
});

test("a repeated cron minute stores nothing twice", async () => {
  const before = storedRows();
  await wrangler.fireMinute(MINUTES[1] as number);
  const after = storedRows();
  assert.equal(after.length, before.length);
  const key = (r: StoredRow) => `${r.scheduled_at}|${r.provider}|${r.ts}|${r.error_type}`;
  assert.deepEqual(after.map(key).sort(), before.map(key).sort(), "the first run's rows remain");
  const lastRun = wrangler.runLogs().at(-1);
  assert.equal(lastRun?.stored, 0);
});
