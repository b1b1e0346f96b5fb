// The board through `wrangler dev` with D1, seen by headless Chromium: the emulator takes
// Anthropic down, Slack answers that the webhook was removed, the official status page says
// all is well, and a vantage outside Cloudflare saw one of the failing models fine. The page,
// the JSON API, the badges and the feed must all say so, with no secret in any of them, and a
// bad parameter is a 400 with its reason.
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { chromium, type Browser } from "playwright-core";

import { startEmulator } from "../emulator/emulator.mjs";
import {
  applyD1Migrations,
  queryD1,
  ROOT,
  startWrangler,
  type Wrangler,
} from "../../scripts/lib/harness.ts";
import { startSlackReceiver } from "./slack-receiver.ts";

const PERSIST_TO = join(ROOT, ".wrangler/e2e-board");

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
const ARTIFACTS = join(ROOT, "tests/artifacts");
const KEY = "e2e-board-key-3f9a1c77";
const TARGETS = [
  { provider: "anthropic", model: "claude-haiku-5-5" },
  { provider: "anthropic", model: "claude-sonnet-5" },
  { provider: "mistral", model: "mistral-small-latest" },
  { provider: "openai", model: "gpt-5-nano" },
];
const CONFIG = JSON.stringify({
  regions: ["enam", "weur"],
  targets: TARGETS.map((t) => ({ ...t, cadence_min: 1, timeout_ms: 900 })),
});
// Recent minutes, so that they fall in the board's windows, which end now.
const FIRST_MINUTE = Math.floor(Date.now() / 60_000) * 60_000 - 4 * 60_000;
const minute = (i: number) => FIRST_MINUTE + i * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

let receiver: Awaited<ReturnType<typeof startSlackReceiver>>;
let emulator: Awaited<ReturnType<typeof startEmulator>>;
let wrangler: Wrangler;
let browser: Browser;

function seedOfficialStatus(): void {
  const since = iso(minute(-60));
  queryD1(
    PERSIST_TO,
    "insert into provider_status_current (provider, source, component, status, title, since, " +
      `updated_at) values ('anthropic', 'anthropic-status', 'api', 'operational', 'Claude API', ` +
      `'${since}', '${since}'), ('openai', 'openai-status', 'api', 'degraded', 'API', ` +
      `'${since}', '${since}')`,
  );
  queryD1(
    PERSIST_TO,
    "insert into provider_status_events (ts, provider, source, source_id, component, status, " +
      `impact, title, url) values ('${iso(minute(-30))}', 'openai', 'incidentio', 'inc-1', ` +
      "'api', 'degraded', 'minor', 'Elevated latency <for some>', " +
      "'https://status.openai.com/incidents/1')",
  );
}

// A GitHub runner's probe of one failing model, written after the alerts opened: the board
// reads it live, while the stored alerts keep the verdict they opened with.
function seedOutsideVantage(): void {
  const at = iso(minute(3)).replace(".000Z", "Z");
  queryD1(
    PERSIST_TO,
    "insert into llm_checks (scheduled_at, ts, region, colo, provider, model, ok, http_status, " +
      "error_type, attribution, latency_ms, ttfb_ms, tokens_in, tokens_out, request_id, detail) " +
      `values ('${at}', '${iso(minute(3) + 20_000)}', 'gha-eastus', null, 'anthropic', ` +
      "'claude-sonnet-5', 1, 200, null, null, 420, 300, 8, 1, null, null)",
  );
}

const REFUSED_WEBHOOK = "http://alerts.example.com/hook-token-4711";

before(async () => {
  receiver = await startSlackReceiver({ status: 404, body: "no_service" });
  emulator = await startEmulator({
    port: 0,
    log: null,
    faults: { rules: [{ provider: "anthropic", model: "*", sequence: ["overloaded"] }] },
  });
  applyD1Migrations(PERSIST_TO);
  seedOfficialStatus();
  wrangler = await startWrangler({
    persistTo: PERSIST_TO,
    vars: {
      HEYHI_CONFIG: CONFIG,
      PROVIDER_ORIGIN: emulator.url,
      HEYHI_STORE: "d1",
      ANTHROPIC_API_KEY: KEY,
      MISTRAL_API_KEY: KEY,
      OPENAI_API_KEY: KEY,
      SLACK_WEBHOOK_URL: receiver.url,
      // Plain http off loopback is refused: this channel is left out, the rest goes on.
      ALERT_WEBHOOK_URL: REFUSED_WEBHOOK,
    },
  });
  for (let i = 0; i <= 3; i++) await wrangler.fireMinute(minute(i));
  seedOutsideVantage();
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
});

