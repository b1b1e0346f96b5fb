// A stand-in for PostgREST as Supabase serves it under /rest/v1, on top of a real PostgreSQL.
//
// No PostgREST server is packaged for Debian 12, so the tests of anything that writes to or
// reads from Supabase run against this instead. It follows PostgREST's documented behaviour
// and source (v12 to v14) for what HeyHi uses: inserts into a table, updates (PATCH) and
// reads filtered by columns and by `or`/`and` trees, db-max-rows on reads, and calls of
// functions with named arguments. SQL is built the way PostgREST builds it and runs inside one
// transaction per request under `set_config('role', ...)`, so grants, row-level security,
// constraints and error texts are PostgreSQL's own.
//
// Known differences from PostgREST, all outside what HeyHi sends:
// - keys are opaque strings, not JWTs: a known key stands for a JWT whose role claim is
//   service_role or anon; a request with no key at all gets PGRST302, where Supabase's gateway
//   answers with its own 401 before PostgREST is reached;
// - only JSON bodies; no CSV or form bodies, no Accept negotiation, no embedding, no select
//   aliases or casts, no JSON paths or embedded paths in filters, only the operators eq, neq,
//   gt, gte, lt, lte, is and in; no DELETE or PUT, no limit/order on PATCH, no Range header,
//   no Location header, no `RAISE SQLSTATE 'PGRST'`, no timezone or max-affected
//   preferences; reads count exactly for count=planned and count=estimated; parse errors
//   always point at line 1, column 1;
// - the schema is read from the catalogues on every request, so it is never stale; table
//   suggestions in hints use a plain edit-distance ratio, not PostgREST's fuzzy set.

import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';

import pg from 'pg';

const SCHEMA = 'public';
const API_PREFIX = '/rest/v1/';
const JSON_TYPE = 'application/json; charset=utf-8';
// Larger than any batch HeyHi sends; keeps a runaway client from exhausting memory.
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const RESERVED_PARAMS = new Set(['select', 'order', 'limit', 'offset', 'columns', 'on_conflict']);

