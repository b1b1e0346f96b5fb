// CPU time of one region's whole scheduled minute (runRegion, as its Durable Object runs it) for 6,
// 18 and 60 targets, 1, 3 and 10 per provider, with a store that keeps nothing. Two series: probes
// through Node's fetch to the provider emulator answering at once (a proxy for workerd's client,
// whose CPU accounting is not exposed locally), then the emulator's recorded answers replayed in
// process, which leaves the shim's and the core's own CPU. The emulator runs in a child process so
// its CPU is not counted; this process's CPU (process.cpuUsage, all its threads) is read around
// each run.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

import type { Core } from "../../worker-shim/src/core.ts";
import { createLogger } from "../../worker-shim/src/log.ts";
import { defaultProbeDeps, type ProbeDeps } from "../../worker-shim/src/probe.ts";
import { runRegion, type RegionContext, type RegionResult } from "../../worker-shim/src/region.ts";
import type { Settings } from "../../worker-shim/src/settings.ts";
import type { Store } from "../../worker-shim/src/store/store.ts";
import { memoryBacklog, recordingStore } from "../../tests/shim/support.ts";
import { ROOT } from "./bench-core.ts";

const PROVIDERS = ["openai", "anthropic", "gemini", "xai", "cohere", "mistral"];
export const TARGET_COUNTS = [6, 18, 60] as const;
const WARM_UP_RUNS = 5;
const MEASURED_RUNS = 60;
const FIRST_MINUTE_MS = Date.UTC(2026, 11, 3, 12, 0);

export interface RunFigure {
  bench: "scheduled_run_cpu";
  fetch: "node" | "replay";
  targets: number;
  /** False when the Free plan's budget refuses this many targets due in one minute. */
  within_free_budget: boolean;
  runs: number;
  median_ms: number;
  p95_ms: number;
  min_ms: number;
  max_ms: number;
  median_wall_ms: number;
}

interface Emulator {
  url: string;
  stop: () => void;
}

function startEmulator(): Promise<Emulator> {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(ROOT, "tests/emulator/server.mjs"), "--port", "0"],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`emulator exited early with ${code}`)));
    createInterface({ input: child.stdout! }).once("line", (line) => {
      const { event, port } = JSON.parse(line) as { event: string; port: number };
      if (event !== "emulator_listening") reject(new Error(`emulator said ${line}`));
      resolve({ url: `http://127.0.0.1:${port}`, stop: () => child.kill("SIGTERM") });
    });
  });
}

// The shipped targets with cadence 1, each provider filled up to `perProvider` models.
export function benchConfig(origin: string, perProvider: number, regions = ["enam"]): string {
  const shipped = JSON.parse(
    readFileSync(join(ROOT, "worker-shim/config/healthboard.json"), "utf8"),
  ) as { targets: Array<{ provider: string; model: string }> } & Record<string, unknown>;
  const targets = PROVIDERS.flatMap((provider) => {
    const own = shipped.targets.filter((t) => t.provider === provider);
    if (own.length === 0) throw new Error(`healthboard.json has no ${provider} target`);
    return Array.from({ length: perProvider }, (_, i) => {
      const base = own[i % own.length]!;
      const model = i < own.length ? base.model : `${base.model}-bench-${i}`;
      return { ...base, model, cadence_min: 1, enabled: true };
    });
  });
  return JSON.stringify({ ...shipped, regions, provider_origin: origin, targets });
}

const noStore: Store = recordingStore();

// 60 targets due in one minute are more subrequests than the Free plan allows one object, so
// the budget refuses that configuration; its run is measured anyway to show the growth, with
// the budget of the smallest configuration (the caps a run applies are the same).
function benchContext(core: Core, origin: string, perProvider: number): RegionContext {
  const configJson = benchConfig(origin, perProvider);
  const answer = core.validateConfig(configJson);
  const costed = core.budget(benchConfig(origin, 1));
  const priced = core.cost(configJson);
  if (!answer.ok || !costed.ok || !priced.ok)
    throw new Error(`bench config refused: ${configJson}`);
  const { budget } = costed;
  const secrets: Record<string, string> = {};
  for (const p of PROVIDERS) secrets[`${p.toUpperCase()}_API_KEY`] = `bench-fake-key-${p}`;
  const settings: Settings = {
    configJson,
    config: answer.config,
    budget,
    cost: priced.cost,
    store: noStore,
    secrets,
    secretValues: Object.values(secrets),
    channels: [],
  };
  // The run's log line is built and scrubbed as in the Worker, then dropped.
  const log = createLogger(settings.secretValues, () => {});
  return { core, settings, log, backlog: memoryBacklog() };
}

