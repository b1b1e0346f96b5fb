// Official status state in both stores against real databases: PostgrestStore through the
// PostgREST stand-in on PostgreSQL 15, and D1Store on workerd's local D1 through Miniflare.
// Rows come from the core as the status step would store them, and go back to the core.
//   HEYHI_PG_URL="$(scripts/pg-up)" node --test tests/shim/status-store.test.ts
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import pg from "pg";

import type { Core, ParsedStatus } from "../../worker-shim/src/core.ts";
import { D1Store } from "../../worker-shim/src/store/d1.ts";
import { PostgrestStore } from "../../worker-shim/src/store/postgrest.ts";
import type { Store } from "../../worker-shim/src/store/store.ts";
import { startStandin } from "../postgrest/standin.mjs";
import { loadTestCore, localD1, sampleAlert, type LocalD1 } from "./support.ts";

const DATABASE_URL = process.env.HEYHI_PG_URL;
const SERVICE_KEY = `service-${randomUUID()}`;
const NOW = Date.UTC(2026, 11, 3, 12, 0);
const CRITICAL = readFileSync(
  path.join(import.meta.dirname, "../fixtures/status/statuspage_incident_critical.json"),
  "utf8",
);

let core: Core;
before(async () => {
  core = await loadTestCore();
});

test("HEYHI_PG_URL points the tests at the PostgreSQL that scripts/pg-up prepares", () => {
  assert.ok(DATABASE_URL, 'HEYHI_PG_URL is not set: run HEYHI_PG_URL="$(scripts/pg-up)"');
});

function configFor(id: string): string {
  return JSON.stringify({
    targets: [{ provider: "anthropic", model: "claude-haiku-5-5" }],
    status: {
      cadence_min: 1,
      sources: [
        {
          id,
          provider: "anthropic",
          format: "statuspage",
          url: "https://status.example.com/api/v2/summary.json",
          components: ["k8w3r06qmzrp"],
        },
      ],
    },
  });
}

function read(configJson: string, id: string, body: string, nowMs: number): ParsedStatus {
  const answer = core.parseStatus(configJson, {
    source_id: id,
    now_ms: nowMs,
    outcome: { status: 200, headers: { "content-type": "application/json", etag: '"v7"' }, body },
    previous: null,
  });
  assert.ok(answer.ok, JSON.stringify(answer));
  return answer;
}

function ok<T extends { ok: boolean }>(result: T): T & { ok: true } {
  assert.ok(result.ok, JSON.stringify(result));
  return result as T & { ok: true };
}

// The column each test's rows are marked in, by table.
const MARKED: Record<string, string> = {
  provider_status_events: "source_id",
  provider_status_current: "source",
  provider_status_lag: "source_id",
};