after(async () => {
  await browser?.close();
  await wrangler?.stop();
  await emulator?.close();
  await receiver?.close();
});

const get = (path: string) => fetch(`${wrangler.url}${path}`);

test("the removed Slack webhook is marked dead and logged once as channel_dead", async () => {
  const dead = queryD1<{ status: string; last_error: string }>(
    PERSIST_TO,
    "select status, last_error from alert_deliveries where channel = 'slack'",
  );
  assert.ok(dead.length >= 1, "the opening was delivered to Slack");
  assert.ok(dead.every((d) => d.status === "dead" && d.last_error.includes("no_service")));
  const logged = await wrangler.eventsAtLeast("channel_dead", dead.length);
  assert.equal(logged.length, dead.length);
  assert.equal(logged[0]?.channel, "slack");
});

test("a refused webhook setting leaves probing and Slack going, and says what to fix", async () => {
  const health = await (await get("/health")).json();
  assert.equal(health.ok, true);
  assert.deepEqual(health.channels, ["slack"]);
  const refusal = [{ field: "ALERT_WEBHOOK_URL", message: "must be an https URL" }];
  assert.deepEqual(health.refused_channels, refusal);
  const logged = await wrangler.eventsAtLeast("channels_refused", 4);
  assert.ok(logged.length >= 4, "said on every minute run");
  assert.deepEqual(logged[0]?.errors, refusal);
  const leaked = wrangler.logs().filter((line) => line.includes("hook-token-4711"));
  assert.deepEqual(leaked, [], "the URL itself is never logged");
  const probed = queryD1<{ n: number }>(PERSIST_TO, "select count(*) as n from llm_checks");
  assert.ok((probed[0]?.n ?? 0) > 0);
  const summary = await (await get("/api/summary")).json();
  assert.deepEqual(summary.refused_channels, refusal);
  assert.match(await (await get("/")).text(), /ALERT_WEBHOOK_URL must be an https URL: no alert/);
});

test("nothing wrangler keeps on disk holds the Slack webhook's URL", () => {
  const secretPath = new URL(receiver.url).pathname;
  const holding = filesUnder(PERSIST_TO).filter((file) =>
    readFileSync(file).includes(Buffer.from(secretPath)),
  );
  assert.deepEqual(holding, []);
});

test("/api/summary names Anthropic failing on the provider's side, target by target", async () => {
  const response = await get("/api/summary");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /application\/json/);
  const summary = await response.json();
  assert.equal(summary.store, "d1");
  assert.equal(summary.verdict.state, "failing");
  assert.deepEqual(summary.verdict.failing, [
    {
      provider: "anthropic",
      verdict: "provider",
      alerts: summary.verdict.failing[0].alerts,
      evidence: "failing from enam, weur; no outside vantage",
    },
  ]);
  assert.match(summary.verdict.text, /^anthropic is failing: the evidence points at the provider/);
  const byId = new Map(summary.targets.map((t: any) => [`${t.provider}/${t.model}`, t]));
  assert.deepEqual(
    [...byId.keys()],
    TARGETS.map((t) => `${t.provider}/${t.model}`),
  );
  const haiku: any = byId.get("anthropic/claude-haiku-5-5");
  assert.equal(haiku.status, "failing");
  assert.equal(haiku.official_status, "operational");
  assert.equal(haiku.probes_15m, 8, "two regions, four minutes");
  assert.equal(haiku.error_rate_15m, 1);
  assert.equal(haiku.error_rate_24h, 1);
  assert.equal(haiku.error_rate_7d, 1);
  assert.equal(haiku.sparkline_24h.length, 24);
  assert.equal(haiku.sparkline_24h.at(-1), 1);
  assert.equal(haiku.sparkline_24h[0], null, "nothing probed a day ago");
  const mistral: any = byId.get("mistral/mistral-small-latest");
  assert.equal(mistral.status, "ok");
  assert.equal(mistral.error_rate_15m, 0);
  assert.equal(typeof mistral.p95_ms_15m, "number");
  assert.equal(mistral.official_status, "unknown", "no source configured");
  const openai: any = byId.get("openai/gpt-5-nano");
  assert.equal(openai.official_status, "degraded");
  assert.deepEqual(summary.dead_channels, [
    {
      channel: "slack",
      since: summary.alerts.at(-1).opened_at,
      reason: "no_service",
      fix: "replace SLACK_WEBHOOK_URL",
    },
  ]);
  const kinds = summary.timeline.map((e: any) => `${e.kind}:${e.provider}`);
  assert.ok(kinds.includes("alert:anthropic") && kinds.includes("official:openai"), kinds);
  assert.ok(summary.failed_probes.length > 0);
  assert.ok(summary.failed_probes.every((r: any) => r.provider === "anthropic" && !r.ok));
  assert.equal(summary.failed_probes[0].error_type, "overloaded");
  assert.equal(summary.failed_probes[0].attribution, "provider");
});

