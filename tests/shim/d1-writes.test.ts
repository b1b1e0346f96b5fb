// What each of the Worker's D1 writes costs in D1's "rows written", as workerd's local D1
// counts them (the same SQLite counters D1 bills by), against the per-write figures the core's
// cost estimate multiplies. D1's Free plan takes 100 000 rows written a day and refuses writes
// after that until midnight UTC, so an estimate that undercounts would let a deployment stop
// storing probes in the middle of an incident.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import defaultConfig from "../../worker-shim/config/healthboard.json" with { type: "json" };
import type { CostEstimate, StatusSourceRow } from "../../worker-shim/src/core.ts";
import { D1Store } from "../../worker-shim/src/store/d1.ts";
import { failedRow, loadTestCore, localD1, okRow, sampleAlert, type LocalD1 } from "./support.ts";

const MINUTE = Date.UTC(2026, 11, 3, 12, 0);
// Ten regions' rows of one minute, as the scheduled handler writes them in one call.
const REGIONS = ["weur", "enam", "apac", "eeur", "wnam", "oc", "me", "afr", "sam", "wus"];

interface Meta {
  rows_written?: number;
}
interface Counted {
  run(): Promise<{ meta: Meta }>;
  all(): Promise<{ meta: Meta }>;
}

/** A D1 binding that adds up the rows written of every statement run through it. */
function counting(db: D1Database): { db: D1Database; take(): number } {
  let written = 0;
  const tally = <T extends { meta: Meta }>(result: T) => {
    written += result.meta.rows_written ?? Number.NaN;
    return result;
  };
  const wrap = (statement: Counted): Counted => ({
    run: async () => tally(await statement.run()),
    all: async () => tally(await statement.all()),
  });
  const proxy = {
    prepare: (sql: string) => {
      const prepared = db.prepare(sql);
      return {
        ...wrap(prepared as unknown as Counted),
        bind: (...values: unknown[]) => wrap(prepared.bind(...values) as unknown as Counted),
      };
    },
  };
  return {
    db: proxy as unknown as D1Database,
    take() {
      const n = written;
      written = 0;
      return n;
    },
  };
}

function sourceRow(source: string, fetchedAt: string): StatusSourceRow {
  return {
    source,
    provider: "openai",
    format: "incidentio",
    url: "https://status.openai.com/proxy/status.openai.com",
    etag: null,
    last_modified: null,
    fetched_at: fetchedAt,
    http_status: 200,
    parse_state: "events",
    reason: null,
    failures: 0,
    failed_since: null,
    last_ok_at: fetchedAt,
    status: "operational",
    state: { components: [] },
  };
}

describe("D1's rows written per write, against the cost estimate", () => {
  let d1: LocalD1 | undefined;
  let store: D1Store;
  let meter: ReturnType<typeof counting>;
  let billed: CostEstimate["d1_rows_written"];

  before(async () => {
    const core = await loadTestCore();
    const cost = core.cost(JSON.stringify(defaultConfig));
    if (!cost.ok) throw new Error(`core refused the default cost: ${JSON.stringify(cost.errors)}`);
    billed = cost.cost.d1_rows_written;
    d1 = await localD1("heyhi-d1-writes-");
    meter = counting(d1.database);
    store = new D1Store(meter.db);
  });

  after(async () => {
    await d1?.dispose();
  });

  test("a probe costs the same rows, failed or not, and a repeated one costs none", async () => {
    const ok = REGIONS.map((region) => okRow("gpt-4o-mini", MINUTE, { region }));
    const failed = REGIONS.map((region) => failedRow("gpt-4o-mini", MINUTE + 60_000, { region }));
    assert.deepEqual(await store.insertChecks(ok), { ok: true, stored: REGIONS.length });
    assert.equal(meter.take(), REGIONS.length * billed.probe);
    assert.deepEqual(await store.insertChecks(failed), { ok: true, stored: REGIONS.length });
    assert.equal(meter.take(), REGIONS.length * billed.probe);
    // A second region's invocation writing the same minute's rows adds nothing.
    assert.deepEqual(await store.insertChecks(ok), { ok: true, stored: 0 });
    assert.equal(meter.take(), 0);
  });

  test("a status reading rewrites its source's row in place", async () => {
    await store.saveStatusSources([sourceRow("openai", "2026-12-03T12:00:00.000Z")]);
    meter.take();
    const again = await store.saveStatusSources([sourceRow("openai", "2026-12-03T12:05:00.000Z")]);
    assert.equal(again.ok, true);
    assert.equal(meter.take(), billed.status_reading);
  });

  test("an alert's opening, reminder and deliveries cost what the estimate bills", async () => {
    const alert = sampleAlert("anthropic/claude-haiku-5-5", "2026-12-03T12:05:00.000Z");
    const opened = await store.openAlert(alert);
    assert.ok(opened.ok && opened.opened && opened.id !== undefined, JSON.stringify(opened));
    assert.equal(meter.take(), billed.alert_open);
    const at = "2026-12-03T13:05:00.000Z";
    const reminded = await store.remindAlert(alert.rule, alert.scope, alert.last_notified_at, at);
    assert.deepEqual(reminded, { ok: true, updated: true });
    assert.equal(meter.take(), billed.reminder);

    const channels = ["slack:ops", "webhook:pager", "email:oncall"];
    const queued = await store.enqueueDeliveries(
      channels.map((channel) => ({
        alert_id: opened.id!,
        event: "remind" as const,
        event_at: at,
        channel,
        payload: JSON.stringify({ text: `reminder on ${channel}` }),
        next_attempt_at: at,
      })),
    );
    assert.deepEqual(queued, { ok: true, enqueued: channels.length });
    const due = await store.dueDeliveries(at, 10);
    assert.ok(due.ok && due.deliveries.length === channels.length, JSON.stringify(due));
    for (const d of due.deliveries) {
      const lease = "2026-12-03T13:06:00.000Z";
      assert.deepEqual(await store.claimDelivery(d.id, d.attempts, lease), {
        ok: true,
        claimed: true,
      });
      const sent = { status: "sent" as const, attempts: d.attempts + 1, next_attempt_at: lease };
      const marked = await store.markDelivery(d.id, { ...sent, last_error: null, sent_at: at });
      assert.deepEqual(marked, { ok: true, updated: true });
    }
    assert.equal(meter.take(), channels.length * billed.delivery);
  });
});
