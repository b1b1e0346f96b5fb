// The probing part of one region's minute: run its due probes at most `concurrency` at a
// time, classify each outcome in the core, and hand the rows to the store as one batch.
import type { CheckRow, Core, DueProbe, Outcome } from "./core.ts";
import type { Logger } from "./log.ts";
import { secretRedactor, type Redactor } from "./redact.ts";
import { defaultProbeDeps, runProbe, staggered, withConcurrency, type ProbeDeps } from "./probe.ts";
import type { Settings } from "./settings.ts";
import type { WriteResult } from "./store/store.ts";

export interface RunContext {
  core: Core;
  settings: Settings;
  log: Logger;
  probeDeps?: ProbeDeps;
}

/** What probing needs: the core, the secrets and how to fetch, but no store. */
export interface ProbeContext {
  core: Core;
  settings: Pick<Settings, "secrets" | "secretValues">;
  probeDeps?: ProbeDeps;
}

async function probeAndClassify(
  ctx: ProbeContext,
  due: DueProbe,
  scheduledMs: number,
  colo: string | null,
): Promise<CheckRow> {
  const secret = ctx.settings.secrets[due.request.auth.secret_name];
  const probed = await runProbe(due, secret, ctx.probeDeps ?? defaultProbeDeps);
  const redact = secretRedactor(ctx.settings.secretValues);
  const { started_ms } = probed;
  const outcome = redactOutcome(probed.outcome, redact);
  const answer = ctx.core.classify({
    provider: due.provider,
    model: due.model,
    region: due.region,
    colo,
    scheduled_ms: scheduledMs,
    started_ms,
    timeout_ms: due.timeout_ms,
    outcome,
  });
  if (!answer.ok) throw new Error(`core refused a probe outcome: ${JSON.stringify(answer.errors)}`);
  return redactRow(answer.row, redact);
}

// Before the core sees the answer: the core cuts what it quotes to a short detail, and a key
// cut in two there would no longer match the redactor afterwards.
function redactOutcome(outcome: Outcome, redact: Redactor): Outcome {
  const out = { ...outcome };
  if (out.body !== undefined) out.body = redact(out.body);
  if (out.headers) {
    out.headers = Object.fromEntries(Object.entries(out.headers).map(([k, v]) => [k, redact(v)]));
  }
  if (out.error) out.error = { ...out.error, message: redact(out.error.message) };
  return out;
}

// A provider or proxy quoting a key of any shape cannot put it in a stored row either.
function redactRow(row: CheckRow, redact: Redactor): CheckRow {
  const scrub = (text: string | null) => (text === null ? null : redact(text));
  return { ...row, detail: scrub(row.detail), request_id: scrub(row.request_id) };
}

/** Every due probe's row, in the order of `due`, with the colo the region runs in. */
export function probeAll(
  ctx: ProbeContext,
  due: readonly DueProbe[],
  scheduledMs: number,
  options: { concurrency: number; colo: string | null },
): Promise<CheckRow[]> {
  // Only the first wave starts at once; later probes start as earlier ones finish.
  return withConcurrency(due, options.concurrency, async (probe, index) => {
    await staggered(index, options.concurrency);
    return probeAndClassify(ctx, probe, scheduledMs, options.colo);
  });
}

/** The rows as the core normalises them for every store: the same keys in the same order. */
export function insertBody(
  ctx: Pick<RunContext, "core">,
  rows: CheckRow[],
): CheckRow[] | WriteResult {
  const body = ctx.core.insertBody(rows);
  if (body.ok) return body.body;
  return {
    ok: false,
    reason: `insert body refused: ${JSON.stringify(body.errors)}`,
    retryable: false,
  };
}

/** One store write; whatever the store throws becomes a retryable failure. */
export async function write(
  ctx: { settings: Pick<Settings, "store"> },
  body: CheckRow[],
): Promise<WriteResult> {
  try {
    return await ctx.settings.store.insertChecks(body);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `store threw: ${message}`, retryable: true };
  }
}

export function countFailures(rows: readonly CheckRow[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) {
    if (row.error_type) counts[row.error_type] = (counts[row.error_type] ?? 0) + 1;
  }
  return counts;
}
