// The board's routes: the page at /, /api/summary, /api/checks, badges, the alerts feed and
// the bundled chart library. Read-only, GET and HEAD only. Query parameters are checked
// before any read: an unknown, repeated or malformed one is a 400 that says which and why.
import { boardSummary, BoardError, type Summary } from "./board.ts";
import { BOARD_SCRIPT, renderBadge, renderBoard, renderFeed } from "./board-html.ts";
import type { Core } from "./core.ts";
import type { Logger } from "./log.ts";
import { secretRedactor } from "./redact.ts";
import { isoMillis } from "./store/alerts.ts";
import type { Settings } from "./settings.ts";

export interface BoardAssets {
  uplotScript: string;
  uplotStyle: string;
}

export interface BoardContext {
  core: Core;
  settings: Settings;
  log: Logger;
  assets: BoardAssets;
  nowMs: number;
}

const PROVIDER = /^[a-z][a-z0-9_-]{0,31}$/;
const MODEL = /^[A-Za-z0-9][A-Za-z0-9._:@\/-]{0,127}$/;
const WEEK_MS = 7 * 24 * 3_600_000;
const DEFAULT_SINCE_MS = 3_600_000;
const DEFAULT_LIMIT = 200;
const MAX_LIMIT = 1000;

type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface ChecksParams {
  provider?: string;
  model?: string;
  sinceIso: string;
  limit: number;
}

/** Only `allowed` names, each at most once; an unknown or repeated one is the reason. */
function singleParams(url: URL, allowed: string[]): Checked<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [name, value] of url.searchParams) {
    if (!allowed.includes(name)) {
      const known = allowed.length > 0 ? allowed.join(", ") : "none";
      return { ok: false, reason: `unknown parameter "${name}" (known: ${known})` };
    }
    if (out.has(name)) return { ok: false, reason: `parameter "${name}" given more than once` };
    out.set(name, value);
  }
  return { ok: true, value: out };
}

export function checksParams(url: URL, nowMs: number): Checked<ChecksParams> {
  const read = singleParams(url, ["provider", "model", "since", "limit"]);
  if (!read.ok) return read;
  const params = read.value;
  const provider = params.get("provider");
  const model = params.get("model");
  if (provider !== undefined && !PROVIDER.test(provider)) {
    return { ok: false, reason: "provider must be a lowercase name such as anthropic" };
  }
  if (model !== undefined && !MODEL.test(model)) {
    return { ok: false, reason: "model must be 1 to 128 letters, digits or ._:@/-" };
  }
  const since = params.get("since") ?? new Date(nowMs - DEFAULT_SINCE_MS).toISOString();
  const sinceIso = isoMillis(since);
  if (sinceIso === null) {
    return { ok: false, reason: "since must be a UTC time such as 2026-12-03T12:00:00Z" };
  }
  const sinceMs = Date.parse(sinceIso);
  if (sinceMs > nowMs) return { ok: false, reason: "since is in the future" };
  if (sinceMs < nowMs - WEEK_MS) return { ok: false, reason: "since is more than 7 days ago" };
  const limitText = params.get("limit") ?? String(DEFAULT_LIMIT);
  const limit = /^\d{1,4}$/.test(limitText) ? Number(limitText) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) {
    return { ok: false, reason: `limit must be a whole number from 1 to ${MAX_LIMIT}` };
  }
  const value: ChecksParams = { sinceIso, limit };
  if (provider !== undefined) value.provider = provider;
  if (model !== undefined) value.model = model;
  return { ok: true, value };
}

const badRequest = (reason: string) => Response.json({ error: reason }, { status: 400 });

function text(body: string, type: string, status = 200, cache = "no-store"): Response {
  return new Response(body, {
    status,
    headers: { "content-type": type, "cache-control": cache, "x-content-type-options": "nosniff" },
  });
}

/** The summary, or a 503 that names no store detail: the reason goes to the log only. */
async function summaryOr503(ctx: BoardContext): Promise<Summary | Response> {
  const targets = ctx.settings.config.targets.filter((t) => t.enabled);
  try {
    const { store, refusedChannels } = ctx.settings;
    return await boardSummary(ctx.core, store, targets, ctx.nowMs, refusedChannels);
  } catch (error) {
    if (!(error instanceof BoardError)) throw error;
    ctx.log.event("board_read_failed", { reason: error.message });
    return Response.json({ error: "the store could not be read" }, { status: 503 });
  }
}

