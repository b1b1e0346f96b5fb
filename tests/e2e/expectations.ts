// The faults the end-to-end tests inject, one target per provider over three cron minutes,
// and what the stored rows must then say, field by field. Both storage backends are held to
// the same table.
import assert from "node:assert/strict";

import type { CheckRow } from "../../worker-shim/src/core.ts";

export const LATENCY_MS = 40;
export const TIMEOUT_MS = 900;

export const TARGETS = [
  { provider: "openai", model: "gpt-e2e", faults: ["ok", "rate_limited", "quota"] },
  { provider: "anthropic", model: "claude-e2e", faults: ["overloaded", "ok", "model_not_found"] },
  { provider: "gemini", model: "gemini-3.5-flash-lite", faults: ["ok", "auth", "truncated"] },
  { provider: "xai", model: "grok-e2e", faults: ["gateway_html", "ok", "server_error"] },
  { provider: "cohere", model: "command-e2e", faults: ["hang", "ok", "empty"] },
  { provider: "mistral", model: "mistral-e2e", faults: ["edge_blocked", "bad_param", "ok"] },
] as const;

// fault → [error_type, attribution, http_status]; ok rows are checked separately.
const EXPECTED: Record<string, [string, string, number | null]> = {
  rate_limited: ["rate_limited", "ambiguous", 429],
  quota: ["quota", "ours", 429],
  overloaded: ["overloaded", "provider", 529],
  model_not_found: ["model_not_found", "ours", 404],
  auth: ["auth", "ours", 400], // Gemini answers a bad key with 400 API_KEY_INVALID
  truncated: ["bad_body", "provider", 200],
  gateway_html: ["gateway_error", "provider", 502],
  server_error: ["server_error", "provider", 500],
  hang: ["timeout", "provider", null],
  empty: ["bad_body", "provider", 200],
  edge_blocked: ["edge_blocked", "network", 403],
  bad_param: ["probe_config", "ours", 422], // Mistral refuses unknown fields with 422
};

export const FAKE_KEY = "e2e-key-7b1f0c9d2e";
// The colo the emulator's trace page names for enam, which the region's object learns.
export const ENAM_COLO = "IAD";

export function configJson(): string {
  return JSON.stringify({
    regions: ["enam"],
    targets: TARGETS.map((t) => ({
      provider: t.provider,
      model: t.model,
      cadence_min: 1,
      timeout_ms: TIMEOUT_MS,
    })),
  });
}

export function faultConfig(): object {
  return {
    seed: 1,
    rules: TARGETS.map((t) => ({
      provider: t.provider,
      model: t.model,
      latency_ms: LATENCY_MS,
      sequence: [...t.faults],
    })),
  };
}

// Rows as read back from either store, normalised to the shape the core writes.
export type StoredRow = CheckRow;

function checkOkRow(row: StoredRow): void {
  assert.equal(row.http_status, 200);
  assert.equal(row.error_type, null);
  assert.equal(row.attribution, null);
  assert.equal(row.detail, null);
  assert.ok(typeof row.tokens_in === "number" && row.tokens_in > 0, "tokens_in");
  assert.ok(typeof row.tokens_out === "number" && row.tokens_out >= 0, "tokens_out");
  if (row.provider !== "gemini") assert.ok(row.request_id, "request id kept");
}

function checkFailedRow(row: StoredRow, fault: string): void {
  const [errorType, attribution, status] = EXPECTED[fault] ?? [];
  assert.equal(row.error_type, errorType);
  assert.equal(row.attribution, attribution);
  assert.equal(row.http_status, status);
  assert.ok(row.detail && row.detail.length <= 200, "a short detail");
  if (fault === "hang") {
    assert.equal(row.ttfb_ms, null);
    assert.ok(row.latency_ms >= TIMEOUT_MS - 5 && row.latency_ms < TIMEOUT_MS + 400, "timeout");
  }
}

// Every row of every minute, each against the fault the emulator served for it.
export function checkRows(rows: StoredRow[], minutes: string[]): void {
  assert.equal(rows.length, TARGETS.length * minutes.length, "one row per target and minute");
  for (const [index, minute] of minutes.entries()) {
    for (const target of TARGETS) {
      const label = `${target.provider} at ${minute}`;
      const row = rows.find((r) => r.provider === target.provider && r.scheduled_at === minute);
      assert.ok(row, `${label}: row stored`);
      const fault = target.faults[index] as string;
      assert.equal(row.model, target.model, label);
      assert.equal(row.region, "enam", label);
      assert.equal(row.colo, ENAM_COLO, label);
      assert.ok(Date.parse(row.ts) >= Date.parse(minute), `${label}: ts after the minute`);
      assert.ok(JSON.stringify(row).indexOf(FAKE_KEY) < 0, `${label}: no key stored`);
      if (fault !== "hang") {
        assert.ok(row.latency_ms >= LATENCY_MS - 5, `${label}: latency includes the delay`);
        assert.ok(row.ttfb_ms !== null && row.ttfb_ms <= row.latency_ms, `${label}: ttfb`);
      }
      assert.equal(row.ok, fault === "ok", `${label}: ok`);
      if (fault === "ok") checkOkRow(row);
      else checkFailedRow(row, fault);
    }
  }
}

export function minuteIso(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(".000Z", "Z");
}
