// Cloudflare D1 from outside Cloudflare, through its REST API, behind the part of the D1
// binding's shape that D1Store uses (prepare, bind, run, all), so that the same store module
// and the same SQL serve a Worker and a Node process. Each statement is one
//   POST {api}/accounts/{account_id}/d1/database/{database_id}/query  {"sql", "params"}
// with an API token as a bearer credential, answered by
//   {"success", "errors": [{code, message}], "messages", "result": [{results, success, meta}]}.

export interface D1HttpOptions {
  accountId: string;
  databaseId: string;
  apiToken: string;
  /** Cloudflare's API root; another origin serves a stand-in. */
  apiBase?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export const CLOUDFLARE_API = "https://api.cloudflare.com/client/v4";
const TIMEOUT_MS = 10_000;

interface QueryAnswer {
  success?: boolean;
  errors?: Array<{ code?: number; message?: string }>;
  result?: Array<{ results?: unknown[]; success?: boolean; meta?: Record<string, unknown> }>;
}

interface D1HttpResult {
  results: unknown[];
  success: true;
  meta: Record<string, unknown> & { changes?: number };
}

// The API documents its parameters as strings; SQLite compares a numeric string with an
// integer column by the column's affinity, so numbers are sent as their decimal text.
function param(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw new TypeError(`the D1 REST API takes string parameters, not ${JSON.stringify(value)}`);
}

class D1HttpStatement {
  readonly #db: D1Http;
  readonly #sql: string;
  readonly #params: unknown[];

  constructor(db: D1Http, sql: string, params: unknown[] = []) {
    this.#db = db;
    this.#sql = sql;
    this.#params = params;
  }

  bind(...values: unknown[]): D1HttpStatement {
    return new D1HttpStatement(this.#db, this.#sql, values);
  }

  run(): Promise<D1HttpResult> {
    return this.#db.query(this.#sql, this.#params.map(param));
  }

  all(): Promise<D1HttpResult> {
    return this.run();
  }
}

class D1Http {
  readonly #options: D1HttpOptions;

  constructor(options: D1HttpOptions) {
    this.#options = options;
  }

  prepare(sql: string): D1HttpStatement {
    return new D1HttpStatement(this, sql);
  }

  async query(sql: string, params: string[]): Promise<D1HttpResult> {
    const { accountId, databaseId, apiToken } = this.#options;
    const base = (this.#options.apiBase ?? CLOUDFLARE_API).replace(/\/+$/, "");
    const path = `/accounts/${encodeURIComponent(accountId)}/d1/database/`;
    const response = await (this.#options.fetch ?? fetch)(
      `${base}${path}${encodeURIComponent(databaseId)}/query`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${apiToken}`, "content-type": "application/json" },
        body: JSON.stringify(params.length > 0 ? { sql, params } : { sql }),
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? TIMEOUT_MS),
      },
    );
    const answer = await readAnswer(response);
    const first = answer.result?.[0];
    if (!response.ok || answer.success !== true || !first)
      throw new Error(failure(response, answer));
    return { results: first.results ?? [], success: true, meta: first.meta ?? {} };
  }
}

async function readAnswer(response: Response): Promise<QueryAnswer> {
  const text = await response.text();
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null ? (parsed as QueryAnswer) : {};
  } catch {
    return {};
  }
}

// The API's own messages carry SQLite's ("UNIQUE constraint failed: ...: SQLITE_CONSTRAINT"),
// which D1Store reads to tell a refusal for good from one worth retrying.
function failure(response: Response, answer: QueryAnswer): string {
  const errors = (answer.errors ?? []).map((e) => `${e.message ?? "?"} (code ${e.code ?? "?"})`);
  const said = errors.length > 0 ? errors.join("; ") : "no error in the answer";
  return `D1 API answered ${response.status}: ${said}`;
}

/** A D1 database reached over the REST API, for D1Store. */
export function d1OverHttp(options: D1HttpOptions): D1Database {
  // D1Store calls prepare, bind, run and all only; the rest of the binding has no REST twin here.
  return new D1Http(options) as unknown as D1Database;
}