/** An HTTP answer in PostgREST's error shape: {code, details, hint, message}. */
export class ApiError extends Error {
  constructor(status, body, headers = {}) {
    super(body.message);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

function apiError(status, code, message, { details = null, hint = null, headers = {} } = {}) {
  return new ApiError(status, { code, details, hint, message }, headers);
}

function notImplemented(details) {
  return apiError(400, 'PGRST127', 'Feature not implemented', { details });
}

function invalidBody(message) {
  return apiError(400, 'PGRST102', message);
}

function queryParamError(what, value, details) {
  return apiError(400, 'PGRST100', `"failed to parse ${what} (${value})" (line 1, column 1)`, {
    details,
  });
}

// ---------------------------------------------------------------------------------------------
// Authentication

function digest(text) {
  return createHash('sha256').update(text).digest();
}

/** Maps each configured key to its role; compared in constant time. */
function keyring(serviceKey, anonKey) {
  if (!serviceKey || !anonKey || serviceKey === anonKey) {
    throw new Error('the stand-in needs two different, non-empty keys');
  }
  const entries = [
    { hash: digest(serviceKey), role: 'service_role' },
    { hash: digest(anonKey), role: 'anon' },
  ];
  return (token) => entries.find((entry) => timingSafeEqual(entry.hash, digest(token)))?.role;
}

function bearerToken(header) {
  if (header === undefined) return undefined;
  const match = /^bearer(?: (.*))?$/i.exec(header.trim());
  return match ? (match[1] ?? '').trim() : undefined;
}

function invalidToken(message) {
  const challenge = `Bearer error="invalid_token", error_description=${JSON.stringify(message)}`;
  return apiError(401, 'PGRST301', message, { headers: { 'WWW-Authenticate': challenge } });
}

// PostgREST's messages when a token fails to decode or verify.
function unknownKeyError(token) {
  const parts = token.split('.').length;
  if (parts !== 3) return invalidToken(`Expected 3 parts in JWT; got ${parts}`);
  return invalidToken('JWT cryptographic operation failed');
}

/**
 * Resolves the role of a request from `Authorization: Bearer <key>`, else from `apikey`.
 * Both, when present, must be known keys, as Supabase's gateway checks `apikey` too.
 */
export function authenticate(roleOf, headers) {
  const bearer = bearerToken(headers.authorization);
  if (bearer === '') return { error: invalidToken('Empty JWT is sent in Authorization header') };
  const apikey = headers.apikey;
  if (bearer === undefined && apikey === undefined) {
    const error = apiError(401, 'PGRST302', 'Anonymous access is disabled', {
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
    return { error };
  }
  for (const token of [apikey, bearer]) {
    if (token !== undefined && !roleOf(token)) return { error: unknownKeyError(token) };
  }
  return { role: roleOf(bearer ?? apikey) };
}

// ---------------------------------------------------------------------------------------------
// Prefer header

const PREFERENCES = {
  resolution: ['merge-duplicates', 'ignore-duplicates'],
  return: ['representation', 'minimal', 'headers-only'],
  params: ['single-object'],
  count: ['exact', 'planned', 'estimated'],
  tx: ['commit', 'rollback'],
  missing: ['default', 'null'],
  handling: ['strict', 'lenient'],
};
// The order PostgREST lists applied preferences in.
const APPLIED_ORDER = ['resolution', 'missing', 'return', 'count', 'handling'];

/** Parses every Prefer header (comma-separated, first occurrence wins), RFC 7240 style. */
export function parsePrefer(header) {
  const prefs = {};
  const invalid = [];
  for (const raw of String(header ?? '').split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const at = item.indexOf('=');
    const [name, value] = at < 0 ? [item, ''] : [item.slice(0, at), item.slice(at + 1)];
    if (PREFERENCES[name]?.includes(value)) prefs[name] ??= value;
    else if (!(name === 'max-affected' && /^-?\d+$/.test(value))) invalid.push(item);
  }
  if (prefs.handling === 'strict' && invalid.length > 0) {
    throw apiError(400, 'PGRST122', 'Invalid preferences given with handling=strict', {
      details: `Invalid preferences: ${invalid.join(', ')}`,
    });
  }
  return prefs;
}

function appliedHeader(prefs, names) {
  const applied = APPLIED_ORDER.filter((name) => names.includes(name) && prefs[name]);
  if (applied.length === 0) return {};
  return { 'Preference-Applied': applied.map((name) => `${name}=${prefs[name]}`).join(', ') };
}

// ---------------------------------------------------------------------------------------------
// Request body

function mediaType(contentType) {
  if (contentType === undefined) return 'application/json';
  return contentType.split(';')[0].trim().toLowerCase();
}

function decodeUtf8(buffer) {
  try {
    // A byte order mark stays, so it fails to parse as it does in PostgREST.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buffer);
  } catch {
    return undefined;
  }
}

function uniformKeys(rows) {
  const isObject = (row) => row !== null && typeof row === 'object' && !Array.isArray(row);
  if (!rows.every(isObject)) return undefined;
  const keys = Object.keys(rows[0]).sort();
  const same = (row) => {
    const own = Object.keys(row).sort();
    return own.length === keys.length && own.every((key, i) => key === keys[i]);
  };
  return rows.every(same) ? keys : undefined;
}

/**
 * Checks a JSON body the way PostgREST does before planning: it must parse; an array must hold
 * objects that all have the same keys; an object is one row; any other value inserts nothing.
 * With `columns`, the body goes to PostgreSQL unparsed and the columns are the given ones.
 */
export function parsePayload(contentType, buffer, columnsParam) {
  const type = mediaType(contentType);
  if (type !== 'application/json') throw invalidBody(`Content-Type not acceptable: ${type}`);
  const text = decodeUtf8(buffer);
  if (columnsParam !== null) return { json: text ?? '', keys: splitList(columnsParam) };

  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidBody('Empty or invalid json');
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return { json: '[]', keys: [] };
    const keys = uniformKeys(value);
    if (!keys) throw invalidBody('All object keys must match');
    return { json: text, keys };
  }
  if (value !== null && typeof value === 'object') {
    return { json: text, keys: Object.keys(value).sort() };
  }
  return { json: '[]', keys: [] };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size <= MAX_BODY_BYTES) resolve(Buffer.concat(chunks));
      else reject(apiError(413, 'PGRST102', 'Request body too large for the stand-in'));
    });
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(apiError(400, 'PGRST102', 'The request body ended early'));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Query string

function splitList(text) {
  return text.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

function parseSelect(param) {
  if (param === null || param.trim() === '*' || param.trim() === '') return null;
  const names = splitList(param);
  for (const name of names) {
    if (/[:()*!]/.test(name)) {
      throw notImplemented('The stand-in selects plain column names only');
    }
  }
  return names;
}

const ORDER_TERM = /^([^.]+)(?:\.(asc|desc))?(?:\.(nullsfirst|nullslast))?$/;

function parseOrder(param) {
  if (param === null) return [];
  return splitList(param).map((term) => {
    const match = ORDER_TERM.exec(term);
    if (!match) throw queryParamError('order', param, `unexpected "${term}" expecting ordering`);
    return { column: match[1], direction: match[2], nulls: match[3] };
  });
}

/** A non-negative integer, kept as its digits so that no size is lost on the way to SQL. */
function parseCount(name, param) {
  if (param === null) return undefined;
  if (!/^\d+$/.test(param)) {
    throw queryParamError(`${name} parameter`, param, `unexpected "${param}" expecting digit`);
  }
  return param;
}

const OPERATORS = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };
const IS_VALUES = { null: 'null', true: 'true', false: 'false', unknown: 'unknown' };

function parseInList(text) {
  const match = /^\((.*)\)$/.exec(text);
  if (!match) return undefined;
  if (match[1] === '') return [];
  const items = match[1].match(/"(?:[^"\\]|\\.)*"|[^,]+/g) ?? [];
  const unquote = (item) => item.slice(1, -1).replace(/\\(.)/g, '$1');
  return items.map((item) => (item.startsWith('"') ? unquote(item) : item.trim()));
}

/** Parses `[not.]op.value` for eq, neq, gt, gte, lt, lte, is and in. */
export function parseFilter(column, text) {
  const negate = text.startsWith('not.');
  const rest = negate ? text.slice(4) : text;
  const dot = rest.indexOf('.');
  const op = dot < 0 ? rest : rest.slice(0, dot);
  const value = dot < 0 ? undefined : rest.slice(dot + 1);
  const fail = (details) => queryParamError('filter', text, details);

  if (value === undefined) throw fail(`unexpected "${text[0] ?? ''}" expecting "not" or operator`);
  if (OPERATORS[op]) return { column, negate, op, value };
  if (op === 'is') {
    if (!IS_VALUES[value]) {
      throw fail(`unexpected "${value[0] ?? ''}" expecting null or trilean value`);
    }
    return { column, negate, op, value };
  }
  if (op === 'in') {
    const list = parseInList(value);
    if (!list) throw fail(`unexpected "${value[0] ?? ''}" expecting "("`);
    return { column, negate, op, value: list };
  }
  throw fail(`unexpected "${op[0] ?? ''}" expecting "not" or operator (eq, gt, ...)`);
}

