// What the board reads, in both stores: recent checks (optionally one provider or model),
// alerts opened in a window or still open, the official status and its events, and the
// finished deliveries that tell which channel is dead. Only columns the board shows are read:
// never a delivery's payload or an alert's measured document.
import type { Alert, CheckRow, StatusCurrentRow, StatusEventRow } from "../core.ts";
import { checkRowFrom, isoMillis, type Result } from "./alerts.ts";

export interface ChecksQuery {
  sinceIso: string;
  provider?: string;
  model?: string;
  limit: number;
}

/** An alert as the board shows it: without its measured figures and notification times. */
export type BoardAlert = Pick<
  Alert,
  | "rule"
  | "scope"
  | "provider"
  | "model"
  | "region"
  | "verdict"
  | "title"
  | "detail"
  | "fix"
  | "official_status"
  | "opened_at"
> & { id: number; resolved_at: string | null };

export interface FinishedDelivery {
  id: number;
  channel: string;
  status: "sent" | "dead";
  /** When it was sent, or when it was given up on. */
  finished_at: string;
  last_error: string | null;
}

export type RecentChecksResult = Result<{ rows: CheckRow[] }>;
export type BoardAlertsResult = Result<{ alerts: BoardAlert[] }>;
export type StatusCurrentResult = Result<{ current: StatusCurrentRow[] }>;
export type StatusEventsResult = Result<{ events: StatusEventRow[] }>;
export type FinishedDeliveriesResult = Result<{ deliveries: FinishedDelivery[] }>;

export const RECENT_CHECK_ORDER = ["scheduled_at desc", "region", "provider", "model"] as const;

export const BOARD_ALERT_COLUMNS = [
  "id",
  "rule",
  "scope",
  "provider",
  "model",
  "region",
  "verdict",
  "title",
  "detail",
  "fix",
  "official_status",
  "opened_at",
  "resolved_at",
] as const;

export const FINISHED_DELIVERY_COLUMNS = [
  "id",
  "channel",
  "status",
  "next_attempt_at",
  "sent_at",
  "last_error",
] as const;

type Raw = Record<string, unknown>;

const text = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);
const time = (value: unknown): string | null =>
  typeof value === "string" ? isoMillis(value.replace(/\+00:00$/, "Z")) : null;

/** The query with a canonical time and a sane limit, or why it is refused. */
export function checkedQuery(query: ChecksQuery): ChecksQuery | string {
  const since = isoMillis(query.sinceIso);
  if (since === null) return `checks since: invalid time ${query.sinceIso}`;
  if (!Number.isSafeInteger(query.limit) || query.limit < 1) {
    return `checks: invalid limit ${query.limit}`;
  }
  return { ...query, sinceIso: since };
}

export function recentCheckFrom(raw: Raw): CheckRow {
  return checkRowFrom(raw);
}

export function boardAlertFrom(raw: Raw): BoardAlert {
  return {
    id: Number(raw.id),
    rule: String(raw.rule) as BoardAlert["rule"],
    scope: String(raw.scope),
    provider: String(raw.provider),
    model: String(raw.model),
    region: text(raw.region),
    verdict: String(raw.verdict) as BoardAlert["verdict"],
    title: String(raw.title),
    detail: String(raw.detail),
    fix: text(raw.fix),
    official_status: String(raw.official_status),
    opened_at: time(raw.opened_at) ?? String(raw.opened_at),
    resolved_at: time(raw.resolved_at),
  };
}

export function statusCurrentFrom(raw: Raw): StatusCurrentRow {
  return {
    provider: String(raw.provider),
    source: String(raw.source),
    component: String(raw.component),
    status: String(raw.status),
    title: String(raw.title),
    since: time(raw.since) ?? String(raw.since),
    updated_at: time(raw.updated_at) ?? String(raw.updated_at),
  };
}

export function statusEventFrom(raw: Raw): StatusEventRow {
  return {
    ts: time(raw.ts) ?? String(raw.ts),
    provider: String(raw.provider),
    source: String(raw.source),
    source_id: String(raw.source_id),
    component: String(raw.component ?? ""),
    status: String(raw.status),
    impact: text(raw.impact),
    title: String(raw.title),
    url: text(raw.url),
  };
}

// A delivery given up on keeps the time of its last attempt in next_attempt_at.
export function finishedDeliveryFrom(raw: Raw): FinishedDelivery {
  const dead = raw.status === "dead";
  const finished = dead ? raw.next_attempt_at : raw.sent_at;
  return {
    id: Number(raw.id),
    channel: String(raw.channel),
    status: dead ? "dead" : "sent",
    finished_at: time(finished) ?? String(finished),
    last_error: text(raw.last_error),
  };
}
