// Cloudflare D1 (SQLite). The whole batch is one statement over json_each of the insert
// body, so a run costs one D1 call however many probes it made.
import type { CheckRow } from "../core.ts";
import { CHECK_COLUMNS, CONFLICT_COLUMNS, type Store, type WriteResult } from "./store.ts";

const INSERT_SQL =
  `insert into llm_checks (${CHECK_COLUMNS.join(", ")}) ` +
  `select ${CHECK_COLUMNS.map((c) => `json_extract(value, '$.${c}')`).join(", ")} ` +
  // "where true" keeps SQLite from reading "on conflict" as part of the select's join.
  `from json_each(?1) where true on conflict (${CONFLICT_COLUMNS.join(", ")}) do nothing`;

export class D1Store implements Store {
  readonly kind = "d1";
  readonly #db: D1Database;

  constructor(db: D1Database) {
    this.#db = db;
  }

  async insertChecks(rows: CheckRow[]): Promise<WriteResult> {
    if (rows.length === 0) return { ok: true, stored: 0 };
    try {
      const result = await this.#db.prepare(INSERT_SQL).bind(JSON.stringify(rows)).run();
      return { ok: true, stored: result.meta.changes ?? null };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // A missing table or column will not fix itself by retrying; anything else may.
      const schema = /no such (table|column)|has no column/i.test(message);
      return { ok: false, reason: `d1: ${message}`, retryable: !schema };
    }
  }
}
