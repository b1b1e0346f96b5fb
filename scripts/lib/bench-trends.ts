// The Supabase side of the benchmark, on a database scripts/bench recreated and seeded with 30
// days: its size against Supabase Free's 500 MB, what 35 days of probes and 400 of rollup would
// take, each board query's time as heyhi_grafana (expanded as Grafana would, by the stand-in in
// tests/grafana), and one hourly maintenance run.
import pg from "pg";

import {
  dashboardRange,
  expandAnnotation,
  expandTarget,
  expandVariableQuery,
  loadDashboard,
  panelRange,
  queryPanels,
  variable,
} from "../../tests/grafana/board.ts";
import type { TimeRange, Variable } from "../../tests/grafana/expand.ts";

const MB = 1024 * 1024;
export const SIZE_AIM_BYTES = 250 * MB;
export const FREE_LIMIT_BYTES = 500 * MB;
export const QUERY_AIM_MS = 200;
const RUNS = 5;
const DAY_MS = 86_400_000;

export interface QueryFigure {
  bench: "board_query";
  query: string;
  range: string;
  interval: string;
  rows: number;
  median_ms: number;
  max_ms: number;
  aim_ms: number;
}

export interface SizeFigure {
  bench: "database_size";
  days: number;
  database_bytes: number;
  llm_checks_bytes: number;
  llm_checks_hourly_bytes: number;
  projected_bytes: number; // 35 days of probes, 400 days of rollup, as the defaults keep
  aim_bytes: number;
  free_limit_bytes: number;
}

export interface MaintenanceFigure {
  bench: "maintenance_run";
  ms: number;
  rollup_rows: number;
}

type Client = pg.PoolClient;

async function asReader<T>(pool: pg.Pool, body: (client: Client) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query("select set_config('role', 'heyhi_grafana', true)");
    return await body(client);
  } finally {
    await client.query("rollback");
    client.release();
  }
}

async function timed(pool: pg.Pool, sql: string): Promise<{ ms: number[]; rows: number }> {
  return asReader(pool, async (client) => {
    const first = await client.query(sql); // warms the caches, as a refreshing board does
    const ms: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      await client.query(sql);
      ms.push(performance.now() - started);
    }
    return { ms: ms.sort((a, b) => a - b), rows: first.rowCount ?? 0 };
  });
}

const span = (range: TimeRange) => {
  const minutes = Math.round((range.to.getTime() - range.from.getTime()) / 60_000);
  if (minutes % 1440 === 0) return `${minutes / 1440} d`;
  return minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
};

async function figure(
  pool: pg.Pool,
  query: string,
  range: TimeRange,
  sql: string,
  interval: string,
): Promise<QueryFigure> {
  const { ms, rows } = await timed(pool, sql);
  return {
    bench: "board_query",
    query,
    range: span(range),
    interval,
    rows,
    median_ms: Number(ms[Math.floor(ms.length / 2)]!.toFixed(1)),
    max_ms: Number(ms[ms.length - 1]!.toFixed(1)),
    aim_ms: QUERY_AIM_MS,
  };
}

async function allValues(pool: pg.Pool): Promise<Record<string, Variable>> {
  return asReader(pool, async (client) => {
    const values = async (column: string) => {
      const { rows } = await client.query(
        `select distinct ${column} as v from public.llm_checks_hourly order by 1`,
      );
      return variable(rows.map((row) => row.v as string));
    };
    return {
      provider: await values("provider"),
      model: await values("model"),
      region: await values("region"),
    };
  });
}

/** Every panel on its own range, the range-following panels again over 30 days, the rest. */
async function boardQueries(pool: pg.Pool, now: Date): Promise<QueryFigure[]> {
  const dashboard = loadDashboard();
  const variables = await allValues(pool);
  const base = dashboardRange(dashboard, now);
  const month = { from: new Date(now.getTime() - 30 * DAY_MS), to: now };
  const figures: QueryFigure[] = [];
  for (const panel of queryPanels(dashboard)) {
    const ranges = panel.timeFrom ? [panelRange(panel, base)] : [base, month];
    for (const range of ranges) {
      for (const target of panel.targets ?? []) {
        const { sql, interval } = expandTarget(panel, target, range, variables);
        figures.push(await figure(pool, panel.title, range, sql, interval));
      }
    }
  }
  for (const templateVariable of dashboard.templating.list.filter((v) => v.type === "query")) {
    const sql = expandVariableQuery(templateVariable, base, variables);
    figures.push(await figure(pool, `variable ${templateVariable.name}`, base, sql, "-"));
  }
  for (const annotation of dashboard.annotations.list.filter((a) => a.target)) {
    const sql = expandAnnotation(annotation, month, variables);
    figures.push(await figure(pool, `annotations: ${annotation.name}`, month, sql, "-"));
  }
  return figures;
}

async function sizes(pool: pg.Pool, days: number): Promise<SizeFigure> {
  const { rows } = await pool.query(`select pg_database_size(current_database()) as database,
    pg_total_relation_size('public.llm_checks') as raw,
    pg_total_relation_size('public.llm_checks_hourly') as rollup`);
  const { database, raw, rollup } = rows[0];
  const perDay = (bytes: number) => Number(bytes) / days;
  return {
    bench: "database_size",
    days,
    database_bytes: Number(database),
    llm_checks_bytes: Number(raw),
    llm_checks_hourly_bytes: Number(rollup),
    projected_bytes: Math.round(
      Number(database) - Number(raw) - Number(rollup) + 35 * perDay(raw) + 400 * perDay(rollup),
    ),
    aim_bytes: SIZE_AIM_BYTES,
    free_limit_bytes: FREE_LIMIT_BYTES,
  };
}

/** One hourly run as the Worker or pg_cron makes it, rolled back so the data stays seeded. */
async function maintenance(pool: pg.Pool, now: Date): Promise<MaintenanceFigure> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query("select set_config('role', 'service_role', true)");
    const started = performance.now();
    const { rows } = await client.query("select public.maintain_trends($1) as report", [now]);
    const ms = Number((performance.now() - started).toFixed(1));
    return { bench: "maintenance_run", ms, rollup_rows: rows[0].report.rollup_rows as number };
  } finally {
    await client.query("rollback");
    client.release();
  }
}

export interface TrendFigures {
  size: SizeFigure;
  queries: QueryFigure[];
  maintenance: MaintenanceFigure;
}

export async function benchTrends(url: string, days: number): Promise<TrendFigures> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    const now = await asReader(pool, async (client) => {
      const { rows } = await client.query(
        "select max(scheduled_at) + interval '1 minute' as now from public.llm_checks",
      );
      return rows[0].now as Date;
    });
    if (!now) throw new Error("the benchmark database holds no probes: was it seeded?");
    return {
      size: await sizes(pool, days),
      queries: await boardQueries(pool, now),
      maintenance: await maintenance(pool, now),
    };
  } finally {
    await pool.end();
  }
}
