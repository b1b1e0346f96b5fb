// Supabase Postgres through PostgREST: one POST per run, idempotent through on_conflict and
// `Prefer: resolution=ignore-duplicates`, with the service-role key as a secret.
//
// Alert state: an alert opens through rpc/open_alert (sql/postgres/..._create_alerts.sql),
// because the one-open-alert rule is a partial unique index and PostgREST's on_conflict can
// only name an index without a predicate. Reminders and resolutions are PATCHes whose filters
// carry the condition (`resolved_at=is.null`, `last_notified_at=eq.<as read>`), so of two
// invocations one updates the row and the other finds nothing left to update. Reads are one
// GET, and more only when db-max-rows (Supabase: 1000) cut the answer short.
//
// Trends: once an hour the Worker asks the database to roll recent probes up and apply
// retention (rpc/maintain_trends, sql/postgres/..._create_llm_checks_hourly.sql), for databases
// without pg_cron; where pg_cron runs it too, the second caller of the hour is told so.
import type { Alert, CheckRow } from "../core.ts";
import { isJsonArrayText } from "../json-pages.ts";
import type { Logger } from "../log.ts";
import {
  alertValues,
  CHECK_ORDER,
  checkRowFrom,
  CLOUDFLARE_REGIONS,
  DELIVERY_COLUMNS,
  DELIVERY_CONFLICT_COLUMNS,
  deliveryFrom,
  deliveryValues,
  isoMillis,
  minuteRanges,
  OPEN_ALERT_COLUMNS,
  openAlertFrom,
  refused,
  reminderTimes,
  updateValues,
  type ChecksFilter,
  type ChecksJsonResult,
  type ChecksResult,
  type LatenciesResult,
  type ClaimResult,
  type DeliveryUpdate,
  type DueResult,
  type EnqueueResult,
  type Failure,
  type MarkResult,
  type NewDelivery,
  type OpenAlertsResult,
  type OpenResult,
  type RemindResult,
  type ResolveResult,
  type WrittenResult,
  type AlertEventKind,
  EVENT_COLUMN,
  type TimeRange,
} from "./alerts.ts";
import {
  ALERT_OPENING_COLUMNS,
  alertOpeningFrom,
  STATUS_CURRENT_COLUMNS,
  STATUS_CURRENT_KEY,
  STATUS_EVENT_COLUMNS,
  STATUS_EVENT_KEY,
  STATUS_LAG_KEY,
  STATUS_SOURCE_COLUMNS,
  STATUS_SOURCE_KEY,
  statusSourceFrom,
  type AlertOpeningsResult,
  type StatusCurrentRow,
  type StatusEventRow,
  type StatusLagRow,
  type StatusSourceRow,
  type StatusSourcesResult,
  type StatusWriteResult,
} from "./status.ts";
import {
  BOARD_ALERT_COLUMNS,
  boardAlertFrom,
  checkedQuery,
  FINISHED_DELIVERY_COLUMNS,
  finishedDeliveryFrom,
  RECENT_CHECK_ORDER,
  recentCheckFrom,
  statusCurrentFrom,
  statusEventFrom,
  type BoardAlertsResult,
  type ChecksQuery,
  type FinishedDeliveriesResult,
  type RecentChecksResult,
  type StatusCurrentResult,
  type StatusEventsResult,
} from "./board.ts";
import {
  CHECK_COLUMNS,
  CONFLICT_COLUMNS,
  RULE_COLUMNS,
  type RuleRow,
  type Store,
  type WriteResult,
} from "./store.ts";

