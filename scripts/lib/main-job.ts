// The main job: ten consecutive cron minutes through a real `wrangler dev` with D1, against
// the provider emulator (no keys) or the real APIs (keys in .dev.vars), then a table per
// target. Run it through scripts/run, which installs and builds first.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

import {
  loadCore,
  type Aggregation,
  type Core,
  type CoreError,
  type CheckRow,
  type TargetSummary,
} from "../../worker-shim/src/core.ts";
import { loadChannels } from "../../worker-shim/src/notify/channels.ts";
import { deployedWarnings, offlineConfig, refusedChannelLines } from "./run-settings.ts";
import { applyD1Migrations, parseEvents, queryD1, ROOT, startWrangler } from "./harness.ts";

const MINUTES = 10;
const PERSIST_TO = join(ROOT, ".wrangler/run-state");
const PROVIDER_KEYS: Record<string, string> = {
  openai: "OPENAI_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
  gemini: "GEMINI_API_KEY",
  xai: "XAI_API_KEY",
  cohere: "COHERE_API_KEY",
  mistral: "MISTRAL_API_KEY",
};

// The variables set to a non-empty value in .dev.vars, which wrangler itself loads; this only
// needs to know which are there and, for the channels, roughly what they hold.
function devVars(): Map<string, string> {
  const path = join(ROOT, ".dev.vars");
  if (!existsSync(path)) return new Map();
  const vars = new Map<string, string>();
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*(\S.*)$/.exec(line);
    const value = match?.[2]?.trim().replace(/^(["'])(.*)\1$/, "$2") ?? "";
    if (match?.[1] && value !== "") vars.set(match[1], value);
  }
  return vars;
}

const devVarNames = (): Set<string> => new Set(devVars().keys());

const embeddedText = () => readFileSync(join(ROOT, "worker-shim/config/healthboard.json"), "utf8");
const embeddedConfig = () => JSON.parse(embeddedText());

// Only providers with a key are probed for real; the others would only record auth errors.
function realConfig(keyed: string[]): string {
  const config = embeddedConfig();
  config.targets = config.targets.filter((t: { provider: string }) => keyed.includes(t.provider));
  return JSON.stringify(config);
}

const loadBuiltCore = (): Promise<Core> =>
  loadCore(new WebAssembly.Module(readFileSync(join(ROOT, "build/wasm/heyhi-core.wasm"))));

async function startProviders(): Promise<{
  vars: Record<string, string>;
  stop: () => Promise<void>;
  label: string;
  /** The configuration as deployed, where the run hands the Worker another (offline). */
  deployed?: string;
}> {
  const names = devVarNames();
  const keyed = Object.entries(PROVIDER_KEYS)
    .filter(([, name]) => names.has(name))
    .map(([p]) => p);
  if (keyed.length > 0) {
    // A configuration of the user's own in .dev.vars is theirs to keep.
    const vars: Record<string, string> = names.has("HEYHI_CONFIG")
      ? {}
      : { HEYHI_CONFIG: realConfig(keyed) };
    return {
      vars,
      stop: async () => {},
      label: `the real APIs of ${keyed.join(", ")} (keys from .dev.vars)`,
    };
  }
  const { startEmulator } = await import("../../tests/emulator/emulator.mjs");
  const emulator = await startEmulator({
    port: 0,
    faults: join(ROOT, "scripts/demo-faults.json"),
    log: null,
  });
  const vars: Record<string, string> = { PROVIDER_ORIGIN: emulator.url };
  for (const name of Object.values(PROVIDER_KEYS)) vars[name] = "emulator-key";
  // --var outranks .dev.vars in wrangler dev, so this replaces the user's configuration.
  const userConfig = devVars().get("HEYHI_CONFIG");
  const deployed = userConfig ?? embeddedText();
  const offline = offlineConfig(await loadBuiltCore(), userConfig, deployed);
  if (offline !== undefined) vars.HEYHI_CONFIG = offline;
  return {
    vars,
    ...(offline !== undefined ? { deployed } : {}),
    stop: () => emulator.close(),
    label: `the local provider emulator at ${emulator.url} (no keys in .dev.vars)`,
  };
}

const errorList = (types: Record<string, number>) =>
  Object.entries(types)
    .map(([t, n]) => `${t}=${n}`)
    .join(" ") || "-";
const ms = (value: number | null) => (value === null ? "-" : String(value));

function formatColumns(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function formatTable(summaries: TargetSummary[]): string {
  const header = ["provider", "model", "probes", "failures", "by error_type", "p50 ms", "p95 ms"];
  const rows = summaries.map((s) => [
    s.provider,
    s.model,
    String(s.probes),
    String(s.failures),
    errorList(s.by_error_type),
    ms(s.p50_ms),
    ms(s.p95_ms),
  ]);
  return formatColumns(header, rows);
}

// One line per region, with the colo its object learned (the same one for every region under
// wrangler dev, which runs every object on this machine).
function formatRegions(regions: Aggregation["regions"], rows: CheckRow[]): string {
  const header = ["region", "colo", "probes", "failures", "by error_type", "p50 ms", "p95 ms"];
  const colos = (region: string) =>
    [...new Set(rows.filter((r) => r.region === region).map((r) => r.colo ?? "-"))].join(",");
  const lines = regions.map((r) => {
    const f = r.failures;
    return [
      r.region,
      colos(r.region),
      String(r.probes),
      String(f.provider + f.network + f.ours + f.ambiguous),
      errorList(r.error_types),
      ms(r.p50_ms),
      ms(r.p95_ms),
    ];
  });
  return formatColumns(header, lines);
}

// The Worker refuses to probe with a bad configuration; say so here rather than print an
// empty table. A channel it refused is left out while probing goes on: those come back.
async function requireValidSettings(url: string): Promise<CoreError[]> {
  const health = (await (await fetch(`${url}/health`)).json()) as {
    ok: boolean;
    errors?: CoreError[];
    refused_channels?: CoreError[];
  };
  if (health.ok) return health.refused_channels ?? [];
  const lines = (health.errors ?? []).map((e) => `  ${e.field || "(document)"}: ${e.message}`);
  throw new Error(`the Worker's configuration is invalid:\n${lines.join("\n")}`);
}

// One main job at a time: each starts from an empty D1 state, which a second one would wipe
// under the first. A lock left by a process that is gone is taken over.
function acquireLock(): () => void {
  const lock = `${PERSIST_TO}.lock`;
  mkdirSync(dirname(lock), { recursive: true });
  try {
    writeFileSync(lock, String(process.pid), { flag: "wx" });
  } catch {
    const holder = Number(readFileSync(lock, "utf8"));
    if (isAlive(holder))
      throw new Error(`another scripts/run (pid ${holder}) is using ${PERSIST_TO}`);
    writeFileSync(lock, String(process.pid));
  }
  return () => rmSync(lock, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return pid > 0;
  } catch {
    return false;
  }
}

// Stops whatever was started, once, on the way out or on SIGINT and SIGTERM.
const cleanups: Array<() => unknown> = [];
let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  })();
  return cleaning;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
}