test("/api/checks answers a provider's and model's rows since a time, field by field", async () => {
  const since = iso(minute(2));
  const response = await get(
    `/api/checks?provider=anthropic&model=claude-haiku-5-5&since=${since}`,
  );
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.equal(body.provider, "anthropic");
  assert.equal(body.model, "claude-haiku-5-5");
  assert.equal(body.since, since);
  assert.equal(body.count, 4, "minutes 2 and 3 in two regions");
  const first = body.checks[0];
  assert.deepEqual(Object.keys(first).sort(), [
    "attribution",
    "colo",
    "detail",
    "error_type",
    "http_status",
    "latency_ms",
    "model",
    "ok",
    "provider",
    "region",
    "request_id",
    "scheduled_at",
    "tokens_in",
    "tokens_out",
    "ts",
    "ttfb_ms",
  ]);
  assert.equal(first.scheduled_at, iso(minute(3)).replace(".000Z", "Z"), "newest first");
  assert.equal(first.ok, false);
  assert.equal(first.http_status, 529);
  assert.equal(first.error_type, "overloaded");
  assert.equal(first.attribution, "provider");
  assert.ok(["enam", "weur"].includes(first.region));
  assert.equal(typeof first.latency_ms, "number");
  const all = await (await get(`/api/checks?since=${since}`)).json();
  assert.equal(all.count, 17, "every target, minutes 2 and 3, two regions, one outside row");
});

test("/api/summary lists the outside vantage apart and reads it for the target it saw", async () => {
  const summary = await (await get("/api/summary")).json();
  assert.deepEqual(
    summary.regions.map((r: any) => [r.region, r.outside_vantage, r.probes_1h]),
    [
      ["enam", false, 16],
      ["weur", false, 16],
      ["gha-eastus", true, 1],
    ],
    "four targets for four minutes from each Cloudflare region, Cloudflare's first",
  );
  assert.ok(summary.regions[0].error_rate_1h >= 0.5, "both Anthropic models fail there");
  assert.equal(summary.regions[2].error_rate_1h, 0);
  assert.equal(summary.regions[2].last_probe_at, iso(minute(3)).replace(".000Z", "Z"));
  const byId = new Map(summary.targets.map((t: any) => [`${t.provider}/${t.model}`, t]));
  const sonnet: any = byId.get("anthropic/claude-sonnet-5");
  assert.equal(sonnet.vantage.verdict, "network");
  assert.equal(sonnet.vantage.state, "fine");
  assert.equal(sonnet.vantage.vantage, "gha-eastus");
  assert.match(
    sonnet.vantage.evidence,
    /^failing from enam, weur; fine from gha-eastus (\d+ min ago|this minute)$/,
  );
  const haiku: any = byId.get("anthropic/claude-haiku-5-5");
  assert.deepEqual(haiku.vantage, {
    verdict: null,
    state: "none",
    evidence: "failing from enam, weur; no outside vantage",
    vantage: null,
  });
  assert.equal(byId.get("mistral/mistral-small-latest")?.vantage ?? null, null);
  // Haiku has no outside probe, so Anthropic stays on the provider's side.
  assert.equal(summary.verdict.failing[0].verdict, "provider");
  assert.equal(
    summary.verdict.text,
    "anthropic is failing: the evidence points at the provider: " +
      "failing from enam, weur; no outside vantage",
  );
});

test("a bad parameter is a 400 that says what is wrong", async () => {
  const cases: Array<[string, RegExp]> = [
    ["/api/checks?since=yesterday", /since must be a UTC time/],
    ["/api/checks?since=2026-12-03T12:00:00", /since must be a UTC time/],
    [`/api/checks?since=${iso(Date.now() + 3_600_000)}`, /since is in the future/],
    [`/api/checks?since=${iso(Date.now() - 8 * 86_400_000)}`, /more than 7 days/],
    ["/api/checks?provider=Anthropic%3Cscript%3E", /provider must be/],
    ["/api/checks?model=%20", /model must be/],
    ["/api/checks?limit=0", /limit must be/],
    ["/api/checks?provider=openai&provider=anthropic", /more than once/],
    ["/api/checks?colour=red", /unknown parameter "colour"/],
    ["/api/summary?x=1", /unknown parameter "x"/],
    ["/badge/Not%20A%20Provider.svg", /provider must be/],
  ];
  for (const [path, reason] of cases) {
    const response = await get(path);
    assert.equal(response.status, 400, path);
    const body = await response.json();
    assert.match(body.error, reason, path);
  }
});

