// The PostgREST stand-in against the PostgreSQL that scripts/pg-up prepares, and the two
// schemas it serves: the Postgres migration and its D1 (SQLite) twin.
//
//   scripts/pg-up && node --test 'tests/postgrest/*.test.mjs'
//
// HEYHI_PG_URL overrides the database URL. Tests that need the database superuser (applying a
// migration to a scratch database, creating a test function) run as root through runuser, as
// CI does, and are skipped elsewhere; the D1 tests need the sqlite3 command.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import pg from 'pg';

import { startStandin, statusForSqlState } from './standin.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PG_MIGRATION = path.join(ROOT, 'sql/postgres/20261203000000_create_llm_checks.sql');
// Every D1 migration, in the order wrangler applies them: later ones add indexes to llm_checks.
const D1_DIR = path.join(ROOT, 'sql/d1');
const D1_MIGRATIONS = readdirSync(D1_DIR).filter((name) => name.endsWith('.sql')).sort()
  .map((name) => path.join(D1_DIR, name));
const DATABASE_URL = process.env.HEYHI_PG_URL
  ?? 'postgres://authenticator:heyhi-local-only@127.0.0.1:5432/heyhi_test';
const SERVICE_KEY = `service-${randomUUID()}`;
const ANON_KEY = `anon-${randomUUID()}`;
const ON_CONFLICT = 'on_conflict=scheduled_at,region,provider,model';
const ERROR_TYPES = [
  'overloaded', 'server_error', 'gateway_error', 'timeout', 'bad_body', 'connect_error',
  'dns_error', 'edge_blocked', 'auth', 'quota', 'model_not_found', 'probe_config', 'rate_limited',
];

const logLines = [];
const models = new Set();
let standin;
let base;
let db;

before(async () => {
  standin = await startStandin({
    databaseUrl: DATABASE_URL,
    serviceKey: SERVICE_KEY,
    anonKey: ANON_KEY,
    log: (event) => logLines.push(JSON.stringify(event)),
  });
  base = `http://127.0.0.1:${standin.port}/rest/v1`;
  db = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
});

after(async () => {
  await standin.close();
  await asService((client) => client.query(
    'delete from public.llm_checks where model = any ($1)', [[...models]]));
  await db.end();
});

// ---------------------------------------------------------------------------------------------
// Helpers

/** A model name no other test uses, so each test sees only its own rows. */
function uniqueModel() {
  const model = `test-${randomUUID()}`;
  models.add(model);
  return model;
}

function okRow(model, overrides = {}) {
  return {
    scheduled_at: '2026-12-03T12:05:00Z',
    ts: '2026-12-03T12:05:00.123Z',
    region: 'weur',
    colo: 'AMS',
    provider: 'openai',
    model,
    ok: true,
    http_status: 200,
    error_type: null,
    attribution: null,
    latency_ms: 321,
    ttfb_ms: 200,
    tokens_in: 8,
    tokens_out: 1,
    request_id: 'req_ok_1',
    detail: null,
    ...overrides,
  };
}

function failedRow(model, overrides = {}) {
  return okRow(model, {
    region: 'enam',
    colo: null,
    ok: false,
    http_status: 529,
    error_type: 'overloaded',
    attribution: 'provider',
    latency_ms: 1480,
    ttfb_ms: 1475,
    tokens_in: null,
    tokens_out: null,
    request_id: 'req_011CXyz',
    detail: 'overloaded_error: Overloaded',
    ...overrides,
  });
}

function omit(row, ...keys) {
  return Object.fromEntries(Object.entries(row).filter(([key]) => !keys.includes(key)));
}

/** Both headers a Supabase client sends; `null` sends neither. */
function authHeaders(key) {
  return key === null ? {} : { apikey: key, Authorization: `Bearer ${key}` };
}

async function request(method, target, { body, key = SERVICE_KEY, prefer, headers = {} } = {}) {
  const sent = { ...authHeaders(key), ...headers };
  if (prefer) sent.Prefer = prefer;
  if (body !== undefined && !sent['Content-Type']) sent['Content-Type'] = 'application/json';
  const payload = body === undefined || typeof body === 'string' || body instanceof Uint8Array
    ? body : JSON.stringify(body);
  const res = await fetch(`${base}${target}`, { method, headers: sent, body: payload });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : null };
}

const post = (target, body, options = {}) => request('POST', target, { ...options, body });
const get = (target, options = {}) => request('GET', target, options);

async function asService(work) {
  const client = await db.connect();
  try {
    await client.query('begin');
    await client.query("select set_config('role', 'service_role', true)");
    const result = await work(client);
    await client.query('commit');
    return result;
  } finally {
    client.release();
  }
}

/** Rows of one model as PostgreSQL holds them, read as the service role. */
async function storedRows(model) {
  const { rows } = await asService((client) => client.query(
    'select * from public.llm_checks where model = $1 order by region, scheduled_at', [model]));
  return rows;
}

function assertStored(stored, sent) {
  for (const [column, value] of Object.entries(sent)) {
    if (column === 'scheduled_at' || column === 'ts') {
      assert.equal(stored[column].toISOString(), new Date(value).toISOString(), column);
    } else {
      assert.equal(stored[column], value, column);
    }
  }
}

function pgError(code, message, { details = null, hint = null } = {}) {
  return { code, details, hint, message };
}

function databaseParts() {
  const url = new URL(DATABASE_URL);
  return { port: url.port || '5432', database: url.pathname.slice(1) };
}

// Superuser access through the local socket, as scripts/pg-up has it.
const adminSkip = process.getuid?.() === 0 && spawnSync('runuser', ['--help']).status === 0
  ? false : 'needs root to run psql as the postgres user';

