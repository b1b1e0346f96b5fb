// Shared pieces of the shim tests: the core from its built module, probe configurations aimed
// at the emulator, and fakes that record what the shim hands to a store or a log.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";

import { convertV4MiniflareOptions, Miniflare } from "miniflare";

import defaultConfig from "../../worker-shim/config/healthboard.json" with { type: "json" };
import {
  loadCore,
  type Alert,
  type CheckRow,
  type Core,
  type DueProbe,
} from "../../worker-shim/src/core.ts";
import { Backlog, type Sql } from "../../worker-shim/src/backlog.ts";
import { createLogger } from "../../worker-shim/src/log.ts";
import { runProbe, type ProbeDeps } from "../../worker-shim/src/probe.ts";
import type { Settings } from "../../worker-shim/src/settings.ts";
import { pagesOf } from "../../worker-shim/src/store/alerts.ts";
import {
  RULE_COLUMNS,
  type RuleRow,
  type Store,
  type WriteResult,
} from "../../worker-shim/src/store/store.ts";
import { applyD1Migrations } from "../../scripts/lib/harness.ts";

const D1_DATABASE_ID = "00000000-0000-4000-8000-000000000000"; // wrangler.toml's
const WASM = path.join(import.meta.dirname, "../../build/wasm/heyhi-core.wasm");

// Node compiles from bytes; the Workers types, which this project type-checks against, know
// WebAssembly.Module only as the abstract class of modules the bundler compiled.
type Compiled = WebAssembly.Module;
const CompiledModule = WebAssembly.Module as unknown as new (bytes: Uint8Array) => Compiled;

export function loadTestCore(): Promise<Core> {
  return loadCore(new CompiledModule(readFileSync(WASM)));
}

// A cron minute, as the scheduled event hands it over, and its row key.
export const MINUTE_MS = Date.UTC(2026, 11, 3, 12, 5);
export const MINUTE_ISO = "2026-12-03T12:05:00Z";

export const PROVIDERS = ["openai", "anthropic", "gemini", "xai", "cohere", "mistral"] as const;
export type ProviderName = (typeof PROVIDERS)[number];

interface ConfigOptions {
  timeoutMs?: number;
  regions?: string[];
  providers?: readonly string[];
}

/** The embedded configuration's small-tier targets, due every minute, aimed at `origin`. */
export function probeConfig(origin: string, options: ConfigOptions = {}): string {
  const { timeoutMs = 400, regions = ["enam"], providers = PROVIDERS } = options;
  const targets = defaultConfig.targets
    .filter((t) => t.tier === "small" && providers.includes(t.provider))
    .map((t) => ({ ...t, cadence_min: 1, timeout_ms: timeoutMs }));
  return JSON.stringify({ ...defaultConfig, regions, provider_origin: origin, targets });
}

export function plannedProbes(core: Core, configJson: string): DueProbe[] {
  const plan = core.plan(configJson, MINUTE_MS);
  if (!plan.ok) throw new Error(`core refused the test plan: ${JSON.stringify(plan.errors)}`);
  return plan.due;
}

/** The one due probe of `provider` in a plan aimed at `origin`. */
export function probeFor(core: Core, origin: string, provider: string, timeoutMs = 400): DueProbe {
  const config = probeConfig(origin, { timeoutMs, providers: [provider] });
  const [due] = plannedProbes(core, config);
  if (!due) throw new Error(`no due probe for ${provider}`);
  return due;
}

/**
 * A fake key, distinctive enough to search for in anything the shim writes, and shaped so
 * that the core's key-shape scrubbing does not hide it: only the shim's own redaction can.
 */
export function fakeKey(secretName: string): string {
  return `fake-${secretName.toLowerCase()}-7f3a91c2`;
}

/**
 * Makes the first fetch of a test file: it pays for the HTTP client's start-up and leaves a
 * kept-alive connection, so that no timed probe measures either.
 */
export async function warmUp(origin: string): Promise<void> {
  const response = await fetch(`${origin}/__emulator/health`);
  await response.arrayBuffer();
}

