// The official status step of a scheduled minute: read the sources' stored state, let the core
// say which are due, fetch those within the step's share of the subrequest budget (with
// If-None-Match and If-Modified-Since), let the core read each answer, and store only the
// events that are new or changed. Its answer, the sources' state, feeds the alert step.
import type { Core, DueSource, StatusFetch, StatusSourceRow } from "./core.ts";
import type { Logger } from "./log.ts";
import { describe, pickHeaders, readCapped, withConcurrency } from "./probe.ts";
import type { Settings } from "./settings.ts";

const MINUTE_MS = 60_000;
const LAG_LOOKBACK_MS = 24 * 60 * MINUTE_MS;
// Probes use most of the six connections; status pages need only a few at once.
const MAX_PARALLEL_FETCHES = 3;
// The reads and writes around the fetches: sources, events, current, sources, alerts, lags.
const STORE_CALLS = 6;

export interface StatusContext {
  core: Core;
  settings: Settings;
  log: Logger;
  fetch?: typeof fetch;
}

export interface StatusReport {
  scheduled_at: string;
  due: number;
  fetched: number;
  deferred: string[];
  skipped: string[];
  states: Record<string, string>; // source id -> events | empty | failed | not_modified
  failed: Array<{ source: string; reason: string | null }>;
  events_stored: number;
  lags: number;
  subrequests: number;
  error?: string;
}

export interface StatusStep {
  report: StatusReport;
  /** Every source's state after this minute, for the alert rules; null if unknown. */
  sources: StatusSourceRow[] | null;
}

/** Counts an invocation's subrequests for one step against its share. */
export class SubrequestBudget {
  used = 0;
  readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  take(count = 1): boolean {
    if (this.used + count > this.limit) return false;
    this.used += count;
    return true;
  }
}

// The last state this isolate read or wrote: a store that cannot be read for a minute must not
// make every official status unknown, which would resolve mismatch alerts as "recovered".
let lastSources: StatusSourceRow[] | null = null;

async function fetchSource(
  ctx: StatusContext,
  due: DueSource,
  timeoutMs: number,
  maxBytes: number,
): Promise<StatusFetch> {
  const headers = { ...due.request.headers };
  if (due.request.auth) {
    headers[due.request.auth.header] = ctx.settings.secrets[due.request.auth.secret_name] ?? "";
  }
  const init: RequestInit = {
    method: due.request.method,
    headers,
    // A redirect is the core's to judge: to another host it is a failed reading.
    redirect: "manual",
    signal: AbortSignal.timeout(timeoutMs),
  };
  if (due.request.method !== "GET") init.body = due.request.body;
  try {
    const response = await (ctx.fetch ?? fetch)(due.request.url, init);
    const { text, capped } = await readCapped(response, maxBytes);
    return {
      status: response.status,
      headers: pickHeaders(response.headers),
      body: text,
      body_capped: capped,
    };
  } catch (error) {
    return { error: describe(error) };
  }
}

function missingSecret(ctx: StatusContext, due: DueSource): boolean {
  return due.request.auth !== undefined && !ctx.settings.secrets[due.request.auth.secret_name];
}

function newReport(nowMs: number): StatusReport {
  return {
    scheduled_at: new Date(nowMs).toISOString(),
    due: 0,
    fetched: 0,
    deferred: [],
    skipped: [],
    states: {},
    failed: [],
    events_stored: 0,
    lags: 0,
    subrequests: 0,
  };
}

interface Readings {
  events: Parameters<Settings["store"]["insertStatusEvents"]>[0];
  current: Parameters<Settings["store"]["saveStatusCurrent"]>[0];
  sources: StatusSourceRow[];
}

async function readDue(
  ctx: StatusContext,
  due: DueSource[],
  previous: StatusSourceRow[],
  plan: { timeout_ms: number; max_body_bytes: number },
  nowMs: number,
  report: StatusReport,
): Promise<Readings> {
  const readings: Readings = { events: [], current: [], sources: [] };
  const outcomes = await withConcurrency(due, MAX_PARALLEL_FETCHES, (d) =>
    fetchSource(ctx, d, plan.timeout_ms, plan.max_body_bytes),
  );
  due.forEach((d, i) => {
    const answer = ctx.core.parseStatus(ctx.settings.configJson, {
      source_id: d.source_id,
      now_ms: nowMs,
      outcome: outcomes[i] ?? { error: { name: "Error", message: "no outcome" } },
      previous: previous.find((p) => p.source === d.source_id) ?? null,
    });
    if (!answer.ok) {
      report.failed.push({ source: d.source_id, reason: JSON.stringify(answer.errors) });
      return;
    }
    report.states[d.source_id] = answer.state;
    if (answer.state === "failed")
      report.failed.push({ source: d.source_id, reason: answer.reason });
    readings.events.push(...answer.events);
    readings.current.push(...answer.current);
    readings.sources.push(answer.source);
  });
  return readings;
}

