// The latency bench's floor: a Worker that does nothing but time a bare fetch() of each
// request it is given, in the same runtime as HeyHi: under a `wrangler dev` of its own, and
// in the workerd binary alone beside HeyHi's probe path (latency-workerd/worker.ts). Its
// error is what workerd's own HTTP path costs in that setting; HeyHi's error over it is what
// HeyHi's probe code adds.

interface FloorRequest {
  delay_ms: number;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

interface FloorSample {
  delay_ms: number;
  status: number | null;
  measured_ms: number;
}

// Spread out as HeyHi spreads its probes, so that neither pays for the other's overlap.
const STAGGER_MS = 5;

const wait = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function timeOne(request: FloorRequest, index: number): Promise<FloorSample> {
  await wait((index + 1) * STAGGER_MS);
  const { method, url, headers, body } = request;
  const t0 = performance.now();
  try {
    const response = await fetch(url, { method, headers, body, redirect: "manual" });
    await response.arrayBuffer();
    return {
      delay_ms: request.delay_ms,
      status: response.status,
      measured_ms: performance.now() - t0,
    };
  } catch {
    return { delay_ms: request.delay_ms, status: null, measured_ms: performance.now() - t0 };
  }
}

export default {
  async fetch(request: Request): Promise<Response> {
    if (request.method !== "POST") return new Response("ok"); // the harness's readiness check
    const requests = (await request.json()) as FloorRequest[];
    return Response.json(await Promise.all(requests.map(timeOne)));
  },
};
