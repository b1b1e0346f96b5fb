// The shim knows the actual secret values; the core only recognises what looks like a key.
// Anything the shim writes (log lines, stored rows) passes through a redactor built from them.
const MIN_SECRET_LENGTH = 8; // shorter values would redact ordinary words

export type Redactor = (text: string) => string;

export function secretRedactor(secrets: readonly string[]): Redactor {
  const known = secrets.filter((secret) => secret.length >= MIN_SECRET_LENGTH);
  return (text) => known.reduce((out, secret) => out.split(secret).join("[redacted]"), text);
}
