// Slack incoming webhooks. Success is HTTP 200 with a body of exactly "ok"; anything else is
// a short error string. Some of those mean the webhook will never work again (the app was
// removed, the channel deleted or archived): the channel is marked dead instead of being
// retried forever. Others reject this message only.
import { post, refusedForGood, retryAfterMs, type SendDeps, type SendResult } from "./send.ts";

const DEAD_WEBHOOK = new Set([
  "no_service",
  "no_service_id",
  "no_team",
  "team_disabled",
  "channel_not_found",
  "channel_is_archived",
  "invalid_token",
  "action_prohibited",
  "posting_to_general_channel_denied",
]);

export async function sendSlack(
  deps: SendDeps,
  webhookUrl: string,
  payload: string,
  nowMs: number,
): Promise<SendResult> {
  const answer = await post(deps, webhookUrl, payload, {});
  if ("error" in answer) return { outcome: "retry", reason: `slack unreachable: ${answer.error}` };
  const body = answer.text.trim();
  if (answer.status === 200 && body === "ok") return { outcome: "sent" };
  const reason = `slack ${answer.status}: ${body.slice(0, 200) || "no body"}`;
  // Slack itself answers a success with "ok" alone: any other 2xx came from something in
  // between (a proxy's sign-in page, a captive portal), which says nothing of this message.
  if (answer.status >= 200 && answer.status < 300) return { outcome: "retry", reason };
  if (answer.status === 429) {
    const wait = retryAfterMs(answer.headers.get("retry-after"), nowMs);
    return wait === undefined
      ? { outcome: "retry", reason }
      : { outcome: "retry", reason, retryAfterMs: wait };
  }
  if (DEAD_WEBHOOK.has(body) || refusedForGood(answer.status)) {
    return { outcome: "dead_channel", reason };
  }
  if (answer.status >= 500) return { outcome: "retry", reason };
  return { outcome: "failed", reason };
}
