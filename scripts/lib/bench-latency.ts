// Latency accuracy: the provider emulator holds each of five endpoints for a known time, and
// seven clients time the same request to it in the same rounds. HeyHi three times: the Worker
// under `wrangler dev` (workerd), its latency_ms read back from the rows it stored in local
// D1; its probe path in the workerd binary alone, without the outbound Worker that wrangler
// dev puts before every subrequest (latency-workerd/worker.ts); and the outside vantage's
// path (the same probe and classify code under Node, as node-main.ts runs it). Its peers are
// curl (time_total) and Prometheus' blackbox_exporter (probe_duration_seconds); and the
// runtime's floor is a Worker timing a bare fetch() (latency-floor/worker.ts), under a
// `wrangler dev` of its own and in workerd alone.
// Each error is measured minus injected. Runs standalone too:
//   node_modules/.bin/node scripts/lib/bench-latency.ts [--samples N] [--delays 0,50,200]
// after scripts/build, with prometheus-blackbox-exporter installed (scripts/setup).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import type { CheckRow, Core, DueProbe } from "../../worker-shim/src/core.ts";
import { probeAll } from "../../worker-shim/src/run.ts";
import { loadBuiltCore } from "./bench-core.ts";
import { fixed, percentile, table } from "./bench-format.ts";
import {
  applyD1Migrations,
  bundleWorker,
  childEnv,
  freePort,
  queryD1,
  ROOT,
  startWrangler,
} from "./harness.ts";

export const DELAYS_MS = [0, 50, 200, 1000, 3000];
export const SAMPLES = 12;
export const GOAL_ABS_ERROR_MS = 2;
export const TOOLS = [
  "heyhi",
  "heyhi_workerd",
  "heyhi_node",
  "curl",
  "blackbox",
  "workerd_fetch",
  "workerd_alone_fetch",
] as const;
const HEYHI_TOOLS: readonly Tool[] = ["heyhi", "heyhi_workerd", "heyhi_node"];
// Each of HeyHi's lines in workerd with the bare fetch() of the same runtime and setting, so that
// what the setting itself costs (wrangler dev's outbound Worker) cancels out.
const FLOORS: ReadonlyArray<readonly [Tool, Tool]> = [
  ["heyhi", "workerd_fetch"],
  ["heyhi_workerd", "workerd_alone_fetch"],
];
export type Tool = (typeof TOOLS)[number];

const PROVIDER = "openai";
const SECRET_NAME = "OPENAI_API_KEY";
const FAKE_KEY = "bench-latency-key";
const TIMEOUT_MS = 6000; // above the longest delay, so no probe is cut short
const BLACKBOX = "/usr/bin/prometheus-blackbox-exporter";
const WORKERD = join(ROOT, "node_modules/.bin/workerd");
const FLOOR_NAME = "heyhi-latency-floor";
const ALONE_NAME = "heyhi-latency-workerd";
// Each tool starts its round this long after the previous one, so that no two tools' requests
// to the same endpoint reach the emulator, or leave it, in the same moment.
const STAGGER_MS = 300;
const WARM_UP_ROUNDS = 1;

const model = (delayMs: number) => `bench-latency-${delayMs}ms`;
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
// Progress on stderr, as scripts/lib/common.sh's step lines, so stdout keeps the report.
const step = (what: string) =>
  process.stderr.write(`${JSON.stringify({ event: "step", step: `latency: ${what}` })}\n`);

export interface LatencySample {
  tool: Tool;
  delay_ms: number;
  round: number;
  ok: boolean;
  status: number | null;
  measured_ms: number;
  /** HeyHi's: when its probe's clock started (the row's ts), and how long until the emulator
   * had the request. */
  started_at?: string;
  to_emulator_ms?: number;
}

export interface LatencyOptions {
  delays?: number[];
  samples?: number;
}

export interface Endpoint {
  delay_ms: number;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

interface Child {
  url: string;
  stop: () => Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once("exit", done));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
}

/** How long the emulator itself held one request: receipt to the start of its answer. */
export interface Hold {
  delay_ms: number;
  held_ms: number;
}

interface Emulator extends Child {
  /** The holds logged so far, once there are `count` or after two seconds. */
  holds: (count: number) => Promise<Hold[]>;
}

const delayOf = (name: string | null | undefined) => Number(/-(\d+)ms$/.exec(name ?? "")?.[1]);

type LogLine = { event?: string; model?: string; held_ms?: number | null };

function parseLogLine(line: string): LogLine | undefined {
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return undefined; // not one of the emulator's own lines, such as a Node warning
  }
}

// The log reaches this process through a pipe, a little after each answer.
async function holdsAtLeast(holds: Hold[], count: number): Promise<Hold[]> {
  const deadline = Date.now() + 2000;
  while (holds.length < count && Date.now() < deadline) await sleep(20);
  return [...holds];
}

