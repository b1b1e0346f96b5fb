// The alert step of a scheduled minute, after the probes are stored: read the recent rows
// and the open alerts back, let the core decide, record each transition in the store (which
// decides which invocation wins it, so two at once notify once), queue the notifications of
// the transitions this invocation won, and deliver what is due, retrying on later runs.
// Transitions the store could not take are handed back to be kept (in the home region's
// object) and are written first on a later run, in the order they were decided.
import type { AlertAction, Budget, Core, HourBaselines, StatusSourceRow } from "./core.ts";
import type { Logger } from "./log.ts";
import type { Channel } from "./notify/channels.ts";
import { sendEmail, type EmailBody } from "./notify/email.ts";
import { defaultSendDeps, type SendDeps, type SendResult } from "./notify/send.ts";
import { sendSlack } from "./notify/slack.ts";
import { sendWebhook } from "./notify/webhook.ts";
import { secretRedactor, type Redactor } from "./redact.ts";
import type { Settings } from "./settings.ts";
import type { Delivery, Failure, NewDelivery, StoredOpenAlert, TimeRange } from "./store/alerts.ts";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const MAX_ATTEMPTS = 10;

export interface AlertContext {
  core: Core;
  settings: Settings;
  log: Logger;
  send?: SendDeps;
  official?: Record<string, string>;
  /** Transitions kept from earlier runs, oldest first. */
  kept?: KeptTransition[];
  /** The status sources' state from the status step: official status and feed alerts. */
  statusSources?: StatusSourceRow[] | null;
  /** The latency baselines the home region's object keeps, if it answered this minute. */
  baselines?: HourBaselines | null;
}

/** A transition the store could not take, as kept until a later run writes it. */
export interface KeptTransition {
  /** kind|rule|scope|event time: one decision, kept once however often it is retried. */
  key: string;
  action: AlertAction;
  /** Where it stopped: the transition itself, or the queueing of its notifications. */
  stage: "record" | "enqueue";
  /** For a reminder, the last notification time the store had when it was decided. */
  previous_notified_at?: string | null;
  alert_id?: number;
  deliveries?: NewDelivery[];
}

export interface AlertReport {
  actions: number;
  opened: number;
  reminded: number;
  resolved: number;
  queued: number;
  sent: number;
  retrying: number;
  dead: number;
  /** Kept transitions written (or settled) in this run. */
  replayed: number;
  /** Transitions of this run the store could not take, handed back to be kept. */
  kept: number;
  /** Transitions past the per-run cap, left for the next minute's evaluation to decide again. */
  deferred: number;
  error?: string;
}

export interface AlertOutcome {
  report: AlertReport;
  /** What the keeper of transitions should forget and keep after this run. */
  change: { done: string[]; keep: KeptTransition[]; baselines?: HourBaselines };
}

/** The minutes the alert rules read each minute: their longest window, up to this one. */
export function recentRange(budget: Budget, nowMs: number): TimeRange {
  const iso = (ms: number) => new Date(ms).toISOString();
  return { from: iso(nowMs - (budget.reads.lookback_min - 1) * MINUTE_MS), to: iso(nowMs) };
}

/** Before the recent range, as far back as the verdict looks for an outside vantage's rows. */
export function outsideRange(budget: Budget, nowMs: number): TimeRange {
  const iso = (ms: number) => new Date(ms).toISOString();
  const { lookback_min, outside_lookback_min } = budget.reads;
  return {
    from: iso(nowMs - (outside_lookback_min - 1) * MINUTE_MS),
    to: iso(nowMs - lookback_min * MINUTE_MS),
  };
}

// The outside vantages' rows before the recent range, as the store's pages: a second
// signal, so a failed read is logged and the rules run on the Cloudflare rows alone.
async function outsidePages(ctx: AlertContext, nowMs: number): Promise<string[]> {
  const { budget, store } = ctx.settings;
  if (budget.reads.outside_lookback_min <= budget.reads.lookback_min) return [];
  const read = await store.checksJson([outsideRange(budget, nowMs)], { outsideOnly: true });
  if (read.ok) return read.pages;
  ctx.log.event("outside_rows_unreadable", { reason: read.reason });
  return [];
}

