// Alert state as both stores keep it (sql/*/..._create_alerts.sql): at most one open alert per
// rule and scope, enforced by a partial unique index, and one delivery row per alert event and
// channel. The types of the Store's alert methods, and the normalising both stores share so
// that D1 and PostgREST answer with the same values.
import type { Alert, AlertAction, CheckRow, OpenAlert } from "../core.ts";
import type { RuleRow } from "./store.ts";

export type Failure = {
  ok: false;
  reason: string;
  retryable: boolean;
  status?: number;
  code?: string;
};
export type Result<T extends object> = ({ ok: true } & T) | Failure;

export type AlertEvent = AlertAction["kind"];
export type DeliveryStatus = "pending" | "sent" | "dead";

/** An inclusive range of cron minutes, as ISO timestamps. */
export interface TimeRange {
  from: string;
  to: string;
}

export interface NewDelivery {
  alert_id: number;
  event: AlertEvent;
  event_at: string; // the action's opened_at, last_notified_at or resolved_at
  channel: string; // kind:name, e.g. slack:ops
  payload: string; // the rendered body, JSON text, exactly as it is sent
  next_attempt_at: string;
}

export interface DeliveryUpdate {
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  sent_at: string | null;
}

export interface Delivery extends NewDelivery, DeliveryUpdate {
  id: number;
}

export type ChecksResult = Result<{ rows: RuleRow[] }>;

/**
 * The same rows as JSON array texts, each in the form the core reads (RuleRow's keys, ok a
 * boolean, times with Z or an offset): a store's pages reach the core unparsed.
 */
export type ChecksJsonResult = Result<{ pages: string[] }>;

/** checksBetween's rows as one page, for a store whose rows arrive parsed anyway. */
export function pagesOf(read: ChecksResult): ChecksJsonResult {
  return read.ok ? { ok: true, pages: [JSON.stringify(read.rows)] } : read;
}

/**
 * One target's latencies of successful probes from Cloudflare's regions in the baseline
 * hours: what its latency baseline is made of. The store groups them, so that a week of
 * samples crosses over as a few arrays of numbers rather than thousands of row objects.
 */
export interface TargetLatencies {
  provider: string;
  model: string;
  latencies: number[];
}

/**
 * The groups as the JSON array text of TargetLatencies the core reads: they go to it alone,
 * and a week of samples parsed and written again would cost the Worker milliseconds.
 */
export type LatenciesResult = Result<{ json: string }>;

// D1 hands each group's array over as JSON text.
export function latenciesFrom(raw: Raw): TargetLatencies {
  const values: unknown =
    typeof raw.latencies === "string" ? JSON.parse(raw.latencies) : raw.latencies;
  return {
    provider: String(raw.provider),
    model: String(raw.model),
    latencies: Array.isArray(values) ? (values as number[]) : [],
  };
}

export type OpenAlertsResult = Result<{ alerts: StoredOpenAlert[] }>;
export type OpenResult = Result<{ opened: boolean; id?: number }>;
export type RemindResult = Result<{ updated: boolean }>;
export type ResolveResult = Result<{ resolved: boolean; id?: number }>;
/** The alert a transition wrote, found by its time; id null when no alert has that time. */
export type WrittenResult = Result<{ id: number | null }>;
export type AlertEventKind = "open" | "remind" | "resolve";
/** The column each kind of transition writes its time into. */
export const EVENT_COLUMN: Record<AlertEventKind, string> = {
  open: "opened_at",
  remind: "last_notified_at",
  resolve: "resolved_at",
};
export type EnqueueResult = Result<{ enqueued: number }>;
export type DueResult = Result<{ deliveries: Delivery[] }>;
export type MarkResult = Result<{ updated: boolean }>;
export type ClaimResult = Result<{ claimed: boolean }>;

export const ALERT_COLUMNS = [
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
  "measured",
  "opened_at",
  "last_notified_at",
] as const;

export const OPEN_ALERT_COLUMNS = [
  "id",
  "rule",
  "scope",
  "opened_at",
  "last_notified_at",
  "verdict",
] as const;

export const NEW_DELIVERY_COLUMNS = [
  "alert_id",
  "event",
  "event_at",
  "channel",
  "payload",
  "next_attempt_at",
] as const;