test("badges show each provider's and model's measured status", async () => {
  const failing = await get("/badge/anthropic.svg");
  assert.equal(failing.status, 200);
  assert.equal(failing.headers.get("content-type"), "image/svg+xml");
  const svg = await failing.text();
  assert.match(svg, /^<svg /);
  assert.match(svg, /aria-label="anthropic: failing 100%"/);
  const model = await (await get("/badge/mistral/mistral-small-latest.svg")).text();
  assert.match(model, /aria-label="mistral mistral-small-latest: ok 0%"/);
  const unknown = await get("/badge/cohere.svg");
  assert.equal(unknown.status, 404);
  assert.match(await unknown.text(), /no data/);
});

test("the RSS feed carries our alerts", async () => {
  const response = await get("/alerts.rss");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /application\/rss\+xml/);
  const feed = await response.text();
  assert.match(feed, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<rss version="2.0">/);
  const items = feed.match(/<item>.*?<\/item>/g) ?? [];
  assert.ok(items.length >= 1);
  assert.match(items[0] ?? "", /<title>[^<]*claude-(haiku|sonnet)[^<]*<\/title>/);
  assert.match(items[0] ?? "", /<category>anthropic<\/category>/);
  assert.match(items[0] ?? "", /blamed on: provider/);
  assert.match(items[0] ?? "", /<pubDate>\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT<\/pubDate>/);
});

test("Chromium renders the board: verdict, dead Slack webhook, heatmap, charts", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const requests: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  const response = await page.goto(`${wrangler.url}/`);
  assert.equal(response?.status(), 200);
  await page.waitForSelector(".spark[data-drawn=uplot]");
  assert.match((await page.textContent("#verdict")) ?? "", /anthropic is failing: .*provider/);
  const banner = await page.textContent(".dead-channel");
  assert.match(
    banner ?? "",
    /Slack webhook is dead since .* \(no_service\) — replace SLACK_WEBHOOK_URL/,
  );
  for (const window of ["24h", "7d"]) {
    const cells = await page.$$eval(`#heatmap-${window} td.cell`, (tds) =>
      tds.map((td) => `${td.getAttribute("data-provider")}/${td.getAttribute("data-model")}`),
    );
    assert.deepEqual(
      cells,
      TARGETS.map((t) => `${t.provider}/${t.model}`),
      window,
    );
  }
  const haikuRow = await page.textContent('#targets tr[data-model="claude-haiku-5-5"]');
  assert.match(haikuRow ?? "", /failing.*operational.*100%/);
  assert.match((await page.textContent("#timeline")) ?? "", /Elevated latency <for some>/);
  const outside = await page.textContent('#regions tr[data-region="gha-eastus"]');
  assert.match(outside ?? "", /gha-eastus\s*outside Cloudflare\s*1\s*0%/);
  assert.equal(await page.$$eval(".spark canvas", (c) => c.length), TARGETS.length);
  const html = await page.content();
  assert.ok(!html.includes(KEY) && !html.includes(receiver.url), "no secret on the page");
  assert.ok(
    requests.every((u) => u.startsWith(wrangler.url)),
    "nothing from elsewhere",
  );
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, "board.png"), fullPage: true });
  await page.close();
});

test("without JavaScript the verdict, the table and the heatmap are all there", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${wrangler.url}/`);
  assert.match((await page.textContent("#verdict")) ?? "", /anthropic is failing/);
  assert.equal(await page.$$eval("#heatmap-24h td.cell", (c) => c.length), TARGETS.length);
  assert.match((await page.textContent("#targets")) ?? "", /mistral-small-latest/);
  await context.close();
});

test("no API answer carries a key or the webhook's address", async () => {
  for (const path of ["/api/summary", "/api/checks", "/alerts.rss", "/badge/anthropic.svg"]) {
    const text = await (await get(path)).text();
    assert.ok(!text.includes(KEY), path);
    assert.ok(!text.includes(receiver.url) && !text.includes("/services/T0"), path);
  }
});
