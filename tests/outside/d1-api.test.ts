// The D1 store module, unchanged, over Cloudflare's D1 REST API (store/d1-http.ts), against
// the API's stand-in (tests/d1-api/standin.mjs) on a database migrated with sql/d1/*.sql.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, test } from "node:test";

import { D1Store } from "../../worker-shim/src/store/d1.ts";
import { d1OverHttp } from "../../worker-shim/src/store/d1-http.ts";
import { startD1Standin, type D1Standin } from "../d1-api/standin.mjs";
import { MINUTE_ISO, MINUTE_MS, okRow, ruleColumnsOf } from "../shim/support.ts";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const DATABASE = "00000000-0000-4000-8000-0000000000d1";
const TOKEN = `cf-token-${randomBytes(12).toString("hex")}`;

let standin: D1Standin;

function storeFor(options: { token?: string; database?: string; apiBase?: string } = {}) {
  return new D1Store(
    d1OverHttp({
      accountId: ACCOUNT,
      databaseId: options.database ?? DATABASE,
      apiToken: options.token ?? TOKEN,
      apiBase: options.apiBase ?? standin.apiBase,
    }),
  );
}

interface Envelope {
  success: boolean;
  errors: Array<{ code: number; message: string }>;
  messages: unknown[];
  result: Array<{ results: unknown[]; success: boolean; meta: Record<string, unknown> }> | null;
}

const envelope = async (response: Response) => (await response.json()) as Envelope;

function query(body: unknown, token = TOKEN, database = DATABASE) {
  return fetch(`${standin.apiBase}/accounts/${ACCOUNT}/d1/database/${database}/query`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

before(async () => {
  standin = await startD1Standin({ accountId: ACCOUNT, databaseId: DATABASE, apiToken: TOKEN });
});

after(() => standin.close());

describe("the stand-in answers as the D1 REST API documents", () => {
  test("a query answers the envelope with one result per statement and its meta", async () => {
    const response = await query({ sql: "select ?1 as a, ?2 as b", params: ["x", "7"] });
    assert.equal(response.status, 200);
    const body = await envelope(response);
    assert.deepEqual(
      { success: body.success, errors: body.errors, messages: body.messages },
      { success: true, errors: [], messages: [] },
    );
    const [first, ...rest] = body.result ?? [];
    assert.equal(rest.length, 0);
    assert.deepEqual(first?.results, [{ a: "x", b: "7" }]);
    assert.equal(first?.success, true);
    for (const key of ["changes", "duration", "last_row_id", "changed_db", "rows_read"]) {
      assert.ok(key in (first?.meta ?? {}), key);
    }
  });

  test("a bad token, an unknown database and a non-string parameter are refused", async () => {
    const cases: Array<[Response, number, number]> = [
      [await query({ sql: "select 1" }, "wrong"), 403, 10000],
      [await query({ sql: "select 1" }, TOKEN, "nope"), 404, 7003],
      [await query({ sql: "select ?1", params: [1] }), 400, 7400],
      [await query({ sql: "select * from missing" }), 400, 7500],
    ];
    for (const [response, status, code] of cases) {
      assert.equal(response.status, status);
      const body = await envelope(response);
      assert.equal(body.success, false);
      assert.equal(body.result, null);
      assert.equal(body.errors[0]?.code, code);
    }
  });
});

describe("D1Store over the REST API", () => {
  test("writes a batch in one query, once: the same rows again store nothing", async () => {
    const rows = [okRow("d1-http-a", MINUTE_MS), okRow("d1-http-b", MINUTE_MS, { region: "weur" })];
    const store = storeFor();
    const seen = standin.queries.length;
    assert.deepEqual(await store.insertChecks(rows), { ok: true, stored: 2 });
    assert.equal(standin.queries.length, seen + 1);
    const sent = standin.queries.at(-1)!;
    assert.match(sent.sql, /^insert into llm_checks .* from json_each\(\?1\)/);
    assert.deepEqual(sent.params, [JSON.stringify(rows)]);
    assert.deepEqual(await store.insertChecks(rows), { ok: true, stored: 0 });
    const read = await store.checksBetween([{ from: MINUTE_ISO, to: MINUTE_ISO }]);
    assert.ok(read.ok);
    const mine = read.rows.filter((r) => r.model.startsWith("d1-http-"));
    assert.deepEqual(mine, rows.map(ruleColumnsOf));
  });

  test("a statement with numeric parameters sends them as the text the API takes", async () => {
    const due = await storeFor().dueDeliveries(new Date(MINUTE_MS).toISOString(), 5);
    assert.deepEqual(due, { ok: true, deliveries: [] });
    assert.deepEqual(standin.queries.at(-1)!.params.at(-1), "5");
  });

  test("a database without the schema is a refusal for good, named by SQLite", async () => {
    const bare = await startD1Standin({
      accountId: ACCOUNT,
      databaseId: DATABASE,
      apiToken: TOKEN,
      db: new DatabaseSync(":memory:"),
    });
    try {
      const result = await storeFor({ apiBase: bare.apiBase }).insertChecks([
        okRow("d1-http-c", MINUTE_MS),
      ]);
      assert.equal(result.ok, false);
      assert.ok(!result.ok && !result.retryable);
      assert.match(!result.ok ? result.reason : "", /no such table: llm_checks: SQLITE_ERROR/);
    } finally {
      await bare.close();
    }
  });

  test("a refused token or an unreachable API is retryable, with no token in it", async () => {
    const refused = await storeFor({ token: "revoked-token-value" }).insertChecks([
      okRow("d1-http-d", MINUTE_MS),
    ]);
    assert.equal(refused.ok, false);
    assert.ok(!refused.ok && refused.retryable);
    const reason = !refused.ok ? refused.reason : "";
    assert.match(reason, /D1 API answered 403: Authentication error \(code 10000\)/);
    assert.ok(!reason.includes("revoked-token-value"));
    const closed = await startD1Standin({
      accountId: ACCOUNT,
      databaseId: DATABASE,
      apiToken: TOKEN,
    });
    const apiBase = closed.apiBase;
    await closed.close();
    const unreachable = await storeFor({ apiBase }).insertChecks([okRow("d1-http-e", MINUTE_MS)]);
    assert.ok(!unreachable.ok && unreachable.retryable);
  });
});
