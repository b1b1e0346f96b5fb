// Fills a database with synthetic days of probes for demos, tests and the benchmark: every
// target of a configuration at its cadence in three regions, background errors and a latency
// tail, six incidents with the official status events and the alerts they would have caused,
// then the hourly rollup. The rows are made by the server in one statement
// (seed-checks.sql), so 30 days take seconds. Run it through scripts/seed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

import pg from "pg";

const ROOT = join(import.meta.dirname, "../..");
const CHECKS_SQL = readFileSync(join(import.meta.dirname, "seed-checks.sql"), "utf8");
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export interface SeedOptions {
  days: number;
  end: Date; // the minute after the last seeded one
  configPath: string;
  regions: string[];
  replace: boolean;
}

export interface SeedReport {
  rows: number;
  status_events: number;
  alerts: number;
  from: string;
  to: string;
  seconds: number;
  maintenance: unknown;
}

interface ConfigTarget {
  provider: string;
  model: string;
  cadence_min?: number;
  timeout_ms?: number;
  tier?: string;
  enabled?: boolean;
}

interface Incident {
  provider: string;
  model: string | null;
  region: string | null;
  hours_ago: number;
  minutes: number;
  error_rate: number;
  error_type: string | null;
  latency_factor: number;
  official: { source: string; status: string; impact: string; title: string } | null;
  alert: { rule: string; verdict: string; title: string; fix: string | null } | null;
}

// Where each region's object usually lands, and how much farther the providers are from it.
const REGION_SHAPE: Record<string, { factor: number; colo: string }> = {
  enam: { factor: 1, colo: "IAD" },
  wnam: { factor: 1.05, colo: "SJC" },
  weur: { factor: 1.14, colo: "FRA" },
  eeur: { factor: 1.2, colo: "WAW" },
  apac: { factor: 1.32, colo: "SIN" },
  oc: { factor: 1.45, colo: "SYD" },
};

// Medians of a one-token answer: small models answer in a few hundred ms, flagships that
// reason in seconds; the provider's own spread comes on top.
const TIER_MEDIAN_MS: Record<string, number> = { small: 420, flagship: 1300 };
const PROVIDER_FACTOR: Record<string, number> = {
  openai: 1,
  anthropic: 1.1,
  gemini: 0.85,
  xai: 1.2,
  cohere: 0.9,
  mistral: 0.95,
};

// Six incidents of the kinds the board and the alert rules are for, placed relative to the end.
const INCIDENTS: Incident[] = [
  {
    provider: "mistral",
    model: null,
    region: null,
    hours_ago: 20 * 24 + 5,
    minutes: 90,
    error_rate: 0.6,
    error_type: "overloaded",
    latency_factor: 1.4,
    official: {
      source: "instatus",
      status: "degraded",
      impact: "major",
      title: "Elevated error rates on chat completions",
    },
    alert: {
      rule: "provider_errors",
      verdict: "provider",
      title: "60% of probes failing",
      fix: null,
    },
  },
  {
    provider: "cohere",
    model: "command-r7b-12-2024",
    region: null,
    hours_ago: 13 * 24 + 2,
    minutes: 45,
    error_rate: 1,
    error_type: "auth",
    latency_factor: 1,
    official: null,
    alert: {
      rule: "configuration",
      verdict: "ours",
      title: "auth (our configuration)",
      fix: "Replace COHERE_API_KEY: the provider refuses the key",
    },
  },
  {
    provider: "openai",
    model: "gpt-6-luna",
    region: null,
    hours_ago: 9 * 24 + 11,
    minutes: 35,
    error_rate: 1,
    error_type: "server_error",
    latency_factor: 1,
    official: {
      source: "incidentio",
      status: "major_outage",
      impact: "critical",
      title: "Chat Completions unavailable",
    },
    alert: {
      rule: "provider_errors",
      verdict: "provider",
      title: "100% of probes failing",
      fix: null,
    },
  },
  {
    provider: "gemini",
    model: "gemini-3.5-flash-lite",
    region: null,
    hours_ago: 4 * 24 + 3,
    minutes: 180,
    error_rate: 0.02,
    error_type: "timeout",
    latency_factor: 3,
    official: null,
    alert: {
      rule: "latency",
      verdict: "provider",
      title: "p95 latency 3x its baseline",
      fix: null,
    },
  },
  {
    provider: "anthropic",
    model: "claude-haiku-5-5",
    region: "apac",
    hours_ago: 2 * 24 + 7,
    minutes: 60,
    error_rate: 0.7,
    error_type: "connect_error",
    latency_factor: 1,
    official: null,
    alert: { rule: "regional", verdict: "network", title: "failing in apac only", fix: null },
  },
  {
    provider: "xai",
    model: "grok-4.7",
    region: null,
    hours_ago: 6,
    minutes: 40,
    error_rate: 0.3,
    error_type: "overloaded",
    latency_factor: 1.6,
    official: {
      source: "feed",
      status: "degraded",
      impact: "minor",
      title: "Degraded performance for grok-4.7",
    },
    alert: {
      rule: "provider_errors",
      verdict: "provider",
      title: "30% of probes failing",
      fix: null,
    },
  },
];

