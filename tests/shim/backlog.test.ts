// backlog.ts: a region object's own storage, on SQLite as the Durable Object has it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { memoryBacklog } from "./support.ts";

const items = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}`, body: `{"n":${i}}` }));

describe("Backlog", () => {
  test("keeps each key once and gives the oldest back first", () => {
    const backlog = memoryBacklog();
    assert.equal(backlog.keep("row", items("a", 3)), 3);
    assert.equal(backlog.keep("row", items("a", 4)), 1, "a repeated minute adds only what is new");
    assert.deepEqual(
      backlog.oldest("row", 2).map((item) => item.key),
      ["a0", "a1"],
    );
    assert.deepEqual(backlog.counts(), { rows: 4, transitions: 0 });
  });

  test("forgets what the store took, leaving the rest in order", () => {
    const backlog = memoryBacklog();
    backlog.keep("row", items("a", 4));
    backlog.forget(["a0", "a2"]);
    assert.deepEqual(
      backlog.oldest("row").map((item) => item.key),
      ["a1", "a3"],
    );
  });

  test("past its bound it drops the oldest rows first, then the oldest transitions", () => {
    const backlog = memoryBacklog();
    backlog.keep("transition", items("t", 2));
    backlog.keep("row", items("r", 5));
    assert.deepEqual(backlog.trim(4), { rows: 3, transitions: 0 });
    assert.deepEqual(
      backlog.oldest("row").map((item) => item.key),
      ["r3", "r4"],
    );
    assert.deepEqual(backlog.trim(1), { rows: 2, transitions: 1 });
    assert.deepEqual(
      backlog.oldest("transition").map((item) => item.key),
      ["t1"],
    );
    assert.deepEqual(backlog.trim(1), { rows: 0, transitions: 0 });
  });

  test("remembers the colo it learned", () => {
    const backlog = memoryBacklog();
    assert.equal(backlog.colo(), null);
    backlog.rememberColo("AMS");
    backlog.rememberColo("FRA");
    assert.equal(backlog.colo(), "FRA");
  });
});
