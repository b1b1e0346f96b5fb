// The scheduled handler's half of a minute: plan it in the core, hand each region its due
// probes through that region's object, and log one summary. A region whose object throws or
// does not answer within the core's deadline costs that region's rows for the minute and
// nothing else: the others run alongside it, and the summary names it and says why.
import type { KeptTransition } from "./alerts.ts";
import type { Core, HourBaselines, OpenAlert, Plan } from "./core.ts";
import type { RuleRow } from "./store/store.ts";
import type { Logger } from "./log.ts";
import { withConcurrency } from "./probe.ts";
import type { RegionInput, RegionReport, RegionResult, TransitionChange } from "./region.ts";
import type { Settings } from "./settings.ts";
import type { WriteResult } from "./store/store.ts";

/** What the scheduled handler calls on a region's object (a Durable Object stub in production). */
export interface RegionObject {
  run(input: RegionInput): Promise<RegionResult>;
  settle(change: TransitionChange): Promise<unknown>;
}

export type RegionLocator = (region: string) => RegionObject;

export interface RegionsContext {
  core: Core;
  settings: Settings;
  log: Logger;
  timers?: { setTimeout: typeof setTimeout; clearTimeout: typeof clearTimeout };
}

export interface FailedRegion {
  region: string;
  reason: string;
}

export interface RunReport {
  scheduled_at: string;
  due: number;
  ok: number;
  failed: number;
  by_error_type: Record<string, number>;
  stored: number | null;
  write: WriteResult;
  regions: RegionReport[];
  failed_regions: FailedRegion[];
  /** The kept alert transitions of the home region, or null if its object did not answer. */
  home_transitions: KeptTransition[] | null;
  /** The latency baselines the home region keeps, or null if it keeps none or did not answer. */
  home_baselines: HourBaselines | null;
  duration_ms: number;
}

/** Objects are named by region, so every minute reaches the same one, with its storage. */
export const regionObjectName = (region: string) => `region:${region}`;

/** The region whose object keeps alert transitions: the first configured one. */
export const homeRegion = (settings: Settings) => settings.config.regions[0] ?? "enam";

const MINUTE_MS = 60_000;

class RegionTimeout extends Error {
  override name = "RegionTimeout";
}

