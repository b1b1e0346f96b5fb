// Where rows go. Every backend takes the core's insert body (a JSON array of rows, all with
// the same keys) and writes it idempotently on (scheduled_at, region, provider, model), so
// a cron run repeated by the platform stores nothing twice.
import type { CheckRow } from "../core.ts";

export type WriteResult =
  | { ok: true; stored: number | null }
  | { ok: false; reason: string; retryable: boolean; status?: number; code?: string };

export interface Store {
  readonly kind: "d1" | "postgrest";
  insertChecks(rows: CheckRow[]): Promise<WriteResult>;
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

export const CONFLICT_COLUMNS = ["scheduled_at", "region", "provider", "model"] as const;