function seedTargets(configPath: string) {
  const config = JSON.parse(readFileSync(configPath, "utf8")) as {
    defaults?: { cadence_min?: number; timeout_ms?: number };
    targets: ConfigTarget[];
  };
  return config.targets
    .filter((t) => t.enabled !== false)
    .map((t) => ({
      provider: t.provider,
      model: t.model,
      cadence_min: t.cadence_min ?? config.defaults?.cadence_min ?? 5,
      timeout_ms: t.timeout_ms ?? config.defaults?.timeout_ms ?? 3000,
      base_ms: (TIER_MEDIAN_MS[t.tier ?? "small"] ?? 420) * (PROVIDER_FACTOR[t.provider] ?? 1),
    }));
}

function seedRegions(names: string[]) {
  return names.map((region) => ({
    region,
    ...(REGION_SHAPE[region] ?? { factor: 1.2, colo: "" }),
  }));
}

function placed(incident: Incident, end: Date) {
  const start = new Date(end.getTime() - incident.hours_ago * HOUR_MS);
  return { start, stop: new Date(start.getTime() + incident.minutes * MINUTE_MS) };
}

/** The incidents that fall inside the seeded window, with their times. */
function windowIncidents(options: SeedOptions) {
  const from = options.end.getTime() - options.days * 24 * HOUR_MS;
  return INCIDENTS.map((incident) => ({ incident, ...placed(incident, options.end) })).filter(
    ({ start }) => start.getTime() >= from,
  );
}

async function insertStatusEvents(client: pg.ClientBase, options: SeedOptions): Promise<number> {
  let count = 0;
  for (const { incident, start, stop } of windowIncidents(options)) {
    if (!incident.official) continue;
    const { source, status, impact, title } = incident.official;
    const sourceId = `seed-${incident.provider}-${start.getTime()}`;
    // The page turns red some minutes after the probes do, and green again after they recover.
    const reported = new Date(start.getTime() + 12 * MINUTE_MS);
    const resolved = new Date(stop.getTime() + 20 * MINUTE_MS);
    const url = `https://status.example.invalid/${sourceId}`;
    const rows = [
      [reported, status, impact, title],
      [resolved, "operational", impact, `Resolved: ${title}`],
    ];
    for (const [ts, state, level, text] of rows) {
      const result = await client.query(
        `insert into public.provider_status_events
           (ts, provider, source, source_id, status, impact, title, url, observed_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $1::timestamptz + interval '2 minutes')
         on conflict do nothing`,
        [ts, incident.provider, source, sourceId, state, level, text, url],
      );
      count += result.rowCount ?? 0;
    }
  }
  return count;
}

async function insertAlerts(client: pg.ClientBase, options: SeedOptions): Promise<number> {
  let count = 0;
  for (const { incident, start, stop } of windowIncidents(options)) {
    if (!incident.alert) continue;
    const { rule, verdict, title, fix } = incident.alert;
    const model = incident.model ?? "mistral-small-latest";
    const where = rule === "regional" ? `@${incident.region}` : "";
    const scope = `${incident.provider}/${model}${where}`;
    const opened = new Date(start.getTime() + 4 * MINUTE_MS);
    const resolved = new Date(stop.getTime() + 10 * MINUTE_MS);
    const result = await client.query(
      `insert into public.alerts (rule, scope, provider, model, region, verdict, title, detail,
         fix, official_status, measured, opened_at, last_notified_at, resolved_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13)`,
      [
        rule,
        scope,
        incident.provider,
        model,
        rule === "regional" ? incident.region : null,
        verdict,
        `${incident.provider} ${model}: ${title}`,
        `${title} (synthetic incident from scripts/seed)`,
        fix,
        incident.official ? "operational" : "unknown",
        JSON.stringify({ window_min: 5, failure_rate: incident.error_rate }),
        opened,
        resolved,
      ],
    );
    count += result.rowCount ?? 0;
  }
  return count;
}