async function withDeadline<T>(ctx: RegionsContext, work: Promise<T>, ms: number): Promise<T> {
  const timers = ctx.timers ?? { setTimeout, clearTimeout };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = timers.setTimeout(() => reject(new RegionTimeout(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    timers.clearTimeout(timer);
  }
}

function inputs(plan: Plan, scheduledMs: number): RegionInput[] {
  return plan.regions.map(({ region, colo_trace }) => ({
    scheduled_ms: scheduledMs,
    region,
    colo_trace,
    due: plan.due.filter((probe) => probe.region === region),
    concurrency: plan.max_concurrency,
  }));
}

type Outcome = { region: string; result: RegionResult } | FailedRegion;

async function runOne(ctx: RegionsContext, locate: RegionLocator, input: RegionInput) {
  try {
    // A call is started inside the try: a locator or stub that throws is that region's failure.
    const work = Promise.resolve().then(() => locate(input.region).run(input));
    const result = await withDeadline(ctx, work, ctx.settings.budget.region_deadline_ms);
    return { region: input.region, result };
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { region: input.region, reason };
  }
}

// One write result for the minute: ok if every region's was, else the first failure's,
// named by its region.
function combinedWrite(reports: RegionReport[]): WriteResult {
  const failed = reports.find((r) => r.write && !r.write.ok);
  if (failed?.write && !failed.write.ok) {
    return { ...failed.write, reason: `${failed.region}: ${failed.write.reason}` };
  }
  const stored = reports.map((r) => r.stored);
  const total = stored.some((n) => n === null)
    ? null
    : stored.reduce<number>((a, n) => a + (n ?? 0), 0);
  return { ok: true, stored: total };
}

interface ToConfirm {
  failures: RuleRow[];
  open: OpenAlert[];
}

// The failures of the minutes a target may still be confirming, and the open alerts, which
// explain some of them. Without the failures the minute runs on the cadence alone, which loses
// speed, not data; without the alerts it confirms what they explain, which costs probes only.
async function toConfirm(ctx: RegionsContext, scheduledTime: number): Promise<ToConfirm> {
  const lookback = ctx.settings.budget.reads.confirm_min;
  if (lookback === 0) return { failures: [], open: [] };
  const minute = Math.floor(scheduledTime / MINUTE_MS) * MINUTE_MS;
  const iso = (ms: number) => new Date(ms).toISOString();
  const range = { from: iso(minute - lookback * MINUTE_MS), to: iso(minute - MINUTE_MS) };
  const { store } = ctx.settings;
  const [read, open] = await Promise.all([
    store.checksBetween([range], { failedOnly: true }),
    store.openAlerts(),
  ]);
  if (!read.ok) ctx.log.event("confirm_read_failed", { reason: read.reason });
  if (!open.ok) ctx.log.event("confirm_alerts_unreadable", { reason: open.reason });
  return { failures: read.ok ? read.rows : [], open: open.ok ? open.alerts : [] };
}

// The minute's plan. Store rows the core will not read only cost what they would add: a
// refused set of failures or alerts is left out, with its reason, and the minute still probes.
function planMinute(ctx: RegionsContext, scheduledTime: number, confirm: ToConfirm) {
  const { configJson } = ctx.settings;
  const plan = ctx.core.plan(configJson, scheduledTime, confirm.failures, confirm.open);
  if (plan.ok || (confirm.failures.length === 0 && confirm.open.length === 0)) return plan;
  ctx.log.event("confirm_input_refused", { errors: plan.errors });
  const withoutAlerts = ctx.core.plan(configJson, scheduledTime, confirm.failures);
  return withoutAlerts.ok ? withoutAlerts : ctx.core.plan(configJson, scheduledTime);
}

export async function runRegions(
  ctx: RegionsContext,
  scheduledTime: number,
  locate: RegionLocator,
): Promise<RunReport> {
  const started = Date.now();
  const plan = planMinute(ctx, scheduledTime, await toConfirm(ctx, scheduledTime));
  if (!plan.ok) throw new Error(`core refused to plan: ${JSON.stringify(plan.errors)}`);

  const all = inputs(plan, scheduledTime);
  const outcomes: Outcome[] = await withConcurrency(
    all,
    ctx.settings.budget.limits.connections,
    (input) => runOne(ctx, locate, input),
  );
  const answered = outcomes.flatMap((o) => ("result" in o ? [o.result] : []));
  const reports = answered.map((r) => r.report);
  const failed_regions = outcomes.flatMap((o) => ("reason" in o ? [o] : []));
  const home = outcomes.find((o) => o.region === homeRegion(ctx.settings));
  const sum = (pick: (r: RegionReport) => number) => reports.reduce((a, r) => a + pick(r), 0);
  const by_error_type: Record<string, number> = {};
  for (const r of reports) {
    for (const [type, n] of Object.entries(r.by_error_type)) {
      by_error_type[type] = (by_error_type[type] ?? 0) + n;
    }
  }
  const write = combinedWrite(reports);
  const report: RunReport = {
    scheduled_at: plan.scheduled_at,
    due: plan.due.length,
    ok: sum((r) => r.ok),
    failed: sum((r) => r.failed),
    by_error_type,
    stored: write.ok ? write.stored : sum((r) => r.stored ?? 0),
    write,
    regions: reports,
    failed_regions,
    home_transitions: home && "result" in home ? home.result.transitions : null,
    home_baselines: home && "result" in home ? (home.result.baselines ?? null) : null,
    duration_ms: Date.now() - started,
  };
  logRun(ctx, report);
  return report;
}

function logRun(ctx: RegionsContext, report: RunReport): void {
  const { home_transitions, home_baselines, ...summary } = report;
  ctx.log.event("run", {
    ...summary,
    store: ctx.settings.store.kind,
    kept_transitions: home_transitions?.length ?? null,
  });
}
