// scripts/run against the emulator: what it hands the Worker as its configuration, and how it
// reports the channels the Worker refused.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  deployedWarnings,
  offlineConfig,
  refusedChannelLines,
} from "../../scripts/lib/run-settings.ts";
import { loadTestCore } from "../shim/support.ts";

const embedded = readFileSync(
  new URL("../../worker-shim/config/healthboard.json", import.meta.url),
  "utf8",
);
const core = await loadTestCore();

test("offline, the embedded configuration goes without its status sources", () => {
  assert.ok(JSON.parse(embedded).status.sources.length > 0);
  const handed = JSON.parse(offlineConfig(core, undefined, embedded)!);
  assert.deepEqual(handed.status.sources, []);
  assert.deepEqual(handed.targets, JSON.parse(embedded).targets);
});

test("offline, the user's configuration keeps its settings and loses its status sources", () => {
  const mine = JSON.parse(embedded);
  mine.alerting = { ...mine.alerting, provider_errors: { rate: 0.3 } };
  const handed = JSON.parse(offlineConfig(core, JSON.stringify(mine), embedded)!);
  assert.deepEqual(handed.status.sources, []);
  assert.equal(handed.alerting.provider_errors.rate, 0.3);
  assert.ok(core.validateConfig(JSON.stringify(handed)).ok);
});

test("a configuration the Worker would refuse is handed over as it is, for it to say why", () => {
  // A key given twice, which JSON.parse would settle quietly on the last.
  const twice = embedded.replace("{", '{"regions":["enam"],');
  assert.equal(core.validateConfig(twice).ok, false);
  assert.equal(offlineConfig(core, twice, embedded), undefined);
  assert.equal(offlineConfig(core, "{not json", embedded), undefined);
});

test("refused channels are listed by setting and reason, and nothing is said without any", () => {
  assert.deepEqual(refusedChannelLines([]), []);
  const lines = refusedChannelLines([
    { field: "ALERT_WEBHOOK_URL", message: "must be an https URL" },
  ]);
  assert.match(lines[0]!, /refused/);
  assert.equal(lines[1], "  ALERT_WEBHOOK_URL: must be an https URL");
});

test("the warnings said for an offline run are those of the configuration as deployed", () => {
  // Two runs of the outside vantage a minute or so: D1's rows on the worst day pass the
  // allowance only with the status pages' rows, which the offline run leaves out.
  const mine = JSON.parse(embedded);
  mine.cost = { ...mine.cost, outside_runs_per_day: 600 };
  const deployed = JSON.stringify(mine);
  const exceeded = (warnings: Array<Record<string, unknown>>) =>
    warnings.filter((w) => w.event === "free_allowance_exceeded" && w.service === "d1");
  assert.equal(
    exceeded(deployedWarnings(core, offlineConfig(core, deployed, embedded)!)).length,
    0,
  );
  const said = exceeded(deployedWarnings(core, deployed));
  assert.equal(said.length, 1);
  assert.ok((said[0]!.used as number) > (said[0]!.limit as number));
  assert.deepEqual(deployedWarnings(core, embedded), []);
});
