// The Worker: a Cron Trigger every minute runs one scheduled minute of probes; fetch serves
// a health document. The core module is compiled by the bundler and instantiated once per
// isolate; settings are validated on first use.
import coreModule from "../../build/wasm/heyhi-core.wasm";
import { loadCore, type Core } from "./core.ts";
import { consoleLogger } from "./log.ts";
import { runAlerts } from "./alerts.ts";
import { runScheduled } from "./run.ts";
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

function settingsFor(loaded: Core, env: Env): Settings {
  if (cachedSettings?.env !== env) cachedSettings = { env, settings: loadSettings(loaded, env) };
  return cachedSettings.settings;
}

async function scheduled(controller: ScheduledController, env: Env): Promise<void> {
  const loaded = await core();
  let settings: Settings;
  try {
    settings = settingsFor(loaded, env);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    consoleLogger([]).event("config_invalid", { errors: error.errors });
    return;
  }
  const log = consoleLogger(settings.secretValues);
  // The rows are stored first: whatever the alert step meets, the minute's data is kept.
  await runScheduled({ core: loaded, settings, log }, controller.scheduledTime);
  await runAlerts({ core: loaded, settings, log }, controller.scheduledTime);
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
  return new Response("HeyHi LLM Healthboard: see /health\n", {
    headers: { "content-type": "text/plain" },
  });
}

export default {
  fetch: fetchHandler,
  scheduled,
} satisfies ExportedHandler<Env>;
