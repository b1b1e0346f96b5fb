// One scheduled minute: plan the due probes, run them at most max_concurrency at a time,
// classify each outcome in the core, write the batch once, and log one summary object.
import type { CheckRow, Core, DueProbe } from "./core.ts";
import type { Logger } from "./log.ts";
import { secretRedactor, type Redactor } from "./redact.ts";
import { defaultProbeDeps, runProbe, withConcurrency, type ProbeDeps } from "./probe.ts";
import type { Settings } from "./settings.ts";
import type { WriteResult } from "./store/store.ts";

export interface RunReport {
  scheduled_at: string;
  due: number;
  ok: number;
  failed: number;
  by_error_type: Record<string, number>;
  stored: number | null;
  write: WriteResult;
  duration_ms: number;
}

export interface RunContext {
  core: Core;
  settings: Settings;
  log: Logger;
  probeDeps?: ProbeDeps;
  colo?: string | null;
}

async function probeAndClassify(
  ctx: RunContext,
  due: DueProbe,
  scheduledMs: number,
): Promise<CheckRow> {
  const secret = ctx.settings.secrets[due.request.auth.secret_name];
  const { started_ms, outcome } = await runProbe(due, secret, ctx.probeDeps ?? defaultProbeDeps);
  const answer = ctx.core.classify({
    provider: due.provider,
    model: due.model,
    region: due.region,
    colo: ctx.colo ?? null,
    scheduled_ms: scheduledMs,
    started_ms,
    timeout_ms: due.timeout_ms,
    outcome,
  });
  if (!answer.ok) throw new Error(`core refused a probe outcome: ${JSON.stringify(answer.errors)}`);
  return redactRow(answer.row, secretRedactor(ctx.settings.secretValues));
}

// A provider or proxy quoting a key of any shape cannot put it in a stored row either.
function redactRow(row: CheckRow, redact: Redactor): CheckRow {
  const scrub = (text: string | null) => (text === null ? null : redact(text));
  return { ...row, detail: scrub(row.detail), request_id: scrub(row.request_id) };
}

function countFailures(rows: CheckRow[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) {
    if (row.error_type) counts[row.error_type] = (counts[row.error_type] ?? 0) + 1;
  }
  return counts;
}

async function write(ctx: RunContext, rows: CheckRow[]): Promise<WriteResult> {
  const body = ctx.core.insertBody(rows);
  if (!body.ok)
    return {
      ok: false,
      reason: `insert body refused: ${JSON.stringify(body.errors)}`,
      retryable: false,
    };
  try {
    return await ctx.settings.store.insertChecks(body.body);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `store threw: ${message}`, retryable: true };
  }
}

export async function runScheduled(ctx: RunContext, scheduledTime: number): Promise<RunReport> {
  const started = Date.now();
  const plan = ctx.core.plan(ctx.settings.configJson, scheduledTime);
  if (!plan.ok) throw new Error(`core refused to plan: ${JSON.stringify(plan.errors)}`);

  const rows = await withConcurrency(plan.due, plan.max_concurrency, (due) =>
    probeAndClassify(ctx, due, scheduledTime),
  );
  const result = await write(ctx, rows);
  const failed = rows.filter((row) => !row.ok);
  const report: RunReport = {
    scheduled_at: plan.scheduled_at,
    due: plan.due.length,
    ok: rows.length - failed.length,
    failed: failed.length,
    by_error_type: countFailures(rows),
    stored: result.ok ? result.stored : 0,
    write: result,
    duration_ms: Date.now() - started,
  };
  ctx.log.event("run", {
    ...report,
    store: ctx.settings.store.kind,
    failures: failed.map((r) => ({
      provider: r.provider,
      model: r.model,
      error_type: r.error_type,
      http_status: r.http_status,
    })),
  });
  return report;
}