// Events first: if they cannot be stored, the sources keep their previous state, so the next
// reading finds the same events new again and nothing is lost.
async function store(
  ctx: StatusContext,
  readings: Readings,
  budget: SubrequestBudget,
  report: StatusReport,
): Promise<boolean> {
  const { store } = ctx.settings;
  if (readings.events.length > 0 && budget.take()) {
    const events = await store.insertStatusEvents(readings.events);
    if (!events.ok) {
      report.error = `status events not stored: ${events.reason}`;
      return false;
    }
    report.events_stored = readings.events.length;
  }
  if (readings.current.length > 0 && budget.take()) {
    const current = await store.saveStatusCurrent(readings.current);
    if (!current.ok) report.error = `current status not stored: ${current.reason}`;
  }
  if (readings.sources.length > 0 && budget.take()) {
    const saved = await store.saveStatusSources(readings.sources);
    if (!saved.ok) {
      report.error = `status sources not stored: ${saved.reason}`;
      return false;
    }
  }
  return true;
}

async function recordLags(
  ctx: StatusContext,
  sources: StatusSourceRow[],
  nowMs: number,
  budget: SubrequestBudget,
  report: StatusReport,
): Promise<void> {
  if (!budget.take()) return;
  const alerts = await ctx.settings.store.alertsOpenedSince(
    new Date(nowMs - LAG_LOOKBACK_MS).toISOString(),
  );
  if (!alerts.ok) {
    report.error = `alerts unreadable for the lag: ${alerts.reason}`;
    return;
  }
  const answer = ctx.core.statusLag({ now_ms: nowMs, alerts: alerts.alerts, sources });
  if (!answer.ok || answer.lags.length === 0 || !budget.take()) return;
  const written = await ctx.settings.store.insertStatusLags(answer.lags);
  if (written.ok) report.lags = answer.lags.length;
  else report.error = `lags not stored: ${written.reason}`;
}

function merged(previous: StatusSourceRow[], next: StatusSourceRow[]): StatusSourceRow[] {
  const byId = new Map(previous.map((row) => [row.source, row]));
  for (const row of next) byId.set(row.source, row);
  return [...byId.values()];
}

export async function runStatus(ctx: StatusContext, scheduledTime: number): Promise<StatusStep> {
  const nowMs = Math.floor(scheduledTime / MINUTE_MS) * MINUTE_MS;
  const report = newReport(nowMs);
  const read = await ctx.settings.store.statusSources();
  if (!read.ok) {
    report.error = `status sources unreadable: ${read.reason}`;
    report.subrequests = 1;
    ctx.log.event("status", { ...report });
    return { report, sources: lastSources };
  }
  const plan = ctx.core.statusPlan(ctx.settings.configJson, nowMs, read.sources);
  if (!plan.ok) throw new Error(`core refused to plan status: ${JSON.stringify(plan.errors)}`);
  const budget = new SubrequestBudget(plan.max_subrequests);
  budget.take();

  report.due = plan.due.length;
  const fetchable = plan.due.filter((d) => {
    if (missingSecret(ctx, d)) report.skipped.push(d.source_id);
    return !missingSecret(ctx, d);
  });
  const room = Math.max(0, plan.max_subrequests - STORE_CALLS);
  const due = fetchable.slice(0, room);
  report.deferred = fetchable.slice(room).map((d) => d.source_id);
  budget.take(due.length);
  report.fetched = due.length;

  let sources = read.sources;
  if (due.length > 0) {
    const readings = await readDue(ctx, due, read.sources, plan, nowMs, report);
    if (await store(ctx, readings, budget, report))
      sources = merged(read.sources, readings.sources);
    await recordLags(ctx, sources, nowMs, budget, report);
  }
  report.subrequests = budget.used;
  lastSources = sources;
  ctx.log.event("status", { ...report });
  return { report, sources };
}
