// The alert state of both stores against real databases: PostgrestStore through the PostgREST
// stand-in on PostgreSQL 15, and D1Store on workerd's local D1 through Miniflare, which is what
// `wrangler dev` runs, after `wrangler d1 migrations apply`. Then both schemas: each migration
// applies twice, and D1 has the Postgres column and index names. Needs scripts/pg-up:
//   HEYHI_PG_URL="$(scripts/pg-up)" node --test tests/shim/alerts-store.test.ts
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { randomInt, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";

import pg from "pg";

import type { Alert, CheckRow, Core } from "../../worker-shim/src/core.ts";
import {
  checkRowFrom,
  type NewDelivery,
  type TargetLatencies,
} from "../../worker-shim/src/store/alerts.ts";
import { D1Store } from "../../worker-shim/src/store/d1.ts";
import { PostgrestStore } from "../../worker-shim/src/store/postgrest.ts";
import { RULE_COLUMNS, type RuleRow, type Store } from "../../worker-shim/src/store/store.ts";
import { startStandin } from "../postgrest/standin.mjs";
import { ROOT } from "../../scripts/lib/harness.ts";
import { failedRow, loadTestCore, localD1, okRow, ruleColumnsOf, type LocalD1 } from "./support.ts";

const DATABASE_URL = process.env.HEYHI_PG_URL;
const SERVICE_KEY = `service-${randomUUID()}`;
const ANON_KEY = `anon-${randomUUID()}`;
// Every alert scope and check model this file writes starts so, and is deleted at the end.
const PREFIX = "alerts-store-test";
const MIGRATIONS = {
  pg: [
    "20261203000000_create_llm_checks.sql",
    "20261203010000_create_alerts.sql",
    "20261203070000_create_baseline_latencies.sql",
    "20261203080000_create_alert_deliveries_due.sql",
  ],
  d1: ["0001_create_llm_checks.sql", "0002_create_alerts.sql"],
};

const NO_DATABASE =
  'HEYHI_PG_URL is not set: these tests need PostgreSQL; run HEYHI_PG_URL="$(scripts/pg-up)"';

// Without the database the store tests cannot run; this fails the file, saying why.
test("HEYHI_PG_URL points the tests at the PostgreSQL that scripts/pg-up prepares", () => {
  assert.ok(DATABASE_URL, NO_DATABASE);
});

const skip = DATABASE_URL ? false : NO_DATABASE;
let db: InstanceType<typeof pg.Pool>;
let core: Core;

before(async () => {
  if (DATABASE_URL) db = new pg.Pool({ connectionString: DATABASE_URL, max: 3 });
  core = await loadTestCore();
});

after(async () => {
  if (!DATABASE_URL) return;
  await asService("delete from public.alerts where scope like $1", [`${PREFIX}/%`]);
  await asService("delete from public.llm_checks where model like $1", [`${PREFIX}-%`]);
  await db.end();
});

// ---------------------------------------------------------------------------------------------
// Helpers

/** A query as the login role, which may read the catalogues. */
async function query(sql: string, values: unknown[] = []) {
  const client = await db.connect();
  try {
    return (await client.query(sql, values)).rows;
  } finally {
    client.release();
  }
}

/** A query as the service role, in a transaction of its own. */
async function asService(sql: string, values: unknown[] = []) {
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

const newScope = () => `${PREFIX}/${randomUUID()}`;
const minute = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
const MINUTE_MS = 60_000;

function sampleAlert(scope: string, overrides: Partial<Alert> = {}): Alert {
  return {
    rule: "provider_errors",
    scope,
    provider: "openai",
    model: "gpt-4o-mini",
    region: null,
    verdict: "provider",
    title: "openai/gpt-4o-mini: 4 of 10 probes failed",
    detail: "overloaded from 2 of 3 regions",
    fix: null,
    official_status: "operational",
    opened_at: "2026-12-03T12:05:00Z",
    last_notified_at: "2026-12-03T12:05:00Z",
    resolved_at: null,
    measured: {
      window_min: 5,
      probes: 10,
      failures: 4,
      failure_rate: 0.4,
      p50_ms: 310,
      p95_ms: 1480,
      baseline_p95_ms: null,
      regions_failing: 2,
      regions_total: 3,
      error_types: { overloaded: 4 },
    },
    ...overrides,
  };
}

const checkRow = okRow;

function delivery(alertId: number, channel: string, at: string, next = at): NewDelivery {
  return {
    alert_id: alertId,
    event: "open",
    event_at: at,
    channel,
    payload: JSON.stringify({ text: `alert ${alertId} on ${channel}` }),
    next_attempt_at: next,
  };
}

/** The value of a result that must have succeeded. */
function ok<T extends { ok: boolean }>(result: T): Extract<T, { ok: true }> {
  assert.equal(result.ok, true, JSON.stringify(result));
  return result as Extract<T, { ok: true }>;
}

async function openedId(store: Store, alert: Alert): Promise<number> {
  const result = ok(await store.openAlert(alert));
  assert.equal(result.opened, true);
  assert.equal(typeof result.id, "number");
  return result.id ?? -1;
}

// ---------------------------------------------------------------------------------------------
// The same behaviour from both stores

interface Backend {
  name: string;
  skip: string | false;
  start(): Promise<Store>;
  stop(): Promise<void>;
}

/** Behaviour every store shares; `store()` is the started backend's. */
function sharedBehaviour(store: () => Store): void {
  test("of two concurrent opens for one rule and scope, exactly one opens the alert", async () => {
    const alert = sampleAlert(newScope());
    const results = await Promise.all([store().openAlert(alert), store().openAlert(alert)]);
    const opened = results.map((r) => ok(r).opened);
    assert.deepEqual(opened.sort(), [false, true]);
    const open = ok(await store().openAlerts()).alerts.filter((a) => a.scope === alert.scope);
    assert.equal(open.length, 1);
  });

  test("after the alert resolves, its rule and scope open again as a new episode", async () => {
    const alert = sampleAlert(newScope());
    const first = await openedId(store(), alert);
    assert.deepEqual(await store().openAlert(alert), { ok: true, opened: false });
    ok(await store().resolveAlert(alert.rule, alert.scope, "2026-12-03T12:30:00Z"));
    const later = "2026-12-03T13:00:00Z";
    const second = await openedId(store(), { ...alert, opened_at: later, last_notified_at: later });
    assert.notEqual(second, first);
  });

  test("the same scope under another rule is another alert", async () => {
    const alert = sampleAlert(newScope());
    await openedId(store(), alert);
    await openedId(store(), { ...alert, rule: "latency" });
  });

  test("resolving twice resolves once, answering the alert's id the first time", async () => {
    const alert = sampleAlert(newScope());
    const id = await openedId(store(), alert);
    const at = "2026-12-03T12:30:00Z";
    const first = await store().resolveAlert(alert.rule, alert.scope, at);
    const second = await store().resolveAlert(alert.rule, alert.scope, at);
    assert.deepEqual(first, { ok: true, resolved: true, id });
    assert.deepEqual(second, { ok: true, resolved: false });
    const open = ok(await store().openAlerts()).alerts.filter((a) => a.scope === alert.scope);
    assert.deepEqual(open, []);
  });

  test("a reminder moves last_notified_at once; a stale one updates nothing", async () => {
    const alert = sampleAlert(newScope());
    await openedId(store(), alert);
    const { rule, scope } = alert;
    const remind = (previous: string | null, at: string) =>
      store().remindAlert(rule, scope, previous, at);
    assert.deepEqual(await remind("2026-12-03T12:05:00Z", "2026-12-03T13:05:00Z"), {
      ok: true,
      updated: true,
    });
    assert.deepEqual(await remind("2026-12-03T12:05:00Z", "2026-12-03T13:06:00Z"), {
      ok: true,
      updated: false,
    });
    assert.deepEqual(await remind(null, "2026-12-03T13:07:00Z"), { ok: true, updated: false });
    const [open] = ok(await store().openAlerts()).alerts.filter((a) => a.scope === scope);
    assert.equal(open?.last_notified_at, "2026-12-03T13:05:00.000Z");
  });

  test("the alert a transition wrote is found by its time, and no other", async () => {
    const alert = sampleAlert(newScope());
    const id = await openedId(store(), alert);
    const { rule, scope } = alert;
    const found = (kind: "open" | "remind" | "resolve", at: string) =>
      store().writtenAlert(kind, rule, scope, at);
    assert.deepEqual(await found("open", "2026-12-03T12:05:00Z"), { ok: true, id });
    assert.deepEqual(await found("open", "2026-12-03T12:06:00Z"), { ok: true, id: null });
    ok(await store().remindAlert(rule, scope, "2026-12-03T12:05:00Z", "2026-12-03T13:05:00Z"));
    assert.deepEqual(await found("remind", "2026-12-03T13:05:00.000Z"), { ok: true, id });
    assert.deepEqual(await found("resolve", "2026-12-03T13:30:00Z"), { ok: true, id: null });
    ok(await store().resolveAlert(rule, scope, "2026-12-03T13:30:00Z"));
    assert.deepEqual(await found("resolve", "2026-12-03T13:30:00Z"), { ok: true, id });
    const other = await store().writtenAlert("open", rule, `${scope}-other`, alert.opened_at);
    assert.deepEqual(other, { ok: true, id: null });
  });

  test("an alert never notified is reminded from null, and a resolved one is not", async () => {
    const alert = sampleAlert(newScope(), { last_notified_at: null });
    await openedId(store(), alert);
    const { rule, scope } = alert;
    const at = "2026-12-03T12:06:00Z";
    assert.deepEqual(await store().remindAlert(rule, scope, null, at), { ok: true, updated: true });
    ok(await store().resolveAlert(rule, scope, "2026-12-03T12:30:00Z"));
    const late = await store().remindAlert(
      rule,
      scope,
      "2026-12-03T12:06:00Z",
      "2026-12-03T13:06Z",
    );
    assert.deepEqual(late, { ok: true, updated: false });
  });

  test("open alerts come back with canonical UTC times and their verdict", async () => {
    const alert = sampleAlert(newScope(), { rule: "regional", region: "weur", verdict: "network" });
    const regionalId = await openedId(store(), { ...alert, scope: `${alert.scope}@weur` });
    const plainId = await openedId(store(), { ...alert, last_notified_at: null });
    const open = ok(await store().openAlerts()).alerts.filter((a) =>
      a.scope.startsWith(alert.scope),
    );
    assert.deepEqual(
      open.sort((a, b) => a.scope.localeCompare(b.scope)),
      [
        {
          id: plainId,
          rule: "regional",
          scope: alert.scope,
          opened_at: "2026-12-03T12:05:00.000Z",
          last_notified_at: null,
          verdict: "network",
        },
        {
          id: regionalId,
          rule: "regional",
          scope: `${alert.scope}@weur`,
          opened_at: "2026-12-03T12:05:00.000Z",
          last_notified_at: "2026-12-03T12:05:00.000Z",
          verdict: "network",
        },
      ],
    );
  });

  test("checksBetween answers the rules' columns of exactly the rows in two ranges", async () => {
    const model = `${PREFIX}-${randomUUID()}`;
    // A stretch of minutes no other test writes: a random hour years ahead.
    const base = Date.UTC(2031, 0, 1) + randomInt(0, 400_000) * MINUTE_MS;
    const at = (m: number) => base + m * MINUTE_MS;
    const rows = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((m) => checkRow(model, at(m)));
    rows.push(failedRow(model, at(2), { ts: new Date(at(2)).toISOString() }));
    rows.push(checkRow(model, at(7), { provider: "anthropic", region: "apac", colo: "NRT" }));
    ok(await store().insertChecks(rows));

    const result = await store().checksBetween([
      { from: new Date(at(5) + 30_500).toISOString(), to: minute(at(7)) }, // minutes 6 and 7
      { from: minute(at(1)), to: new Date(at(3) + 59_999).toISOString() }, // minutes 1 to 3
      { from: minute(at(2)), to: minute(at(2)) }, // inside the other: no row twice
    ]);

    // In the order of the table's key: scheduled_at, region, provider, model.
    const key = (r: CheckRow) => [r.scheduled_at, r.region, r.provider, r.model].join("|");
    const inside = [1, 2, 3, 6, 7].map((m) => minute(at(m)));
    const wanted = rows
      .filter((r) => inside.includes(r.scheduled_at))
      .sort((a, b) => (key(a) < key(b) ? -1 : 1))
      .map(ruleColumnsOf);
    assert.deepEqual(ok(result).rows, wanted);
    for (const row of ok(result).rows) assert.deepEqual(Object.keys(row), [...RULE_COLUMNS]);
    const [failed] = ok(result).rows.filter((r) => !r.ok);
    assert.equal(failed?.ts, new Date(at(2)).toISOString(), "a whole-second ts keeps its .000Z");
    assert.equal(typeof failed?.ok, "boolean");
  });

  test("checksBetween and baselineLatencies filter rows by outcome and vantage", async () => {
    const model = `${PREFIX}-${randomUUID()}`;
    const base = Date.UTC(2032, 0, 1) + randomInt(0, 400_000) * MINUTE_MS;
    const at = (m: number) => base + m * MINUTE_MS;
    const rows = [0, 1, 2, 3].map((m) => checkRow(model, at(m), { latency_ms: 100 + m }));
    rows.push(failedRow(model, at(1)), failedRow(model, at(3)), failedRow(model, at(9)));
    const outside = checkRow(model, at(2), { region: "gha-eastus", colo: null, latency_ms: 90 });
    ok(await store().insertChecks([...rows, outside]));
    const range = [{ from: minute(at(0)), to: minute(at(5)) }];

    assert.deepEqual(ok(await store().checksBetween(range, { outsideOnly: true })).rows, [
      ruleColumnsOf(outside),
    ]);
    const failed = ok(await store().checksBetween(range, { failedOnly: true })).rows;
    assert.deepEqual(
      failed.map((r) => [r.scheduled_at, r.ok, r.error_type]),
      [at(1), at(3)].map((ms) => [minute(ms), false, "overloaded"]),
    );
    // Successful Cloudflare probes in the ranges only, both ends included, one group per
    // provider and model; a second range adds its own.
    ok(
      await store().insertChecks([
        checkRow(model, at(5), { region: "weur", latency_ms: 105 }),
        checkRow(model, at(6), { region: "weur", latency_ms: 906 }),
        checkRow(model, at(28), { region: "weur", latency_ms: 928 }),
        checkRow(model, at(29), { region: "weur", latency_ms: 129 }),
        checkRow(model, at(31), { region: "weur", latency_ms: 131 }),
        checkRow(model, at(30), { provider: "mistral", region: "weur", latency_ms: 230 }),
      ]),
    );
    const later = { from: minute(at(29)), to: minute(at(31)) };
    const answer = ok(await store().baselineLatencies([range[0]!, later])).json;
    const groups = JSON.parse(answer) as TargetLatencies[];
    const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
    const mine = groups.filter((g) => g.model === model);
    const byProvider = Object.fromEntries(mine.map((g) => [g.provider, sorted(g.latencies)]));
    assert.equal(mine.length, 2, "one group per provider and model");
    assert.deepEqual(byProvider, {
      [rows[0]!.provider]: [100, 101, 102, 103, 105, 129, 131],
      mistral: [230],
    });
    assert.deepEqual(await store().baselineLatencies([]), { ok: true, json: "[]" });
    // The store's text goes to the core as it is: too few samples for a baseline, but read.
    const config = JSON.stringify({
      regions: ["weur"],
      targets: [{ provider: "mistral", model, cadence_min: 1 }],
    });
    const hour = core.baselines(config, at(31), answer);
    assert.ok(hour.ok, JSON.stringify(hour));
    assert.deepEqual(Object.values(hour.targets), [null]);
  });

  test("checksJson's pages hold checksBetween's rows, and the core reads them alike", async () => {
    const model = `${PREFIX}-${randomUUID()}`;
    const base = Date.UTC(2033, 0, 1) + randomInt(0, 400_000) * MINUTE_MS;
    const at = (m: number) => base + m * MINUTE_MS;
    // Three minutes of an outage from two regions, a probe before it, and an outside vantage.
    const rows = [0, 1, 2].flatMap((m) =>
      ["enam", "weur"].map((region) =>
        failedRow(model, at(m), {
          provider: "anthropic",
          region,
          ts: new Date(at(m)).toISOString(),
        }),
      ),
    );
    rows.push(checkRow(model, at(-1), { provider: "anthropic", latency_ms: 95 }));
    rows.push(checkRow(model, at(1), { provider: "anthropic", region: "gha-eastus", colo: null }));
    ok(await store().insertChecks(rows));
    const range = [{ from: minute(at(-1)), to: minute(at(2)) }];

    const parsed = ok(await store().checksBetween(range)).rows;
    const pages = ok(await store().checksJson(range)).pages;
    const fromPages = pages.flatMap((page) => JSON.parse(page) as Record<string, unknown>[]);
    assert.deepEqual(
      fromPages.map((r) => checkRowFrom<RuleRow>(r)),
      parsed,
    );
    assert.equal(parsed.length, rows.length);
    const outside = ok(await store().checksJson(range, { outsideOnly: true })).pages;
    assert.deepEqual(
      outside.flatMap((page) => JSON.parse(page) as RuleRow[]).map((r) => r.region),
      ["gha-eastus"],
    );

    const config = JSON.stringify({
      regions: ["enam", "weur"],
      targets: [{ provider: "anthropic", model, cadence_min: 1 }],
    });
    const input = { now_ms: at(2), open_alerts: [], official: {}, baselines: {} };
    const fromRows = core.evaluate(config, { ...input, rows: parsed });
    const fromText = core.evaluate(config, { ...input, rows: [] }, pages);
    assert.ok(fromText.ok, JSON.stringify(fromText));
    assert.deepEqual(fromText, fromRows);
    assert.deepEqual(
      fromText.actions.map((a) => [a.kind, a.alert.rule, a.alert.measured.failures]),
      [["open", "provider_errors", 6]],
    );
  });

  test("checksBetween with no range, or ranges holding no minute, reads nothing", async () => {
    assert.deepEqual(await store().checksBetween([]), { ok: true, rows: [] });
    const empty = [{ from: "2031-01-01T00:00:10Z", to: "2031-01-01T00:00:50Z" }];
    assert.deepEqual(await store().checksBetween(empty), { ok: true, rows: [] });
  });

  test("enqueueing the same deliveries twice keeps one row per event and channel", async () => {
    const alert = sampleAlert(newScope());
    const id = await openedId(store(), alert);
    const batch = [
      delivery(id, "slack:ops", alert.opened_at),
      delivery(id, "webhook:pager", alert.opened_at),
    ];
    assert.deepEqual(await store().enqueueDeliveries(batch), { ok: true, enqueued: 2 });
    const again = [...batch, delivery(id, "email:oncall", alert.opened_at)];
    assert.deepEqual(await store().enqueueDeliveries(again), { ok: true, enqueued: 1 });
    const reminder = { ...batch[0]!, event: "remind" as const, event_at: "2026-12-03T13:05Z" };
    assert.deepEqual(await store().enqueueDeliveries([reminder]), { ok: true, enqueued: 1 });
    assert.deepEqual(await store().enqueueDeliveries([]), { ok: true, enqueued: 0 });
  });

  // Deliveries of this test are due in 2001, before any other test's, so they come first.
  test("dueDeliveries answers due pending deliveries, soonest first, up to a limit", async () => {
    const id = await openedId(store(), sampleAlert(newScope(), { opened_at: "2001-01-01T00:00Z" }));
    const at = "2001-01-01T00:00:00Z";
    const batch = [
      delivery(id, "slack:late", at, "2001-01-01T00:20:00Z"),
      delivery(id, "slack:second", at, "2001-01-01T00:05:00Z"),
      delivery(id, "slack:first", at, "2001-01-01T00:00:00.250Z"),
    ];
    ok(await store().enqueueDeliveries(batch));

    const due = ok(await store().dueDeliveries("2001-01-01T00:10:00Z", 10)).deliveries;
    assert.deepEqual(
      due.map((d) => d.channel),
      ["slack:first", "slack:second"],
    );
    assert.deepEqual(
      { ...due[0], id: 0 },
      {
        ...batch[2],
        id: 0,
        event_at: "2001-01-01T00:00:00.000Z",
        next_attempt_at: "2001-01-01T00:00:00.250Z",
        status: "pending",
        attempts: 0,
        last_error: null,
        sent_at: null,
      },
    );
    const limited = ok(await store().dueDeliveries("2001-01-01T00:30:00Z", 1)).deliveries;
    assert.deepEqual(
      limited.map((d) => d.channel),
      ["slack:first"],
    );
  });

  test("a resolution waits while its opening to that channel is pending", async () => {
    const id = await openedId(store(), sampleAlert(newScope(), { opened_at: "2001-01-04T00:00Z" }));
    const opened = "2001-01-04T00:00:00Z";
    const resolved = "2001-01-04T00:20:00Z";
    // The opening to slack:ops is in backoff until 00:40; its resolution is due at 00:20.
    const resolution = (channel: string) => ({
      ...delivery(id, channel, resolved),
      event: "resolve" as const,
    });
    ok(
      await store().enqueueDeliveries([
        delivery(id, "slack:ops", opened, "2001-01-04T00:40:00Z"),
        delivery(id, "webhook:pager", opened),
      ]),
    );
    ok(await store().enqueueDeliveries([resolution("slack:ops"), resolution("webhook:pager")]));
    const due = async (now: string) =>
      ok(await store().dueDeliveries(now, 50))
        .deliveries.filter((d) => d.alert_id === id)
        .map((d) => `${d.event} ${d.channel}`);
    // The webhook's opening goes first, its resolution only after it; slack's wait for 00:40.
    assert.deepEqual(await due("2001-01-04T00:30:00Z"), ["open webhook:pager"]);
    const [webhookOpen] = ok(
      await store().dueDeliveries("2001-01-04T00:30:00Z", 50),
    ).deliveries.filter((d) => d.alert_id === id);
    const sent = {
      status: "sent" as const,
      attempts: 1,
      next_attempt_at: opened,
      last_error: null,
      sent_at: "2001-01-04T00:30:00Z",
    };
    ok(await store().markDelivery(webhookOpen!.id, sent));
    assert.deepEqual(await due("2001-01-04T00:30:00Z"), ["resolve webhook:pager"]);
    assert.deepEqual(await due("2001-01-04T00:45:00Z"), [
      "resolve webhook:pager",
      "open slack:ops",
    ]);
  });

  test("markDelivery records an attempt; a sent or dead delivery is not due", async () => {
    const id = await openedId(store(), sampleAlert(newScope(), { opened_at: "2001-01-02T00:00Z" }));
    const at = "2001-01-02T00:00:00Z";
    ok(await store().enqueueDeliveries([delivery(id, "slack:a", at), delivery(id, "slack:b", at)]));
    const dueNow = async () =>
      ok(await store().dueDeliveries("2001-01-02T00:01:00Z", 10)).deliveries.filter(
        (d) => d.alert_id === id,
      );
    const [a, b] = await dueNow();
    assert.ok(a && b);

    const retry = {
      status: "pending" as const,
      attempts: 1,
      next_attempt_at: "2001-01-02T00:02:00Z",
      last_error: "slack 503",
      sent_at: null,
    };
    assert.deepEqual(await store().markDelivery(a.id, retry), { ok: true, updated: true });
    const dead = { ...retry, status: "dead" as const, attempts: 5 };
    assert.deepEqual(await store().markDelivery(b.id, dead), { ok: true, updated: true });
    assert.deepEqual(await dueNow(), []);

    const later = ok(await store().dueDeliveries("2001-01-02T00:02:00Z", 10)).deliveries;
    const retried = later.find((d) => d.id === a.id);
    assert.deepEqual(
      { ...retried, next_attempt_at: retried?.next_attempt_at },
      { ...a, ...retry, next_attempt_at: "2001-01-02T00:02:00.000Z" },
    );
    const sent = { ...retry, status: "sent" as const, last_error: null, sent_at: at };
    assert.deepEqual(await store().markDelivery(a.id, sent), { ok: true, updated: true });
    assert.equal(
      ok(await store().dueDeliveries("2001-01-02T00:02:00Z", 10)).deliveries.some(
        (d) => d.alert_id === id,
      ),
      false,
    );
    assert.deepEqual(await store().markDelivery(-1, sent), { ok: true, updated: false });
  });

  test("of two claims on one due delivery only one wins, and the lease defers it", async () => {
    const id = await openedId(store(), sampleAlert(newScope(), { opened_at: "2001-01-03T00:00Z" }));
    const at = "2001-01-03T00:00:00Z";
    ok(await store().enqueueDeliveries([delivery(id, "slack:claim", at)]));
    const due = async (now: string) =>
      ok(await store().dueDeliveries(now, 50)).deliveries.filter((d) => d.alert_id === id);
    const [pending] = await due("2001-01-03T00:01:00Z");
    assert.ok(pending);
    const lease = "2001-01-03T00:06:00.000Z";
    const claims = await Promise.all([
      store().claimDelivery(pending.id, pending.attempts, lease),
      store().claimDelivery(pending.id, pending.attempts, lease),
    ]);
    assert.deepEqual(claims.map((c) => ok(c).claimed).sort(), [false, true]);
    assert.equal((await due("2001-01-03T00:02:00Z")).length, 0, "leased, not due");
    const [again] = await due("2001-01-03T00:07:00Z");
    assert.equal(again?.attempts, pending.attempts + 1);
  });

  test("a timestamp without a zone is refused for good, before any query", async () => {
    const alert = sampleAlert(newScope(), { opened_at: "2026-12-03 12:05" });
    const results = [
      await store().openAlert(alert),
      await store().remindAlert("latency", newScope(), "yesterday", "2026-12-03T12:05:00Z"),
      await store().resolveAlert("latency", newScope(), "2026-12-03T13:05:00"),
      await store().checksBetween([{ from: "2026-12-03", to: "2026-12-03T12:05:00Z" }]),
      await store().dueDeliveries("now", 10),
    ];
    for (const result of results) {
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.retryable, false);
    }
  });

  test("a value the schema refuses is a failure that is not retried", async () => {
    const alert = sampleAlert(newScope(), { verdict: "them" as Alert["verdict"] });
    const result = await store().openAlert(alert);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.retryable, false, JSON.stringify(result));
  });
}

