// A loopback emulator of six LLM providers' chat endpoints, with injectable faults.
//
// Each provider is served under its own prefix with its official path, so an official SDK
// pointed at `http://127.0.0.1:PORT/<provider>` works unchanged:
//   POST /openai/v1/chat/completions      POST /anthropic/v1/messages
//   POST /gemini/v1beta/models/M:generateContent
//   POST /xai/v1/chat/completions         POST /cohere/v2/chat
//   POST /mistral/v1/chat/completions     (and each provider's model list, GET)
// Admin: GET|PUT /__emulator/faults, GET|DELETE /__emulator/requests, GET /__emulator/health.
// Also Cloudflare's trace page, GET /cdn-cgi/trace, answering the colo of the region named in
// x-heyhi-region, for the Worker's region objects to learn where they run.
//
// Example:
//   const emulator = await startEmulator({ port: 0, faults: { rules: [] } });
//   await fetch(`${emulator.url}/openai/v1/chat/completions`, { ... });
//   await emulator.close();

import { readFileSync } from 'node:fs';
import http from 'node:http';

import {
  createFaultPlan, FaultConfigError, PROVIDER_FAULTS, validateFaultConfig,
} from './faults.mjs';
import { isObject, isRejectedKey, json } from './providers/common.mjs';
import { PROVIDERS } from './providers/index.mjs';
import { createRecorder, redactHeaders, redactQuery } from './recorder.mjs';
import { FIXED, truncate } from './transport.mjs';

const PROVIDER_NAMES = [...PROVIDERS.keys()];
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const HANG_RELEASE_MS = 120_000;
// A timer fires late, the more so the longer it is (here about 0.3 ms at 50 ms, 1.3 ms at 1 s),
// and that lateness would be in every client's measured latency. A hold therefore aims each
// timer short of its deadline, at this share of the time left less a margin, aims again from
// where it woke, and waits out the last margin on the high-resolution clock.
const AIM = 0.9;
const FINISH_ON_CLOCK_MS = 2;

export { FaultConfigError };

/** Writes one JSON object per line to stderr; the default log sink. */
export function stderrLog(event) {
  process.stderr.write(`${JSON.stringify(event)}\n`);
}

/**
 * Starts the emulator. `faults` is a configuration object, a path to a JSON file, or absent.
 * Resolves to `{port, host, url, close(), setFaults(config), requests(), clearRequests(),
 * traces()}`.
 */
