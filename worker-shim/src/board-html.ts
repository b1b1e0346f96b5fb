// The board as one HTML document, an SVG badge and an RSS feed, each built from a Summary.
// Every stored or configured text passes through escapeXml on its way out. The page is whole
// without JavaScript; with it, uPlot (served by the Worker) draws the 24-hour sparklines.
import type { Colour, RegionFigures, Summary, TargetFigures } from "./board.ts";
import type { BoardAlert } from "./store/board.ts";

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeXml(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

export const percent = (rate: number | null): string =>
  rate === null ? "–" : `${(rate * 100).toFixed(rate > 0 && rate < 0.1 ? 1 : 0)}%`;
const ms = (value: number | null): string => (value === null ? "–" : `${value} ms`);

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222;background:#fafafa}
h1{font-size:1.3rem;margin:0 0 .5rem}h2{font-size:1.05rem;margin:1.5rem 0 .5rem}
table{border-collapse:collapse}td,th{padding:.25rem .6rem;border-bottom:1px solid #ddd;
text-align:left;vertical-align:middle}
.verdict{font-size:1.2rem;font-weight:600;padding:.6rem 1rem;border-radius:6px}
.verdict.all_clear{background:#e3f6e5}.verdict.failing{background:#fde2e1}
.banner{background:#fff3cd;border:1px solid #e0b100;padding:.5rem 1rem;border-radius:6px;
margin:.5rem 0}
.dot{display:inline-block;width:.8rem;height:.8rem;border-radius:50%;margin-right:.3rem}
.ok .dot{background:#2e9d46}.degraded .dot{background:#e0a100}
.failing .dot{background:#d33}.unknown .dot{background:#999}
.heat td.cell{min-width:7rem;text-align:center;color:#111}
.spark{width:160px;height:36px}.muted{color:#777}`;

function colourCell(status: Colour): string {
  return `<td class="${status}"><span class="dot"></span>${status}</td>`;
}

function targetRow(t: TargetFigures): string {
  const spark = JSON.stringify(t.sparkline_24h);
  return (
    `<tr data-provider="${escapeXml(t.provider)}" data-model="${escapeXml(t.model)}">` +
    `<td>${escapeXml(t.provider)}</td><td>${escapeXml(t.model)}</td>${colourCell(t.status)}` +
    `<td>${escapeXml(t.official_status)}</td><td>${percent(t.error_rate_15m)}</td>` +
    `<td>${ms(t.p95_ms_15m)}</td><td>${t.probes_15m}</td>` +
    `<td><div class="spark" data-series="${escapeXml(spark)}">` +
    `<span class="muted">24h ${percent(t.error_rate_24h)}</span></div></td></tr>`
  );
}

// Green at no errors, through amber, to red at half of the probes failing or more.
function heatColour(rate: number | null): string {
  if (rate === null) return "#eee";
  const hue = Math.round(120 * (1 - Math.min(rate / 0.5, 1)));
  return `hsl(${hue},70%,72%)`;
}

function heatmap(targets: TargetFigures[], window: "24h" | "7d"): string {
  const providers = [...new Set(targets.map((t) => t.provider))];
  const rows = providers.map((provider) => {
    const cells = targets
      .filter((t) => t.provider === provider)
      .map((t) => {
        const rate = window === "24h" ? t.error_rate_24h : t.error_rate_7d;
        return (
          `<td class="cell" data-window="${window}" data-provider="${escapeXml(provider)}" ` +
          `data-model="${escapeXml(t.model)}" style="background:${heatColour(rate)}">` +
          `${escapeXml(t.model)}<br>${percent(rate)}</td>`
        );
      });
    return `<tr><th>${escapeXml(provider)}</th>${cells.join("")}</tr>`;
  });
  return `<table class="heat" id="heatmap-${window}">${rows.join("")}</table>`;
}

function deadBanners(summary: Summary): string {
  return summary.dead_channels
    .map((d) => {
      const name = d.channel === "slack" ? "Slack webhook" : `The ${d.channel} channel`;
      return (
        `<div class="banner dead-channel" role="alert">${escapeXml(name)} is dead since ` +
        `${escapeXml(d.since)} (${escapeXml(d.reason)}) — ${escapeXml(d.fix)}</div>`
      );
    })
    .join("");
}

function refusedBanners(summary: Summary): string {
  return summary.refused_channels
    .map((e) => {
      const until =
        e.field === "BOARD_URL"
          ? "the messages carry no link to the board until it is fixed"
          : "no alert is sent through it until it is fixed";
      return (
        `<div class="banner refused-channel" role="alert">${escapeXml(e.field)} ` +
        `${escapeXml(e.message)}: ${until}</div>`
      );
    })
    .join("");
}

function timeline(summary: Summary): string {
  if (summary.timeline.length === 0) return `<p class="muted">Nothing in the last 7 days.</p>`;
  const items = summary.timeline.map((e) => {
    // A status page's link is followed only if it is a web address, never a script.
    const title = /^https?:\/\//i.test(e.url ?? "")
      ? `<a href="${escapeXml(e.url)}" rel="noreferrer">${escapeXml(e.title)}</a>`
      : escapeXml(e.title);
    return (
      `<li class="${e.kind}"><time>${escapeXml(e.at)}</time> ` +
      `<b>${e.kind === "alert" ? "our alert" : "official"}</b> ${escapeXml(e.provider)}: ` +
      `${title} <span class="muted">${escapeXml(e.status)}</span></li>`
    );
  });
  return `<ol id="timeline">${items.join("")}</ol>`;
}

// Outside vantages (a GitHub runner, a laptop) get rows of their own, marked as such: their
// probes are a second opinion on Cloudflare's path, not another Cloudflare region.
function regionTable(regions: RegionFigures[]): string {
  if (regions.length === 0) return `<p class="muted">No probe in the last hour.</p>`;
  const rows = regions.map(
    (r) =>
      `<tr data-region="${escapeXml(r.region)}" data-outside="${r.outside_vantage}">` +
      `<td>${escapeXml(r.region)}</td>` +
      `<td>${r.outside_vantage ? "outside Cloudflare" : "Cloudflare"}</td>` +
      `<td>${r.probes_1h}</td><td>${percent(r.error_rate_1h)}</td>` +
      `<td>${escapeXml(r.last_probe_at)}</td></tr>`,
  );
  const head =
    "<tr><th>region or vantage</th><th>where</th><th>probes 1 h</th><th>errors 1 h</th>" +
    "<th>latest probe</th></tr>";
  return `<table id="regions">${head}${rows.join("")}</table>`;
}

function failedProbes(summary: Summary): string {
  if (summary.failed_probes.length === 0) return `<p class="muted">No failed probe.</p>`;
  const rows = summary.failed_probes.map(
    (r) =>
      `<tr><td>${escapeXml(r.scheduled_at)}</td><td>${escapeXml(r.provider)}</td>` +
      `<td>${escapeXml(r.model)}</td><td>${escapeXml(r.region)}</td>` +
      `<td>${escapeXml(r.http_status ?? "–")}</td><td>${escapeXml(r.error_type)}</td>` +
      `<td>${escapeXml(r.attribution)}</td><td>${escapeXml(r.detail ?? "")}</td>` +
      `<td>${escapeXml(r.request_id ?? "")}</td></tr>`,
  );
  const head =
    "<tr><th>minute</th><th>provider</th><th>model</th><th>region</th><th>HTTP</th>" +
    "<th>error</th><th>blamed on</th><th>detail</th><th>request id</th></tr>";
  return `<table id="failed">${head}${rows.join("")}</table>`;
}

export function renderBoard(summary: Summary): string {
  const head =
    "<tr><th>provider</th><th>model</th><th>measured</th><th>official</th>" +
    "<th>errors 15 min</th><th>p95 15 min</th><th>probes</th><th>last 24 h</th></tr>";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>HeyHi LLM Healthboard</title><link rel="stylesheet" href="/assets/uplot.css">
<link rel="alternate" type="application/rss+xml" title="HeyHi alerts" href="/alerts.rss">
<style>${STYLE}</style></head><body>
<h1>HeyHi LLM Healthboard</h1>
<p class="muted">Generated ${escapeXml(summary.generated_at)} from ${escapeXml(summary.store)}.
<a href="/api/summary">JSON</a> · <a href="/alerts.rss">alerts feed</a></p>
${refusedBanners(summary)}${deadBanners(summary)}
<p id="verdict" class="verdict ${summary.verdict.state}">${escapeXml(summary.verdict.text)}</p>
<h2>Providers and models</h2>
<table id="targets">${head}${summary.targets.map(targetRow).join("")}</table>
<h2>Where the probes come from, last hour</h2>${regionTable(summary.regions)}
<h2>Error rate, last 24 hours</h2>${heatmap(summary.targets, "24h")}
<h2>Error rate, last 7 days</h2>${heatmap(summary.targets, "7d")}
<h2>Timeline: our alerts and official events</h2>${timeline(summary)}
<h2>Latest failed probes</h2>${failedProbes(summary)}
<script src="/assets/uplot.js" defer></script><script src="/assets/board.js" defer></script>
</body></html>`;
}

/** Draws each sparkline from its data-series; the page stays whole if this never runs. */
export const BOARD_SCRIPT = `addEventListener("DOMContentLoaded", function () {
  if (typeof uPlot === "undefined") return;
  document.querySelectorAll(".spark[data-series]").forEach(function (el) {
    var ys = JSON.parse(el.getAttribute("data-series")).map(function (v) {
      return v === null ? null : Math.round(v * 1000) / 10;
    });
    var xs = ys.map(function (_, i) { return i; });
    el.textContent = "";
    new uPlot({ width: 160, height: 36, legend: { show: false }, cursor: { show: false },
      scales: { x: { time: false }, y: { range: [0, 100] } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: "#d33", fill: "rgba(221,51,51,.15)", spanGaps: false,
        points: { show: true, size: 5, fill: "#d33" } }] },
      [xs, ys], el);
    el.setAttribute("data-drawn", "uplot");
  });
});
`;

const BADGE_COLOUR: Record<Colour, string> = {
  ok: "#2e9d46",
  degraded: "#dfb317",
  failing: "#e05d44",
  unknown: "#9f9f9f",
};

// About 7 px a character at 11 px Verdana: a shields.io-like flat badge without measuring.
export function renderBadge(label: string, status: Colour, rate: number | null): string {
  const message = status === "unknown" ? "no data" : `${status} ${percent(rate)}`;
  const lw = 10 + label.length * 7;
  const mw = 10 + message.length * 7;
  const w = lw + mw;
  const name = escapeXml(`${label}: ${message}`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" \
aria-label="${name}"><title>${name}</title>
<rect width="${lw}" height="20" fill="#555"/>
<rect x="${lw}" width="${mw}" height="20" fill="${BADGE_COLOUR[status]}"/>
<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">
<text x="5" y="14">${escapeXml(label)}</text>
<text x="${lw + 5}" y="14">${escapeXml(message)}</text></g></svg>`;
}

export function renderFeed(alerts: BoardAlert[], boardUrl: string): string {
  const items = alerts.map((a) => {
    const state = a.resolved_at === null ? "open" : `resolved ${a.resolved_at}`;
    const official = `official: ${a.official_status}`;
    const description = `${a.detail} (blamed on: ${a.verdict}; ${official}; ${state})`;
    return (
      `<item><title>${escapeXml(a.title)}</title><link>${escapeXml(boardUrl)}</link>` +
      `<guid isPermaLink="false">heyhi-alert-${a.id}-${escapeXml(a.opened_at)}</guid>` +
      `<pubDate>${new Date(a.opened_at).toUTCString()}</pubDate>` +
      `<category>${escapeXml(a.provider)}</category>` +
      `<description>${escapeXml(description)}</description></item>`
    );
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>HeyHi alerts</title><link>${escapeXml(boardUrl)}</link>
<description>Alerts HeyHi opened from its own probes</description>
${items.join("\n")}
</channel></rss>
`;
}
