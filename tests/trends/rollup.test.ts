// The hourly rollup and retention on the 30 seeded days: counts that match the raw probes, p95s
// merged from bucket counts within 5 % of the exact ones over many ranges and targets, and
// maintenance that is idempotent, keeps what is not rolled up yet and runs once at a time.
// Every change is made in a transaction that is rolled back.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import type pg from "pg";

import { asRole, seededNow, trendsPool } from "./support.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const PRECISION = 0.05;

let pool: ReturnType<typeof trendsPool>;
let now: Date;

before(async () => {
  pool = trendsPool();
  now = await seededNow(pool);
});
after(async () => {
  await pool?.end();
});

const hourFloor = (ms: number) => new Date(Math.floor(ms / HOUR_MS) * HOUR_MS);

interface Scope {
  provider: string;
  model: string | null; // null: every model of the provider
  region: string | null; // null: every region
}

interface Range {
  from: Date; // on the hour
  to: Date; // on the hour, exclusive
}

// Exact nearest-rank percentiles from the raw probes and merged ones from the rollup, over the
// same whole hours.
const COMPARE_SQL = `
  with raw as (
    select percentile_disc($5) within group (order by latency_ms)::float8 as exact,
      count(*)::int as samples
    from public.llm_checks
    where ok and provider = $1 and ($2::text is null or model = $2)
      and ($3::text is null or region = $3)
      and scheduled_at >= $4::timestamptz and scheduled_at < $6::timestamptz
  ), rolled as (
    select public.latency_quantile(
      public.latency_histogram(latency_buckets, latency_counts), $5) as merged
    from public.llm_checks_hourly
    where provider = $1 and ($2::text is null or model = $2) and ($3::text is null or region = $3)
      and hour >= $4::timestamptz and hour < $6::timestamptz
  )
  select exact, merged, samples from raw, rolled`;

async function compare(scope: Scope, range: Range, q: number) {
  return asRole(pool, "heyhi_grafana", async (client) => {
    const { rows } = await client.query(COMPARE_SQL, [
      scope.provider,
      scope.model,
      scope.region,
      range.from,
      q,
      range.to,
    ]);
    return rows[0] as { exact: number; merged: number; samples: number };
  });
}

// A small deterministic generator, so the "random" ranges are the same on every run.
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

function ranges(): Array<{ name: string; range: Range }> {
  const end = hourFloor(now.getTime());
  const back = (hours: number) => new Date(end.getTime() - hours * HOUR_MS);
  const named = [
    { name: "the last hour", range: { from: back(1), to: end } },
    { name: "the last 24 hours", range: { from: back(24), to: end } },
    { name: "the last 7 days", range: { from: back(7 * 24), to: end } },
    { name: "all 30 days", range: { from: back(30 * 24 - 1), to: end } },
    // The seed's Gemini latency incident (3x slower for 3 hours, 4 days back).
    { name: "a latency incident", range: { from: back(4 * 24 + 4), to: back(4 * 24 - 1) } },
  ];
  const next = lcg(20261203);
  for (let i = 0; i < 12; i++) {
    const length = 1 + Math.floor(next() * 10 * 24);
    const start = length + Math.floor(next() * (29 * 24 - length));
    named.push({
      name: `${length} hours from ${start} hours back`,
      range: { from: back(start), to: back(start - length) },
    });
  }
  return named;
}

const SCOPES: Scope[] = [
  { provider: "openai", model: "gpt-6-luna", region: null },
  { provider: "anthropic", model: "claude-haiku-5-5", region: null },
  { provider: "gemini", model: "gemini-3.5-flash-lite", region: "apac" },
  { provider: "xai", model: "grok-4.7", region: "weur" },
  { provider: "mistral", model: null, region: null },
  { provider: "cohere", model: "command-r7b-12-2024", region: "enam" },
];