/** This clock hour on each of the previous days: where the latency baselines come from. */
export function baselineRanges(budget: Budget, nowMs: number): TimeRange[] {
  const iso = (ms: number) => new Date(ms).toISOString();
  const hour = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  return Array.from({ length: budget.reads.baseline_days }, (_, i) => {
    const start = hour - (i + 1) * 24 * HOUR_MS;
    return { from: iso(start), to: iso(start + HOUR_MS - MINUTE_MS) };
  });
}

const hourOf = (nowMs: number) => new Date(Math.floor(nowMs / HOUR_MS) * HOUR_MS).toISOString();

// The hour's baselines: those the home object keeps when they are this hour's, else one read
// of the earlier days' samples. Without them the rules judge latency by the absolute line.
async function hourBaselines(ctx: AlertContext, nowMs: number): Promise<HourBaselines | null> {
  const kept = ctx.baselines;
  if (kept && Date.parse(kept.hour) === Date.parse(hourOf(nowMs))) return kept;
  const { budget, configJson, store } = ctx.settings;
  const read = await store.baselineLatencies(baselineRanges(budget, nowMs));
  if (!read.ok) {
    ctx.log.event("baselines_unreadable", { reason: read.reason });
    return null;
  }
  const answer = ctx.core.baselines(configJson, nowMs, read.json);
  if (!answer.ok) {
    ctx.log.event("baselines_refused", { errors: answer.errors });
    return null;
  }
  return { hour: answer.hour, targets: answer.targets };
}

function eventTime(action: AlertAction): string {
  const { alert } = action;
  if (action.kind === "resolve") return alert.resolved_at ?? alert.opened_at;
  if (action.kind === "remind") return alert.last_notified_at ?? alert.opened_at;
  return alert.opened_at;
}

function payloadFor(
  channel: Channel,
  rendered: { slack: object; webhook: object; email: EmailBody },
) {
  if (channel.kind === "slack") return JSON.stringify(rendered.slack);
  if (channel.kind === "webhook") return JSON.stringify(rendered.webhook);
  return JSON.stringify(rendered.email);
}

function deliveriesFor(
  ctx: AlertContext,
  action: AlertAction,
  alertId: number,
  nowIso: string,
): NewDelivery[] {
  const { channels, boardUrl } = ctx.settings;
  if (!action.notify || channels.length === 0) return [];
  const rendered = ctx.core.renderNotification(action, boardUrl ? { board: boardUrl } : {});
  if (!rendered.ok) {
    ctx.log.event("render_failed", {
      rule: action.alert.rule,
      scope: action.alert.scope,
      errors: rendered.errors,
    });
    return [];
  }
  return channels.map((channel) => ({
    alert_id: alertId,
    event: action.kind,
    event_at: eventTime(action),
    channel: channel.name,
    payload: payloadFor(channel, rendered),
    next_attempt_at: nowIso,
  }));
}

type Won = { won: boolean; id?: number; retry?: boolean };

async function record(ctx: AlertContext, t: KeptTransition): Promise<Won> {
  const { store } = ctx.settings;
  const { action } = t;
  const { alert } = action;
  if (action.kind === "open") {
    const result = await store.openAlert(alert);
    return result.ok ? { won: result.opened, id: result.id } : failed(ctx, action, result);
  }
  if (action.kind === "remind") {
    const notifiedAt = alert.last_notified_at ?? alert.opened_at;
    const previous = t.previous_notified_at ?? null;
    const result = await store.remindAlert(alert.rule, alert.scope, previous, notifiedAt);
    return result.ok ? { won: result.updated, id: t.alert_id } : failed(ctx, action, result);
  }
  const at = alert.resolved_at ?? alert.opened_at;
  const result = await store.resolveAlert(alert.rule, alert.scope, at);
  return result.ok ? { won: result.resolved, id: result.id } : failed(ctx, action, result);
}