export const withinFreeBudget = (core: Core, perProvider: number) =>
  core.budget(benchConfig("http://127.0.0.1:9", perProvider)).ok;

// One region's share of the minute, as the scheduled handler hands it to the object.
function runMinute(ctx: RegionContext, scheduledMs: number): Promise<RegionResult> {
  const plan = ctx.core.plan(ctx.settings.configJson, scheduledMs);
  if (!plan.ok || !plan.regions[0]) throw new Error(`no plan: ${JSON.stringify(plan)}`);
  const { region, colo_trace } = plan.regions[0];
  const due = plan.due.filter((p) => p.region === region);
  const input = { scheduled_ms: scheduledMs, region, colo_trace, due, concurrency: 6 };
  return runRegion(ctx, input);
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

interface Samples {
  cpu: number[];
  wall: number[];
}

// Runs `runs` scheduled minutes after a warm-up; each one's CPU and wall ms, sorted.
async function series(ctx: RegionContext, runs: number): Promise<Samples> {
  const targets = ctx.settings.config.targets.length;
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let run = -WARM_UP_RUNS; run < runs; ++run) {
    const before = process.cpuUsage();
    const minute = FIRST_MINUTE_MS + (run + WARM_UP_RUNS) * 60_000;
    const { report } = await runMinute(ctx, minute);
    const used = process.cpuUsage(before);
    // Every probe must succeed: anything else means the run measured an error path.
    if (report.due !== targets || report.ok !== targets || !report.write?.ok) {
      throw new Error(`scheduled run did not succeed: ${JSON.stringify(report)}`);
    }
    if (run < 0) continue;
    cpu.push((used.user + used.system) / 1000);
    wall.push(report.duration_ms);
  }
  return { cpu: cpu.sort((a, b) => a - b), wall: wall.sort((a, b) => a - b) };
}

function figure(
  fetch: RunFigure["fetch"],
  targets: number,
  within: boolean,
  { cpu, wall }: Samples,
): RunFigure {
  return {
    bench: "scheduled_run_cpu",
    fetch,
    targets,
    within_free_budget: within,
    runs: cpu.length,
    median_ms: percentile(cpu, 50),
    p95_ms: percentile(cpu, 95),
    min_ms: cpu[0]!,
    max_ms: cpu[cpu.length - 1]!,
    median_wall_ms: percentile(wall, 50),
  };
}

interface Answer {
  status: number;
  headers: [string, string][];
  body: string;
}

const requestKey = (input: RequestInfo | URL, init?: RequestInit): string =>
  `${String(input)} ${String(init?.body ?? "")}`;

// Node's fetch, keeping the emulator's answer to each request.
function recordingDeps(answers: Map<string, Answer>): ProbeDeps {
  const record: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const body = await response.text();
    const answer = { status: response.status, headers: [...response.headers], body };
    answers.set(requestKey(input, init), answer);
    return new Response(answer.body, answer);
  };
  return { ...defaultProbeDeps, fetch: record };
}

// The recorded answers as fresh Responses: the run without any HTTP client.
function replayingDeps(answers: Map<string, Answer>): ProbeDeps {
  const replay: typeof fetch = async (input, init) => {
    const answer = answers.get(requestKey(input, init));
    if (!answer) throw new Error(`no recorded answer for ${requestKey(input, init)}`);
    return new Response(answer.body, answer);
  };
  return { ...defaultProbeDeps, fetch: replay };
}

// First through Node's fetch to the emulator, then with the emulator's recorded answers
// replayed in process, which leaves the shim's and the core's own CPU.
export async function benchScheduledRun(core: Core): Promise<RunFigure[]> {
  const emulator = await startEmulator();
  try {
    const figures: RunFigure[] = [];
    for (const count of TARGET_COUNTS) {
      const perProvider = count / PROVIDERS.length;
      const ctx = benchContext(core, emulator.url, perProvider);
      const within = withinFreeBudget(core, perProvider);
      const answers = new Map<string, Answer>();
      figures.push(figure("node", count, within, await series(ctx, MEASURED_RUNS)));
      await runMinute({ ...ctx, probeDeps: recordingDeps(answers) }, FIRST_MINUTE_MS);
      const replayed = { ...ctx, probeDeps: replayingDeps(answers) };
      figures.push(figure("replay", count, within, await series(replayed, MEASURED_RUNS)));
    }
    return figures;
  } finally {
    emulator.stop();
  }
}
