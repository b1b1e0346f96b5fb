// The notification senders against a local receiver that answers as Slack, a generic
// webhook endpoint and an HTTP email API do.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";

import { sendEmail } from "../../worker-shim/src/notify/email.ts";
import { defaultSendDeps, retryAfterMs } from "../../worker-shim/src/notify/send.ts";
import { sendSlack } from "../../worker-shim/src/notify/slack.ts";
import { sendWebhook } from "../../worker-shim/src/notify/webhook.ts";

interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

type Reply = { status: number; body: string; headers?: Record<string, string> };

const received: Received[] = [];
const replies = new Map<string, Reply>();
let base: string;
let close: () => Promise<void>;
const NOW = Date.UTC(2026, 11, 3, 12, 0);

function handle(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const path = req.url ?? "/";
    received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
    const reply = replies.get(path) ?? { status: 200, body: "ok" };
    res.writeHead(reply.status, { "content-type": "text/plain", ...reply.headers });
    res.end(reply.body);
  });
}

before(async () => {
  const server = createServer(handle);
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((done) => server.close(() => done()));
});

after(() => close());

function answer(path: string, reply: Reply): string {
  replies.set(path, reply);
  return `${base}${path}`;
}

describe("slack", () => {
  const payload = JSON.stringify({ text: "HeyHi: OpenAI failing", blocks: [] });

  test("a body of exactly ok is sent", async () => {
    const url = answer("/slack/ok", { status: 200, body: "ok" });
    assert.deepEqual(await sendSlack(defaultSendDeps, url, payload, NOW), { outcome: "sent" });
    assert.equal(received.at(-1)?.body, payload);
    assert.equal(received.at(-1)?.headers["content-type"], "application/json");
  });

  test("a 429 is retried after Slack's Retry-After", async () => {
    const url = answer("/slack/429", {
      status: 429,
      body: "rate_limited",
      headers: { "retry-after": "30" },
    });
    const result = await sendSlack(defaultSendDeps, url, payload, NOW);
    assert.equal(result.outcome, "retry");
    assert.equal(result.outcome === "retry" && result.retryAfterMs, 30000);
  });

  test("no_service and channel_not_found mark the webhook dead", async () => {
    for (const error of ["no_service", "channel_not_found"]) {
      const url = answer(`/slack/${error}`, { status: 404, body: error });
      const result = await sendSlack(defaultSendDeps, url, payload, NOW);
      assert.equal(result.outcome, "dead_channel", error);
      assert.match(result.outcome === "dead_channel" ? result.reason : "", new RegExp(error));
    }
  });

  test("a refused payload fails this message only, a 5xx is retried", async () => {
    const bad = answer("/slack/invalid", { status: 400, body: "invalid_payload" });
    assert.equal((await sendSlack(defaultSendDeps, bad, payload, NOW)).outcome, "failed");
    const down = answer("/slack/500", { status: 500, body: "" });
    assert.equal((await sendSlack(defaultSendDeps, down, payload, NOW)).outcome, "retry");
  });

  test("a 200 whose body is not ok is not a success, and is tried again later", async () => {
    const page = `<html>${"sign in to the proxy ".repeat(40)}</html>`;
    const url = answer("/slack/odd", { status: 200, body: page });
    const result = await sendSlack(defaultSendDeps, url, payload, NOW);
    assert.equal(result.outcome, "retry");
    assert.ok(result.reason.length <= 220, result.reason);
    assert.match(result.reason, /^slack 200: <html>sign in/);
    for (const body of ["", "OK", '{"ok":true}']) {
      const odd = answer(`/slack/odd-${body.length}`, { status: 200, body });
      assert.equal((await sendSlack(defaultSendDeps, odd, payload, NOW)).outcome, "retry", body);
    }
  });

  test("an unreachable webhook is retried, not thrown", async () => {
    const result = await sendSlack(defaultSendDeps, "http://127.0.0.1:9/x", payload, NOW);
    assert.equal(result.outcome, "retry");
  });
});

