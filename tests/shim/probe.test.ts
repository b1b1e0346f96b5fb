// probe.ts: one timed fetch per probe against the provider emulator over loopback, the body
// cap against a local server, and the concurrency cap with promises the test settles itself.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { after, before, beforeEach, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import type { Core, DueProbe } from "../../worker-shim/src/core.ts";
import {
  MAX_BODY_BYTES,
  PROBE_STAGGER_MS,
  runProbe,
  withConcurrency,
  type ProbeDeps,
} from "../../worker-shim/src/probe.ts";
import { probeAll } from "../../worker-shim/src/run.ts";
import { startEmulator, type Emulator, type FaultRule } from "../emulator/emulator.mjs";
import { fakeKey, loadTestCore, probeFor, PROVIDERS, warmUp } from "./support.ts";

const CREDENTIAL_HEADERS = ["authorization", "x-api-key", "x-goog-api-key"];

let core: Core;
let emulator: Emulator;

before(async () => {
  core = await loadTestCore();
  emulator = await startEmulator({ port: 0, log: null });
  await warmUp(emulator.url);
});

after(() => emulator.close());

beforeEach(() => {
  emulator.setFaults({ rules: [] });
  emulator.clearRequests();
});

function withFault(rule: FaultRule): void {
  emulator.setFaults({ rules: [rule] });
}

function probe(provider: string, timeoutMs = 400): DueProbe {
  return probeFor(core, emulator.url, provider, timeoutMs);
}

function key(due: DueProbe): string {
  return fakeKey(due.request.auth.secret_name);
}

describe("probe timing", () => {
  test("time to headers is never more than the total time", async () => {
    for (const provider of PROVIDERS) {
      const due = probe(provider);
      const { outcome } = await runProbe(due, key(due));
      assert.equal(outcome.status, 200, provider);
      assert.ok(typeof outcome.ms_to_headers === "number", provider);
      assert.ok(outcome.ms_to_headers <= outcome.ms_total, provider);
    }
  });

  test("200 ms of latency before the headers reads as 200 to 260 ms to headers", async () => {
    withFault({ provider: "anthropic", latency_ms: 200, sequence: ["ok"] });
    const due = probe("anthropic");
    const { outcome } = await runProbe(due, key(due));
    assert.equal(outcome.status, 200);
    const ttfb = outcome.ms_to_headers ?? -1;
    assert.ok(ttfb >= 200 && ttfb < 260, `ms_to_headers ${ttfb}`);
    assert.ok(outcome.ms_total >= ttfb);
  });

  // A broken timeout would otherwise wait for the emulator to let go after 120 s.
  const bounded = { timeout: 5000 };

  test("a provider that never answers is given up at its own timeout", bounded, async () => {
    withFault({ sequence: ["hang"] });
    const due = probe("openai", 300);
    const started = performance.now();
    const { outcome } = await runProbe(due, key(due));
    const elapsed = performance.now() - started;
    assert.equal(outcome.status, undefined);
    assert.equal(outcome.error?.timed_out, true);
    assert.ok(outcome.ms_total >= 300 && outcome.ms_total < 360, `ms_total ${outcome.ms_total}`);
    assert.ok(elapsed < 360, `runProbe took ${elapsed} ms`);
  });

  test("a body that stalls after the headers times out, keeping its status", bounded, async () => {
    withFault({ sequence: ["slow_body"], body_delay_ms: 5000 });
    const due = probe("gemini", 300);
    const { outcome } = await runProbe(due, key(due));
    assert.equal(outcome.status, 200);
    assert.equal(outcome.error?.timed_out, true);
    assert.ok((outcome.ms_to_headers ?? 300) < 300, `ms_to_headers ${outcome.ms_to_headers}`);
    assert.ok(outcome.ms_total >= 300 && outcome.ms_total < 360, `ms_total ${outcome.ms_total}`);
  });
});

// The server runs in a process of its own and stamps each request's arrival on the monotonic
// clock every process shares, so the probe's clock can be set against the wire.
describe("probe clock", () => {
  let server: ChildProcess;
  let origin: string;
  const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;

  before(async () => {
    const script = fileURLToPath(new URL("./arrival-server.mjs", import.meta.url).href);
    server = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] });
    const [line] = (await once(createInterface({ input: server.stdout! }), "line")) as [string];
    origin = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
  });

  after(() => server.kill());

  test("starts once fetch() has taken the request, before any of it reaches the server", async () => {
    const due = probe("openai", 2000);
    const local = { ...due, request: { ...due.request, url: `${origin}/v1/chat/completions` } };
    for (let i = 0; i < 10; i += 1) {
      let handedOver = NaN;
      let lastRead = NaN;
      const deps: ProbeDeps = {
        fetch: (input, init) => {
          const sent = fetch(input, init);
          handedOver = monotonicMs();
          return sent;
        },
        now: () => (lastRead = monotonicMs()),
        wallClock: () => Date.now(),
      };
      const { outcome } = await runProbe(local, "local-secret", deps);
      assert.equal(outcome.status, 200);
      // The last reading is the one that stopped the clock.
      const started = lastRead - outcome.ms_total;
      const { arrived_ms } = JSON.parse(outcome.body ?? "{}") as { arrived_ms: number };
      assert.ok(started >= handedOver, `clock started ${handedOver - started} ms before the call`);
      assert.ok(arrived_ms >= started, `request arrived ${started - arrived_ms} ms before it`);
    }
  });
});

