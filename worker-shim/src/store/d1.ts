// Cloudflare D1 (SQLite). Every call is one statement: the check batch and the deliveries go
// in over json_each of one JSON parameter, so a run costs one D1 call per step however many
// rows it has. The statements are exported so that tests can run them on SQLite directly.
import type { Alert, CheckRow } from "../core.ts";
import {
  ALERT_COLUMNS,
  alertValues,
  CHECK_ORDER,
  checkRowFrom,
  DELIVERY_COLUMNS,
  DELIVERY_CONFLICT_COLUMNS,
  deliveryFrom,
  deliveryValues,
  isoMillis,
  minuteRanges,
  NEW_DELIVERY_COLUMNS,
  OPEN_ALERT_COLUMNS,
  openAlertFrom,
  pagesOf,
  refused,
  reminderTimes,
  CLOUDFLARE_REGIONS,
  latenciesFrom,
  updateValues,
  type ChecksFilter,
  type ChecksJsonResult,
  type ChecksResult,
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
  type Result,
  type LatenciesResult,
  type TimeRange,
} from "./alerts.ts";

type Raw = Record<string, unknown>;
import {
  ALERT_OPENING_COLUMNS,
  alertOpeningFrom,
  STATUS_CURRENT_COLUMNS,
  STATUS_CURRENT_KEY,
  STATUS_EVENT_COLUMNS,
  STATUS_EVENT_KEY,
  STATUS_LAG_COLUMNS,
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

const fromJson = (columns: readonly string[]) =>
  columns.map((c) => `json_extract(value, '$.${c}')`).join(", ");

export const INSERT_CHECKS_SQL =
  `insert into llm_checks (${CHECK_COLUMNS.join(", ")}) ` +
  `select ${fromJson(CHECK_COLUMNS)} ` +
  // "where true" keeps SQLite from reading "on conflict" as part of the select's join.
  `from json_each(?1) where true on conflict (${CONFLICT_COLUMNS.join(", ")}) do nothing`;

// ?1 is a JSON array of {from, to} minute ranges, sorted and not overlapping, so each row is
// found once; SQLite walks llm_checks' unique index on scheduled_at for each range.
const IN_RANGES =
  "from json_each(?1) r join llm_checks c on c.scheduled_at " +
  "between json_extract(r.value, '$.from') and json_extract(r.value, '$.to') ";
const CHECKS_ORDER = `order by ${CHECK_ORDER.map((c) => `c.${c}`).join(", ")}`;
const RULE_SELECT = `select ${RULE_COLUMNS.map((c) => `c.${c}`).join(", ")} `;

export const CHECKS_BETWEEN_SQL = RULE_SELECT + IN_RANGES + CHECKS_ORDER;
// D1 keeps no index of the failures (each would cost a row written per failed probe), so this
// walks every row of the ranges, as few as the minutes being confirmed hold, and keeps these.
export const FAILED_CHECKS_BETWEEN_SQL = RULE_SELECT + IN_RANGES + "and c.ok = 0 " + CHECKS_ORDER;
const CLOUDFLARE_LIST = CLOUDFLARE_REGIONS.map((r) => `'${r}'`).join(", ");
export const OUTSIDE_CHECKS_BETWEEN_SQL =
  RULE_SELECT + IN_RANGES + `and c.region not in (${CLOUDFLARE_LIST}) ` + CHECKS_ORDER;
export const BASELINE_LATENCIES_SQL =
  "select c.provider, c.model, json_group_array(c.latency_ms) as latencies " +
  IN_RANGES +
  `and c.ok = 1 and c.region in (${CLOUDFLARE_LIST}) group by c.provider, c.model`;

export const OPEN_ALERTS_SQL =
  `select ${OPEN_ALERT_COLUMNS.join(", ")} from alerts where resolved_at is null ` +
  "order by opened_at, id";

// The conflict target names the partial unique index with its predicate.
export const OPEN_ALERT_SQL =
  `insert into alerts (${ALERT_COLUMNS.join(", ")}) ` +
  `values (${ALERT_COLUMNS.map((_, i) => `?${i + 1}`).join(", ")}) ` +
  "on conflict (rule, scope) where resolved_at is null do nothing returning id";

// `is` compares null with null as equal: ?3 null means "never notified".
export const REMIND_ALERT_SQL =
  "update alerts set last_notified_at = ?4 " +
  "where rule = ?1 and scope = ?2 and resolved_at is null and last_notified_at is ?3";

export const RESOLVE_ALERT_SQL =
  "update alerts set resolved_at = ?3 " +
  "where rule = ?1 and scope = ?2 and resolved_at is null returning id";

export const writtenAlertSql = (kind: AlertEventKind) =>
  `select id from alerts where rule = ?1 and scope = ?2 and ${EVENT_COLUMN[kind]} = ?3 ` +
  "order by id desc limit 1";

export const ENQUEUE_DELIVERIES_SQL =
  `insert into alert_deliveries (${NEW_DELIVERY_COLUMNS.join(", ")}) ` +
  `select ${fromJson(NEW_DELIVERY_COLUMNS)} from json_each(?1) where true ` +
  `on conflict (${DELIVERY_CONFLICT_COLUMNS.join(", ")}) do nothing`;

// A delivery waits while an earlier one of its alert to its channel is pending, so that a
// channel that refused an opening for a while does not get the resolution first.
export const DUE_DELIVERIES_SQL =
  `select ${DELIVERY_COLUMNS.join(", ")} from alert_deliveries d ` +
  "where status = 'pending' and next_attempt_at <= ?1 and not exists (" +
  "select 1 from alert_deliveries e where e.alert_id = d.alert_id and e.channel = d.channel " +
  "and e.status = 'pending' and e.id < d.id) order by next_attempt_at, id limit ?2";

export const CLAIM_DELIVERY_SQL =
  "update alert_deliveries set attempts = ?2 + 1, next_attempt_at = ?3 " +
  "where id = ?1 and attempts = ?2 and status = 'pending'";

export const MARK_DELIVERY_SQL =
  "update alert_deliveries set status = ?2, attempts = ?3, next_attempt_at = ?4, " +
  "last_error = ?5, sent_at = ?6 where id = ?1";

/** Inserts rows from json_each of ?1, skipping or replacing those whose key exists. */
function insertFromJson(
  table: string,
  columns: readonly string[],
  key: readonly string[],
  replace: boolean,
): string {
  const update = columns
    .filter((c) => !key.includes(c))
    .map((c) => `${c} = excluded.${c}`)
    .join(", ");
  const conflict = replace ? `do update set ${update}` : "do nothing";
  return (
    `insert into ${table} (${columns.join(", ")}) select ${fromJson(columns)} ` +
    `from json_each(?1) where true on conflict (${key.join(", ")}) ${conflict}`
  );
}

export const STATUS_EVENTS_SQL = insertFromJson(
  "provider_status_events",
  STATUS_EVENT_COLUMNS,
  STATUS_EVENT_KEY,
  false,
);
export const STATUS_SOURCES_SAVE_SQL = insertFromJson(
  "status_sources",
  STATUS_SOURCE_COLUMNS,
  STATUS_SOURCE_KEY,
  true,
);
export const STATUS_CURRENT_SAVE_SQL = insertFromJson(
  "provider_status_current",
  STATUS_CURRENT_COLUMNS,
  STATUS_CURRENT_KEY,
  true,
);
export const STATUS_LAGS_SQL = insertFromJson(
  "provider_status_lag",
  STATUS_LAG_COLUMNS,
  STATUS_LAG_KEY,
  false,
);
export const STATUS_SOURCES_SQL = `select ${STATUS_SOURCE_COLUMNS.join(", ")} from status_sources order by source`;
export const ALERTS_OPENED_SINCE_SQL =
  `select ${ALERT_OPENING_COLUMNS.join(", ")} from alerts where opened_at >= ?1 ` +
  "order by opened_at, id";

// ?2 and ?3 null match every provider and model.
export const RECENT_CHECKS_SQL =
  `select ${CHECK_COLUMNS.join(", ")} from llm_checks where scheduled_at >= ?1 ` +
  "and (?2 is null or provider = ?2) and (?3 is null or model = ?3) " +
  `order by ${RECENT_CHECK_ORDER.join(", ")} limit ?4`;
export const BOARD_ALERTS_SQL =
  `select ${BOARD_ALERT_COLUMNS.join(", ")} from alerts ` +
  "where opened_at >= ?1 or resolved_at is null order by opened_at desc, id desc limit ?2";
export const STATUS_CURRENT_SQL =
  `select ${STATUS_CURRENT_COLUMNS.join(", ")} from provider_status_current ` +
  "order by provider, source, component";
export const STATUS_EVENTS_SINCE_SQL =
  `select ${STATUS_EVENT_COLUMNS.join(", ")} from provider_status_events where ts >= ?1 ` +
  "order by ts desc, id desc limit ?2";
export const FINISHED_DELIVERIES_SQL =
  `select ${FINISHED_DELIVERY_COLUMNS.join(", ")} from alert_deliveries ` +
  "where status in ('sent', 'dead') order by id desc limit ?1";

// A missing table or column will not fix itself by retrying; anything else may.
const SCHEMA_ERROR = /no such (table|column)|has no column/i;
// Nor will a value the schema refuses. (Check rows come from the core, which builds them to
// pass; a refusal there is left retryable, as it always was.)
const REFUSED_ERROR = /no such (table|column)|has no column|constraint failed|datatype mismatch/i;

function d1Failure(error: unknown, permanent: RegExp): Failure {
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, reason: `d1: ${message}`, retryable: !permanent.test(message) };
}

