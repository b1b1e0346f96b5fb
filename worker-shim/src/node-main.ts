// The Node entry point: one run of every enabled target from a vantage point outside
// Cloudflare, with the Worker's own modules and the same WebAssembly core, read from the file.
// The configuration, the secrets and the store come from the environment, as the Worker has
// them (HEYHI_CONFIG, PROVIDER_ORIGIN, the *_API_KEY names, HEYHI_STORE, SUPABASE_URL and
// SUPABASE_SERVICE_ROLE_KEY); D1 is reached through its REST API (CLOUDFLARE_ACCOUNT_ID,
// CLOUDFLARE_D1_DATABASE_ID, CLOUDFLARE_API_TOKEN). HEYHI_VANTAGE names the vantage point,
// by default ext-<host>. Targets whose provider key is not set are left out (and named in a
// log event). With no store the rows are printed: a table, then one JSON line each.
//
//   node worker-shim/src/node-main.ts        (scripts/check-once builds the core first)
//
// Log events go to stderr, one JSON object each, scrubbed of every secret value; the last one
// says how the run ended. Exit status: 0 the run completed (every probe recorded, and the
// store accepted the rows or there was none); 2 the environment or configuration is unusable;
// 3 the store did not accept the rows (then they are printed, so none is lost); 4 the probes
// could not all be recorded; 1 anything unforeseen.
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";

import type { CheckRow, CoreError, DueProbe } from "./core.ts";
import { loadCore } from "./core.ts";
import { warnAboutCost } from "./cost.ts";
import { createLogger, type Logger } from "./log.ts";
import {
  defaultVantage,
  keyedProbes,
  outsideProbes,
  runOutside,
  vantageProblem,
  type OutsideContext,
} from "./outside.ts";
import { secretRedactor, type Redactor } from "./redact.ts";
import {
  chooseStore,
  ConfigurationError,
  loadRunSettings,
  SECRET_NAMES,
  type Env,
  type RunSettings,
} from "./settings.ts";
import { d1OverHttp } from "./store/d1-http.ts";
import type { Store } from "./store/store.ts";

const EXIT = { complete: 0, unforeseen: 1, unusable: 2, store: 3, probe: 4 } as const;

const D1_NAMES = ["CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_D1_DATABASE_ID", "CLOUDFLARE_API_TOKEN"];
const WASM = path.join(import.meta.dirname, "../../build/wasm/heyhi-core.wasm");

// Node compiles from bytes; the Workers types know WebAssembly.Module only as the class of
// modules a bundler compiled.
type Compiled = WebAssembly.Module;
const CompiledModule = WebAssembly.Module as unknown as new (bytes: Uint8Array) => Compiled;

type Environment = Record<string, string | undefined>;

class Unusable extends Error {
  readonly errors: CoreError[];

  constructor(errors: CoreError[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join("; "));
    this.errors = errors;
  }
}

/** Where the rows go: a store the environment names, or none (they are printed). */
function storeFrom(environment: Environment): Store | null {
  const wanted = environment.HEYHI_STORE?.trim();
  if (!wanted && !environment.SUPABASE_URL) return null;
  if (wanted !== "d1") return chooseStore({ ...environment, HEYHI_STORE: wanted || "postgrest" });
  const missing = D1_NAMES.filter((name) => !environment[name]);
  if (missing.length > 0) {
    throw new Unusable(
      missing.map((field) => ({ field, message: "is required for the d1 store outside a Worker" })),
    );
  }
  const DB = d1OverHttp({
    accountId: environment.CLOUDFLARE_ACCOUNT_ID!,
    databaseId: environment.CLOUDFLARE_D1_DATABASE_ID!,
    apiToken: environment.CLOUDFLARE_API_TOKEN!,
    ...(environment.CLOUDFLARE_API_BASE ? { apiBase: environment.CLOUDFLARE_API_BASE } : {}),
  });
  return chooseStore({ DB, HEYHI_STORE: "d1" });
}

function vantageFrom(environment: Environment): string {
  const name = environment.HEYHI_VANTAGE?.trim() || defaultVantage(hostname());
  const problem = vantageProblem(name);
  if (problem) throw new Unusable([{ field: "HEYHI_VANTAGE", message: problem }]);
  return name;
}

/** Every secret value of the environment this run may hold, for the redactor. */
function secretValues(environment: Environment, settings: RunSettings): string[] {
  const token = environment.CLOUDFLARE_API_TOKEN;
  return token ? [...settings.secretValues, token] : settings.secretValues;
}

function errorsOf(error: unknown): CoreError[] | null {
  if (error instanceof ConfigurationError || error instanceof Unusable) return error.errors;
  return null;
}

const cell = (value: unknown) => (value === null || value === undefined ? "-" : String(value));
const TABLE_COLUMNS = [
  "provider",
  "model",
  "region",
  "ok",
  "http_status",
  "error_type",
  "attribution",
  "latency_ms",
  "detail",
] as const;
const DETAIL_WIDTH = 60;