export const DELIVERY_COLUMNS = [
  "id",
  ...NEW_DELIVERY_COLUMNS,
  "status",
  "attempts",
  "last_error",
  "sent_at",
] as const;

export const DELIVERY_CONFLICT_COLUMNS = ["alert_id", "event", "event_at", "channel"] as const;

// One ordering for check rows in both stores: the table's unique key.
export const CHECK_ORDER = ["scheduled_at", "region", "provider", "model"] as const;

/**
 * Cloudflare's Durable Object location hints, the only regions the configuration accepts: a
 * row from any other region came from an outside vantage. The core's list, in the same order.
 */
export const CLOUDFLARE_REGIONS = [
  "wnam",
  "enam",
  "sam",
  "weur",
  "eeur",
  "apac",
  "oc",
  "afr",
  "me",
] as const;

/** Which rows of the ranges a read returns: every probe, or only the failed or outside ones. */
export interface ChecksFilter {
  failedOnly?: boolean;
  outsideOnly?: boolean;
}

/** A request the store refuses before sending: retrying the same input cannot help. */
export function refused(reason: string): Failure {
  return { ok: false, reason, retryable: false };
}

/** `text` as the canonical UTC form '2026-12-03T12:05:00.000Z', or null if it is no time. */
export function isoMillis(text: string): string | null {
  // A bare date or a local time would be read in some zone; an explicit zone passes, as a
  // database in another time zone writes one ("+05:30", "-03").
  const parts = EXPLICIT_ZONE.exec(text);
  if (!parts) return null;
  const [, local, zone, sign, hours, minutes = "00"] = parts;
  const ms = Date.parse(`${local}${zone === "Z" ? "Z" : `${sign}${hours}:${minutes}`}`);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

const EXPLICIT_ZONE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?)(Z|([+-])(\d\d):?(\d\d)?)$/;

/** An epoch time as a cron minute in the form llm_checks.scheduled_at uses. */
export function isoMinute(ms: number): string {
  return new Date(ms).toISOString().replace(/:\d\d\.\d{3}Z$/, ":00Z");
}

/** Nullable timestamps, canonical; undefined if one is given and is no time. */
function canonicalTimes<K extends string>(
  values: Record<K, string | null>,
): Record<K, string | null> | undefined {
  const out = {} as Record<K, string | null>;
  for (const key of Object.keys(values) as K[]) {
    const value = values[key];
    const canonical = value === null ? null : isoMillis(value);
    if (value !== null && canonical === null) return undefined;
    out[key] = canonical;
  }
  return out;
}

export interface MinuteRange {
  from: string; // the first cron minute inside the range
  to: string; // the last
  fromMs: number;
  toMs: number;
}

const MINUTE_MS = 60_000;

/**
 * The ranges as whole cron minutes, sorted and with overlaps merged, so one query returns each
 * row once; an error text if a bound is no time. A range holding no minute is dropped.
 */
