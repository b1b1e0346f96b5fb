// Behaviour of the provider emulator: fault selection, timing, broken responses, each
// provider's error formats, request validation, recording and the admin API.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, beforeEach, describe, test } from 'node:test';

import { startEmulator } from './emulator.mjs';

let emulator;

before(async () => {
  emulator = await startEmulator({ port: 0, log: false });
});

after(() => emulator.close());

beforeEach(async () => {
  await putFaults({ rules: [] });
  await fetch(`${emulator.url}/__emulator/requests`, { method: 'DELETE' });
});

const PING = 'ping';
const KEY = 'sk-test-0123456789abcdefghijklmnop';

/** The minimal request HeyHi sends to each provider. */
const REQUESTS = {
  openai: (model = 'gpt-4o-mini') => ({
    path: '/openai/v1/chat/completions',
    body: { model, messages: [{ role: 'user', content: PING }], max_completion_tokens: 1 },
  }),
  anthropic: (model = 'claude-3-5-haiku-latest') => ({
    path: '/anthropic/v1/messages',
    headers: { 'anthropic-version': '2023-06-01' },
    body: { model, max_tokens: 1, messages: [{ role: 'user', content: PING }] },
  }),
  gemini: (model = 'gemini-2.0-flash') => ({
    path: `/gemini/v1beta/models/${model}:generateContent`,
    body: {
      contents: [{ role: 'user', parts: [{ text: PING }] }],
      generationConfig: { maxOutputTokens: 1 },
    },
  }),
  xai: (model = 'grok-3') => ({
    path: '/xai/v1/chat/completions',
    body: { model, messages: [{ role: 'user', content: PING }], max_tokens: 1 },
  }),
  cohere: (model = 'command-a-03-2025') => ({
    path: '/cohere/v2/chat',
    body: { model, messages: [{ role: 'user', content: PING }], max_tokens: 1 },
  }),
  mistral: (model = 'mistral-small-latest') => ({
    path: '/mistral/v1/chat/completions',
    body: { model, messages: [{ role: 'user', content: PING }], max_tokens: 1 },
  }),
};

const PROVIDERS = Object.keys(REQUESTS);

function authHeaders(provider, key) {
  if (key === null) return {};
  if (provider === 'anthropic') return { 'x-api-key': key };
  if (provider === 'gemini') return { 'x-goog-api-key': key };
  return { authorization: `Bearer ${key}` };
}

