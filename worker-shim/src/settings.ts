// What a deployment is configured with: the targets document (embedded default, or the
// HEYHI_CONFIG variable), the provider origin override, the store, and the secrets. Read
// once per isolate and validated by the core, so a bad configuration (or one whose minute
// would exceed the Free plan's budget) fails at start-up with the core's field-by-field
// messages instead of at the first probe. A refused alert channel is only left out: a typo in
// one webhook's URL must not stop the probes and the other channels.
import defaultConfig from "../config/healthboard.json" with { type: "json" };
import type { Budget, Core, CoreError, CostEstimate, NormalisedConfig } from "./core.ts";
import {
  CHANNEL_SECRET_NAMES,
  loadChannels,
  type Channel,
  type ChannelEnv,
} from "./notify/channels.ts";
import { D1Store } from "./store/d1.ts";
import { PostgrestStore } from "./store/postgrest.ts";
import type { Store } from "./store/store.ts";
import { secretParts } from "./redact.ts";
import type { RegionObject } from "./regions.ts";

// What the Worker calls on a region's object, as the binding's stub type needs it.
type RegionObjectStub = RegionObject & Rpc.DurableObjectBranded;

export const SECRET_NAMES = [
  "OPENAI_API_KEY",
  "ANTHROPIC_API_KEY",
  "GEMINI_API_KEY",
  "XAI_API_KEY",
  "COHERE_API_KEY",
  "MISTRAL_API_KEY",
  "SUPABASE_SERVICE_ROLE_KEY",
  "AISTUDIO_STATUS_KEY",
  ...CHANNEL_SECRET_NAMES,
] as const;

export interface Env extends ChannelEnv {
  DB?: D1Database;
  REGIONS?: DurableObjectNamespace<RegionObjectStub>;
  HEYHI_CONFIG?: string;
  PROVIDER_ORIGIN?: string;
  HEYHI_STORE?: string;
  SUPABASE_URL?: string;
  OPENAI_API_KEY?: string;
  ANTHROPIC_API_KEY?: string;
  GEMINI_API_KEY?: string;
  XAI_API_KEY?: string;
  COHERE_API_KEY?: string;
  MISTRAL_API_KEY?: string;
  SUPABASE_SERVICE_ROLE_KEY?: string;
  AISTUDIO_STATUS_KEY?: string;
  BOARD_URL?: string;
}

export class ConfigurationError extends Error {
  override name = "ConfigurationError";
  readonly errors: CoreError[];

  constructor(errors: CoreError[]) {
    super(errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join("; "));
    this.errors = errors;
  }
}

export interface Settings {
  configJson: string;
  config: NormalisedConfig;
  budget: Budget;
  /** The month's token cost and free allowances, from the configuration alone. */
  cost: CostEstimate;
  store: Store;
  secrets: Record<string, string | undefined>;
  secretValues: string[];
  channels: Channel[];
  /**
   * Channel settings refused, each channel left out: probing and the other channels go on,
   * and the log, `/health` and the board say what to fix.
   */
  refusedChannels: CoreError[];
  boardUrl?: string;
}

function configDocument(env: Env): string {
  const text = env.HEYHI_CONFIG?.trim() ? env.HEYHI_CONFIG : JSON.stringify(defaultConfig);
  // Parsed here even without an origin override, so a broken variable is named as such.
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigurationError([
      { field: "HEYHI_CONFIG", message: `not valid JSON: ${message}` },
    ]);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigurationError([{ field: "HEYHI_CONFIG", message: "must be a JSON object" }]);
  }
  if (!env.PROVIDER_ORIGIN) return text;
  return JSON.stringify({ ...parsed, provider_origin: env.PROVIDER_ORIGIN });
}

/** The store the environment names; a D1 store needs `env.DB`, a binding or its stand-in. */
export function chooseStore(env: Env): Store {
  const wanted = env.HEYHI_STORE ?? (env.DB ? "d1" : "postgrest");
  if (wanted === "d1") {
    if (!env.DB)
      throw new ConfigurationError([
        { field: "DB", message: "HEYHI_STORE is d1 but no D1 binding named DB exists" },
      ]);
    return new D1Store(env.DB);
  }
  if (wanted === "postgrest") {
    const problems: CoreError[] = [];
    if (!env.SUPABASE_URL)
      problems.push({ field: "SUPABASE_URL", message: "is required for the postgrest store" });
    if (!env.SUPABASE_SERVICE_ROLE_KEY)
      problems.push({
        field: "SUPABASE_SERVICE_ROLE_KEY",
        message: "secret is required for the postgrest store",
      });
    if (problems.length > 0) throw new ConfigurationError(problems);
    return new PostgrestStore({
      url: env.SUPABASE_URL!,
      serviceKey: env.SUPABASE_SERVICE_ROLE_KEY!,
    });
  }
  throw new ConfigurationError([
    { field: "HEYHI_STORE", message: `must be "d1" or "postgrest", not "${wanted}"` },
  ]);
}

function isWebUrl(text: string): boolean {
  try {
    return ["http:", "https:"].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

/** Everything a run needs except where its rows go: a run outside the Worker may keep none. */
export type RunSettings = Omit<Settings, "store">;

export function loadSettings(core: Core, env: Env): Settings {
  const settings = loadRunSettings(core, env);
  return { ...settings, store: chooseStore(env) };
}

export function loadRunSettings(core: Core, env: Env): RunSettings {
  const configJson = configDocument(env);
  // The origin override is merged in through JSON.parse, which keeps the last of a repeated
  // key where the core refuses it: the document as given is judged first, as it is without.
  if (env.PROVIDER_ORIGIN && env.HEYHI_CONFIG?.trim()) {
    const given = core.validateConfig(env.HEYHI_CONFIG);
    if (!given.ok) throw new ConfigurationError(given.errors);
  }
  const answer = core.validateConfig(configJson);
  if (!answer.ok) throw new ConfigurationError(answer.errors);
  // A minute that would exceed the Free plan's subrequests is refused here, not at run time.
  const costed = core.budget(configJson);
  if (!costed.ok) throw new ConfigurationError(costed.errors);
  const priced = core.cost(configJson);
  if (!priced.ok) throw new ConfigurationError(priced.errors);
  const secrets: Record<string, string | undefined> = {};
  for (const name of SECRET_NAMES) secrets[name] = env[name];
  const secretValues = Object.values(secrets)
    .filter((v): v is string => typeof v === "string" && v.length > 0)
    .flatMap(secretParts);
  const { channels, problems } = loadChannels(env);
  const settings: RunSettings = {
    configJson,
    config: answer.config,
    budget: costed.budget,
    cost: priced.cost,
    secrets,
    secretValues,
    channels,
    refusedChannels: problems,
  };
  if (env.BOARD_URL && isWebUrl(env.BOARD_URL)) settings.boardUrl = env.BOARD_URL;
  else if (env.BOARD_URL) {
    // Left out as a refused channel is: the messages go, without the board's link.
    settings.refusedChannels.push({ field: "BOARD_URL", message: "must be an http or https URL" });
  }
  return settings;
}
