// Where rows go. Every backend takes the core's insert body (a JSON array of rows, all with
// the same keys) and writes it idempotently on (scheduled_at, region, provider, model), so
// a cron run repeated by the platform stores nothing twice. It also keeps the alert state
// (alerts.ts): the database decides which invocation opens, reminds or resolves an alert, so
// two regions' invocations in the same minute never both do; and the official status state
// (status.ts). No method throws.
import type {
  Alert,
  CheckRow,
  StatusCurrentRow,
  StatusEventRow,
  StatusLagRow,
  StatusSourceRow,
} from "../core.ts";
import type {
  ChecksFilter,
  ChecksJsonResult,
  ChecksResult,
  ClaimResult,
  DeliveryUpdate,
  DueResult,
  EnqueueResult,
  MarkResult,
  NewDelivery,
  OpenAlertsResult,
  OpenResult,
  RemindResult,
  ResolveResult,
  WrittenResult,
  AlertEventKind,
  LatenciesResult,
  TimeRange,
} from "./alerts.ts";
import type { AlertOpeningsResult, StatusSourcesResult, StatusWriteResult } from "./status.ts";
import type {
  BoardAlertsResult,
  ChecksQuery,
  FinishedDeliveriesResult,
  RecentChecksResult,
  StatusCurrentResult,
  StatusEventsResult,
} from "./board.ts";

export type WriteResult =
  | { ok: true; stored: number | null }
  | { ok: false; reason: string; retryable: boolean; status?: number; code?: string };

export interface Store {
  readonly kind: "d1" | "postgrest";
  insertChecks(rows: CheckRow[]): Promise<WriteResult>;

  /**
   * The llm_checks rows whose scheduled_at is in any of the inclusive ranges, in one read, with
   * the columns the rules read (RULE_COLUMNS); with `failedOnly`, only the failed probes; with
   * `outsideOnly`, only outside vantages'.
   */
  checksBetween(ranges: TimeRange[], filter?: ChecksFilter): Promise<ChecksResult>;
  /**
   * checksBetween's rows as the core reads them, unparsed where the store sends them as
   * text: the alert step's rows go to the core this way, as parsing and writing them again
   * in the Worker cost more CPU than the rules themselves.
   */
  checksJson(ranges: TimeRange[], filter?: ChecksFilter): Promise<ChecksJsonResult>;
  /**
   * Per target, the latencies of successful probes from Cloudflare's regions in the ranges:
   * what the hourly baselines are made of.
   */
  baselineLatencies(ranges: TimeRange[]): Promise<LatenciesResult>;
  /** The alerts not yet resolved, oldest first. */
  openAlerts(): Promise<OpenAlertsResult>;
  /** Opens the alert unless its rule and scope have an open one: then opened is false. */
  openAlert(alert: Alert): Promise<OpenResult>;
  /** Moves last_notified_at only if it still is `previousNotifiedAt`: one reminder wins. */
  remindAlert(
    rule: string,
    scope: string,
    previousNotifiedAt: string | null,
    notifiedAt: string,
  ): Promise<RemindResult>;
  /** Resolves the open alert; resolved is false if another invocation already did. */
  resolveAlert(rule: string, scope: string, resolvedAt: string): Promise<ResolveResult>;
  /**
   * The alert of this rule and scope whose time for `kind` (opened_at, last_notified_at or
   * resolved_at) is `at`: a transition written by a run whose answer was lost on the way back.
   */
  writtenAlert(
    kind: AlertEventKind,
    rule: string,
    scope: string,
    at: string,
  ): Promise<WrittenResult>;
  /** Enqueues each (alert, event, event_at, channel) once; enqueued counts the new rows. */
  enqueueDeliveries(deliveries: NewDelivery[]): Promise<EnqueueResult>;
  /**
   * Pending deliveries whose next attempt is due at `nowIso`, soonest first, leaving out any
   * while an earlier delivery of its alert to its channel is pending: each channel hears of an
   * alert in order.
   */
  dueDeliveries(nowIso: string, limit: number): Promise<DueResult>;
  /**
   * Takes a pending delivery for one attempt: only if its attempts still are `attempts`, it
   * moves to attempts + 1 and its next attempt to `leaseUntil`, so of two invocations that
   * read the same due delivery only one sends it.
   */
  claimDelivery(id: number, attempts: number, leaseUntil: string): Promise<ClaimResult>;
  /** Records an attempt's outcome on one delivery. */
  markDelivery(id: number, update: DeliveryUpdate): Promise<MarkResult>;

  /** Every status_sources row, in one read. */
  statusSources(): Promise<StatusSourcesResult>;
  /** Stores provider_status_events rows; one already stored is skipped. */
  insertStatusEvents(rows: StatusEventRow[]): Promise<StatusWriteResult>;
  /** Inserts or replaces status_sources rows by source. */
  saveStatusSources(rows: StatusSourceRow[]): Promise<StatusWriteResult>;
  /** Inserts or replaces provider_status_current rows by (source, component). */
  saveStatusCurrent(rows: StatusCurrentRow[]): Promise<StatusWriteResult>;
  /** Stores provider_status_lag rows; a lag already recorded for its episode stays. */
  insertStatusLags(rows: StatusLagRow[]): Promise<StatusWriteResult>;
  /** The alerts opened at or after `sinceIso`, resolved or not, for the lag. */
  alertsOpenedSince(sinceIso: string): Promise<AlertOpeningsResult>;

  /** llm_checks rows scheduled at or after the query's time, newest first, `limit` at most. */
  recentChecks(query: ChecksQuery): Promise<RecentChecksResult>;
  /** Alerts opened at or after `sinceIso` or still open, newest first, `limit` at most. */
  boardAlerts(sinceIso: string, limit: number): Promise<BoardAlertsResult>;
  /** Every provider_status_current row. */
  statusCurrent(): Promise<StatusCurrentResult>;
  /** provider_status_events at or after `sinceIso`, newest first, `limit` at most. */
  statusEventsSince(sinceIso: string, limit: number): Promise<StatusEventsResult>;
  /** The last `limit` deliveries that were sent or given up, newest first, without payload. */
  finishedDeliveries(limit: number): Promise<FinishedDeliveriesResult>;
}

export const CHECK_COLUMNS = [
  "scheduled_at",
  "ts",
  "region",
  "colo",
  "provider",
  "model",
  "ok",
  "http_status",
  "error_type",
  "attribution",
  "latency_ms",
  "ttfb_ms",
  "tokens_in",
  "tokens_out",
  "request_id",
  "detail",
] as const;

/**
 * The columns of a stored row that the alert rules and the confirmation plan read. The alert
 * step reads every minute's rows back with these alone: the rest (colo, http_status, tokens,
 * request ids and the like) would be two thirds more bytes per row to fetch, parse and hand
 * over.
 */
export const RULE_COLUMNS = [
  "scheduled_at",
  "ts",
  "region",
  "provider",
  "model",
  "ok",
  "error_type",
  "latency_ms",
  "detail",
] as const;
export type RuleRow = Pick<CheckRow, (typeof RULE_COLUMNS)[number]>;

export const CONFLICT_COLUMNS = ["scheduled_at", "region", "provider", "model"] as const;
