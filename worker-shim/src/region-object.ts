// The Durable Object that runs one region's probes. The scheduled handler reaches one object
// per configured region, by a stable name and with the region as its location hint, so each
// runs (best effort) where its hint says; the object keeps its colo and whatever the store
// could not take in its own SQLite storage.
import { DurableObject } from "cloudflare:workers";

import type { Core } from "./core.ts";
import { Backlog } from "./backlog.ts";
import { consoleLogger } from "./log.ts";
import {
  runRegion,
  settleTransitions,
  type RegionInput,
  type RegionResult,
  type TransitionChange,
} from "./region.ts";
import type { Env, Settings } from "./settings.ts";

export interface RegionObjectDeps {
  core: () => Promise<Core>;
  settings: (core: Core, env: Env) => Settings;
}

/** The class the Worker exports; `deps` are the Worker's own cached core and settings. */
export function regionObjectClass(deps: RegionObjectDeps) {
  return class RegionProbes extends DurableObject<Env> {
    readonly #backlog = new Backlog(this.ctx.storage.sql);

    async run(input: RegionInput): Promise<RegionResult> {
      const core = await deps.core();
      const settings = deps.settings(core, this.env);
      const log = consoleLogger(settings.secretValues);
      return runRegion({ core, settings, log, backlog: this.#backlog }, input);
    }

    async settle(change: TransitionChange) {
      const core = await deps.core();
      const settings = deps.settings(core, this.env);
      return settleTransitions(this.#backlog, change, settings.budget.caps.backlog_max_items);
    }
  };
}