// In a process of its own, so that this one's work (spawning curl, reading answers) never
// delays the emulator's timers. Its request log says how long it held each one.
function startEmulator(faultsPath: string): Promise<Emulator> {
  const child = spawn(
    process.execPath,
    [join(ROOT, "tests/emulator/server.mjs"), "--port", "0", "--faults", faultsPath],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const holds: Hold[] = [];
  createInterface({ input: child.stderr }).on("line", (line) => {
    const logged = parseLogLine(line);
    const delay_ms = delayOf(logged?.model);
    const held_ms = logged?.held_ms;
    if (logged?.event !== "request" || !Number.isFinite(delay_ms) || typeof held_ms !== "number") {
      return;
    }
    holds.push({ delay_ms, held_ms });
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`emulator exited early with ${code}`)));
    createInterface({ input: child.stdout }).once("line", (line) => {
      const { event, port } = JSON.parse(line) as { event: string; port: number };
      if (event !== "emulator_listening") reject(new Error(`emulator said ${line}`));
      const url = `http://127.0.0.1:${port}`;
      resolve({ url, stop: stopper(child), holds: (count) => holdsAtLeast(holds, count) });
    });
  });
}

function faults(delays: number[]): object {
  const rules = delays.map((d) => ({ provider: PROVIDER, model: model(d), latency_ms: d }));
  return { seed: 1, rules };
}

function heyhiConfig(delays: number[]): string {
  const targets = delays.map((d) => ({
    provider: PROVIDER,
    model: model(d),
    cadence_min: 1,
    timeout_ms: TIMEOUT_MS,
  }));
  return JSON.stringify({ regions: ["enam"], targets });
}

// The requests the Worker sends, as the core plans them for the same configuration, with the
// key where the Worker puts it: the peers send exactly these.
async function endpoints(
  core: Core,
  configJson: string,
  origin: string,
): Promise<{ points: Endpoint[]; due: DueProbe[] }> {
  const config = JSON.stringify({ ...JSON.parse(configJson), provider_origin: origin });
  const plan = core.plan(config, Date.now());
  if (!plan.ok) throw new Error(`core refused the latency config: ${JSON.stringify(plan)}`);
  const points = plan.due.map(({ model: name, request }) => {
    const { header, prefix } = request.auth;
    return {
      delay_ms: delayOf(name),
      method: request.method,
      url: request.url,
      headers: { ...request.headers, [header]: prefix + FAKE_KEY },
      body: request.body,
    };
  });
  return { points, due: plan.due };
}

// HeyHi's probe and classification code as its outside vantage runs it (node-main.ts), in
// this long-lived process: every delay at once, the recorded latency_ms of each row. A fresh
// process pays Node's HTTP client start-up on its first requests, which this leaves out.
const SECRETS = { [SECRET_NAME]: FAKE_KEY };

async function nodeRound(core: Core, due: DueProbe[], round: number): Promise<LatencySample[]> {
  const settings = { secrets: SECRETS, secretValues: [FAKE_KEY] };
  const rows = await probeAll({ core, settings }, due, Date.now(), {
    concurrency: due.length,
    colo: null,
  });
  return rowSamples("heyhi_node", rows, round);
}

// HeyHi's probe path in the workerd binary alone (latency-workerd/worker.ts).
async function aloneRound(url: string, due: DueProbe[], round: number): Promise<LatencySample[]> {
  const answer = await fetch(`${url}/heyhi`, {
    method: "POST",
    body: JSON.stringify({ due, secrets: SECRETS }),
  });
  if (!answer.ok) throw new Error(`HeyHi under workerd alone answered ${answer.status}`);
  return rowSamples("heyhi_workerd", (await answer.json()) as CheckRow[], round);
}

function rowSamples(tool: Tool, rows: CheckRow[], round: number): LatencySample[] {
  return rows.map((row) => ({
    tool,
    delay_ms: delayOf(row.model),
    round,
    ok: row.ok && row.http_status === 200,
    status: row.http_status,
    measured_ms: row.latency_ms,
  }));
}

const moduleName = (delayMs: number) => `delay_${delayMs}`;

// JSON is YAML, which spares escaping the body and headers by hand.
function blackboxConfig(points: Endpoint[]): string {
  const modules: Record<string, object> = {};
  for (const p of points) {
    modules[moduleName(p.delay_ms)] = {
      prober: "http",
      timeout: `${TIMEOUT_MS}ms`,
      http: {
        method: p.method,
        headers: p.headers,
        body: p.body,
        valid_status_codes: [200],
        preferred_ip_protocol: "ip4",
        ip_protocol_fallback: false,
        follow_redirects: false,
      },
    };
  }
  return JSON.stringify({ modules }, null, 2);
}

