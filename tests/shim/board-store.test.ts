// The board's reads in both stores against real databases: PostgrestStore through the
// PostgREST stand-in on PostgreSQL 15, and D1Store on workerd's local D1 through Miniflare.
// Both must answer the same rows, newest first, filtered and limited the same way.
//   HEYHI_PG_URL="$(scripts/pg-up)" node --test tests/shim/board-store.test.ts
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";

import type { CheckRow } from "../../worker-shim/src/core.ts";
import { D1Store } from "../../worker-shim/src/store/d1.ts";
import { PostgrestStore } from "../../worker-shim/src/store/postgrest.ts";
import type { Store } from "../../worker-shim/src/store/store.ts";
import { startStandin } from "../postgrest/standin.mjs";
import { localD1, sampleAlert, type LocalD1 } from "./support.ts";

const DATABASE_URL = process.env.HEYHI_PG_URL;
const SERVICE_KEY = `service-${randomUUID()}`;
const DUE_AT = "2030-01-01T00:00:00.000Z";

function ok<T extends { ok: boolean }>(result: T): T & { ok: true } {
  assert.ok(result.ok, JSON.stringify(result));
  return result as T & { ok: true };
}

// Each run uses minutes of its own, so runs on the shared PostgreSQL do not see each other.
function baseMinute(): number {
  return Date.UTC(2040, 0, 1) + Math.floor(Math.random() * 1e6) * 3_600_000;
}

function row(provider: string, model: string, minuteMs: number, failed: boolean): CheckRow {
  const at = new Date(minuteMs).toISOString().replace(".000Z", "Z");
  return {
    scheduled_at: at,
    ts: new Date(minuteMs + 123).toISOString(),
    region: "enam",
    colo: "EWR",
    provider,
    model,
    ok: !failed,
    http_status: failed ? 529 : 200,
    error_type: failed ? "overloaded" : null,
    attribution: failed ? "provider" : null,
    latency_ms: 250,
    ttfb_ms: 200,
    tokens_in: failed ? null : 8,
    tokens_out: failed ? null : 1,
    request_id: failed ? "req_1" : null,
    detail: failed ? "overloaded_error: Overloaded" : null,
  };
}

