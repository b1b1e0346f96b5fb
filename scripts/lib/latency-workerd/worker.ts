// The latency bench's Worker for the workerd binary alone, without `wrangler dev` (whose
// outbound Worker, there in development only, sits before every subrequest). POST /heyhi runs
// HeyHi's own probe path over the due probes it is given (stagger, fetch, timing, and the
// core's classification into the rows HeyHi stores) and answers the rows; POST /floor is the
// floor Worker's bare fetch(), in the same runtime.
import coreModule from "../../../build/wasm/heyhi-core.wasm";
import { loadCore, type Core, type DueProbe } from "../../../worker-shim/src/core.ts";
import { probeAll } from "../../../worker-shim/src/run.ts";
import floor from "../latency-floor/worker.ts";

interface ProbeRound {
  due: DueProbe[];
  secrets: Record<string, string>;
}

let core: Promise<Core> | undefined;

async function probeRound(request: Request): Promise<Response> {
  const { due, secrets } = (await request.json()) as ProbeRound;
  core ??= loadCore(coreModule);
  const settings = { secrets, secretValues: Object.values(secrets) };
  const rows = await probeAll({ core: await core, settings }, due, Date.now(), {
    concurrency: due.length,
    colo: null,
  });
  return Response.json(rows);
}

export default {
  async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (request.method !== "POST") return new Response("ok"); // the harness's readiness check
    if (pathname === "/heyhi") return probeRound(request);
    if (pathname === "/floor") return floor.fetch(request);
    return new Response("not found", { status: 404 });
  },
};
