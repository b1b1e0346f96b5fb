// The classifier end to end: each provider's emulated answer to each fault, fetched by the
// shim's runProbe and judged by the core, must give the row a user would expect to read.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import type { Core, DueProbe } from "../../worker-shim/src/core.ts";
import { startEmulator, type Emulator } from "../emulator/emulator.mjs";
import {
  fakeKey,
  loadTestCore,
  plannedProbes,
  probeConfig,
  probeRow,
  PROVIDERS,
  warmUp,
  type ProviderName,
} from "./support.ts";

type Verdict = readonly [errorType: string, attribution: string];

const EXPECTED: Record<string, Verdict> = {
  overloaded: ["overloaded", "provider"],
  server_error: ["server_error", "provider"],
  rate_limited: ["rate_limited", "ambiguous"],
  quota: ["quota", "ours"],
  auth: ["auth", "ours"],
  model_not_found: ["model_not_found", "ours"],
  bad_param: ["probe_config", "ours"],
  gateway_html: ["gateway_error", "provider"],
  edge_blocked: ["edge_blocked", "network"],
  truncated: ["bad_body", "provider"],
  empty: ["bad_body", "provider"],
  hang: ["timeout", "provider"],
  reset: ["connect_error", "network"],
};

let core: Core;
let emulator: Emulator;
let due: Map<string, DueProbe>;

before(async () => {
  core = await loadTestCore();
  emulator = await startEmulator({ port: 0, log: null });
  await warmUp(emulator.url);
  const probes = plannedProbes(core, probeConfig(emulator.url, { timeoutMs: 400 }));
  due = new Map(probes.map((probe) => [probe.provider, probe]));
});

after(() => emulator.close());

async function rowFor(provider: ProviderName, fault: string) {
  const probe = due.get(provider);
  assert.ok(probe, `the plan has a due probe for ${provider}`);
  emulator.setFaults({ rules: [{ provider, sequence: [fault] }] });
  emulator.clearRequests();
  const row = await probeRow(core, probe, fakeKey(probe.request.auth.secret_name));
  const served = emulator.requests().map((request) => request.fault);
  assert.deepEqual(served, [fault], "the emulator served the fault under test, once");
  return row;
}

describe("a healthy answer", () => {
  for (const provider of PROVIDERS) {
    test(`${provider} ok is a success with token counts`, async () => {
      const row = await rowFor(provider, "ok");
      assert.equal(row.ok, true, row.detail ?? "");
      assert.equal(row.error_type, null);
      assert.equal(row.attribution, null);
      assert.equal(row.http_status, 200);
      assert.equal(typeof row.tokens_in, "number");
      assert.equal(typeof row.tokens_out, "number");
    });
  }
});

for (const [fault, [errorType, attribution]] of Object.entries(EXPECTED)) {
  describe(`the ${fault} fault`, () => {
    for (const provider of PROVIDERS) {
      const name = `${provider} ${fault} is ${errorType}, attributed to ${attribution}`;
      // A bound on each cell, so that a broken timeout fails instead of waiting on a hang.
      test(name, { timeout: 5000 }, async () => {
        const row = await rowFor(provider, fault);
        const seen = `${row.error_type}/${row.attribution} (${row.detail})`;
        assert.equal(row.ok, false, seen);
        assert.equal(row.error_type, errorType, seen);
        assert.equal(row.attribution, attribution, seen);
      });
    }
  });
}
