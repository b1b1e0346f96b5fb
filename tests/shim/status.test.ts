// The status step against a loopback stand-in for the providers' status pages: conditional
// fetches and 304s, the cadence, new or changed events only, the failure cases, the
// subrequest budget, secrets for a source's header, and what happens when the store fails.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, beforeEach, test } from "node:test";

import type {
  AlertOpening,
  Core,
  StatusCurrentRow,
  StatusEventRow,
  StatusLagRow,
  StatusSourceRow,
} from "../../worker-shim/src/core.ts";
import { runStatus } from "../../worker-shim/src/status.ts";
import type { Store } from "../../worker-shim/src/store/store.ts";
import { startStatusServer } from "../status/status-server.mjs";
import {
  captureLog,
  loadTestCore,
  MINUTE_MS as START,
  recordingStore,
  testSettings,
} from "./support.ts";

const FIXTURES = path.join(import.meta.dirname, "../fixtures");
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), "utf8");
const CRITICAL = fixture("status/statuspage_incident_critical.json");
const QUIET = fixture("status/statuspage_indicator_none_unresolved.json");

let core: Core;
let pages: Awaited<ReturnType<typeof startStatusServer>>;

before(async () => {
  core = await loadTestCore();
  pages = await startStatusServer();
});
after(() => pages.close());
beforeEach(() => pages.clear());

interface MemoryStatus {
  store: Store;
  sources: Map<string, StatusSourceRow>;
  events: Map<string, StatusEventRow>;
  current: Map<string, StatusCurrentRow>;
  lags: StatusLagRow[];
  alerts: AlertOpening[];
  failEvents: boolean;
}

/** A store keeping status state in memory, with the databases' keys. */
function memoryStatus(): MemoryStatus {
  const m: MemoryStatus = {
    store: recordingStore(),
    sources: new Map(),
    events: new Map(),
    current: new Map(),
    lags: [],
    alerts: [],
    failEvents: false,
  };
  m.store = {
    ...recordingStore(),
    statusSources: async () => ({ ok: true, sources: [...m.sources.values()] }),
    async insertStatusEvents(rows) {
      if (m.failEvents) return { ok: false, reason: "d1: disk full", retryable: true };
      for (const e of rows)
        m.events.set(`${e.provider}|${e.source_id}|${e.component}|${e.ts}|${e.status}`, e);
      return { ok: true, written: rows.length };
    },
    async saveStatusSources(rows) {
      for (const row of rows) m.sources.set(row.source, row);
      return { ok: true, written: rows.length };
    },
    async saveStatusCurrent(rows) {
      for (const row of rows) m.current.set(`${row.source}|${row.component}`, row);
      return { ok: true, written: rows.length };
    },
    async insertStatusLags(rows) {
      m.lags.push(...rows);
      return { ok: true, written: rows.length };
    },
    alertsOpenedSince: async () => ({ ok: true, alerts: m.alerts }),
  };
  return m;
}

// A target for each source's provider: the status of a provider nobody probes is not fetched.
function config(sources: object[], extra: object = {}): string {
  const providers = new Set([
    "anthropic",
    ...sources.map((s) => (s as { provider: string }).provider),
  ]);
  const targets = [...providers].map((provider) => ({
    provider,
    model: provider === "anthropic" ? "claude-haiku-5-5" : "m",
    cadence_min: 1,
  }));
  return JSON.stringify({
    regions: ["enam"],
    targets,
    status: { cadence_min: 1, sources, ...extra },
  });
}

function anthropic(extra: object = {}): object {
  return {
    id: "anthropic",
    provider: "anthropic",
    format: "statuspage",
    url: `${pages.url}/anthropic/api/v2/summary.json`,
    components: ["k8w3r06qmzrp"],
    ...extra,
  };
}

function step(m: MemoryStatus, configJson: string, secrets: Record<string, string> = {}) {
  const { log, lines, events } = captureLog(Object.values(secrets));
  const settings = testSettings(core, configJson, m.store, secrets);
  return {
    lines,
    events,
    run: (minute: number) => runStatus({ core, settings, log }, START + minute * 60_000),
  };
}

test("a page is read and stored, then asked for conditionally: a 304 stores nothing", async () => {
  pages.set("/anthropic/api/v2/summary.json", { body: CRITICAL });
  const m = memoryStatus();
  const s = step(m, config([anthropic()]));
  const first = await s.run(0);
  assert.equal(first.report.states.anthropic, "events");
  assert.ok(m.events.size > 0, "the incident and the component are stored");
  const stored = m.events.size;
  assert.equal(m.sources.get("anthropic")?.status, "major_outage");
  assert.equal(m.current.get("anthropic|k8w3r06qmzrp")?.status, "major_outage");
  assert.equal(first.sources?.[0]?.status, "major_outage", "the alert step gets the reading");

  const second = await s.run(1);
  const [, again] = pages.requests();
  assert.ok(again?.headers["if-none-match"], "the second request is conditional");
  assert.equal(second.report.states.anthropic, "not_modified");
  assert.equal(m.events.size, stored, "nothing new to store");
  assert.equal(second.report.events_stored, 0);
});

test("each source is fetched at its cadence, not every minute", async () => {
  pages.set("/anthropic/api/v2/summary.json", { body: QUIET });
  const m = memoryStatus();
  const s = step(m, config([anthropic({ cadence_min: 5 })]));
  for (let minute = 0; minute < 10; minute++) await s.run(minute);
  assert.equal(pages.requests().length, 2, "twice in ten minutes");
});