describe("generic webhook", () => {
  const body = JSON.stringify({ schema: "heyhi.alert.v1", event: "alert.opened" });

  test("a signed delivery carries its sending time and an HMAC to check", async () => {
    const url = answer("/hook/ok", { status: 204, body: "" });
    // Sent six minutes after the minute it was decided in (a retry, or a replayed minute): the
    // timestamp is the sending time, which a receiver's freshness check compares with its own.
    const sentAt = NOW + 6 * 60_000;
    const deps = { ...defaultSendDeps, clock: () => sentAt };
    assert.deepEqual(await sendWebhook(deps, url, body, "s3cret-hmac-key", NOW), {
      outcome: "sent",
    });
    const got = received.at(-1);
    const timestamp = String(got?.headers["x-heyhi-timestamp"]);
    assert.equal(timestamp, String(sentAt / 1000));
    const expected = createHmac("sha256", "s3cret-hmac-key")
      .update(`${timestamp}.${body}`)
      .digest("hex");
    assert.equal(got?.headers["x-heyhi-signature"], `sha256=${expected}`);
    assert.equal(got?.body, body);
  });

  test("without a secret nothing is signed", async () => {
    const url = answer("/hook/plain", { status: 200, body: "" });
    await sendWebhook(defaultSendDeps, url, body, undefined, NOW);
    assert.equal(received.at(-1)?.headers["x-heyhi-signature"], undefined);
  });

  test("410 marks the endpoint dead, 503 is retried, 400 fails the message", async () => {
    const gone = answer("/hook/410", { status: 410, body: "gone" });
    assert.equal(
      (await sendWebhook(defaultSendDeps, gone, body, undefined, NOW)).outcome,
      "dead_channel",
    );
    const busy = answer("/hook/503", { status: 503, body: "" });
    assert.equal((await sendWebhook(defaultSendDeps, busy, body, undefined, NOW)).outcome, "retry");
    const bad = answer("/hook/400", { status: 400, body: "nope" });
    assert.equal((await sendWebhook(defaultSendDeps, bad, body, undefined, NOW)).outcome, "failed");
  });
});

describe("email api", () => {
  test("the message goes as JSON with the bearer key, and a refused key is final", async () => {
    const apiUrl = answer("/email/ok", { status: 200, body: '{"id":"e1"}' });
    const channel = {
      transport: "http" as const,
      apiUrl,
      apiKey: "re_test_key_123456",
      from: "heyhi@example.com",
      to: ["ops@example.com"],
    };
    const email = { subject: "[HeyHi] OPEN: OpenAI", text: "t", html: "<p>t</p>" };
    assert.deepEqual(await sendEmail(defaultSendDeps, channel, email, NOW), { outcome: "sent" });
    const got = received.at(-1);
    assert.equal(got?.headers.authorization, "Bearer re_test_key_123456");
    assert.deepEqual(JSON.parse(got?.body ?? "{}"), {
      from: channel.from,
      to: channel.to,
      ...email,
    });

    const refused = { ...channel, apiUrl: answer("/email/401", { status: 401, body: "bad key" }) };
    assert.equal((await sendEmail(defaultSendDeps, refused, email, NOW)).outcome, "dead_channel");
  });

  test("a 2xx that is an HTML page is a proxy's: tried again, never taken as sent", async () => {
    const channel = {
      transport: "http" as const,
      apiUrl: answer("/email/portal", { status: 200, body: "\n<html><body>sign in</body></html>" }),
      apiKey: "re_test_key_123456",
      from: "heyhi@example.com",
      to: ["ops@example.com"],
    };
    const email = { subject: "[HeyHi] OPEN: OpenAI", text: "t", html: "<p>t</p>" };
    const result = await sendEmail(defaultSendDeps, channel, email, NOW);
    assert.equal(result.outcome, "retry");
    assert.match(result.reason ?? "", /^email api 200: /);
    const empty = { ...channel, apiUrl: answer("/email/202", { status: 202, body: "" }) };
    assert.deepEqual(await sendEmail(defaultSendDeps, empty, email, NOW), { outcome: "sent" });
  });
});

