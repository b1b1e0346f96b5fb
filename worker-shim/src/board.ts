// The board's data: one read of each kind from the store, the figures from the core's
// aggregate (15 minutes, each of the last 24 hours, 24 hours, 7 days), the verdict from the
// alerts the core opened, the official status beside it, and the channels that are dead.
// Only what a viewer may see leaves here: scrubbed details, no payloads, no secrets.
import type {
  Aggregation,
  CheckRow,
  Core,
  CoreError,
  StatusCurrentRow,
  TargetVantage,
} from "./core.ts";
import type { BoardAlert, FinishedDelivery } from "./store/board.ts";
import type { Store } from "./store/store.ts";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const WEEK_MIN = 7 * 24 * 60;
// TODO(perf): 7 days of raw rows per page view; a rollup read would keep this within Free's CPU.
const ROW_LIMIT = 50_000;
const TIMELINE_LIMIT = 100;
const FAILED_LIMIT = 20;
const DELIVERY_LIMIT = 200;

export type Colour = "ok" | "degraded" | "failing" | "unknown";

export interface TargetFigures {
  provider: string;
  model: string;
  status: Colour;
  official_status: string;
  probes_15m: number;
  error_rate_15m: number | null;
  p95_ms_15m: number | null;
  error_rate_24h: number | null;
  error_rate_7d: number | null;
  /** The failure rate of each of the last 24 hours, oldest first; null for an hour unprobed. */
  sparkline_24h: Array<number | null>;
  /** The core's reading of an outside vantage while every Cloudflare region fails. */
  vantage: TargetVantage | null;
}

/** Each region that probed in the last hour: Cloudflare's location hints and outside vantages. */
export interface RegionFigures {
  region: string;
  outside_vantage: boolean;
  probes_1h: number;
  error_rate_1h: number | null;
  last_probe_at: string;
}

export interface FailingProvider {
  provider: string;
  verdict: BoardAlert["verdict"];
  alerts: number;
  /** The outside vantage's evidence, when it decided between the network and the provider. */
  evidence?: string;
  /** Failing from every Cloudflare region and fine from outside: Cloudflare's own path. */
  cloudflare_egress?: true;
}

export interface Verdict {
  state: "all_clear" | "failing";
  text: string;
  failing: FailingProvider[];
}

export interface TimelineEntry {
  at: string;
  kind: "alert" | "official";
  provider: string;
  title: string;
  status: string;
  url: string | null;
}

export interface DeadChannel {
  channel: string;
  since: string;
  reason: string;
  fix: string;
}

export interface Summary {
  generated_at: string;
  store: string;
  verdict: Verdict;
  targets: TargetFigures[];
  regions: RegionFigures[];
  official: Array<{ provider: string; status: string; components: StatusCurrentRow[] }>;
  dead_channels: DeadChannel[];
  /** Channel settings the Worker refused: nothing is sent through those channels. */
  refused_channels: CoreError[];
  alerts: BoardAlert[];
  timeline: TimelineEntry[];
  failed_probes: CheckRow[];
}

export class BoardError extends Error {}

interface BoardInput {
  rows: CheckRow[];
  alerts: BoardAlert[];
  current: StatusCurrentRow[];
  timeline: TimelineEntry[];
  deliveries: FinishedDelivery[];
}