async function checks(ctx: BoardContext, url: URL): Promise<Response> {
  const params = checksParams(url, ctx.nowMs);
  if (!params.ok) return badRequest(params.reason);
  const read = await ctx.settings.store.recentChecks(params.value);
  if (!read.ok) {
    ctx.log.event("board_read_failed", { reason: read.reason });
    return Response.json({ error: "the store could not be read" }, { status: 503 });
  }
  const { provider = null, model = null, sinceIso, limit } = params.value;
  const body = {
    provider,
    model,
    since: sinceIso,
    limit,
    count: read.rows.length,
    checks: read.rows,
  };
  return Response.json(body);
}

const BADGE_PATH = /^\/badge\/([^/]+?)(?:\/(.+))?\.svg$/;

async function badge(ctx: BoardContext, url: URL, match: RegExpExecArray): Promise<Response> {
  const none = singleParams(url, []);
  if (!none.ok) return badRequest(none.reason);
  let provider: string;
  let model: string | undefined;
  try {
    provider = decodeURIComponent(match[1] ?? "");
    model = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
  } catch {
    return badRequest("the badge path is not valid percent-encoding");
  }
  if (!PROVIDER.test(provider)) return badRequest("provider must be a lowercase name");
  if (model !== undefined && !MODEL.test(model)) return badRequest("model name is not valid");
  const summary = await summaryOr503(ctx);
  if (summary instanceof Response) return summary;
  const mine = summary.targets.filter(
    (t) => t.provider === provider && (model === undefined || t.model === model),
  );
  if (mine.length === 0) return text(renderBadge(provider, "unknown", null), "image/svg+xml", 404);
  const order = ["unknown", "ok", "degraded", "failing"] as const;
  const worst = mine.reduce((a, t) => (order.indexOf(t.status) > order.indexOf(a.status) ? t : a));
  const label = model === undefined ? provider : `${provider} ${model}`;
  return text(
    renderBadge(label, worst.status, worst.error_rate_15m),
    "image/svg+xml",
    200,
    "max-age=60",
  );
}

type Route = (ctx: BoardContext, url: URL) => Promise<Response>;

/** Pages whose only input is the summary: no query parameter is accepted. */
function fromSummary(render: (summary: Summary, url: URL) => Response): Route {
  return async (ctx, url) => {
    const none = singleParams(url, []);
    if (!none.ok) return badRequest(none.reason);
    const summary = await summaryOr503(ctx);
    return summary instanceof Response ? summary : render(summary, url);
  };
}

const ROUTES: Record<string, Route> = {
  "/": fromSummary((s) => text(renderBoard(s), "text/html; charset=utf-8")),
  "/api/summary": fromSummary((s) => Response.json(s)),
  "/api/checks": checks,
  "/alerts.rss": fromSummary((s, url) =>
    text(renderFeed(s.alerts, `${url.origin}/`), "application/rss+xml; charset=utf-8"),
  ),
  "/assets/uplot.js": async (ctx) => asset(ctx.assets.uplotScript, "text/javascript"),
  "/assets/uplot.css": async (ctx) => asset(ctx.assets.uplotStyle, "text/css"),
  "/assets/board.js": async () => asset(BOARD_SCRIPT, "text/javascript"),
};

const asset = (body: string, type: string) =>
  text(body, `${type}; charset=utf-8`, 200, "public, max-age=3600");

/** The board's answer to a request, or null when the path is not the board's. */
export async function boardResponse(ctx: BoardContext, request: Request): Promise<Response | null> {
  const url = new URL(request.url);
  const route = ROUTES[url.pathname];
  const badgeMatch = BADGE_PATH.exec(url.pathname);
  if (!route && !badgeMatch) return null;
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("the board is read-only\n", {
      status: 405,
      headers: { allow: "GET, HEAD" },
    });
  }
  const response = route ? await route(ctx, url) : await badge(ctx, url, badgeMatch!);
  return redacted(response, ctx.settings.secretValues);
}

// Stored details were scrubbed by the core; this also keeps out any configured secret that a
// provider might have echoed back, whatever its shape.
async function redacted(response: Response, secrets: string[]): Promise<Response> {
  const redact = secretRedactor(secrets);
  const body = await response.text();
  const clean = redact(body);
  if (clean === body) return new Response(body, response);
  return new Response(clean, { status: response.status, headers: response.headers });
}
