// Helpers shared by the provider modules: response records, ids, key handling, token counts.
//
// A response record is plain data, `{status, headers, body}`, with `body` already a string, so
// that the transport layer can cut it in half, delay it or drop it without knowing its shape.

import { randomBytes, randomUUID } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A JSON response record. `indent` follows the provider's own pretty-printing, if any. */
export function json(status, body, headers = {}, indent = undefined) {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body, null, indent),
  };
}

export function hex(bytes) {
  return randomBytes(bytes).toString('hex');
}

export function uuid() {
  return randomUUID();
}

export function base62(length) {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += BASE62[byte % BASE62.length];
  return out;
}

export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

/** Reads `Authorization: Bearer <key>`; a header with another scheme counts as no key. */
export function bearerKey(headers) {
  const value = headers.authorization;
  if (typeof value !== 'string') return null;
  const match = /^Bearer\s+(.+)$/i.exec(value.trim());
  return match ? match[1].trim() : null;
}

/** The emulator's only notion of a rejected key: `bad`, or anything starting with `invalid`. */
export function isRejectedKey(key) {
  return key === 'bad' || key.startsWith('invalid');
}

/**
 * Masks a key the way OpenAI's 401 message does (first 8, stars, last 4 for a long key), but
 * never shows more than a quarter of the key at each end, so a short key is never echoed.
 */
export function maskKey(key) {
  const shown = Math.floor(key.length / 4);
  const head = Math.min(8, shown);
  const tail = Math.min(4, shown);
  const stars = Math.max(3, key.length - head - tail);
  return key.slice(0, head) + '*'.repeat(stars) + (tail > 0 ? key.slice(-tail) : '');
}

/** xAI's message shows two characters at each end around three stars. */
export function maskKeyShort(key) {
  if (key.length < 8) return '***';
  return `${key.slice(0, 2)}***${key.slice(-2)}`;
}

/** Concatenates every text fragment found in a message list of any of the providers' shapes. */
export function promptText(messages) {
  if (!Array.isArray(messages)) return '';
  return messages.map((message) => contentText(message?.content ?? message?.parts)).join(' ');
}

function contentText(content) {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join(' ');
}

/** A stable, plausible prompt size: a fixed chat-template overhead plus ~4 characters a token. */
export function promptTokens(text, overhead) {
  return overhead + Math.max(1, Math.ceil(text.length / 4));
}

/** The one word every emulated model answers with; it is a single token for all tokenizers. */
export const ANSWER = 'Hello';

/** The budget that a request asked for, or null when it set none. */
export function budgetOf(...values) {
  for (const value of values) {
    if (Number.isInteger(value) && value > 0) return value;
  }
  return null;
}

export function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The chat and model-list routes that OpenAI and the APIs modelled on it (xAI, Mistral) share. */
export function chatCompletionsRoute(method, path) {
  if (method === 'POST' && path === '/v1/chat/completions') return { kind: 'chat' };
  if (method === 'GET' && path === '/v1/models') return { kind: 'models' };
  return null;
}

/** An OpenAI-style `GET /v1/models` answer listing `ids`. */
export function modelList(ids, created, ownedBy) {
  const data = ids.map((id) => ({ id, object: 'model', created, owned_by: ownedBy }));
  return json(200, { object: 'list', data });
}