export interface PostgrestOptions {
  url: string; // the project URL, e.g. https://<ref>.supabase.co
  serviceKey: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface PostgrestError {
  code?: string;
  message?: string;
  details?: string | null;
  hint?: string | null;
}

type Raw = Record<string, unknown>;
type Query = Record<string, string>;

interface Send {
  method: "GET" | "POST" | "PATCH";
  path: string; // under /rest/v1/, e.g. "alerts" or "rpc/open_alert"
  query?: Query;
  body?: unknown;
  prefer?: string;
}

const REPRESENT = "return=representation";

/** The minute of every hour at which the Worker runs trend maintenance, as pg_cron does. */
export const TRENDS_MINUTE = 7;

export type MaintenanceResult = { ok: true; report: Record<string, unknown> } | Failure;

export class PostgrestStore implements Store {
  readonly kind = "postgrest";
  readonly #base: string;
  readonly #key: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: PostgrestOptions) {
    this.#base = `${options.url.replace(/\/+$/, "")}/rest/v1/`;
    this.#key = options.serviceKey;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async insertChecks(rows: CheckRow[]): Promise<WriteResult> {
    if (rows.length === 0) return { ok: true, stored: 0 };
    const response = await this.#send({
      method: "POST",
      path: "llm_checks",
      query: { on_conflict: CONFLICT_COLUMNS.join(",") },
      body: rows,
      prefer: "return=minimal,resolution=ignore-duplicates",
    });
    if (!(response instanceof Response)) return response;
    if (response.status === 201 || response.status === 200 || response.status === 204) {
      await response.body?.cancel();
      return { ok: true, stored: null };
    }
    return failure(response);
  }

  async checksBetween(ranges: TimeRange[], filter: ChecksFilter = {}): Promise<ChecksResult> {
    const read = await this.#checkPages(ranges, filter);
    if (!read.ok) return read;
    const rows = parsedPages(read.pages);
    return rows.ok ? { ok: true, rows: rows.rows.map((r) => checkRowFrom<RuleRow>(r)) } : rows;
  }

  // PostgREST's pages are already in the core's form: ok a boolean, times with the session's
  // offset, which the core applies.
  async checksJson(ranges: TimeRange[], filter: ChecksFilter = {}): Promise<ChecksJsonResult> {
    const read = await this.#checkPages(ranges, filter);
    if (!read.ok) return read;
    const bad = read.pages.findIndex((page) => !isJsonArrayText(page));
    if (bad >= 0) return noJson(`page ${bad + 1} is no JSON array`);
    return { ok: true, pages: read.pages };
  }

  #checkPages(ranges: TimeRange[], filter: ChecksFilter) {
    const where: Query = {};
    if (filter.failedOnly) where.ok = "is.false";
    if (filter.outsideOnly) where.region = `not.in.(${CLOUDFLARE_REGIONS.join(",")})`;
    return this.#inRanges(ranges, RULE_COLUMNS, where);
  }

  // Grouped in the database (rpc/baseline_latencies), whose jsonb answer is already the
  // core's form: a week of rows would take several pages and far more of the Worker's CPU.
  async baselineLatencies(ranges: TimeRange[]): Promise<LatenciesResult> {
    const minutes = minuteRanges(ranges);
    if (typeof minutes === "string") return refused(minutes);
    if (minutes.length === 0) return { ok: true, json: "[]" };
    const answer = await this.#text({
      method: "POST",
      path: "rpc/baseline_latencies",
      body: { ranges: minutes, regions: CLOUDFLARE_REGIONS },
    });
    if (!answer.ok) return answer;
    if (!isJsonArrayText(answer.text)) return noJson("baseline_latencies gave no array");
    return { ok: true, json: answer.text };
  }

  async #inRanges(ranges: TimeRange[], columns: readonly string[], where: Query) {
    const minutes = minuteRanges(ranges);
    if (typeof minutes === "string") return refused(minutes);
    if (minutes.length === 0) return { ok: true as const, pages: [] };
    const or = minutes.map(
      ({ from, to }) => `and(scheduled_at.gte.${from},scheduled_at.lte.${to})`,
    );
    return this.#readPages("llm_checks", {
      select: columns.join(","),
      or: `(${or.join(",")})`,
      ...where,
      order: CHECK_ORDER.join(","),
    });
  }

  async openAlerts(): Promise<OpenAlertsResult> {
    const read = await this.#readAll("alerts", {
      select: OPEN_ALERT_COLUMNS.join(","),
      resolved_at: "is.null",
      order: "opened_at,id",
    });
    return read.ok ? { ok: true, alerts: read.rows.map(openAlertFrom) } : read;
  }

  async openAlert(alert: Alert): Promise<OpenResult> {
    const values = alertValues(alert);
    if (typeof values === "string") return refused(values);
    const answer = await this.#json<number | null>({
      method: "POST",
      path: "rpc/open_alert",
      body: values,
    });
    if (!answer.ok) return answer;
    return typeof answer.value === "number"
      ? { ok: true, opened: true, id: answer.value }
      : { ok: true, opened: false };
  }

  async remindAlert(
    rule: string,
    scope: string,
    previousNotifiedAt: string | null,
    notifiedAt: string,
  ): Promise<RemindResult> {
    const times = reminderTimes(previousNotifiedAt, notifiedAt);
    if (typeof times === "string") return refused(`${rule} ${scope}: ${times}`);
    const { previous, next } = times;
    const last_notified_at = previous === null ? "is.null" : `eq.${previous}`;
    const query = { rule: `eq.${rule}`, scope: `eq.${scope}`, resolved_at: "is.null" };
    const updated = await this.#patch(
      "alerts",
      { ...query, last_notified_at },
      {
        last_notified_at: next,
      },
    );
    return updated.ok ? { ok: true, updated: updated.ids.length > 0 } : updated;
  }

  async resolveAlert(rule: string, scope: string, resolvedAt: string): Promise<ResolveResult> {
    const at = isoMillis(resolvedAt);
    if (at === null) return refused(`resolve ${rule} ${scope}: invalid time`);
    const query = { rule: `eq.${rule}`, scope: `eq.${scope}`, resolved_at: "is.null" };
    const updated = await this.#patch("alerts", query, { resolved_at: at });
    if (!updated.ok) return updated;
    const [id] = updated.ids;
    return id === undefined ? { ok: true, resolved: false } : { ok: true, resolved: true, id };
  }

  async writtenAlert(
    kind: AlertEventKind,
    rule: string,
    scope: string,
    at: string,
  ): Promise<WrittenResult> {
    const time = isoMillis(at);
    if (time === null) return refused(`${kind} ${rule} ${scope}: invalid time`);
    const query = {
      select: "id",
      rule: `eq.${rule}`,
      scope: `eq.${scope}`,
      [EVENT_COLUMN[kind]]: `eq.${time}`,
      order: "id.desc",
    };
    const read = await this.#readAll("alerts", query, 1);
    if (!read.ok) return read;
    const id = read.rows[0]?.id;
    return { ok: true, id: typeof id === "number" ? id : null };
  }

  async enqueueDeliveries(deliveries: NewDelivery[]): Promise<EnqueueResult> {
    const values = deliveryValues(deliveries);
    if (typeof values === "string") return refused(values);
    if (values.length === 0) return { ok: true, enqueued: 0 };
    // Duplicates are skipped, and the representation holds only the rows that are new.
    const answer = await this.#json<Raw[]>({
      method: "POST",
      path: "alert_deliveries",
      query: { on_conflict: DELIVERY_CONFLICT_COLUMNS.join(","), select: "id" },
      body: values,
      prefer: `${REPRESENT},resolution=ignore-duplicates`,
    });
    return answer.ok ? { ok: true, enqueued: answer.value.length } : answer;
  }

  async dueDeliveries(nowIso: string, limit: number): Promise<DueResult> {
    const now = isoMillis(nowIso);
    if (now === null || !Number.isSafeInteger(limit) || limit < 0) {
      return refused(`due deliveries: invalid time or limit (${nowIso}, ${limit})`);
    }
    if (limit === 0) return { ok: true, deliveries: [] };
    const query = {
      select: DELIVERY_COLUMNS.join(","),
      status: "eq.pending",
      next_attempt_at: `lte.${now}`,
      order: "next_attempt_at,id",
    };
    // The view leaves out a delivery while an earlier one of its alert to its channel is
    // pending (sql/postgres/20261203080000_create_alert_deliveries_due.sql).
    const read = await this.#readAll("alert_deliveries_due", query, limit);
    return read.ok ? { ok: true, deliveries: read.rows.map(deliveryFrom) } : read;
  }

  async claimDelivery(id: number, attempts: number, leaseUntil: string): Promise<ClaimResult> {
    const until = isoMillis(leaseUntil);
    if (until === null) return refused(`invalid lease time ${leaseUntil}`);
    const query = { id: `eq.${id}`, attempts: `eq.${attempts}`, status: "eq.pending" };
    const claimed = await this.#patch("alert_deliveries", query, {
      attempts: attempts + 1,
      next_attempt_at: until,
    });
    return claimed.ok ? { ok: true, claimed: claimed.ids.length > 0 } : claimed;
  }

  async markDelivery(id: number, update: DeliveryUpdate): Promise<MarkResult> {
    const values = updateValues(update);
    if (typeof values === "string") return refused(values);
    const updated = await this.#patch("alert_deliveries", { id: `eq.${id}` }, values);
    return updated.ok ? { ok: true, updated: updated.ids.length > 0 } : updated;
  }

  async statusSources(): Promise<StatusSourcesResult> {
    const read = await this.#readAll("status_sources", {
      select: STATUS_SOURCE_COLUMNS.join(","),
      order: "source",
    });
    return read.ok ? { ok: true, sources: read.rows.map(statusSourceFrom) } : read;
  }

  insertStatusEvents(rows: StatusEventRow[]): Promise<StatusWriteResult> {
    return this.#upsert("provider_status_events", STATUS_EVENT_KEY, rows, "ignore-duplicates");
  }

  saveStatusSources(rows: StatusSourceRow[]): Promise<StatusWriteResult> {
    return this.#upsert("status_sources", STATUS_SOURCE_KEY, rows, "merge-duplicates");
  }

  saveStatusCurrent(rows: StatusCurrentRow[]): Promise<StatusWriteResult> {
    return this.#upsert("provider_status_current", STATUS_CURRENT_KEY, rows, "merge-duplicates");
  }

  insertStatusLags(rows: StatusLagRow[]): Promise<StatusWriteResult> {
    return this.#upsert("provider_status_lag", STATUS_LAG_KEY, rows, "ignore-duplicates");
  }

  async alertsOpenedSince(sinceIso: string): Promise<AlertOpeningsResult> {
    const since = isoMillis(sinceIso);
    if (since === null) return refused(`alerts since: invalid time ${sinceIso}`);
    const read = await this.#readAll("alerts", {
      select: ALERT_OPENING_COLUMNS.join(","),
      opened_at: `gte.${since}`,
      order: "opened_at,id",
    });
    return read.ok ? { ok: true, alerts: read.rows.map(alertOpeningFrom) } : read;
  }

  async recentChecks(query: ChecksQuery): Promise<RecentChecksResult> {
    const checked = checkedQuery(query);
    if (typeof checked === "string") return refused(checked);
    const filter: Query = {
      select: CHECK_COLUMNS.join(","),
      scheduled_at: `gte.${checked.sinceIso}`,
      order: RECENT_CHECK_ORDER.map((c) => c.replace(" ", ".")).join(","),
    };
    if (checked.provider !== undefined) filter.provider = `eq.${checked.provider}`;
    if (checked.model !== undefined) filter.model = `eq.${checked.model}`;
    const read = await this.#readAll("llm_checks", filter, checked.limit);
    return read.ok ? { ok: true, rows: read.rows.map(recentCheckFrom) } : read;
  }

  async boardAlerts(sinceIso: string, limit: number): Promise<BoardAlertsResult> {
    const since = isoMillis(sinceIso);
    if (since === null) return refused(`board alerts: invalid time ${sinceIso}`);
    const read = await this.#readAll(
      "alerts",
      {
        select: BOARD_ALERT_COLUMNS.join(","),
        or: `(opened_at.gte.${since},resolved_at.is.null)`,
        order: "opened_at.desc,id.desc",
      },
      limit,
    );
    return read.ok ? { ok: true, alerts: read.rows.map(boardAlertFrom) } : read;
  }

  async statusCurrent(): Promise<StatusCurrentResult> {
    const read = await this.#readAll("provider_status_current", {
      select: STATUS_CURRENT_COLUMNS.join(","),
      order: "provider,source,component",
    });
    return read.ok ? { ok: true, current: read.rows.map(statusCurrentFrom) } : read;
  }

  async statusEventsSince(sinceIso: string, limit: number): Promise<StatusEventsResult> {
    const since = isoMillis(sinceIso);
    if (since === null) return refused(`status events: invalid time ${sinceIso}`);
    const read = await this.#readAll(
      "provider_status_events",
      { select: STATUS_EVENT_COLUMNS.join(","), ts: `gte.${since}`, order: "ts.desc,id.desc" },
      limit,
    );
    return read.ok ? { ok: true, events: read.rows.map(statusEventFrom) } : read;
  }

  async finishedDeliveries(limit: number): Promise<FinishedDeliveriesResult> {
    const read = await this.#readAll(
      "alert_deliveries",
      {
        select: FINISHED_DELIVERY_COLUMNS.join(","),
        status: "in.(sent,dead)",
        order: "id.desc",
      },
      limit,
    );
    return read.ok ? { ok: true, deliveries: read.rows.map(finishedDeliveryFrom) } : read;
  }

  /** One POST of rows that all have the same keys, resolving conflicts on `key`. */
  async #upsert(
    table: string,
    key: readonly string[],
    rows: readonly object[],
    resolution: "ignore-duplicates" | "merge-duplicates",
  ): Promise<StatusWriteResult> {
    if (rows.length === 0) return { ok: true, written: 0 };
    const response = await this.#send({
      method: "POST",
      path: table,
      query: { on_conflict: key.join(",") },
      body: rows,
      prefer: `return=minimal,resolution=${resolution}`,
    });
    if (!(response instanceof Response)) return response;
    if (response.status >= 200 && response.status <= 299) {
      await response.body?.cancel();
      return { ok: true, written: null };
    }
    return failure(response);
  }

  /** Rolls up the hours since the last run and applies retention, as of `asOfIso`. */
  async maintainTrends(asOfIso: string): Promise<MaintenanceResult> {
    const asOf = isoMillis(asOfIso);
    if (asOf === null) return refused(`maintain trends: invalid time ${asOfIso}`);
    const answer = await this.#json<Record<string, unknown>>({
      method: "POST",
      path: "rpc/maintain_trends",
      body: { as_of: asOf },
    });
    return answer.ok ? { ok: true, report: answer.value } : answer;
  }

  /** PATCH with filters; answers the ids of the rows it updated. */
  async #patch(
    table: string,
    query: Query,
    body: object,
  ): Promise<{ ok: true; ids: number[] } | Failure> {
    const answer = await this.#json<Raw[]>({
      method: "PATCH",
      path: table,
      query: { ...query, select: "id" },
      body,
      prefer: REPRESENT,
    });
    return answer.ok ? { ok: true, ids: answer.value.map((row) => Number(row.id)) } : answer;
  }

  /**
   * Every row a GET selects, `limit` at most. A server's db-max-rows may answer fewer rows than
   * match; the exact count in Content-Range says so, and the rest is read by offset.
   */
  async #readAll(
    table: string,
    query: Query,
    limit = Infinity,
  ): Promise<{ ok: true; rows: Raw[] } | Failure> {
    const read = await this.#readPages(table, query, limit);
    return read.ok ? parsedPages(read.pages) : read;
  }

  // Every page of a read as PostgREST sent it, each capped by db-max-rows (1000 on Supabase).
  async #readPages(
    table: string,
    query: Query,
    limit = Infinity,
  ): Promise<{ ok: true; pages: string[] } | Failure> {
    const pages: string[] = [];
    let read = 0;
    for (;;) {
      const page: Query = { ...query };
      if (read > 0) page.offset = String(read);
      if (Number.isFinite(limit)) page.limit = String(limit - read);
      const answer = await this.#page({ method: "GET", path: table, query: page });
      if (!answer.ok) return answer;
      pages.push(answer.text);
      read += answer.rows;
      const wanted = Math.min(answer.total ?? read, limit);
      if (answer.rows === 0 || read >= wanted) return { ok: true, pages };
    }
  }

  // One page's text, with its row count and the read's total from Content-Range
  // ("0-999/2340", or "*/0" for none); without the header the page is counted by parsing it.
  async #page(
    send: Send,
  ): Promise<{ ok: true; text: string; rows: number; total?: number } | Failure> {
    const answer = await this.#text({ ...send, prefer: "count=exact" });
    if (!answer.ok) return answer;
    const { text, headers } = answer;
    const range = /^(?:(\d+)-(\d+)|\*)\/(\d+)$/.exec(headers.get("content-range") ?? "");
    if (range) {
      const rows = range[1] === undefined ? 0 : Number(range[2]) - Number(range[1]) + 1;
      return { ok: true, text, rows, total: Number(range[3]) };
    }
    const parsed = parsedPages([text]);
    return parsed.ok ? { ok: true, text, rows: parsed.rows.length } : parsed;
  }

  /** Sends a request and parses a 2xx JSON answer. */
  async #json<T>(send: Send): Promise<{ ok: true; value: T } | Failure> {
    const answer = await this.#text(send);
    if (!answer.ok) return answer;
    const parsed = parseJson(answer.text);
    return parsed.ok ? { ok: true, value: parsed.value as T } : parsed;
  }

  /** Sends a request and reads a 2xx answer's text; the timeout covers the body too. */
  async #text(send: Send): Promise<{ ok: true; text: string; headers: Headers } | Failure> {
    const response = await this.#send(send);
    if (!(response instanceof Response)) return response;
    if (response.status < 200 || response.status > 299) return failure(response);
    try {
      return { ok: true, text: await response.text(), headers: response.headers };
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return { ok: false, reason: `postgrest answer cut off: ${message}`, retryable: true };
    }
  }

  async #send({ method, path, query, body, prefer }: Send): Promise<Response | Failure> {
    const search = query ? `?${new URLSearchParams(query)}` : "";
    const headers: Record<string, string> = {
      apikey: this.#key,
      authorization: `Bearer ${this.#key}`,
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (prefer) headers.prefer = prefer;
    try {
      return await this.#fetch(`${this.#base}${path}${search}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return { ok: false, reason: `postgrest unreachable: ${message}`, retryable: true };
    }
  }
}

