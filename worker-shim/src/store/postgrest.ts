// Supabase Postgres through PostgREST: one POST per run, idempotent through on_conflict and
// `Prefer: resolution=ignore-duplicates`, with the service-role key as a secret.
import type { CheckRow } from "../core.ts";
import { CONFLICT_COLUMNS, type Store, type WriteResult } from "./store.ts";

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

export class PostgrestStore implements Store {
  readonly kind = "postgrest";
  readonly #endpoint: string;
  readonly #key: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: PostgrestOptions) {
    const base = options.url.replace(/\/+$/, "");
    this.#endpoint = `${base}/rest/v1/llm_checks?on_conflict=${CONFLICT_COLUMNS.join(",")}`;
    this.#key = options.serviceKey;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async insertChecks(rows: CheckRow[]): Promise<WriteResult> {
    if (rows.length === 0) return { ok: true, stored: 0 };
    let response: Response;
    try {
      response = await this.#fetch(this.#endpoint, {
        method: "POST",
        headers: {
          apikey: this.#key,
          authorization: `Bearer ${this.#key}`,
          "content-type": "application/json",
          prefer: "return=minimal,resolution=ignore-duplicates",
        },
        body: JSON.stringify(rows),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return { ok: false, reason: `postgrest unreachable: ${message}`, retryable: true };
    }
    if (response.status === 201 || response.status === 200 || response.status === 204) {
      await response.body?.cancel();
      return { ok: true, stored: null };
    }
    return failure(response);
  }
}

async function failure(response: Response): Promise<WriteResult> {
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
  const result: WriteResult = { ok: false, reason, retryable, status: response.status };
  if (code) result.code = code;
  return result;
}
