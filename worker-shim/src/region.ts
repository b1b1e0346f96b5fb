// One region's minute, as its Durable Object runs it: learn the colo once, probe what is due
// here, and write the rows. Rows the store cannot take (unreachable, 5xx, timeout) are kept in
// the object's own storage and written first on later runs, oldest first, so an outage of the
// store costs no row; the backlog's bound is configured, and what it drops is reported.
import type { ColoTrace, CheckRow, DueProbe, HourBaselines } from "./core.ts";
import type { KeptTransition } from "./alerts.ts";
import { Backlog, type BacklogCounts, type KeptItem } from "./backlog.ts";
import { defaultProbeDeps } from "./probe.ts";
import { countFailures, insertBody, probeAll, write, type RunContext } from "./run.ts";
import type { WriteResult } from "./store/store.ts";

export interface RegionInput {
  scheduled_ms: number;
  region: string;
  colo_trace: ColoTrace;
  due: DueProbe[];
  concurrency: number;
}

export interface RegionReport {
  region: string;
  colo: string | null;
  colo_error?: string;
  due: number;
  ok: number;
  failed: number;
  by_error_type: Record<string, number>;
  failures: Array<Pick<CheckRow, "provider" | "model" | "error_type" | "http_status">>;
  /** The write of this run: this minute's rows, or the oldest kept ones with them. */
  write: WriteResult | null;
  stored: number | null;
  /** Kept rows that reached the store in this run. */
  flushed: number;
  /** Kept rows the store refused for good, dropped with the refusal's reason in `write`. */
  refused: number;
  kept: BacklogCounts;
  dropped_oldest: BacklogCounts;
  duration_ms: number;
}

export interface RegionResult {
  report: RegionReport;
  /** Alert transitions this object keeps for the alert step, oldest first. */
  transitions: KeptTransition[];
  /** The latency baselines this object keeps for the alert step, of the hour they name. */
  baselines?: HourBaselines | null;
}

export interface RegionContext extends RunContext {
  backlog: Backlog;
}

const rowKey = (row: CheckRow) => `${row.scheduled_at}|${row.region}|${row.provider}|${row.model}`;
const keyed = (rows: CheckRow[]) =>
  rows.map((row) => ({ key: rowKey(row), body: JSON.stringify(row) }));
const TRACE_BYTES = 4096;

async function learnColo(
  ctx: RegionContext,
  trace: ColoTrace,
): Promise<{ colo: string | null; error?: string }> {
  const known = ctx.backlog.colo();
  if (known) return { colo: known };
  const { fetch } = ctx.probeDeps ?? defaultProbeDeps;
  try {
    const response = await fetch(trace.url, {
      headers: trace.headers,
      signal: AbortSignal.timeout(trace.timeout_ms),
    });
    const text = (await response.text()).slice(0, TRACE_BYTES);
    const colo = /^colo=([A-Z0-9]{3,5})\r?$/m.exec(text)?.[1];
    if (!colo) return { colo: null, error: `trace answered ${response.status} with no colo` };
    ctx.backlog.rememberColo(colo);
    return { colo };
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { colo: null, error: `trace failed: ${message}` };
  }
}

interface Delivery {
  write: WriteResult | null;
  flushed: number;
  refused: number;
}

// With nothing kept, this minute's rows go straight to the store and are kept only if it
// cannot take them. With a backlog, they join its end first, so that rows reach the store in
// the order they were probed, and the oldest are written in one call.
async function deliverRows(ctx: RegionContext, body: CheckRow[]): Promise<Delivery> {
  const { backlog } = ctx;
  if (backlog.counts().rows === 0) {
    if (body.length === 0) return { write: null, flushed: 0, refused: 0 };
    const result = await write(ctx, body);
    if (!result.ok && result.retryable) backlog.keep("row", keyed(body));
    return { write: result, flushed: 0, refused: 0 };
  }
  backlog.keep("row", keyed(body));
  const batch = backlog.oldest("row", ctx.settings.budget.caps.backlog_flush);
  const result = await write(
    ctx,
    batch.map((item: KeptItem) => JSON.parse(item.body) as CheckRow),
  );
  if (!result.ok && result.retryable) return { write: result, flushed: 0, refused: 0 };
  backlog.forget(batch.map((item) => item.key));
  const now = new Set(body.map(rowKey));
  const earlier = batch.filter((item) => !now.has(item.key)).length;
  return result.ok
    ? { write: result, flushed: earlier, refused: 0 }
    : { write: result, flushed: 0, refused: batch.length };
}

export async function runRegion(ctx: RegionContext, input: RegionInput): Promise<RegionResult> {
  const started = Date.now();
  const { colo, error } = await learnColo(ctx, input.colo_trace);
  const rows = await probeAll(ctx, input.due, input.scheduled_ms, {
    concurrency: input.concurrency,
    colo,
  });
  const body = insertBody(ctx, rows);
  const delivery = Array.isArray(body)
    ? await deliverRows(ctx, body)
    : { write: body, flushed: 0, refused: rows.length };
  const dropped_oldest = ctx.backlog.trim(ctx.settings.budget.caps.backlog_max_items);
  const failed = rows.filter((row) => !row.ok);
  const report: RegionReport = {
    region: input.region,
    colo,
    ...(error === undefined ? {} : { colo_error: error }),
    due: input.due.length,
    ok: rows.length - failed.length,
    failed: failed.length,
    by_error_type: countFailures(rows),
    failures: failed.map(({ provider, model, error_type, http_status }) => ({
      provider,
      model,
      error_type,
      http_status,
    })),
    ...delivery,
    stored: delivery.write?.ok ? delivery.write.stored : 0,
    kept: ctx.backlog.counts(),
    dropped_oldest,
    duration_ms: Date.now() - started,
  };
  return { report, transitions: keptTransitions(ctx.backlog), baselines: ctx.backlog.baselines() };
}

export function keptTransitions(backlog: Backlog): KeptTransition[] {
  return backlog.oldest("transition").map((item) => JSON.parse(item.body) as KeptTransition);
}

export interface TransitionChange {
  /** Keys of kept transitions the store now has, or refused for good. */
  done: string[];
  /** Transitions the store could not take in this run, in the order they were decided. */
  keep: KeptTransition[];
  /** Baselines the alert step read this minute, kept until their hour is over. */
  baselines?: HourBaselines;
}

/** Applies the alert step's outcome to the kept transitions; answers what is kept now. */
export function settleTransitions(
  backlog: Backlog,
  change: TransitionChange,
  maxItems: number,
): { kept: BacklogCounts; dropped_oldest: BacklogCounts } {
  if (change.baselines) backlog.keepBaselines(change.baselines);
  backlog.forget(change.done);
  backlog.keep(
    "transition",
    change.keep.map((t) => ({ key: t.key, body: JSON.stringify(t) })),
  );
  const dropped_oldest = backlog.trim(maxItems);
  return { kept: backlog.counts(), dropped_oldest };
}
