// Shared pieces of the trend tests: the seeded database scripts/test prepares, queries as one of
// its roles inside a transaction that is rolled back, and the migration files.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

import pg from "pg";

export const ROOT = resolve(import.meta.dirname, "../..");
export const MIGRATIONS_DIR = join(ROOT, "sql/postgres");
export const TRENDS_URL = process.env.HEYHI_TRENDS_PG_URL;
export const NO_DATABASE =
  "HEYHI_TRENDS_PG_URL is not set: these tests read the 30 seeded days that scripts/test " +
  "prepares (scripts/pg-up, then scripts/seed into that database)";

export type Role = "service_role" | "heyhi_grafana" | "anon" | "authenticated";
export type Rows = Array<Record<string, unknown>>;

export function trendsPool(): InstanceType<typeof pg.Pool> {
  assert.ok(TRENDS_URL, NO_DATABASE);
  return new pg.Pool({ connectionString: TRENDS_URL, max: 4 });
}

/**
 * Runs `body` in a transaction as `role` and rolls it back, so the seeded days stay as they
 * are whatever it changes.
 */
export async function asRole<T>(
  pool: InstanceType<typeof pg.Pool>,
  role: Role,
  body: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query("select set_config('role', $1, true)", [role]);
    return await body(client);
  } finally {
    await client.query("rollback").catch(() => undefined);
    client.release();
  }
}

/** The SQLSTATE a statement fails with as `role`, or null when it succeeds. */
export async function failureCode(
  pool: InstanceType<typeof pg.Pool>,
  role: Role,
  sql: string,
  values: unknown[] = [],
): Promise<string | null> {
  return asRole(pool, role, async (client) => {
    try {
      await client.query(sql, values);
      return null;
    } catch (error) {
      return (error as { code?: string }).code ?? "no code";
    }
  });
}

/** The minute after the last seeded probe: the "now" the seeded days end at. */
export async function seededNow(pool: InstanceType<typeof pg.Pool>): Promise<Date> {
  return asRole(pool, "service_role", async (client) => {
    const { rows } = await client.query(
      "select max(scheduled_at) + interval '1 minute' as now from public.llm_checks",
    );
    assert.ok(rows[0].now, "the trends database holds no probes: was it seeded?");
    return rows[0].now as Date;
  });
}

export function migrationFiles(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((name) => name.endsWith(".sql"))
    .sort();
}

export function migrationText(name: string): string {
  return readFileSync(join(MIGRATIONS_DIR, name), "utf8");
}

/** Connection details of the cluster the trends database lives in, from its URL. */
export function clusterOf(url: string): { port: string; database: string } {
  const parsed = new URL(url);
  return { port: parsed.port || "5432", database: parsed.pathname.slice(1) };
}

/**
 * psql as the cluster's superuser over the local socket (peer authentication, so the tests
 * run as root or postgres, as scripts/pg-up does). Returns its exit status and output.
 */
export function psqlAsPostgres(
  port: string,
  database: string,
  args: string[],
  input?: string,
): { status: number | null; stdout: string; stderr: string } {
  const asPostgres = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
  const command = [...asPostgres, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-p", port];
  const result = spawnSync(command[0]!, [...command.slice(1), "-d", database, ...args], {
    input,
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
