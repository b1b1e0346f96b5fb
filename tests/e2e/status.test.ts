// Official status end to end through `wrangler dev` with D1: status pages served by a local
// stand-in, probes by the emulator. A provider failing at the emulator while its status page
// says operational is one alert that shows the official status; a status feed that breaks is
// one configuration alert for the feed and nothing "recovered"; the pages are asked for
// conditionally and their events are stored once.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { startEmulator } from "../emulator/emulator.mjs";
import { startStatusServer } from "../status/status-server.mjs";
import {
  applyD1Migrations,
  parseEvents,
  queryD1,
  ROOT,
  startWrangler,
  type Wrangler,
} from "../../scripts/lib/harness.ts";
import { startSlackReceiver, type SlackMessage } from "./slack-receiver.ts";

const PERSIST_TO = join(ROOT, ".wrangler/e2e-status");
const FIRST_MINUTE = Date.UTC(2026, 11, 3, 13, 0);
const KEY = "e2e-status-key-8d41c7";
const OPERATIONAL = JSON.stringify({
  page: { id: "tymt9n04zgry", name: "Claude", url: "https://status.claude.com" },
  status: { indicator: "none", description: "All Systems Operational" },
  components: [
    {
      id: "k8w3r06qmzrp",
      name: "Claude API (api.anthropic.com)",
      status: "operational",
      updated_at: "2026-12-01T08:00:00.000Z",
    },
  ],
  incidents: [],
  scheduled_maintenances: [],
});
const MISTRAL = readFileSync(join(ROOT, "tests/fixtures/status/instatus_summary.json"), "utf8");
const CHALLENGE = readFileSync(join(ROOT, "tests/fixtures/status/bot_challenge.html"), "utf8");

let receiver: Awaited<ReturnType<typeof startSlackReceiver>>;
let received: SlackMessage[] = [];
let emulator: Awaited<ReturnType<typeof startEmulator>>;
let pages: Awaited<ReturnType<typeof startStatusServer>>;
let wrangler: Wrangler;

const minute = (i: number) => FIRST_MINUTE + i * 60000;

before(async () => {
  receiver = await startSlackReceiver();
  received = receiver.received;
  pages = await startStatusServer();
  pages.set("/claude/api/v2/summary.json", { body: OPERATIONAL });
  pages.set("/mistral/summary.json", { body: MISTRAL });
  emulator = await startEmulator({
    port: 0,
    log: null,
    faults: { rules: [{ provider: "anthropic", model: "*", sequence: ["overloaded"] }] },
  });
  const config = JSON.stringify({
    regions: ["enam"],
    targets: [
      { provider: "anthropic", model: "claude-haiku-5-5", cadence_min: 1, timeout_ms: 900 },
      { provider: "mistral", model: "mistral-small-latest", cadence_min: 1, timeout_ms: 900 },
    ],
    status: {
      cadence_min: 1,
      sources: [
        {
          id: "anthropic",
          provider: "anthropic",
          format: "statuspage",
          url: `${pages.url}/claude/api/v2/summary.json`,
          components: ["k8w3r06qmzrp"],
        },
        {
          id: "mistral",
          provider: "mistral",
          format: "instatus",
          url: `${pages.url}/mistral/summary.json`,
        },
      ],
    },
  });
  applyD1Migrations(PERSIST_TO);
  wrangler = await startWrangler({
    persistTo: PERSIST_TO,
    vars: {
      HEYHI_CONFIG: config,
      PROVIDER_ORIGIN: emulator.url,
      HEYHI_STORE: "d1",
      ANTHROPIC_API_KEY: KEY,
      MISTRAL_API_KEY: KEY,
      SLACK_WEBHOOK_URL: receiver.url,
    },
  });
});

after(async () => {
  await wrangler?.stop();
  await emulator?.close();
  await pages?.close();
  await receiver?.close();
});

test("the status pages are read, then asked for conditionally, their events stored once", async () => {
  await wrangler.fireMinute(minute(0));
  const reports = parseEvents(wrangler.logs(), "status");
  assert.deepEqual(reports[0]?.states, { anthropic: "events", mistral: "events" });
  pages.set("/mistral/summary.json", { body: CHALLENGE, type: "text/html; charset=UTF-8" });
  await wrangler.fireMinute(minute(1));
  const second = parseEvents(wrangler.logs(), "status")[1];
  assert.deepEqual(second?.states, { anthropic: "not_modified", mistral: "failed" });
  const conditional = pages.requests().filter((r) => r.path.startsWith("/claude"));
  assert.ok(conditional[1]?.headers["if-none-match"], "the second fetch carried the ETag");
  const events = queryD1<{ provider: string; n: number }>(
    PERSIST_TO,
    "select provider, count(*) as n from provider_status_events group by provider order by provider",
  );
  assert.deepEqual(
    events.map((e) => e.provider),
    ["anthropic", "mistral"],
  );
});

test("a provider failing under a green page is one alert showing the official status", async () => {
  for (let i = 2; i <= 5; i++) await wrangler.fireMinute(minute(i));
  const alerts = queryD1<{ rule: string; scope: string; official_status: string }>(
    PERSIST_TO,
    "select rule, scope, official_status from alerts order by rule, scope",
  );
  const outage = alerts.filter((a) => a.scope === "anthropic/claude-haiku-5-5");
  assert.equal(outage.length, 1, JSON.stringify(alerts));
  assert.ok(["provider_errors", "official_mismatch"].includes(outage[0]?.rule ?? ""));
  assert.equal(outage[0]?.official_status, "operational");
  const message = received.find((m) => m.text.includes("Anthropic"));
  assert.ok(message, "the outage reached Slack");
  // The Slack fields read "*Official status*\noperational", next to the failure rate.
  assert.match(JSON.stringify(message), /Official status\*\\noperational/);
});

test("a status feed that breaks raises one configuration alert for it, and no recovered", () => {
  const feed = queryD1<{ rule: string; verdict: string; resolved_at: string | null }>(
    PERSIST_TO,
    "select rule, verdict, resolved_at from alerts where scope = 'status:mistral'",
  );
  assert.deepEqual(feed, [{ rule: "configuration", verdict: "ours", resolved_at: null }]);
  const about = received.filter((m) => m.text.includes("status page unreadable"));
  assert.equal(about.length, 1, "one message for the feed");
  assert.match(JSON.stringify(about[0]), /HTML where JSON was expected/);
  assert.ok(
    received.every((m) => !/RESOLVED|recovered/i.test(m.text)),
    "nothing recovered",
  );
  assert.equal(received.length, 2, "the outage and the feed, once each");
  const [state] = queryD1<{ parse_state: string; failures: number; status: string }>(
    PERSIST_TO,
    "select parse_state, failures, status from status_sources where source = 'mistral'",
  );
  assert.equal(state?.parse_state, "failed");
  assert.ok((state?.failures ?? 0) >= 2);
  assert.equal(state?.status, "partial_outage", "the status it last read is kept");
  assert.ok(wrangler.logs().every((line) => !line.includes(KEY)));
});