/** The rows as a table, then each as one JSON line. */
function printedRows(rows: readonly CheckRow[]): string {
  const cells = rows.map((row) =>
    TABLE_COLUMNS.map((c) => (c === "detail" ? cell(row[c]).slice(0, DETAIL_WIDTH) : cell(row[c]))),
  );
  const widths = TABLE_COLUMNS.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const table = [line(TABLE_COLUMNS), ...cells.map(line)].join("\n");
  return `${table}\n${rows.map((row) => JSON.stringify(row)).join("\n")}\n`;
}

interface Io {
  environment: Environment;
  out: (text: string) => void;
  err: (text: string) => void;
  now: () => number;
}

function loadFileCore() {
  if (!existsSync(WASM)) {
    throw new Unusable([
      { field: "core", message: `${WASM} is missing: run scripts/build worker` },
    ]);
  }
  return loadCore(new CompiledModule(readFileSync(WASM)));
}

interface Prepared {
  ctx: OutsideContext;
  vantage: string;
  log: Logger;
  redact: Redactor;
}

async function prepare(io: Io): Promise<Prepared> {
  const core = await loadFileCore();
  const settings = loadRunSettings(core, io.environment as Env);
  const vantage = vantageFrom(io.environment);
  const store = storeFrom(io.environment);
  const secrets = secretValues(io.environment, settings);
  const log = createLogger(secrets, (line) => io.err(`${line}\n`));
  warnAboutCost(settings.cost, log, store?.kind ?? null);
  return { ctx: { core, settings, store }, vantage, log, redact: secretRedactor(secrets) };
}

function refuse(io: Io, redact: Redactor, code: number, fields: Record<string, unknown>): number {
  const line = JSON.stringify({ event: "outside_run_failed", exit_code: code, ...fields });
  io.err(`${redact(line)}\n`);
  return code;
}

/** The secrets of the environment by name, before (or without) its settings. */
function environmentRedactor(environment: Environment): Redactor {
  const names = [...SECRET_NAMES, "CLOUDFLARE_API_TOKEN"] as const;
  return secretRedactor(names.flatMap((name) => environment[name] ?? []));
}

/** The probes of every enabled target this vantage has a key for, or why there are none. */
function keyedDue({ ctx, vantage, log }: Prepared): DueProbe[] | { code: number; reason: string } {
  const planned = outsideProbes(ctx.core, ctx.settings, vantage);
  if (typeof planned === "string") return { code: EXIT.probe, reason: planned };
  // A vantage not given a provider's key has nothing to say about that provider: a row
  // blaming a missing key here would read as the deployment's own configuration fault.
  const due = keyedProbes(planned, ctx.settings);
  if (due.length === 0) {
    const names = [...new Set(planned.map((p) => p.request.auth.secret_name))];
    const reason =
      `no provider key is set: set at least one of ${names.join(", ")}; to try the run ` +
      "without keys, start the emulator (node tests/emulator/server.mjs --port 9100) and set " +
      "PROVIDER_ORIGIN=http://127.0.0.1:9100 with any value as a key";
    return { code: EXIT.unusable, reason };
  }
  const unkeyed = planned.filter((p) => !due.includes(p)).map((p) => p.target_id);
  if (unkeyed.length > 0) log.event("outside_targets_unkeyed", { vantage, targets: unkeyed });
  return due;
}

/** One run; answers the exit status. */
async function main(io: Io): Promise<number> {
  const startedMs = io.now();
  const early = environmentRedactor(io.environment);
  let prepared: Prepared;
  try {
    prepared = await prepare(io);
  } catch (error) {
    const errors = errorsOf(error);
    if (!errors) throw error;
    return refuse(io, early, EXIT.unusable, { reason: "the run cannot start", errors });
  }
  const { ctx, vantage, redact } = prepared;
  const due = keyedDue(prepared);
  if (!Array.isArray(due)) return refuse(io, redact, due.code, { reason: due.reason });

  const result = await runOutside(ctx, { vantage, due, started_ms: startedMs });
  if (!ctx.store || !result.complete) io.out(redact(printedRows(result.rows)));
  if (!result.complete) {
    const code = result.stage === "store" ? EXIT.store : EXIT.probe;
    return refuse(io, redact, code, {
      reason: result.reason,
      vantage,
      rows: result.rows.length,
      store: ctx.store?.kind ?? null,
    });
  }
  prepared.log.event("outside_run", { ...result.report });
  return EXIT.complete;
}

async function cli(): Promise<void> {
  const io: Io = {
    environment: process.env,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    now: () => Date.now(),
  };
  try {
    process.exitCode = await main(io);
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.exitCode = refuse(io, environmentRedactor(io.environment), EXIT.unforeseen, {
      reason,
    });
  }
}

await cli();
