// Fault configuration: validation, rule matching and the per-target choice of the next fault.
//
// Example:
//   {"seed": 1, "rules": [{"provider": "anthropic", "model": "*", "latency_ms": 200,
//     "sequence": ["ok", "overloaded"]}]}
// The first rule whose provider, model and region match (exactly, or `*`) decides. A sequence
// cycles on a counter kept per (provider, model, region); a mix draws from a PRNG seeded per
// (seed, provider, model, region), so each target's draws do not depend on how requests for
// other targets interleave with it.

/** Faults a provider renders in its own error format. */
export const PROVIDER_FAULTS = [
  'overloaded', 'server_error', 'bad_gateway_json', 'rate_limited', 'quota', 'auth',
  'model_not_found', 'bad_param',
];

/** Faults of the path between us and the provider, or of a broken 200. */
export const TRANSPORT_FAULTS = [
  'gateway_html', 'edge_blocked', 'truncated', 'empty', 'not_json', 'hang', 'slow_body', 'reset',
];

export const FAULTS = ['ok', ...PROVIDER_FAULTS, ...TRANSPORT_FAULTS];

export const DEFAULT_BODY_DELAY_MS = 5000;
const MAX_DELAY_MS = 600_000;
const RULE_KEYS = new Set([
  'provider', 'model', 'region', 'latency_ms', 'body_delay_ms', 'sequence', 'mix',
]);

/** Thrown for a configuration that cannot be used; `message` says where and why. */
export class FaultConfigError extends Error {
  name = 'FaultConfigError';
}

/** Returns the normalised configuration, or throws FaultConfigError. */
export function validateFaultConfig(raw, providerNames) {
  if (!isPlainObject(raw)) fail('config must be a JSON object');
  const unknown = Object.keys(raw).find((key) => key !== 'seed' && key !== 'rules');
  if (unknown) fail(`unknown top-level key "${unknown}" (expected "seed", "rules")`);
  const seed = raw.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) fail('seed must be a non-negative integer');
  const rules = raw.rules ?? [];
  if (!Array.isArray(rules)) fail('rules must be an array');
  return { seed, rules: rules.map((rule, i) => validateRule(rule, `rules[${i}]`, providerNames)) };
}

function validateRule(rule, where, providerNames) {
  if (!isPlainObject(rule)) fail(`${where} must be an object`);
  const unknown = Object.keys(rule).find((key) => !RULE_KEYS.has(key));
  if (unknown) fail(`${where} has unknown key "${unknown}"`);
  const provider = selector(rule.provider, `${where}.provider`);
  if (provider !== '*' && !providerNames.includes(provider)) {
    fail(`${where}.provider "${provider}" is not one of ${providerNames.join(', ')} or *`);
  }
  return {
    provider,
    model: selector(rule.model, `${where}.model`),
    region: selector(rule.region, `${where}.region`),
    latency_ms: delay(rule.latency_ms, `${where}.latency_ms`, 0),
    body_delay_ms: delay(rule.body_delay_ms, `${where}.body_delay_ms`, DEFAULT_BODY_DELAY_MS),
    sequence: rule.sequence === undefined ? null : sequence(rule.sequence, `${where}.sequence`),
    mix: rule.mix === undefined ? null : mix(rule.mix, `${where}.mix`),
  };
}

function selector(value, where) {
  if (value === undefined) return '*';
  if (typeof value !== 'string' || value === '') fail(`${where} must be a non-empty string`);
  return value;
}

function delay(value, where, fallback) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_DELAY_MS) {
    fail(`${where} must be a number of milliseconds between 0 and ${MAX_DELAY_MS}`);
  }
  return value;
}

function sequence(value, where) {
  if (!Array.isArray(value) || value.length === 0) fail(`${where} must be a non-empty array`);
  value.forEach((name, i) => faultName(name, `${where}[${i}]`));
  return [...value];
}

function mix(value, where) {
  if (!Array.isArray(value) || value.length === 0) fail(`${where} must be a non-empty array`);
  return value.map((entry, i) => {
    const at = `${where}[${i}]`;
    if (!isPlainObject(entry)) fail(`${at} must be an object with "fault" and "weight"`);
    const unknown = Object.keys(entry).find((key) => key !== 'fault' && key !== 'weight');
    if (unknown) fail(`${at} has unknown key "${unknown}"`);
    faultName(entry.fault, `${at}.fault`);
    const weight = entry.weight;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
      fail(`${at}.weight must be a positive number`);
    }
    return { fault: entry.fault, weight };
  });
}

function faultName(name, where) {
  if (!FAULTS.includes(name)) {
    fail(`${where} "${name}" is not a known fault (${FAULTS.join(', ')})`);
  }
}

function fail(reason) {
  throw new FaultConfigError(reason);
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The decision for one request: which fault, and how long to hold headers and body. */
export function createFaultPlan(config) {
  const counters = new Map();
  const generators = new Map();

  function pick(provider, model, region) {
    const rule = config.rules.find((r) => matches(r, provider, model, region));
    if (!rule) return { fault: 'ok', latency_ms: 0, body_delay_ms: DEFAULT_BODY_DELAY_MS };
    const key = `${provider}\u0000${model}\u0000${region}`;
    const fault = rule.sequence ? nextInSequence(rule.sequence, key)
      : rule.mix ? draw(rule.mix, key) : 'ok';
    return { fault, latency_ms: rule.latency_ms, body_delay_ms: rule.body_delay_ms };
  }

  function nextInSequence(list, key) {
    const count = counters.get(key) ?? 0;
    counters.set(key, count + 1);
    return list[count % list.length];
  }

  function draw(entries, key) {
    if (!generators.has(key)) generators.set(key, xorshift32(hash32(`${config.seed}\u0000${key}`)));
    const total = entries.reduce((sum, entry) => sum + entry.weight, 0);
    let point = generators.get(key)() * total;
    for (const entry of entries) {
      point -= entry.weight;
      if (point < 0) return entry.fault;
    }
    return entries.at(-1).fault;
  }

  return { config, pick };
}

function matches(rule, provider, model, region) {
  return selects(rule.provider, provider) && selects(rule.model, model)
    && selects(rule.region, region);
}

function selects(selectorValue, value) {
  return selectorValue === '*' || selectorValue === value;
}

/** FNV-1a over UTF-16 code units: a cheap, stable 32-bit seed from a string. */
function hash32(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Marsaglia's xorshift32; returns floats in [0, 1). Zero is a fixed point, so avoid it. */
function xorshift32(seed) {
  let state = seed >>> 0 || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x100000000;
  };
}
