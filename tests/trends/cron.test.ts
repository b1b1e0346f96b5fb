// The pg_cron path: on a PostgreSQL that preloads pg_cron (as Supabase does), the migrations
// schedule public.maintain_trends once, however often they are applied, and pg_cron really runs
// it. A private cluster of its own, started from postgresql-15-cron's library, so the shared
// cluster's settings stay as they are. It waits for pg_cron's next minute, up to about 70 s.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { migrationFiles, migrationText } from "./support.ts";

const BIN = "/usr/lib/postgresql/15/bin";
const CONTROL = "/usr/share/postgresql/15/extension/pg_cron.control";
const DATABASE = "heyhi_cron";
const PORT = "5439"; // a socket file in a directory of its own; no TCP
const JOB = "heyhi-maintain-trends";

let dir: string;
let started = false;

function asPostgres(command: string, args: string[], input?: string) {
  const runAs = userInfo().username === "postgres" ? [] : ["runuser", "-u", "postgres", "--"];
  const argv = [...runAs, command, ...args];
  const result = spawnSync(argv[0]!, argv.slice(1), { input, encoding: "utf8" });
  return { status: result.status, out: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

function psql(sql: string, database = DATABASE): string {
  const result = asPostgres(
    join(BIN, "psql"),
    ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", dir, "-p", PORT, "-d", database, "-f", "-"],
    sql,
  );
  assert.equal(result.status, 0, result.out);
  return result.out.trim();
}

before(() => {
  assert.ok(
    existsSync(CONTROL),
    "pg_cron is not installed: scripts/setup installs postgresql-15-cron",
  );
  dir = mkdtempSync("/tmp/heyhi-cron-");
  const postgres = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  chownSync(dir, Number(postgres.stdout.trim()), Number(postgres.stdout.trim()));
  const init = asPostgres(join(BIN, "initdb"), [
    "-D",
    join(dir, "data"),
    "-A",
    "trust",
    "-U",
    "postgres",
    "--no-sync",
  ]);
  assert.equal(init.status, 0, init.out);
  const options = [
    `-p ${PORT}`,
    `-k ${dir}`,
    "-c listen_addresses=''",
    "-c shared_preload_libraries=pg_cron",
    `-c cron.database_name=${DATABASE}`,
    `-c cron.host=${dir}`,
  ].join(" ");
  const start = asPostgres(join(BIN, "pg_ctl"), [
    "-D",
    join(dir, "data"),
    "-o",
    options,
    "-l",
    join(dir, "log"),
    "-w",
    "start",
  ]);
  assert.equal(start.status, 0, start.out);
  started = true;
  psql(`create database ${DATABASE}`, "postgres");
});

after(() => {
  if (started)
    asPostgres(join(BIN, "pg_ctl"), ["-D", join(dir, "data"), "-m", "immediate", "stop"]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("applied twice, the migrations schedule trend maintenance once, hourly", () => {
  for (let pass = 0; pass < 2; pass++) {
    for (const name of migrationFiles()) psql(`begin;\n${migrationText(name)}\ncommit;`);
  }
  const jobs = psql(`select jobname || ' | ' || schedule || ' | ' || command || ' | ' || active
    from cron.job`);
  assert.equal(jobs, `${JOB} | 7 * * * * | select public.maintain_trends() | true`);
});

test("pg_cron runs the scheduled maintenance, which rolls the probes up", async () => {
  psql(`insert into public.llm_checks (scheduled_at, ts, region, provider, model, ok, latency_ms)
    values (date_bin('1 minute', now(), timestamptz '2000-01-01') - interval '5 minutes', now(),
            'enam', 'openai', 'gpt-6-luna', true, 512)`);
  // The job's own schedule is hourly; every minute, for the test, makes pg_cron run it soon.
  psql(
    `select cron.alter_job(jobid, schedule := '* * * * *') from cron.job where jobname = '${JOB}'`,
  );
  let status = "";
  for (let waited = 0; waited < 75 && !status; waited += 2) {
    await sleep(2000);
    status = psql(`select d.status || ' ' || coalesce(d.return_message, '')
      from cron.job_run_details d join cron.job j using (jobid)
      where j.jobname = '${JOB}' and d.status in ('succeeded', 'failed') limit 1`);
  }
  assert.match(status, /^succeeded/, status || "pg_cron did not run the job within 75 s");
  assert.equal(psql("select probes from public.llm_checks_hourly where model = 'gpt-6-luna'"), "1");
  assert.equal(psql("select maintained_at is not null from public.trend_settings"), "t");
});