// ---------------------------------------------------------------------------------------------
// PostgrestStore

let standin: Awaited<ReturnType<typeof startStandin>> | undefined;
let origin = "";

const postgrest: Backend = {
  name: "PostgrestStore through the stand-in on PostgreSQL",
  skip,
  async start() {
    standin = await startStandin({
      databaseUrl: DATABASE_URL ?? "",
      serviceKey: SERVICE_KEY,
      anonKey: ANON_KEY,
    });
    origin = `http://127.0.0.1:${standin.port}`;
    // Rows a failed earlier run left behind would show up in the reads below.
    await asService("delete from public.alerts where scope like $1", [`${PREFIX}/%`]);
    return new PostgrestStore({ url: origin, serviceKey: SERVICE_KEY });
  },
  async stop() {
    await standin?.close();
  },
};

// ---------------------------------------------------------------------------------------------
// D1Store on workerd's D1

let localDatabase: LocalD1 | undefined;

const d1: Backend = {
  name: "D1Store on workerd's local D1 (Miniflare)",
  skip: false,
  async start() {
    localDatabase = await localD1("heyhi-alerts-d1-");
    return new D1Store(localDatabase.database);
  },
  async stop() {
    await localDatabase?.dispose();
  },
};

for (const backend of [postgrest, d1]) {
  describe(backend.name, { skip: backend.skip }, () => {
    let store: Store | undefined;
    before(async () => {
      store = await backend.start();
    });
    after(() => backend.stop());
    sharedBehaviour(() => {
      assert.ok(store, `${backend.name} did not start`);
      return store;
    });
  });
}