function sharedBehaviour(store: () => Store) {
  test("recent checks come newest first, filtered by provider and model, limited", async () => {
    const base = baseMinute();
    const provider = `p${randomUUID().slice(0, 8)}`;
    const rows = [
      row(provider, "m1", base, false),
      row(provider, "m1", base + 60_000, true),
      row(provider, "m2", base + 120_000, false),
      row(provider, "m1", base - 60_000, true),
    ];
    ok(await store().insertChecks(rows));
    const sinceIso = new Date(base).toISOString();
    const all = ok(await store().recentChecks({ sinceIso, provider, limit: 10 })).rows;
    assert.deepEqual(
      all.map((r) => [r.model, r.ok]),
      [
        ["m2", true],
        ["m1", false],
        ["m1", true],
      ],
    );
    assert.equal(all[1]?.detail, "overloaded_error: Overloaded");
    assert.equal(all[1]?.scheduled_at, rows[1]?.scheduled_at);
    const m1 = ok(await store().recentChecks({ sinceIso, provider, model: "m1", limit: 1 }));
    assert.deepEqual(
      m1.rows.map((r) => r.scheduled_at),
      [rows[1]?.scheduled_at],
    );
    const bad = await store().recentChecks({ sinceIso: "yesterday", provider, limit: 1 });
    assert.equal(bad.ok, false);
  });

  test("board alerts are those opened since the time or still open", async () => {
    const base = baseMinute();
    const at = (m: number) => new Date(base + m * 60_000).toISOString();
    const old = `board-old/${randomUUID()}`;
    const recent = `board-recent/${randomUUID()}`;
    const resolved = `board-resolved/${randomUUID()}`;
    ok(await store().openAlert(sampleAlert(old, at(-600))));
    ok(await store().openAlert(sampleAlert(recent, at(5))));
    ok(await store().openAlert(sampleAlert(resolved, at(-700))));
    ok(await store().resolveAlert("provider_errors", resolved, at(-690)));
    const read = ok(await store().boardAlerts(at(0), 1000)).alerts;
    const mine = read.filter((a) => [old, recent, resolved].includes(a.scope));
    assert.deepEqual(
      mine.map((a) => a.scope),
      [recent, old],
    );
    assert.equal(mine[0]?.verdict, "provider");
    assert.equal(mine[0]?.opened_at, at(5));
    assert.equal(mine[0]?.resolved_at, null);
    assert.equal(mine[0]?.title, "Anthropic claude-haiku-5-5: 100% of probes failing");
  });

  test("official status and its events are read back", async () => {
    const base = baseMinute();
    const source = `board-${randomUUID().slice(0, 8)}`;
    const since = new Date(base).toISOString();
    const current = {
      provider: "anthropic",
      source,
      component: "api",
      status: "partial_outage",
      title: "Claude API",
      since,
      updated_at: since,
    };
    ok(await store().saveStatusCurrent([current]));
    const mine = ok(await store().statusCurrent()).current.filter((c) => c.source === source);
    assert.deepEqual(mine, [current]);
    const event = (minutes: number, status: string) => ({
      ts: new Date(base + minutes * 60_000).toISOString(),
      provider: "anthropic",
      source: "statuspage",
      source_id: `${source}-inc`,
      component: "api",
      status,
      impact: "major",
      title: "Elevated errors",
      url: "https://status.example.com/incidents/1",
    });
    ok(await store().insertStatusEvents([event(-5, "degraded"), event(1, "partial_outage")]));
    ok(await store().insertStatusEvents([event(2, "operational")]));
    const events = ok(await store().statusEventsSince(since, 1000)).events.filter(
      (e) => e.source_id === `${source}-inc`,
    );
    assert.deepEqual(events, [event(2, "operational"), event(1, "partial_outage")]);
  });

  test("finished deliveries come without their payload, newest first", async () => {
    const scope = `board-delivery/${randomUUID()}`;
    const openedAt = new Date(baseMinute()).toISOString();
    const opened = ok(await store().openAlert(sampleAlert(scope, openedAt)));
    const id = opened.id ?? -1;
    const channel = `slack:${randomUUID().slice(0, 8)}`;
    ok(
      await store().enqueueDeliveries([
        {
          alert_id: id,
          event: "open",
          event_at: openedAt,
          channel,
          payload: '{"text":"x"}',
          // Due at a fixed time, whatever minutes this run chose; marked dead below, it does
          // not stay pending for the next run to read.
          next_attempt_at: DUE_AT,
        },
      ]),
    );
    const due = ok(await store().dueDeliveries(DUE_AT, 10000)).deliveries;
    const mine = due.find((d) => d.channel === channel);
    assert.ok(mine);
    // Given up on a minute after its event: the board dates the refusal, not the event.
    const refusedAt = new Date(baseMinute() + 60_000).toISOString();
    ok(
      await store().markDelivery(mine.id, {
        status: "dead",
        attempts: 1,
        next_attempt_at: refusedAt,
        last_error: "channel dead: no_service",
        sent_at: null,
      }),
    );
    const finished = ok(await store().finishedDeliveries(1000)).deliveries;
    const read = finished.find((d) => d.channel === channel);
    assert.deepEqual(read, {
      id: mine.id,
      channel,
      status: "dead",
      finished_at: refusedAt,
      last_error: "channel dead: no_service",
    });
    assert.ok(!("payload" in (read ?? {})));
  });
}

describe("PostgrestStore board reads through the stand-in", { skip: !DATABASE_URL }, () => {
  let standin: Awaited<ReturnType<typeof startStandin>> | undefined;
  let store: Store;
  before(async () => {
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
  });
  sharedBehaviour(() => store);
});

describe("D1Store board reads on workerd's local D1 (Miniflare)", () => {
  let d1: LocalD1 | undefined;
  let store: Store;
  before(async () => {
    d1 = await localD1("heyhi-board-d1-");
    store = new D1Store(d1.database);
  });
  after(async () => {
    await d1?.dispose();
  });
  sharedBehaviour(() => store);
});