async function startBlackbox(configPath: string): Promise<Child> {
  await run(BLACKBOX, [`--config.file=${configPath}`, "--config.check"]).catch(
    (error: Error & { stderr?: string }) => {
      throw new Error(`blackbox_exporter refused its config: ${error.stderr ?? error.message}`);
    },
  );
  // A port of its own on loopback: the package's service, if it runs, keeps 9115.
  const port = await freePort();
  const child = spawn(
    BLACKBOX,
    [`--config.file=${configPath}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  return ready(child, "blackbox_exporter", `http://127.0.0.1:${port}`, "/-/healthy");
}

// Once `url + path` answers 200, the child and how to stop it.
async function ready(child: ChildProcess, name: string, url: string, path: string) {
  let stderr = "";
  let failed: Error | undefined; // a binary that cannot start says so here, not by exiting
  child.once("error", (error) => (failed = error));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (failed) throw new Error(`${name} did not start: ${failed.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}): ${stderr}`);
    }
    const healthy = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) return { url, stop: stopper(child) };
    await sleep(100);
  }
  await stopper(child)();
  throw new Error(`${name} not ready on ${url}: ${stderr}`);
}

async function curlOnce(p: Endpoint, round: number): Promise<LatencySample> {
  const args = ["-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_total}"];
  args.push("--max-time", String(TIMEOUT_MS / 1000), "-X", p.method);
  for (const [name, value] of Object.entries(p.headers)) args.push("-H", `${name}: ${value}`);
  args.push("--data-binary", p.body, p.url);
  // A failed transfer still prints the -w line (code 000), which makes a sample not ok.
  const { stdout } = await run("curl", args).catch((error: { stdout?: string }) => ({
    stdout: error.stdout ?? "0 NaN",
  }));
  const [code, seconds] = stdout.trim().split(" ").map(Number);
  const status = code || null;
  const ok = status === 200 && Number.isFinite(seconds);
  return { tool: "curl", delay_ms: p.delay_ms, round, ok, status, measured_ms: seconds! * 1000 };
}

function metric(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return match ? Number(match[1]) : undefined;
}

async function blackboxOnce(base: string, p: Endpoint, round: number): Promise<LatencySample> {
  const query = new URLSearchParams({ target: p.url, module: moduleName(p.delay_ms) });
  const text = await fetch(`${base}/probe?${query}`).then(
    (r) => r.text(),
    () => "",
  );
  const status = metric(text, "probe_http_status_code") ?? null;
  const seconds = metric(text, "probe_duration_seconds");
  const ok = metric(text, "probe_success") === 1 && status === 200 && seconds !== undefined;
  const measured_ms = (seconds ?? NaN) * 1000;
  return { tool: "blackbox", delay_ms: p.delay_ms, round, ok, status, measured_ms };
}

interface FloorSample {
  delay_ms: number;
  status: number | null;
  measured_ms: number;
}

function compatibilityDate(): string {
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const date = /^compatibility_date = "([^"]+)"/m.exec(toml)?.[1];
  if (!date) throw new Error("wrangler.toml has no compatibility_date for the bench's Workers");
  return date;
}

// A wrangler.toml for one of the bench's own Workers: HeyHi's compatibility date, nothing
// bound, and the core's module taken compiled, as HeyHi's own wrangler.toml takes it.
function benchWorkerConfig(work: string, name: string, main: string): string {
  const path = join(work, `${name}.toml`);
  // TOML's basic strings escape as JSON's do.
  const [n, m, d] = [name, join(ROOT, main), compatibilityDate()].map((v) => JSON.stringify(v));
  const rule = `[[rules]]\ntype = "CompiledWasm"\nglobs = ["**/*.wasm"]\nfallthrough = true\n`;
  writeFileSync(path, `name = ${n}\nmain = ${m}\ncompatibility_date = ${d}\n${rule}`);
  return path;
}

// workerd's own configuration for the bundle in `dir`: one Worker on a loopback socket, its
// subrequests straight to the network, as a deployed Worker's leave the runtime.
function workerdConfig(dir: string, port: number, date: string): string {
  const files = readdirSync(dir);
  const scripts = files.filter((file) => file.endsWith(".js"));
  // workerd takes the first module as the Worker's own.
  if (scripts.length !== 1) throw new Error(`the bundle in ${dir} has ${scripts.length} scripts`);
  const quote = (file: string) => JSON.stringify(file);
  const modules = [
    `(name = ${quote(scripts[0]!)}, esModule = embed ${quote(scripts[0]!)})`,
    ...files
      .filter((file) => file.endsWith(".wasm"))
      .map((file) => `(name = ${quote(file)}, wasm = embed ${quote(file)})`),
  ];
  return [
    `using Workerd = import "/workerd/workerd.capnp";`,
    `const config :Workerd.Config = (`,
    `  services = [`,
    `    (name = "bench", worker = .bench),`,
    // The emulator listens on loopback, which a network service refuses unless allowed.
    `    (name = "internet", network = (allow = ["public", "private", "local"])),`,
    `  ],`,
    `  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "bench")],`,
    `);`,
    `const bench :Workerd.Worker = (`,
    `  modules = [${modules.join(", ")}],`,
    `  compatibilityDate = ${JSON.stringify(date)},`,
    `  globalOutbound = "internet",`,
    `);`,
    ``,
  ].join("\n");
}

