// The same pipeline with Supabase's path: the Worker in `wrangler dev` writes through the
// PostgREST stand-in into real PostgreSQL 15. Also: a store that is down costs that run's
// write, is logged with its reason, and the Worker keeps running.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { after, before, test } from "node:test";

import pg from "pg";

import { startEmulator } from "../emulator/emulator.mjs";
import { freePort, ROOT, startWrangler, type Wrangler } from "../../scripts/lib/harness.ts";
import { openStandin } from "./setup.ts";
import {
  checkRows,
  configJson,
  FAKE_KEY,
  faultConfig,
  minuteIso,
  TARGETS,
  type StoredRow,
} from "./expectations.ts";

const DATABASE_URL = process.env.HEYHI_PG_URL;
const SERVICE_KEY = `service-${randomUUID()}`;
const FIRST_MINUTE = Date.UTC(2026, 11, 3, 10, 0);
const MINUTES = [0, 1, 2].map((i) => FIRST_MINUTE + i * 60000);
const MODELS = TARGETS.map((t) => t.model);

let emulator: Awaited<ReturnType<typeof startEmulator>>;
let standin: Awaited<ReturnType<typeof openStandin>>;
let standinPort: number;
let wrangler: Wrangler;
let db: pg.Pool;

async function reopenStandin(): Promise<void> {
  standin = await openStandin(standinPort, SERVICE_KEY);
}

async function storedRows(since: number, until: number): Promise<StoredRow[]> {
  const result = await db.query(
    `select * from llm_checks where model = any($1) and scheduled_at >= $2 and scheduled_at < $3`,
    [MODELS, new Date(since), new Date(until)],
  );
  return result.rows.map((row) => ({
    ...row,
    scheduled_at: minuteIso(row.scheduled_at.getTime()),
    ts: row.ts.toISOString(),
  }));
}

// Anthropic failing for the six minutes before the first cron minute, as an earlier run of the
// Worker would have stored it: the first alert step has to read them back to open the alert.
const OUTAGE_MINUTES = [6, 5, 4, 3, 2, 1].map((m) => FIRST_MINUTE - m * 60000);
const ANTHROPIC = TARGETS.find((t) => t.provider === "anthropic")!;

async function seedOutage(): Promise<void> {
  for (const at of OUTAGE_MINUTES) {
    await db.query(
      `insert into llm_checks (scheduled_at, ts, region, colo, provider, model, ok, http_status,
         error_type, attribution, latency_ms, detail)
       values ($1, $2, 'enam', 'EWR', 'anthropic', $3, false, 529, 'overloaded', 'provider',
         140, '529 overloaded_error: Overloaded')`,
      [new Date(at), new Date(at + 250), ANTHROPIC.model],
    );
  }
}

before(async () => {
  assert.ok(DATABASE_URL, "HEYHI_PG_URL must name the database scripts/pg-up prepared");
  // The stand-in's login role holds no rights of its own; read back as the writer does.
  db = new pg.Pool({ connectionString: DATABASE_URL, max: 2, options: "-c role=service_role" });
  await db.query("delete from llm_checks where model = any($1)", [MODELS]);
  await db.query("delete from alerts where model = any($1)", [MODELS]);
  await seedOutage();
  standinPort = await freePort();
  await reopenStandin();
  emulator = await startEmulator({ port: 0, faults: faultConfig(), log: null });
  const vars: Record<string, string> = {
    HEYHI_CONFIG: configJson(),
    PROVIDER_ORIGIN: emulator.url,
    HEYHI_STORE: "postgrest",
    SUPABASE_URL: `http://127.0.0.1:${standinPort}`,
    SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY,
  };
  for (const t of TARGETS) vars[`${t.provider.toUpperCase()}_API_KEY`] = FAKE_KEY;
  wrangler = await startWrangler({ persistTo: join(ROOT, ".wrangler/e2e-postgrest"), vars });
  for (const minute of MINUTES) await wrangler.fireMinute(minute);
});

after(async () => {
  await wrangler?.stop();
  await emulator?.close();
  await standin?.close();
  await db?.query("delete from llm_checks where model = any($1)", [MODELS]);
  await db?.query("delete from alerts where model = any($1)", [MODELS]);
  await db?.end();
});

test("every probe of three minutes reaches Postgres with the fault's classification", async () => {
  const rows = await storedRows(MINUTES[0] as number, (MINUTES[2] as number) + 60000);
  checkRows(rows, MINUTES.map(minuteIso));
});

test("a repeated cron minute is ignored by on_conflict, not stored twice", async () => {
  await wrangler.fireMinute(MINUTES[2] as number);
  const rows = await storedRows(MINUTES[2] as number, (MINUTES[2] as number) + 60000);
  assert.equal(rows.length, TARGETS.length);
  const last = wrangler.runLogs().at(-1) as { write: { ok: boolean } } | undefined;
  assert.equal(last?.write.ok, true);
});

test("the alert step reads the stored outage back from PostgREST and opens its alert", async () => {
  const reports = await wrangler.eventsAtLeast("alerts", MINUTES.length);
  const minutes = reports.slice(0, MINUTES.length).map((r) => r.scheduled_at);
  assert.deepEqual(
    minutes,
    MINUTES.map((m) => new Date(m).toISOString()),
  );
  for (const report of reports) assert.equal(report.error, undefined, JSON.stringify(report));
  assert.equal(reports[0]?.opened, 1, "the first minute opens the outage's alert");
  const open = await db.query(
    "select rule, measured from alerts where model = $1 and resolved_at is null",
    [ANTHROPIC.model],
  );
  assert.equal(open.rows.length, 1);
  assert.equal(open.rows[0].rule, "provider_errors");
  assert.ok(open.rows[0].measured.failures >= OUTAGE_MINUTES.length, open.rows[0].measured);
});

test("a store that is down is logged with its reason and the next run writes again", async () => {
  await standin.close();
  const downMinute = (MINUTES[2] as number) + 60000;
  await wrangler.fireMinute(downMinute);
  type Failed = { due: number; write: { ok: boolean; reason: string; retryable: boolean } };
  const failed = wrangler.runLogs().at(-1) as Failed;
  assert.equal(failed.due, TARGETS.length, "the probes still ran");
  assert.equal(failed.write.ok, false);
  assert.equal(failed.write.retryable, true);
  assert.match(failed.write.reason, /postgrest unreachable/);

  await reopenStandin();
  const nextMinute = downMinute + 60000;
  await wrangler.fireMinute(nextMinute);
  assert.equal((await storedRows(nextMinute, nextMinute + 60000)).length, TARGETS.length);
  assert.ok(
    wrangler.logs().every((line) => !line.includes(SERVICE_KEY) && !line.includes(FAKE_KEY)),
  );
});

test("the board reads the PostgREST store: summary, page and checks", async () => {
  const summary = await (await fetch(`${wrangler.url}/api/summary`)).json();
  assert.equal(summary.store, "postgrest");
  assert.deepEqual(
    summary.targets.slice(0, TARGETS.length).map((t: { model: string }) => t.model),
    MODELS,
  );
  assert.ok(["all_clear", "failing"].includes(summary.verdict.state));
  const page = await fetch(`${wrangler.url}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /from postgrest\./);
  const since = new Date(Date.now() - 3_600_000).toISOString();
  const checks = await fetch(`${wrangler.url}/api/checks?provider=openai&since=${since}`);
  assert.equal(checks.status, 200);
  const body = await checks.json();
  assert.ok(body.checks.every((c: { provider: string }) => c.provider === "openai"));
  assert.equal((await fetch(`${wrangler.url}/api/checks?since=soon`)).status, 400);
});
