// Delivering one rendered notification to one channel. Each sender answers what to do next
// rather than throwing: sent, try again later (with the channel's own Retry-After when it
// gives one), this message can never be delivered, or the channel itself is gone.
export type SendResult =
  | { outcome: "sent" }
  | { outcome: "retry"; reason: string; retryAfterMs?: number }
  | { outcome: "failed"; reason: string }
  | { outcome: "dead_channel"; reason: string };

export interface SendDeps {
  fetch: typeof fetch;
  timeoutMs: number;
  /** The time of sending, in ms; without it, the minute the alert step runs for. */
  clock?: () => number;
}

export const defaultSendDeps: SendDeps = {
  fetch: (input, init) => fetch(input, init),
  timeoutMs: 5000,
  clock: () => Date.now(),
};

export async function post(
  deps: SendDeps,
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string; headers: Headers } | { error: string }> {
  try {
    const response = await deps.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
      signal: AbortSignal.timeout(deps.timeoutMs),
      redirect: "manual",
    });
    const text = (await response.text()).slice(0, 500);
    return { status: response.status, text, headers: response.headers };
  } catch (error) {
    return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

// Answers that refuse the address or its credentials (401, 403, 404, 410): every message to
// the channel gets the same until its settings change, so it is dead, on every channel alike.
export function refusedForGood(status: number): boolean {
  return status === 401 || status === 403 || status === 404 || status === 410;
}

/** The longest wait a receiver's Retry-After is honoured for, as long as the longest backoff. */
export const RETRY_AFTER_MAX_MS = 60 * 60 * 1000;

// Retry-After is either delta-seconds or an HTTP date. A wait past an hour is taken as an
// hour: a far-future date or a huge number must not park an alert's messages for good.
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const date = Date.parse(header);
  let wait: number | undefined;
  if (Number.isFinite(seconds) && seconds >= 0) wait = seconds * 1000;
  else if (Number.isFinite(date)) wait = Math.max(0, date - nowMs);
  return wait === undefined ? undefined : Math.min(wait, RETRY_AFTER_MAX_MS);
}