const LOGIC_KEYS = new Set(['or', 'and', 'not.or', 'not.and']);

/** The conditions of a request, all to hold: `column=op.value` filters and or/and trees. */
function parseFilters(params) {
  const filters = [];
  for (const [key, value] of params) {
    if (RESERVED_PARAMS.has(key)) continue;
    if (LOGIC_KEYS.has(key)) {
      filters.push(parseLogicTree(key, value));
      continue;
    }
    if (key.includes('.')) throw notImplemented('The stand-in filters on plain columns only');
    filters.push(parseFilter(key, value));
  }
  return filters;
}

// ---------------------------------------------------------------------------------------------
// Logic trees: `or=(a.eq.1,and(b.gte.2,b.lte.3))`, as PostgREST's pLogicTree reads them

const SPACE = /[ \t]/;
const IDENTIFIER_CHAR = /[\p{L}\p{N}_ $]/u;

/** A cursor over the text of one logic tree; each method consumes what it matched. */
class LogicReader {
  constructor(text) {
    this.text = text;
    this.at = 0;
  }

  peek(length = 1) {
    return this.text.slice(this.at, this.at + length);
  }

  eat(literal) {
    if (this.peek(literal.length) !== literal) return false;
    this.at += literal.length;
    return true;
  }

  skipSpace() {
    while (SPACE.test(this.peek())) this.at += 1;
  }

  /** Characters up to (not including) any of `stops`, or to the end. */
  until(stops) {
    const start = this.at;
    while (this.at < this.text.length && !stops.includes(this.peek())) this.at += 1;
    return this.text.slice(start, this.at);
  }

  /** A double-quoted value with backslash escapes, or undefined (consuming nothing). */
  quoted() {
    const match = /^"((?:[^"\\]|\\.)*)"/.exec(this.text.slice(this.at));
    if (!match) return undefined;
    this.at += match[0].length;
    return match[1].replace(/\\(.)/g, '$1');
  }
}

// pFieldName: a quoted name, or identifiers (letters, digits, _, $, spaces) joined by dashes.
function readFieldName(reader) {
  const quoted = reader.quoted();
  if (quoted !== undefined) return quoted;
  const parts = [];
  for (;;) {
    const start = reader.at;
    while (IDENTIFIER_CHAR.test(reader.peek())) reader.at += 1;
    if (reader.at === start) return parts.length > 0 ? parts.join('-') : undefined;
    parts.push(reader.text.slice(start, reader.at).trim());
    if (reader.peek(2) === '->' || !reader.eat('-')) return parts.join('-');
  }
}

// A value inside a tree ends at `,` or `)` unless it is quoted (then followed by one of them).
function readLogicValue(reader) {
  const start = reader.at;
  const quoted = reader.quoted();
  if (quoted !== undefined && [',', ')', ''].includes(reader.peek())) return quoted;
  reader.at = start;
  if (reader.peek() === '{') {
    const array = /^\{[^{}]*\}/.exec(reader.text.slice(reader.at));
    if (array) {
      reader.at += array[0].length;
      return array[0];
    }
  }
  return reader.until([',', ')']);
}

// pListVal: `(a,"b,c",d)`; an element is quoted or runs to `,` or `)`.
function readList(reader) {
  reader.skipSpace();
  if (!reader.eat('(')) return undefined;
  reader.skipSpace();
  const items = [];
  do {
    const start = reader.at;
    const quoted = reader.quoted();
    const ends = [',', ')'].includes(reader.peek());
    if (quoted !== undefined && ends) items.push(quoted);
    else {
      reader.at = start;
      items.push(reader.until([',', ')']));
    }
  } while (reader.eat(','));
  reader.skipSpace();
  if (!reader.eat(')')) return undefined;
  reader.skipSpace();
  return items;
}

// `[not.]op.value` after the field: in, is, or one of the plain operators.
function readOperation(reader, column) {
  const negate = reader.eat('not.');
  if (reader.eat('in.')) {
    const value = readList(reader);
    return value && { column, negate, op: 'in', value };
  }
  if (reader.eat('is.')) {
    const value = Object.keys(IS_VALUES).find((v) => reader.peek(v.length).toLowerCase() === v);
    if (!value) return undefined;
    reader.at += value.length;
    return { column, negate, op: 'is', value };
  }
  const op = reader.until(['.']);
  if (!OPERATORS[op] || !reader.eat('.')) return undefined;
  return { column, negate, op, value: readLogicValue(reader) };
}

// pLogicFilter, tried before a nested tree: `field.[not.]op.value`.
function readLogicFilter(reader) {
  reader.skipSpace();
  const column = readFieldName(reader);
  if (column === undefined) return undefined;
  if (reader.peek(2) === '->') throw notImplemented('The stand-in filters on plain columns only');
  reader.skipSpace();
  if (!reader.eat('.')) return undefined;
  return readOperation(reader, column);
}

function readLogicTree(reader, fail) {
  const start = reader.at;
  const filter = readLogicFilter(reader);
  if (filter) return filter;
  reader.at = start;
  const negate = reader.eat('not.');
  const op = ['and', 'or'].find((name) => reader.eat(name));
  if (!op) throw fail('expecting logic operator (and, or)');
  reader.skipSpace();
  if (!reader.eat('(')) throw fail('expecting "("');
  const children = [];
  do {
    reader.skipSpace();
    children.push(readLogicTree(reader, fail));
    reader.skipSpace();
  } while (reader.eat(','));
  if (!reader.eat(')')) throw fail('expecting ")" or ","');
  reader.skipSpace();
  return { tree: op, negate, children };
}