function failed(ctx: AlertContext, action: AlertAction, failure: Failure): Won {
  ctx.log.event("alert_store_failed", {
    kind: action.kind,
    rule: action.alert.rule,
    scope: action.alert.scope,
    reason: failure.reason,
    retryable: failure.retryable,
  });
  return { won: false, retry: failure.retryable };
}

type OpenRow = StoredOpenAlert;

async function send(
  ctx: AlertContext,
  channel: Channel,
  delivery: Delivery,
  nowMs: number,
): Promise<SendResult> {
  const deps = ctx.send ?? defaultSendDeps;
  if (channel.kind === "slack") return sendSlack(deps, channel.url, delivery.payload, nowMs);
  if (channel.kind === "webhook")
    return sendWebhook(deps, channel.url, delivery.payload, channel.secret, nowMs);
  return sendEmail(deps, channel, JSON.parse(delivery.payload) as EmailBody, nowMs);
}

function backoffMs(attempts: number): number {
  return Math.min(60, 2 ** attempts) * MINUTE_MS;
}

function withRedactedReason(result: SendResult, redact: Redactor): SendResult {
  return result.outcome === "sent" ? result : { ...result, reason: redact(result.reason) };
}

// A delivery is leased for this long while one invocation sends it.
const LEASE_MS = 5 * MINUTE_MS;

// One attempt at a due delivery; true if its channel asked to be left alone for a while.
async function deliver(
  ctx: AlertContext,
  delivery: Delivery,
  nowMs: number,
  report: AlertReport,
): Promise<boolean> {
  const lease = new Date(nowMs + LEASE_MS).toISOString();
  const claim = await ctx.settings.store.claimDelivery(delivery.id, delivery.attempts, lease);
  if (!claim.ok || !claim.claimed) return false;
  const channel = ctx.settings.channels.find((c) => c.name === delivery.channel);
  const attempts = delivery.attempts + 1;
  const now = new Date(nowMs).toISOString();
  const answered: SendResult = channel
    ? await send(ctx, channel, delivery, nowMs)
    : { outcome: "failed", reason: `channel ${delivery.channel} is no longer configured` };
  // A receiver's answer may echo the key or the URL it was sent: redacted before it is stored.
  const result = withRedactedReason(answered, secretRedactor(ctx.settings.secretValues));
  let update = {
    status: "dead" as "dead" | "sent" | "pending",
    attempts,
    next_attempt_at: delivery.next_attempt_at,
    last_error: null as string | null,
    sent_at: null as string | null,
  };
  if (result.outcome === "sent") {
    update = { ...update, status: "sent", sent_at: now };
    report.sent++;
  } else if (result.outcome === "retry" && attempts < MAX_ATTEMPTS) {
    const wait = result.retryAfterMs ?? backoffMs(attempts);
    update = {
      ...update,
      status: "pending",
      last_error: result.reason,
      next_attempt_at: new Date(nowMs + wait).toISOString(),
    };
    report.retrying++;
  } else {
    // Given up now: the board tells a dead channel's time from this.
    update = {
      ...update,
      next_attempt_at: now,
      last_error:
        result.outcome === "dead_channel" ? `channel dead: ${result.reason}` : result.reason,
    };
    report.dead++;
    if (result.outcome === "dead_channel") {
      ctx.log.event("channel_dead", { channel: delivery.channel, reason: result.reason });
    } else {
      // Given up on this message alone: refused as it is, or still failing after every attempt.
      ctx.log.event("delivery_given_up", {
        id: delivery.id,
        channel: delivery.channel,
        alert_event: delivery.event,
        attempts,
        reason: result.reason,
      });
    }
  }
  const marked = await ctx.settings.store.markDelivery(delivery.id, update);
  if (!marked.ok) ctx.log.event("delivery_mark_failed", { id: delivery.id, reason: marked.reason });
  return result.outcome === "retry" && result.retryAfterMs !== undefined;
}