/** One probe through the shim's fetch and the core's classifier, as run.ts does it. */
export async function probeRow(
  core: Core,
  due: DueProbe,
  secret: string | undefined,
  deps?: ProbeDeps,
): Promise<CheckRow> {
  const { started_ms, outcome } = await runProbe(due, secret, deps);
  const answer = core.classify({
    provider: due.provider,
    model: due.model,
    region: due.region,
    colo: null,
    scheduled_ms: MINUTE_MS,
    started_ms,
    timeout_ms: due.timeout_ms,
    outcome,
  });
  if (!answer.ok) throw new Error(`core refused an outcome: ${JSON.stringify(answer.errors)}`);
  return answer.row;
}

export interface RecordingStore extends Store {
  readonly calls: CheckRow[][];
}

/** A row as the rules' read returns it: RULE_COLUMNS only, in their order. */
export function ruleColumnsOf(row: CheckRow): RuleRow {
  return Object.fromEntries(RULE_COLUMNS.map((c) => [c, row[c]])) as RuleRow;
}

/** A healthy probe row of `model` at a cron minute, with `overrides` on top. */
export function okRow(model: string, scheduledMs: number, overrides: Partial<CheckRow> = {}) {
  const row: CheckRow = {
    scheduled_at: new Date(scheduledMs).toISOString().replace(/:\d\d\.\d{3}Z$/, ":00Z"),
    ts: new Date(scheduledMs + 412).toISOString(),
    region: "enam",
    colo: "EWR",
    provider: "openai",
    model,
    ok: true,
    http_status: 200,
    error_type: null,
    attribution: null,
    latency_ms: 312,
    ttfb_ms: 290,
    tokens_in: 8,
    tokens_out: 1,
    request_id: "req_abc",
    detail: null,
  };
  return { ...row, ...overrides };
}

/** A store that keeps every batch it is given and answers with `answer`. */
export function recordingStore(
  answer: (rows: CheckRow[]) => Promise<WriteResult> = async (rows) => ({
    ok: true,
    stored: rows.length,
  }),
): RecordingStore {
  const calls: CheckRow[][] = [];
  return {
    kind: "d1",
    calls,
    async insertChecks(rows) {
      calls.push(rows);
      return answer(rows);
    },
    // The probe tests need no alert state: an empty one that accepts every transition.
    checksBetween: async () => ({ ok: true, rows: [] }),
    // Whatever checksBetween a test puts in its place answers this too.
    async checksJson(ranges, filter) {
      return pagesOf(await this.checksBetween(ranges, filter));
    },
    baselineLatencies: async () => ({ ok: true, json: "[]" }),
    openAlerts: async () => ({ ok: true, alerts: [] }),
    openAlert: async () => ({ ok: true, opened: true, id: 1 }),
    remindAlert: async () => ({ ok: true, updated: true }),
    resolveAlert: async () => ({ ok: true, resolved: true, id: 1 }),
    writtenAlert: async () => ({ ok: true, id: null }),
    enqueueDeliveries: async (deliveries) => ({ ok: true, enqueued: deliveries.length }),
    dueDeliveries: async () => ({ ok: true, deliveries: [] }),
    claimDelivery: async () => ({ ok: true, claimed: true }),
    markDelivery: async () => ({ ok: true, updated: true }),
    // Nor official status: no sources, every write accepted.
    statusSources: async () => ({ ok: true, sources: [] }),
    insertStatusEvents: async (rows) => ({ ok: true, written: rows.length }),
    saveStatusSources: async (rows) => ({ ok: true, written: rows.length }),
    saveStatusCurrent: async (rows) => ({ ok: true, written: rows.length }),
    insertStatusLags: async (rows) => ({ ok: true, written: rows.length }),
    alertsOpenedSince: async () => ({ ok: true, alerts: [] }),
    // And no board: nothing to read.
    recentChecks: async () => ({ ok: true, rows: [] }),
    boardAlerts: async () => ({ ok: true, alerts: [] }),
    statusCurrent: async () => ({ ok: true, current: [] }),
    statusEventsSince: async () => ({ ok: true, events: [] }),
    finishedDeliveries: async () => ({ ok: true, deliveries: [] }),
  };
}

