// The budget check through a real `wrangler dev`: a configuration whose minute would need
// more subrequests than the Workers Free plan allows is refused at start-up, with the count,
// the excess and what to change, and no probe is sent.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { startEmulator } from "../emulator/emulator.mjs";
import {
  applyD1Migrations,
  parseEvents,
  ROOT,
  startWrangler,
  type Wrangler,
} from "../../scripts/lib/harness.ts";

const PERSIST_TO = join(ROOT, ".wrangler/e2e-budget");
// 52 targets due every minute: each region's object would need 52 probes, a colo lookup and
// a write; and over nine regions an hour's lookback is 29 pages of rows for the scheduled
// handler to read.
const OVERSIZED = JSON.stringify({
  regions: ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"],
  alerting: { recovery_min: 60 },
  targets: Array.from({ length: 52 }, (_, i) => ({
    provider: i % 2 ? "openai" : "mistral",
    model: `budget-${i}`,
    cadence_min: 1,
  })),
});

let emulator: Awaited<ReturnType<typeof startEmulator>>;
let wrangler: Wrangler;

before(async () => {
  emulator = await startEmulator({ port: 0, log: null });
  applyD1Migrations(PERSIST_TO);
  wrangler = await startWrangler({
    persistTo: PERSIST_TO,
    vars: { HEYHI_CONFIG: OVERSIZED, PROVIDER_ORIGIN: emulator.url, HEYHI_STORE: "d1" },
  });
});

after(async () => {
  await wrangler?.stop();
  await emulator?.close();
});

const REGION_EXCESS =
  /^each region's object would make 54 subrequests in a minute, 4 over the Workers Free plan's 50 \(probes due at once in the busiest minute: 52; colo lookup/;

test("the health document refuses the configuration, saying by how much and what to change", async () => {
  const response = await fetch(`${wrangler.url}/health`);
  assert.equal(response.status, 500);
  const health = (await response.json()) as {
    ok: boolean;
    errors: Array<{ field: string; message: string }>;
  };
  assert.equal(health.ok, false);
  const region = health.errors.find((e) => e.field === "targets");
  assert.match(region?.message ?? "", REGION_EXCESS);
  assert.match(
    region?.message ?? "",
    /set alerting\.confirm_min to 0 so that cadence_min spreads them/,
  );
  const scheduled = health.errors.find((e) => e.field === "regions");
  assert.match(scheduled?.message ?? "", /^the scheduled handler would make \d+ subrequests/);
});

test("a cron minute logs the refusal and probes nothing", async () => {
  await wrangler.fireMinute(Date.UTC(2026, 11, 3, 16, 0));
  // The handler has answered; its log line may still be on its way through wrangler.
  const deadline = Date.now() + 5000;
  while (parseEvents(wrangler.logs(), "config_invalid").length === 0 && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, 50));
  }
  const [event] = parseEvents(wrangler.logs(), "config_invalid");
  const errors = (event?.errors ?? []) as Array<{ field: string; message: string }>;
  assert.match(errors.find((e) => e.field === "targets")?.message ?? "", REGION_EXCESS);
  assert.equal(emulator.requests().length, 0);
  assert.equal(emulator.traces().length, 0);
  assert.deepEqual(wrangler.runLogs(), []);
});
