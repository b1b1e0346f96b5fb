// The Worker: a Cron Trigger every minute runs one scheduled minute, each region's probes in
// that region's Durable Object, then the alert step; fetch serves the board (board-http.ts)
// and a health document. The
// core module is compiled by the bundler and instantiated once per isolate; settings are
// validated (and the minute's budget checked) on first use.
import coreModule from "../../build/wasm/heyhi-core.wasm";
import uplotScript from "uplot/dist/uPlot.iife.min.js";
import uplotStyle from "uplot/dist/uPlot.min.css";
import { boardResponse } from "./board-http.ts";
import { loadCore, type Core } from "./core.ts";
import { warnAboutCost } from "./cost.ts";
import { consoleLogger, type Logger } from "./log.ts";
import { runAlerts, type AlertOutcome } from "./alerts.ts";
import { regionObjectClass } from "./region-object.ts";
import {
  homeRegion,
  regionObjectName,
  runRegions,
  type RegionLocator,
  type RunReport,
} from "./regions.ts";
import { runStatus } from "./status.ts";
import { ConfigurationError, loadSettings, type Env, type Settings } from "./settings.ts";
import { maintainTrendsHourly } from "./store/postgrest.ts";

let corePromise: Promise<Core> | undefined;
let cachedSettings: { env: Env; settings: Settings } | undefined;

// A failed load is not cached: the next invocation tries again and reports again.
function core(): Promise<Core> {
  corePromise ??= loadCore(coreModule).catch((error: unknown) => {
    corePromise = undefined;
    throw error;
  });
  return corePromise;
}

// The cost is said once per isolate, when its settings are first loaded.
function settingsFor(loaded: Core, env: Env): Settings {
  if (cachedSettings?.env === env) return cachedSettings.settings;
  const settings = loadSettings(loaded, env);
  cachedSettings = { env, settings };
  warnAboutCost(settings.cost, consoleLogger(settings.secretValues), settings.store.kind);
  return settings;
}

export const RegionProbes = regionObjectClass({ core, settings: settingsFor });

// One object per region, found by name and placed by its location hint the first time.
function regionLocator(env: Env): RegionLocator {
  return (region) => {
    if (!env.REGIONS) throw new Error("no Durable Object binding named REGIONS");
    const hint = region as DurableObjectLocationHint;
    return env.REGIONS.getByName(regionObjectName(region), { locationHint: hint });
  };
}

// The home region's object keeps the transitions the store could not take. Its kept ones
// are known only if it answered this minute; otherwise none are replayed or added.
async function handBackTransitions(
  locate: RegionLocator,
  settings: Settings,
  run: RunReport,
  alerts: AlertOutcome,
  log: Logger,
): Promise<void> {
  const { done, keep, baselines } = alerts.change;
  const transitions = done.length > 0 || keep.length > 0;
  if (!transitions && !baselines) return;
  const home = homeRegion(settings);
  if (run.home_transitions === null) {
    // Baselines not kept are read again next minute; transitions are worth a word.
    if (transitions) log.event("alert_transitions_unkept", { region: home, count: keep.length });
    return;
  }
  try {
    await locate(home).settle(alerts.change);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log.event("alert_transitions_unkept", { region: home, count: keep.length, reason });
  }
}

/** The settings, or null once `refused` has been given the configuration's errors. */
function settingsOr(
  loaded: Core,
  env: Env,
  refused: (errors: ConfigurationError["errors"]) => void,
): Settings | null {
  try {
    return settingsFor(loaded, env);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    refused(error.errors);
    return null;
  }
}

async function scheduled(controller: ScheduledController, env: Env): Promise<void> {
  const loaded = await core();
  const settings = settingsOr(loaded, env, (errors) =>
    consoleLogger([]).event("config_invalid", { errors }),
  );
  if (!settings) return;
  const log = consoleLogger(settings.secretValues);
  // Said every minute, as a refused configuration is: alerts are not reaching that channel.
  if (settings.refusedChannels.length > 0) {
    log.event("channels_refused", { errors: settings.refusedChannels });
  }
  const ctx = { core: loaded, settings, log };
  const locate = regionLocator(env);
  // The rows are stored first: whatever the alert step meets, the minute's data is kept.
  const run = await runRegions(ctx, controller.scheduledTime, locate);
  // The providers' own status pages, every few minutes each; the alert rules compare them.
  const status = await runStatus(ctx, controller.scheduledTime);
  const kept = run.home_transitions ?? [];
  const alerts = await runAlerts(
    { ...ctx, kept, statusSources: status.sources, baselines: run.home_baselines },
    controller.scheduledTime,
  );
  await handBackTransitions(locate, settings, run, alerts, log);
  await maintainTrendsHourly(settings.store, controller.scheduledTime, log);
}

async function health(env: Env): Promise<Response> {
  const loaded = await core();
  try {
    const settings = settingsFor(loaded, env);
    return Response.json({
      ok: true,
      store: settings.store.kind,
      regions: settings.config.regions,
      budget: settings.budget,
      cost: settings.cost,
      channels: settings.channels.map((c) => c.name),
      refused_channels: settings.refusedChannels,
      targets: settings.config.targets.map((t) => ({
        id: t.id,
        cadence_min: t.cadence_min,
        enabled: t.enabled,
      })),
      provider_origin: settings.config.provider_origin || null,
    });
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    return Response.json({ ok: false, errors: error.errors }, { status: 500 });
  }
}

async function fetchHandler(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === "/health") return health(env);
  const loaded = await core();
  const settings = settingsOr(loaded, env, () => {});
  if (!settings) {
    return Response.json({ error: "the configuration is invalid: see /health" }, { status: 500 });
  }
  const ctx = {
    core: loaded,
    settings,
    log: consoleLogger(settings.secretValues),
    assets: { uplotScript, uplotStyle },
    nowMs: Date.now(),
  };
  const answer = await boardResponse(ctx, request);
  return (
    answer ??
    new Response("not found\n", { status: 404, headers: { "content-type": "text/plain" } })
  );
}

export default {
  fetch: fetchHandler,
  scheduled,
} satisfies ExportedHandler<Env>;
