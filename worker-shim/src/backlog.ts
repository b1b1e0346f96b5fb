// A region object's own storage (its SQLite database): the colo it learned, the hour's latency
// baselines when it is the home region's, and what the store could not take yet. Rows and
// alert transitions wait here in arrival order, each once (a repeated cron minute keeps
// nothing twice), up to a bound; past it the oldest rows go first, then the oldest
// transitions. Every method is synchronous, as the Durable Object SQL API is, so a run's
// changes to its backlog cannot interleave with another call's.

import type { HourBaselines } from "./core.ts";

/** The part of Cloudflare's SqlStorage this uses; tests give it node:sqlite instead. */
export interface Sql {
  exec(query: string, ...bindings: unknown[]): { toArray(): unknown[] };
}

export type KeptKind = "row" | "transition";

export interface KeptItem {
  seq: number;
  key: string;
  body: string;
}

export interface BacklogCounts {
  rows: number;
  transitions: number;
}

const SCHEMA = [
  "create table if not exists kept (seq integer primary key autoincrement, " +
    "kind text not null check (kind in ('row', 'transition')), key text not null unique, " +
    "body text not null)",
  "create table if not exists facts (name text primary key, value text not null)",
];

export class Backlog {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
    for (const statement of SCHEMA) sql.exec(statement);
  }

  colo(): string | null {
    return this.#fact("colo");
  }

  rememberColo(colo: string): void {
    this.#remember("colo", colo);
  }

  baselines(): HourBaselines | null {
    const text = this.#fact("baselines");
    return text === null ? null : (JSON.parse(text) as HourBaselines);
  }

  keepBaselines(baselines: HourBaselines): void {
    this.#remember("baselines", JSON.stringify(baselines));
  }

  #fact(name: string): string | null {
    const [row] = this.#rows<{ value: string }>("select value from facts where name = ?", name);
    return row?.value ?? null;
  }

  #remember(name: string, value: string): void {
    this.#sql.exec(
      "insert into facts (name, value) values (?, ?) " +
        "on conflict (name) do update set value = excluded.value",
      name,
      value,
    );
  }

  /** Keeps each item unless one with its key is already kept; answers how many are new. */
  keep(kind: KeptKind, items: ReadonlyArray<{ key: string; body: string }>): number {
    let added = 0;
    for (const { key, body } of items) {
      added += this.#rows(
        "insert into kept (kind, key, body) values (?, ?, ?) on conflict (key) do nothing " +
          "returning seq",
        kind,
        key,
        body,
      ).length;
    }
    return added;
  }

  /** The oldest kept items of one kind, at most `limit`. */
  oldest(kind: KeptKind, limit = Number.MAX_SAFE_INTEGER): KeptItem[] {
    return this.#rows<KeptItem>(
      "select seq, key, body from kept where kind = ? order by seq limit ?",
      kind,
      limit,
    );
  }

  /** Forgets the items with these keys, once the store has them (or refused them for good). */
  forget(keys: readonly string[]): void {
    for (const key of keys) this.#sql.exec("delete from kept where key = ?", key);
  }

  /** Drops the oldest rows, then the oldest transitions, until at most `max` remain. */
  trim(max: number): BacklogCounts {
    const counts = this.counts();
    let excess = counts.rows + counts.transitions - max;
    const dropped = { rows: 0, transitions: 0 };
    for (const kind of ["row", "transition"] as const) {
      if (excess <= 0) break;
      const victims = this.oldest(kind, excess).map((item) => item.key);
      this.forget(victims);
      dropped[kind === "row" ? "rows" : "transitions"] = victims.length;
      excess -= victims.length;
    }
    return dropped;
  }

  counts(): BacklogCounts {
    const rows = this.#rows<{ kind: KeptKind; n: number }>(
      "select kind, count(*) as n from kept group by kind",
    );
    const count = (kind: KeptKind) => Number(rows.find((r) => r.kind === kind)?.n ?? 0);
    return { rows: count("row"), transitions: count("transition") };
  }

  #rows<T = unknown>(query: string, ...bindings: unknown[]): T[] {
    return this.#sql.exec(query, ...bindings).toArray() as T[];
  }
}
