// The benchmark's latency accuracy in small: two injected delays, two rounds, HeyHi through
// wrangler dev and D1, its probe path in the workerd binary alone and its probe code under
// Node, beside curl, blackbox_exporter and a bare fetch() in a Worker (under a wrangler dev of
// its own, and beside HeyHi's probe path in workerd alone) on the same endpoints.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import {
  checkSamples,
  collectLatency,
  latencyFigures,
  TOOLS,
  type LatencyRun,
} from "../../scripts/lib/bench-latency.ts";

const DELAYS = [0, 200];
const SAMPLES = 2;
const WARM_UP = 1;

let measured: LatencyRun;

before(async () => {
  measured = await collectLatency({ delays: DELAYS, samples: SAMPLES });
});

test("each tool has an ok sample per delay and round, never shorter than the delay", () => {
  for (const tool of TOOLS) {
    for (const delay of DELAYS) {
      const samples = measured.samples.filter((s) => s.tool === tool && s.delay_ms === delay);
      assert.deepEqual(
        samples.map((s) => s.round).sort(),
        [0, 1],
        `${tool} at ${delay} ms: one sample per round`,
      );
      for (const s of samples) {
        assert.ok(s.ok, `${tool} at ${delay} ms round ${s.round}: status ${s.status}`);
        assert.ok(s.measured_ms >= delay, `${tool} measured ${s.measured_ms} ms for ${delay} ms`);
        assert.ok(s.measured_ms < delay + 1000, `${tool} measured ${s.measured_ms} ms`);
      }
    }
  }
  assert.doesNotThrow(() => checkSamples(measured.samples, { delays: DELAYS, samples: SAMPLES }));
});

test("each of HeyHi's probes is found at the emulator, after its clock started", () => {
  for (const s of measured.samples.filter((x) => x.tool === "heyhi")) {
    const gap = s.to_emulator_ms;
    // Part of HeyHi's error, give or take the two 1 ms clocks it is read from.
    const within = gap !== undefined && gap >= 0 && gap <= s.measured_ms - s.delay_ms + 2;
    assert.ok(within, `gap ${gap} for ${s.measured_ms} ms at ${s.delay_ms} ms`);
  }
});

test("every client sent the Worker's own request to each endpoint", () => {
  for (const endpoint of measured.endpoints) {
    const path = new URL(endpoint.url).pathname;
    const seen = measured.seen.filter(
      (r) => r.path === path && r.model?.endsWith(`-${endpoint.delay_ms}ms`),
    );
    assert.equal(
      seen.length,
      TOOLS.length * (SAMPLES + WARM_UP),
      `requests at ${endpoint.delay_ms} ms`,
    );
    for (const request of seen) {
      assert.equal(request.method, endpoint.method);
      assert.deepEqual(request.body, JSON.parse(endpoint.body));
      for (const [name, value] of Object.entries(endpoint.headers)) {
        const expected = name === "authorization" ? "<redacted>" : value;
        assert.equal(request.headers[name.toLowerCase()], expected, `header ${name}`);
      }
    }
  }
});

test("the emulator held each measured request at least its delay", () => {
  for (const delay of DELAYS) {
    const held = measured.holds.filter((h) => h.delay_ms === delay);
    assert.equal(held.length, TOOLS.length * SAMPLES, `holds at ${delay} ms`);
    for (const h of held) assert.ok(h.held_ms >= delay, `held ${h.held_ms} ms`);
  }
});

test("the figures hold a line per delay and tool, HeyHi's with its ratios and goal", () => {
  const figures = latencyFigures(measured.samples, measured.holds);
  assert.equal(figures.length, DELAYS.length * (TOOLS.length + 1), "tools and emulator hold");
  for (const f of figures.filter((x) => x.tool.startsWith("heyhi"))) {
    assert.equal(f.samples, SAMPLES);
    assert.equal(typeof f.goal_met, "boolean");
    assert.ok(f.ratio_to_curl === null || (f.ratio_to_curl ?? 0) > 0, "ratio to curl");
    assert.ok(f.median_abs_error_ms >= 0 && f.p95_abs_error_ms >= f.median_abs_error_ms);
  }
  const floors = [
    ["heyhi", "workerd_fetch"],
    ["heyhi_workerd", "workerd_alone_fetch"],
  ];
  for (const [ours, floorTool] of floors) {
    for (const f of figures.filter((x) => x.tool === ours)) {
      const floor = figures.find((x) => x.tool === floorTool && x.delay_ms === f.delay_ms);
      const over = f.mean_error_ms - floor!.mean_error_ms;
      assert.ok(Math.abs(f.over_floor_mean_ms! - over) < 0.001, `${ours} over its floor`);
    }
  }
});

test("only the Workers under wrangler dev pass through its outbound Worker", () => {
  // miniflare's outbound Worker marks what passes through it with cf-worker; the workerd
  // binary alone sends HeyHi's probes and its floor's fetch() straight out.
  const underWranglerDev = ["heyhi", "workerd_fetch"];
  const perTool = DELAYS.length * (SAMPLES + WARM_UP);
  const marked = measured.seen.filter((r) => r.headers["cf-worker"]);
  assert.equal(marked.length, underWranglerDev.length * perTool, "requests marked");
  const unmarked = measured.seen.length - marked.length;
  assert.equal(unmarked, (TOOLS.length - underWranglerDev.length) * perTool, "the rest");
});

test("the floor Worker's requests are not taken for HeyHi's at the emulator", () => {
  const floorSeen = measured.seen.filter((r) =>
    r.headers["cf-worker"]?.startsWith("heyhi-latency-floor."),
  );
  assert.equal(floorSeen.length, DELAYS.length * (SAMPLES + WARM_UP), "the floor's requests");
  const heyhiSeen = measured.seen.filter((r) => r.headers["cf-worker"] && !floorSeen.includes(r));
  assert.equal(heyhiSeen.length, DELAYS.length * (SAMPLES + WARM_UP), "HeyHi's requests");
});