// What the Worker warned of when it first loaded its settings: a month over the budget, a
// target without a price, a free allowance the load would pass. Its log is otherwise not shown.
const STARTUP_WARNINGS = ["cost_over_budget", "cost_unpriced", "free_allowance_exceeded"];
let startupWarnings: Array<Record<string, unknown>> = [];
let deployedConfig: string | undefined;
let refusedChannels: CoreError[] = [];

async function probeTenMinutes(): Promise<number> {
  cleanups.push(acquireLock());
  const providers = await startProviders();
  cleanups.push(providers.stop);
  console.log(`probing ${providers.label}`);
  deployedConfig = providers.deployed;
  applyD1Migrations(PERSIST_TO);
  const wrangler = await startWrangler({ persistTo: PERSIST_TO, vars: providers.vars });
  cleanups.push(wrangler.stop);
  // The ten minutes up to this one, so that no row is stamped with a minute still to come.
  const firstMinute = (Math.floor(Date.now() / 60000) - (MINUTES - 1)) * 60000;
  refusedChannels = await requireValidSettings(wrangler.url);
  for (let i = 0; i < MINUTES; i++) await wrangler.fireMinute(firstMinute + i * 60000);
  startupWarnings = STARTUP_WARNINGS.flatMap((event) => parseEvents(wrangler.logs(), event));
  return firstMinute;
}

interface StoredAlert {
  rule: string;
  verdict: string;
  title: string;
  opened_at: string;
  resolved_at: string | null;
  fix: string | null;
}

