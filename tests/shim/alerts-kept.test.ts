// alerts.ts with a store that fails: transitions it could not take are handed back to be
// kept, and a later run writes them first, in order, once, before deciding anew.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import type { Alert, CheckRow, Core } from "../../worker-shim/src/core.ts";
import { runAlerts, type KeptTransition } from "../../worker-shim/src/alerts.ts";
import type { NewDelivery, StoredOpenAlert } from "../../worker-shim/src/store/alerts.ts";
import type { Store } from "../../worker-shim/src/store/store.ts";
import { captureLog, loadTestCore, okRow, recordingStore, testSettings } from "./support.ts";

const FIRST = Date.UTC(2026, 11, 3, 14, 0);
const minute = (i: number) => FIRST + i * 60_000;
const CONFIG = JSON.stringify({
  regions: ["enam", "weur"],
  targets: [{ provider: "anthropic", model: "claude-haiku-5-5", cadence_min: 1 }],
});
const DOWN = { ok: false as const, reason: "postgrest 503 : unavailable", retryable: true };

let core: Core;
before(async () => {
  core = await loadTestCore();
});

// Every probe of both regions overloaded from the first minute: an outage by any rule.
function outageRows(until: number): CheckRow[] {
  const rows: CheckRow[] = [];
  for (let i = 0; i <= until; i++) {
    for (const region of ["enam", "weur"]) {
      rows.push(
        okRow("claude-haiku-5-5", minute(i), {
          provider: "anthropic",
          region,
          ok: false,
          http_status: 529,
          error_type: "overloaded",
          attribution: "provider",
        }),
      );
    }
  }
  return rows;
}

/** Alert state in memory, as both stores keep it; `failing` makes its writes fail. */
function alertStore(rows: CheckRow[]) {
  const alerts: Array<StoredOpenAlert & { resolved_at: string | null }> = [];
  const opened: Alert[] = [];
  const queued: NewDelivery[] = [];
  // loseAnswers: a write is taken, and its answer lost on the way back as a retryable failure.
  const state = { failing: false, loseAnswers: false };
  const base = recordingStore();
  const store: Store = {
    ...base,
    checksBetween: async () => ({ ok: true, rows }),
    openAlerts: async () => ({ ok: true, alerts: alerts.filter((a) => a.resolved_at === null) }),
    async openAlert(alert) {
      if (state.failing) return DOWN;
      const open = alerts.find((a) => a.rule === alert.rule && a.scope === alert.scope);
      if (open && open.resolved_at === null) return { ok: true, opened: false };
      const id = alerts.length + 1;
      alerts.push({ ...alert, id, resolved_at: null });
      opened.push(alert);
      return state.loseAnswers ? DOWN : { ok: true, opened: true, id };
    },
    async writtenAlert(kind, rule, scope, at) {
      if (state.failing) return DOWN;
      const found = alerts.find(
        (a) =>
          a.rule === rule &&
          a.scope === scope &&
          kind === "open" &&
          Date.parse(a.opened_at) === Date.parse(at),
      );
      return { ok: true, id: found ? found.id : null };
    },
    async enqueueDeliveries(deliveries) {
      if (state.failing) return DOWN;
      queued.push(...deliveries);
      return { ok: true, enqueued: deliveries.length };
    },
  };
  return { store, state, opened, queued };
}

async function alertMinute(store: Store, at: number, kept: KeptTransition[] = []) {
  const settings = testSettings(core, CONFIG, store, {});
  settings.channels = [{ name: "slack", kind: "slack", url: "http://127.0.0.1:9/hook" }];
  const logged = captureLog([]);
  return runAlerts({ core, settings, log: logged.log, kept }, at);
}