// wrangler dev runs a Worker whose compatibility date is newer than its workerd on that
// workerd's own date; workerd alone refuses to start, so the bench does as wrangler does.
async function supportedDate(wanted: string): Promise<string> {
  const { stdout } = await run(WORKERD, ["--version"]);
  const own = /\d{4}-\d{2}-\d{2}/.exec(stdout)?.[0];
  if (!own) throw new Error(`workerd --version said ${JSON.stringify(stdout)}, with no date`);
  return wanted > own ? own : wanted;
}

// HeyHi's probe path and the floor in the workerd binary alone, bundled as wrangler would
// deploy them.
async function startWorkerdAlone(work: string): Promise<Child> {
  const dir = join(work, "alone");
  bundleWorker(benchWorkerConfig(work, ALONE_NAME, "scripts/lib/latency-workerd/worker.ts"), dir);
  const port = await freePort();
  const config = join(dir, "workerd.capnp");
  writeFileSync(config, workerdConfig(dir, port, await supportedDate(compatibilityDate())));
  const child = spawn(WORKERD, ["serve", config], {
    env: childEnv(),
    stdio: ["ignore", "ignore", "pipe"],
  });
  return ready(child, "workerd", `http://127.0.0.1:${port}`, "/");
}

async function floorRound(
  url: string,
  points: Endpoint[],
  round: number,
  tool: "workerd_fetch" | "workerd_alone_fetch",
): Promise<LatencySample[]> {
  const answer = await fetch(url, { method: "POST", body: JSON.stringify(points) });
  if (!answer.ok) throw new Error(`the floor Worker answered ${answer.status}`);
  return ((await answer.json()) as FloorSample[]).map((s) => ({
    tool,
    delay_ms: s.delay_ms,
    round,
    ok: s.status === 200,
    status: s.status,
    measured_ms: s.measured_ms,
  }));
}

interface StoredCheck {
  scheduled_at: string;
  ts: string;
  model: string;
  ok: number;
  http_status: number | null;
  latency_ms: number;
}

// One sample per stored row of a measured minute; rows of the warm-up minutes are left out.
function heyhiSamples(persistTo: string, minutes: number[]): LatencySample[] {
  const rows = queryD1<StoredCheck>(
    persistTo,
    "select scheduled_at, ts, model, ok, http_status, latency_ms from llm_checks",
  );
  const rounds = new Map(minutes.map((m, i) => [new Date(m).toISOString().slice(0, 16), i]));
  return rows.flatMap((row) => {
    const round = rounds.get(row.scheduled_at.slice(0, 16));
    if (round === undefined) return [];
    const delay_ms = delayOf(row.model);
    const ok = row.ok === 1 && row.http_status === 200;
    const measured_ms = row.latency_ms;
    const status = row.http_status;
    return [{ tool: "heyhi", delay_ms, round, ok, status, measured_ms, started_at: row.ts }];
  });
}

/** A request as the emulator recorded it, the key redacted. */
export interface SeenRequest {
  received_at: string;
  method: string;
  path: string;
  model: string | null;
  headers: Record<string, string>;
  body: unknown;
}

export interface LatencyRun {
  /** Every measured sample, ok or not: one per tool, delay and round unless one was lost. */
  samples: LatencySample[];
  /** How long the emulator held each request of the measured rounds, all tools together. */
  holds: Hold[];
  /** The requests each tool was to send, one per delay. */
  endpoints: Endpoint[];
  /** What the emulator received from every client, warm-up included. */
  seen: SeenRequest[];
}

async function seenRequests(emulatorUrl: string): Promise<SeenRequest[]> {
  // The Node client's probes leave idle keep-alive connections that the emulator closes after
  // a few seconds; a request that meets one as it closes is sent again on a new one.
  const url = `${emulatorUrl}/__emulator/requests`;
  const answer = await fetch(url).catch(() => fetch(url));
  return ((await answer.json()) as { requests: SeenRequest[] }).requests;
}

interface Bench {
  emulator: Emulator;
  blackbox: Child;
  wrangler: Awaited<ReturnType<typeof startWrangler>>;
  floor: Awaited<ReturnType<typeof startWrangler>>;
  alone: Child;
  points: Endpoint[];
  core: Core;
  due: DueProbe[];
  persistTo: string;
}