/** Everything the board shows, from one read of each kind; a failed read is a BoardError. */
export async function boardSummary(
  core: Core,
  store: Store,
  targets: Array<{ provider: string; model: string }>,
  nowMs: number,
  refusedChannels: CoreError[] = [],
): Promise<Summary> {
  const input = await readBoard(store, nowMs);
  const aggregate = (rows: CheckRow[], at: number, windowMin: number): Aggregation => {
    const answer = core.aggregate(rows, at, windowMin);
    if (!answer.ok) throw new BoardError(`aggregate: ${JSON.stringify(answer.errors)}`);
    return answer;
  };
  const official = officialByProvider(input.current);
  const open = input.alerts.filter((a) => a.resolved_at === null);
  const figures = targetFigures(input.rows, nowMs, aggregate);
  const known = targetList(targets, input.rows).map((t) => ({
    ...t,
    ...figures(t.provider, t.model),
  }));
  const vantages = new Map(known.map((t) => [targetKey(t), t.vantage]));
  return {
    generated_at: new Date(nowMs).toISOString(),
    store: store.kind,
    verdict: verdict(open, vantages),
    targets: known.map((t) => {
      const status = colour(t, t, open);
      return { ...t, status, official_status: official.get(t.provider)?.status ?? "unknown" };
    }),
    regions: regionFigures(input.rows, aggregate(input.rows, nowMs, 60)),
    official: [...official.entries()].map(([provider, o]) => ({ provider, ...o })),
    dead_channels: deadChannels(input.deliveries),
    refused_channels: refusedChannels,
    alerts: input.alerts,
    timeline: input.timeline,
    failed_probes: input.rows.filter((r) => !r.ok).slice(0, FAILED_LIMIT),
  };
}

async function readBoard(store: Store, nowMs: number): Promise<BoardInput> {
  const weekAgo = new Date(nowMs - WEEK_MIN * MINUTE_MS).toISOString();
  const [checks, alerts, current, events, deliveries] = await Promise.all([
    store.recentChecks({ sinceIso: weekAgo, limit: ROW_LIMIT }),
    store.boardAlerts(weekAgo, TIMELINE_LIMIT),
    store.statusCurrent(),
    store.statusEventsSince(weekAgo, TIMELINE_LIMIT),
    store.finishedDeliveries(DELIVERY_LIMIT),
  ]);
  for (const read of [checks, alerts, current, events, deliveries]) {
    if (!read.ok) throw new BoardError(read.reason);
  }
  if (!checks.ok || !alerts.ok || !current.ok || !events.ok || !deliveries.ok) {
    throw new BoardError("unreachable");
  }
  const timeline: TimelineEntry[] = [
    ...alerts.alerts.map((a) => ({
      at: a.opened_at,
      kind: "alert" as const,
      provider: a.provider,
      title: a.title,
      status: a.resolved_at === null ? `open (${a.verdict})` : `resolved ${a.resolved_at}`,
      url: null,
    })),
    ...events.events.map((e) => ({
      at: e.ts,
      kind: "official" as const,
      provider: e.provider,
      title: e.title,
      status: e.status,
      url: e.url,
    })),
  ].sort((a, b) => b.at.localeCompare(a.at));
  // A row stamped after now (a clock ahead, a test's future minute) is no part of any window.
  const nowIso = new Date(nowMs).toISOString();
  return {
    rows: checks.rows.filter((r) => r.scheduled_at <= nowIso),
    alerts: alerts.alerts,
    current: current.current,
    timeline: timeline.slice(0, TIMELINE_LIMIT),
    deliveries: deliveries.deliveries,
  };
}

type Aggregate = (rows: CheckRow[], at: number, windowMin: number) => Aggregation;
type Figures = Omit<TargetFigures, "provider" | "model" | "status" | "official_status">;

const targetKey = (t: { provider: string; model: string }) => `${t.provider}\u0000${t.model}`;

/** The figures of each target: the core aggregates, the board only looks them up. */
function targetFigures(rows: CheckRow[], nowMs: number, aggregate: Aggregate) {
  const key = targetKey;
  const index = (a: Aggregation) => new Map(a.targets.map((t) => [key(t), t]));
  const last15 = index(aggregate(rows, nowMs, 15));
  const day = index(aggregate(rows, nowMs, 24 * 60));
  const week = index(aggregate(rows, nowMs, WEEK_MIN));
  const hours = hourlyAggregates(rows, nowMs, aggregate).map(index);
  return (provider: string, model: string): Figures => {
    const k = key({ provider, model });
    return {
      probes_15m: last15.get(k)?.probes ?? 0,
      error_rate_15m: last15.get(k)?.failure_rate ?? null,
      p95_ms_15m: last15.get(k)?.p95_ms ?? null,
      error_rate_24h: day.get(k)?.failure_rate ?? null,
      error_rate_7d: week.get(k)?.failure_rate ?? null,
      sparkline_24h: hours.map((h) => h.get(k)?.failure_rate ?? null),
      vantage: last15.get(k)?.vantage ?? null,
    };
  };
}