describe("the rollup against the raw probes", () => {
  test("counts every probe and failure once per target, region and hour", async () => {
    const mismatches = await asRole(pool, "service_role", async (client) => {
      const { rows } = await client.query(`
        with raw as (
          select date_bin('1 hour', scheduled_at, timestamptz '2000-01-01') as hour, provider,
            model, region, count(*)::int as probes,
            (count(*) filter (where not ok))::int as failures
          from public.llm_checks group by 1, 2, 3, 4
        )
        select count(*)::int as n from raw
        full join public.llm_checks_hourly h using (hour, provider, model, region)
        where raw.probes is distinct from h.probes or raw.failures is distinct from h.failures`);
      return rows[0].n as number;
    });
    assert.equal(mismatches, 0);
  });

  test("keeps the failures per error type", async () => {
    const [raw, rolled] = await asRole(pool, "service_role", async (client) => {
      const a = await client.query(`select error_type, count(*)::int as n from public.llm_checks
        where not ok group by 1 order by 1`);
      const b = await client.query(`select e.key as error_type, sum(e.value::int)::int as n
        from public.llm_checks_hourly, jsonb_each_text(error_counts) e group by 1 order by 1`);
      return [a.rows, b.rows];
    });
    assert.ok(raw.length >= 5, "the seed made too few kinds of failure");
    assert.deepEqual(rolled, raw);
  });

  test("holds the buckets of every successful probe, ascending", async () => {
    const bad = await asRole(pool, "service_role", async (client) => {
      const { rows } = await client.query(`select count(*)::int as n from public.llm_checks_hourly
        where latency_buckets <> (select array_agg(b order by b) from unnest(latency_buckets) b)`);
      return rows[0].n as number;
    });
    assert.equal(bad, 0);
  });

  for (const q of [0.95, 0.5]) {
    test(`merges p${q * 100} within 5 % of the exact one over any range and target`, async () => {
      let compared = 0;
      let worst = 0;
      for (const scope of SCOPES) {
        for (const { name, range } of ranges()) {
          const { exact, merged, samples } = await compare(scope, range, q);
          if (samples === 0) continue;
          const error = Math.abs(merged - exact) / exact;
          worst = Math.max(worst, error);
          const what = `${scope.provider}/${scope.model ?? "*"}@${scope.region ?? "*"}, ${name}`;
          assert.ok(error <= PRECISION, `${what}: exact ${exact} ms, merged ${merged} ms`);
          compared += 1;
        }
      }
      assert.ok(compared >= 90, `only ${compared} ranges had probes`);
      assert.ok(worst > 0, "the rollup matched exactly everywhere: is it reading raw rows?");
    });
  }
});

async function maintain(
  client: pg.PoolClient,
  asOf: Date,
  maxHours = 168,
): Promise<Record<string, unknown>> {
  const { rows } = await client.query("select public.maintain_trends($1, $2) as report", [
    asOf,
    maxHours,
  ]);
  return rows[0].report;
}

async function rollupDigest(client: pg.PoolClient): Promise<string> {
  const { rows } = await client.query(`select md5(string_agg(h::text, '|' order by hour, provider,
    model, region)) as digest from public.llm_checks_hourly h`);
  return rows[0].digest as string;
}

async function oldestProbe(client: pg.PoolClient): Promise<Date> {
  const { rows } = await client.query("select min(scheduled_at) as at from public.llm_checks");
  return rows[0].at as Date;
}

