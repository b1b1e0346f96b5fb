// One probe: a single fetch with its own timeout and no retry, timed from the moment fetch()
// has taken the request to the response headers, then to the last byte, so CPU work before
// or after never counts as provider latency.
import type { DueProbe, Outcome } from "./core.ts";

export const MAX_BODY_BYTES = 64 * 1024;
const MAX_HEADERS = 64;

export interface ProbeResult {
  started_ms: number;
  outcome: Outcome;
}

export interface ProbeDeps {
  fetch: typeof fetch;
  now: () => number; // a monotonic millisecond clock
  wallClock: () => number;
}

export const defaultProbeDeps: ProbeDeps = {
  fetch: (input, init) => fetch(input, init),
  now: () => performance.now(),
  wallClock: () => Date.now(),
};

class ProbeTimeout extends Error {
  override name = "TimeoutError";
}

export function pickHeaders(headers: Headers): Record<string, string> {
  const picked: Record<string, string> = {};
  let count = 0;
  headers.forEach((value, name) => {
    if (count++ < MAX_HEADERS && name !== "set-cookie") picked[name.toLowerCase()] = value;
  });
  return picked;
}

/** The body as text, cut at `maxBytes`; `capped` says whether it was. */
export async function readCapped(
  response: Response,
  maxBytes = MAX_BODY_BYTES,
): Promise<{ text: string; capped: boolean }> {
  if (!response.body) return { text: "", capped: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    // Keep only what fits: a chunk can be far larger than the room left under the cap.
    const room = maxBytes - size;
    if (value.byteLength > room) {
      chunks.push(value.subarray(0, room));
      await reader.cancel();
      return { text: decode(chunks), capped: true };
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return { text: decode(chunks), capped: false };
}

function decode(chunks: Uint8Array[]): string {
  const decoder = new TextDecoder();
  return chunks.map((chunk) => decoder.decode(chunk, { stream: true })).join("") + decoder.decode();
}

// Node's fetch says only "fetch failed" and keeps the system's reason (ENOTFOUND for a name
// that does not resolve, ECONNREFUSED, ...) on its cause; the classifier needs that word.
export function describe(error: unknown): { name: string; message: string } {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  const message = typeof code === "string" ? `${error.message} (${code})` : error.message;
  return { name: error.name, message };
}

export async function runProbe(
  due: DueProbe,
  secret: string | undefined,
  deps: ProbeDeps = defaultProbeDeps,
): Promise<ProbeResult> {
  const started_ms = deps.wallClock();
  if (!secret) {
    const message = `${due.request.auth.secret_name} is not set`;
    return {
      started_ms,
      outcome: { ms_total: 0, error: { name: "MissingSecret", message, timed_out: false } },
    };
  }

  const headers = {
    ...due.request.headers,
    [due.request.auth.header]: due.request.auth.prefix + secret,
  };
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let response: Response | undefined;
  let msToHeaders: number | null = null;
  let t0 = deps.now();
  try {
    const sent = deps.fetch(due.request.url, {
      method: due.request.method,
      headers,
      body: due.request.body,
      signal: controller.signal,
      redirect: "manual",
    });
    // The clock (and the timeout) start once fetch() has taken the request: building it is
    // the client's own work (about 0.5 ms in Node's fetch here), not the provider's latency,
    // and Node sends no byte of it before this code yields. workerd's clock, in whole ms and
    // standing still between I/O once deployed, hardly moves during the call.
    t0 = deps.now();
    timer = setTimeout(() => controller.abort(new ProbeTimeout("probe timed out")), due.timeout_ms);
    response = await sent;
    msToHeaders = deps.now() - t0;
    const { text, capped } = await readCapped(response);
    const ms_total = deps.now() - t0;
    return {
      started_ms,
      outcome: {
        status: response.status,
        // Copied after the clock stops: a small answer is already whole when its headers come.
        headers: pickHeaders(response.headers),
        body: text,
        body_capped: capped,
        ms_to_headers: msToHeaders,
        ms_total,
      },
    };
  } catch (error) {
    const ms_total = deps.now() - t0;
    const timed_out = controller.signal.aborted;
    const outcome: Outcome = {
      ms_total,
      ms_to_headers: msToHeaders,
      error: { ...describe(error), timed_out },
    };
    if (response) {
      outcome.status = response.status;
      outcome.headers = pickHeaders(response.headers);
    }
    return { started_ms, outcome };
  } finally {
    clearTimeout(timer);
  }
}

// Probes that start together share one thread, so one's request setup runs inside another's
// timing: on the emulator, four probes started at once each read 2 to 6 ms long. Starting them
// this far apart keeps each clock to its own request (1 to 3 ms over, as one probe alone).
export const PROBE_STAGGER_MS = 5;

/**
 * The wait before the index-th probe of a run: the first wave's starts are spread out, the
 * first one's too. A deployed Worker's clock stands still between I/O events, and a timer's
 * callback reads exactly the time it was due: so a probe started without a wait would count
 * the CPU since the last I/O (parsing the settings, planning) as latency, while a timer that
 * outlasts that work wakes on time and restarts the clock at the true time.
 */
export function staggered(index: number, lanes: number): Promise<void> {
  const wait = index < lanes ? (index + 1) * PROBE_STAGGER_MS : 0;
  return wait > 0 ? new Promise((resolve) => setTimeout(resolve, wait)) : Promise.resolve();
}

// Runs `work` over `items` with at most `limit` in flight. Workers allow six simultaneous
// connections; a seventh fetch would wait in a queue and its measured latency would lie.
export async function withConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
