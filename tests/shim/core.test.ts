// Loading the core and calling across the JSON boundary, as the Worker and Node both do.
import assert from "node:assert/strict";
import { test } from "node:test";

import { loadCore } from "../../worker-shim/src/core.ts";
import { loadTestCore } from "./support.ts";

type Compiled = WebAssembly.Module;
const CompiledModule = WebAssembly.Module as unknown as new (bytes: Uint8Array) => Compiled;

// The smallest module that cannot be instantiated with the glue's imports: it imports a
// function `f` from a module named `nope`.
const UNLINKABLE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 2, 10, 1, 4, 110, 111, 112, 101, 1, 102, 0, 0,
]);

test("a module that cannot be instantiated rejects the load instead of hanging", async () => {
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("hung")), 2000));
  await assert.rejects(Promise.race([loadCore(new CompiledModule(UNLINKABLE)), timeout]), /nope/);
});

test("answers survive memory growth inside a call", async () => {
  const core = await loadTestCore();
  // A body far larger than the module's initial memory makes the call grow it.
  const body = JSON.stringify({ message: "x".repeat(24 * 1024 * 1024) });
  const answer = core.classify({
    provider: "cohere",
    model: "m",
    region: "enam",
    colo: null,
    scheduled_ms: 0,
    started_ms: 0,
    timeout_ms: 3000,
    outcome: { status: 500, body, ms_total: 1 },
  });
  assert.ok(answer.ok);
  assert.equal(answer.row.error_type, "server_error");
  assert.ok((answer.row.detail ?? "").length <= 200);
});

test("evaluate crosses the WebAssembly boundary and opens an alert for a full outage", async () => {
  const core = await loadTestCore();
  const config = JSON.stringify({
    regions: ["enam", "weur"],
    targets: [{ provider: "anthropic", model: "claude-haiku-5-5", cadence_min: 1 }],
  });
  // Three minutes from two regions: the six failures the rule asks for, two per region.
  const rows = [0, 1, 2].flatMap((minute) =>
    ["enam", "weur"].map((region) => ({
      scheduled_at: `2026-12-03T12:0${minute}:00Z`,
      ts: `2026-12-03T12:0${minute}:00.250Z`,
      region,
      colo: null,
      provider: "anthropic",
      model: "claude-haiku-5-5",
      ok: false,
      http_status: 529,
      error_type: "overloaded",
      attribution: "provider",
      latency_ms: 120,
      ttfb_ms: 118,
      tokens_in: null,
      tokens_out: null,
      request_id: null,
      detail: "529 overloaded_error: Overloaded",
    })),
  );
  const answer = core.evaluate(config, {
    now_ms: Date.UTC(2026, 11, 3, 12, 2),
    rows,
    open_alerts: [],
    official: {},
  });
  assert.ok(answer.ok, JSON.stringify(answer));
  assert.equal(answer.actions.length, 1);
  const [action] = answer.actions;
  assert.equal(action?.kind, "open");
  assert.equal(action?.alert.rule, "provider_errors");
  assert.equal(action?.alert.verdict, "provider");
  assert.equal(action?.alert.measured.failures, 6);
  assert.equal(action?.alert.measured.error_types.overloaded, 6);

  const figures = core.aggregate(rows, Date.UTC(2026, 11, 3, 12, 1), 5);
  assert.ok(figures.ok, JSON.stringify(figures));
  assert.equal(figures.overall.probes, 4);
  assert.equal(figures.overall.failures.provider, 4);
  assert.equal(figures.overall.provider_failure_rate, 1);
  assert.deepEqual(
    figures.regions.map((r) => r.region),
    ["enam", "weur"],
  );

  assert.ok(action);
  const rendered = core.renderNotification(action, { board: "https://heyhi.example/" });
  assert.ok(rendered.ok, JSON.stringify(rendered));
  assert.match(rendered.slack.text, /Anthropic/);
  assert.match(rendered.email.subject, /OPEN/);
  assert.equal(rendered.webhook.schema, "heyhi.alert.v1");
  assert.deepEqual(core.validateSlackMessage(JSON.stringify(rendered.slack)), { ok: true });
  const tooLong = {
    text: "x",
    blocks: [{ type: "header", text: { type: "plain_text", text: "y".repeat(151) } }],
  };
  assert.equal(core.validateSlackMessage(JSON.stringify(tooLong)).ok, false);

  // The same rows as a store's pages, split anywhere, with empty pages between, decide alike;
  // a page that is no array is refused before the core is asked.
  const input = { now_ms: Date.UTC(2026, 11, 3, 12, 2), open_alerts: [], official: {} };
  const pages = ["[]", JSON.stringify(rows.slice(0, 1)), " [ ] ", JSON.stringify(rows.slice(1))];
  assert.deepEqual(core.evaluate(config, { ...input, rows: [] }, pages), answer);
  assert.deepEqual(
    core.evaluate(config, { ...input, rows: rows.slice(0, 1) }, pages.slice(3)),
    answer,
  );
  const fewer = core.evaluate(config, { ...input, rows: [] }, pages.slice(3));
  assert.deepEqual(fewer, { ok: true, actions: [] }, "five failures are not yet an alert");
  const cut = core.evaluate(config, { ...input, rows: [] }, [JSON.stringify(rows).slice(0, -2)]);
  assert.deepEqual(cut, {
    ok: false,
    errors: [{ field: "rows", message: "every page must be a JSON array" }],
  });
});
