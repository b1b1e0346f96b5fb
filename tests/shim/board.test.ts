// The board's pieces without a Worker: which channels are dead, the verdict from open alerts,
// escaping of every stored text on the page, the badge and the feed, and the checks query.
import assert from "node:assert/strict";
import { test } from "node:test";

import { deadChannels, verdict, type Summary } from "../../worker-shim/src/board.ts";
import { renderBadge, renderBoard, renderFeed } from "../../worker-shim/src/board-html.ts";
import { checksParams } from "../../worker-shim/src/board-http.ts";
import type { TargetVantage } from "../../worker-shim/src/core.ts";
import type { BoardAlert, FinishedDelivery } from "../../worker-shim/src/store/board.ts";
import { sampleAlert } from "./support.ts";

const NOW = Date.UTC(2026, 11, 3, 12, 0);

function delivery(id: number, status: "sent" | "dead", lastError: string | null) {
  const at = new Date(NOW - (100 - id) * 60_000).toISOString();
  return {
    id,
    channel: "slack",
    status,
    finished_at: at,
    last_error: lastError,
  } as FinishedDelivery;
}

function alert(overrides: Partial<BoardAlert>): BoardAlert {
  const {
    measured: _,
    last_notified_at: __,
    ...shown
  } = sampleAlert("anthropic/claude-haiku-5-5", "2026-12-03T11:50:00.000Z");
  return { ...shown, id: 1, resolved_at: null, ...overrides };
}

test("a channel is dead from its first refusal after its last success", () => {
  const newestFirst = [
    delivery(9, "dead", "channel dead: slack 404: channel_not_found"),
    delivery(8, "dead", "channel dead: slack 404: no_service"),
    delivery(7, "sent", null),
    delivery(6, "dead", "channel dead: slack 404: no_service"),
  ];
  assert.deepEqual(deadChannels(newestFirst), [
    {
      channel: "slack",
      since: newestFirst[1]?.finished_at,
      reason: "channel_not_found",
      fix: "replace SLACK_WEBHOOK_URL",
    },
  ]);
});

test("a channel that answered since, or that only ran out of attempts, is not dead", () => {
  assert.deepEqual(
    deadChannels([
      delivery(9, "sent", null),
      delivery(8, "dead", "channel dead: slack 404: no_service"),
    ]),
    [],
  );
  assert.deepEqual(deadChannels([delivery(9, "dead", "slack 500: oops")]), []);
});

test("a dead channel's reason is the receiver's code, or else its HTTP status", () => {
  const reasons = [
    "channel dead: webhook 403: Forbidden",
    'channel dead: email api 401: {"message":"API key is invalid"}',
    "channel dead: webhook 410: gone",
  ].map((error) => deadChannels([delivery(9, "dead", error)])[0]?.reason);
  assert.deepEqual(reasons, ["HTTP 403", "HTTP 401", "gone"]);
});

test("the verdict names each failing provider and what the evidence blames", () => {
  assert.equal(verdict([]).text, "All clear");
  const mixed = verdict([
    alert({ rule: "configuration", verdict: "ours" }),
    alert({}),
    alert({ provider: "xai", model: "grok-5", verdict: "network" }),
  ]);
  assert.equal(mixed.state, "failing");
  assert.deepEqual(mixed.failing, [
    { provider: "anthropic", verdict: "provider", alerts: 2 },
    { provider: "xai", verdict: "network", alerts: 1 },
  ]);
  assert.equal(
    mixed.text,
    "anthropic is failing: the evidence points at the provider; " +
      "xai is failing: the evidence points at the network",
  );
});

test("an outside vantage fine while every Cloudflare region fails names Cloudflare's egress", () => {
  const evidence = "failing from enam, weur; fine from gha-eastus 3 min ago";
  const vantages = new Map<string, TargetVantage | null>([
    [
      "anthropic\u0000claude-haiku-5-5",
      { verdict: "network", state: "fine", evidence, vantage: "gha-eastus" },
    ],
  ]);
  const egress = verdict([alert({})], vantages);
  assert.deepEqual(egress.failing, [
    { provider: "anthropic", verdict: "network", alerts: 1, evidence, cloudflare_egress: true },
  ]);
  assert.equal(
    egress.text,
    `anthropic is failing: the evidence points at the network (Cloudflare egress): ${evidence}`,
  );

  const both = "failing from enam, weur and from gha-eastus 1 min ago";
  vantages.set("anthropic\u0000claude-sonnet-5", {
    verdict: "provider",
    state: "failing",
    evidence: both,
    vantage: "gha-eastus",
  });
  const provider = verdict([alert({}), alert({ model: "claude-sonnet-5" })], vantages);
  assert.deepEqual(provider.failing, [
    { provider: "anthropic", verdict: "provider", alerts: 2, evidence: both },
  ]);

  const none = "failing from enam, weur; no outside vantage";
  const unseen = new Map([
    [
      "anthropic\u0000claude-haiku-5-5",
      { verdict: null, state: "none", evidence: none, vantage: null } as TargetVantage,
    ],
  ]);
  assert.equal(
    verdict([alert({ verdict: "network" })], unseen).text,
    `anthropic is failing: the evidence points at the network: ${none}`,
    "as the alert opened, with no outside probe to go on",
  );
  const configuration = verdict([alert({ rule: "configuration", verdict: "ours" })], vantages);
  assert.equal(configuration.failing[0]?.verdict, "ours", "an outside probe says nothing of keys");
});

