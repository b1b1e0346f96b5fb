// The Worker's side of trend maintenance, for databases without pg_cron: at minute 7 of every
// hour its Supabase store calls rpc/maintain_trends through PostgREST (the stand-in over the
// seeded database) and logs what the database did; at other minutes, or with another store,
// it calls nothing; a failure is logged, never thrown.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { createLogger } from "../../worker-shim/src/log.ts";
import {
  maintainTrendsHourly,
  PostgrestStore,
  TRENDS_MINUTE,
} from "../../worker-shim/src/store/postgrest.ts";
import type { Store } from "../../worker-shim/src/store/store.ts";
import { startStandin } from "../postgrest/standin.mjs";
import { seededNow, trendsPool, TRENDS_URL, NO_DATABASE } from "./support.ts";

const SERVICE_KEY = `service-${randomUUID()}`;
const ANON_KEY = `anon-${randomUUID()}`;

let standin: Awaited<ReturnType<typeof startStandin>>;
let url: string;
let minute7: number;
let requests: string[];

function recordingFetch(): typeof fetch {
  return (input, init) => {
    requests.push(`${init?.method ?? "GET"} ${String(input)}`);
    return fetch(input, init);
  };
}

function logged() {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger([SERVICE_KEY], (line) => lines.push(JSON.parse(line)));
  return { lines, log };
}

before(async () => {
  assert.ok(TRENDS_URL, NO_DATABASE);
  const pool = trendsPool();
  const now = await seededNow(pool);
  await pool.end();
  // The last minute 7 of an hour within the seeded days: maintenance as of then deletes nothing.
  const offset = TRENDS_MINUTE * 60_000;
  minute7 = Math.floor((now.getTime() - offset) / 3_600_000) * 3_600_000 + offset;
  standin = await startStandin({
    databaseUrl: TRENDS_URL,
    serviceKey: SERVICE_KEY,
    anonKey: ANON_KEY,
    log: () => {},
  });
  url = `http://127.0.0.1:${standin.port}`;
});
after(async () => {
  await standin?.close();
});

describe("trend maintenance from the Worker", () => {
  test("at minute 7 the Supabase store runs it once and logs what the database did", async () => {
    requests = [];
    const store = new PostgrestStore({ url, serviceKey: SERVICE_KEY, fetch: recordingFetch() });
    const { lines, log } = logged();
    await maintainTrendsHourly(store, minute7, log);
    assert.deepEqual(requests, [`POST ${url}/rest/v1/rpc/maintain_trends`]);
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.equal(line!.event, "trends_maintained");
    assert.equal(line!.ran, true);
    assert.equal(line!.raw_deleted, 0);
    assert.ok((line!.rollup_rows as number) > 0, JSON.stringify(line));
  });

  test("at any other minute it calls nothing", async () => {
    requests = [];
    const store = new PostgrestStore({ url, serviceKey: SERVICE_KEY, fetch: recordingFetch() });
    const { lines, log } = logged();
    for (const offset of [1, 2, 30, 53])
      await maintainTrendsHourly(store, minute7 + offset * 60_000, log);
    assert.deepEqual(requests, []);
    assert.deepEqual(lines, []);
  });

  test("with another store, such as D1, it does nothing", async () => {
    const { lines, log } = logged();
    await maintainTrendsHourly({ kind: "d1" } as Store, minute7, log);
    assert.deepEqual(lines, []);
  });

  test("a key without the service role is refused by the database; that is logged", async () => {
    const store = new PostgrestStore({ url, serviceKey: ANON_KEY });
    const { lines, log } = logged();
    await maintainTrendsHourly(store, minute7, log);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.event, "trends_maintenance_failed");
    assert.match(
      String(lines[0]!.reason),
      /^postgrest 401 42501: permission denied for function maintain_trends/,
    );
  });

  test("an unreachable database is logged as retryable, and nothing throws", async () => {
    const store = new PostgrestStore({
      url: "http://127.0.0.1:9",
      serviceKey: SERVICE_KEY,
      timeoutMs: 500,
    });
    const { lines, log } = logged();
    await maintainTrendsHourly(store, minute7, log);
    assert.equal(lines[0]!.event, "trends_maintenance_failed");
    assert.equal(lines[0]!.retryable, true);
    assert.match(String(lines[0]!.reason), /^postgrest unreachable/);
    assert.doesNotMatch(JSON.stringify(lines), new RegExp(SERVICE_KEY));
  });

  test("a time that is not one is refused before any request", async () => {
    requests = [];
    const store = new PostgrestStore({ url, serviceKey: SERVICE_KEY, fetch: recordingFetch() });
    const result = await store.maintainTrends("not a time");
    assert.equal(result.ok, false);
    assert.deepEqual(requests, []);
  });
});