// ---------------------------------------------------------------------------------------------
// What only PostgreSQL can show: waiting on another transaction, and PostgREST's limits

/** Waits until some session of this database waits on a lock: the racing request arrived. */
async function untilBlocked(): Promise<void> {
  const sql =
    "select count(*)::int as n from pg_stat_activity " +
    "where datname = current_database() and wait_event_type = 'Lock'";
  for (let i = 0; i < 100; i += 1) {
    const [row] = await query(sql);
    if (Number(row?.n) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail("the racing request never waited on the open transaction");
}

/** Runs `sql` as the service role in a transaction left open until `finish` is called. */
async function openTransaction(sql: string, values: unknown[]) {
  const client = await db.connect();
  await client.query("begin");
  await client.query("select set_config('role', 'service_role', true)");
  await client.query(sql, values);
  return async () => {
    await client.query("commit");
    client.release();
  };
}

describe("PostgrestStore racing another transaction", { skip }, () => {
  let store: Store;
  before(async () => {
    store = await postgrest.start();
  });
  after(() => postgrest.stop());
  beforeEach(() => assert.ok(store));

  test("an open racing an uncommitted open waits for it, then opens nothing", async () => {
    const alert = sampleAlert(newScope());
    const commit = await openTransaction(
      "insert into public.alerts (rule, scope, provider, model, verdict, title, detail," +
        " official_status, measured, opened_at) values ($1, $2, 'openai', 'm', 'provider'," +
        " 't', 'd', 'unknown', '{}', '2026-12-03T12:05:00Z')",
      [alert.rule, alert.scope],
    );
    const racing = store.openAlert(alert);
    await untilBlocked();
    await commit();
    assert.deepEqual(await racing, { ok: true, opened: false });
  });

  test("a reminder racing an uncommitted reminder updates nothing once that commits", async () => {
    const alert = sampleAlert(newScope());
    await openedId(store, alert);
    const commit = await openTransaction(
      "update public.alerts set last_notified_at = '2026-12-03T13:05:00Z'" +
        " where scope = $1 and resolved_at is null",
      [alert.scope],
    );
    const racing = store.remindAlert(
      alert.rule,
      alert.scope,
      "2026-12-03T12:05:00Z",
      "2026-12-03T13:05:30Z",
    );
    await untilBlocked();
    await commit();
    assert.deepEqual(await racing, { ok: true, updated: false });
    const [open] = ok(await store.openAlerts()).alerts.filter((a) => a.scope === alert.scope);
    assert.equal(open?.last_notified_at, "2026-12-03T13:05:00.000Z");
  });

  test("on_conflict cannot name the partial index (42P10): hence rpc/open_alert", async () => {
    const row = { ...sampleAlert(newScope()) } as Record<string, unknown>;
    delete row.resolved_at;
    const response = await fetch(`${origin}/rest/v1/alerts?on_conflict=rule,scope`, {
      method: "POST",
      headers: {
        apikey: SERVICE_KEY,
        authorization: `Bearer ${SERVICE_KEY}`,
        "content-type": "application/json",
        prefer: "resolution=ignore-duplicates",
      },
      body: JSON.stringify(row),
    });
    const body = (await response.json()) as { code: string };
    assert.equal(response.status, 400);
    assert.equal(body.code, "42P10");
  });

  test("the anon key may not open alerts", async () => {
    const anon = new PostgrestStore({ url: origin, serviceKey: ANON_KEY });
    const result = await anon.openAlert(sampleAlert(newScope()));
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.status, 401);
    assert.equal(!result.ok && result.retryable, false);
  });

  test("a read that db-max-rows cuts short is completed by offset", async () => {
    const reads: string[] = [];
    const log = (event: { event?: string; method?: string }) => {
      if (event.event === "postgrest_request" && event.method === "GET") reads.push("GET");
    };
    // maxRows is not in the stand-in's declared options (modules.d.ts): passed as a variable.
    const options = {
      databaseUrl: DATABASE_URL ?? "",
      serviceKey: SERVICE_KEY,
      anonKey: ANON_KEY,
      maxRows: 2,
      log,
    };
    const capped = await startStandin(options);
    try {
      const small = new PostgrestStore({
        url: `http://127.0.0.1:${capped.port}`,
        serviceKey: SERVICE_KEY,
      });
      const model = `${PREFIX}-${randomUUID()}`;
      const base = Date.UTC(2032, 0, 1) + randomInt(0, 400_000) * MINUTE_MS;
      const rows = [0, 1, 2, 3, 4].map((m) => checkRow(model, base + m * MINUTE_MS));
      ok(await small.insertChecks(rows));
      const range = { from: minute(base), to: minute(base + 4 * MINUTE_MS) };
      assert.deepEqual(ok(await small.checksBetween([range])).rows, rows.map(ruleColumnsOf));
      assert.equal(reads.length, 3, "five rows, two a page");
      const pages = ok(await small.checksJson([range])).pages;
      assert.deepEqual(
        pages.map((page) => (JSON.parse(page) as RuleRow[]).map((r) => checkRowFrom<RuleRow>(r))),
        [rows.slice(0, 2), rows.slice(2, 4), rows.slice(4)].map((p) => p.map(ruleColumnsOf)),
      );
    } finally {
      await capped.close();
    }
  });

  test("rows and alert state from a database in another time zone read as UTC", async () => {
    // PostgREST writes timestamptz in the session's zone, which a database may set to local.
    const zoned = new URL(DATABASE_URL ?? "postgres://x@127.0.0.1/x");
    zoned.searchParams.set("options", "-c TimeZone=Asia/Kolkata");
    const options = { databaseUrl: zoned.href, serviceKey: SERVICE_KEY, anonKey: ANON_KEY };
    const kolkata = await startStandin(options);
    try {
      const store = new PostgrestStore({
        url: `http://127.0.0.1:${kolkata.port}`,
        serviceKey: SERVICE_KEY,
      });
      const model = `${PREFIX}-${randomUUID()}`;
      const base = Date.UTC(2034, 0, 1) + randomInt(0, 400_000) * MINUTE_MS;
      const rows = [0, 1, 2, 3, 4, 5].map((m) =>
        failedRow(model, base + m * MINUTE_MS, { provider: "anthropic", region: "enam" }),
      );
      ok(await store.insertChecks(rows));
      const range = [{ from: minute(base), to: minute(base + 5 * MINUTE_MS) }];
      const pages = ok(await store.checksJson(range)).pages;
      assert.match(pages.join(""), /"scheduled_at" ?: ?"[^"]+\+05:30"/);
      const config = JSON.stringify({
        regions: ["enam"],
        targets: [{ provider: "anthropic", model, cadence_min: 1 }],
      });
      const input = { now_ms: base + 5 * MINUTE_MS, open_alerts: [], official: {}, rows: [] };
      const answer = core.evaluate(config, input, pages);
      assert.ok(answer.ok, JSON.stringify(answer));
      assert.deepEqual(
        answer.actions.map((a) => [a.kind, a.alert.measured.failures]),
        [["open", 6]],
      );

      // The alert's own times come back as +05:30 too: read as the same instants, a reminder
      // and a delivery's update go through, so nothing is sent twice.
      const alert = sampleAlert(newScope(), { opened_at: minute(base), last_notified_at: null });
      const id = ok(await store.openAlert(alert)).id!;
      const [open] = ok(await store.openAlerts()).alerts.filter((a) => a.scope === alert.scope);
      assert.equal(open?.opened_at, new Date(base).toISOString());
      const later = new Date(base + MINUTE_MS).toISOString();
      const reminded = await store.remindAlert(alert.rule, alert.scope, null, later);
      assert.deepEqual(reminded, { ok: true, updated: true });
      const [again] = ok(await store.openAlerts()).alerts.filter((a) => a.scope === alert.scope);
      assert.equal(again?.last_notified_at, later);
      ok(await store.enqueueDeliveries([delivery(id, "slack:ops", later)]));
      const [due] = ok(await store.dueDeliveries(later, 100)).deliveries.filter(
        (d) => d.alert_id === id,
      );
      assert.equal(due?.next_attempt_at, later);
      const sent = { status: "sent" as const, attempts: 1, sent_at: later };
      const update = { ...sent, next_attempt_at: due!.next_attempt_at, last_error: null };
      assert.deepEqual(await store.markDelivery(due!.id, update), { ok: true, updated: true });
    } finally {
      await kolkata.close();
    }
  });
});

describe("PostgrestStore's pages as PostgREST sends them", () => {
  const range = [{ from: "2026-12-03T12:00:00Z", to: "2026-12-03T12:04:00Z" }];
  const row = '{"scheduled_at":"2026-12-03T12:00:00+00:00","ts":"2026-12-03T12:00:00.41+00:00"}';
  const answering = (body: string | (() => ReadableStream), headers: Record<string, string>) =>
    new PostgrestStore({
      url: "http://127.0.0.1:9",
      serviceKey: SERVICE_KEY,
      fetch: async () => new Response(typeof body === "string" ? body : body(), { headers }),
    });

  test("a page cut short is a failure worth retrying, not rows for the core", async () => {
    const cut = answering(`[${row},{"scheduled_at":"2026-12-03T12:01:00+0`, {
      "content-range": "0-1/2",
    });
    for (const result of [await cut.checksJson(range), await cut.checksBetween(range)]) {
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.retryable, true);
      assert.match(!result.ok ? result.reason : "", /^postgrest answered no JSON/);
    }
  });

  test("an answer whose body breaks off is a failure worth retrying, for every read", async () => {
    const broken = () =>
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(`[${row},`));
          controller.error(new Error("connection reset"));
        },
      });
    const store = answering(broken, { "content-range": "0-1/2" });
    const results = [
      await store.checksJson(range),
      await store.checksBetween(range),
      await store.baselineLatencies(range),
      await store.openAlerts(),
    ];
    for (const result of results) {
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.retryable, true);
      assert.match(
        !result.ok ? result.reason : "",
        /^postgrest answer cut off: .*connection reset/,
      );
    }
  });

  test("without Content-Range a page is counted by reading it, and the read ends", async () => {
    const store = answering(`[${row},${row}]`, {});
    assert.deepEqual(await store.checksJson(range), { ok: true, pages: [`[${row},${row}]`] });
    assert.equal(ok(await store.checksBetween(range)).rows.length, 2);
  });
});

