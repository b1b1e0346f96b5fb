// Official status as both stores keep it (sql/*/..._create_provider_status_events.sql and
// ..._create_status_state.sql): events deduplicated on (provider, source_id, component, ts,
// status), one status_sources row per configured source and one provider_status_current row
// per API component, both replaced on each reading, and lag rows written once. The rows come
// from the core; these are the column lists and the reads both stores share.
import type {
  AlertOpening,
  StatusCurrentRow,
  StatusEventRow,
  StatusLagRow,
  StatusSourceRow,
} from "../core.ts";
import type { Result } from "./alerts.ts";

export type StatusSourcesResult = Result<{ sources: StatusSourceRow[] }>;
export type StatusWriteResult = Result<{ written: number | null }>;
export type AlertOpeningsResult = Result<{ alerts: AlertOpening[] }>;

export const STATUS_EVENT_COLUMNS = [
  "ts",
  "provider",
  "source",
  "source_id",
  "component",
  "status",
  "impact",
  "title",
  "url",
] as const;
export const STATUS_EVENT_KEY = ["provider", "source_id", "component", "ts", "status"] as const;

export const STATUS_SOURCE_COLUMNS = [
  "source",
  "provider",
  "format",
  "url",
  "etag",
  "last_modified",
  "fetched_at",
  "http_status",
  "parse_state",
  "reason",
  "failures",
  "failed_since",
  "last_ok_at",
  "status",
  "state",
] as const;
export const STATUS_SOURCE_KEY = ["source"] as const;

export const STATUS_CURRENT_COLUMNS = [
  "provider",
  "source",
  "component",
  "status",
  "title",
  "since",
  "updated_at",
] as const;
export const STATUS_CURRENT_KEY = ["source", "component"] as const;

export const STATUS_LAG_COLUMNS = [
  "provider",
  "first_alert_at",
  "alert_rule",
  "alert_scope",
  "acknowledged_at",
  "lag_min",
  "source",
  "source_id",
  "incident_title",
  "incident_url",
] as const;
export const STATUS_LAG_KEY = ["provider", "first_alert_at"] as const;

export const ALERT_OPENING_COLUMNS = [
  "rule",
  "scope",
  "provider",
  "verdict",
  "opened_at",
  "resolved_at",
] as const;

type Raw = Record<string, unknown>;

const text = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);

/** A stored status_sources row as the core reads it; D1 gives state back as JSON text. */
export function statusSourceFrom(raw: Raw): StatusSourceRow {
  const state = raw.state;
  return {
    source: String(raw.source),
    provider: String(raw.provider),
    format: String(raw.format),
    url: String(raw.url),
    etag: text(raw.etag),
    last_modified: text(raw.last_modified),
    fetched_at: text(raw.fetched_at),
    http_status:
      raw.http_status === null || raw.http_status === undefined ? null : Number(raw.http_status),
    parse_state: text(raw.parse_state) as StatusSourceRow["parse_state"],
    reason: text(raw.reason),
    failures: Number(raw.failures ?? 0),
    failed_since: text(raw.failed_since),
    last_ok_at: text(raw.last_ok_at),
    status: String(raw.status),
    state:
      typeof state === "string" || (typeof state === "object" && state !== null)
        ? (state as StatusSourceRow["state"])
        : {},
  };
}

export function alertOpeningFrom(raw: Raw): AlertOpening {
  return {
    rule: String(raw.rule),
    scope: String(raw.scope),
    provider: String(raw.provider),
    verdict: String(raw.verdict),
    opened_at: String(raw.opened_at),
    resolved_at: text(raw.resolved_at),
  };
}

export type { StatusCurrentRow, StatusEventRow, StatusLagRow, StatusSourceRow };
