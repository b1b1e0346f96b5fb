// CPU time of the core's work per probe, natively and under WebAssembly in Node, on the same
// inputs: build/native/core_bench prints its cases' input documents with --inputs, and the
// WebAssembly loop runs each one through the shim's Core, marshalling included, as the Worker
// does. Each answer is checked once, so a broken core fails the benchmark instead of timing
// an error path.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import {
  loadCore,
  type ClassifyInput,
  type Core,
  type EvaluationInput,
} from "../../worker-shim/src/core.ts";

export const ROOT = join(import.meta.dirname, "../..");
const CORE_BENCH = join(ROOT, "build/native/core_bench");

export interface CoreFigure {
  bench: string;
  build: "native" | "wasm";
  iterations: number;
  us_per_op: number;
}

interface BenchInput {
  bench: string;
  iterations: number;
  input: unknown;
}

export function loadBuiltCore(): Promise<Core> {
  const bytes = readFileSync(join(ROOT, "build/wasm/heyhi-core.wasm"));
  return loadCore(new WebAssembly.Module(bytes));
}

const jsonLines = <T>(text: string): T[] =>
  text
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as T);

export function benchNative(): CoreFigure[] {
  return jsonLines<CoreFigure>(execFileSync(CORE_BENCH, { encoding: "utf8" }));
}

interface Workload {
  call: () => unknown;
  expected: (answer: unknown) => boolean;
}

// One call of the shim's Core for a case, and what its answer must be.
function workload(core: Core, bench: BenchInput): Workload {
  if (bench.bench.startsWith("classify_")) {
    const input = bench.input as ClassifyInput;
    const errorType = bench.bench === "classify_success" ? null : "overloaded";
    return {
      call: () => core.classify(input),
      expected: (answer) => {
        const classified = answer as ReturnType<Core["classify"]>;
        return classified.ok && classified.row.error_type === errorType;
      },
    };
  }
  if (bench.bench.startsWith("plan_")) {
    const { config, scheduled_ms } = bench.input as {
      config: { targets: unknown[] };
      scheduled_ms: number;
    };
    const configJson = JSON.stringify(config);
    return {
      call: () => core.plan(configJson, scheduled_ms),
      expected: (answer) => {
        const plan = answer as ReturnType<Core["plan"]>;
        return plan.ok && plan.due.length === config.targets.length;
      },
    };
  }
  if (bench.bench.startsWith("evaluate_")) {
    const { config, ...input } = bench.input as { config: unknown } & EvaluationInput;
    const configJson = JSON.stringify(config);
    return {
      call: () => core.evaluate(configJson, input),
      // A quiet minute: every probe fine, nothing to open.
      expected: (answer) => {
        const evaluated = answer as ReturnType<Core["evaluate"]>;
        return evaluated.ok && evaluated.actions.length === 0;
      },
    };
  }
  throw new Error(`core_bench has a case this benchmark does not know: ${bench.bench}`);
}

// Warm-up as in bench-core.cpp (a tenth of the iterations), then one timed loop.
export function benchWasm(core: Core): CoreFigure[] {
  const inputs = jsonLines<BenchInput>(
    execFileSync(CORE_BENCH, ["--inputs"], { encoding: "utf8" }),
  );
  return inputs.map((bench) => {
    const { call, expected } = workload(core, bench);
    const answer = call();
    if (!expected(answer)) {
      throw new Error(`${bench.bench}: unexpected answer ${JSON.stringify(answer)}`);
    }
    for (let i = 0; i < bench.iterations / 10; ++i) call();
    const start = performance.now();
    for (let i = 0; i < bench.iterations; ++i) call();
    const us = ((performance.now() - start) * 1000) / bench.iterations;
    return { bench: bench.bench, build: "wasm", iterations: bench.iterations, us_per_op: us };
  });
}