// ---------------------------------------------------------------------------------------------
// Schemas

const sqliteSkip =
  spawnSync("sqlite3", ["-version"]).status === 0
    ? false
    : "needs the sqlite3 command (apt-get install sqlite3)";
const adminSkip =
  process.getuid?.() === 0 && spawnSync("runuser", ["--help"]).status === 0
    ? false
    : "needs root to run psql as the postgres user";

const migration = (kind: "pg" | "d1", file: string) =>
  readFileSync(path.join(ROOT, "sql", kind === "pg" ? "postgres" : "d1", file), "utf8");

function adminPsql(database: string, sql: string): string {
  const port = new URL(DATABASE_URL ?? "postgres://x@127.0.0.1:5432/x").port || "5432";
  const args = ["-u", "postgres", "--", "psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1"];
  return execFileSync("runuser", [...args, "-p", port, "-d", database], {
    input: sql,
    encoding: "utf8",
    env: { ...process.env, PGOPTIONS: "-c client_min_messages=warning" },
  });
}

function sqlite(file: string, sql: string): unknown[] {
  const run = spawnSync("sqlite3", ["-json", "-bail", file], { input: sql, encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim() === "" ? [] : (JSON.parse(run.stdout) as unknown[]);
}

describe("the alert schemas", () => {
  test(
    "the Postgres migrations apply twice to a fresh Supabase-like database",
    { skip: skip || adminSkip },
    () => {
      const scratch = `heyhi_alerts_${process.pid}`;
      adminPsql("postgres", `create database ${scratch}`);
      try {
        adminPsql(
          scratch,
          "alter default privileges in schema public" +
            " grant all on tables to anon, authenticated, service_role",
        );
        for (let i = 0; i < 2; i += 1) {
          for (const file of MIGRATIONS.pg) adminPsql(scratch, migration("pg", file));
        }
        const facts = adminPsql(
          scratch,
          `select string_agg(c.relname, ',' order by c.relname collate "C")
             from pg_index i join pg_class c on c.oid = i.indexrelid
             where i.indrelid in ('public.alerts'::regclass, 'public.alert_deliveries'::regclass);
           select bool_and(relrowsecurity) from pg_class
             where oid in ('public.alerts'::regclass, 'public.alert_deliveries'::regclass);
           select has_table_privilege('anon', 'public.alerts', 'select, insert, update')
             or has_table_privilege('authenticated', 'public.alert_deliveries', 'select');
           select has_table_privilege('service_role', 'public.alerts', 'select, insert, update')
             and has_table_privilege('service_role', 'public.alert_deliveries', 'insert');
           select has_function_privilege('anon', 'public.open_alert'::regproc, 'execute')
             or has_function_privilege('authenticated', 'public.open_alert'::regproc, 'execute');
           select has_function_privilege('service_role', 'public.open_alert'::regproc, 'execute');
           select has_function_privilege('anon', 'public.baseline_latencies'::regproc, 'execute')
             or has_function_privilege('authenticated', 'public.baseline_latencies'::regproc,
                                       'execute');
           select has_function_privilege('service_role', 'public.baseline_latencies'::regproc,
                                         'execute');`,
        );
        assert.deepEqual(facts.trim().split("\n"), [
          [
            "alert_deliveries_alert_id_event_event_at_channel_key",
            "alert_deliveries_next_attempt_at_idx",
            "alert_deliveries_pkey",
            "alerts_opened_at_idx",
            "alerts_pkey",
            "alerts_rule_scope_open_key",
          ].join(","),
          "t",
          "f",
          "t",
          "f",
          "t",
          "f",
          "t",
        ]);
      } finally {
        adminPsql("postgres", `drop database if exists ${scratch} with (force)`);
      }
    },
  );

  test(
    "the D1 migrations apply twice and have the Postgres columns and index names",
    { skip: skip || sqliteSkip },
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "heyhi-alerts-sqlite-"));
      try {
        const file = path.join(dir, "d1.sqlite");
        for (let i = 0; i < 2; i += 1) {
          for (const name of MIGRATIONS.d1) sqlite(file, migration("d1", name));
        }
        for (const table of ["alerts", "alert_deliveries"]) {
          assert.deepEqual(sqliteShape(file, table), await postgresShape(table), table);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

interface Shape {
  columns: string[];
  indexes: string[];
}

// Nullability leaves out the primary key: SQLite reports a rowid key as nullable.
function sqliteShape(file: string, table: string): Shape {
  const columns = sqlite(
    file,
    `select name || ':' || (("notnull" = 1) or pk > 0) as c from pragma_table_info('${table}')` +
      " order by cid",
  ) as Array<{ c: string }>;
  const indexes = sqlite(
    file,
    `select name from sqlite_master where type = 'index' and tbl_name = '${table}'` +
      " and name not like 'sqlite_autoindex%'",
  ) as Array<{ name: string }>;
  return { columns: columns.map((c) => c.c), indexes: indexes.map((i) => i.name).sort() };
}

async function postgresShape(table: string): Promise<Shape> {
  const regclass = `public.${table}`;
  const columns = await query(
    "select attname || ':' || (case when attnotnull then 1 else 0 end) as c from pg_attribute" +
      " where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum",
    [regclass],
  );
  const indexes = await query(
    "select c.relname as name from pg_index i join pg_class c on c.oid = i.indexrelid" +
      " where i.indrelid = $1::regclass and not i.indisprimary",
    [regclass],
  );
  return {
    columns: columns.map((r) => String(r.c)),
    indexes: indexes.map((r) => String(r.name)).sort(),
  };
}
