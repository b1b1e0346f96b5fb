// A run from outside Cloudflare (a GitHub Actions runner, a server, a laptop): every enabled
// target once, from one named vantage point, through the same probe, classifier, row builder
// and store write as a region's minute. Its rows carry the vantage name as their region and
// no colo, so they are never read as a Cloudflare region's.
import type { CheckRow, Core, DueProbe } from "./core.ts";
import { countFailures, insertBody, probeAll, write, type ProbeContext } from "./run.ts";
import type { RunSettings } from "./settings.ts";
import type { Store, WriteResult } from "./store/store.ts";

// Every Cloudflare location hint (wnam, enam, ..., me) is letters only, so the "-" a vantage
// name must contain keeps each of them out.
const VANTAGE_NAME = /^[a-z][a-z0-9-]{1,62}$/;
const MINUTE_MS = 60_000;

/** Why `name` cannot label rows probed outside Cloudflare, or null if it can. */
export function vantageProblem(name: string): string | null {
  if (VANTAGE_NAME.test(name) && name.includes("-")) return null;
  return (
    `${JSON.stringify(name)} is not a vantage name: 2 to 63 characters of a-z, 0-9 and "-", ` +
    'starting with a letter and containing a "-" (for example gha-eastus or ext-laptop)'
  );
}

/** `ext-<host>`: the default name of a vantage that was given none, from its host name. */
export function defaultVantage(host: string): string {
  const cleaned = host
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return `ext-${cleaned || "host"}`.slice(0, 63).replace(/-+$/, "");
}

/** The start of the minute `ms` falls in: the scheduled_at of a run started then. */
export const minuteOf = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

export interface OutsideContext extends ProbeContext {
  settings: RunSettings;
  /** Null: the rows are only handed back, for printing. */
  store: Store | null;
}

export interface OutsideReport {
  vantage: string;
  scheduled_at: string;
  due: number;
  ok: number;
  failed: number;
  by_error_type: Record<string, number>;
  store: Store["kind"] | null;
  /** Null when there is no store to write to. */
  write: WriteResult | null;
  duration_ms: number;
}

export type OutsideResult =
  | { complete: true; report: OutsideReport; rows: CheckRow[] }
  /** `rows`: whatever was recorded before the run stopped, so that none of it is lost. */
  | { complete: false; stage: "probe" | "store"; reason: string; rows: CheckRow[] };

/** One probe of each enabled target from `vantage`, its request built by the core. */
export function outsideProbes(
  core: Core,
  settings: Pick<RunSettings, "configJson" | "config">,
  vantage: string,
): DueProbe[] | string {
  const due: DueProbe[] = [];
  for (const target of settings.config.targets.filter((t) => t.enabled)) {
    const answer = core.buildRequest(settings.configJson, target.id, vantage);
    if (!answer.ok) return `core refused ${target.id}: ${JSON.stringify(answer.errors)}`;
    due.push({
      reason: "cadence",
      target_id: target.id,
      provider: target.provider,
      model: target.model,
      region: vantage,
      timeout_ms: target.timeout_ms,
      request: answer.request,
    });
  }
  return due;
}

/** The probes whose credential is set. */
export function keyedProbes(due: readonly DueProbe[], settings: Pick<RunSettings, "secrets">) {
  return due.filter((probe) => Boolean(settings.secrets[probe.request.auth.secret_name]));
}

export async function runOutside(
  ctx: OutsideContext,
  input: { vantage: string; due: DueProbe[]; started_ms: number },
): Promise<OutsideResult> {
  const scheduledMs = minuteOf(input.started_ms);
  let rows: CheckRow[];
  try {
    rows = await probeAll(ctx, input.due, scheduledMs, {
      concurrency: ctx.settings.config.max_concurrency,
      colo: null,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { complete: false, stage: "probe", reason, rows: [] };
  }
  const body = insertBody(ctx, rows);
  if (!Array.isArray(body)) {
    return { complete: false, stage: "probe", reason: reasonOf(body), rows };
  }
  const written = ctx.store ? await write({ settings: { store: ctx.store } }, body) : null;
  if (written && !written.ok) {
    return { complete: false, stage: "store", reason: written.reason, rows: body };
  }
  const failed = body.filter((row) => !row.ok).length;
  const report: OutsideReport = {
    vantage: input.vantage,
    scheduled_at: new Date(scheduledMs).toISOString().replace(".000Z", "Z"),
    due: input.due.length,
    ok: body.length - failed,
    failed,
    by_error_type: countFailures(body),
    store: ctx.store?.kind ?? null,
    write: written,
    duration_ms: Date.now() - input.started_ms,
  };
  return { complete: true, report, rows: body };
}

const reasonOf = (result: WriteResult) => (result.ok ? "" : result.reason);
