// A stand-in for Cloudflare D1's REST API, which a process outside Cloudflare writes D1 through
// (no real one is reachable from here): the query endpoint of one database, over node:sqlite
// on a database migrated with sql/d1/*.sql. It answers as the API documents
// (developers.cloudflare.com/api/resources/d1/subresources/database/methods/query):
//
//   POST /client/v4/accounts/{account_id}/d1/database/{database_id}/query
//   authorization: Bearer <API token>
//   {"sql": "...", "params": ["..."]}  or  {"batch": [{"sql", "params"}, ...]}
//
//   200 {"success": true, "errors": [], "messages": [],
//        "result": [{"results": [{column: value}], "success": true,
//                    "meta": {changed_db, changes, duration, last_row_id, rows_read,
//                             rows_written, size_after, served_by}}]}
//
// Failures take Cloudflare's API envelope: a bad or missing token 403 with code 10000
// "Authentication error"; an unknown account or database 404 code 7003; a body the API would
// not take 400 code 7400; a statement SQLite refuses 400 code 7500 with SQLite's message and
// its primary result code ("UNIQUE constraint failed: ...: SQLITE_CONSTRAINT"). Parameters
// must be strings, the type the API documents. One statement per query entry.
//
//   const d1 = await startD1Standin({ accountId, databaseId, apiToken });
//   d1.apiBase  // "http://127.0.0.1:PORT/client/v4"
//   d1.db       // the node:sqlite DatabaseSync, to read what was written
//   d1.queries  // every query received, without its credential
//   await d1.close();

import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { text as readText } from 'node:stream/consumers';

const MIGRATIONS = path.join(import.meta.dirname, '../../sql/d1');
const MAX_BODY_BYTES = 1024 * 1024;
const SQLITE_NAMES = {
  1: 'SQLITE_ERROR', 19: 'SQLITE_CONSTRAINT', 20: 'SQLITE_MISMATCH', 25: 'SQLITE_RANGE',
};

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** A fresh in-memory database with every D1 migration applied, in file name order. */
export function migratedDatabase() {
  const db = new DatabaseSync(':memory:');
  for (const file of readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql')).sort()) {
    db.exec(readFileSync(path.join(MIGRATIONS, file), 'utf8'));
  }
  return db;
}

function envelope(success, result, errors = []) {
  return { success, errors, messages: [], result };
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json', 'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function queriesOf(text) {
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(400, 7400, 'The request body is not valid JSON');
  }
  const list = Array.isArray(body?.batch) ? body.batch : [body];
  if (list.length === 0) throw new ApiError(400, 7400, 'batch must not be empty');
  for (const query of list) {
    if (typeof query?.sql !== 'string' || query.sql.trim() === '') {
      throw new ApiError(400, 7400, 'sql must be a non-empty string');
    }
    const params = query.params ?? [];
    if (!Array.isArray(params) || params.some((p) => typeof p !== 'string')) {
      throw new ApiError(400, 7400, 'params must be an array of strings');
    }
  }
  return list.map((query) => ({ sql: query.sql, params: query.params ?? [] }));
}

function sqliteMessage(error) {
  const name = SQLITE_NAMES[(error.errcode ?? 1) & 0xff] ?? 'SQLITE_ERROR';
  return `${error.message}: ${name}`;
}

function execute(db, { sql, params }) {
  const started = performance.now();
  const before = db.prepare('select total_changes() as n').get().n;
  let results;
  try {
    results = db.prepare(sql).all(...params).map((row) => ({ ...row }));
  } catch (error) {
    throw new ApiError(400, 7500, sqliteMessage(error));
  }
  const changes = db.prepare('select total_changes() as n').get().n - before;
  const { id } = db.prepare('select last_insert_rowid() as id').get();
  return {
    results,
    success: true,
    meta: {
      served_by: 'd1-api-standin',
      duration: performance.now() - started,
      changes,
      last_row_id: id,
      changed_db: changes > 0,
      size_after: 0,
      rows_read: results.length,
      rows_written: changes,
    },
  };
}

/** Every statement of a batch or none: D1 runs a batch as one transaction. */
function runAll(db, queries) {
  db.exec('begin');
  try {
    const results = queries.map((query) => execute(db, query));
    db.exec('commit');
    return results;
  } catch (error) {
    db.exec('rollback');
    throw error;
  }
}

async function handle(state, req, res) {
  const prefix = `/client/v4/accounts/${state.accountId}/d1/database/${state.databaseId}`;
  const url = new URL(req.url, 'http://standin');
  if (req.headers.authorization !== `Bearer ${state.apiToken}`) {
    throw new ApiError(403, 10000, 'Authentication error');
  }
  if (url.pathname !== `${prefix}/query` || req.method !== 'POST') {
    throw new ApiError(404, 7003,
      `Could not route to ${url.pathname}, perhaps your object identifier is invalid?`);
  }
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
    throw new ApiError(413, 7400, 'request body too large');
  }
  const queries = queriesOf(await readText(req));
  state.queries.push(...queries);
  send(res, 200, envelope(true, runAll(state.db, queries)));
}

/** Starts the stand-in on a free port of 127.0.0.1 (or `port`). */
export async function startD1Standin({ accountId, databaseId, apiToken, port = 0, db }) {
  const state = { accountId, databaseId, apiToken, db: db ?? migratedDatabase(), queries: [] };
  const server = http.createServer((req, res) => {
    handle(state, req, res).catch((error) => {
      if (!(error instanceof ApiError)) error = new ApiError(500, 7500, 'internal error');
      const errors = [{ code: error.code, message: error.message }];
      send(res, error.status, envelope(false, null, errors));
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address();
  return {
    port: bound,
    apiBase: `http://127.0.0.1:${bound}/client/v4`,
    db: state.db,
    queries: state.queries,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}