describe("runAlerts with a store that cannot take a transition", () => {
  test("the failed open is handed back to be kept, with nothing sent", async () => {
    const { store, state, queued } = alertStore(outageRows(3));
    state.failing = true;
    const { report, change } = await alertMinute(store, minute(3));
    const opens = change.keep.filter((t) => t.action.kind === "open");
    assert.ok(opens.length >= 1, "the outage decided an open");
    assert.equal(report.kept, change.keep.length);
    assert.equal(report.opened, 0);
    assert.equal(queued.length, 0);
    assert.match(opens[0]?.key ?? "", /^open\|provider_errors\|/);
  });

  test("a later run writes the kept open first, with its own time, once, and notifies once", async () => {
    const { store, state, opened, queued } = alertStore(outageRows(5));
    state.failing = true;
    const first = await alertMinute(store, minute(3));
    state.failing = false;
    const second = await alertMinute(store, minute(5), first.change.keep);

    const keptOpen = first.change.keep.find((t) => t.action.kind === "open");
    assert.ok(keptOpen);
    assert.equal(opened[0]?.opened_at, keptOpen.action.alert.opened_at, "written as decided");
    const scopes = opened.map((a) => `${a.rule}|${a.scope}`);
    assert.equal(new Set(scopes).size, scopes.length, "no alert opened twice");
    assert.deepEqual(
      second.change.done,
      first.change.keep.map((t) => t.key),
    );
    assert.equal(second.report.replayed, first.change.keep.length);
    assert.deepEqual(second.change.keep, []);
    const events = queued.map((d) => `${d.alert_id}|${d.event}|${d.event_at}`);
    assert.equal(new Set(events).size, events.length, "each notification queued once");
    assert.ok(queued.some((d) => d.event === "open" && d.alert_id === 1));
  });

  test("an open the store took but whose answer was lost is notified on replay", async () => {
    const { store, state, opened, queued } = alertStore(outageRows(5));
    state.loseAnswers = true;
    const first = await alertMinute(store, minute(3));
    assert.ok(
      first.change.keep.some((t) => t.action.kind === "open"),
      "kept as not taken",
    );
    assert.equal(queued.length, 0);
    state.loseAnswers = false;
    const second = await alertMinute(store, minute(5), first.change.keep);
    const scopes = opened.map((a) => `${a.rule}|${a.scope}`);
    assert.equal(new Set(scopes).size, scopes.length, "no alert opened twice");
    const opens = queued.filter((d) => d.event === "open");
    assert.equal(opens.length, first.change.keep.filter((t) => t.action.kind === "open").length);
    const keptTimes = first.change.keep
      .filter((t) => t.action.kind === "open")
      .map((t) => t.action.alert.opened_at);
    assert.deepEqual(
      opens.map((d) => d.event_at),
      keptTimes,
      "notified at the time it was written",
    );
    assert.deepEqual(second.change.keep, []);
  });

  test("an open another invocation took at another minute is not notified again", async () => {
    const { store, state, queued } = alertStore(outageRows(5));
    state.failing = true;
    const first = await alertMinute(store, minute(3));
    state.failing = false;
    // Another invocation opens the same alerts a minute later, and queues their notifications.
    await alertMinute(store, minute(4));
    const before = queued.length;
    await alertMinute(store, minute(5), first.change.keep);
    const lateOpens = queued.slice(before).filter((d) => d.event === "open");
    assert.deepEqual(lateOpens, [], "the kept opens of minute 3 owe nothing");
  });

  test("kept transitions the store still refuses stay kept, and nothing new overtakes them", async () => {
    const { store, state, opened } = alertStore(outageRows(5));
    state.failing = true;
    const first = await alertMinute(store, minute(3));
    const second = await alertMinute(store, minute(5), first.change.keep);
    assert.equal(opened.length, 0);
    assert.deepEqual(second.change.done, []);
    assert.deepEqual(second.change.keep, [], "this minute decided nothing new behind them");
    assert.equal(second.report.actions, 0);
  });

  test("notifications whose queueing failed are kept apart from their won transition", async () => {
    const { store, state, opened, queued } = alertStore(outageRows(3));
    const failingEnqueue: Store = {
      ...store,
      enqueueDeliveries: async () => DOWN,
    };
    const first = await alertMinute(failingEnqueue, minute(3));
    assert.ok(opened.length >= 1, "the transitions were written");
    const enqueues = first.change.keep.filter((t) => t.stage === "enqueue");
    assert.equal(enqueues.length, opened.length);
    state.failing = false;
    const second = await alertMinute(store, minute(4), first.change.keep);
    assert.equal(second.report.queued, queued.length);
    assert.ok(queued.length >= 1);
    assert.equal(opened.length, enqueues.length, "nothing opened again");
  });
});

describe("runAlerts with a store that cannot be read", () => {
  test("the minute decides nothing and says which read failed", async () => {
    for (const [read, said] of [
      ["checksJson", "recent rows unreadable"],
      ["openAlerts", "open alerts unreadable"],
    ] as const) {
      const { store, opened } = alertStore(outageRows(5));
      const failing: Store = { ...store, [read]: async () => DOWN };
      const { report } = await alertMinute(failing, minute(5));
      assert.equal(report.error, `${said}: ${DOWN.reason}`);
      assert.equal(report.actions, 0);
      assert.equal(opened.length, 0);
    }
  });
});
