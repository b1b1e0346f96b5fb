// CPU time of the scheduled handler's alert step, which runs in the cron invocation itself
// and so has the Free plan's 10 ms of its own: for 6, 18 and 60 targets probed every minute
// from 3 regions, an ordinary minute (the rules' recent rows read, this hour's baselines
// kept by the home object) and the first minute of an hour (the baselines read as well).
// The step reads through the real PostgREST store, answered in-process with the pages
// Supabase would send, so the store's own handling of them is counted; nothing fires, as on
// a quiet day.
import type { Core } from "../../worker-shim/src/core.ts";
import {
  runAlerts,
  baselineRanges,
  outsideRange,
  recentRange,
} from "../../worker-shim/src/alerts.ts";
import { createLogger } from "../../worker-shim/src/log.ts";
import type { Settings } from "../../worker-shim/src/settings.ts";
import type { TargetLatencies, TimeRange } from "../../worker-shim/src/store/alerts.ts";
import { PostgrestStore } from "../../worker-shim/src/store/postgrest.ts";
import type { RuleRow, Store } from "../../worker-shim/src/store/store.ts";
import { okRow, recordingStore, ruleColumnsOf } from "../../tests/shim/support.ts";
import { percentile } from "./bench-format.ts";
import { benchConfig, TARGET_COUNTS } from "./bench-run.ts";

const REGIONS = ["enam", "weur", "apac"];
const OUTSIDE = "gha-eastus";
const RUNS = 30;
const WARM_UP = 10;
const NOW = Date.UTC(2026, 11, 10, 14, 0);
const MINUTE_MS = 60_000;

export interface AlertStepFigure {
  bench: "alert_step_cpu";
  minute: "ordinary" | "first of the hour";
  targets: number;
  rows_read: number;
  runs: number;
  median_ms: number;
  p95_ms: number;
  max_ms: number;
}

function minutesOf(ranges: TimeRange[]): number[] {
  return ranges.flatMap(({ from, to }) => {
    const out: number[] = [];
    for (let ms = Date.parse(from); ms <= Date.parse(to); ms += MINUTE_MS) out.push(ms);
    return out;
  });
}

// PostgREST writes timestamptz with the session's offset, UTC on Supabase: "+00:00", not "Z".
const postgrestTime = (iso: string) => iso.replace(/Z$/, "+00:00");

// Every target from every Cloudflare region each minute, and, as the documented GitHub
// Actions vantage adds them, one row per target every 5 minutes from outside Cloudflare.
function rowsIn(settings: Settings, minutes: number[], regions: string[]): RuleRow[] {
  return minutes.flatMap((ms, i) =>
    settings.config.targets.flatMap((t) =>
      regions.map((region) => {
        const row = ruleColumnsOf(
          okRow(t.model, ms, { provider: t.provider, region, latency_ms: 300 + (i % 97) }),
        );
        return { ...row, scheduled_at: postgrestTime(row.scheduled_at), ts: postgrestTime(row.ts) };
      }),
    ),
  );
}

const onOutsideMinutes = (minutes: number[]) => minutes.filter((ms) => (ms / MINUTE_MS) % 5 === 0);

function latencyGroups(rows: RuleRow[]): TargetLatencies[] {
  const groups = new Map<string, TargetLatencies>();
  for (const r of rows) {
    const key = `${r.provider}/${r.model}`;
    const group = groups.get(key) ?? { provider: r.provider, model: r.model, latencies: [] };
    group.latencies.push(r.latency_ms);
    groups.set(key, group);
  }
  return [...groups.values()];
}

const SUPABASE_MAX_ROWS = 1000; // PostgREST's db-max-rows as Supabase sets it

/** One read's answer in PostgREST's pages, each already the text PostgREST would send. */
function pagedAnswer(rows: unknown[]): { pages: string[]; total: number } {
  const pages: string[] = [];
  for (let at = 0; at < rows.length; at += SUPABASE_MAX_ROWS) {
    pages.push(JSON.stringify(rows.slice(at, at + SUPABASE_MAX_ROWS)));
  }
  return { pages: pages.length > 0 ? pages : ["[]"], total: rows.length };
}

function pageResponse({ pages, total }: { pages: string[]; total: number }, url: URL): Response {
  const offset = Number(url.searchParams.get("offset") ?? 0);
  const page = pages[offset / SUPABASE_MAX_ROWS] ?? "[]";
  const end = Math.min(offset + SUPABASE_MAX_ROWS, total) - 1;
  const range = end >= offset ? `${offset}-${end}/${total}` : `*/${total}`;
  return new Response(page, {
    headers: { "content-type": "application/json", "content-range": range },
  });
}