test("a page that changes stores only what changed", async () => {
  pages.set("/anthropic/api/v2/summary.json", { body: QUIET });
  const m = memoryStatus();
  const s = step(m, config([anthropic()]));
  await s.run(0);
  const before = new Set(m.events.keys());
  pages.set("/anthropic/api/v2/summary.json", { body: CRITICAL });
  const changed = await s.run(1);
  const added = [...m.events.keys()].filter((k) => !before.has(k));
  assert.equal(changed.report.events_stored, added.length);
  assert.ok(
    added.some((k) => k.includes("inc9critical")),
    "the new incident",
  );
  assert.ok(
    added.every((k) => !k.includes("inc4nocomp")),
    "the old one is not stored again",
  );
});

const FAILURES = [
  {
    name: "HTML where JSON was expected",
    page: { body: fixture("status/bot_challenge.html"), type: "text/html; charset=UTF-8" },
    reason: /HTML where JSON was expected/,
  },
  {
    name: "a 403 from bot protection",
    page: { status: 403, body: "no", type: "text/plain" },
    reason: /HTTP 403/,
  },
  {
    name: "a redirect to another host",
    page: { status: 302, headers: { location: "https://login.example.net/" }, body: "" },
    reason: /another host, login\.example\.net/,
  },
  {
    name: "a changed structure",
    page: { body: '{"data":{"services":[]}}' },
    reason: /structure changed/,
  },
];

for (const failure of FAILURES) {
  test(`${failure.name} is a failed reading that keeps the previous state`, async () => {
    pages.set("/anthropic/api/v2/summary.json", { body: CRITICAL });
    const m = memoryStatus();
    const s = step(m, config([anthropic()]));
    await s.run(0);
    const events = m.events.size;
    pages.set("/anthropic/api/v2/summary.json", failure.page);
    const failed = await s.run(1);
    assert.equal(failed.report.states.anthropic, "failed");
    assert.match(failed.report.failed[0]?.reason ?? "", failure.reason);
    const row = m.sources.get("anthropic");
    assert.equal(row?.parse_state, "failed");
    assert.equal(row?.failures, 1);
    assert.equal(row?.status, "major_outage", "the status it last read");
    assert.equal(m.events.size, events, "no event from a failed reading");
    const log = s.events().find((e) => e.event === "status" && e.fetched === 1 && e.failed);
    assert.ok(log, "the failure is logged");
  });
}

test("within its subrequest share: the rest waits for the next minute, oldest first", async () => {
  const sources = Array.from({ length: 5 }, (_, i) => ({
    ...anthropic(),
    id: `s${i}`,
    url: `${pages.url}/s${i}`,
  }));
  for (let i = 0; i < 5; i++) pages.set(`/s${i}`, { body: QUIET });
  const m = memoryStatus();
  const s = step(m, config(sources, { max_subrequests: 8 }));
  const first = await s.run(0);
  assert.equal(first.report.fetched, 2, "8 subrequests leave room for 2 fetches");
  assert.equal(first.report.deferred.length, 3);
  assert.ok(first.report.subrequests <= 8);
  const second = await s.run(1);
  assert.deepEqual(
    pages
      .requests()
      .slice(2)
      .map((r) => r.path)
      .sort(),
    first.report.deferred
      .slice(0, 2)
      .map((id) => `/${id}`)
      .sort(),
    "the sources left waiting go first",
  );
  assert.ok(second.report.subrequests <= 8);
});

test("a source's secret goes in its header and nowhere else; without it, no request", async () => {
  pages.set("/studio", { body: "[[[]]]", type: "application/json+protobuf" });
  const source = {
    id: "studio",
    provider: "gemini",
    format: "aistudio",
    url: `${pages.url}/studio`,
    method: "POST",
    body: "[]",
    auth: { header: "x-goog-api-key", secret_name: "AISTUDIO_STATUS_KEY" },
  };
  const without = await step(memoryStatus(), config([source])).run(0);
  assert.deepEqual(without.report.skipped, ["studio"]);
  assert.equal(pages.requests().length, 0);

  const key = "studio-key-3c9f2a71b5";
  const m = memoryStatus();
  const s = step(m, config([source]), { AISTUDIO_STATUS_KEY: key });
  const read = await s.run(0);
  assert.equal(read.report.states.studio, "empty");
  const [request] = pages.requests();
  assert.equal(request?.headers["x-goog-api-key"], key);
  assert.equal(request?.method, "POST");
  assert.equal(request?.body, "[]");
  assert.ok(s.lines.every((line) => !line.includes(key)));
  assert.ok(JSON.stringify([...m.sources.values()]).indexOf(key) < 0);
});

test("events the store refuses are not lost: the source state waits for them", async () => {
  pages.set("/anthropic/api/v2/summary.json", { body: CRITICAL });
  const m = memoryStatus();
  m.failEvents = true;
  const s = step(m, config([anthropic()]));
  const refused = await s.run(0);
  assert.match(refused.report.error ?? "", /status events not stored/);
  assert.equal(m.sources.size, 0, "no state saved past unsaved events");
  m.failEvents = false;
  const retried = await s.run(1);
  assert.equal(retried.report.states.anthropic, "events");
  assert.ok(m.events.size > 0, "the same events, stored this time");
});

test("the lag is recorded for an alert the provider acknowledged", async () => {
  pages.set("/anthropic/api/v2/summary.json", { body: CRITICAL });
  const m = memoryStatus();
  // The critical incident was created at 19:38Z.
  m.alerts = [
    {
      rule: "provider_errors",
      scope: "anthropic/claude-haiku-5-5",
      provider: "anthropic",
      verdict: "provider",
      opened_at: "2026-12-03T19:30:00Z",
      resolved_at: null,
    },
  ];
  const s = step(m, config([anthropic()]));
  await s.run(8 * 60);
  assert.equal(m.lags.length, 1);
  assert.equal(m.lags[0]?.lag_min, 8);
  assert.equal(m.lags[0]?.source_id, "inc9critical");
});
