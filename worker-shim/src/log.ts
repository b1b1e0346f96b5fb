// One JSON object per event on the console, which Workers Logs and `wrangler tail` keep as
// structured fields. Every value is scrubbed of the secrets this isolate knows before it is
// written, so a provider echoing a key cannot put it in the log.
import { secretRedactor } from "./redact.ts";

export type LogFields = Record<string, unknown>;

export interface Logger {
  event(name: string, fields?: LogFields): void;
}

export function createLogger(secrets: readonly string[], sink: (line: string) => void): Logger {
  const scrub = secretRedactor(secrets);
  return {
    event(name, fields = {}) {
      sink(scrub(JSON.stringify({ event: name, ...fields })));
    },
  };
}

export function consoleLogger(secrets: readonly string[]): Logger {
  return createLogger(secrets, (line) => console.log(line));
}