/** Sends one probe; `body` may be an object or a raw string. */
function probe(provider, options = {}) {
  const { model, key = KEY, region, headers = {}, signal, origin = emulator.url } = options;
  const base = REQUESTS[provider](model);
  const body = options.body ?? base.body;
  return fetch(`${origin}${base.path}`, {
    method: 'POST',
    signal,
    headers: {
      'content-type': 'application/json',
      ...authHeaders(provider, key),
      ...base.headers,
      ...(region ? { 'x-heyhi-region': region } : {}),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function probeJson(provider, options) {
  const response = await probe(provider, options);
  return { response, body: await response.json() };
}

async function putFaults(config) {
  const response = await fetch(`${emulator.url}/__emulator/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: typeof config === 'string' ? config : JSON.stringify(config),
  });
  return { status: response.status, body: await response.json() };
}

async function statuses(provider, count, options) {
  const out = [];
  for (let i = 0; i < count; i += 1) {
    const response = await probe(provider, options);
    await response.arrayBuffer();
    out.push(response.status);
  }
  return out;
}

describe('fault selection', () => {
  test('a sequence cycles in order and starts over', async () => {
    await putFaults({
      rules: [{ provider: 'anthropic', sequence: ['ok', 'overloaded', 'quota'] }],
    });
    assert.deepEqual(await statuses('anthropic', 7), [200, 529, 429, 200, 529, 429, 200]);
  });

  test('each model keeps its own sequence counter', async () => {
    await putFaults({ rules: [{ provider: 'openai', sequence: ['ok', 'server_error'] }] });
    const first = await statuses('openai', 1, { model: 'gpt-4o-mini' });
    const other = await statuses('openai', 2, { model: 'gpt-4.1-mini' });
    const second = await statuses('openai', 1, { model: 'gpt-4o-mini' });
    assert.deepEqual([first, other, second], [[200], [200, 500], [500]]);
  });

  test('a rule for one region leaves other regions and unlabelled requests alone', async () => {
    await putFaults({ rules: [{ provider: '*', region: 'weur', sequence: ['rate_limited'] }] });
    assert.deepEqual(await statuses('cohere', 1, { region: 'weur' }), [429]);
    assert.deepEqual(await statuses('cohere', 1, { region: 'enam' }), [200]);
    assert.deepEqual(await statuses('cohere', 1), [200]);
  });

  test('the trace page names a colo per region and lists each lookup apart from probes', async () => {
    const before = emulator.requests().length;
    const colo = async (region) => {
      const headers = region ? { 'x-heyhi-region': region } : {};
      const response = await fetch(`${emulator.url}/cdn-cgi/trace`, { headers });
      assert.equal(response.headers.get('content-type'), 'text/plain');
      return /^colo=(.+)$/m.exec(await response.text())?.[1];
    };
    assert.deepEqual([await colo('weur'), await colo('apac'), await colo()], ['AMS', 'SIN', 'LOC']);
    assert.deepEqual(emulator.traces().slice(-3).map((t) => t.region), ['weur', 'apac', null]);
    assert.equal(emulator.requests().length, before);
  });

  test('the first matching rule wins over later ones', async () => {
    await putFaults({
      rules: [
        { provider: 'mistral', model: 'mistral-small-latest', sequence: ['overloaded'] },
        { provider: '*', sequence: ['server_error'] },
      ],
    });
    assert.deepEqual(await statuses('mistral', 1), [503]);
    assert.deepEqual(await statuses('mistral', 1, { model: 'mistral-medium-latest' }), [500]);
  });

  test('a seeded mix draws the same faults again after the config is reloaded', async () => {
    const config = {
      seed: 7,
      rules: [{ provider: 'xai', mix: [{ fault: 'ok', weight: 1 }, { fault: 'auth', weight: 1 }] }],
    };
    await putFaults(config);
    const first = await statuses('xai', 24);
    await putFaults(config);
    const again = await statuses('xai', 24);
    assert.deepEqual(again, first);
    assert.ok(first.includes(200) && first.includes(401), `both faults drawn: ${first}`);
  });

  test('a different seed draws a different series', async () => {
    const mix = [{ fault: 'ok', weight: 1 }, { fault: 'auth', weight: 1 }];
    const rules = [{ provider: 'xai', mix }];
    await putFaults({ seed: 7, rules });
    const seven = await statuses('xai', 24);
    await putFaults({ seed: 8, rules });
    assert.notDeepEqual(await statuses('xai', 24), seven);
  });

  test('a mix follows its weights', async () => {
    await putFaults({
      seed: 3,
      rules: [{
        provider: 'gemini',
        mix: [{ fault: 'overloaded', weight: 0.2 }, { fault: 'ok', weight: 0.8 }],
      }],
    });
    const seen = await statuses('gemini', 200);
    const overloaded = seen.filter((status) => status === 503).length;
    assert.ok(overloaded > 20 && overloaded < 60, `${overloaded} of 200 overloaded`);
  });

  test('a sequence wins over a mix in the same rule', async () => {
    await putFaults({
      rules: [{ provider: 'openai', sequence: ['quota'], mix: [{ fault: 'ok', weight: 1 }] }],
    });
    assert.deepEqual(await statuses('openai', 3), [429, 429, 429]);
  });
});

describe('timing', () => {
  test('injected latency delays headers by at least the asked time and less than 50 ms more',
    async () => {
      await statuses('openai', 1);
      await putFaults({ rules: [{ provider: 'openai', latency_ms: 150 }] });
      for (let i = 0; i < 3; i += 1) {
        const started = performance.now();
        const response = await probe('openai');
        const elapsed = performance.now() - started;
        await response.arrayBuffer();
        assert.equal(response.status, 200);
        assert.ok(elapsed >= 150 && elapsed < 200, `headers after ${elapsed.toFixed(1)} ms`);
      }
    });

  // The time to the last byte at 250 ms less the time at 0 ms, each the median of interleaved
  // requests on one kept-alive connection, leaves the hold alone: the client's own work and
  // loopback are in both. A plain 250 ms timer fired about 0.5 ms late here, and composing the
  // answer after it took as long again.
  test('as a client measures it, injected latency adds the asked time to within 0.5 ms',
    async () => {
      await putFaults({ rules: [{ provider: 'openai', model: 'held-250', latency_ms: 250 }] });
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const times = { 'held-0': [], 'held-250': [] };
      for (let i = 0; i < 9; i += 1) {
        for (const model of Object.keys(times)) times[model].push(await lastByteMs(model, agent));
      }
      agent.destroy();
      const added = median(times['held-250']) - median(times['held-0']);
      assert.ok(Math.abs(added - 250) < 0.5, `250 ms of latency added ${added.toFixed(3)} ms`);
    });

  test('the request log says how long each answer was held, at the median within 0.3 ms of it',
    async () => {
      const events = [];
      const logged = await startEmulator({
        port: 0,
        log: (event) => events.push(event),
        faults: { rules: [{ provider: 'openai', latency_ms: 120 }] },
      });
      for (let i = 0; i < 7; i += 1) {
        await (await probe('openai', { origin: logged.url })).arrayBuffer();
      }
      await logged.close();
      const held = events.filter((e) => e.event === 'request').map((e) => e.held_ms);
      assert.equal(held.length, 7);
      for (const ms of held) assert.ok(ms >= 120, `held ${ms} ms for 120 ms`);
      // The median, as a busy machine can hold up the odd one by a few ms.
      assert.ok(median(held) < 120.3, `held ${held.join(', ')} ms for 120 ms`);
    });

  test('slow_body sends the headers at once and the body after body_delay_ms', async () => {
    await putFaults({
      rules: [{ provider: 'cohere', sequence: ['slow_body'], body_delay_ms: 200 }],
    });
    const started = performance.now();
    const response = await probe('cohere');
    const headersAt = performance.now() - started;
    const body = await response.json();
    const bodyAt = performance.now() - started;
    assert.ok(headersAt < 100, `headers after ${headersAt.toFixed(1)} ms`);
    assert.ok(bodyAt >= 200, `body after ${bodyAt.toFixed(1)} ms`);
    assert.equal(body.finish_reason, 'MAX_TOKENS');
  });

  test('hang sends nothing until the client aborts, then releases the request', async () => {
    await putFaults({ rules: [{ provider: 'anthropic', sequence: ['hang'] }] });
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 150);
    await assert.rejects(probe('anthropic', { signal: controller.signal }), { name: 'AbortError' });
    assert.ok(performance.now() - started >= 150, 'held until the abort');
    assert.equal(await hangingAfterRelease(), 0);
  });

  test('close() ends the emulator at once even while a request hangs', async () => {
    const other = await startEmulator({
      port: 0, log: false, faults: { rules: [{ sequence: ['hang'] }] },
    });
    const pending = fetch(`${other.url}/cohere/v2/chat`, { method: 'POST', body: '{}' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await other.close();
    assert.ok(performance.now() - started < 500, 'close waited for the hanging request');
    await assert.rejects(pending, { name: 'TypeError' });
  });

  test('reset drops the connection without sending a response', async () => {
    await putFaults({ rules: [{ provider: 'gemini', sequence: ['reset'] }] });
    await assert.rejects(probe('gemini'), (err) => {
      assert.equal(err.name, 'TypeError');
      assert.match(String(err.cause?.code ?? err.cause), /ECONNRESET|UND_ERR_SOCKET/);
      return true;
    });
  });
});

/** Milliseconds from sending an OpenAI request for `model` to the last byte of its answer. */
function lastByteMs(model, agent) {
  const { path, body } = REQUESTS.openai(model);
  const payload = JSON.stringify(body);
  const headers = { 'content-type': 'application/json', ...authHeaders('openai', KEY) };
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = http.request(`${emulator.url}${path}`, { method: 'POST', agent, headers });
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve(performance.now() - started));
    });
    request.on('error', reject);
    request.end(payload);
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function hangingAfterRelease() {
  for (let i = 0; i < 50; i += 1) {
    const health = await (await fetch(`${emulator.url}/__emulator/health`)).json();
    if (health.hanging === 0) return 0;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return -1;
}

describe('broken responses', () => {
  test('truncated is the first half of the body the provider would have sent', async () => {
    const whole = await (await probe('openai')).text();
    await putFaults({ rules: [{ provider: 'openai', sequence: ['truncated'] }] });
    const response = await probe('openai');
    const cut = await response.text();
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.ok(cut.startsWith('{"id":"chatcmpl-'), `starts as a real body: ${cut.slice(0, 30)}`);
    assert.ok(Math.abs(cut.length - whole.length / 2) < 40, `${cut.length} of ${whole.length}`);
    assert.throws(() => JSON.parse(cut), SyntaxError);
  });

  test('empty is a 200 with no bytes at all', async () => {
    await putFaults({ rules: [{ provider: 'mistral', sequence: ['empty'] }] });
    const response = await probe('mistral');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-length'), '0');
    assert.equal(await response.text(), '');
  });

  test('not_json is a 200 in text/plain that no JSON parser accepts', async () => {
    await putFaults({ rules: [{ provider: 'xai', sequence: ['not_json'] }] });
    const response = await probe('xai');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /^text\/plain/);
    const text = await response.text();
    assert.throws(() => JSON.parse(text), SyntaxError);
  });

  test('gateway_html is a Cloudflare-style 502 HTML page', async () => {
    await putFaults({ rules: [{ provider: 'anthropic', sequence: ['gateway_html'] }] });
    const response = await probe('anthropic');
    const body = await response.text();
    assert.equal(response.status, 502);
    assert.equal(response.headers.get('content-type'), 'text/html');
    assert.equal(response.headers.get('server'), 'cloudflare');
    assert.match(body, /^<html>[\s\S]*502 Bad Gateway[\s\S]*cloudflare[\s\S]*<\/html>/);
  });

  test('edge_blocked is a short HTML 403, not the API JSON', async () => {
    await putFaults({ rules: [{ provider: 'openai', sequence: ['edge_blocked'] }] });
    const response = await probe('openai');
    const body = await response.text();
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('content-type'), 'text/html');
    assert.ok(body.length < 512, `${body.length} bytes`);
    assert.match(body, /403 Forbidden/);
    assert.throws(() => JSON.parse(body), SyntaxError);
  });
});

// One row per provider and fault: the status and a check on the body's own format.
const FAULT_FORMATS = [
  ['openai', 'overloaded', 503, (b) => b.error.code === 'server_is_overloaded'],
  ['openai', 'server_error', 500, (b) => b.error.type === 'server_error'],
  ['openai', 'bad_gateway_json', 502, (b) => b.error.type === 'cf_bad_gateway'],
  ['openai', 'rate_limited', 429, (b) => b.error.code === 'rate_limit_exceeded'],
  ['openai', 'quota', 429, (b) => b.error.code === 'insufficient_quota'],
  ['openai', 'auth', 401, (b) => b.error.code === 'invalid_api_key'],
  ['openai', 'model_not_found', 404, (b) => b.error.code === 'model_not_found'],
  ['openai', 'bad_param', 400, (b) => b.error.code === 'unsupported_parameter'],
  ['anthropic', 'overloaded', 529, (b) => b.error.type === 'overloaded_error'],
  ['anthropic', 'server_error', 500, (b) => b.error.type === 'api_error'],
  ['anthropic', 'rate_limited', 429,
    (b) => b.error.type === 'rate_limit_error' && !b.error.details],
  ['anthropic', 'quota', 429,
    (b) => b.error.details.error_code === 'enforced_spend_limit_reached'],
  ['anthropic', 'auth', 401, (b) => b.error.type === 'authentication_error'],
  ['anthropic', 'model_not_found', 404,
    (b) => b.error.message === 'model: claude-3-5-haiku-latest'],
  ['anthropic', 'bad_param', 400, (b) => b.error.type === 'invalid_request_error'],
  ['gemini', 'overloaded', 503,
    (b) => b.error.message === 'The model is overloaded. Please try again later.'],
  ['gemini', 'server_error', 500, (b) => b.error.status === 'INTERNAL'],
  ['gemini', 'rate_limited', 429, (b) => b.error.details.some((d) => d.retryDelay === '26s')],
  ['gemini', 'quota', 429, (b) => /prepayment credits are depleted/.test(b.error.message)],
  ['gemini', 'auth', 400, (b) => b.error.details[0].reason === 'API_KEY_INVALID'],
  ['gemini', 'model_not_found', 404, (b) => b.error.status === 'NOT_FOUND'],
  ['gemini', 'bad_param', 400, (b) => b.error.status === 'INVALID_ARGUMENT'],
  ['xai', 'overloaded', 503, (b) => b.code === 'The service is currently unavailable'],
  ['xai', 'rate_limited', 429, (b) => b.code === 'Some resource has been exhausted'],
  ['xai', 'quota', 403, (b) => /credits/.test(b.error)],
  ['xai', 'auth', 401, (b) => typeof b.error === 'string'],
  ['xai', 'model_not_found', 404, (b) => b.code === 'Some requested entity was not found'],
  ['cohere', 'overloaded', 503, (b) => typeof b.message === 'string'],
  ['cohere', 'server_error', 500, (b) => /^internal server error/.test(b.message)],
  ['cohere', 'rate_limited', 429, (b) => /Trial key/.test(b.message)],
  ['cohere', 'quota', 402, (b) => /payment method/.test(b.message)],
  ['cohere', 'auth', 401, (b) => b.message === 'invalid api token'],
  ['cohere', 'model_not_found', 404, (b) => /^model 'command-a-03-2025' not found/.test(b.message)],
  ['mistral', 'overloaded', 503, (b) => /capacity exceeded/.test(b.message)],
  ['mistral', 'rate_limited', 429, (b) => b.type === 'rate_limited' && b.code === '1300'],
  ['mistral', 'auth', 401,
    (b) => b.message === 'Unauthorized' && /^[0-9a-f]{32}$/.test(b.request_id)],
  ['mistral', 'model_not_found', 400, (b) => b.type === 'invalid_model'],
  ['mistral', 'bad_param', 422, (b) => b.message.detail[0].type === 'extra_forbidden'],
];

describe('provider faults render in each provider\'s own format', () => {
  for (const [provider, fault, status, check] of FAULT_FORMATS) {
    test(`${provider} ${fault} is a ${status} in ${provider}'s shape`, async () => {
      await putFaults({ rules: [{ provider, sequence: [fault] }] });
      const { response, body } = await probeJson(provider);
      assert.equal(response.status, status);
      assert.match(response.headers.get('content-type'), /^application\/json/);
      assert.ok(check(body), JSON.stringify(body));
    });
  }

  test('a rate limit carries retry-after and a spend cap does not', async () => {
    await putFaults({ rules: [{ provider: 'anthropic', sequence: ['rate_limited', 'quota'] }] });
    const limited = await probe('anthropic');
    const capped = await probe('anthropic');
    assert.equal(limited.headers.get('retry-after'), '12');
    assert.equal(capped.headers.get('retry-after'), null);
  });
});

describe('authentication', () => {
  const REJECTED = {
    openai: 401, anthropic: 401, gemini: 400, xai: 400, cohere: 401, mistral: 401,
  };
  const MISSING = {
    openai: 401, anthropic: 401, gemini: 403, xai: 401, cohere: 401, mistral: 401,
  };

  for (const provider of PROVIDERS) {
    test(`${provider} rejects the keys "bad" and "invalid…" with its real status`, async () => {
      for (const key of ['bad', 'invalid-key-for-tests']) {
        const response = await probe(provider, { key });
        const text = await response.text();
        assert.equal(response.status, REJECTED[provider]);
        assert.ok(!text.includes('invalid-key-for-tests'), `key echoed: ${text}`);
      }
    });

    test(`${provider} answers a request without a key with its real status`, async () => {
      const response = await probe(provider, { key: null });
      await response.arrayBuffer();
      assert.equal(response.status, MISSING[provider]);
    });
  }

  test('OpenAI shows a masked form of the rejected key, never the key', async () => {
    const key = 'invalid-sk-proj-abcdefghijklmnopqrstuvwxyz0123456789';
    const { body } = await probeJson('openai', { key });
    assert.equal(body.error.code, 'invalid_api_key');
    assert.match(body.error.message, /^Incorrect API key provided: invalid-\*+6789\. /);
    assert.ok(!body.error.message.includes(key));
  });

  test('Anthropic takes the key from x-api-key or, as its SDK sends it, a bearer token',
    async () => {
      const headers = { authorization: 'Bearer k-1' };
      const bearer = await probe('anthropic', { key: null, headers });
      const header = await probe('anthropic', { key: 'k-2' });
      assert.deepEqual([bearer.status, header.status], [200, 200]);
    });

  test('Gemini accepts the key as a ?key= query parameter', async () => {
    const response = await fetch(
      `${emulator.url}/gemini/v1beta/models/gemini-2.0-flash:generateContent?key=abc123`,
      { method: 'POST', body: JSON.stringify(REQUESTS.gemini().body) },
    );
    assert.equal(response.status, 200);
  });
});

describe('request validation', () => {
  test('OpenAI reasoning models reject max_tokens with unsupported_parameter', async () => {
    const body = { ...REQUESTS.openai('gpt-5-mini').body, max_tokens: 1 };
    delete body.max_completion_tokens;
    const { response, body: error } = await probeJson('openai', { body });
    assert.equal(response.status, 400);
    assert.deepEqual(error.error, {
      message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use " +
        "'max_completion_tokens' instead.",
      type: 'invalid_request_error',
      param: 'max_tokens',
      code: 'unsupported_parameter',
    });
  });

  test('OpenAI reasoning models reject a temperature other than 1', async () => {
    const body = { model: 'o4-mini', messages: [], max_completion_tokens: 1, temperature: 0 };
    const { response, body: error } = await probeJson('openai', { body });
    assert.equal(response.status, 400);
    assert.equal(error.error.code, 'unsupported_value');
    assert.equal(error.error.param, 'temperature');
  });

  test('OpenAI non-reasoning models still accept max_tokens', async () => {
    const body = { ...REQUESTS.openai('gpt-4o-mini').body, max_tokens: 1 };
    delete body.max_completion_tokens;
    const { response } = await probeJson('openai', { body });
    assert.equal(response.status, 200);
  });

  test('Mistral rejects each unknown top-level field with a 422', async () => {
    const body = { ...REQUESTS.mistral().body, max_completion_tokens: 1, user: 'heyhi' };
    const { response, body: error } = await probeJson('mistral', { body });
    assert.equal(response.status, 422);
    assert.deepEqual(error.message.detail.map((d) => d.loc), [
      ['body', 'max_completion_tokens'], ['body', 'user'],
    ]);
    assert.equal(error.message.detail[0].msg, 'Extra inputs are not permitted');
  });

  test('xAI reasoning models reject presence_penalty', async () => {
    const body = { ...REQUESTS.xai('grok-4-0709').body, presence_penalty: 0 };
    const { response, body: error } = await probeJson('xai', { body });
    assert.equal(response.status, 400);
    assert.equal(error.error, 'Model grok-4-0709 does not support parameter presencePenalty.');
  });

  test('Anthropic requires the anthropic-version header', async () => {
    const response = await probe('anthropic', { headers: { 'anthropic-version': '' } });
    const body = await response.json();
    assert.equal(response.status, 400);
    assert.equal(body.error.message, 'anthropic-version: header is required');
  });

  test('Gemini 2.5 Pro refuses to turn thinking off', async () => {
    const base = REQUESTS.gemini('gemini-2.5-pro').body;
    const generationConfig = { maxOutputTokens: 1, thinkingConfig: { thinkingBudget: 0 } };
    const body = { ...base, generationConfig };
    const { response, body: error } = await probeJson('gemini', { model: 'gemini-2.5-pro', body });
    assert.equal(response.status, 400);
    assert.equal(error.error.status, 'INVALID_ARGUMENT');
  });

  const PARSE_ERROR = {
    openai: 400, anthropic: 400, gemini: 400, xai: 400, cohere: 400, mistral: 422,
  };
  for (const provider of PROVIDERS) {
    test(`${provider} answers a body that is not JSON with its parse error`, async () => {
      const { response, body } = await probeJson(provider, { body: 'ping, not json' });
      assert.equal(response.status, PARSE_ERROR[provider]);
      assert.ok(body !== null && typeof body === 'object');
    });
  }
});

describe('successful answers', () => {
  const REQUEST_ID = {
    openai: /^req_[0-9a-f]{32}$/,
    anthropic: /^req_011C[0-9A-Za-z]{20}$/,
    xai: /^[0-9a-f-]{36}$/,
    cohere: /^[0-9a-f]{32}$/,
    mistral: /^[0-9a-f]{32}$/,
  };
  const HEADER = {
    openai: 'x-request-id', anthropic: 'request-id', xai: 'x-request-id',
    cohere: 'x-debug-trace-id', mistral: 'mistral-correlation-id',
  };

  for (const [provider, pattern] of Object.entries(REQUEST_ID)) {
    test(`${provider} sends its request id in ${HEADER[provider]}`, async () => {
      const response = await probe(provider);
      await response.arrayBuffer();
      assert.equal(response.status, 200);
      assert.match(response.headers.get(HEADER[provider]), pattern);
    });
  }

  test('a 1-token request ends on each provider\'s truncation reason', async () => {
    const reasons = {
      openai: (b) => b.choices[0].finish_reason,
      anthropic: (b) => b.stop_reason,
      gemini: (b) => b.candidates[0].finishReason,
      xai: (b) => b.choices[0].finish_reason,
      cohere: (b) => b.finish_reason,
      mistral: (b) => b.choices[0].finish_reason,
    };
    const seen = {};
    for (const provider of PROVIDERS) {
      seen[provider] = reasons[provider]((await probeJson(provider)).body);
    }
    assert.deepEqual(seen, {
      openai: 'length', anthropic: 'max_tokens', gemini: 'MAX_TOKENS', xai: 'length',
      cohere: 'MAX_TOKENS', mistral: 'length',
    });
  });

  test('OpenAI reasoning models answer empty content with the token counted as reasoning',
    async () => {
      const { body } = await probeJson('openai', { model: 'gpt-5' });
      assert.equal(body.choices[0].message.content, '');
      assert.equal(body.choices[0].finish_reason, 'length');
      assert.equal(body.usage.completion_tokens, 1);
      assert.equal(body.usage.completion_tokens_details.reasoning_tokens, 1);
    });

  test('Gemini 2.5 Pro at a 1-token budget returns a candidate without parts', async () => {
    const { body } = await probeJson('gemini', { model: 'gemini-2.5-pro' });
    assert.deepEqual(body.candidates[0], {
      content: { role: 'model' }, finishReason: 'MAX_TOKENS', index: 0,
    });
    assert.equal(body.usageMetadata.thoughtsTokenCount, 1);
    assert.equal(body.usageMetadata.candidatesTokenCount, undefined);
  });

  test('Gemini 2.5 Flash with thinking off answers its one token', async () => {
    const base = REQUESTS.gemini('gemini-2.5-flash').body;
    const generationConfig = { maxOutputTokens: 1, thinkingConfig: { thinkingBudget: 0 } };
    const body = { ...base, generationConfig };
    const { body: answer } = await probeJson('gemini', { model: 'gemini-2.5-flash', body });
    assert.equal(answer.candidates[0].content.parts[0].text, 'Hello');
    assert.equal(answer.usageMetadata.candidatesTokenCount, 1);
  });

  test('Cohere bills the prompt alone and counts the template in tokens', async () => {
    const { body } = await probeJson('cohere');
    assert.equal(body.usage.billed_units.output_tokens, 1);
    assert.ok(body.usage.tokens.input_tokens > body.usage.billed_units.input_tokens);
  });

  test('model lists answer on each provider\'s GET path', async () => {
    const paths = {
      openai: '/openai/v1/models', anthropic: '/anthropic/v1/models',
      gemini: '/gemini/v1beta/models', xai: '/xai/v1/models', cohere: '/cohere/v1/models',
      mistral: '/mistral/v1/models',
    };
    for (const [provider, path] of Object.entries(paths)) {
      const headers = authHeaders(provider, KEY);
      const response = await fetch(`${emulator.url}${path}`, { headers });
      assert.equal(response.status, 200, provider);
      assert.ok(JSON.stringify(await response.json()).length > 20);
    }
  });
});

describe('request recording', () => {
  test('records method, path, body, model and region with every credential redacted', async () => {
    const secret = 'sk-very-secret-value-0123456789';
    await probe('openai', { key: secret, region: 'apac' });
    await probe('anthropic', { key: secret });
    const path = `/gemini/v1beta/models/gemini-2.0-flash:generateContent?key=${secret}`;
    await fetch(`${emulator.url}${path}`,
      { method: 'POST', headers: { 'x-goog-api-key': secret }, body: '{"contents":[]}' });
    const { requests } = await (await fetch(`${emulator.url}/__emulator/requests`)).json();

    assert.ok(!JSON.stringify(requests).includes('very-secret'), 'a credential leaked');
    assert.equal(requests.length, 3);
    const [openai, anthropic, gemini] = requests;
    assert.equal(openai.headers.authorization, '<redacted>');
    assert.equal(openai.region, 'apac');
    assert.equal(openai.model, 'gpt-4o-mini');
    assert.deepEqual(openai.body.messages, [{ role: 'user', content: PING }]);
    assert.equal(openai.method, 'POST');
    assert.equal(openai.path, '/openai/v1/chat/completions');
    assert.ok(!Number.isNaN(Date.parse(openai.received_at)));
    assert.equal(anthropic.headers['x-api-key'], '<redacted>');
    assert.equal(anthropic.headers['anthropic-version'], '2023-06-01');
    assert.equal(gemini.query.key, '<redacted>');
    assert.equal(gemini.headers['x-goog-api-key'], '<redacted>');
    assert.equal(gemini.model, 'gemini-2.0-flash');
  });

  test('DELETE /__emulator/requests empties the record', async () => {
    await probe('cohere');
    const requestsUrl = `${emulator.url}/__emulator/requests`;
    const cleared = await (await fetch(requestsUrl, { method: 'DELETE' })).json();
    const { requests } = await (await fetch(requestsUrl)).json();
    assert.equal(cleared.cleared, 1);
    assert.deepEqual(requests, []);
  });
});

describe('fault configuration API', () => {
  const INVALID = [
    ['not JSON', '{"rules": [', /not JSON/],
    ['an array', '[]', /config must be a JSON object/],
    ['an unknown top-level key', { rule: [] }, /unknown top-level key "rule"/],
    ['a negative seed', { seed: -1 }, /seed must be a non-negative integer/],
    ['an unknown provider', { rules: [{ provider: 'openia' }] }, /rules\[0\]\.provider "openia"/],
    ['an unknown fault', { rules: [{ sequence: ['ok', 'slow'] }] },
      /rules\[0\]\.sequence\[1\] "slow" is not a known fault/],
    ['an empty sequence', { rules: [{ sequence: [] }] },
      /rules\[0\]\.sequence must be a non-empty/],
    ['a zero weight', { rules: [{ mix: [{ fault: 'ok', weight: 0 }] }] },
      /rules\[0\]\.mix\[0\]\.weight must be a positive number/],
    ['a negative latency', { rules: [{ latency_ms: -5 }] }, /rules\[0\]\.latency_ms must be/],
    ['a misspelt rule key', { rules: [{ latency: 5 }] }, /rules\[0\] has unknown key "latency"/],
  ];

  for (const [what, config, reason] of INVALID) {
    test(`a config with ${what} is refused with a 400 that says why`, async () => {
      const before = await (await fetch(`${emulator.url}/__emulator/faults`)).json();
      const { status, body } = await putFaults(config);
      const afterwards = await (await fetch(`${emulator.url}/__emulator/faults`)).json();
      assert.equal(status, 400);
      assert.equal(body.error, 'invalid_fault_config');
      assert.match(body.reason, reason);
      assert.deepEqual(afterwards, before, 'the running config is kept');
    });
  }

  test('a valid config is stored with its defaults filled in and served back', async () => {
    const config = { seed: 5, rules: [{ provider: 'xai', latency_ms: 10 }] };
    const { status, body } = await putFaults(config);
    const served = await (await fetch(`${emulator.url}/__emulator/faults`)).json();
    assert.equal(status, 200);
    assert.deepEqual(served, body.config);
    assert.deepEqual(served.rules[0], {
      provider: 'xai', model: '*', region: '*', latency_ms: 10, body_delay_ms: 5000,
      sequence: null, mix: null,
    });
  });

  test('health reports the emulator up with its counts', async () => {
    const health = await (await fetch(`${emulator.url}/__emulator/health`)).json();
    assert.equal(health.ok, true);
    assert.equal(health.hanging, 0);
  });

  test('startEmulator refuses an invalid config passed in code', async () => {
    await assert.rejects(startEmulator({ faults: { rules: [{ sequence: ['nope'] }] }, log: false }),
      { name: 'FaultConfigError' });
  });
});

describe('command line', () => {
  test('server.mjs prints one listening line, loads --faults and logs requests as JSON',
    async () => {
      const script = fileURLToPath(new URL('./server.mjs', import.meta.url));
      const faults = join(mkdtempSync(join(tmpdir(), 'emulator-')), 'faults.json');
      const config = { rules: [{ provider: 'cohere', sequence: ['quota'] }] };
      writeFileSync(faults, JSON.stringify(config));
      const args = [script, '--port', '0', '--faults', faults];
      const child = spawn(process.execPath, args, { stdio: 'pipe' });
      try {
        const [line] = await firstLine(child.stdout);
        const event = JSON.parse(line);
        assert.deepEqual(Object.keys(event), ['event', 'port']);
        assert.equal(event.event, 'emulator_listening');
        assert.ok(Number.isInteger(event.port) && event.port > 0);
        const response = await fetch(`http://127.0.0.1:${event.port}/cohere/v2/chat`, {
          method: 'POST', headers: { authorization: 'Bearer sk-cli-secret' }, body: '{}',
        });
        assert.equal(response.status, 402);
        const [logLine] = await firstLine(child.stderr);
        assert.equal(JSON.parse(logLine).event, 'request');
        assert.equal(JSON.parse(logLine).fault, 'quota');
        assert.ok(!logLine.includes('sk-cli-secret'));
      } finally {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    });
});

async function firstLine(stream) {
  let buffered = '';
  for await (const chunk of stream) {
    buffered += chunk;
    if (buffered.includes('\n')) return buffered.split('\n');
  }
  throw new Error('stream ended before a full line');
}
