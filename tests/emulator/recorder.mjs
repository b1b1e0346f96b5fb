// In-memory record of every request the emulator received, with credentials redacted.

const SECRET_HEADERS = new Set([
  'authorization', 'proxy-authorization', 'x-api-key', 'x-goog-api-key', 'api-key', 'cookie',
]);
const SECRET_QUERY = new Set(['key', 'api_key', 'access_token']);
export const REDACTED = '<redacted>';

// Bounded so that a long-running emulator cannot grow without limit; oldest entries go first.
const DEFAULT_LIMIT = 10_000;

export function redactHeaders(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = SECRET_HEADERS.has(name) ? REDACTED : value;
  }
  return out;
}

export function redactQuery(searchParams) {
  const out = {};
  for (const [name, value] of searchParams) {
    out[name] = SECRET_QUERY.has(name) ? REDACTED : value;
  }
  return out;
}

export function createRecorder(limit = DEFAULT_LIMIT) {
  let entries = [];
  let nextId = 1;

  return {
    /** Stores a request and returns its entry, which the caller completes with the outcome. */
    add(fields) {
      const entry = { id: nextId, ...fields };
      nextId += 1;
      entries.push(entry);
      if (entries.length > limit) entries = entries.slice(-limit);
      return entry;
    },
    list: () => entries.slice(),
    count: () => entries.length,
    clear() {
      const cleared = entries.length;
      entries = [];
      return cleared;
    },
  };
}
