// The latency bench's judgement on made-up samples: the goal read at HeyHi's whole-ms
// resolution and exactly, the mean beside the median, and HeyHi's line over its floor.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  latencyFigures,
  TOOLS,
  type LatencySample,
  type Tool,
} from "../../scripts/lib/bench-latency.ts";

const DELAY = 200;

// Every tool at 2 ms over the delay unless `over` says otherwise, three rounds each.
function samples(over: Partial<Record<Tool, number[]>>): LatencySample[] {
  return TOOLS.flatMap((tool) =>
    (over[tool] ?? [2, 2, 2]).map((ms, round) => ({
      tool,
      delay_ms: DELAY,
      round,
      ok: true,
      status: 200,
      measured_ms: DELAY + ms,
    })),
  );
}

const line = (all: LatencySample[], tool: Tool) =>
  latencyFigures(all).find((f) => f.tool === tool)!;

test("HeyHi's whole 1 ms against curl's 0.88 is met in whole ms, missed exactly", () => {
  const f = line(samples({ heyhi_workerd: [1, 1, 1], curl: [0.85, 0.88, 0.9] }), "heyhi_workerd");
  assert.equal(f.goal_met, true);
  assert.equal(f.goal_met_exact, false);
  assert.deepEqual(f.goal_missed_exact_by, ["> curl"]);
  assert.equal(f.ratio_to_curl, 1.136);
});

test("a peer closer than half a ms beats HeyHi's 1 ms in whole ms too", () => {
  const f = line(samples({ heyhi_workerd: [1, 1, 1], curl: [0.3, 0.4, 0.45] }), "heyhi_workerd");
  assert.equal(f.goal_met, false);
  assert.deepEqual(f.goal_missed_by, ["> curl"]);
});

test("HeyHi's 2 ms against curl's 1.4 is missed; against 1.5, which stores as 2, met", () => {
  const missed = line(samples({ heyhi: [2, 2, 2], curl: [1.4, 1.4, 1.4] }), "heyhi");
  assert.deepEqual(missed.goal_missed_by, ["> curl"]);
  const met = line(samples({ heyhi: [2, 2, 2], curl: [1.5, 1.5, 1.5] }), "heyhi");
  assert.equal(met.goal_met, true);
  assert.equal(met.goal_met_exact, false);
});

test("over the 2 ms bound is missed however the peers do", () => {
  const f = line(
    samples({ heyhi_node: [3, 3, 3], curl: [4, 4, 4], blackbox: [4, 4, 4] }),
    "heyhi_node",
  );
  assert.deepEqual(f.goal_missed_by, ["over 2 ms"]);
});

test("the mean shows what the median of whole ms cannot, and the floor lines use it", () => {
  const all = samples({ heyhi_workerd: [1, 1, 2], workerd_alone_fetch: [1, 2, 2] });
  const heyhi = line(all, "heyhi_workerd");
  assert.equal(heyhi.median_error_ms, 1);
  assert.equal(heyhi.mean_error_ms, 1.333);
  // Its 1.333 less the floor's 1.667, each to the µs.
  assert.equal(heyhi.over_floor_mean_ms, -0.334);
});
