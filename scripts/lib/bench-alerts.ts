// CPU time of the scheduled handler's alert step, which runs in the cron invocation itself
// and so has the Free plan's 10 ms of its own: for 6, 18 and 60 targets probed every minute
// from 3 regions, an ordinary minute (the rules' recent rows read, this hour's baselines
// kept by the home object) and the first minute of an hour (the baselines read as well).
// The store hands back parsed JSON exactly as PostgREST's answer would be parsed (the rules'
// columns of each row, the baseline hours' latencies grouped per target, as
// rpc/baseline_latencies groups them), so the parse is counted; nothing fires, as on a quiet
// day.
import type { Core } from "../../worker-shim/src/core.ts";
import { runAlerts, baselineRanges, recentRange } from "../../worker-shim/src/alerts.ts";
import { createLogger } from "../../worker-shim/src/log.ts";
import type { Settings } from "../../worker-shim/src/settings.ts";
import type { TargetLatencies, TimeRange } from "../../worker-shim/src/store/alerts.ts";
import type { RuleRow, Store } from "../../worker-shim/src/store/store.ts";
import { okRow, recordingStore, ruleColumnsOf } from "../../tests/shim/support.ts";
import { percentile } from "./bench-format.ts";
import { benchConfig, TARGET_COUNTS } from "./bench-run.ts";

const REGIONS = ["enam", "weur", "apac"];
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

function rowsIn(settings: Settings, minutes: number[]): RuleRow[] {
  return minutes.flatMap((ms, i) =>
    settings.config.targets.flatMap((t) =>
      REGIONS.map((region) =>
        ruleColumnsOf(
          okRow(t.model, ms, { provider: t.provider, region, latency_ms: 300 + (i % 97) }),
        ),
      ),
    ),
  );
}

function quietStore(settings: Settings, nowMs: number): { store: Store; rows: number } {
  const recentText = JSON.stringify(
    rowsIn(settings, minutesOf([recentRange(settings.budget, nowMs)])),
  );
  const groups = new Map<string, TargetLatencies>();
  for (const r of rowsIn(settings, minutesOf(baselineRanges(settings.budget, nowMs)))) {
    const key = `${r.provider}/${r.model}`;
    const group = groups.get(key) ?? { provider: r.provider, model: r.model, latencies: [] };
    group.latencies.push(r.latency_ms);
    groups.set(key, group);
  }
  const latenciesText = JSON.stringify([...groups.values()]);
  const store: Store = {
    ...recordingStore(),
    checksBetween: async () => ({ ok: true, rows: JSON.parse(recentText) as RuleRow[] }),
    baselineLatencies: async () => ({ ok: true, targets: JSON.parse(latenciesText) }),
  };
  return { store, rows: (JSON.parse(recentText) as unknown[]).length };
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
  const log = createLogger([], () => {});
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
