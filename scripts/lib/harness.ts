// Local processes for the main job and the end-to-end tests: `wrangler dev` with a D1 state
// directory of its own, cron minutes fired at it, and D1 read back through wrangler.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
const NODE22_BIN = join(ROOT, "node_modules/.bin");

// wrangler needs Node 22; the project's own copy comes first on PATH for every child. Its
// local trace store is left off: a fetch span keeps the whole URL, and an alert channel's URL
// is its credential.
export const childEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  PATH: `${NODE22_BIN}:${process.env.PATH ?? ""}`,
  WRANGLER_SEND_METRICS: "false",
  X_LOCAL_OBSERVABILITY: "false",
  CI: "true",
});

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

export function applyD1Migrations(persistTo: string, fresh = true): void {
  if (fresh) rmSync(persistTo, { recursive: true, force: true });
  const result = spawnSync(
    WRANGLER,
    ["d1", "migrations", "apply", "heyhi", "--local", "--persist-to", persistTo],
    { cwd: ROOT, env: childEnv(), encoding: "utf8" },
  );
  if (result.status !== 0) {
    throw new Error(`d1 migrations failed: ${result.stderr || result.stdout}`);
  }
}

export function queryD1<T = Record<string, unknown>>(persistTo: string, sql: string): T[] {
  const result = spawnSync(
    WRANGLER,
    ["d1", "execute", "heyhi", "--local", "--persist-to", persistTo, "--json", "--command", sql],
    { cwd: ROOT, env: childEnv(), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`d1 query failed: ${result.stderr || result.stdout}`);
  const parsed = JSON.parse(result.stdout) as Array<{ results: T[] }>;
  return parsed.flatMap((part) => part.results);
}

export interface Wrangler {
  url: string;
  logs: () => string[];
  runLogs: () => Array<Record<string, unknown>>;
  /**
   * The `event` log objects once there are at least `count` of them: workerd's output reaches
   * wrangler's stdout after the scheduled endpoint has answered, later on a busy machine.
   */
  eventsAtLeast: (event: string, count: number) => Promise<Array<Record<string, unknown>>>;
  fireMinute: (epochMs: number) => Promise<void>;
  stop: () => Promise<void>;
}

export interface WranglerOptions {
  persistTo: string;
  vars: Record<string, string>;
  /** Another Worker's wrangler.toml; HeyHi's own by default. */
  config?: string;
  readyTimeoutMs?: number;
}

/** Bundles a Worker as `wrangler deploy` would upload it, into `outdir`, without uploading. */
export function bundleWorker(config: string, outdir: string): void {
  const args = ["deploy", "--dry-run", "--outdir", outdir, "--config", config];
  const result = spawnSync(WRANGLER, args, { cwd: ROOT, env: childEnv(), encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`wrangler could not bundle ${config}: ${result.stderr || result.stdout}`);
  }
}

export async function startWrangler(options: WranglerOptions): Promise<Wrangler> {
  const port = await freePort();
  const args = [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--persist-to",
    options.persistTo,
    "--show-interactive-dev-session=false",
    "--log-level",
    "log",
    "--inspector-port",
    String(await freePort()),
  ];
  for (const [name, value] of Object.entries(options.vars)) args.push("--var", `${name}:${value}`);
  if (options.config) args.push("--config", options.config);
  const child = spawn(WRANGLER, args, {
    cwd: ROOT,
    env: childEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  // A chunk may end inside a line; the rest of it comes with the next chunk of that stream.
  const collector = () => {
    let partial = "";
    return (chunk: Buffer) => {
      const parts = (partial + chunk.toString("utf8")).split("\n");
      partial = parts.pop() ?? "";
      lines.push(...parts.filter(Boolean));
    };
  };
  child.stdout?.on("data", collector());
  child.stderr?.on("data", collector());

  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, child, lines, options.readyTimeoutMs ?? 60_000);
  return {
    url,
    logs: () => [...lines],
    runLogs: () => parseEvents(lines, "run"),
    eventsAtLeast: (event, count) => eventsAtLeast(lines, event, count),
    fireMinute: (epochMs) => fireMinute(url, epochMs),
    stop: () => stop(child),
  };
}

export function parseEvents(lines: string[], event: string): Array<Record<string, unknown>> {
  const events: Array<Record<string, unknown>> = [];
  for (const line of lines) {
    const start = line.indexOf(`{"event":"${event}"`);
    if (start < 0) continue;
    try {
      events.push(JSON.parse(line.slice(start)) as Record<string, unknown>);
    } catch {
      // a log line cut by the terminal; the run's own report is what tests read
    }
  }
  return events;
}

async function eventsAtLeast(lines: string[], event: string, count: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let events = parseEvents(lines, event);
  while (events.length < count && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, 100));
    events = parseEvents(lines, event);
  }
  return events;
}

async function waitForHealth(url: string, child: ChildProcess, lines: string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`wrangler dev exited: ${lines.slice(-20).join("\n")}`);
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200 || response.status === 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  await stop(child);
  throw new Error(`wrangler dev not ready within ${timeoutMs} ms: ${lines.slice(-20).join("\n")}`);
}

// The local scheduled endpoint takes the cron minute as `time`, like production's
// scheduledTime, and answers once the handler has finished.
async function fireMinute(url: string, epochMs: number): Promise<void> {
  const response = await fetch(`${url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time=${epochMs}`);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`scheduled run failed: ${response.status} ${text}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((done) => child.once("exit", done));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}