// Every process the rounds need, each pushed onto `stops` as soon as it runs.
async function startBench(work: string, delays: number[], stops: Child["stop"][]): Promise<Bench> {
  step("emulator and blackbox_exporter");
  writeFileSync(join(work, "faults.json"), JSON.stringify(faults(delays)));
  const emulator = await startEmulator(join(work, "faults.json"));
  stops.push(emulator.stop);
  const configJson = heyhiConfig(delays);
  const core = await loadBuiltCore();
  const { points, due } = await endpoints(core, configJson, emulator.url);
  writeFileSync(join(work, "blackbox.yml"), blackboxConfig(points));
  const blackbox = await startBlackbox(join(work, "blackbox.yml"));
  stops.push(blackbox.stop);
  // Bundled before wrangler dev runs: the bundling blocks, and wrangler's output would wait.
  step("HeyHi's probe path and the floor in workerd alone");
  const alone = await startWorkerdAlone(work);
  stops.push(alone.stop);

  step("local D1 and wrangler dev");
  const persistTo = join(work, "d1");
  applyD1Migrations(persistTo);
  const vars = {
    HEYHI_CONFIG: configJson,
    PROVIDER_ORIGIN: emulator.url,
    HEYHI_STORE: "d1",
    [SECRET_NAME]: FAKE_KEY,
  };
  const wrangler = await startWrangler({ persistTo, vars });
  stops.push(wrangler.stop);
  step("the floor Worker under wrangler dev");
  const floor = await startWrangler({
    persistTo: join(work, "floor-state"),
    vars: {},
    config: benchWorkerConfig(work, FLOOR_NAME, "scripts/lib/latency-floor/worker.ts"),
  });
  stops.push(floor.stop);
  return { emulator, blackbox, wrangler, floor, alone, points, core, due, persistTo };
}

// One scheduled minute per round, the other clients after it; their samples of the measured
// rounds (HeyHi's are in D1).
async function runRounds(bench: Bench, minutes: number[]): Promise<LatencySample[]> {
  const { wrangler, blackbox, floor, alone, points } = bench;
  const peers: LatencySample[] = [];
  for (const [i, minute] of minutes.entries()) {
    const round = i - WARM_UP_ROUNDS;
    const scheduled = wrangler.fireMinute(minute);
    await sleep(STAGGER_MS);
    const curl = Promise.all(points.map((p) => curlOnce(p, round)));
    await sleep(STAGGER_MS);
    const bb = Promise.all(points.map((p) => blackboxOnce(blackbox.url, p, round)));
    await sleep(STAGGER_MS);
    const node = nodeRound(bench.core, bench.due, round);
    await sleep(STAGGER_MS);
    const bare = floorRound(floor.url, points, round, "workerd_fetch");
    await sleep(STAGGER_MS);
    const heyhiAlone = aloneRound(alone.url, bench.due, round);
    await sleep(STAGGER_MS);
    const bareAlone = floorRound(`${alone.url}/floor`, points, round, "workerd_alone_fetch");
    const clients = [curl, bb, node, bare, heyhiAlone, bareAlone];
    const [, ...others] = await Promise.all([scheduled, ...clients]);
    if (round >= 0) peers.push(...others.flat());
  }
  return peers;
}

// wrangler dev sends every subrequest through miniflare's outbound Worker, which marks it
// with cf-worker, the Worker's name: HeyHi's request of a probe is the first so marked, not
// by the floor Worker, after its clock started.
const fromHeyhiWorker = (r: SeenRequest) =>
  Boolean(r.headers["cf-worker"]) && !r.headers["cf-worker"]!.startsWith(`${FLOOR_NAME}.`);

function timeToEmulator(samples: LatencySample[], seen: SeenRequest[]): void {
  for (const s of samples.filter((x) => x.tool === "heyhi" && x.started_at)) {
    const started = Date.parse(s.started_at!);
    const gaps = seen
      .filter((r) => r.model === model(s.delay_ms) && fromHeyhiWorker(r))
      .map((r) => Date.parse(r.received_at) - started)
      .filter((gap) => gap >= 0);
    if (gaps.length > 0) s.to_emulator_ms = Math.min(...gaps);
  }
}

// Rounds run one after another, so each delay's first holds are the warm-up's.
function measuredHolds(holds: Hold[], delays: number[]): Hold[] {
  const warmUp = TOOLS.length * WARM_UP_ROUNDS;
  return delays.flatMap((d) => holds.filter((h) => h.delay_ms === d).slice(warmUp));
}