describe("probe sends one request and never retries", () => {
  for (const fault of ["ok", "server_error", "overloaded", "rate_limited", "reset"]) {
    test(`a probe answered with ${fault} reaches the provider exactly once`, async () => {
      withFault({ sequence: [fault] });
      for (const provider of PROVIDERS) {
        emulator.clearRequests();
        const due = probe(provider);
        await runProbe(due, key(due));
        assert.equal(emulator.requests().length, 1, provider);
      }
    });
  }
});

describe("probe credentials", () => {
  for (const provider of PROVIDERS) {
    test(`the ${provider} key travels only in the header its auth spec names`, async () => {
      const due = probe(provider);
      const { outcome } = await runProbe(due, key(due));
      const [seen] = emulator.requests();
      const wanted = due.request.auth.header;
      assert.equal(outcome.status, 200, "the provider accepted the key as sent");
      assert.equal(seen?.headers[wanted], "<redacted>");
      for (const other of CREDENTIAL_HEADERS.filter((name) => name !== wanted)) {
        assert.equal(seen?.headers[other], undefined, other);
      }
      assert.equal(seen?.query.key, undefined, "no key in the query string");
    });
  }

  test("the credential header is the auth prefix followed by the secret", async () => {
    for (const provider of PROVIDERS) {
      const due = probe(provider);
      let sent: Record<string, string> = {};
      const fetch = async (_url: unknown, init?: RequestInit) => {
        sent = init?.headers as Record<string, string>;
        return new Response("{}");
      };
      await runProbe(due, key(due), { fetch, now: () => 0, wallClock: () => 0 });
      const { header, prefix } = due.request.auth;
      assert.equal(sent[header], prefix + key(due), provider);
    }
  });

  for (const [kind, secret] of [
    ["an unset", undefined],
    ["an empty", ""],
  ] as const) {
    test(`${kind} secret sends nothing and says MissingSecret`, async () => {
      const due = probe("mistral");
      const { outcome } = await runProbe(due, secret);
      assert.equal(emulator.requests().length, 0);
      assert.equal(outcome.status, undefined);
      assert.equal(outcome.error?.name, "MissingSecret");
      assert.match(outcome.error?.message ?? "", /MISTRAL_API_KEY/);
    });
  }
});

describe("probe body cap", () => {
  let server: http.Server;
  let bodySize = 0;
  // Digits cycling 0-9, so a body cut anywhere but at the front no longer matches the start.
  const body = (size: number) => "0123456789".repeat(Math.ceil(size / 10)).slice(0, size);

  before(async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(body(bodySize));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });

  after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function localProbe(): DueProbe {
    const { port } = server.address() as AddressInfo;
    const due = probe("openai", 2000);
    return { ...due, request: { ...due.request, url: `http://127.0.0.1:${port}/` } };
  }

  test("a body over the cap is cut at exactly MAX_BODY_BYTES and marked capped", async () => {
    bodySize = 1024 * 1024;
    const { outcome } = await runProbe(localProbe(), "local-secret");
    assert.equal(outcome.status, 200);
    assert.equal(outcome.body_capped, true);
    assert.equal(outcome.body?.length, MAX_BODY_BYTES);
    assert.equal(outcome.body, body(MAX_BODY_BYTES));
  });

  test("a body of exactly MAX_BODY_BYTES is kept whole and not marked", async () => {
    bodySize = MAX_BODY_BYTES;
    const { outcome } = await runProbe(localProbe(), "local-secret");
    assert.equal(outcome.body_capped, false);
    assert.equal(outcome.body, body(MAX_BODY_BYTES));
  });
});

interface Gate {
  item: number;
  finished: boolean;
  finish(): void;
}

// Work whose promises the test settles by hand, counting how many are pending at once.
function gatedWork() {
  const started: Gate[] = [];
  const state = { inFlight: 0, peak: 0 };
  const work = (item: number) =>
    new Promise<string>((resolve) => {
      state.inFlight += 1;
      state.peak = Math.max(state.peak, state.inFlight);
      const gate: Gate = {
        item,
        finished: false,
        finish() {
          gate.finished = true;
          state.inFlight -= 1;
          resolve(`result ${item}`);
        },
      };
      started.push(gate);
    });
  const newestPending = () => started.filter((g) => !g.finished).at(-1);
  return { work, started, state, newestPending };
}

