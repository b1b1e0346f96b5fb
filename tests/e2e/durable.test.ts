// Durable delivery through a real `wrangler dev` with Supabase's path (the PostgREST
// stand-in on PostgreSQL 15), three regions: the store is unreachable for an hour of cron
// minutes, each region's object keeps its rows meanwhile, and once the store is back every
// row of every minute is there exactly once, the backlogs empty.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { after, before, test } from "node:test";

import pg from "pg";

import { startEmulator } from "../emulator/emulator.mjs";
import { freePort, ROOT, startWrangler, type Wrangler } from "../../scripts/lib/harness.ts";
import { openStandin } from "./setup.ts";

const DATABASE_URL = process.env.HEYHI_PG_URL;
const SERVICE_KEY = `service-${randomUUID()}`;
const FIRST_MINUTE = Date.UTC(2026, 11, 4, 6, 0);
const OUTAGE_MINUTES = 60;
const REGIONS = ["enam", "weur", "apac"];
const MODELS = ["durable-small", "durable-large"];
const CONFIG = JSON.stringify({
  regions: REGIONS,
  targets: [
    { provider: "openai", model: MODELS[0], cadence_min: 1, timeout_ms: 900 },
    { provider: "mistral", model: MODELS[1], cadence_min: 1, timeout_ms: 900 },
  ],
});

const minute = (i: number) => FIRST_MINUTE + i * 60000;

let emulator: Awaited<ReturnType<typeof startEmulator>>;
let standin: Awaited<ReturnType<typeof openStandin>> | undefined;
let standinPort: number;
let wrangler: Wrangler;
let db: pg.Pool;

interface Run {
  write: { ok: boolean; retryable?: boolean; reason?: string };
  regions: Array<{ region: string; kept: { rows: number }; flushed: number }>;
}

before(async () => {
  assert.ok(DATABASE_URL, "HEYHI_PG_URL must name the database scripts/pg-up prepared");
  db = new pg.Pool({ connectionString: DATABASE_URL, max: 2, options: "-c role=service_role" });
  await db.query("delete from llm_checks where model = any($1)", [MODELS]);
  standinPort = await freePort();
  standin = await openStandin(standinPort, SERVICE_KEY);
  emulator = await startEmulator({ port: 0, log: null });
  wrangler = await startWrangler({
    persistTo: join(ROOT, ".wrangler/e2e-durable"),
    vars: {
      HEYHI_CONFIG: CONFIG,
      PROVIDER_ORIGIN: emulator.url,
      HEYHI_STORE: "postgrest",
      SUPABASE_URL: `http://127.0.0.1:${standinPort}`,
      SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY,
      OPENAI_API_KEY: "e2e-durable-key",
      MISTRAL_API_KEY: "e2e-durable-key",
    },
  });
});

after(async () => {
  await wrangler?.stop();
  await emulator?.close();
  await standin?.close();
  await db?.query("delete from llm_checks where model = any($1)", [MODELS]);
  await db?.end();
});

test("an hour without the store loses no row, and none is stored twice", async () => {
  await wrangler.fireMinute(minute(0));
  await standin?.close();
  for (let i = 1; i <= OUTAGE_MINUTES; i++) await wrangler.fireMinute(minute(i));

  const runs = wrangler.runLogs() as unknown as Run[];
  const down = runs.slice(1);
  assert.equal(down.length, OUTAGE_MINUTES);
  for (const run of down) {
    assert.equal(run.write.ok, false);
    assert.equal(run.write.retryable, true);
    assert.match(run.write.reason ?? "", /postgrest unreachable/);
  }
  const keptAtEnd = down
    .at(-1)
    ?.regions.map((r) => [r.region, r.kept.rows])
    .sort();
  assert.deepEqual(
    keptAtEnd,
    REGIONS.map((r) => [r, OUTAGE_MINUTES * MODELS.length]).sort(),
    "each region kept every row of the outage",
  );

  standin = await openStandin(standinPort, SERVICE_KEY);
  const restored = minute(OUTAGE_MINUTES + 1);
  await wrangler.fireMinute(restored);
  const back = wrangler.runLogs().at(-1) as unknown as Run;
  assert.equal(back.write.ok, true);
  for (const region of back.regions) {
    assert.equal(region.flushed, OUTAGE_MINUTES * MODELS.length, `${region.region} flushed`);
    assert.equal(region.kept.rows, 0, `${region.region} backlog empty`);
  }

  const counted = await db.query(
    `select scheduled_at, region, model, count(*)::int as n from llm_checks
      where model = any($1) group by 1, 2, 3`,
    [MODELS],
  );
  const expected = (OUTAGE_MINUTES + 2) * REGIONS.length * MODELS.length;
  assert.equal(counted.rows.length, expected, "every minute, region and model is there");
  assert.ok(
    counted.rows.every((r: { n: number }) => r.n === 1),
    "each exactly once",
  );
  assert.ok(wrangler.logs().every((line) => !line.includes(SERVICE_KEY)));
});

test("a later minute writes straight through again, keeping nothing", async () => {
  await wrangler.fireMinute(minute(OUTAGE_MINUTES + 2));
  const run = wrangler.runLogs().at(-1) as unknown as Run;
  assert.equal(run.write.ok, true);
  assert.deepEqual(
    run.regions.map((r) => [r.kept.rows, r.flushed]),
    REGIONS.map(() => [0, 0]),
  );
});