describe("maintenance", () => {
  test("run again, rolls up the same rows and deletes nothing inside retention", async () => {
    await asRole(pool, "service_role", async (client) => {
      const before = await rollupDigest(client);
      const report = await maintain(client, now);
      assert.equal(report.ran, true);
      assert.equal(report.raw_deleted, 0);
      assert.ok((report.rollup_rows as number) > 0, "it rolled up nothing again");
      assert.equal(await rollupDigest(client), before);
    });
  });

  test("deletes raw probes past the configured days and keeps their rollup", async () => {
    await asRole(pool, "service_role", async (client) => {
      const hours = await client.query("select count(*)::int as n from public.llm_checks_hourly");
      await client.query("update public.trend_settings set raw_retention_days = 7");
      const report = await maintain(client, now);
      assert.ok((report.raw_deleted as number) > 100_000, JSON.stringify(report));
      const cutoff = hourFloor(now.getTime() - 7 * DAY_MS);
      assert.equal((await oldestProbe(client)).getTime(), cutoff.getTime());
      const kept = await client.query("select count(*)::int as n from public.llm_checks_hourly");
      assert.equal(kept.rows[0].n, hours.rows[0].n);
    });
  });

  test("keeps raw probes of hours not rolled up yet, whatever their age", async () => {
    await asRole(pool, "service_role", async (client) => {
      const behind = hourFloor(now.getTime() - 20 * DAY_MS);
      await client.query(
        "update public.trend_settings set raw_retention_days = 7, rolled_up_through = $1",
        [behind],
      );
      const report = await maintain(client, now, 24);
      assert.equal(report.caught_up, false);
      // Rolled up through behind + 21 h; the 3 hours before that are redone next time.
      const kept = new Date(behind.getTime() + 18 * HOUR_MS);
      assert.equal((await oldestProbe(client)).getTime(), kept.getTime());
      const next = await maintain(client, now, 24);
      assert.equal(new Date(next.rolled_up_from as string).getTime(), kept.getTime());
    });
  });

  test("counts a probe written late within the three-hour margin", async () => {
    await asRole(pool, "service_role", async (client) => {
      const hour = hourFloor(now.getTime() - 2 * HOUR_MS);
      await client.query(
        `insert into public.llm_checks (scheduled_at, ts, region, provider, model, ok, latency_ms)
         values ($1, $1, 'enam', 'openai', 'written-late', true, 777)`,
        [hour],
      );
      await maintain(client, now);
      const { rows } = await client.query(
        `select probes, latency_buckets from public.llm_checks_hourly
         where hour = $1 and model = 'written-late'`,
        [hour],
      );
      assert.deepEqual(rows, [
        { probes: 1, latency_buckets: [1 + Math.floor(Math.log(777) / Math.log(1.05))] },
      ]);
    });
  });

  test("drops rollup hours past their retention", async () => {
    await asRole(pool, "service_role", async (client) => {
      await client.query(
        "update public.trend_settings set raw_retention_days = 2, rollup_retention_days = 10",
      );
      const report = await maintain(client, now);
      assert.ok((report.rollup_deleted as number) > 0);
      const { rows } = await client.query("select min(hour) as at from public.llm_checks_hourly");
      assert.ok((rows[0].at as Date).getTime() >= now.getTime() - 10 * DAY_MS);
    });
  });

  test("never takes a time later than the database's clock", async () => {
    await asRole(pool, "service_role", async (client) => {
      const report = await maintain(client, new Date(now.getTime() + 400 * DAY_MS));
      assert.equal(report.ran, true);
      assert.equal(report.raw_deleted, 0);
      assert.equal(report.rollup_deleted, 0);
    });
  });

  test("runs once at a time: a second caller is told another run holds the lock", async () => {
    await asRole(pool, "service_role", async (first) => {
      await maintain(first, now);
      const second = await asRole(pool, "service_role", (client) => maintain(client, now));
      assert.deepEqual(second, { ran: false, reason: "another run holds the lock" });
    });
  });

  test("refuses a batch size below one hour", async () => {
    await assert.rejects(
      asRole(pool, "service_role", (client) => maintain(client, now, 0)),
      /max_hours must be at least 1/,
    );
  });

  test("refuses a rollup retention shorter than the raw probes' retention", async () => {
    await assert.rejects(
      asRole(pool, "service_role", (client) =>
        client.query(
          "update public.trend_settings set raw_retention_days = 60, rollup_retention_days = 30",
        ),
      ),
      /trend_settings_rollup_retention_days_check/,
    );
  });
});