export async function collectLatency(options: LatencyOptions = {}): Promise<LatencyRun> {
  const delays = options.delays ?? DELAYS_MS;
  if (delays.some((d) => d >= TIMEOUT_MS - 1000)) {
    throw new Error(`delays must stay under ${TIMEOUT_MS - 1000} ms, the probes' timeout less 1 s`);
  }
  const total = WARM_UP_ROUNDS + (options.samples ?? SAMPLES);
  const work = mkdtempSync(join(tmpdir(), "heyhi-latency-"));
  const stops: Child["stop"][] = [];
  try {
    const bench = await startBench(work, delays, stops);
    // Whole minutes that have passed, so that no row is stamped with one still to come.
    const first = (Math.floor(Date.now() / 60_000) - total) * 60_000;
    const minutes = Array.from({ length: total }, (_, i) => first + i * 60_000);
    step(`${total} rounds (${WARM_UP_ROUNDS} warm-up) of ${delays.length} delays`);
    const peers = await runRounds(bench, minutes);
    step("reading HeyHi's rows back from D1");
    const heyhi = heyhiSamples(bench.persistTo, minutes.slice(WARM_UP_ROUNDS));
    const seen = await seenRequests(bench.emulator.url);
    timeToEmulator(heyhi, seen);
    return {
      samples: [...heyhi, ...peers],
      holds: measuredHolds(
        await bench.emulator.holds(TOOLS.length * total * delays.length),
        delays,
      ),
      endpoints: bench.points,
      seen,
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Throws, naming them, when a sample is not ok or missing: the figures would be wrong. */
export function checkSamples(all: LatencySample[], options: LatencyOptions = {}): void {
  const delays = options.delays ?? DELAYS_MS;
  const samples = options.samples ?? SAMPLES;
  const problems: string[] = [];
  for (const s of all.filter((x) => !x.ok)) {
    problems.push(`${s.tool} ${s.delay_ms} ms round ${s.round}: status ${s.status}`);
  }
  for (const tool of TOOLS) {
    for (const delay of delays) {
      const n = all.filter((s) => s.tool === tool && s.delay_ms === delay).length;
      if (n !== samples) problems.push(`${tool} ${delay} ms: ${n} samples, not ${samples}`);
    }
  }
  if (problems.length > 0) throw new Error(`latency samples broken:\n  ${problems.join("\n  ")}`);
}

export interface LatencyFigure {
  bench: "latency_accuracy";
  delay_ms: number;
  /** emulator: how long the emulator held the requests of every client, its own view. */
  tool: Tool | "emulator";
  samples: number;
  warm_up_rounds: number;
  median_error_ms: number;
  /** The mean shows what whole-ms samples' median cannot: a shift of a fraction of a ms. */
  mean_error_ms: number;
  median_abs_error_ms: number;
  /** The same of the samples taken to whole ms as HeyHi stores latency_ms (round half up). */
  median_abs_error_whole_ms: number;
  p95_abs_error_ms: number;
  /** HeyHi's median |error| over this tool's; on HeyHi's own line, over each peer's. */
  ratio_to_curl?: number | null;
  ratio_to_blackbox?: number | null;
  goal_abs_error_ms?: number;
  /** Judged with every tool's samples at HeyHi's whole-ms resolution. */
  goal_met?: boolean;
  /** Why the goal was missed: over the bound, or worse than a peer. */
  goal_missed_by?: string[];
  /** Judged against the peers' exact sub-ms medians. */
  goal_met_exact?: boolean;
  goal_missed_exact_by?: string[];
  /** HeyHi's: median ms from its probe's clock start to the emulator having the request. */
  median_to_emulator_ms?: number | null;
  /** HeyHi's in workerd: its mean error less the bare fetch()'s in the same runtime and
   * setting (under wrangler dev, or in workerd alone), so that the setting's own cost cancels. */
  over_floor_mean_ms?: number;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
const ascending = (values: number[]) => [...values].sort((a, b) => a - b);

function figure(tool: LatencyFigure["tool"], delay: number, measured: number[]): LatencyFigure {
  const errors = measured.map((ms) => ms - delay);
  const absolute = ascending(errors.map(Math.abs));
  return {
    bench: "latency_accuracy",
    delay_ms: delay,
    tool,
    samples: measured.length,
    warm_up_rounds: WARM_UP_ROUNDS,
    median_error_ms: round3(percentile(ascending(errors), 50)),
    mean_error_ms: round3(errors.reduce((sum, e) => sum + e, 0) / Math.max(errors.length, 1)),
    median_abs_error_ms: round3(percentile(absolute, 50)),
    median_abs_error_whole_ms: percentile(
      ascending(measured.map((ms) => Math.abs(Math.round(ms) - delay))),
      50,
    ),
    p95_abs_error_ms: round3(percentile(absolute, 95)),
  };
}

const ratio = (ours: number, theirs: number) => (theirs > 0 ? round3(ours / theirs) : null);

// Why a HeyHi figure misses the goal, its peers' medians read by `median`.
function misses(f: LatencyFigure, peers: LatencyFigure[], median: (p: LatencyFigure) => number) {
  const ours = f.median_abs_error_ms;
  return [
    ...(ours > GOAL_ABS_ERROR_MS ? [`over ${GOAL_ABS_ERROR_MS} ms`] : []),
    ...peers.filter((peer) => ours > median(peer)).map((p) => `> ${p.tool}`),
  ];
}

// HeyHi stores latency_ms in whole ms, so its median cannot show a difference under 1 ms from
// a peer's exact one. The goal is judged both ways: with the peers' samples taken to whole ms
// as HeyHi's are (a peer's 0.4 ms becomes 0 and still beats HeyHi's 1), and exactly.
function judge(f: LatencyFigure, [curl, blackbox]: LatencyFigure[]): void {
  const ours = f.median_abs_error_ms;
  f.ratio_to_curl = ratio(ours, curl!.median_abs_error_ms);
  f.ratio_to_blackbox = ratio(ours, blackbox!.median_abs_error_ms);
  f.goal_abs_error_ms = GOAL_ABS_ERROR_MS;
  f.goal_missed_by = misses(f, [curl!, blackbox!], (p) => p.median_abs_error_whole_ms);
  f.goal_met = f.goal_missed_by.length === 0;
  f.goal_missed_exact_by = misses(f, [curl!, blackbox!], (p) => p.median_abs_error_ms);
  f.goal_met_exact = f.goal_missed_exact_by.length === 0;
}

/**
 * Per delay, a figure for each tool, HeyHi's with its ratios to the peers and the goal, then
 * the emulator's own hold when `holds` are given.
 */
export function latencyFigures(all: LatencySample[], holds: Hold[] = []): LatencyFigure[] {
  const delays = [...new Set(all.map((s) => s.delay_ms))].sort((a, b) => a - b);
  return delays.flatMap((delay) => {
    const figures = TOOLS.map((tool) => {
      const measured = all.filter((s) => s.tool === tool && s.delay_ms === delay);
      return figure(
        tool,
        delay,
        measured.map((s) => s.measured_ms),
      );
    });
    const of = (tool: Tool) => figures.find((f) => f.tool === tool)!;
    const peers = [of("curl"), of("blackbox")];
    for (const tool of HEYHI_TOOLS) judge(of(tool), peers);
    for (const [ours, floor] of FLOORS) {
      of(ours).over_floor_mean_ms = round3(of(ours).mean_error_ms - of(floor).mean_error_ms);
    }
    const heyhi = of("heyhi");
    const gaps = all.flatMap((s) =>
      s.tool === "heyhi" && s.delay_ms === delay && s.to_emulator_ms !== undefined
        ? [s.to_emulator_ms]
        : [],
    );
    heyhi.median_to_emulator_ms = gaps.length > 0 ? percentile(ascending(gaps), 50) : null;
    const held = holds.filter((h) => h.delay_ms === delay).map((h) => h.held_ms);
    return held.length > 0 ? [...figures, figure("emulator", delay, held)] : figures;
  });
}

const signed = (n: number) => `${n >= 0 ? "+" : ""}${fixed(n)}`;
const times = (r: number | null | undefined) =>
  r === null || r === undefined ? "-" : `${fixed(r)} x`;

const isHeyhi = (f: LatencyFigure) => (HEYHI_TOOLS as readonly string[]).includes(f.tool);

function goalCell(f: LatencyFigure): string {
  if (!isHeyhi(f)) return "";
  if (!f.goal_met) return `missed: ${f.goal_missed_by!.join(", ")}`;
  return f.goal_met_exact
    ? "met"
    : `met in whole ms; exactly ${f.goal_missed_exact_by!.join(", ")}`;
}

/** The table and what it means, for people. */
export function latencyReport(figures: LatencyFigure[]): string {
  const n = figures[0]?.samples ?? 0;
  const rows = figures.map((f) => [
    `${f.delay_ms} ms ${f.tool === "emulator" ? "emulator hold" : f.tool}`,
    String(f.samples),
    signed(f.median_error_ms),
    signed(f.mean_error_ms),
    fixed(f.median_abs_error_ms),
    fixed(f.p95_abs_error_ms),
    isHeyhi(f) ? `${times(f.ratio_to_curl)} / ${times(f.ratio_to_blackbox)}` : "",
    goalCell(f),
  ]);
  const header = [
    "injected delay, tool",
    "samples",
    "median err",
    "mean err",
    "median |err|",
    "p95 |err|",
    "ratio to curl / blackbox",
    "goal",
  ];
  return [
    `\nLatency accuracy: error = measured - injected delay, ms (${n} samples per delay and ` +
      `tool, after ${WARM_UP_ROUNDS} warm-up round)`,
    table(header, rows),
    [
      "heyhi: latency_ms of the rows the Worker stored in local D1 under wrangler dev (workerd),",
      "a whole number of ms from a 1 ms clock; heyhi_workerd: latency_ms of the rows HeyHi's",
      "probe path (stagger, fetch, timing, the core's classification) makes in the workerd",
      "binary alone, bundled as wrangler deploys it, without wrangler dev's outbound Worker;",
      "heyhi_node: latency_ms of the rows HeyHi's probe code records under Node, as its outside",
      "vantage (node-main.ts) runs it, in this process; curl: time_total; blackbox:",
      "blackbox_exporter 0.23's probe_duration_seconds; workerd_fetch and workerd_alone_fetch:",
      "a Worker that times a bare fetch() and reads the body, started as HeyHi starts its",
      "probes, under a wrangler dev of its own and beside HeyHi's probe path in workerd alone:",
      "the runtime's floors, not peers (its clock starts before the fetch() call, HeyHi's once",
      "fetch() has taken the request, so HeyHi can read below it). The same POST, headers and",
      "body to the same emulator endpoint, one endpoint per delay, every delay in parallel for",
      `each tool; in each round the tools start ${STAGGER_MS} ms apart. median err is signed`,
      "(nearest-rank median), mean err its mean, which shows a fraction of a ms in whole-ms",
      "samples, |err| its absolute value. ratio: HeyHi's median |err| over the peer's (below 1:",
      "HeyHi is closer).",
      `goal: HeyHi's median |err| within ${GOAL_ABS_ERROR_MS} ms and no larger than either peer's,`,
      "judged with each peer's samples taken to whole ms as HeyHi stores latency_ms (in workerd",
      'from a 1 ms clock), and exactly: "met in whole ms; exactly > curl" means HeyHi\'s median',
      "is above curl's by less than HeyHi's resolution shows. The ratios are exact.",
      "emulator hold: the emulator's own time from receipt of each request of every client",
      "to the start of its answer, on its high-resolution clock: a part of every tool's error;",
      "the rest is loopback HTTP and each client's own work.",
      floorLine(figures),
      toEmulatorLine(figures),
    ].join("\n"),
  ].join("\n");
}

// What HeyHi's probe code adds over the runtime's own fetch() in each setting, and what
// wrangler dev's outbound Worker adds to that fetch().
function floorLine(figures: LatencyFigure[]): string {
  const perDelay = (tool: Tool, value: (f: LatencyFigure) => number) =>
    figures
      .filter((f) => f.tool === tool)
      .map((f) => `${f.delay_ms} ms: ${signed(value(f))}`)
      .join(", ");
  const floorOf = (f: LatencyFigure, tool: Tool) =>
    figures.find((x) => x.tool === tool && x.delay_ms === f.delay_ms)!.mean_error_ms;
  const over = (f: LatencyFigure) => f.over_floor_mean_ms ?? NaN;
  const overAlone = (f: LatencyFigure) => f.mean_error_ms - floorOf(f, "workerd_alone_fetch");
  return [
    "Mean err less the bare fetch()'s in the same runtime and setting, per injected delay:",
    `  heyhi over workerd_fetch: ${perDelay("heyhi", over)}`,
    `  heyhi_workerd over workerd_alone_fetch: ${perDelay("heyhi_workerd", over)}`,
    "What wrangler dev adds to a bare fetch() (workerd_fetch less workerd_alone_fetch):",
    `  ${perDelay("workerd_fetch", overAlone)}`,
  ].join("\n");
}

// Where HeyHi's extra time goes under wrangler dev: before its request reaches the emulator.
function toEmulatorLine(figures: LatencyFigure[]): string {
  const heyhi = figures.filter((f) => f.tool === "heyhi");
  const gaps = heyhi.map((f) => `${f.delay_ms} ms: ${f.median_to_emulator_ms ?? "-"}`);
  return [
    "HeyHi's request reached the emulator this many ms after its probe's clock started",
    "(median, row ts to the emulator's receipt, 1 ms clocks), per injected delay:",
    `  ${gaps.join(", ")}`,
    "In that time workerd hands the subrequest to miniflare's outbound Worker (another",
    "isolate that wrangler dev puts before every subrequest, and a deployed Worker does not",
    "have), then to its HTTP client. What a deployed Worker's own path adds is not measured.",
  ].join("\n");
}

/** Measures, checks and returns the figures of every delay. */
export async function benchLatency(options: LatencyOptions = {}): Promise<LatencyFigure[]> {
  const { samples, holds } = await collectLatency(options);
  checkSamples(samples, options);
  return latencyFigures(samples, holds);
}

const USAGE =
  `usage: bench-latency.ts [--samples N] [--delays 0,50,200]: N a whole number from 1, ` +
  `each delay whole ms under ${TIMEOUT_MS - 1000}`;

/** The options, or null when the arguments are not what USAGE says. */
function parseArgs(argv: string[]): LatencyOptions | null {
  const options: LatencyOptions = {};
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1] ?? ""];
    if (flag === "--samples" && /^[1-9]\d*$/.test(value)) options.samples = Number(value);
    else if (flag === "--delays" && /^\d+(,\d+)*$/.test(value)) {
      options.delays = value.split(",").map(Number);
      if (options.delays.some((d) => d >= TIMEOUT_MS - 1000)) return null;
    } else return null;
  }
  return options;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const options = parseArgs(process.argv.slice(2));
  if (!options) {
    console.error(USAGE);
    process.exit(2);
  }
  const figures = await benchLatency(options);
  console.log(latencyReport(figures));
  for (const f of figures) console.log(JSON.stringify(f));
  console.log(`\nlatency bench took ${fixed((performance.now() - started) / 1000, 1)} s`);
}