export class D1Store implements Store {
  readonly kind = "d1";
  readonly #db: D1Database;

  constructor(db: D1Database) {
    this.#db = db;
  }

  async insertChecks(rows: CheckRow[]): Promise<WriteResult> {
    if (rows.length === 0) return { ok: true, stored: 0 };
    return this.#attempt(async () => {
      const result = await this.#db.prepare(INSERT_CHECKS_SQL).bind(JSON.stringify(rows)).run();
      return { ok: true, stored: result.meta.changes ?? null };
    }, SCHEMA_ERROR);
  }

  async checksBetween(ranges: TimeRange[], filter: ChecksFilter = {}): Promise<ChecksResult> {
    const sql = filter.failedOnly
      ? FAILED_CHECKS_BETWEEN_SQL
      : filter.outsideOnly
        ? OUTSIDE_CHECKS_BETWEEN_SQL
        : CHECKS_BETWEEN_SQL;
    const read = await this.#inRanges(ranges, sql);
    return read.ok ? { ok: true, rows: read.raw.map((r) => checkRowFrom<RuleRow>(r)) } : read;
  }

  // D1 answers objects, with ok as 0 or 1: they are put in the core's form and written once.
  async checksJson(ranges: TimeRange[], filter: ChecksFilter = {}): Promise<ChecksJsonResult> {
    return pagesOf(await this.checksBetween(ranges, filter));
  }

  async baselineLatencies(ranges: TimeRange[]): Promise<LatenciesResult> {
    const read = await this.#inRanges(ranges, BASELINE_LATENCIES_SQL);
    return read.ok ? { ok: true, json: JSON.stringify(read.raw.map(latenciesFrom)) } : read;
  }

  async #inRanges(ranges: TimeRange[], sql: string): Promise<Result<{ raw: Raw[] }>> {
    const minutes = minuteRanges(ranges);
    if (typeof minutes === "string") return refused(minutes);
    if (minutes.length === 0) return { ok: true, raw: [] };
    const bounds = JSON.stringify(minutes.map(({ from, to }) => ({ from, to })));
    return this.#attempt(async () => {
      const result = await this.#db.prepare(sql).bind(bounds).all();
      return { ok: true, raw: result.results as Raw[] };
    });
  }

  async openAlerts(): Promise<OpenAlertsResult> {
    return this.#attempt(async () => {
      const result = await this.#db.prepare(OPEN_ALERTS_SQL).all();
      return { ok: true, alerts: result.results.map(openAlertFrom) };
    });
  }

  async openAlert(alert: Alert): Promise<OpenResult> {
    const values = alertValues(alert);
    if (typeof values === "string") return refused(values);
    const bound = ALERT_COLUMNS.map((c) =>
      c === "measured" ? JSON.stringify(values[c]) : values[c],
    );
    return this.#attempt(async () => {
      const result = await this.#db
        .prepare(OPEN_ALERT_SQL)
        .bind(...bound)
        .all<{ id: number }>();
      const row = result.results[0];
      return row ? { ok: true, opened: true, id: row.id } : { ok: true, opened: false };
    });
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
    return this.#attempt(async () => {
      const statement = this.#db.prepare(REMIND_ALERT_SQL).bind(rule, scope, previous, next);
      const result = await statement.run();
      return { ok: true, updated: (result.meta.changes ?? 0) > 0 };
    });
  }

  async resolveAlert(rule: string, scope: string, resolvedAt: string): Promise<ResolveResult> {
    const at = isoMillis(resolvedAt);
    if (at === null) return refused(`resolve ${rule} ${scope}: invalid time`);
    return this.#attempt(async () => {
      const statement = this.#db.prepare(RESOLVE_ALERT_SQL).bind(rule, scope, at);
      const row = (await statement.all<{ id: number }>()).results[0];
      return row ? { ok: true, resolved: true, id: row.id } : { ok: true, resolved: false };
    });
  }

  async writtenAlert(
    kind: AlertEventKind,
    rule: string,
    scope: string,
    at: string,
  ): Promise<WrittenResult> {
    const time = isoMillis(at);
    if (time === null) return refused(`${kind} ${rule} ${scope}: invalid time`);
    return this.#attempt(async () => {
      const statement = this.#db.prepare(writtenAlertSql(kind)).bind(rule, scope, time);
      const row = (await statement.all<{ id: number }>()).results[0];
      return { ok: true, id: row ? row.id : null };
    });
  }

  async enqueueDeliveries(deliveries: NewDelivery[]): Promise<EnqueueResult> {
    const values = deliveryValues(deliveries);
    if (typeof values === "string") return refused(values);
    if (values.length === 0) return { ok: true, enqueued: 0 };
    return this.#attempt(async () => {
      const statement = this.#db.prepare(ENQUEUE_DELIVERIES_SQL).bind(JSON.stringify(values));
      const result = await statement.run();
      return { ok: true, enqueued: result.meta.changes ?? 0 };
    });
  }

  async dueDeliveries(nowIso: string, limit: number): Promise<DueResult> {
    const now = isoMillis(nowIso);
    if (now === null || !Number.isSafeInteger(limit) || limit < 0) {
      return refused(`due deliveries: invalid time or limit (${nowIso}, ${limit})`);
    }
    return this.#attempt(async () => {
      const result = await this.#db.prepare(DUE_DELIVERIES_SQL).bind(now, limit).all();
      return { ok: true, deliveries: result.results.map(deliveryFrom) };
    });
  }

  async claimDelivery(id: number, attempts: number, leaseUntil: string): Promise<ClaimResult> {
    const until = isoMillis(leaseUntil);
    if (until === null) return refused(`invalid lease time ${leaseUntil}`);
    return this.#attempt(async () => {
      const statement = this.#db.prepare(CLAIM_DELIVERY_SQL).bind(id, attempts, until);
      const result = await statement.run();
      return { ok: true, claimed: (result.meta.changes ?? 0) > 0 };
    });
  }

  async markDelivery(id: number, update: DeliveryUpdate): Promise<MarkResult> {
    const values = updateValues(update);
    if (typeof values === "string") return refused(values);
    const { status, attempts, next_attempt_at, last_error, sent_at } = values;
    return this.#attempt(async () => {
      const statement = this.#db
        .prepare(MARK_DELIVERY_SQL)
        .bind(id, status, attempts, next_attempt_at, last_error, sent_at);
      const result = await statement.run();
      return { ok: true, updated: (result.meta.changes ?? 0) > 0 };
    });
  }

  async statusSources(): Promise<StatusSourcesResult> {
    return this.#attempt(async () => {
      const result = await this.#db.prepare(STATUS_SOURCES_SQL).all();
      return { ok: true, sources: result.results.map(statusSourceFrom) };
    });
  }

  insertStatusEvents(rows: StatusEventRow[]): Promise<StatusWriteResult> {
    return this.#writeJson(STATUS_EVENTS_SQL, rows);
  }

  saveStatusSources(rows: StatusSourceRow[]): Promise<StatusWriteResult> {
    // state is a JSON text column in D1, and json_extract of an object gives its text.
    return this.#writeJson(STATUS_SOURCES_SAVE_SQL, rows);
  }

  saveStatusCurrent(rows: StatusCurrentRow[]): Promise<StatusWriteResult> {
    return this.#writeJson(STATUS_CURRENT_SAVE_SQL, rows);
  }

  insertStatusLags(rows: StatusLagRow[]): Promise<StatusWriteResult> {
    return this.#writeJson(STATUS_LAGS_SQL, rows);
  }

  async alertsOpenedSince(sinceIso: string): Promise<AlertOpeningsResult> {
    const since = isoMillis(sinceIso);
    if (since === null) return refused(`alerts since: invalid time ${sinceIso}`);
    return this.#attempt(async () => {
      const result = await this.#db.prepare(ALERTS_OPENED_SINCE_SQL).bind(since).all();
      return { ok: true, alerts: result.results.map(alertOpeningFrom) };
    });
  }

  async recentChecks(query: ChecksQuery): Promise<RecentChecksResult> {
    const checked = checkedQuery(query);
    if (typeof checked === "string") return refused(checked);
    const { sinceIso, provider, model, limit } = checked;
    return this.#attempt(async () => {
      const statement = this.#db
        .prepare(RECENT_CHECKS_SQL)
        .bind(sinceIso, provider ?? null, model ?? null, limit);
      return { ok: true, rows: (await statement.all()).results.map(recentCheckFrom) };
    });
  }

  async boardAlerts(sinceIso: string, limit: number): Promise<BoardAlertsResult> {
    const since = isoMillis(sinceIso);
    if (since === null) return refused(`board alerts: invalid time ${sinceIso}`);
    return this.#attempt(async () => {
      const result = await this.#db.prepare(BOARD_ALERTS_SQL).bind(since, limit).all();
      return { ok: true, alerts: result.results.map(boardAlertFrom) };
    });
  }

  async statusCurrent(): Promise<StatusCurrentResult> {
    return this.#attempt(async () => {
      const result = await this.#db.prepare(STATUS_CURRENT_SQL).all();
      return { ok: true, current: result.results.map(statusCurrentFrom) };
    });
  }

  async statusEventsSince(sinceIso: string, limit: number): Promise<StatusEventsResult> {
    const since = isoMillis(sinceIso);
    if (since === null) return refused(`status events: invalid time ${sinceIso}`);
    return this.#attempt(async () => {
      const result = await this.#db.prepare(STATUS_EVENTS_SINCE_SQL).bind(since, limit).all();
      return { ok: true, events: result.results.map(statusEventFrom) };
    });
  }

  async finishedDeliveries(limit: number): Promise<FinishedDeliveriesResult> {
    return this.#attempt(async () => {
      const result = await this.#db.prepare(FINISHED_DELIVERIES_SQL).bind(limit).all();
      return { ok: true, deliveries: result.results.map(finishedDeliveryFrom) };
    });
  }

  /** One statement over json_each of the rows; an empty batch costs no call. */
  async #writeJson(sql: string, rows: readonly object[]): Promise<StatusWriteResult> {
    if (rows.length === 0) return { ok: true, written: 0 };
    return this.#attempt(async () => {
      const result = await this.#db.prepare(sql).bind(JSON.stringify(rows)).run();
      return { ok: true, written: result.meta.changes ?? null };
    });
  }

  /** Runs one D1 call, turning whatever it throws into a failure. */
  async #attempt<T extends { ok: true }>(
    work: () => Promise<T>,
    permanent = REFUSED_ERROR,
  ): Promise<T | Failure> {
    try {
      return await work();
    } catch (error) {
      return d1Failure(error, permanent);
    }
  }
}
