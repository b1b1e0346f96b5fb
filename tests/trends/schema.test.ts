// The Postgres schema as Supabase and Grafana meet it: migrations that apply to a fresh database
// and again, each file in one transaction as the Supabase CLI runs it; row-level security on
// every table; the service role writes, the Grafana reader reads the board's tables only, the
// API's anonymous roles get nothing. Runs against the seeded database scripts/test prepares.
import assert from "node:assert/strict";
import { readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import {
  asRole,
  clusterOf,
  failureCode,
  MIGRATIONS_DIR,
  migrationFiles,
  migrationText,
  psqlAsPostgres,
  ROOT,
  TRENDS_URL,
  NO_DATABASE,
  trendsPool,
} from "./support.ts";

// The Supabase CLI's own pattern for a migration file (pkg/migration/file.go).
const CLI_MIGRATION_NAME = /^([0-9]+)_(.*)\.sql$/;
const PERMISSION_DENIED = "42501";

let pool: ReturnType<typeof trendsPool>;

before(() => {
  pool = trendsPool();
});
after(async () => {
  await pool?.end();
});

test("HEYHI_TRENDS_PG_URL points at the seeded database", () => {
  assert.ok(TRENDS_URL, NO_DATABASE);
});

describe("migrations", () => {
  test("are named and placed as the Supabase CLI reads them", () => {
    const files = migrationFiles();
    assert.ok(files.length >= 6);
    const versions = files.map((name) => CLI_MIGRATION_NAME.exec(name)?.[1]);
    assert.ok(
      versions.every((v) => v !== undefined && v.length === 14),
      files.join(", "),
    );
    assert.equal(new Set(versions).size, versions.length, "two migrations share a version");
    assert.equal(realpathSync(join(ROOT, "supabase/migrations")), realpathSync(MIGRATIONS_DIR));
    const config = readFileSync(join(ROOT, "supabase/config.toml"), "utf8");
    assert.match(config, /^project_id = "heyhi"$/m);
  });

  test("hold plain SQL the CLI can send statement by statement: no psql commands", () => {
    for (const name of migrationFiles()) {
      assert.doesNotMatch(migrationText(name), /^\s*\\/m, `${name} has a psql meta-command`);
    }
  });

  test("apply to a fresh database and again, each file in one transaction", () => {
    assert.ok(TRENDS_URL, NO_DATABASE);
    const { port, database } = clusterOf(TRENDS_URL);
    const fresh = `${database}_fresh`;
    const admin = (sql: string) => psqlAsPostgres(port, "postgres", ["-c", sql]);
    assert.equal(admin(`drop database if exists ${fresh} with (force)`).status, 0);
    assert.equal(admin(`create database ${fresh}`).status, 0);
    try {
      for (const pass of [1, 2]) {
        for (const name of migrationFiles()) {
          const applied = psqlAsPostgres(
            port,
            fresh,
            ["--single-transaction", "-f", "-"],
            migrationText(name),
          );
          assert.equal(applied.status, 0, `pass ${pass}, ${name}: ${applied.stderr}`);
          assert.doesNotMatch(applied.stderr, /ERROR|WARNING/, `pass ${pass}, ${name}`);
        }
      }
      const tables = psqlAsPostgres(port, fresh, [
        "-At",
        "-c",
        "select tablename from pg_tables where schemaname = 'public' order by 1",
      ]);
      const names = tables.stdout.trim().split("\n");
      for (const table of ["llm_checks", "llm_checks_hourly", "trend_settings", "alerts"]) {
        assert.ok(names.includes(table), `${table} missing after the migrations`);
      }
    } finally {
      admin(`drop database if exists ${fresh} with (force)`);
    }
  });

  test("without pg_cron the schedule does nothing but say that the Worker runs maintenance", () => {
    assert.ok(TRENDS_URL, NO_DATABASE);
    const { port, database } = clusterOf(TRENDS_URL);
    const preloaded = psqlAsPostgres(port, database, [
      "-At",
      "-c",
      "show shared_preload_libraries",
    ]);
    assert.doesNotMatch(preloaded.stdout, /pg_cron/, "this cluster preloads pg_cron");
    const name = migrationFiles().find((file) => file.includes("schedule_trends_maintenance"));
    assert.ok(name);
    const applied = psqlAsPostgres(
      port,
      database,
      ["-c", "set client_min_messages = notice", "-f", "-"],
      migrationText(name),
    );
    assert.equal(applied.status, 0, applied.stderr);
    assert.match(
      applied.stderr,
      /pg_cron is not available here .*the Worker runs trend maintenance/,
    );
    const cron = psqlAsPostgres(port, database, [
      "-At",
      "-c",
      "select count(*) from pg_extension where extname = 'pg_cron'",
    ]);
    assert.equal(cron.stdout.trim(), "0");
  });
});

describe("row-level security and roles", () => {
  test("every table in public has row-level security on", async () => {
    const { rows } = await pool.query(
      `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity`,
    );
    assert.deepEqual(rows, []);
  });

  test("the service role writes probes and rollup rows", async () => {
    const code = await failureCode(
      pool,
      "service_role",
      `with probe as (
         insert into public.llm_checks (scheduled_at, ts, region, provider, model, ok, latency_ms)
         values ('2020-01-01T00:00Z', '2020-01-01T00:00:01Z', 'enam', 'openai', 'schema-test',
                 true, 420)
         returning 1
       )
       insert into public.llm_checks_hourly (hour, provider, model, region, probes, failures,
         latency_buckets, latency_counts)
       select '2020-01-01T00:00Z', 'openai', 'schema-test', 'enam', 1, 0, '{125}', '{1}'
       from probe`,
    );
    assert.equal(code, null);
  });

  test("the Grafana reader reads the board's tables", async () => {
    for (const table of ["llm_checks", "llm_checks_hourly", "provider_status_events", "alerts"]) {
      const count = await asRole(pool, "heyhi_grafana", async (client) => {
        const { rows } = await client.query(`select count(*)::int as n from public.${table}`);
        return rows[0].n as number;
      });
      assert.ok(count > 0, `heyhi_grafana sees no rows in ${table}`);
    }
  });

  test("the Grafana reader cannot insert, update, delete, create or maintain", async () => {
    const writes = [
      `insert into public.llm_checks (scheduled_at, ts, region, provider, model, ok, latency_ms)
       values ('2020-01-01T00:00Z', '2020-01-01T00:00:01Z', 'enam', 'x', 'y', true, 1)`,
      "update public.llm_checks set detail = 'x' where false",
      "delete from public.llm_checks_hourly where false",
      "update public.alerts set title = title where false",
      "insert into public.provider_status_events (ts, provider, source, source_id, status, title) " +
        "values (now(), 'x', 'feed', 'x', 'unknown', 'x')",
      "create table public.grafana_was_here (id int)",
      "select public.maintain_trends()",
    ];
    for (const sql of writes) {
      assert.equal(await failureCode(pool, "heyhi_grafana", sql), PERMISSION_DENIED, sql);
    }
  });

  test("the Grafana reader sees neither alert deliveries nor maintenance settings", async () => {
    for (const table of ["alert_deliveries", "trend_settings"]) {
      const code = await failureCode(pool, "heyhi_grafana", `select * from public.${table}`);
      assert.equal(code, PERMISSION_DENIED, table);
    }
  });

  test("the Grafana reader's sessions are read-only and bounded", async () => {
    const { rows } = await pool.query(
      `select unnest(s.setconfig) as setting from pg_db_role_setting s
       join pg_roles r on r.oid = s.setrole where r.rolname = 'heyhi_grafana'`,
    );
    const settings = rows.map((row) => row.setting as string);
    assert.ok(settings.includes("default_transaction_read_only=on"), settings.join(", "));
    assert.ok(
      settings.some((s) => s.startsWith("statement_timeout=")),
      settings.join(", "),
    );
  });

  test("the API's anonymous and signed-in roles read and write nothing", async () => {
    const tables = ["llm_checks", "llm_checks_hourly", "trend_settings", "alerts"];
    for (const role of ["anon", "authenticated"] as const) {
      for (const table of tables) {
        const code = await failureCode(pool, role, `select 1 from public.${table} limit 1`);
        assert.equal(code, PERMISSION_DENIED, `${role} on ${table}`);
      }
      const rpc = await failureCode(pool, role, "select public.maintain_trends()");
      assert.equal(rpc, PERMISSION_DENIED, `${role} may run maintenance`);
    }
  });

  test("every table and the rollup's non-obvious columns carry comments", async () => {
    const { rows: tables } = await pool.query(
      `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind = 'r' and obj_description(c.oid) is null`,
    );
    assert.deepEqual(tables, []);
    const { rows } = await pool.query(
      `select a.attname from pg_attribute a
       where a.attrelid in ('public.llm_checks_hourly'::regclass, 'public.trend_settings'::regclass)
         and a.attnum > 0 and col_description(a.attrelid, a.attnum) is null`,
    );
    const bare = rows.map((row) => row.attname as string).sort();
    assert.deepEqual(bare, ["id", "model", "probes", "provider", "region"]);
  });
});
