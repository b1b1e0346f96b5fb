// store/postgrest.ts against the PostgREST stand-in over the real PostgreSQL 15 schema. Needs
// the database that scripts/pg-up prepares:
//   HEYHI_PG_URL="$(scripts/pg-up)" node --test tests/shim/postgrest.test.ts
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import net from "node:net";
import { after, before, describe, test } from "node:test";

import pg from "pg";

import type { CheckRow, Core } from "../../worker-shim/src/core.ts";
import { PostgrestStore } from "../../worker-shim/src/store/postgrest.ts";
import type { WriteResult } from "../../worker-shim/src/store/store.ts";
import { startStandin } from "../postgrest/standin.mjs";
import { failedRow, loadTestCore, MINUTE_MS, okRow } from "./support.ts";

const DATABASE_URL = process.env.HEYHI_PG_URL;
const SERVICE_KEY = `service-${randomUUID()}`;
const ANON_KEY = `anon-${randomUUID()}`;

let core: Core;
let standin: Awaited<ReturnType<typeof startStandin>>;
let db: InstanceType<typeof pg.Pool>;
let url: string;
const models: string[] = [];
const reasons: string[] = [];

const NO_DATABASE =
  'HEYHI_PG_URL is not set: these tests need PostgreSQL; run HEYHI_PG_URL="$(scripts/pg-up)"';

// Without the database the store tests cannot run; this fails the file, saying why.
test("HEYHI_PG_URL points the tests at the PostgreSQL that scripts/pg-up prepares", () => {
  assert.ok(DATABASE_URL, NO_DATABASE);
});

/** A query as the service role, which alone may read and write llm_checks. */
async function asService(sql: string, values: unknown[]) {
  const client = await db.connect();
  try {
    await client.query("begin");
    await client.query("select set_config('role', 'service_role', true)");
    const result = await client.query(sql, values);
    await client.query("commit");
    return result.rows;
  } finally {
    client.release();
  }
}

/** Writes through a store and keeps every failure reason for the leak check at the end. */
async function insert(store: PostgrestStore, rows: CheckRow[]): Promise<WriteResult> {
  const result = await store.insertChecks(rows);
  if (!result.ok) reasons.push(result.reason);
  return result;
}

function uniqueModel(): string {
  const model = `shim-test-${randomUUID()}`;
  models.push(model);
  return model;
}

function sampleRows(model: string): CheckRow[] {
  return [okRow(model, MINUTE_MS), failedRow(model, MINUTE_MS)];
}

/** The insert body the core builds for these rows, as run.ts hands it to the store. */
function insertBody(rows: CheckRow[]): CheckRow[] {
  const answer = core.insertBody(rows);
  if (!answer.ok) throw new Error(`core refused the rows: ${JSON.stringify(answer.errors)}`);
  return answer.body;
}

async function storedRows(model: string) {
  const sql = "select * from public.llm_checks where model = $1 order by region";
  return asService(sql, [model]);
}

function assertStored(stored: Record<string, unknown>, sent: CheckRow): void {
  for (const [column, value] of Object.entries(sent)) {
    const actual = stored[column];
    if (actual instanceof Date) {
      assert.equal(actual.toISOString(), new Date(value as string).toISOString(), column);
    } else {
      assert.equal(actual, value, column);
    }
  }
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const skip = DATABASE_URL ? false : NO_DATABASE;

describe("PostgrestStore against the stand-in on PostgreSQL", { skip }, () => {
  before(async () => {
    core = await loadTestCore();
    standin = await startStandin({
      databaseUrl: DATABASE_URL ?? "",
      serviceKey: SERVICE_KEY,
      anonKey: ANON_KEY,
      log: () => {},
    });
    url = `http://127.0.0.1:${standin.port}`;
    db = new pg.Pool({ connectionString: DATABASE_URL ?? "", max: 2 });
  });

  after(async () => {
    await standin.close();
    await asService("delete from public.llm_checks where model = any ($1)", [models]);
    await db.end();
  });

  test("a batch from the core's insert body is stored field by field", async () => {
    const model = uniqueModel();
    const body = insertBody(sampleRows(model));
    const result = await insert(new PostgrestStore({ url, serviceKey: SERVICE_KEY }), body);
    assert.deepEqual(result, { ok: true, stored: null });

    const stored = await storedRows(model);
    assert.equal(stored.length, 2);
    body.forEach((row, i) => assertStored(stored[i] ?? {}, row));
  });

  test("the same batch written again succeeds and stores nothing twice", async () => {
    const model = uniqueModel();
    const store = new PostgrestStore({ url: `${url}/`, serviceKey: SERVICE_KEY });
    const body = insertBody(sampleRows(model));
    assert.equal((await insert(store, body)).ok, true);
    assert.equal((await insert(store, body)).ok, true);
    assert.equal((await storedRows(model)).length, 2);
  });

  test("rows with a column the table lacks are refused for good with PGRST204", async () => {
    const model = uniqueModel();
    const drifted = insertBody(sampleRows(model)).map((row) => ({ ...row, region_hint: "x" }));
    const store = new PostgrestStore({ url, serviceKey: SERVICE_KEY });
    const result = await insert(store, drifted);
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.retryable, false);
    assert.equal(result.code, "PGRST204");
    assert.equal(result.status, 400);
    assert.equal((await storedRows(model)).length, 0);
  });

  test("a wrong key is refused with 401 and nothing is stored", async () => {
    const model = uniqueModel();
    const store = new PostgrestStore({ url, serviceKey: `wrong-${randomUUID()}` });
    const result = await insert(store, insertBody(sampleRows(model)));
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.status, 401);
    assert.equal((await storedRows(model)).length, 0);
  });

  test("the anon key, which has no grant on the table, cannot write", async () => {
    const model = uniqueModel();
    const store = new PostgrestStore({ url, serviceKey: ANON_KEY });
    const result = await insert(store, insertBody(sampleRows(model)));
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.retryable, false);
    assert.equal((await storedRows(model)).length, 0);
  });

  test("an unreachable PostgREST is a retryable failure, not a throw", async () => {
    const port = await closedPort();
    const store = new PostgrestStore({ url: `http://127.0.0.1:${port}`, serviceKey: SERVICE_KEY });
    const result = await insert(store, insertBody(sampleRows(uniqueModel())));
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.retryable, true);
    assert.match(!result.ok ? result.reason : "", /unreachable/);
  });

  test("no failure reason quotes a key", () => {
    assert.ok(reasons.length >= 4, `collected ${reasons.length} reasons`);
    for (const reason of reasons) {
      assert.ok(!reason.includes(SERVICE_KEY), reason);
      assert.ok(!reason.includes(ANON_KEY), reason);
      assert.ok(!/wrong-[0-9a-f-]{36}/.test(reason), reason);
    }
  });
});