/**
 * Runs trend maintenance when the scheduled minute is minute TRENDS_MINUTE of its hour and the
 * store is Supabase's; logs what it did or why it failed as one event. Never throws.
 */
export async function maintainTrendsHourly(
  store: Store,
  scheduledTime: number,
  log: Logger,
): Promise<void> {
  if (!(store instanceof PostgrestStore)) return;
  const minute = new Date(scheduledTime);
  if (Number.isNaN(minute.getTime()) || minute.getUTCMinutes() !== TRENDS_MINUTE) return;
  const result = await store.maintainTrends(minute.toISOString());
  if (result.ok) {
    log.event("trends_maintained", result.report);
  } else {
    const { reason, retryable } = result;
    log.event("trends_maintenance_failed", { reason, retryable });
  }
}

function noJson(message: string): Failure {
  return { ok: false, reason: `postgrest answered no JSON: ${message}`, retryable: true };
}

function parseJson(text: string): { ok: true; value: unknown } | Failure {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return noJson(error instanceof Error ? error.message : String(error));
  }
}

function parsedPages(pages: string[]): { ok: true; rows: Raw[] } | Failure {
  const rows: Raw[] = [];
  for (const page of pages) {
    const parsed = parseJson(page);
    if (!parsed.ok) return parsed;
    if (!Array.isArray(parsed.value)) return noJson("a read's page is no array");
    rows.push(...(parsed.value as Raw[]));
  }
  return { ok: true, rows };
}

async function failure(response: Response): Promise<Failure> {
  const text = (await response.text()).slice(0, 2000);
  let parsed: PostgrestError = {};
  try {
    parsed = JSON.parse(text) as PostgrestError;
  } catch {
    parsed = { message: text.slice(0, 200) };
  }
  const code = parsed.code ?? "";
  // PGRST204 (unknown column) and PGRST102 (mismatched keys) mean the schema and the rows
  // disagree: retrying the same body cannot succeed. 5xx and 429 may pass later.
  const retryable = response.status >= 500 || response.status === 429;
  const reason = `postgrest ${response.status} ${code}: ${parsed.message ?? "no message"}`.trim();
  const result: Failure = { ok: false, reason, retryable, status: response.status };
  if (code) result.code = code;
  return result;
}