async function deliverDue(ctx: AlertContext, nowMs: number, report: AlertReport): Promise<void> {
  const due = await ctx.settings.store.dueDeliveries(
    new Date(nowMs).toISOString(),
    ctx.settings.budget.caps.deliveries,
  );
  if (!due.ok) {
    ctx.log.event("deliveries_unreadable", { reason: due.reason });
    return;
  }
  // A channel that answered with Retry-After gets nothing more in this run: the rest of its
  // deliveries would only be refused the same way, each spending one of its attempts.
  const waiting = new Set<string>();
  for (const delivery of due.deliveries) {
    if (waiting.has(delivery.channel)) continue;
    if (await deliver(ctx, delivery, nowMs, report)) waiting.add(delivery.channel);
  }
}

interface Decision {
  actions: AlertAction[];
  open: Map<string, OpenRow>;
  /** Baselines read this minute, for the home object to keep for the rest of the hour. */
  fresh?: HourBaselines;
}

// One read of the rows and one of the open alerts; the same open alerts serve the core's
// decision and the conditional updates after it.
async function decide(ctx: AlertContext, nowMs: number, report: AlertReport): Promise<Decision> {
  const { store, budget } = ctx.settings;
  const [checks, open, baselines, outside] = await Promise.all([
    store.checksJson([recentRange(budget, nowMs)]),
    store.openAlerts(),
    hourBaselines(ctx, nowMs),
    outsidePages(ctx, nowMs),
  ]);
  const none: Decision = { actions: [], open: new Map() };
  if (!checks.ok) {
    report.error = `recent rows unreadable: ${checks.reason}`;
    return none;
  }
  if (!open.ok) {
    report.error = `open alerts unreadable: ${open.reason}`;
    return none;
  }
  const input = {
    now_ms: nowMs,
    rows: [],
    open_alerts: open.alerts,
    official: ctx.official ?? {},
    // Never absent: without baselines the core would look for them among the recent rows.
    baselines: baselines?.targets ?? {},
    ...(ctx.statusSources ? { status_sources: ctx.statusSources } : {}),
  };
  const answer = ctx.core.evaluate(ctx.settings.configJson, input, [...outside, ...checks.pages]);
  if (!answer.ok) {
    report.error = `core refused to evaluate: ${JSON.stringify(answer.errors)}`;
    return none;
  }
  const rows = new Map<string, OpenRow>();
  for (const a of open.alerts) rows.set(`${a.rule}|${a.scope}`, a);
  const fresh = baselines && baselines !== ctx.baselines ? { fresh: baselines } : {};
  return { actions: answer.actions, open: rows, ...fresh };
}

/** The transition of an action decided now, in the form it is kept in if the store fails. */
function transitionOf(action: AlertAction, open: OpenRow | undefined): KeptTransition {
  const key = `${action.kind}|${action.alert.rule}|${action.alert.scope}|${eventTime(action)}`;
  const t: KeptTransition = { key, action, stage: "record" };
  if (action.kind === "remind") {
    t.previous_notified_at = open?.last_notified_at ?? null;
    if (open?.id !== undefined) t.alert_id = open.id;
  }
  return t;
}

interface Progress {
  writes: number;
  blocked: boolean; // the store failed a write in this run: nothing later may overtake it
  pending: Array<{ t: KeptTransition; deliveries: NewDelivery[] }>;
  done: string[];
  keep: KeptTransition[];
}

// A kept transition the store now says was already taken may have been taken by the very run
// that kept it, its answer lost on the way back: then its notifications are still owed. Its
// time tells: another invocation's transition has its own minute, and queueing is idempotent
// on (alert, event, time, channel) either way. The look-up is one of the run's capped writes;
// past the cap the transition waits for the next run. False if it is to be kept.
async function owed(
  ctx: AlertContext,
  t: KeptTransition,
  nowIso: string,
  progress: Progress,
): Promise<boolean> {
  if (progress.writes >= ctx.settings.budget.caps.alert_actions) return false;
  progress.writes++;
  const { action } = t;
  const { rule, scope } = action.alert;
  const found = await ctx.settings.store.writtenAlert(action.kind, rule, scope, eventTime(action));
  if (!found.ok) return !found.retryable;
  if (found.id !== null) {
    progress.pending.push({ t, deliveries: deliveriesFor(ctx, action, found.id, nowIso) });
  }
  return true;
}