export function minuteRanges(ranges: readonly TimeRange[]): MinuteRange[] | string {
  const spans: Array<[number, number]> = [];
  for (const range of ranges) {
    const from = isoMillis(range.from);
    const to = isoMillis(range.to);
    if (from === null || to === null) return `invalid range ${range.from} .. ${range.to}`;
    const first = Math.ceil(Date.parse(from) / MINUTE_MS) * MINUTE_MS;
    const last = Math.floor(Date.parse(to) / MINUTE_MS) * MINUTE_MS;
    if (first <= last) spans.push([first, last]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const span of spans) {
    const previous = merged.at(-1);
    if (previous && span[0] <= previous[1] + MINUTE_MS)
      previous[1] = Math.max(previous[1], span[1]);
    else merged.push(span);
  }
  return merged.map(([fromMs, toMs]) => ({
    from: isoMinute(fromMs),
    to: isoMinute(toMs),
    fromMs,
    toMs,
  }));
}

/** The values an alert is stored with, timestamps canonical; an error text if one is no time. */
export function alertValues(
  alert: Alert,
): Record<(typeof ALERT_COLUMNS)[number], unknown> | string {
  const times = canonicalTimes({
    opened_at: alert.opened_at,
    last_notified_at: alert.last_notified_at,
  });
  if (!times?.opened_at) return `alert ${alert.rule} ${alert.scope}: invalid opened_at`;
  return {
    rule: alert.rule,
    scope: alert.scope,
    provider: alert.provider,
    model: alert.model,
    region: alert.region ?? null,
    verdict: alert.verdict,
    title: alert.title,
    detail: alert.detail,
    fix: alert.fix ?? null,
    official_status: alert.official_status,
    measured: alert.measured,
    opened_at: times.opened_at,
    last_notified_at: times.last_notified_at,
  };
}

/** A reminder's times, canonical: the value it read (null: never notified) and the new one. */
export function reminderTimes(
  previousNotifiedAt: string | null,
  notifiedAt: string,
): { previous: string | null; next: string } | string {
  const previous = previousNotifiedAt === null ? null : isoMillis(previousNotifiedAt);
  const next = isoMillis(notifiedAt);
  if (next === null || (previousNotifiedAt !== null && previous === null)) {
    return `reminder: invalid time (${previousNotifiedAt}, ${notifiedAt})`;
  }
  return { previous, next };
}

/** Deliveries with canonical timestamps; an error text if one is no time. */
export function deliveryValues(deliveries: readonly NewDelivery[]): NewDelivery[] | string {
  const out: NewDelivery[] = [];
  for (const delivery of deliveries) {
    const times = canonicalTimes({
      event_at: delivery.event_at,
      next_attempt_at: delivery.next_attempt_at,
    });
    if (!times?.event_at || !times.next_attempt_at) {
      return `delivery ${delivery.alert_id} ${delivery.event} ${delivery.channel}: invalid time`;
    }
    out.push({ ...delivery, event_at: times.event_at, next_attempt_at: times.next_attempt_at });
  }
  return out;
}

/** A delivery update with canonical timestamps; an error text if one is no time. */
export function updateValues(update: DeliveryUpdate): DeliveryUpdate | string {
  const times = canonicalTimes({
    next_attempt_at: update.next_attempt_at,
    sent_at: update.sent_at,
  });
  if (!times?.next_attempt_at) return "delivery update: invalid time";
  return { ...update, next_attempt_at: times.next_attempt_at, sent_at: times.sent_at };
}

type Raw = Record<string, unknown>;

function time(value: unknown): string | null {
  return typeof value === "string" ? isoMillis(value) : null;
}

/**
 * A stored check row as the core reads it, with the columns it was read with: ok a boolean
 * (D1 keeps 0 or 1), scheduled_at as '2026-12-03T12:05:00Z' and ts as
 * '2026-12-03T12:05:00.123Z' (PostgREST answers '+00:00').
 */
export function checkRowFrom<Row extends RuleRow = CheckRow>(raw: Raw): Row {
  const row = { ...raw } as unknown as Row;
  row.ok = raw.ok === true || raw.ok === 1;
  row.scheduled_at = isoMinute(Date.parse(String(raw.scheduled_at)));
  row.ts = time(raw.ts) ?? String(raw.ts);
  return row;
}

/** An open alert with its row id, which its reminders' deliveries refer to. */
export type StoredOpenAlert = OpenAlert & { id: number };

export function openAlertFrom(raw: Raw): StoredOpenAlert {
  return {
    id: Number(raw.id),
    rule: String(raw.rule),
    scope: String(raw.scope),
    opened_at: time(raw.opened_at) ?? String(raw.opened_at),
    last_notified_at: time(raw.last_notified_at),
    verdict: typeof raw.verdict === "string" ? raw.verdict : null,
  };
}

export function deliveryFrom(raw: Raw): Delivery {
  return {
    id: Number(raw.id),
    alert_id: Number(raw.alert_id),
    event: raw.event as AlertEvent,
    event_at: time(raw.event_at) ?? String(raw.event_at),
    channel: String(raw.channel),
    payload: String(raw.payload),
    status: raw.status as DeliveryStatus,
    attempts: Number(raw.attempts),
    next_attempt_at: time(raw.next_attempt_at) ?? String(raw.next_attempt_at),
    last_error: raw.last_error === null ? null : String(raw.last_error),
    sent_at: time(raw.sent_at),
  };
}