/**
 * Parses `or=(...)`, `and=(...)` and their `not.` forms into a tree of filters, reading the key
 * and the value together as PostgREST does (`or` + `(a.eq.1,b.eq.2)`). Unlike PostgREST, text
 * left over after the tree is refused rather than ignored.
 */
export function parseLogicTree(key, value) {
  const reader = new LogicReader(`${key}${value}`);
  const fail = (details) => queryParamError('logic tree', value, details);
  const tree = readLogicTree(reader, fail);
  if (reader.at !== reader.text.length) throw fail('unexpected text after the logic tree');
  return tree;
}

// ---------------------------------------------------------------------------------------------
// SQL text

export function ident(name) {
  return `"${String(name).replaceAll('"', '""')}"`;
}

function literal(text) {
  return `'${String(text).replaceAll("'", "''")}'`;
}

function qualified(table) {
  return `${ident(SCHEMA)}.${ident(table)}`;
}

function filterSql(table, filter, params) {
  const column = `${qualified(table)}.${ident(filter.column)}`;
  let condition;
  if (filter.op === 'is') {
    condition = `${column} is ${IS_VALUES[filter.value]}`;
  } else if (filter.op === 'in') {
    params.push(filter.value);
    condition = `${column} = any ($${params.length})`;
  } else {
    params.push(filter.value);
    condition = `${column} ${OPERATORS[filter.op]} $${params.length}`;
  }
  return filter.negate ? `not ${condition}` : condition;
}

/** A filter, or a logic tree as PostgREST renders it: `not (a and b)`, `(a or b)`. */
function conditionSql(table, condition, params) {
  if (!condition.tree) return filterSql(table, condition, params);
  const parts = condition.children.map((child) => conditionSql(table, child, params));
  const joined = `(${parts.join(condition.tree === 'and' ? ' and ' : ' or ')})`;
  return condition.negate ? `not ${joined}` : joined;
}

function whereSql(table, filters, params) {
  if (filters.length === 0) return '';
  return ` where ${filters.map((filter) => conditionSql(table, filter, params)).join(' and ')}`;
}

function orderSql(table, terms) {
  if (terms.length === 0) return '';
  const parts = terms.map(({ column, direction, nulls }) => {
    const suffix = [direction, nulls && (nulls === 'nullsfirst' ? 'nulls first' : 'nulls last')];
    return [`${qualified(table)}.${ident(column)}`, ...suffix.filter(Boolean)].join(' ');
  });
  return ` order by ${parts.join(', ')}`;
}

function selectList(table, names) {
  if (names === null) return `${qualified(table)}.*`;
  return names.map((name) => `${qualified(table)}.${ident(name)}`).join(', ');
}

/** The read PostgREST runs for GET /table: one JSON array built by PostgreSQL. */
export function readStatement(table, { select, filters, order, limit, offset }) {
  const params = [];
  const where = whereSql(table, filters, params);
  let range = '';
  if (limit !== undefined) range += ` limit ${limit}`;
  if (offset !== undefined) range += ` offset ${offset}`;
  const rows = `select ${selectList(table, select)} from ${qualified(table)}${where}`;
  return {
    text: `select coalesce(json_agg(_t), '[]')::text as body, count(*)::int as n`
      + ` from (${rows}${orderSql(table, order)}${range}) _t`,
    countText: `select count(*)::int as total from ${qualified(table)}${where}`,
    params,
  };
}

// json_to_recordset over the body, so PostgreSQL converts and checks every value.
function bodySource(columns, applyDefaults) {
  const json = applyDefaults ? 'jsonb' : 'json';
  const uniform = `lateral (select case when ${json}_typeof(pgrst_payload.json_data) = 'array'`
    + ` then pgrst_payload.json_data else ${json}_build_array(pgrst_payload.json_data) end`
    + ' as val) pgrst_uniform_json';
  let source = 'pgrst_uniform_json.val';
  let defaults = '';
  if (applyDefaults) {
    const pairs = columns.filter((c) => c.default_expr)
      .map((c) => `${literal(c.name)}, ${c.default_expr}`).join(', ');
    defaults = `, lateral (select jsonb_agg(jsonb_build_object(${pairs}) || elem) as val`
      + ' from jsonb_array_elements(pgrst_uniform_json.val) elem) pgrst_json_defs';
    source = 'pgrst_json_defs.val';
  }
  const names = columns.map((c) => ident(c.name)).join(', ');
  const typed = columns.map((c) => `${ident(c.name)} ${c.type}`).join(', ');
  const records = columns.length > 0
    ? `${json}_to_recordset(${source}) as _(${typed})`
    : `${json}_array_elements(${source}) _`;
  return `from (select $1::${json} as json_data) pgrst_payload, ${uniform}${defaults},`
    + ` lateral (select ${names} from ${records}) pgrst_body`;
}

function conflictSql(columns, onConflict) {
  if (!onConflict || onConflict.target.length === 0) return '';
  const target = ` on conflict (${onConflict.target.map(ident).join(', ')})`;
  if (onConflict.resolution === 'ignore-duplicates' || columns.length === 0) {
    return `${target} do nothing`;
  }
  const sets = columns.map((c) => `${ident(c.name)} = excluded.${ident(c.name)}`);
  return `${target} do update set ${sets.join(', ')}`;
}