async function clear(client: pg.ClientBase, replace: boolean): Promise<void> {
  const { rows } = await client.query("select exists (select from public.llm_checks) as any");
  if (!rows[0].any) return;
  if (!replace) {
    throw new Error("llm_checks already has rows: pass --replace to delete every row and reseed");
  }
  await client.query(`delete from public.alert_deliveries`);
  await client.query(`delete from public.alerts`);
  await client.query(`delete from public.provider_status_events`);
  await client.query(`delete from public.llm_checks_hourly`);
  await client.query(`delete from public.llm_checks`);
  await client.query(`update public.trend_settings set rolled_up_through = null where id`);
}

/** Seeds through `client` in one transaction, as service_role where the login may be it. */
export async function seed(client: pg.ClientBase, options: SeedOptions): Promise<SeedReport> {
  const started = performance.now();
  const end = new Date(Math.floor(options.end.getTime() / MINUTE_MS) * MINUTE_MS);
  const from = new Date(end.getTime() - options.days * 24 * HOUR_MS);
  const window = { ...options, end };
  await client.query("begin");
  try {
    await client.query(`select set_config('role', 'service_role', true)
      where pg_has_role(current_user, 'service_role', 'member')`);
    // Compiling this one large statement takes the JIT far longer than running it.
    await client.query("set local jit = off");
    await clear(client, options.replace);
    const incidents = windowIncidents(window).map(({ incident, start, stop }) => ({
      ...incident,
      start: start.toISOString(),
      end: stop.toISOString(),
    }));
    const checks = await client.query(CHECKS_SQL, [
      JSON.stringify(seedTargets(options.configPath)),
      from.toISOString(),
      end.toISOString(),
      JSON.stringify(seedRegions(options.regions)),
      JSON.stringify(incidents),
    ]);
    const statusEvents = await insertStatusEvents(client, window);
    const alerts = await insertAlerts(client, window);
    const hours = options.days * 24 + 24;
    const maintained = await client.query("select public.maintain_trends($1, $2) as report", [
      end.toISOString(),
      hours,
    ]);
    await client.query("commit");
    return {
      rows: checks.rowCount ?? 0,
      status_events: statusEvents,
      alerts,
      from: from.toISOString(),
      to: end.toISOString(),
      seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
      maintenance: maintained.rows[0].report,
    };
  } catch (error) {
    await client.query("rollback");
    throw error;
  }
}

function options(): { url: string; seed: SeedOptions } {
  const { values } = parseArgs({
    options: {
      "database-url": { type: "string", default: process.env.HEYHI_PG_URL },
      days: { type: "string", default: "30" },
      end: { type: "string" },
      config: { type: "string", default: join(ROOT, "worker-shim/config/healthboard.json") },
      regions: { type: "string", default: "enam,weur,apac" },
      replace: { type: "boolean", default: false },
    },
  });
  const url = values["database-url"];
  if (!url) throw new Error("--database-url (or HEYHI_PG_URL) is required");
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 400) throw new Error("--days: 1 to 400");
  const end = values.end ? new Date(values.end) : new Date();
  if (Number.isNaN(end.getTime())) throw new Error(`--end: not a time: ${values.end}`);
  const regions = values.regions.split(",").filter(Boolean);
  if (regions.length === 0) throw new Error("--regions: at least one region");
  return {
    url,
    seed: { days, end, configPath: values.config, regions, replace: values.replace },
  };
}

async function main(): Promise<void> {
  const { url, seed: seedOptions } = options();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const report = await seed(client, seedOptions);
    console.log(JSON.stringify({ event: "seeded", ...report }));
  } finally {
    await client.end();
  }
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(JSON.stringify({ event: "seed_failed", message }));
    process.exit(1);
  });
}
