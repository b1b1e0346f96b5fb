// The shim knows the actual secret values; the core only recognises what looks like a key.
// Anything the shim writes (log lines, stored rows) passes through a redactor built from them.
const MIN_SECRET_LENGTH = 8; // shorter values would redact ordinary words

export type Redactor = (text: string) => string;

// Longest first, so that a whole value is redacted as one and not left in pieces around a
// shorter part of it.
export function secretRedactor(secrets: readonly string[]): Redactor {
  const known = [...new Set(secrets)]
    .filter((secret) => secret.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  return (text) => known.reduce((out, secret) => out.split(secret).join("[redacted]"), text);
}

/**
 * A secret and, if it is a URL, the parts of it a receiver may echo on their own ("Cannot
 * POST /services/T0/B0/x", a query's token): a webhook URL's credential is its path or query.
 */
export function secretParts(value: string): string[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [value];
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return [value];
  const parts = [value, url.pathname + url.search, url.pathname, url.search.slice(1)];
  for (const piece of [url.username, url.password, ...url.searchParams.values()]) {
    parts.push(piece, decoded(piece));
  }
  return parts.filter((part) => part.length > 0);
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
