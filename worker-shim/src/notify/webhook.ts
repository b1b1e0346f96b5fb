// A generic JSON webhook: the heyhi.alert.v1 body, optionally signed. With a secret, the
// request carries `x-heyhi-timestamp` (seconds, when it was sent) and
// `x-heyhi-signature: sha256=<hex>`, the HMAC-SHA256 of "<timestamp>.<body>" under the
// secret, so a receiver can check both the sender and the freshness.
import { post, refusedForGood, retryAfterMs, type SendDeps, type SendResult } from "./send.ts";

export async function signature(secret: string, timestamp: string, body: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${timestamp}.${body}`));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function sendWebhook(
  deps: SendDeps,
  url: string,
  body: string,
  secret: string | undefined,
  nowMs: number,
): Promise<SendResult> {
  const headers: Record<string, string> = {};
  if (secret) {
    // The moment of sending, not the minute being run: that one is a replayed or late
    // minute's, and a receiver checking freshness would refuse a good delivery.
    const timestamp = String(Math.floor((deps.clock?.() ?? nowMs) / 1000));
    headers["x-heyhi-timestamp"] = timestamp;
    headers["x-heyhi-signature"] = `sha256=${await signature(secret, timestamp, body)}`;
  }
  const answer = await post(deps, url, body, headers);
  if ("error" in answer)
    return { outcome: "retry", reason: `webhook unreachable: ${answer.error}` };
  if (answer.status >= 200 && answer.status < 300) return { outcome: "sent" };
  const reason = `webhook ${answer.status}: ${answer.text.slice(0, 200) || "no body"}`;
  if (answer.status === 429 || answer.status >= 500 || answer.status === 408) {
    const wait = retryAfterMs(answer.headers.get("retry-after"), nowMs);
    return wait === undefined
      ? { outcome: "retry", reason }
      : { outcome: "retry", reason, retryAfterMs: wait };
  }
  if (refusedForGood(answer.status)) return { outcome: "dead_channel", reason };
  return { outcome: "failed", reason };
}