/**
 * The insert PostgREST runs for POST /table, wrapped so one row comes back with the number
 * of rows written, how many were new, and (for return=representation) the rows as JSON.
 */
export function insertStatement(table, { columns, onConflict, applyDefaults, represent }) {
  const target = columns.length > 0 ? ` (${columns.map((c) => ident(c.name)).join(', ')})` : '';
  const picked = columns.map((c) => `pgrst_body.${ident(c.name)}`).join(', ');
  const returning = represent ? `${qualified(table)}.*` : '1 as pgrst_one';
  // Reading xmax needs SELECT on the table, and with row-level security SELECT policies, so it
  // is read only where it decides the status: merge-duplicates answers 200 when nothing is new.
  const inserted = onConflict?.resolution === 'merge-duplicates' ? '(xmax = 0)' : 'true';
  const insert = `insert into ${qualified(table)}${target} select ${picked}`
    + ` ${bodySource(columns, applyDefaults)}${conflictSql(columns, onConflict)}`
    + ` returning ${returning}, ${inserted} as pgrst_inserted`;
  const body = represent
    ? `(select coalesce(json_agg(_t), '[]')::text from (select ${represent.map(ident).join(', ')}`
      + ' from pgrst_source) _t)'
    : 'null::text';
  return `with pgrst_source as (${insert}) select count(*)::int as affected,`
    + ' (count(*) filter (where pgrst_inserted))::int as inserted,'
    + ` ${body} as body from pgrst_source`;
}

/**
 * The update PostgREST runs for PATCH /table: `update ... set col = pgrst_body.col from <body>
 * where <filters> returning ...`, wrapped like the insert. $1 is the body; filters bind after it.
 */
export function updateStatement(table, { columns, filters, applyDefaults, represent }) {
  const params = [undefined];
  const sets = columns.map((c) => `${ident(c.name)} = pgrst_body.${ident(c.name)}`).join(', ');
  const where = whereSql(table, filters, params);
  const returning = represent ? `${qualified(table)}.*` : '1 as pgrst_one';
  const update = `update ${qualified(table)} set ${sets} ${bodySource(columns, applyDefaults)}`
    + `${where} returning ${returning}`;
  const body = represent
    ? `(select coalesce(json_agg(_t), '[]')::text from (select ${represent.map(ident).join(', ')}`
      + ' from pgrst_source) _t)'
    : 'null::text';
  return {
    text: `with pgrst_source as (${update}) select count(*)::int as affected, ${body} as body`
      + ' from pgrst_source',
    params: params.slice(1),
  };
}

// ---------------------------------------------------------------------------------------------
// Catalogue

const COLUMNS_SQL = `
  select a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
         pg_get_expr(d.adbin, d.adrelid) as default_expr,
         coalesce(a.attnum = any (p.indkey), false) as is_pk
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
  join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
  left join pg_index p on p.indrelid = c.oid and p.indisprimary
  where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'p', 'v', 'm', 'f')
  order by a.attnum`;

const TABLES_SQL = `
  select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm', 'f')`;

// Catalogue reads run as the login role, outside any request transaction.
async function catalog(pool, text, params) {
  try {
    return (await pool.query(text, params)).rows;
  } catch (err) {
    throw fromDatabaseError(err, 'authenticator');
  }
}

function editRatio(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return 1 - row[b.length] / Math.max(a.length, b.length, 1);
}

async function tableNotFound(pool, name) {
  const rows = await catalog(pool, TABLES_SQL, [SCHEMA]);
  const best = rows.map((row) => ({ name: row.name, score: editRatio(name, row.name) }))
    .sort((x, y) => y.score - x.score)[0];
  const hint = best && best.score >= 0.75
    ? `Perhaps you meant the table '${SCHEMA}.${best.name}'` : null;
  const message = `Could not find the table '${SCHEMA}.${name}' in the schema cache`;
  return apiError(404, 'PGRST205', message, { hint });
}

async function loadTable(pool, name) {
  const rows = await catalog(pool, COLUMNS_SQL, [SCHEMA, name]);
  if (rows.length === 0) throw await tableNotFound(pool, name);
  return {
    name,
    columns: new Map(rows.map((row) => [row.name, row])),
    pkCols: rows.filter((row) => row.is_pk).map((row) => row.name),
  };
}

function payloadColumns(table, keys) {
  return [...keys].sort().map((key) => {
    const column = table.columns.get(key);
    if (!column) {
      throw apiError(400, 'PGRST204',
        `Could not find the '${key}' column of '${table.name}' in the schema cache`);
    }
    return column;
  });
}

const FUNCTIONS_SQL = `
  select p.proname as name, p.pronargs as nargs, p.pronargdefaults as ndefaults,
         p.proretset as returns_set, t.typtype = 'c' as returns_composite,
         p.prorettype = 'void'::regtype as returns_void,
         coalesce(p.proargnames, '{}') as arg_names, coalesce(p.proargmodes::text[], '{}') as modes,
         array(select format_type(x, null) from unnest(p.proargtypes) x) as in_types
  from pg_proc p
  join pg_namespace n on n.oid = p.pronamespace
  join pg_type t on t.oid = p.prorettype
  where n.nspname = $1 and p.proname = $2 and p.prokind = 'f'`;

function inputParams(fn) {
  const modes = fn.modes.length > 0 ? fn.modes : fn.in_types.map(() => 'i');
  const names = fn.arg_names.filter((_, i) => ['i', 'b', 'v'].includes(modes[i]));
  const required = fn.nargs - fn.ndefaults;
  return names.map((name, i) => ({ name, type: fn.in_types[i], required: i < required }));
}