test("the board lists outside vantages as rows of their own after Cloudflare's regions", () => {
  const summary = hostileSummary();
  summary.regions = [
    { region: "enam", outside_vantage: false, probes_1h: 30, error_rate_1h: 1, last_probe_at: "a" },
    {
      region: "gha-eastus",
      outside_vantage: true,
      probes_1h: 2,
      error_rate_1h: 0,
      last_probe_at: "b",
    },
  ];
  const page = renderBoard(summary);
  assert.match(
    page,
    /<tr data-region="enam" data-outside="false"><td>enam<\/td><td>Cloudflare<\/td><td>30<\/td><td>100%<\/td>/,
  );
  assert.match(
    page,
    /<tr data-region="gha-eastus" data-outside="true"><td>gha-eastus<\/td><td>outside Cloudflare<\/td><td>2<\/td><td>0%<\/td>/,
  );
});

const HOSTILE = `<script>alert("x")</script>&'`;

function hostileSummary(): Summary {
  return {
    generated_at: new Date(NOW).toISOString(),
    store: "d1",
    verdict: verdict([alert({ provider: HOSTILE })]),
    targets: [
      {
        provider: "anthropic",
        model: HOSTILE,
        status: "failing",
        official_status: HOSTILE,
        probes_15m: 4,
        error_rate_15m: 0.5,
        p95_ms_15m: 300,
        error_rate_24h: 0.25,
        error_rate_7d: 0.01,
        sparkline_24h: Array(24).fill(null),
        vantage: null,
      },
    ],
    regions: [
      {
        region: HOSTILE,
        outside_vantage: true,
        probes_1h: 1,
        error_rate_1h: 0,
        last_probe_at: HOSTILE,
      },
    ],
    official: [],
    dead_channels: [{ channel: "slack", since: HOSTILE, reason: "no_service", fix: HOSTILE }],
    refused_channels: [],
    alerts: [alert({ title: HOSTILE, detail: HOSTILE })],
    timeline: [
      {
        at: HOSTILE,
        kind: "official",
        provider: "openai",
        title: HOSTILE,
        status: "degraded",
        url: `https://x/"><script>`,
      },
    ],
    failed_probes: [],
  };
}

test("a refused channel setting is a banner naming the setting and what it must be", () => {
  const summary = hostileSummary();
  summary.refused_channels = [{ field: "SLACK_WEBHOOK_URL", message: "must be an https URL" }];
  assert.match(
    renderBoard(summary),
    new RegExp(
      '<div class="banner refused-channel" role="alert">SLACK_WEBHOOK_URL must be an https ' +
        "URL: no alert is sent through it until it is fixed</div>",
    ),
  );
  assert.ok(!renderBoard(hostileSummary()).includes("refused-channel"));
  summary.refused_channels = [{ field: "BOARD_URL", message: "must be an http or https URL" }];
  assert.match(
    renderBoard(summary),
    /BOARD_URL must be an http or https URL: the messages carry no link/,
  );
});

test("every stored text on the page, the badge and the feed is escaped", () => {
  const page = renderBoard(hostileSummary());
  assert.ok(!page.includes("<script>alert"), "no injected element");
  assert.ok(!page.includes('"><script>'), "no attribute broken out of");
  assert.ok(page.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"));
  assert.match(page, /<td>50%<\/td><td>300 ms<\/td><td>4<\/td>/);
  const scripted = hostileSummary();
  scripted.timeline[0]!.url = "javascript:alert(1)";
  assert.ok(!renderBoard(scripted).includes("javascript:"), "no script link");
  const badge = renderBadge(HOSTILE, "failing", 0.5);
  assert.ok(!badge.includes("<script>"));
  const feed = renderFeed([alert({ title: HOSTILE })], "https://board.example/");
  assert.ok(!feed.includes("<script>"));
  assert.match(feed, /<title>&lt;script&gt;/);
});

test("the checks query takes provider, model, since and limit, each checked", () => {
  const url = (q: string) => new URL(`https://board.example/api/checks?${q}`);
  const fine = checksParams(
    url("provider=openai&model=gpt-5.1-mini&since=2026-12-03T11:00:00Z&limit=5"),
    NOW,
  );
  assert.deepEqual(fine, {
    ok: true,
    value: {
      provider: "openai",
      model: "gpt-5.1-mini",
      sinceIso: "2026-12-03T11:00:00.000Z",
      limit: 5,
    },
  });
  const defaults = checksParams(url(""), NOW);
  assert.deepEqual(defaults, {
    ok: true,
    value: { sinceIso: "2026-12-03T11:00:00.000Z", limit: 200 },
  });
  for (const q of [
    "limit=1001",
    "limit=1e3",
    "since=2026-12-03",
    "provider=",
    "model=a%00b",
    "x=1",
  ]) {
    const answer = checksParams(url(q), NOW);
    assert.equal(answer.ok, false, q);
    assert.ok(!answer.ok && answer.reason.length > 0);
  }
});