// The real PostgREST store, answered in-process as Supabase would answer each read: the recent
// rows from everywhere, the outside vantage's alone before them, the baseline hours' Cloudflare
// latencies grouped per target, and no open alert or due delivery. Any other request fails,
// and so stops the bench.
function quietStore(settings: Settings, nowMs: number): { store: Store; rows: number } {
  const recent = minutesOf([recentRange(settings.budget, nowMs)]);
  const before = onOutsideMinutes(minutesOf([outsideRange(settings.budget, nowMs)]));
  const recentRows = [
    ...rowsIn(settings, recent, REGIONS),
    ...rowsIn(settings, onOutsideMinutes(recent), [OUTSIDE]),
  ];
  const outsideRows = rowsIn(settings, before, [OUTSIDE]);
  const baselineMinutes = minutesOf(baselineRanges(settings.budget, nowMs));
  const answers = {
    recent: pagedAnswer(recentRows),
    outside: pagedAnswer(outsideRows),
    none: pagedAnswer([]),
    latencies: JSON.stringify(latencyGroups(rowsIn(settings, baselineMinutes, REGIONS))),
  };
  const answer = async (input: RequestInfo | URL): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const path = url.pathname.replace(/^\/rest\/v1\//, "");
    if (path === "llm_checks") {
      return pageResponse(url.searchParams.has("region") ? answers.outside : answers.recent, url);
    }
    // No alert open, no message due: the alert step of a quiet minute.
    if (["alerts", "alert_deliveries", "alert_deliveries_due"].includes(path)) {
      return pageResponse(answers.none, url);
    }
    if (path === "rpc/baseline_latencies") return new Response(answers.latencies);
    throw new Error(`the alert step bench has no answer for ${path}`);
  };
  const store = new PostgrestStore({
    url: "https://bench.supabase.co",
    serviceKey: "bench",
    fetch: answer as typeof fetch,
  });
  return { store, rows: recentRows.length + outsideRows.length };
}

function settingsFor(core: Core, count: number): Settings {
  const configJson = benchConfig("http://127.0.0.1:9", count / 6, REGIONS);
  const answer = core.validateConfig(configJson);
  // 60 targets every minute exceed the Free plan's subrequests, so the core refuses their
  // budget; the reads it plans depend on the rules alone, the same for every size here.
  const costed = core.budget(benchConfig("http://127.0.0.1:9", 1, REGIONS));
  const priced = core.cost(configJson);
  if (!answer.ok || !costed.ok || !priced.ok) throw new Error(`bench config refused`);
  return {
    configJson,
    config: answer.config,
    budget: costed.budget,
    cost: priced.cost,
    store: recordingStore(),
    secrets: {},
    secretValues: [],
    channels: [],
  };
}

async function measure(core: Core, count: number, firstOfHour: boolean): Promise<AlertStepFigure> {
  const settings = settingsFor(core, count);
  const { store, rows } = quietStore(settings, NOW);
  settings.store = store;
  // A read that fails is only logged by the step, which then does less: that would be a
  // cheaper figure for the wrong reason, so any such event stops the bench.
  const log = createLogger([], (line) => {
    const { event } = JSON.parse(line) as { event: string };
    if (/_(unreadable|refused)$/.test(event)) throw new Error(`the alert step bench: ${line}`);
  });
  const baselines = await runAlerts({ core, settings, log, baselines: null }, NOW);
  const kept = firstOfHour ? null : (baselines.change.baselines ?? null);
  const cpu: number[] = [];
  for (let run = -WARM_UP; run < RUNS; ++run) {
    const before = process.cpuUsage();
    const { report } = await runAlerts({ core, settings, log, baselines: kept }, NOW);
    const used = process.cpuUsage(before);
    if (report.error || report.actions !== 0) {
      throw new Error(`the alert step did not run quietly: ${JSON.stringify(report)}`);
    }
    if (run >= 0) cpu.push((used.user + used.system) / 1000);
  }
  cpu.sort((a, b) => a - b);
  return {
    bench: "alert_step_cpu",
    minute: firstOfHour ? "first of the hour" : "ordinary",
    targets: count,
    rows_read: rows,
    runs: cpu.length,
    median_ms: percentile(cpu, 50),
    p95_ms: percentile(cpu, 95),
    max_ms: cpu[cpu.length - 1]!,
  };
}

export async function benchAlertStep(core: Core): Promise<AlertStepFigure[]> {
  const figures: AlertStepFigure[] = [];
  for (const count of TARGET_COUNTS) {
    figures.push(await measure(core, count, false));
    figures.push(await measure(core, count, true));
  }
  return figures;
}