// Lets every settled promise run its continuations; no timer is involved.
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("withConcurrency", () => {
  test("never has more than the limit in flight and refills a slot as one finishes", async () => {
    const { work, started, state, newestPending } = gatedWork();
    const done = withConcurrency([0, 1, 2, 3, 4, 5, 6], 3, work);
    await settle();
    assert.deepEqual(
      started.map((g) => g.item),
      [0, 1, 2],
    );

    started[1]?.finish();
    await settle();
    assert.deepEqual(
      started.map((g) => g.item),
      [0, 1, 2, 3],
    );
    assert.equal(state.inFlight, 3);

    for (let gate = newestPending(); gate; gate = newestPending()) {
      gate.finish();
      await settle();
      assert.ok(state.inFlight <= 3, `in flight: ${state.inFlight}`);
    }
    await done;
    assert.equal(started.length, 7);
    assert.equal(state.peak, 3);
  });

  test("returns results in input order whatever order the work finishes in", async () => {
    const { work, newestPending } = gatedWork();
    const done = withConcurrency([0, 1, 2, 3, 4], 2, work);
    await settle();
    for (let gate = newestPending(); gate; gate = newestPending()) {
      gate.finish();
      await settle();
    }
    assert.deepEqual(
      await done,
      [0, 1, 2, 3, 4].map((i) => `result ${i}`),
    );
  });

  test("works on every item exactly once", async () => {
    const seen: number[] = [];
    const items = Array.from({ length: 20 }, (_, i) => i);
    const results = await withConcurrency(items, 6, async (item) => {
      seen.push(item);
      return item * 2;
    });
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      items,
    );
    assert.deepEqual(
      results,
      items.map((i) => i * 2),
    );
  });

  test("a limit above the number of items starts them all at once", async () => {
    const { work, started, state } = gatedWork();
    const done = withConcurrency([0, 1], 6, work);
    await settle();
    assert.equal(state.inFlight, 2);
    started.forEach((g) => g.finish());
    assert.deepEqual(await done, ["result 0", "result 1"]);
  });

  test("an empty list gives an empty result without calling the work", async () => {
    const results = await withConcurrency([], 3, async () => assert.fail("called"));
    assert.deepEqual(results, []);
  });
});

describe("probe failures under Node", () => {
  test("a name that does not resolve is classified dns_error, from the error's cause", async () => {
    const due = probe("openai");
    // Node's fetch rejects so when getaddrinfo fails: the reason is on the cause alone.
    const failing: typeof fetch = async () => {
      const cause = Object.assign(new Error("getaddrinfo ENOTFOUND api.openai.com"), {
        code: "ENOTFOUND",
      });
      throw new TypeError("fetch failed", { cause });
    };
    const deps = { fetch: failing, now: () => performance.now(), wallClock: () => Date.now() };
    const { outcome, started_ms } = await runProbe(due, key(due), deps);
    assert.equal(outcome.error?.message, "fetch failed (ENOTFOUND)");
    const answer = core.classify({
      provider: due.provider,
      model: due.model,
      region: due.region,
      colo: null,
      scheduled_ms: started_ms,
      started_ms,
      timeout_ms: due.timeout_ms,
      outcome,
    });
    assert.ok(answer.ok);
    assert.equal(answer.row.error_type, "dns_error");
    assert.equal(answer.row.attribution, "network");
  });
});

describe("probes of one run start apart", () => {
  test("the first wave's fetches start 5 ms apart from 5 ms; later ones when a slot frees", async () => {
    const providers = ["openai", "anthropic", "gemini", "mistral"];
    const due = providers.map((p) => probe(p));
    const starts = new Map<string, number>();
    const fetchAt: typeof fetch = async (input) => {
      const provider = providers.find((p) => String(input).includes(`/${p}/`))!;
      starts.set(provider, performance.now());
      return new Response('{"error":{"message":"fake"}}', { status: 500 });
    };
    const deps = { fetch: fetchAt, now: () => performance.now(), wallClock: () => Date.now() };
    const secrets = Object.fromEntries(due.map((d) => [d.request.auth.secret_name, key(d)]));
    const settings = { secrets, secretValues: Object.values(secrets) };
    const t0 = performance.now();
    await probeAll({ core, settings, probeDeps: deps }, due, Date.now(), {
      concurrency: 3,
      colo: null,
    });
    const at = (p: string) => starts.get(p)! - t0;
    // Even the first waits, so that its clock starts on a timer rather than on the last I/O.
    assert.ok(at("openai") >= PROBE_STAGGER_MS - 1, `the first at ${at("openai")} ms`);
    assert.ok(at("anthropic") >= 2 * PROBE_STAGGER_MS - 1, `the second at ${at("anthropic")} ms`);
    assert.ok(at("gemini") >= 3 * PROBE_STAGGER_MS - 1, `the third at ${at("gemini")} ms`);
    // The fourth takes the first lane as soon as it is free, with no stagger of its own.
    const fourth = at("mistral") - at("openai");
    assert.ok(fourth < PROBE_STAGGER_MS, `the fourth ${fourth} ms after the first`);
  });
});