function rpcNotFound(name, keys) {
  const func = `${SCHEMA}.${name}`;
  const list = keys.join(', ');
  const withParams = keys.length === 0 ? ' without parameters'
    : ` with parameter${keys.length > 1 ? 's' : ''} ${list}`;
  return apiError(404, 'PGRST202',
    `Could not find the function ${func}${keys.length === 0 ? ' without parameters' : `(${list})`}`
      + ' in the schema cache',
    { details: `Searched for the function ${func}${withParams} or with a single unnamed`
      + ' json/jsonb parameter, but no matches were found in the schema cache.' });
}

async function findFunction(pool, name, keys) {
  const rows = await catalog(pool, FUNCTIONS_SQL, [SCHEMA, name]);
  const matches = rows.map((fn) => ({ ...fn, params: inputParams(fn) })).filter((fn) => {
    const names = fn.params.map((p) => p.name);
    return keys.every((key) => names.includes(key))
      && fn.params.every((p) => !p.required || keys.includes(p.name));
  });
  if (matches.length === 0) throw rpcNotFound(name, keys);
  if (matches.length > 1) {
    const shown = matches.map((fn) => `${SCHEMA}.${name}(`
      + `${fn.params.map((p) => `${p.name} => ${p.type}`).join(', ')})`);
    throw apiError(300, 'PGRST203',
      `Could not choose the best candidate function between: ${shown.join(', ')}`,
      { hint: 'Try renaming the parameters or the function itself in the database so function'
        + ' overloading can be resolved' });
  }
  return matches[0];
}