describe("email binding", () => {
  const email = { subject: "[HeyHi] OPEN: OpenAI", text: "t", html: "<p>t</p>" };

  test("the message goes to Cloudflare's send_email binding with no key", async () => {
    const sent: unknown[] = [];
    const binding = { send: async (message: unknown) => void sent.push(message) };
    const channel = {
      transport: "cloudflare" as const,
      binding,
      from: "heyhi@example.com",
      to: ["ops@example.com"],
    };
    assert.deepEqual(await sendEmail(defaultSendDeps, channel, email, NOW), { outcome: "sent" });
    assert.deepEqual(sent, [{ from: "heyhi@example.com", to: ["ops@example.com"], ...email }]);
  });

  test("a sender with a display name reaches the binding as its {email, name}", async () => {
    const sent: unknown[] = [];
    const binding = { send: async (message: unknown) => void sent.push(message) };
    const from = "HeyHi alerts <heyhi@example.com>";
    const channel = { transport: "cloudflare" as const, binding, from, to: ["ops@example.com"] };
    assert.deepEqual(await sendEmail(defaultSendDeps, channel, email, NOW), { outcome: "sent" });
    assert.deepEqual(sent, [
      {
        from: { email: "heyhi@example.com", name: "HeyHi alerts" },
        to: ["ops@example.com"],
        ...email,
      },
    ]);
  });

  test("a binding that throws is retried later with its reason", async () => {
    const binding = {
      send: async () => {
        throw new Error("destination address not verified");
      },
    };
    const channel = { transport: "cloudflare" as const, binding, from: "a@b.co", to: ["c@d.co"] };
    assert.deepEqual(await sendEmail(defaultSendDeps, channel, email, NOW), {
      outcome: "retry",
      reason: "email binding refused: Error: destination address not verified",
    });
  });
});

test("401, 403, 404 and 410 are a dead channel everywhere; 400 refuses the message", async () => {
  const slackPayload = JSON.stringify({ text: "HeyHi: OpenAI failing", blocks: [] });
  const webhookBody = JSON.stringify({ schema: "heyhi.alert.v1", event: "alert.opened" });
  const email = { subject: "[HeyHi] OPEN: OpenAI", text: "t", html: "<p>t</p>" };
  const senders = {
    slack: (url: string) => sendSlack(defaultSendDeps, url, slackPayload, NOW),
    webhook: (url: string) => sendWebhook(defaultSendDeps, url, webhookBody, "s3cret", NOW),
    email: (url: string) =>
      sendEmail(
        defaultSendDeps,
        { transport: "http", apiUrl: url, apiKey: "k", from: "a@b.co", to: ["c@d.co"] },
        email,
        NOW,
      ),
  };
  for (const [name, send] of Object.entries(senders)) {
    for (const status of [401, 403, 404, 410, 400]) {
      const url = answer(`/refusal/${name}/${status}`, { status, body: "Forbidden" });
      const result = await send(url);
      const expected = status === 400 ? "failed" : "dead_channel";
      assert.equal(result.outcome, expected, `${name} ${status}`);
    }
  }
});

test("Retry-After reads delta-seconds and HTTP dates", () => {
  assert.equal(retryAfterMs("12", NOW), 12000);
  assert.equal(retryAfterMs(new Date(NOW + 90000).toUTCString(), NOW), 90000);
  assert.equal(retryAfterMs("soon", NOW), undefined);
  assert.equal(retryAfterMs(null, NOW), undefined);
});

test("a Retry-After past an hour waits an hour, however far it points", () => {
  const hour = 3_600_000;
  assert.equal(retryAfterMs("99999999999999", NOW), hour);
  assert.equal(retryAfterMs("Fri, 31 Dec 9999 23:59:59 GMT", NOW), hour);
  assert.equal(retryAfterMs("3599", NOW), 3_599_000);
  assert.equal(retryAfterMs("1e400", NOW), undefined);
});