function sharedBehaviour(
  store: () => Store,
  count: (table: string, source: string) => Promise<number>,
) {
  test("events stored twice are kept once", async () => {
    const id = `st-${randomUUID().slice(0, 8)}`;
    const parsed = read(configFor(id), id, CRITICAL, NOW);
    const events = parsed.events.map((e) => ({ ...e, source_id: `${id}-${e.source_id}` }));
    ok(await store().insertStatusEvents(events));
    ok(await store().insertStatusEvents(events));
    assert.equal(await count("provider_status_events", `${id}-%`), events.length);
  });

  test("a source's state goes back to the core as it was written", async () => {
    const id = `st-${randomUUID().slice(0, 8)}`;
    const config = configFor(id);
    const parsed = read(config, id, CRITICAL, NOW);
    ok(await store().saveStatusSources([parsed.source]));
    const failed = core.parseStatus(config, {
      source_id: id,
      now_ms: NOW + 60_000,
      outcome: { status: 403, body: "no" },
      previous: parsed.source,
    });
    assert.ok(failed.ok && failed.state === "failed");
    ok(await store().saveStatusSources([failed.source]));
    const rows = ok(await store().statusSources()).sources.filter((s) => s.source === id);
    assert.equal(rows.length, 1, "replaced, not added");
    const [row] = rows;
    assert.equal(row?.parse_state, "failed");
    assert.equal(row?.failures, 1);
    assert.equal(row?.status, "major_outage");
    const plan = core.statusPlan(config, NOW + 5 * 60_000, rows);
    assert.ok(plan.ok);
    assert.equal(plan.due[0]?.request.headers["if-none-match"], '"v7"', "the reading survived");
  });

  test("current statuses are replaced per source and component", async () => {
    const id = `st-${randomUUID().slice(0, 8)}`;
    const parsed = read(configFor(id), id, CRITICAL, NOW);
    ok(await store().saveStatusCurrent(parsed.current));
    const calmer = parsed.current.map((c) => ({ ...c, status: "degraded" }));
    ok(await store().saveStatusCurrent(calmer));
    assert.equal(await count("provider_status_current", id), parsed.current.length);
  });

  test("a lag is recorded once per episode, and alerts are read back since a time", async () => {
    const provider = "anthropic";
    const firstAlertAt = new Date(NOW - Math.floor(Math.random() * 1e9) * 60_000).toISOString();
    const lag = {
      provider,
      first_alert_at: firstAlertAt,
      alert_rule: "provider_errors",
      alert_scope: "anthropic/claude-haiku-5-5",
      acknowledged_at: firstAlertAt,
      lag_min: 0,
      source: "st-lag",
      source_id: `inc-${randomUUID()}`,
      incident_title: "Elevated errors",
      incident_url: null,
    };
    ok(await store().insertStatusLags([lag]));
    ok(await store().insertStatusLags([{ ...lag, lag_min: 5 }]));
    assert.equal(await count("provider_status_lag", lag.source_id), 1);

    const scope = `status-store-test/${randomUUID()}`;
    const opened = ok(await store().openAlert(sampleAlert(scope, "2031-05-05T10:00:00Z")));
    assert.ok(opened.opened);
    const since = ok(await store().alertsOpenedSince("2031-05-05T09:59:00Z"));
    const mine = since.alerts.filter((a) => a.scope === scope);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]?.verdict, "provider");
  });
}

describe("PostgrestStore through the stand-in on PostgreSQL", { skip: !DATABASE_URL }, () => {
  let standin: Awaited<ReturnType<typeof startStandin>> | undefined;
  let db: InstanceType<typeof pg.Pool>;
  let store: Store;
  before(async () => {
    db = new pg.Pool({ connectionString: DATABASE_URL ?? "", max: 2 });
    standin = await startStandin({
      databaseUrl: DATABASE_URL ?? "",
      serviceKey: SERVICE_KEY,
      anonKey: `anon-${randomUUID()}`,
    });
    store = new PostgrestStore({
      url: `http://127.0.0.1:${standin.port}`,
      serviceKey: SERVICE_KEY,
    });
  });
  after(async () => {
    await standin?.close();
    await db.end();
  });
  sharedBehaviour(
    () => store,
    async (table, like) => {
      const sql = `select count(*)::int as n from public.${table} where ${MARKED[table]} like $1`;
      // The tables are the service role's alone, as on Supabase.
      const client = await db.connect();
      try {
        await client.query("begin");
        await client.query("select set_config('role', 'service_role', true)");
        const { rows } = await client.query(sql, [like]);
        await client.query("commit");
        return Number(rows[0]?.n);
      } finally {
        client.release();
      }
    },
  );
});

describe("D1Store on workerd's local D1 (Miniflare)", () => {
  let d1: LocalD1 | undefined;
  let store: Store;
  let database: D1Database;
  before(async () => {
    d1 = await localD1("heyhi-status-d1-");
    database = d1.database;
    store = new D1Store(database);
  });
  after(async () => {
    await d1?.dispose();
  });
  sharedBehaviour(
    () => store,
    async (table, like) => {
      const sql = `select count(*) as n from ${table} where ${MARKED[table]} like ?1`;
      const row = await database.prepare(sql).bind(like).first<{ n: number }>();
      return Number(row?.n);
    },
  );
});
