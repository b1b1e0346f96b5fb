// One JSON object per event on the console, which Workers Logs and `wrangler tail` keep as
// structured fields. Every value is scrubbed of the secrets this isolate knows before it is
// written, so a provider echoing a key cannot put it in the log.
export type LogFields = Record<string, unknown>;

export interface Logger {
  event(name: string, fields?: LogFields): void;
}

export function createLogger(secrets: readonly string[], sink: (line: string) => void): Logger {
  const known = secrets.filter((secret) => secret.length >= 8);
  const scrub = (text: string): string =>
    known.reduce((out, secret) => out.split(secret).join("[redacted]"), text);
  return {
    event(name, fields = {}) {
      sink(scrub(JSON.stringify({ event: name, ...fields })));
    },
  };
}

export function consoleLogger(secrets: readonly string[]): Logger {
  return createLogger(secrets, (line) => console.log(line));
}
