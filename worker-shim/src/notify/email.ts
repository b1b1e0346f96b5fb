// Email through an HTTP email API that takes {from, to, subject, text, html} as JSON with a
// bearer key (Resend's POST /emails shape; other providers accept the same with their URL).
import { post, retryAfterMs, type SendDeps, type SendResult } from "./send.ts";

export interface EmailChannel {
  apiUrl: string;
  apiKey: string;
  from: string;
  to: string[];
}

export interface EmailBody {
  subject: string;
  text: string;
  html: string;
}

export async function sendEmail(
  deps: SendDeps,
  channel: EmailChannel,
  email: EmailBody,
  nowMs: number,
): Promise<SendResult> {
  const body = JSON.stringify({ from: channel.from, to: channel.to, ...email });
  const answer = await post(deps, channel.apiUrl, body, {
    authorization: `Bearer ${channel.apiKey}`,
  });
  if ("error" in answer)
    return { outcome: "retry", reason: `email api unreachable: ${answer.error}` };
  if (answer.status >= 200 && answer.status < 300) return { outcome: "sent" };
  const reason = `email api ${answer.status}: ${answer.text.slice(0, 200) || "no body"}`;
  if (answer.status === 429 || answer.status >= 500) {
    const wait = retryAfterMs(answer.headers.get("retry-after"), nowMs);
    return wait === undefined
      ? { outcome: "retry", reason }
      : { outcome: "retry", reason, retryAfterMs: wait };
  }
  // A refused key or sender will not fix itself; say so once instead of retrying.
  if (answer.status === 401 || answer.status === 403) return { outcome: "dead_channel", reason };
  return { outcome: "failed", reason };
}