interface DeliveryCount {
  channel: string;
  status: string;
  n: number;
  last_error: string | null;
}

// Whether the alerts reached the channels set in .dev.vars: a failed delivery stays pending
// for a later run, so it says why here rather than passing for sent.
function printDeliveries(): void {
  const counts = queryD1<DeliveryCount>(
    PERSIST_TO,
    "select channel, status, count(*) as n, " +
      "(select last_error from alert_deliveries l where l.channel = d.channel " +
      "and l.status = d.status order by l.id desc limit 1) as last_error " +
      "from alert_deliveries d group by channel, status order by channel, status",
  );
  if (counts.length === 0) {
    // The Worker's own reading of the channel variables, so the two never disagree.
    const { channels } = loadChannels(Object.fromEntries(devVars()));
    const why = channels.length > 0 ? "no alert to send" : "no usable channel in .dev.vars";
    console.log(`deliveries: none (${why})`);
  } else {
    console.log("deliveries (a pending one is retried on a later run):");
    for (const c of counts) {
      const why = c.status !== "sent" && c.last_error ? ` (last error: ${c.last_error})` : "";
      console.log(`  ${c.channel.padEnd(8)} ${c.status} ${c.n}${why}`);
    }
  }
  for (const line of refusedChannelLines(refusedChannels)) console.log(line);
}

// What the alert rules made of the same ten minutes, and whether it was sent.
function printAlerts(): void {
  const alerts = queryD1<StoredAlert>(
    PERSIST_TO,
    "select rule, verdict, title, opened_at, resolved_at, fix from alerts order by opened_at, id",
  );
  console.log(`\nalerts: ${alerts.length === 0 ? "none" : alerts.length}`);
  for (const a of alerts) {
    const state = a.resolved_at ? `resolved ${a.resolved_at}` : "open";
    console.log(
      `  ${a.opened_at}  ${a.rule.padEnd(16)} ${a.verdict.padEnd(8)} ${a.title} (${state})`,
    );
    if (a.fix) console.log(`    to fix: ${a.fix}`);
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  let firstMinute: number;
  try {
    firstMinute = await probeTenMinutes();
  } finally {
    await cleanUp();
  }

  const rows = queryD1<CheckRow & { ok: number | boolean }>(
    PERSIST_TO,
    "select * from llm_checks order by scheduled_at, provider, model",
  );
  const core = await loadBuiltCore();
  const checks = rows.map((r) => ({ ...r, ok: Boolean(r.ok) }));
  const summary = core.summarize(checks);
  if (!summary.ok)
    throw new Error(`core refused the stored rows: ${JSON.stringify(summary.errors)}`);
  const lastMinute = firstMinute + (MINUTES - 1) * 60000;
  const aggregation = core.aggregate(checks, lastMinute, MINUTES);
  if (!aggregation.ok)
    throw new Error(`core refused to aggregate: ${JSON.stringify(aggregation.errors)}`);

  console.log(
    `\n${MINUTES} scheduled minutes from ${new Date(firstMinute).toISOString()}, ${rows.length} rows\n`,
  );
  const byName = (a: TargetSummary, b: TargetSummary) =>
    a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model);
  console.log(formatTable([...summary.targets].sort(byName)));
  console.log(`\n${formatRegions(aggregation.regions, checks)}`);
  console.log("p50 and p95: latency of the successful probes only");
  printAlerts();
  printDeliveries();
  // Offline the Worker ran without the status pages, whose rows count once deployed: the
  // warnings are those of the configuration as deployed, from the function the Worker calls.
  const warnings =
    deployedConfig === undefined ? startupWarnings : deployedWarnings(core, deployedConfig);
  if (warnings.length > 0) {
    console.log(
      deployedConfig === undefined
        ? "\nwarnings the Worker logged at start-up (probing went on):"
        : "\nwarnings for the configuration as deployed, status pages included (this offline " +
            "run left them out; probing went on):",
    );
    for (const warning of warnings) console.log(`  ${JSON.stringify(warning)}`);
  }
  console.log(`\nrows: D1 (local SQLite) in ${PERSIST_TO}`);
  console.log(
    `  npx wrangler d1 execute heyhi --local --persist-to .wrangler/run-state --command "select * from llm_checks"`,
  );
  console.log(`finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

try {
  await main();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