/** The call PostgREST runs for POST /rpc/fn with a JSON object of named arguments. */
export function callStatement(fn, keys) {
  const params = fn.params.filter((p) => keys.includes(p.name));
  const args = params.map((p) => `${ident(p.name)} := pgrst_body.${ident(p.name)}`).join(', ');
  const typed = params.map((p) => `${ident(p.name)} ${p.type}`).join(', ');
  const from = params.length > 0 ? `from json_to_record($1::json) as pgrst_body(${typed})`
    : 'from (select $1::json) pgrst_body';
  const call = `${qualified(fn.name)}(${args})`;
  if (fn.returns_void) return `select ${call} ${from}`;
  if (!fn.returns_composite && !fn.returns_set) {
    return `select to_json(${call})::text as body ${from}`;
  }
  if (!fn.returns_composite) {
    return `select coalesce(json_agg(pgrst_call.pgrst_scalar), '[]')::text as body ${from},`
      + ` lateral (select ${call} as pgrst_scalar) pgrst_call`;
  }
  const agg = fn.returns_set ? "coalesce(json_agg(pgrst_call), '[]')" : 'row_to_json(pgrst_call)';
  return `select ${agg}::text as body ${from}, lateral ${call} pgrst_call`;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL errors

const STATUS_BY_PREFIX = [
  ['08', 503], ['09', 500], ['0L', 403], ['0P', 403], ['25', 500], ['28', 403], ['2D', 500],
  ['38', 500], ['39', 500], ['3B', 500], ['40', 500], ['53', 503], ['54', 500], ['55', 500],
  ['57', 500], ['58', 500], ['F0', 500], ['HV', 500], ['P0', 500], ['XX', 500],
];
const STATUS_BY_CODE = {
  23503: 409, 23505: 409, 25006: 405, 53400: 500, '57P01': 503, P0001: 400, 42883: 404,
  '42P01': 404, '42P17': 500,
};

/** PostgREST's mapping of a SQLSTATE to an HTTP status; `authed` means a role other than anon. */
export function statusForSqlState(code, message, authed) {
  if (code === '42501') return authed ? 403 : 401;
  if (code === '21000') return message.endsWith('requires a WHERE clause') ? 400 : 500;
  if (code === '22023') return /^role .* does not exist$/.test(message) ? 401 : 400;
  if (/^PT\d{3}$/.test(code)) return Number(code.slice(2));
  if (STATUS_BY_CODE[code]) return STATUS_BY_CODE[code];
  return STATUS_BY_PREFIX.find(([prefix]) => code.startsWith(prefix))?.[1] ?? 400;
}

function fromDatabaseError(err, role) {
  if (!(err instanceof pg.DatabaseError)) {
    return apiError(503, 'PGRST000', 'Database connection error. Retrying the connection.', {
      details: err.message,
    });
  }
  const status = statusForSqlState(err.code, err.message, role !== 'anon');
  return apiError(status, err.code, err.message, {
    details: err.detail ?? null,
    hint: err.hint ?? null,
    headers: status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {},
  });
}

/** Runs statements in one transaction as `role`, setting what PostgREST sets for SQL to read. */
async function asRole(pool, { role, method, path, readOnly }, work) {
  let client;
  try {
    client = await pool.connect();
  } catch (err) {
    throw fromDatabaseError(err, role);
  }
  let broken;
  try {
    await client.query(readOnly ? 'begin isolation level read committed read only' : 'begin');
    // set_config(..., true) is `set local`, and unlike `set local role` it takes parameters.
    await client.query(
      "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true),"
        + " set_config('request.method', $3, true), set_config('request.path', $4, true)",
      [role, JSON.stringify({ role }), method, path],
    );
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch((rollbackErr) => { broken = rollbackErr; });
    throw err instanceof ApiError ? err : fromDatabaseError(err, role);
  } finally {
    client.release(broken);
  }
}

// ---------------------------------------------------------------------------------------------
// Handlers

function conflictTarget(url, prefs, table) {
  if (!prefs.resolution) return undefined;
  const param = url.searchParams.get('on_conflict');
  // Without on_conflict PostgREST falls back to the primary key, which never collides here.
  return { resolution: prefs.resolution, target: param === null ? table.pkCols : splitList(param) };
}

function representColumns(url, table) {
  return parseSelect(url.searchParams.get('select')) ?? [...table.columns.keys()];
}

function insertOutcome(prefs, counts, pref) {
  const counted = prefs.count === 'exact' || prefs.count === 'estimated';
  const count = counted ? String(counts.affected) : '*';
  const headers = { 'Content-Range': `*/${count}`, ...pref };
  // PostgREST answers 200 only when merge-duplicates wrote nothing new.
  const status = counts.inserted <= 0 && prefs.resolution === 'merge-duplicates' ? 200 : 201;
  if (prefs.return !== 'representation') return { status, headers, body: '' };
  return { status, headers: { ...headers, 'Content-Type': JSON_TYPE }, body: counts.body };
}

async function handleInsert(ctx, request) {
  const { url, prefs } = request;
  const payload = parsePayload(request.headers['content-type'], await readBody(request.req),
    url.searchParams.get('columns'));
  const table = await loadTable(ctx.pool, request.route.name);
  const columns = payloadColumns(table, payload.keys);
  const onConflict = conflictTarget(url, prefs, table);
  const represent = prefs.return === 'representation' ? representColumns(url, table) : null;
  const text = insertStatement(table.name, {
    columns, onConflict, represent, applyDefaults: prefs.missing === 'default',
  });
  const counts = await asRole(ctx.pool, request.session, async (client) =>
    (await client.query(text, [payload.json])).rows[0]);
  const usedResolution = table.pkCols.length > 0 || url.searchParams.has('on_conflict');
  const names = ['missing', 'return', 'count', 'handling'];
  if (usedResolution) names.push('resolution');
  return insertOutcome(prefs, counts, appliedHeader(prefs, names));
}

function updateOutcome(prefs, counts, pref) {
  const counted = prefs.count === 'exact' || prefs.count === 'estimated';
  const range = contentRange(0, counts.affected, counted ? counts.affected : undefined);
  const headers = { 'Content-Range': range, ...pref };
  if (prefs.return !== 'representation') return { status: 204, headers, body: '' };
  return { status: 200, headers: { ...headers, 'Content-Type': JSON_TYPE }, body: counts.body };
}

async function handleUpdate(ctx, request) {
  const { url, prefs } = request;
  const payload = parsePayload(request.headers['content-type'], await readBody(request.req),
    url.searchParams.get('columns'));
  const filters = parseFilters(url.searchParams);
  const table = await loadTable(ctx.pool, request.route.name);
  const columns = payloadColumns(table, payload.keys);
  const represent = prefs.return === 'representation' ? representColumns(url, table) : null;
  const pref = appliedHeader(prefs, ['missing', 'return', 'count', 'handling']);
  // With no columns there is nothing to set: PostgREST selects `where false` instead.
  if (columns.length === 0) return updateOutcome(prefs, { affected: 0, body: '[]' }, pref);
  const statement = updateStatement(table.name, {
    columns, filters, represent, applyDefaults: prefs.missing === 'default',
  });
  const counts = await asRole(ctx.pool, request.session, async (client) =>
    (await client.query(statement.text, [payload.json, ...statement.params])).rows[0]);
  return updateOutcome(prefs, counts, pref);
}

function contentRange(offset, n, total) {
  const range = total !== 0 && n > 0 ? `${offset}-${offset + n - 1}` : '*';
  return `${range}/${total ?? '*'}`;
}

function rangeStatus(offset, n, total) {
  if (total === undefined) return 200;
  if (offset > total) return 416;
  return n < total ? 206 : 200;
}

// db-max-rows caps every read, whatever limit the request asked for.
function restrictLimit(limit, maxRows) {
  if (maxRows === undefined) return limit;
  if (limit !== undefined && BigInt(limit) < BigInt(maxRows)) return limit;
  return String(maxRows);
}

async function handleRead(ctx, request) {
  const { url, prefs } = request;
  const query = {
    select: parseSelect(url.searchParams.get('select')),
    order: parseOrder(url.searchParams.get('order')),
    limit: restrictLimit(parseCount('limit', url.searchParams.get('limit')), ctx.maxRows),
    offset: parseCount('offset', url.searchParams.get('offset')),
    filters: parseFilters(url.searchParams),
  };
  const table = await loadTable(ctx.pool, request.route.name);
  const statement = readStatement(table.name, query);
  const result = await asRole(ctx.pool, { ...request.session, readOnly: true }, async (client) => {
    const page = (await client.query(statement.text, statement.params)).rows[0];
    if (!prefs.count) return page;
    const { total } = (await client.query(statement.countText, statement.params)).rows[0];
    return { ...page, total };
  });
  const offset = Number(query.offset ?? 0);
  const status = rangeStatus(offset, result.n, result.total);
  if (status === 416) {
    throw apiError(416, 'PGRST103', 'Requested range not satisfiable', {
      details: `An offset of ${offset} was requested, but there are only ${result.total} rows.`,
    });
  }
  const headers = {
    'Content-Type': JSON_TYPE,
    'Content-Range': contentRange(offset, result.n, result.total),
    ...appliedHeader(prefs, ['count', 'handling']),
  };
  return { status, headers, body: result.body };
}

function rpcArguments(request, buffer) {
  const type = mediaType(request.headers['content-type']);
  if (type !== 'application/json') throw invalidBody(`Content-Type not acceptable: ${type}`);
  const text = decodeUtf8(buffer);
  if (text === '') return { json: '{}', keys: [] };
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidBody('Empty or invalid json');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw notImplemented('The stand-in calls functions with a JSON object of named arguments');
  }
  return { json: text, keys: Object.keys(value).sort() };
}