/** An open provider_errors alert on Anthropic, as the core would open it. */
export function sampleAlert(scope: string, openedAt: string): Alert {
  return {
    rule: "provider_errors",
    scope,
    provider: "anthropic",
    model: "claude-haiku-5-5",
    region: null,
    verdict: "provider",
    title: "Anthropic claude-haiku-5-5: 100% of probes failing",
    detail: "10 of 10 probes failed",
    fix: null,
    official_status: "operational",
    opened_at: openedAt,
    last_notified_at: openedAt,
    resolved_at: null,
    measured: {
      window_min: 5,
      probes: 10,
      failures: 10,
      failure_rate: 1,
      p50_ms: null,
      p95_ms: null,
      baseline_p95_ms: null,
      regions_failing: 2,
      regions_total: 2,
      error_types: { overloaded: 10 },
    },
  };
}

/** A logger like the Worker's, writing its lines into an array. */
export function captureLog(secrets: readonly string[]) {
  const lines: string[] = [];
  const log = createLogger(secrets, (line) => lines.push(line));
  const events = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { log, lines, events };
}

/** Settings as loadSettings builds them, with a store and secrets chosen by the test. */
export function testSettings(
  core: Core,
  configJson: string,
  store: Store,
  secrets: Record<string, string | undefined>,
): Settings {
  const answer = core.validateConfig(configJson);
  if (!answer.ok) throw new Error(`core refused the test config: ${JSON.stringify(answer.errors)}`);
  const costed = core.budget(configJson);
  if (!costed.ok) throw new Error(`core refused the test budget: ${JSON.stringify(costed.errors)}`);
  const priced = core.cost(configJson);
  if (!priced.ok) throw new Error(`core refused the test cost: ${JSON.stringify(priced.errors)}`);
  const secretValues = Object.values(secrets).filter((v): v is string => !!v);
  const { budget } = costed;
  const { cost } = priced;
  return {
    configJson,
    config: answer.config,
    budget,
    cost,
    store,
    secrets,
    secretValues,
    channels: [],
    refusedChannels: [],
  };
}

/** A Durable Object's SQL storage stand-in: SQLite in memory, through node:sqlite. */
export function memorySql(): Sql {
  const db = new DatabaseSync(":memory:");
  return {
    exec: (query, ...bindings) => {
      const rows = db.prepare(query).all(...(bindings as Array<string | number | null>));
      return { toArray: () => rows };
    },
  };
}

export function memoryBacklog(): Backlog {
  return new Backlog(memorySql());
}

/** A probe of `model` that the provider failed with 529 overloaded, from weur. */
export function failedRow(model: string, scheduledMs: number, overrides: Partial<CheckRow> = {}) {
  return okRow(model, scheduledMs, {
    region: "weur",
    colo: null,
    ok: false,
    http_status: 529,
    error_type: "overloaded",
    attribution: "provider",
    latency_ms: 1480,
    ttfb_ms: 1475,
    tokens_in: null,
    tokens_out: null,
    detail: "529 overloaded_error: Overloaded",
    ...overrides,
  });
}

export interface LocalD1 {
  database: D1Database;
  dispose(): Promise<void>;
}

/** workerd's local D1 through Miniflare, as `wrangler dev` runs it, with sql/d1 applied. */
export async function localD1(prefix: string): Promise<LocalD1> {
  const persistTo = mkdtempSync(path.join(tmpdir(), prefix));
  applyD1Migrations(persistTo);
  const miniflare = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script: "",
      resourcePersistencePath: path.join(persistTo, "v3"),
      d1Databases: { DB: D1_DATABASE_ID },
    }),
  );
  const database = (await miniflare.getD1Database("DB")) as unknown as D1Database;
  return {
    database,
    async dispose() {
      await miniflare.dispose();
      rmSync(persistTo, { recursive: true, force: true });
    },
  };
}