// One transition: record it (unless only its notifications were left), and set its
// notifications aside for the one enqueue of the run. False if the store should be retried.
async function apply(
  ctx: AlertContext,
  t: KeptTransition,
  nowIso: string,
  report: AlertReport,
  progress: Progress,
  kept = false,
): Promise<boolean> {
  if (t.stage === "enqueue") {
    progress.pending.push({ t, deliveries: t.deliveries ?? [] });
    return true;
  }
  progress.writes++;
  const result = await record(ctx, t);
  if (result.retry) return false;
  if (!result.won) return kept ? owed(ctx, t, nowIso, progress) : true;
  if (t.action.kind === "open") report.opened++;
  if (t.action.kind === "remind") report.reminded++;
  if (t.action.kind === "resolve") report.resolved++;
  if (result.id !== undefined) {
    progress.pending.push({ t, deliveries: deliveriesFor(ctx, t.action, result.id, nowIso) });
  }
  return true;
}

async function enqueuePending(ctx: AlertContext, progress: Progress, report: AlertReport) {
  const queue = progress.pending.flatMap((p) => p.deliveries);
  if (queue.length === 0) return;
  const enqueued = await ctx.settings.store.enqueueDeliveries(queue);
  if (enqueued.ok) {
    report.queued = enqueued.enqueued;
    return;
  }
  ctx.log.event("deliveries_not_queued", { reason: enqueued.reason });
  if (!enqueued.retryable) return;
  for (const { t, deliveries } of progress.pending) {
    progress.keep.push({ key: t.key, action: t.action, stage: "enqueue", deliveries });
  }
}

export async function runAlerts(ctx: AlertContext, scheduledTime: number): Promise<AlertOutcome> {
  const nowMs = Math.floor(scheduledTime / MINUTE_MS) * MINUTE_MS;
  const nowIso = new Date(nowMs).toISOString();
  const report: AlertReport = {
    actions: 0,
    opened: 0,
    reminded: 0,
    resolved: 0,
    queued: 0,
    sent: 0,
    retrying: 0,
    dead: 0,
    replayed: 0,
    kept: 0,
    deferred: 0,
  };
  const cap = ctx.settings.budget.caps.alert_actions;
  const progress: Progress = { writes: 0, blocked: false, pending: [], done: [], keep: [] };
  // What the store missed goes first, in order; a store that fails again stops the run's
  // writes, and the minute is decided again on the next one.
  for (const t of ctx.kept ?? []) {
    if (progress.writes >= cap) break;
    if (!(await apply(ctx, t, nowIso, report, progress, true))) {
      progress.blocked = true;
      break;
    }
    progress.done.push(t.key);
    report.replayed++;
  }
  const { actions, open, fresh } = progress.blocked
    ? { actions: [], open: new Map<string, OpenRow>() }
    : await decide(ctx, nowMs, report);
  for (const action of actions) {
    report.actions++;
    const t = transitionOf(action, open.get(`${action.alert.rule}|${action.alert.scope}`));
    if (progress.blocked) progress.keep.push(t);
    else if (progress.writes >= cap) report.deferred++;
    else if (!(await apply(ctx, t, nowIso, report, progress))) {
      progress.blocked = true;
      progress.keep.push(t);
    }
  }
  await enqueuePending(ctx, progress, report);
  // Read with no channel too: a removed or refused channel's pending messages are given up
  // on, not kept to go out, stale and without their sequel, once it is configured again.
  await deliverDue(ctx, nowMs, report);
  report.kept = progress.keep.length;
  ctx.log.event("alerts", { scheduled_at: nowIso, ...report });
  const change = {
    done: progress.done,
    keep: progress.keep,
    ...(fresh ? { baselines: fresh } : {}),
  };
  return { report, change };
}
