// The Node entry point (worker-shim/src/node-main.ts) run as a process, as the workflow and
// scripts/check-once run it: against the provider emulator, with no store, with the PostgREST
// stand-in on PostgreSQL and with the D1 REST API stand-in, and with every kind of bad input.
//   HEYHI_PG_URL="$(scripts/pg-up)" node --test tests/outside/entry.test.ts
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import pg from "pg";

import defaultConfig from "../../worker-shim/config/healthboard.json" with { type: "json" };
import type { CheckRow } from "../../worker-shim/src/core.ts";
import { defaultVantage, minuteOf, vantageProblem } from "../../worker-shim/src/outside.ts";
import { D1Store } from "../../worker-shim/src/store/d1.ts";
import { d1OverHttp } from "../../worker-shim/src/store/d1-http.ts";
import { PostgrestStore } from "../../worker-shim/src/store/postgrest.ts";
import { CHECK_COLUMNS, type Store } from "../../worker-shim/src/store/store.ts";
import { startD1Standin } from "../d1-api/standin.mjs";
import { startEmulator } from "../emulator/emulator.mjs";
import { startStandin } from "../postgrest/standin.mjs";

const ENTRY = path.join(import.meta.dirname, "../../worker-shim/src/node-main.ts");
const CHECK_ONCE = path.join(import.meta.dirname, "../../scripts/check-once");
const DATABASE_URL = process.env.HEYHI_PG_URL;

// Distinctive values, searched for in everything the process prints.
const KEYS = {
  OPENAI_API_KEY: `sk-outside-openai-${randomBytes(8).toString("hex")}`,
  ANTHROPIC_API_KEY: `sk-outside-anthropic-${randomBytes(8).toString("hex")}`,
  MISTRAL_API_KEY: `outside-mistral-${randomBytes(8).toString("hex")}`,
};
const KEYED = new Set(["openai", "anthropic", "mistral"]);
const SERVICE_KEY = `service-${randomBytes(12).toString("hex")}`;
const D1 = {
  CLOUDFLARE_ACCOUNT_ID: "0123456789abcdef0123456789abcdef",
  CLOUDFLARE_D1_DATABASE_ID: "00000000-0000-4000-8000-00000000d1d1",
  CLOUDFLARE_API_TOKEN: `cf-token-${randomBytes(12).toString("hex")}`,
};
const SECRETS = [...Object.values(KEYS), SERVICE_KEY, D1.CLOUDFLARE_API_TOKEN];

const expectedTargets = defaultConfig.targets
  .filter((t) => KEYED.has(t.provider) && (t as { enabled?: boolean }).enabled !== false)
  .map((t) => `${t.provider}/${t.model}`);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  startedMs: number;
  endedMs: number;
  events: Array<Record<string, unknown> & { event: string }>;
}

let emulator: Awaited<ReturnType<typeof startEmulator>>;

/** The entry point as the workflow runs it, or `command` (scripts/check-once) instead. */
function run(env: Record<string, string>, command?: string): Promise<Run> {
  const startedMs = Date.now();
  const child = spawn(command ?? process.execPath, command ? [] : [ENTRY], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      const lines = stderr.split("\n").filter((l) => l.length > 0);
      // Every line on stderr is one JSON event: a line that is not fails here, naming itself.
      const events = lines.map((line) => {
        try {
          return JSON.parse(line) as Run["events"][number];
        } catch {
          throw new Error(`stderr line is not JSON: ${line}`);
        }
      });
      resolve({ code, stdout, stderr, startedMs, endedMs: Date.now(), events });
    });
  });
}

const vantage = () => `ext-test-${randomBytes(4).toString("hex")}`;
const emulated = () => ({ PROVIDER_ORIGIN: emulator.url, ...KEYS });

function assertNoSecret(result: Run) {
  for (const secret of SECRETS) {
    assert.ok(!result.stdout.includes(secret), "a secret reached stdout");
    assert.ok(!result.stderr.includes(secret), "a secret reached stderr");
  }
}

/** The rows a run with no store printed as JSON lines after its table. */
function printedRows(result: Run): CheckRow[] {
  return result.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as CheckRow);
}

/** The single failure event and its exit code. */
function failure(result: Run, code: number) {
  assert.equal(result.code, code, result.stderr);
  const failed = result.events.filter((e) => e.event === "outside_run_failed");
  assert.equal(failed.length, 1, result.stderr);
  assert.equal(failed[0]!.exit_code, code);
  assertNoSecret(result);
  return failed[0]!;
}