async function handleRpc(ctx, request) {
  const args = rpcArguments(request, await readBody(request.req));
  const fn = await findFunction(ctx.pool, request.route.name, args.keys);
  const text = callStatement(fn, args.keys);
  const rows = await asRole(ctx.pool, request.session, async (client) =>
    (await client.query(text, [args.json])).rows);
  const pref = appliedHeader(request.prefs, ['count', 'handling']);
  if (fn.returns_void) return { status: 204, headers: pref, body: '' };
  const body = rows[0]?.body ?? 'null';
  return { status: 200, headers: { 'Content-Type': JSON_TYPE, ...pref }, body };
}

// ---------------------------------------------------------------------------------------------
// Routing and the server

function parseRoute(pathname) {
  const invalid = apiError(404, 'PGRST125', 'Invalid path specified in request URL');
  if (!pathname.startsWith(API_PREFIX)) throw invalid;
  let parts;
  try {
    parts = pathname.slice(API_PREFIX.length).split('/').map(decodeURIComponent);
  } catch {
    throw invalid;
  }
  if (parts.length === 1 && parts[0] !== '') return { kind: 'table', name: parts[0] };
  if (parts.length === 2 && parts[0] === 'rpc' && parts[1] !== '') {
    return { kind: 'rpc', name: parts[1] };
  }
  throw invalid;
}

function parseUrl(rawUrl) {
  try {
    return new URL(rawUrl, 'http://standin.invalid');
  } catch {
    throw apiError(404, 'PGRST125', 'Invalid path specified in request URL');
  }
}

const HANDLERS = {
  'POST table': handleInsert,
  'PATCH table': handleUpdate,
  'GET table': handleRead,
  'POST rpc': handleRpc,
};

async function dispatch(ctx, req, outcome) {
  const auth = authenticate(ctx.roleOf, req.headers);
  if (auth.error) throw auth.error;
  outcome.role = auth.role;
  const url = parseUrl(req.url);
  const route = parseRoute(url.pathname);
  const handler = HANDLERS[`${req.method} ${route.kind}`];
  if (!handler) throw notImplemented(`The stand-in does not answer ${req.method} on ${route.kind}`);
  const prefs = parsePrefer(req.headers.prefer);
  const session = { role: auth.role, method: req.method, path: url.pathname };
  return handler(ctx, { req, url, route, prefs, session, headers: req.headers });
}

function errorResponse(err, log) {
  if (!(err instanceof ApiError)) {
    log({ event: 'postgrest_internal_error', message: err?.message, stack: err?.stack });
    err = apiError(500, 'PGRSTX00', 'Internal error in the PostgREST stand-in');
  }
  const headers = {
    'Content-Type': JSON_TYPE,
    'Proxy-Status': `PostgREST; error=${err.body.code}`,
    ...err.headers,
  };
  return { status: err.status, headers, body: JSON.stringify(err.body), code: err.body.code };
}

async function serve(ctx, req, res) {
  const started = process.hrtime.bigint();
  const outcome = { role: null };
  let response;
  try {
    response = await dispatch(ctx, req, outcome);
  } catch (err) {
    response = errorResponse(err, ctx.log);
  }
  if (!res.headersSent) {
    const length = Buffer.byteLength(response.body);
    res.writeHead(response.status, { ...response.headers, 'Content-Length': length });
    res.end(response.body);
  }
  req.resume();
  ctx.log({
    event: 'postgrest_request',
    method: req.method,
    path: String(req.url).split('?')[0],
    status: response.status,
    code: response.code ?? null,
    role: outcome.role,
    ms: Number((process.hrtime.bigint() - started) / 1000000n),
  });
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

/**
 * Starts the stand-in. `log` receives one object per event (never a key or a header).
 * `maxRows` is PostgREST's db-max-rows (Supabase sets 1000): the most rows a read answers.
 *
 * Example:
 *   const standin = await startStandin({ databaseUrl, serviceKey: 's', anonKey: 'a' });
 *   await fetch(`http://127.0.0.1:${standin.port}/rest/v1/llm_checks`, ...);
 *   await standin.close();
 */
export async function startStandin({
  databaseUrl, serviceKey, anonKey, port = 0, host = '127.0.0.1', log = () => {}, maxRows,
}) {
  if (maxRows !== undefined && !(Number.isSafeInteger(maxRows) && maxRows >= 0)) {
    throw new Error('maxRows must be a non-negative integer');
  }
  const roleOf = keyring(serviceKey, anonKey);
  const pool = new pg.Pool({
    connectionString: databaseUrl, max: 4, connectionTimeoutMillis: 5000,
  });
  pool.on('error', (err) => log({ event: 'postgrest_pool_error', message: err.message }));
  const ctx = { pool, roleOf, log, maxRows };
  const server = http.createServer((req, res) => {
    serve(ctx, req, res).catch((err) => {
      log({ event: 'postgrest_internal_error', message: err?.message, stack: err?.stack });
      res.destroy();
    });
  });
  const bound = await listen(server, port, host);
  const close = async () => {
    await new Promise((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await pool.end();
  };
  return { port: bound, close };
}