function adminPsql(database, sql) {
  const args = ['-u', 'postgres', '--', 'psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1',
    '-p', databaseParts().port, '-d', database];
  return execFileSync('runuser', args, {
    input: sql,
    encoding: 'utf8',
    env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' },
  });
}

const sqliteSkip = spawnSync('sqlite3', ['-version']).status === 0
  ? false : 'needs the sqlite3 command (apt-get install sqlite3)';

function sqlite(file, sql, { json = false } = {}) {
  const args = [...(json ? ['-json'] : []), '-bail', file];
  const run = spawnSync('sqlite3', args, { input: sql, encoding: 'utf8' });
  return { ok: run.status === 0, out: run.stdout, err: run.stderr };
}

function sqliteRows(file, sql) {
  const run = sqlite(file, sql, { json: true });
  assert.ok(run.ok, run.err);
  return run.out.trim() === '' ? [] : JSON.parse(run.out);
}

/** Runs `work` on a fresh SQLite file that the D1 migration was applied to twice. */
async function withD1(work) {
  const dir = mkdtempSync(path.join(tmpdir(), 'heyhi-d1-'));
  try {
    const file = path.join(dir, 'd1.sqlite');
    for (let i = 0; i < 2; i += 1) {
      for (const migration of D1_MIGRATIONS) {
        const applied = sqlite(file, readFileSync(migration, 'utf8'));
        assert.ok(applied.ok, `${path.basename(migration)}, run ${i + 1}: ${applied.err}`);
      }
    }
    return await work(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function d1Insert(row) {
  const columns = Object.keys(row);
  const value = (v) => {
    if (v === null) return 'null';
    if (typeof v === 'boolean') return v ? '1' : '0';
    if (typeof v === 'number') return String(v);
    return `'${String(v).replaceAll("'", "''")}'`;
  };
  return `insert into llm_checks (${columns.join(', ')})`
    + ` values (${columns.map((c) => value(row[c])).join(', ')});`;
}

// ---------------------------------------------------------------------------------------------

describe('POST /rest/v1/llm_checks', () => {
  test('a batch is stored field by field and answers 201 with an empty body', async () => {
    const model = uniqueModel();
    const batch = [failedRow(model), okRow(model)];
    const res = await post('/llm_checks', batch, { prefer: 'return=minimal' });

    assert.equal(res.status, 201);
    assert.equal(res.text, '');
    assert.equal(res.headers.get('preference-applied'), 'return=minimal');
    assert.equal(res.headers.get('content-type'), null);
    const stored = await storedRows(model);
    assert.equal(stored.length, 2);
    assertStored(stored[0], batch[0]);
    assertStored(stored[1], batch[1]);
  });

  test('the same batch again with ignore-duplicates answers 201 and keeps one copy', async () => {
    const model = uniqueModel();
    const prefer = 'resolution=ignore-duplicates, return=minimal';
    const first = [okRow(model), failedRow(model)];
    const again = [
      okRow(model, { latency_ms: 9999 }),
      failedRow(model),
      okRow(model, { scheduled_at: '2026-12-03T12:06:00Z', ts: '2026-12-03T12:06:00.050Z' }),
    ];

    assert.equal((await post(`/llm_checks?${ON_CONFLICT}`, first, { prefer })).status, 201);
    const res = await post(`/llm_checks?${ON_CONFLICT}`, again, { prefer });

    assert.equal(res.status, 201);
    assert.equal(res.headers.get('preference-applied'), prefer);
    const stored = await storedRows(model);
    assert.equal(stored.length, 3);
    const weur = stored.filter((row) => row.region === 'weur').map((row) => row.latency_ms);
    assert.deepEqual(weur, [321, 321], 'a duplicate must not overwrite the stored row');
  });

  test('a duplicate without a resolution answers 409 23505 and stores none of the batch',
    async () => {
      const model = uniqueModel();
      await post('/llm_checks', [okRow(model)]);
      const fresh = failedRow(model);
      const res = await post('/llm_checks', [fresh, okRow(model)]);

      assert.equal(res.status, 409);
      assert.deepEqual(res.json, pgError('23505',
        'duplicate key value violates unique constraint'
          + ' "llm_checks_scheduled_at_region_provider_model_key"',
        { details: 'Key (scheduled_at, region, provider, model)='
          + `(2026-12-03 12:05:00+00, weur, openai, ${model}) already exists.` }));
      assert.equal((await storedRows(model)).length, 1);
    });

  test('ignore-duplicates without on_conflict still conflicts, on the primary key', async () => {
    const model = uniqueModel();
    const prefer = 'resolution=ignore-duplicates';
    await post('/llm_checks', [okRow(model)]);
    const res = await post('/llm_checks', [okRow(model)], { prefer });

    assert.equal(res.status, 409);
    assert.equal(res.json.code, '23505');
  });

  test('merge-duplicates overwrites the stored row and answers 200 when nothing is new',
    async () => {
      const model = uniqueModel();
      const prefer = 'resolution=merge-duplicates';
      await post('/llm_checks', [okRow(model)]);
      const res = await post(`/llm_checks?${ON_CONFLICT}`, [okRow(model, { latency_ms: 777 })],
        { prefer });

      assert.equal(res.status, 200);
      assert.equal(res.headers.get('preference-applied'), prefer);
      const stored = await storedRows(model);
      assert.equal(stored.length, 1);
      assert.equal(stored[0].latency_ms, 777);
    });

  test('return=representation answers 201 with the stored rows, narrowed by select', async () => {
    const model = uniqueModel();
    const full = await post('/llm_checks', [failedRow(model)], {
      prefer: 'return=representation',
    });
    const narrow = await post('/llm_checks?select=id,model,scheduled_at',
      [okRow(model)], { prefer: 'return=representation' });

    assert.equal(full.status, 201);
    assert.equal(full.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(full.headers.get('preference-applied'), 'return=representation');
    const [{ id, ...echoed }] = full.json;
    assert.equal(typeof id, 'number');
    assert.deepEqual(echoed, {
      ...failedRow(model),
      scheduled_at: '2026-12-03T12:05:00+00:00',
      ts: '2026-12-03T12:05:00.123+00:00',
    });
    assert.deepEqual(Object.keys(narrow.json[0]), ['id', 'model', 'scheduled_at']);
    assert.ok(narrow.json[0].id > id);
  });

  test('with columns, objects may leave keys out and those columns are null', async () => {
    const model = uniqueModel();
    const bare = omit(failedRow(model), 'detail', 'request_id');
    const columns = Object.keys(failedRow(model)).join(',');
    const res = await post(`/llm_checks?columns=${columns}`,
      [bare, okRow(model, { region: 'apac' })], { prefer: 'count=exact' });

    assert.equal(res.status, 201);
    assert.equal(res.headers.get('content-range'), '*/2');
    const [apac, enam] = await storedRows(model);
    assert.equal(apac.request_id, 'req_ok_1');
    assert.equal(enam.detail, null);
    assert.equal(enam.request_id, null);
  });

  test('a single object is one row and an empty array stores nothing', async () => {
    const model = uniqueModel();
    const one = await post('/llm_checks', okRow(model));
    const none = await post('/llm_checks', []);

    assert.equal(one.status, 201);
    assert.equal(none.status, 201);
    assert.equal((await storedRows(model)).length, 1);
  });

  test('rows whose keys differ are refused with PGRST102 and nothing is stored', async () => {
    const model = uniqueModel();
    const res = await post('/llm_checks', [okRow(model), omit(failedRow(model), 'detail')]);

    assert.equal(res.status, 400);
    assert.deepEqual(res.json, pgError('PGRST102', 'All object keys must match'));
    assert.equal(res.headers.get('proxy-status'), 'PostgREST; error=PGRST102');
    assert.equal((await storedRows(model)).length, 0);
  });

  test('a body that is not JSON is refused with PGRST102', async (t) => {
    const bodies = {
      empty: '',
      truncated: '[{"model": "x"',
      prose: 'not json at all',
      'invalid UTF-8': new Uint8Array([0x5b, 0x22, 0xff, 0x22, 0x5d]),
    };
    for (const [name, body] of Object.entries(bodies)) {
      await t.test(name, async () => {
        const res = await post('/llm_checks', body);
        assert.equal(res.status, 400);
        assert.deepEqual(res.json, pgError('PGRST102', 'Empty or invalid json'));
      });
    }
  });

  test('a content type other than JSON is refused with PGRST102', async () => {
    const csv = { 'Content-Type': 'text/csv' };
    const res = await post('/llm_checks', 'a,b\n1,2\n', { headers: csv });

    assert.equal(res.status, 400);
    assert.deepEqual(res.json, pgError('PGRST102', 'Content-Type not acceptable: text/csv'));
  });

  test('an unknown column is refused with PGRST204 naming it, before PostgreSQL sees it',
    async () => {
      const model = uniqueModel();
      const row = { ...omit(okRow(model), 'latency_ms'), latency: 321 };
      const res = await post('/llm_checks', [row]);

      assert.equal(res.status, 400);
      assert.deepEqual(res.json, pgError('PGRST204',
        "Could not find the 'latency' column of 'llm_checks' in the schema cache"));
      assert.equal((await storedRows(model)).length, 0);
    });

  test('an unknown table answers 404 PGRST205 and suggests the close one', async () => {
    const res = await post('/llm_check', [okRow(uniqueModel())]);

    assert.equal(res.status, 404);
    assert.deepEqual(res.json, pgError('PGRST205',
      "Could not find the table 'public.llm_check' in the schema cache",
      { hint: "Perhaps you meant the table 'public.llm_checks'" }));
  });

  test('constraint violations answer 400 with the PostgreSQL code and constraint', async (t) => {
    const cases = [
      ['an unknown error type', { error_type: 'bogus', ok: false }, '23514',
        'llm_checks_error_type_check'],
      ['ok with an error type', { error_type: 'timeout' }, '23514', 'llm_checks_ok_check'],
      ['a failure without an error type', { ok: false }, '23514', 'llm_checks_ok_check'],
      ['an unknown attribution', { attribution: 'them' }, '23514',
        'llm_checks_attribution_check'],
      ['a negative latency', { latency_ms: -1 }, '23514', 'llm_checks_latency_ms_check'],
      ['a missing latency', { latency_ms: null }, '23502', 'latency_ms'],
      ['a scheduled_at off the minute', { scheduled_at: '2026-12-03T12:05:30Z' }, '23514',
        'llm_checks_scheduled_at_check'],
      ['an HTTP status out of range', { http_status: 42 }, '23514',
        'llm_checks_http_status_check'],
      ['a status that is not a number', { http_status: 'abc' }, '22P02', 'integer'],
    ];
    for (const [name, overrides, code, mention] of cases) {
      await t.test(name, async () => {
        const model = uniqueModel();
        const res = await post('/llm_checks', [okRow(model, overrides)]);
        assert.equal(res.status, 400);
        assert.equal(res.json.code, code);
        assert.match(res.json.message, new RegExp(mention));
        assert.deepEqual(Object.keys(res.json), ['code', 'details', 'hint', 'message']);
        assert.equal((await storedRows(model)).length, 0);
      });
    }
  });

  test('handling=strict refuses unknown preferences with PGRST122; lenient ignores them',
    async () => {
      const strict = await post('/llm_checks', [okRow(uniqueModel())], {
        prefer: 'handling=strict, return=minimal, sparkle=yes',
      });
      const lenient = await post('/llm_checks', [okRow(uniqueModel())], {
        prefer: 'return=minimal, sparkle=yes',
      });

      assert.equal(strict.status, 400);
      assert.deepEqual(strict.json, pgError('PGRST122',
        'Invalid preferences given with handling=strict',
        { details: 'Invalid preferences: sparkle=yes' }));
      assert.equal(lenient.status, 201);
      assert.equal(lenient.headers.get('preference-applied'), 'return=minimal');
    });
});

describe('authentication', () => {
  test('an unknown key answers 401 PGRST301 with a Bearer challenge', async (t) => {
    const cases = {
      'as apikey': { apikey: 'sb-not-a-key' },
      'as bearer token': { apikey: SERVICE_KEY, Authorization: 'Bearer sb-not-a-key' },
    };
    for (const [name, headers] of Object.entries(cases)) {
      await t.test(name, async () => {
        const model = uniqueModel();
        const res = await post('/llm_checks', [okRow(model)], { key: null, headers });
        assert.equal(res.status, 401);
        assert.deepEqual(res.json, pgError('PGRST301', 'Expected 3 parts in JWT; got 1'));
        assert.equal(res.headers.get('www-authenticate'),
          'Bearer error="invalid_token", error_description="Expected 3 parts in JWT; got 1"');
        assert.equal((await storedRows(model)).length, 0);
      });
    }
  });

  test('a token shaped like a JWT but unknown fails verification', async () => {
    const res = await post('/llm_checks', [okRow(uniqueModel())], { key: 'aaa.bbb.ccc' });

    assert.equal(res.status, 401);
    assert.deepEqual(res.json, pgError('PGRST301', 'JWT cryptographic operation failed'));
  });

  test('a request with no key answers 401 PGRST302', async () => {
    const res = await post('/llm_checks', [okRow(uniqueModel())], { key: null });

    assert.equal(res.status, 401);
    assert.deepEqual(res.json, pgError('PGRST302', 'Anonymous access is disabled'));
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
  });

  test('the anon key may neither insert nor read: 401 with 42501', async () => {
    const model = uniqueModel();
    const insert = await post('/llm_checks', [okRow(model)], { key: ANON_KEY });
    const read = await get(`/llm_checks?model=eq.${model}`, { key: ANON_KEY });

    for (const res of [insert, read]) {
      assert.equal(res.status, 401);
      assert.deepEqual(res.json, pgError('42501', 'permission denied for table llm_checks'));
      assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    }
    assert.equal((await storedRows(model)).length, 0);
  });

  test('the bearer token, not apikey, decides the role', async () => {
    const model = uniqueModel();
    const res = await post('/llm_checks', [okRow(model)], {
      key: null,
      headers: { apikey: ANON_KEY, Authorization: `bearer ${SERVICE_KEY}` },
    });

    assert.equal(res.status, 201);
    assert.equal((await storedRows(model)).length, 1);
  });
});

describe('GET /rest/v1/llm_checks', () => {
  const model = uniqueModel();
  const minute = (m, extra = {}) => ({
    scheduled_at: `2026-12-03T13:0${m}:00Z`,
    ts: `2026-12-03T13:0${m}:00.${m}00Z`,
    ...extra,
  });
  const rows = [
    okRow(model, { ...minute(0), latency_ms: 100 }),
    failedRow(model, { ...minute(1), latency_ms: 200, colo: 'FRA' }),
    okRow(model, { ...minute(2), latency_ms: 300, colo: null }),
    failedRow(model, { ...minute(3), latency_ms: 400, error_type: 'timeout', colo: 'LHR' }),
  ];

  before(async () => {
    assert.equal((await post('/llm_checks', rows)).status, 201);
  });

  async function latencies(query) {
    const res = await get(`/llm_checks?select=latency_ms&model=eq.${model}&${query}`);
    assert.equal(res.status, 200, res.text);
    return res.json.map((row) => row.latency_ms);
  }

  test('filters, order, limit and offset select the rows', async (t) => {
    const cases = [
      ['latency_ms=eq.200', [200]],
      ['latency_ms=neq.200&order=latency_ms.asc', [100, 300, 400]],
      ['latency_ms=gt.200&order=latency_ms', [300, 400]],
      ['latency_ms=gte.200&order=latency_ms', [200, 300, 400]],
      ['latency_ms=lt.300&order=latency_ms', [100, 200]],
      ['latency_ms=lte.300&order=latency_ms', [100, 200, 300]],
      ['colo=is.null', [300]],
      ['colo=not.is.null&order=latency_ms', [100, 200, 400]],
      ['ok=eq.false&order=ts.desc', [400, 200]],
      ['error_type=in.(timeout,overloaded)&order=ts', [200, 400]],
      ['error_type=in.("timeout",nothing)', [400]],
      ['error_type=not.in.(timeout)&ok=is.false', [200]],
      ['scheduled_at=gte.2026-12-03T13:01:00Z&scheduled_at=lt.2026-12-03T13:03:00Z&order=ts',
        [200, 300]],
      ['order=ts.desc&limit=2', [400, 300]],
      ['order=ts.asc&limit=2&offset=1', [200, 300]],
      ['latency_ms=gt.1000', []],
    ];
    for (const [query, expected] of cases) {
      await t.test(query, async () => assert.deepEqual(await latencies(query), expected));
    }
  });

  test('a read answers with the rows as PostgreSQL renders them and a Content-Range', async () => {
    const res = await get(`/llm_checks?select=scheduled_at,ok&model=eq.${model}&order=ts&limit=2`);
    const counted = await get(`/llm_checks?select=ok&model=eq.${model}&limit=2`,
      { prefer: 'count=exact' });
    const empty = await get(`/llm_checks?model=eq.${uniqueModel()}`);

    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(res.headers.get('content-range'), '0-1/*');
    assert.deepEqual(res.json, [
      { scheduled_at: '2026-12-03T13:00:00+00:00', ok: true },
      { scheduled_at: '2026-12-03T13:01:00+00:00', ok: false },
    ]);
    assert.equal(counted.status, 206);
    assert.equal(counted.headers.get('content-range'), '0-1/4');
    assert.equal(counted.headers.get('preference-applied'), 'count=exact');
    assert.deepEqual(empty.json, []);
    assert.equal(empty.headers.get('content-range'), '*/*');
  });

  test('a malformed filter, order or limit answers 400 PGRST100', async (t) => {
    const cases = {
      'latency_ms=zz.1': '"failed to parse filter (zz.1)" (line 1, column 1)',
      'colo=is.maybe': '"failed to parse filter (is.maybe)" (line 1, column 1)',
      'colo=AMS': '"failed to parse filter (AMS)" (line 1, column 1)',
      'order=ts.sideways': '"failed to parse order (ts.sideways)" (line 1, column 1)',
      'limit=ten': '"failed to parse limit parameter (ten)" (line 1, column 1)',
    };
    for (const [query, message] of Object.entries(cases)) {
      await t.test(query, async () => {
        const res = await get(`/llm_checks?${query}`);
        assert.equal(res.status, 400);
        assert.equal(res.json.code, 'PGRST100');
        assert.equal(res.json.message, message);
      });
    }
  });

  test('a filter on an unknown column answers 400 with PostgreSQL 42703', async () => {
    const res = await get('/llm_checks?latency=eq.1');

    assert.equal(res.status, 400);
    assert.equal(res.json.code, '42703');
    assert.equal(res.json.message, 'column llm_checks.latency does not exist');
  });

  test('or and and trees select the rows, nested, negated and with the other filters',
    async (t) => {
      const span = (from, to) => `and(scheduled_at.gte.2026-12-03T13:0${from}:00Z,`
        + `scheduled_at.lte.2026-12-03T13:0${to}:00.000Z)`;
      const cases = [
        ['or=(latency_ms.eq.100,latency_ms.eq.400)&order=latency_ms', [100, 400]],
        ['and=(latency_ms.gte.200,latency_ms.lte.300)&order=latency_ms', [200, 300]],
        [`or=(${span(0, 0)},${span(2, 3)})&order=ts`, [100, 300, 400]],
        ['not.or=(latency_ms.eq.100,latency_ms.eq.400)&order=latency_ms', [200, 300]],
        ['not.and=(ok.is.true,latency_ms.lt.300)&order=latency_ms', [200, 300, 400]],
        ['or=(error_type.in.(timeout,overloaded),colo.is.null)&order=latency_ms', [200, 300, 400]],
        ['or=(colo.eq."FRA",colo.eq."a,b)")', [200]],
        ['or=( latency_ms.eq.100 , latency_ms.not.eq.100 )&order=latency_ms', [100, 200, 300, 400]],
        ['or=(latency_ms.eq.100,latency_ms.eq.200)&latency_ms=gt.100', [200]],
        ['or=(latency_ms.eq.100)&and=(latency_ms.eq.200)', []],
      ];
      for (const [query, expected] of cases) {
        await t.test(query, async () => assert.deepEqual(await latencies(query), expected));
      }
    });

  test('a malformed logic tree answers 400 PGRST100', async (t) => {
    const cases = ['or=(latency_ms.eq.1', 'or=()', 'and=(latency_ms.zz.1)', 'or=(a.eq.1)x',
      'or=(a.in.1,2)', 'not.or=a.eq.1'];
    for (const query of cases) {
      await t.test(query, async () => {
        const res = await get(`/llm_checks?${query}`);
        assert.equal(res.status, 400);
        assert.equal(res.json.code, 'PGRST100');
      });
    }
    const res = await get('/llm_checks?or=(latency_ms.eq.1');
    assert.equal(res.json.message,
      '"failed to parse logic tree ((latency_ms.eq.1)" (line 1, column 1)');
  });

  test('db-max-rows caps a read, and an exact count says how many matched', async () => {
    const capped = await startStandin({
      databaseUrl: DATABASE_URL, serviceKey: SERVICE_KEY, anonKey: ANON_KEY, maxRows: 2,
    });
    try {
      const read = async (query) => {
        const res = await fetch(`http://127.0.0.1:${capped.port}/rest/v1/llm_checks`
          + `?select=latency_ms&model=eq.${model}&order=ts&${query}`,
        { headers: { ...authHeaders(SERVICE_KEY), Prefer: 'count=exact' } });
        const rows = await res.json();
        return [res.status, res.headers.get('content-range'), rows.map((r) => r.latency_ms)];
      };
      assert.deepEqual(await read('limit=10'), [206, '0-1/4', [100, 200]]);
      assert.deepEqual(await read('limit=1'), [206, '0-0/4', [100]]);
      assert.deepEqual(await read('offset=2'), [206, '2-3/4', [300, 400]]);
    } finally {
      await capped.close();
    }
  });
});

describe('PATCH /rest/v1/llm_checks', () => {
  const patch = (target, body, options = {}) => request('PATCH', target, { ...options, body });

  async function seeded() {
    const model = uniqueModel();
    const rows = [okRow(model), failedRow(model), okRow(model, { region: 'apac' })];
    assert.equal((await post('/llm_checks', rows)).status, 201);
    return model;
  }

  test('filters pick the rows; the answer is 204 with a Content-Range and no body', async () => {
    const model = await seeded();
    const res = await patch(`/llm_checks?model=eq.${model}&ok=is.true`, { detail: 'checked' });

    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assert.equal(res.headers.get('content-type'), null);
    assert.equal(res.headers.get('content-range'), '0-1/*');
    const details = (await storedRows(model)).map((row) => [row.region, row.detail]);
    assert.deepEqual(details, [['apac', 'checked'], ['enam', failedRow(model).detail],
      ['weur', 'checked']]);
  });

  test('return=representation answers 200 with the updated rows, narrowed by select',
    async () => {
      const model = await seeded();
      const res = await patch(`/llm_checks?model=eq.${model}&region=eq.enam&select=region,detail`,
        { detail: null }, { prefer: 'return=representation, count=exact' });
      const none = await patch(`/llm_checks?model=eq.${model}&region=eq.nowhere`,
        { detail: 'x' }, { prefer: 'return=representation' });

      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.equal(res.headers.get('content-range'), '0-0/1');
      assert.equal(res.headers.get('preference-applied'), 'return=representation, count=exact');
      assert.deepEqual(res.json, [{ region: 'enam', detail: null }]);
      assert.equal(none.status, 200);
      assert.deepEqual(none.json, []);
      assert.equal(none.headers.get('content-range'), '*/*');
    });

  test('a condition on the row itself lets one of two racing updates win', async () => {
    const model = await seeded();
    const target = `/llm_checks?model=eq.${model}&region=eq.enam&detail=not.is.null&select=region`;
    const prefer = 'return=representation';
    const results = await Promise.all([patch(target, { detail: null }, { prefer }),
      patch(target, { detail: null }, { prefer })]);

    assert.deepEqual(results.map((res) => res.json.length).sort(), [0, 1]);
  });

  test('an empty body updates nothing and answers 204 with */*', async () => {
    const model = await seeded();
    for (const body of [{}, []]) {
      const res = await patch(`/llm_checks?model=eq.${model}`, body);
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('content-range'), '*/*');
    }
    assert.deepEqual((await storedRows(model)).map((row) => row.detail),
      [null, failedRow(model).detail, null]);
  });

  test('a refused value, an unknown column or the anon key change nothing', async (t) => {
    const model = await seeded();
    const cases = [
      ['a check violation', { latency_ms: -1 }, SERVICE_KEY, 400, '23514'],
      ['an unknown column', { latency: 1 }, SERVICE_KEY, 400, 'PGRST204'],
      ['the anon key', { detail: 'x' }, ANON_KEY, 401, '42501'],
    ];
    for (const [name, body, key, status, code] of cases) {
      await t.test(name, async () => {
        const res = await patch(`/llm_checks?model=eq.${model}`, body, { key });
        assert.equal(res.status, status);
        assert.equal(res.json.code, code);
      });
    }
    const stored = await storedRows(model);
    assert.deepEqual(stored.map((row) => [row.latency_ms, row.detail]),
      [[321, null], [1480, failedRow(model).detail], [321, null]]);
  });
});

describe('POST /rest/v1/rpc', { skip: adminSkip }, () => {
  const { database } = databaseParts();
  const fn = `heyhi_standin_test_${process.pid}`;

  before(() => adminPsql(database, `
    create function public.${fn}(a integer, b integer default 1) returns integer
      language sql immutable as 'select a + b';
    create function public.${fn}_void(a integer) returns void language sql as 'select';
    revoke execute on function public.${fn}(integer, integer), public.${fn}_void(integer)
      from public;
    grant execute on function public.${fn}(integer, integer), public.${fn}_void(integer)
      to service_role;
  `));

  after(() => adminPsql(database, `
    drop function if exists public.${fn}(integer, integer);
    drop function if exists public.${fn}_void(integer);
  `));

  test('a function is called with named arguments and answers its result', async () => {
    const both = await post(`/rpc/${fn}`, { a: 2, b: 40 });
    const defaulted = await post(`/rpc/${fn}`, { a: 2 });
    const voided = await post(`/rpc/${fn}_void`, { a: 1 });

    assert.equal(both.status, 200);
    assert.equal(both.json, 42);
    assert.equal(defaulted.json, 3);
    assert.equal(voided.status, 204);
    assert.equal(voided.text, '');
  });

  test('an unknown function or argument answers 404 PGRST202', async () => {
    const res = await post(`/rpc/${fn}`, { a: 1, c: 2 });

    assert.equal(res.status, 404);
    assert.deepEqual(res.json, pgError('PGRST202',
      `Could not find the function public.${fn}(a, c) in the schema cache`,
      { details: `Searched for the function public.${fn} with parameters a, c or with a single`
        + ' unnamed json/jsonb parameter, but no matches were found in the schema cache.' }));
  });

  test('a role without EXECUTE is refused with 42501', async () => {
    const res = await post(`/rpc/${fn}`, { a: 1 }, { key: ANON_KEY });

    assert.equal(res.status, 401);
    assert.equal(res.json.code, '42501');
  });
});

describe('robustness', () => {
  test('malformed requests get JSON errors and the stand-in keeps answering', async (t) => {
    const cases = [
      ['a path outside /rest/v1', 'GET', '/../../nope', undefined, 404, 'PGRST125'],
      ['a nested path', 'GET', '/llm_checks/1/2', undefined, 404, 'PGRST125'],
      ['a broken percent escape', 'GET', '/llm_%E0%A4%A', undefined, 404, 'PGRST125'],
      ['a method it does not answer', 'DELETE', '/llm_checks', undefined, 400, 'PGRST127'],
      ['unclosed nesting', 'POST', '/llm_checks', '['.repeat(100000), 400, 'PGRST102'],
      ['deep nesting', 'POST', '/llm_checks', `${'['.repeat(50000)}${']'.repeat(50000)}`, 400,
        'PGRST102'],
      ['a byte order mark', 'POST', '/llm_checks', '\ufeff[]', 400, 'PGRST102'],
      ['an object full of nulls', 'POST', '/llm_checks', '[{"model":null}]', 400, '23502'],
      ['a NUL escape in text', 'POST', '/llm_checks', '[{"model":"\\u0000"}]', 400, '22P05'],
    ];
    for (const [name, method, target, body, status, code] of cases) {
      await t.test(name, async () => {
        const res = await request(method, target, { body });
        assert.equal(res.status, status, res.text);
        assert.equal(res.json.code, code);
      });
    }
    const model = uniqueModel();
    assert.equal((await post('/llm_checks', [okRow(model)])).status, 201);
  });

  test('every request is logged as one JSON object, and no key ever is', async () => {
    const before = logLines.length;
    await post('/llm_checks', [okRow(uniqueModel())]);
    await post('/llm_checks', [okRow(uniqueModel())], { key: `${SERVICE_KEY}-typo` });
    const lines = logLines.slice(before);

    assert.equal(lines.length, 2);
    const events = lines.map((line) => JSON.parse(line));
    assert.deepEqual(events.map((e) => [e.event, e.status, e.code, e.role]), [
      ['postgrest_request', 201, null, 'service_role'],
      ['postgrest_request', 401, 'PGRST301', null],
    ]);
    const all = logLines.join('\n');
    for (const secret of [SERVICE_KEY, ANON_KEY, 'heyhi-local-only']) {
      assert.ok(!all.includes(secret), 'a secret reached the log');
    }
  });

  test('an unreachable database answers 503 PGRST000', async () => {
    const down = await startStandin({
      databaseUrl: 'postgres://nobody:nothing@127.0.0.1:1/none',
      serviceKey: SERVICE_KEY,
      anonKey: ANON_KEY,
    });
    try {
      const res = await fetch(`http://127.0.0.1:${down.port}/rest/v1/llm_checks`, {
        method: 'POST',
        headers: { ...authHeaders(SERVICE_KEY), 'Content-Type': 'application/json' },
        body: '[]',
      });
      const body = await res.json();
      assert.equal(res.status, 503);
      assert.equal(body.code, 'PGRST000');
      assert.equal(body.message, 'Database connection error. Retrying the connection.');
    } finally {
      await down.close();
    }
  });

  test('SQLSTATEs map to HTTP statuses as PostgREST maps them', async (t) => {
    const cases = [
      ['23505', '', true, 409], ['23503', '', true, 409], ['23502', '', true, 400],
      ['23514', '', true, 400], ['22P02', '', true, 400], ['42501', '', false, 401],
      ['42501', '', true, 403], ['42P01', '', true, 404], ['42883', '', true, 404],
      ['25006', '', true, 405], ['08006', '', true, 503], ['53300', '', true, 503],
      ['53400', '', true, 500], ['57P01', '', true, 503], ['57014', '', true, 500],
      ['P0001', '', true, 400], ['P0002', '', true, 500], ['XX000', '', true, 500],
      ['PT402', '', true, 402], ['21000', 'UPDATE requires a WHERE clause', true, 400],
      ['21000', 'more than one row returned', true, 500],
      ['22023', 'role "ghost" does not exist', true, 401], ['22023', 'bad value', true, 400],
      ['28000', '', true, 403], ['40001', '', true, 500], ['0P000', '', true, 403],
    ];
    for (const [code, message, authed, status] of cases) {
      await t.test(`${code}${message ? ` (${message})` : ''}${authed ? '' : ' as anon'}`, () => {
        assert.equal(statusForSqlState(code, message, authed), status);
      });
    }
  });
});

describe('schemas', () => {
  test('the Postgres migration applies twice to a fresh Supabase-like database',
    { skip: adminSkip }, () => {
      const scratch = `heyhi_migrate_${process.pid}`;
      adminPsql('postgres', `create database ${scratch}`);
      try {
        // As on a fresh Supabase project, where new tables are granted to every API role.
        adminPsql(scratch, `alter default privileges in schema public
          grant all on tables to anon, authenticated, service_role`);
        const sql = readFileSync(PG_MIGRATION, 'utf8');
        adminPsql(scratch, sql);
        adminPsql(scratch, sql);
        const facts = adminPsql(scratch, `
          select string_agg(conname, ',' order by conname) from pg_constraint
            where conrelid = 'public.llm_checks'::regclass;
          select string_agg(indexrelid::regclass::text, ',' order by indexrelid::regclass::text)
            from pg_index
            where indrelid = 'public.llm_checks'::regclass;
          select relrowsecurity from pg_class where oid = 'public.llm_checks'::regclass;
          select has_table_privilege('anon', 'public.llm_checks', 'select, insert')
            or has_table_privilege('authenticated', 'public.llm_checks', 'select, insert');
          select has_table_privilege('service_role', 'public.llm_checks', 'select')
            and has_table_privilege('service_role', 'public.llm_checks', 'insert');
          select rolbypassrls from pg_roles where rolname = 'service_role';
        `).trim().split('\n');
        assert.deepEqual(facts, [
          ['llm_checks_attribution_check', 'llm_checks_error_type_check',
            'llm_checks_http_status_check', 'llm_checks_latency_ms_check', 'llm_checks_ok_check',
            'llm_checks_pkey', 'llm_checks_scheduled_at_check',
            'llm_checks_scheduled_at_region_provider_model_key', 'llm_checks_tokens_in_check',
            'llm_checks_tokens_out_check', 'llm_checks_ttfb_ms_check'].join(','),
          ['llm_checks_pkey', 'llm_checks_provider_model_ts_idx',
            'llm_checks_scheduled_at_region_provider_model_key', 'llm_checks_ts_idx'].join(','),
          't', 'f', 't', 't',
        ]);
      } finally {
        adminPsql('postgres', `drop database if exists ${scratch} with (force)`);
      }
    });

  test('the D1 migrations apply twice, have the Postgres columns and keep only its key',
    { skip: sqliteSkip }, async () => {
      const { rows: pgColumns } = await db.query(`
        select a.attname as name, a.attnotnull as not_null, a.attnum = any (i.indkey) as is_pk
        from pg_attribute a
        left join pg_index i on i.indrelid = a.attrelid and i.indisprimary
        where a.attrelid = 'public.llm_checks'::regclass and a.attnum > 0 and not a.attisdropped
        order by a.attnum`);
      const { rows: pgIndexes } = await db.query(`
        select c.relname as name from pg_index i join pg_class c on c.oid = i.indexrelid
        where i.indrelid = 'public.llm_checks'::regclass and not i.indisprimary order by 1`);

      await withD1((file) => {
        const d1Columns = sqliteRows(file,
          "select name, \"notnull\" = 1 as not_null, pk > 0 as is_pk"
            + " from pragma_table_info('llm_checks') order by cid");
        const d1Indexes = sqliteRows(file,
          "select name from sqlite_master where type = 'index' and tbl_name = 'llm_checks'"
            + " and name not like 'sqlite_autoindex%' order by 1");
        assert.deepEqual(d1Columns.map((c) => c.name), pgColumns.map((c) => c.name));
        // A rowid primary key reports nullable in SQLite, yet can never be null.
        const nullability = (cols) => cols.filter((c) => !c.is_pk)
          .map((c) => `${c.name}:${Boolean(c.not_null)}`);
        assert.deepEqual(nullability(d1Columns), nullability(pgColumns));
        // D1 bills each index entry as a row written; its queries need only the key.
        const key = 'llm_checks_scheduled_at_region_provider_model_key';
        assert.deepEqual(d1Indexes.map((i) => i.name), [key]);
        assert.ok(pgIndexes.some((i) => i.name === key));
      });
    });

  test('both stores accept every error type in the taxonomy and refuse an unknown one',
    { skip: sqliteSkip }, async () => {
      const model = uniqueModel();
      const failures = ERROR_TYPES.map((errorType, i) => failedRow(model, {
        error_type: errorType,
        scheduled_at: `2026-12-03T14:${String(i).padStart(2, '0')}:00Z`,
      }));
      const bogus = failedRow(model, { error_type: 'bogus', scheduled_at: '2026-12-03T15:00:00Z' });

      assert.equal((await post('/llm_checks', failures)).status, 201);
      assert.equal((await post('/llm_checks', [bogus])).json?.code, '23514');
      assert.equal((await storedRows(model)).length, ERROR_TYPES.length);
      await withD1((file) => {
        assert.ok(sqlite(file, failures.map(d1Insert).join('\n')).ok);
        const refused = sqlite(file, d1Insert(bogus));
        assert.ok(!refused.ok);
        assert.match(refused.err, /CHECK constraint failed/);
        assert.deepEqual(sqliteRows(file, 'select count(*) as n from llm_checks'),
          [{ n: ERROR_TYPES.length }]);
      });
    });

  test('D1 keeps one row per key and refuses timestamps not in the canonical UTC form',
    { skip: sqliteSkip }, (t) => withD1(async (file) => {
      const model = uniqueModel();
      assert.ok(sqlite(file, d1Insert(okRow(model))).ok);
      const again = d1Insert(okRow(model)).replace(/;$/,
        ' on conflict (scheduled_at, region, provider, model) do nothing;');
      assert.ok(sqlite(file, again).ok);
      assert.deepEqual(sqliteRows(file, 'select count(*) as n from llm_checks'), [{ n: 1 }]);

      const cases = {
        'a duplicate key': {},
        'scheduled_at off the minute': { scheduled_at: '2026-12-03T12:05:30Z' },
        'scheduled_at with an offset': { scheduled_at: '2026-12-03T13:05:00+01:00' },
        'scheduled_at with milliseconds': { scheduled_at: '2026-12-03T12:06:00.000Z' },
        'ts without milliseconds': { ts: '2026-12-03T12:05:00Z' },
        'ts with a space': { ts: '2026-12-03 12:05:00.123Z' },
        'ok with an error type': { error_type: 'timeout' },
        'ok that is not 0 or 1': { ok: 2 },
      };
      for (const [name, overrides] of Object.entries(cases)) {
        await t.test(name, () => {
          const refused = sqlite(file, d1Insert(okRow(model, overrides)));
          assert.ok(!refused.ok, `${name} was accepted`);
          assert.match(refused.err, /constraint failed/);
        });
      }
    }));
});
