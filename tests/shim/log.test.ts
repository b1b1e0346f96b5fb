// log.ts: one JSON object per line, with every secret the isolate knows taken out first.
import assert from "node:assert/strict";
import { test } from "node:test";

import { captureLog } from "./support.ts";

const OPENAI = "fake-openai-key-0a1b2c3d";
const SUPABASE = "fake-service-role-9z8y7x6w";

test("a known secret is redacted from every field, however deeply nested", () => {
  const { log, lines } = captureLog([OPENAI, SUPABASE]);
  log.event("probe", {
    detail: `401: Incorrect API key provided: ${OPENAI}.`,
    write: { ok: false, reason: `postgrest 401 with key ${SUPABASE}` },
    failures: [{ request_id: OPENAI }, `${SUPABASE}${OPENAI}`],
  });
  const [line = ""] = lines;
  assert.ok(!line.includes(OPENAI), line);
  assert.ok(!line.includes(SUPABASE), line);
  const event = JSON.parse(line);
  assert.equal(event.detail, "401: Incorrect API key provided: [redacted].");
  assert.equal(event.write.reason, "postgrest 401 with key [redacted]");
  assert.deepEqual(event.failures, [{ request_id: "[redacted]" }, "[redacted][redacted]"]);
});

test("a secret in a field's name or the event's name is redacted as well", () => {
  const { log, lines } = captureLog([OPENAI]);
  log.event(`run ${OPENAI}`, { [OPENAI]: 1 });
  assert.ok(!lines.join("").includes(OPENAI));
  assert.deepEqual(JSON.parse(lines[0] ?? ""), { event: "run [redacted]", "[redacted]": 1 });
});

test("each event is one line holding one JSON object that starts with the event name", () => {
  const { log, lines } = captureLog([]);
  log.event("run", { due: 3, note: "first line\nsecond line" });
  log.event("config_invalid");
  assert.equal(lines.length, 2);
  for (const line of lines) assert.ok(!line.includes("\n"), line);
  assert.deepEqual(JSON.parse(lines[0] ?? ""), {
    event: "run",
    due: 3,
    note: "first line\nsecond line",
  });
  assert.deepEqual(JSON.parse(lines[1] ?? ""), { event: "config_invalid" });
  assert.ok(lines[0]?.startsWith('{"event":"run"'));
});

test("a value too short to be a key does not blank out ordinary words", () => {
  const { log, lines } = captureLog(["run", "", OPENAI]);
  log.event("run", { detail: "the run finished" });
  assert.deepEqual(JSON.parse(lines[0] ?? ""), { event: "run", detail: "the run finished" });
});