export async function startEmulator(options = {}) {
  const { port = 0, host = '127.0.0.1', faults, log = stderrLog } = options;
  const state = {
    plan: createFaultPlan(validateFaultConfig(loadFaults(faults), PROVIDER_NAMES)),
    recorder: createRecorder(),
    traces: [],
    pending: new Set(),
    hanging: new Set(),
    log: typeof log === 'function' ? log : () => {},
    startedAt: Date.now(),
    seq: 0,
  };
  const server = http.createServer((req, res) => {
    handle(state, req, res).catch((err) => failInternally(state, res, err));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const bound = server.address().port;
  return {
    port: bound,
    host,
    url: `http://${host}:${bound}`,
    close: () => close(server, state),
    setFaults: (config) => setFaults(state, config),
    requests: () => state.recorder.list(),
    clearRequests: () => state.recorder.clear(),
    traces: () => [...state.traces],
  };
}

function loadFaults(faults) {
  if (faults === undefined || faults === null) return { rules: [] };
  if (typeof faults === 'string') return JSON.parse(readFileSync(faults, 'utf8'));
  return faults;
}

function setFaults(state, raw) {
  const config = validateFaultConfig(raw, PROVIDER_NAMES);
  state.plan = createFaultPlan(config);
  return config;
}

function close(server, state) {
  for (const cancel of state.pending) cancel();
  state.pending.clear();
  const closed = new Promise((resolve) => server.close(resolve));
  server.closeAllConnections();
  return closed;
}

async function handle(state, req, res) {
  const receivedAt = new Date();
  const receivedHr = performance.now();
  const url = new URL(req.url, 'http://emulator.invalid');
  const raw = await readBody(req);
  if (raw === null) return send(res, json(413, { error: 'request body too large' }));
  if (url.pathname.startsWith('/__emulator/')) return admin(state, req, res, url, raw);
  if (url.pathname === '/cdn-cgi/trace' && req.method === 'GET') return trace(state, req, res);

  const ctx = context(state, req, url, raw);
  const entry = record(state, ctx, req, url, receivedAt);
  logWhenDone(state, res, entry, receivedAt, receivedHr);
  if (!ctx.provider) {
    return send(res, json(404, { error: 'no emulated route', path: url.pathname }), entry);
  }

  const plan = state.plan.pick(ctx.provider.name, ctx.model ?? '', ctx.region);
  entry.fault = plan.fault;
  const respond = responder(state, ctx, plan, res, entry);
  // Counted from the request's arrival, so the emulator's own reading and composing are inside
  // the asked time, as a provider's are inside its latency.
  if (plan.latency_ms > 0) {
    await new Promise((resolve) => at(state, res, receivedHr + plan.latency_ms, resolve));
  }
  // The client may have gone away during the injected latency; there is nobody to answer.
  if (!res.destroyed) respond();
}

// A colo for each Durable Object location hint, as the trace page of a data centre in that
// area would name it; anything else is this machine.
const COLOS = {
  wnam: 'LAX', enam: 'IAD', sam: 'GRU', weur: 'AMS', eeur: 'WAW', apac: 'SIN', oc: 'SYD',
  afr: 'JNB', me: 'DXB',
};

/** Cloudflare's trace page: one key=value per line, `colo` among them. */
function trace(state, req, res) {
  const region = typeof req.headers['x-heyhi-region'] === 'string' ? req.headers['x-heyhi-region'] : '';
  const colo = COLOS[region] ?? 'LOC';
  state.traces.push({ region: region || null, colo, received_at: new Date().toISOString() });
  const lines = [
    'fl=1f1', `h=${req.headers.host ?? ''}`, 'ip=127.0.0.1',
    `ts=${(Date.now() / 1000).toFixed(3)}`, 'visit_scheme=http',
    `uag=${req.headers['user-agent'] ?? ''}`, `colo=${colo}`, 'sliver=none',
    'http=http/1.1', 'loc=XX', 'tls=off', 'sni=off', 'warp=off', 'gateway=off', 'rbi=off',
    'kex=none',
  ];
  send(res, { status: 200, headers: { 'content-type': 'text/plain' }, body: `${lines.join('\n')}\n` });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Everything a provider module needs to answer one request. */
function context(state, req, url, raw) {
  state.seq += 1;
  const ctx = {
    seq: state.seq,
    headers: req.headers,
    query: url.searchParams,
    rawBody: raw,
    region: typeof req.headers['x-heyhi-region'] === 'string' ? req.headers['x-heyhi-region'] : '',
    ...resolveRoute(req.method, url.pathname),
  };
  const parsed = parseJson(raw);
  ctx.body = parsed.value;
  // A body that parses but is not an object is as unusable to every provider as bad JSON.
  ctx.jsonError = ctx.kind === 'chat' && !isObject(parsed.value);
  if (!ctx.provider) return ctx;
  ctx.key = ctx.provider.keyOf(ctx);
  ctx.model = ctx.provider.modelOf(ctx);
  ctx.rid = ctx.provider.requestId();
  return ctx;
}

function resolveRoute(method, pathname) {
  const match = /^\/([a-z]+)(\/.*)$/.exec(pathname);
  const provider = match ? PROVIDERS.get(match[1]) : undefined;
  const target = provider?.route(method, match[2]);
  if (!target) return { provider: null, kind: null, params: {} };
  return { provider, kind: target.kind, params: target.params ?? {} };
}

function parseJson(raw) {
  if (raw.length === 0) return { value: undefined };
  try {
    return { value: JSON.parse(raw) };
  } catch {
    return { value: undefined };
  }
}

function record(state, ctx, req, url, receivedAt) {
  return state.recorder.add({
    received_at: receivedAt.toISOString(),
    method: req.method,
    path: url.pathname,
    query: redactQuery(url.searchParams),
    headers: redactHeaders(req.headers),
    body: ctx.body ?? null,
    provider: ctx.provider?.name ?? null,
    model: ctx.model ?? null,
    region: ctx.region || null,
    fault: null,
    status: null,
  });
}

// The answer is composed before the injected latency, not after it: composing takes about
// half a millisecond here, which would otherwise come on top of the asked time.
function responder(state, ctx, plan, res, entry) {
  const fault = plan.fault;
  if (fault === 'hang') return () => hold(state, res);
  if (fault === 'reset') return () => reset(res);
  if (FIXED[fault]) return sender(res, FIXED[fault](), entry);
  if (PROVIDER_FAULTS.includes(fault)) {
    return sender(res, dressed(ctx, ctx.provider.faults[fault](ctx)), entry);
  }
  const response = dressed(ctx, answer(ctx));
  if (fault === 'truncated' && response.status === 200) {
    return sender(res, truncate(response), entry);
  }
  if (fault === 'slow_body') {
    return () => sendSlowly(state, res, response, plan.body_delay_ms, entry);
  }
  return sender(res, response, entry);
}

function sender(res, response, entry) {
  return () => send(res, response, entry);
}

/** The provider's own answer: the checks it makes, in the order a real API makes them. */
function answer(ctx) {
  const provider = ctx.provider;
  if (ctx.key === null || ctx.key === '') return provider.missingKey(ctx);
  if (isRejectedKey(ctx.key)) return provider.rejectedKey(ctx);
  if (ctx.kind === 'models') return provider.models(ctx);
  if (ctx.jsonError) return provider.invalidJson(ctx);
  return provider.validate(ctx) ?? provider.success(ctx);
}

/** Adds the provider's per-response headers (request id and the like) under the record's own. */
function dressed(ctx, response) {
  return { ...response, headers: { ...ctx.provider.headers(ctx), ...response.headers } };
}

// When each response began to be written, for the request log.
const answeredAt = new WeakMap();

function send(res, response, entry) {
  if (entry) entry.status = response.status;
  answeredAt.set(res, performance.now());
  res.writeHead(response.status, withLength(response));
  res.end(response.body);
}

function withLength(response) {
  return { ...response.headers, 'content-length': Buffer.byteLength(response.body) };
}

function sendSlowly(state, res, response, delayMs, entry) {
  entry.status = response.status;
  answeredAt.set(res, performance.now());
  res.writeHead(response.status, withLength(response));
  res.flushHeaders();
  later(state, res, delayMs, () => res.end(response.body));
}

// Holds the request open with no headers until the client gives up; the long timer only stops
// an abandoned emulator from keeping sockets forever.
function hold(state, res) {
  state.hanging.add(res);
  res.on('close', () => state.hanging.delete(res));
  later(state, res, HANG_RELEASE_MS, () => res.destroy());
}

function reset(res) {
  const socket = res.socket;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

/** `action` after `delayMs`, unless the response's connection or the emulator ends first. */
function later(state, res, delayMs, action) {
  at(state, res, performance.now() + delayMs, action);
}

/** `action` once performance.now() reaches `deadline`, on the same terms as later(). */
function at(state, res, deadline, action) {
  let timer;
  let immediate;
  const cancel = () => {
    clearTimeout(timer);
    clearImmediate(immediate);
    state.pending.delete(cancel);
  };
  const step = () => {
    const left = deadline - performance.now();
    if (left <= 0) {
      cancel();
      action();
      return;
    }
    const aim = left * AIM - FINISH_ON_CLOCK_MS;
    if (aim >= 1) timer = setTimeout(step, aim);
    else immediate = setImmediate(step);
  };
  state.pending.add(cancel);
  res.on('close', cancel);
  step();
}

function logWhenDone(state, res, entry, receivedAt, receivedHr) {
  res.on('close', () => state.log({
    event: 'request',
    id: entry.id,
    provider: entry.provider,
    model: entry.model,
    region: entry.region,
    fault: entry.fault,
    status: res.headersSent ? res.statusCode : null,
    completed: res.writableFinished,
    duration_ms: Date.now() - receivedAt.getTime(),
    // Receipt to the start of the answer, to the microsecond: the latency the emulator gave,
    // without the socket's own time to send it. Null for a request it never answered.
    held_ms: answeredAt.has(res) ? microseconds(answeredAt.get(res) - receivedHr) : null,
    method: entry.method,
    path: entry.path,
  }));
}

const microseconds = (ms) => Math.round(ms * 1000) / 1000;

function failInternally(state, res, err) {
  state.log({ event: 'emulator_error', message: err.message });
  if (!res.headersSent) send(res, json(500, { error: 'emulator failure', message: err.message }));
  else res.destroy();
}

function admin(state, req, res, url, raw) {
  const route = `${req.method} ${url.pathname}`;
  state.log({ event: 'admin_request', method: req.method, path: url.pathname });
  switch (route) {
    case 'GET /__emulator/health':
      return send(res, json(200, health(state)));
    case 'GET /__emulator/faults':
      return send(res, json(200, state.plan.config));
    case 'PUT /__emulator/faults':
      return send(res, replaceFaults(state, raw));
    case 'GET /__emulator/requests':
      return send(res, json(200, { requests: state.recorder.list() }));
    case 'DELETE /__emulator/requests':
      return send(res, json(200, { ok: true, cleared: state.recorder.clear() }));
    default:
      return send(res, json(404, { error: 'no admin route', route }));
  }
}

function health(state) {
  return {
    ok: true,
    uptime_ms: Date.now() - state.startedAt,
    requests: state.recorder.count(),
    hanging: state.hanging.size,
  };
}

function replaceFaults(state, raw) {
  let parsed;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    return json(400, { error: 'invalid_fault_config', reason: `body is not JSON: ${err.message}` });
  }
  try {
    return json(200, { ok: true, config: setFaults(state, parsed) });
  } catch (err) {
    if (!(err instanceof FaultConfigError)) throw err;
    return json(400, { error: 'invalid_fault_config', reason: err.message });
  }
}