/** Each healthy row, field by field, as the emulator answers a probe from `name`. */
function assertHealthyRows(rows: CheckRow[], name: string, result: Run) {
  assert.deepEqual(
    rows.map((r) => `${r.provider}/${r.model}`),
    expectedTargets,
    "one row per keyed enabled target, in configuration order",
  );
  const minutes = new Set([minuteOf(result.startedMs), minuteOf(result.endedMs)]);
  for (const row of rows) {
    assert.deepEqual(Object.keys(row).sort(), [...CHECK_COLUMNS].sort());
    assert.equal(row.region, name);
    assert.equal(row.colo, null);
    assert.ok(minutes.has(Date.parse(row.scheduled_at)), `scheduled_at ${row.scheduled_at}`);
    assert.match(row.scheduled_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
    const ts = Date.parse(row.ts);
    assert.ok(ts >= result.startedMs - 1000 && ts <= result.endedMs, `ts ${row.ts}`);
    assert.equal(row.ok, true, row.detail ?? "");
    assert.equal(row.http_status, 200);
    assert.equal(row.error_type, null);
    assert.equal(row.attribution, null);
    assert.ok(Number.isInteger(row.latency_ms) && row.latency_ms >= 0);
    assert.ok(row.ttfb_ms !== null && row.ttfb_ms <= row.latency_ms);
    assert.ok((row.tokens_in ?? 0) > 0);
    assert.ok(row.tokens_out !== null && row.tokens_out >= 0);
    assert.ok(row.request_id && row.request_id.length > 0);
    assert.equal(row.detail, null);
  }
}

async function storedRows(store: Store, name: string, result: Run): Promise<CheckRow[]> {
  // Every column, as the board reads them: the rules' read returns only the ones they use.
  // One read per target: the D1 REST API takes no null parameter for an absent filter.
  const sinceIso = new Date(minuteOf(result.startedMs)).toISOString();
  const rows: CheckRow[] = [];
  for (const target of expectedTargets) {
    const slash = target.indexOf("/");
    const [provider, model] = [target.slice(0, slash), target.slice(slash + 1)];
    const read = await store.recentChecks({ sinceIso, provider, model, limit: 100 });
    assert.ok(read.ok, JSON.stringify(read));
    rows.push(
      ...read.rows.filter(
        (row) => row.region === name && Date.parse(row.scheduled_at) <= result.endedMs,
      ),
    );
  }
  return rows;
}

/** A run into `store` that completed: nothing printed, every row stored, field by field. */
async function assertStoredRun(env: Record<string, string>, store: Store): Promise<string> {
  const name = vantage();
  const result = await run({ ...emulated(), ...env, HEYHI_VANTAGE: name });
  assert.equal(result.code, 0, result.stderr);
  assertNoSecret(result);
  assert.equal(result.stdout, "");
  const done = result.events.at(-1)!;
  assert.equal(done.event, "outside_run");
  assert.equal(done.store, store.kind);
  assert.equal((done.write as { ok: boolean }).ok, true);
  assertHealthyRows(await storedRows(store, name, result), name, result);
  return name;
}

before(async () => {
  emulator = await startEmulator({ port: 0, log: () => {} });
});

after(async () => {
  await emulator.close();
});

describe("vantage names", () => {
  test("an outside name has a dash, so it can never be a Cloudflare location hint", () => {
    assert.equal(vantageProblem("gha-eastus"), null);
    assert.equal(vantageProblem("ext-my-laptop-2"), null);
    for (const bad of ["enam", "wnam", "me", "Gha-eastus", "gha_eastus", "-gha", "9-x", ""]) {
      assert.ok(vantageProblem(bad), bad);
    }
    assert.ok(vantageProblem(`a-${"b".repeat(62)}`), "64 characters is one too many");
  });

  test("the default name is ext- and the host name made fit", () => {
    assert.equal(defaultVantage("Build.Box_01.local"), "ext-build-box-01-local");
    assert.equal(defaultVantage("___"), "ext-host");
    const long = defaultVantage("h".repeat(100));
    assert.equal(long.length, 63);
    assert.equal(vantageProblem(long), null);
  });
});

describe("a run with no store", () => {
  test("prints a healthy row per keyed target, with the vantage as region; exits 0", async () => {
    const name = vantage();
    const result = await run({ ...emulated(), HEYHI_VANTAGE: name });
    assert.equal(result.code, 0, result.stderr);
    assertNoSecret(result);
    const rows = printedRows(result);
    assertHealthyRows(rows, name, result);
    const header = result.stdout.split("\n")[0]!;
    assert.match(header, /^provider\s+model\s+region\s+ok\s+http_status\s+error_type/);
    const done = result.events.at(-1)!;
    assert.equal(done.event, "outside_run");
    assert.equal(done.vantage, name);
    assert.equal(done.due, expectedTargets.length);
    assert.equal(done.store, null);
    const unkeyed = result.events.find((e) => e.event === "outside_targets_unkeyed");
    assert.ok(unkeyed && (unkeyed.targets as string[]).some((t) => t.startsWith("gemini/")));
  });

  test("sends each probe with the vantage name, so a fault can hit it alone", async () => {
    const name = vantage();
    await emulator.setFaults({
      rules: [
        {
          provider: "anthropic",
          model: "claude-haiku-5-5",
          region: name,
          sequence: ["overloaded"],
        },
      ],
    });
    try {
      emulator.clearRequests();
      const result = await run({ ...emulated(), HEYHI_VANTAGE: name });
      assert.equal(result.code, 0, result.stderr);
      const rows = printedRows(result);
      const faulted = rows.find((r) => r.model === "claude-haiku-5-5")!;
      assert.equal(faulted.ok, false);
      assert.equal(faulted.http_status, 529);
      assert.equal(faulted.error_type, "overloaded");
      assert.equal(faulted.attribution, "provider");
      assert.equal(faulted.region, name);
      assert.equal(faulted.colo, null);
      assert.ok(rows.filter((r) => r !== faulted).every((r) => r.ok));
      const regions = new Set(emulator.requests().map((r) => r.region));
      assert.deepEqual([...regions], [name]);
    } finally {
      await emulator.setFaults({ rules: [] });
    }
  });
});

describe("scripts/check-once", () => {
  test("builds the core if it changed and runs the same entry point", async () => {
    const name = vantage();
    const result = await run({ ...emulated(), HEYHI_VANTAGE: name }, CHECK_ONCE);
    assert.equal(result.code, 0, result.stderr);
    assertNoSecret(result);
    assertHealthyRows(printedRows(result), name, result);
    assert.equal(result.events.at(-1)!.event, "outside_run");
  });

  test("names the vantage ext-<host> when given none", async () => {
    const result = await run(emulated(), CHECK_ONCE);
    assert.equal(result.code, 0, result.stderr);
    const regions = new Set(printedRows(result).map((r) => r.region));
    assert.deepEqual([...regions], [defaultVantage(hostname())]);
  });
});

describe("refusals", () => {
  test("a bad vantage name exits 2, naming HEYHI_VANTAGE, before any probe", async () => {
    for (const bad of ["Bad_Name", "wnam"]) {
      emulator.clearRequests();
      const result = await run({ ...emulated(), HEYHI_VANTAGE: bad });
      const failed = failure(result, 2);
      const errors = failed.errors as Array<{ field: string; message: string }>;
      assert.equal(errors[0]!.field, "HEYHI_VANTAGE");
      assert.match(errors[0]!.message, /is not a vantage name/);
      assert.equal(result.stdout, "");
      assert.equal(emulator.requests().length, 0);
    }
  });

  test("a configuration not JSON or refused by the core exits 2 with its fields", async () => {
    const broken = await run({ ...emulated(), HEYHI_VANTAGE: vantage(), HEYHI_CONFIG: "{oops" });
    const notJson = failure(broken, 2).errors as Array<{ field: string }>;
    assert.equal(notJson[0]!.field, "HEYHI_CONFIG");
    const config = JSON.stringify({ targets: [{ provider: "nope", model: "m" }] });
    const refused = await run({ ...emulated(), HEYHI_VANTAGE: vantage(), HEYHI_CONFIG: config });
    const fields = (failure(refused, 2).errors as Array<{ field: string }>).map((e) => e.field);
    assert.ok(fields.includes("targets[0].provider"), fields.join());
  });

  test("no provider key and no provider origin exits 2 saying what is needed", async () => {
    const result = await run({ HEYHI_VANTAGE: vantage() });
    const failed = failure(result, 2);
    assert.match(String(failed.reason), /OPENAI_API_KEY.*ANTHROPIC_API_KEY/);
    assert.match(String(failed.reason), /PROVIDER_ORIGIN/);
  });

  test("a d1 store without its REST credentials exits 2 naming each missing one", async () => {
    const result = await run({ ...emulated(), HEYHI_VANTAGE: vantage(), HEYHI_STORE: "d1" });
    const fields = (failure(result, 2).errors as Array<{ field: string }>).map((e) => e.field);
    assert.deepEqual(fields, Object.keys(D1));
  });

  test("a postgrest store without its key exits 2, and an unknown store kind too", async () => {
    const noKey = await run({
      ...emulated(),
      HEYHI_VANTAGE: vantage(),
      HEYHI_STORE: "postgrest",
      SUPABASE_URL: "http://127.0.0.1:9",
    });
    const fields = (failure(noKey, 2).errors as Array<{ field: string }>).map((e) => e.field);
    assert.deepEqual(fields, ["SUPABASE_SERVICE_ROLE_KEY"]);
    const unknown = await run({ ...emulated(), HEYHI_VANTAGE: vantage(), HEYHI_STORE: "mysql" });
    assert.equal((failure(unknown, 2).errors as Array<{ field: string }>)[0]!.field, "HEYHI_STORE");
  });
});

describe("the D1 store through its REST API", () => {
  let d1: Awaited<ReturnType<typeof startD1Standin>>;
  before(async () => {
    d1 = await startD1Standin({
      accountId: D1.CLOUDFLARE_ACCOUNT_ID,
      databaseId: D1.CLOUDFLARE_D1_DATABASE_ID,
      apiToken: D1.CLOUDFLARE_API_TOKEN,
    });
  });
  after(() => d1.close());
  const d1Env = () => ({ ...D1, HEYHI_STORE: "d1", CLOUDFLARE_API_BASE: d1.apiBase });

  test("stores every row, field by field, and prints none", async () => {
    const store = new D1Store(
      d1OverHttp({
        accountId: D1.CLOUDFLARE_ACCOUNT_ID,
        databaseId: D1.CLOUDFLARE_D1_DATABASE_ID,
        apiToken: D1.CLOUDFLARE_API_TOKEN,
        apiBase: d1.apiBase,
      }),
    );
    await assertStoredRun(d1Env(), store);
  });

  test("a refused token exits 3 and prints the rows, so none is lost", async () => {
    const name = vantage();
    const result = await run({
      ...emulated(),
      ...d1Env(),
      CLOUDFLARE_API_TOKEN: `${D1.CLOUDFLARE_API_TOKEN}-revoked`,
      HEYHI_VANTAGE: name,
    });
    const failed = failure(result, 3);
    assert.match(String(failed.reason), /D1 API answered 403: Authentication error \(code 10000\)/);
    assert.equal(failed.store, "d1");
    assert.equal(failed.rows, expectedTargets.length);
    assert.deepEqual(
      printedRows(result).map((r) => r.region),
      expectedTargets.map(() => name),
    );
    const stored = d1.db.prepare("select count(*) as n from llm_checks where region = ?").get(name);
    assert.equal(stored?.n, 0);
  });
});

// Without the database the store tests cannot run; this fails the file, saying why.
test("HEYHI_PG_URL points the tests at the PostgreSQL that scripts/pg-up prepares", () => {
  assert.ok(DATABASE_URL, 'HEYHI_PG_URL is not set: run HEYHI_PG_URL="$(scripts/pg-up)"');
});

describe("the PostgREST store on PostgreSQL", () => {
  let standin: Awaited<ReturnType<typeof startStandin>>;
  let url: string;
  const names: string[] = [];
  before(async () => {
    standin = await startStandin({
      databaseUrl: DATABASE_URL!,
      serviceKey: SERVICE_KEY,
      anonKey: `anon-${randomBytes(8).toString("hex")}`,
    });
    url = `http://127.0.0.1:${standin.port}`;
  });
  after(async () => {
    const db = new pg.Pool({ connectionString: DATABASE_URL! });
    const client = await db.connect();
    // Only the service role may delete; the connection's own role may not.
    await client.query("begin");
    await client.query("select set_config('role', 'service_role', true)");
    await client.query("delete from public.llm_checks where region = any ($1)", [names]);
    await client.query("commit");
    client.release();
    await db.end();
    await standin.close();
  });
  const pgEnv = (key = SERVICE_KEY) => ({
    HEYHI_STORE: "postgrest",
    SUPABASE_URL: url,
    SUPABASE_SERVICE_ROLE_KEY: key,
  });

  test("stores every row, field by field, and prints none", async () => {
    names.push(
      await assertStoredRun(pgEnv(), new PostgrestStore({ url, serviceKey: SERVICE_KEY })),
    );
  });

  test("a refused key exits 3 with the store's answer and no key in any output", async () => {
    const name = vantage();
    names.push(name);
    const result = await run({
      ...emulated(),
      ...pgEnv(`${SERVICE_KEY}-wrong`),
      HEYHI_VANTAGE: name,
    });
    const failed = failure(result, 3);
    assert.equal(failed.store, "postgrest");
    assert.match(String(failed.reason), /401/);
    assert.equal(printedRows(result).length, expectedTargets.length);
  });
});
