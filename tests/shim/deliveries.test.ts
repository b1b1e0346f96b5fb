// alerts.ts delivering what is due: each outcome is recorded on its delivery, and a message
// given up on is said in the log, as a dead channel is.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";

import { runAlerts } from "../../worker-shim/src/alerts.ts";
import type { Core } from "../../worker-shim/src/core.ts";
import { loadSettings } from "../../worker-shim/src/settings.ts";
import type { Delivery, DeliveryUpdate } from "../../worker-shim/src/store/alerts.ts";
import type { Store } from "../../worker-shim/src/store/store.ts";
import { captureLog, loadTestCore, recordingStore, testSettings } from "./support.ts";

const NOW = Date.UTC(2026, 11, 3, 14, 0);
const CONFIG = JSON.stringify({
  regions: ["enam"],
  targets: [{ provider: "openai", model: "gpt-6-luna", cadence_min: 1 }],
});

let core: Core;
let slackUrl: string;
const posted: string[] = [];
const server = createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    posted.push(request.url ?? "");
    if (request.url === "/limited" || request.url === "/forever") {
      const wait = request.url === "/limited" ? "120" : "99999999999999";
      response.writeHead(429, { "retry-after": wait }).end("rate_limited");
      return;
    }
    if (request.url?.startsWith("/echo/")) {
      response.writeHead(404, { "content-type": "text/plain" }).end(`Cannot POST ${request.url}`);
      return;
    }
    const [status, body] = request.url === "/refused" ? [400, "invalid_payload"] : [503, "busy"];
    response.writeHead(status, { "content-type": "text/plain" }).end(body);
  });
});

before(async () => {
  core = await loadTestCore();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  slackUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

function due(attempts: number, id = 41): Delivery {
  return {
    id,
    alert_id: 7,
    event: "open",
    event_at: new Date(NOW).toISOString(),
    channel: "slack",
    payload: JSON.stringify({ text: "OPEN: OpenAI gpt-6-luna" }),
    // Due a while before this run, as a message in backoff is.
    next_attempt_at: new Date(NOW - 30 * 60_000).toISOString(),
    status: "pending",
    attempts,
    last_error: null,
    sent_at: null,
  };
}

async function deliverOnce(path: string, attempts: number, count = 1, secrets: string[] = []) {
  const marks: DeliveryUpdate[] = [];
  const deliveries = Array.from({ length: count }, (_, i) => due(attempts, 41 + i));
  const store: Store = {
    ...recordingStore(),
    dueDeliveries: async () => ({ ok: true, deliveries }),
    async markDelivery(_id, update) {
      marks.push(update);
      return { ok: true, updated: true };
    },
  };
  const settings = testSettings(core, CONFIG, store, {});
  settings.channels = [{ name: "slack", kind: "slack", url: `${slackUrl}${path}` }];
  settings.secretValues = secrets;
  const logged = captureLog([]);
  await runAlerts({ core, settings, log: logged.log, kept: [] }, NOW);
  return { marks, events: logged.events() };
}

describe("delivering what is due", () => {
  test("a message refused as it is, is given up on and said so in the log", async () => {
    const { marks, events } = await deliverOnce("/refused", 0);
    assert.equal(marks[0]?.status, "dead");
    const given = events.find((e) => e.event === "delivery_given_up");
    assert.equal(given?.id, 41);
    assert.equal(given?.channel, "slack");
    assert.equal(given?.attempts, 1);
    assert.equal(given?.alert_event, "open");
    assert.match(String(given?.reason), /slack 400: invalid_payload/);
    assert.ok(!events.some((e) => e.event === "channel_dead"));
  });

  test("a message still failing after its last attempt is given up on, said once", async () => {
    const { marks, events } = await deliverOnce("/busy", 9);
    assert.equal(marks[0]?.status, "dead");
    assert.equal(marks[0]?.attempts, 10);
    assert.equal(marks[0]?.next_attempt_at, new Date(NOW).toISOString(), "dated when given up");
    const given = events.filter((e) => e.event === "delivery_given_up");
    assert.equal(given.length, 1);
    assert.equal(given[0]?.attempts, 10);
  });

  test("a channel that answered Retry-After gets nothing more in that run", async () => {
    posted.length = 0;
    const { marks } = await deliverOnce("/limited", 0, 3);
    assert.deepEqual(posted, ["/limited"]);
    assert.equal(marks.length, 1);
    assert.equal(marks[0]?.status, "pending");
    assert.equal(marks[0]?.next_attempt_at, new Date(NOW + 120_000).toISOString());
  });

  test("a receiver's echo of the webhook's secret path is redacted in store and log", async () => {
    const path = "/echo/services/T0/B0/hooksecret4711";
    const { secretValues } = loadSettings(core, {
      DB: {} as D1Database,
      SLACK_WEBHOOK_URL: `${slackUrl}${path}`,
    });
    const { marks, events } = await deliverOnce(path, 0, 1, secretValues);
    assert.equal(marks[0]?.status, "dead");
    assert.equal(marks[0]?.last_error, "channel dead: slack 404: Cannot POST [redacted]");
    assert.ok(!JSON.stringify(events).includes("hooksecret4711"));
  });

  test("with no channel left, a pending message is given up on, not kept for later", async () => {
    const marks: DeliveryUpdate[] = [];
    const store: Store = {
      ...recordingStore(),
      dueDeliveries: async () => ({ ok: true, deliveries: [due(0)] }),
      async markDelivery(_id, update) {
        marks.push(update);
        return { ok: true, updated: true };
      },
    };
    const settings = testSettings(core, CONFIG, store, {});
    assert.deepEqual(settings.channels, []);
    await runAlerts({ core, settings, log: captureLog([]).log, kept: [] }, NOW);
    assert.equal(marks[0]?.status, "dead");
    assert.equal(marks[0]?.last_error, "channel slack is no longer configured");
  });

  test("a Retry-After far in the future is waited out for an hour, not thrown on", async () => {
    const { marks } = await deliverOnce("/forever", 0);
    assert.equal(marks[0]?.status, "pending");
    assert.equal(marks[0]?.next_attempt_at, new Date(NOW + 3_600_000).toISOString());
  });

  test("a message that can still be retried is kept pending and not given up on", async () => {
    const { marks, events } = await deliverOnce("/busy", 0);
    assert.equal(marks[0]?.status, "pending");
    assert.ok(!events.some((e) => e.event === "delivery_given_up"));
  });
});