/** The last hour per region, Cloudflare's first; rows come newest first, so the first seen
 * of a region is its latest probe. */
function regionFigures(rows: CheckRow[], hour: Aggregation): RegionFigures[] {
  const latest = new Map<string, string>();
  for (const r of rows) if (!latest.has(r.region)) latest.set(r.region, r.scheduled_at);
  return hour.regions
    .map((r) => ({
      region: r.region,
      outside_vantage: r.outside_vantage,
      probes_1h: r.probes,
      error_rate_1h: r.provider_failure_rate,
      last_probe_at: latest.get(r.region) ?? "",
    }))
    .sort((a, b) => Number(a.outside_vantage) - Number(b.outside_vantage));
}

// Each hour is aggregated from its own rows only, so the core reads every row once.
function hourlyAggregates(rows: CheckRow[], nowMs: number, aggregate: Aggregate) {
  const end = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
  const out: Aggregation[] = [];
  for (let h = 23; h >= 0; h--) {
    const to = end - h * HOUR_MS;
    const from = to - HOUR_MS;
    const inHour = rows.filter((r) => {
      const at = Date.parse(r.scheduled_at);
      return at >= from && at < to;
    });
    out.push(aggregate(inHour, to, 60));
  }
  return out;
}

/** The configured targets, then any that only the stored rows still name. */
function targetList(
  configured: Array<{ provider: string; model: string }>,
  rows: CheckRow[],
): Array<{ provider: string; model: string }> {
  const seen = new Set<string>();
  const out: Array<{ provider: string; model: string }> = [];
  for (const t of [...configured, ...rows]) {
    const k = `${t.provider}\u0000${t.model}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ provider: t.provider, model: t.model });
  }
  return out;
}

const OFFICIAL_RANK = [
  "operational",
  "unknown",
  "maintenance",
  "degraded",
  "partial_outage",
  "major_outage",
];

/** Per provider, its worst component's official status. */
function officialByProvider(current: StatusCurrentRow[]) {
  const out = new Map<string, { status: string; components: StatusCurrentRow[] }>();
  for (const row of current) {
    const entry = out.get(row.provider) ?? { status: "operational", components: [] };
    entry.components.push(row);
    if (OFFICIAL_RANK.indexOf(row.status) > OFFICIAL_RANK.indexOf(entry.status)) {
      entry.status = row.status;
    }
    out.set(row.provider, entry);
  }
  return out;
}

// An open alert on the target (or on its whole provider) decides; without one, any failure
// in the last 15 minutes is worth a look; no probe at all is no knowledge.
function colour(
  target: { provider: string; model: string },
  figures: Figures,
  open: BoardAlert[],
): Colour {
  const mine = open.filter(
    (a) => a.provider === target.provider && (a.model === target.model || a.model === "*"),
  );
  if (mine.some((a) => a.verdict !== "ours")) return "failing";
  if (mine.length > 0) return "degraded";
  if (figures.probes_15m === 0) return "unknown";
  return (figures.error_rate_15m ?? 0) > 0 ? "degraded" : "ok";
}

const VERDICT_WORDS: Record<BoardAlert["verdict"], string> = {
  provider: "the evidence points at the provider",
  ours: "the evidence points at our configuration",
  network: "the evidence points at the network",
};
// A provider-blamed alert outweighs a network one, and both outweigh a configuration one.
const VERDICT_WEIGHT: Record<BoardAlert["verdict"], number> = { ours: 0, network: 1, provider: 2 };

function verdictText(f: FailingProvider): string {
  const words = VERDICT_WORDS[f.verdict] + (f.cloudflare_egress ? " (Cloudflare egress)" : "");
  return `${f.provider} is failing: ${words}${f.evidence ? `: ${f.evidence}` : ""}`;
}

/**
 * All clear, or each provider with open alerts and what the core's evidence blames. An alert's
 * verdict is the one it opened with, unless the core now reads an outside vantage for its
 * target (`vantages`, by provider and model): that reading is newer, since outside probes
 * come late.
 */
export function verdict(
  open: BoardAlert[],
  vantages: Map<string, TargetVantage | null> = new Map(),
): Verdict {
  const byProvider = new Map<string, FailingProvider>();
  for (const a of open) {
    const entry: FailingProvider = byProvider.get(a.provider) ?? {
      provider: a.provider,
      verdict: "ours",
      alerts: 0,
    };
    entry.alerts++;
    const live = a.verdict === "ours" ? null : (vantages.get(targetKey(a)) ?? null);
    const blamed = live?.verdict ?? a.verdict;
    if (VERDICT_WEIGHT[blamed] >= VERDICT_WEIGHT[entry.verdict]) {
      const outweighs = VERDICT_WEIGHT[blamed] > VERDICT_WEIGHT[entry.verdict];
      entry.verdict = blamed;
      if (outweighs) {
        delete entry.evidence;
        delete entry.cloudflare_egress;
      }
      if (live && !entry.evidence) entry.evidence = live.evidence;
      if (live?.verdict === "network") entry.cloudflare_egress = true;
    }
    byProvider.set(a.provider, entry);
  }
  const failing = [...byProvider.values()];
  if (failing.length === 0) return { state: "all_clear", text: "All clear", failing };
  return { state: "failing", text: failing.map(verdictText).join("; "), failing };
}

// "channel dead: slack 404: no_service": only the receiver's own code, or else the HTTP
// status, is shown.
const DEAD_PREFIX = "channel dead: ";
const DEAD_CODE = /: ([a-z_]{1,40})$/;
const DEAD_STATUS = /^[a-z ]+ (\d{3}):/;
const CHANNEL_FIX: Record<string, string> = {
  slack: "replace SLACK_WEBHOOK_URL",
  webhook: "check ALERT_WEBHOOK_URL and ALERT_WEBHOOK_SECRET",
  email: "check the EMAIL_ settings",
};

function deadReason(error: string): string {
  const detail = error.slice(DEAD_PREFIX.length);
  const code = DEAD_CODE.exec(detail)?.[1];
  if (code) return code;
  const status = DEAD_STATUS.exec(detail)?.[1];
  return status ? `HTTP ${status}` : "refused for good";
}

/**
 * The channels whose latest finished delivery was refused for good, since the first refusal
 * after their last success. The stored error is shown only as the receiver's own code.
 */
export function deadChannels(deliveries: FinishedDelivery[]): DeadChannel[] {
  const out = new Map<string, DeadChannel>();
  const settled = new Set<string>();
  for (const d of deliveries) {
    if (settled.has(d.channel)) continue;
    const error = d.last_error ?? "";
    if (d.status !== "dead" || !error.startsWith(DEAD_PREFIX)) {
      settled.add(d.channel);
      continue;
    }
    // Newest first: the latest refusal gives the reason, the earliest one the time.
    const known = out.get(d.channel);
    if (known) {
      known.since = d.finished_at;
      continue;
    }
    const reason = deadReason(error);
    const fix = CHANNEL_FIX[d.channel] ?? "replace its settings";
    out.set(d.channel, { channel: d.channel, since: d.finished_at, reason, fix });
  }
  return [...out.values()];
}
