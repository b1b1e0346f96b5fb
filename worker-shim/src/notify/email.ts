// Email, by one of two transports the deployment chooses: an HTTP email API that takes
// {from, to, subject, text, html} as JSON with a bearer key (Resend's POST /emails shape;
// other providers accept the same with their URL), or Cloudflare's send_email binding, which
// takes the same fields and needs no key.
import { senderOf } from "./channels.ts";
import { post, refusedForGood, retryAfterMs, type SendDeps, type SendResult } from "./send.ts";

/** The part of Cloudflare's send_email binding HeyHi uses: the structured message form. */
export interface EmailBinding {
  send(message: {
    from: string | { email: string; name: string };
    to: string | string[];
    subject: string;
    text?: string;
    html?: string;
  }): Promise<unknown>;
}

export type EmailChannel =
  | { transport: "http"; apiUrl: string; apiKey: string; from: string; to: string[] }
  | { transport: "cloudflare"; binding: EmailBinding; from: string; to: string[] };

export interface EmailBody {
  subject: string;
  text: string;
  html: string;
}

// The binding throws on refusal; its message is kept short, as for the HTTP API's bodies.
async function sendThroughBinding(
  channel: Extract<EmailChannel, { transport: "cloudflare" }>,
  email: EmailBody,
): Promise<SendResult> {
  try {
    // The binding takes a display name as {email, name}, not inside the string.
    const sender = senderOf(channel.from);
    const from = sender?.name ? { email: sender.email, name: sender.name } : channel.from;
    await channel.binding.send({ from, to: channel.to, ...email });
    return { outcome: "sent" };
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { outcome: "retry", reason: `email binding refused: ${text.slice(0, 200)}` };
  }
}

export async function sendEmail(
  deps: SendDeps,
  channel: EmailChannel,
  email: EmailBody,
  nowMs: number,
): Promise<SendResult> {
  if (channel.transport === "cloudflare") return sendThroughBinding(channel, email);
  const body = JSON.stringify({ from: channel.from, to: channel.to, ...email });
  const answer = await post(deps, channel.apiUrl, body, {
    authorization: `Bearer ${channel.apiKey}`,
  });
  if ("error" in answer)
    return { outcome: "retry", reason: `email api unreachable: ${answer.error}` };
  const reason = `email api ${answer.status}: ${answer.text.slice(0, 200) || "no body"}`;
  // The API answers in JSON, or with no body: a 2xx that is an HTML page came from something in
  // between (a proxy's sign-in page, a captive portal), which says nothing of this message.
  if (answer.status >= 200 && answer.status < 300) {
    return answer.text.trimStart().startsWith("<")
      ? { outcome: "retry", reason }
      : { outcome: "sent" };
  }
  if (answer.status === 429 || answer.status >= 500) {
    const wait = retryAfterMs(answer.headers.get("retry-after"), nowMs);
    return wait === undefined
      ? { outcome: "retry", reason }
      : { outcome: "retry", reason, retryAfterMs: wait };
  }
  if (refusedForGood(answer.status)) return { outcome: "dead_channel", reason };
  return { outcome: "failed", reason };
}
