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
