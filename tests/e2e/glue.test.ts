// Workers refuse code generated at run time: the module the Worker imports must not carry
// any way to produce it, whatever Emscripten's glue would otherwise include.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { ROOT } from "../../scripts/lib/harness.ts";

const GLUE = join(ROOT, "build/wasm/heyhi-core.mjs");

test("the generated glue contains no eval, new Function or WebAssembly.compile", () => {
  const glue = readFileSync(GLUE, "utf8");
  for (const forbidden of ["eval(", "new Function", "WebAssembly.compile"]) {
    assert.equal(glue.includes(forbidden), false, `${forbidden} found in ${GLUE}`);
  }
});

test("the glue takes the compiled module through instantiateWasm", () => {
  assert.match(readFileSync(GLUE, "utf8"), /instantiateWasm/);
});
