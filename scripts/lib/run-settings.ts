// What scripts/run hands the Worker and says of its settings, apart from the run itself so
// that it can be checked without a `wrangler dev`.
import type { Core, CoreError } from "../../worker-shim/src/core.ts";
import { warnAboutCost } from "../../worker-shim/src/cost.ts";

/**
 * The configuration for a run against the emulator: the user's own from .dev.vars, or the
 * embedded one, without status sources. Offline the providers' status pages are out of reach:
 * fetching them would only raise a configuration alert per page, sent to every channel, so
 * their official status stays unknown here. A configuration the Worker would refuse comes back
 * undefined, to be handed over as it is, so that the Worker says why.
 */
export function offlineConfig(
  core: Core,
  userConfig: string | undefined,
  embedded: string,
): string | undefined {
  // Only a configuration the core accepts is parsed here: JSON.parse would quietly take the
  // last of a key given twice, which the core refuses.
  if (userConfig !== undefined && !core.validateConfig(userConfig).ok) return undefined;
  const config = JSON.parse(userConfig ?? embedded);
  config.status = { ...config.status, sources: [] };
  return JSON.stringify(config);
}

/** The channel settings the Worker refused, as `/health` lists them, one line each. */
export function refusedChannelLines(refused: CoreError[]): string[] {
  if (refused.length === 0) return [];
  return [
    "channels the Worker refused (left out; probing and the other channels went on):",
    ...refused.map((r) => `  ${r.field}: ${r.message}`),
  ];
}

/**
 * The start-up warnings a Worker storing in D1 logs for `configJson`, from the same function
 * it calls: a run that left the status pages out says what they add once deployed (their rows
 * count toward D1's allowances).
 */
export function deployedWarnings(core: Core, configJson: string): Array<Record<string, unknown>> {
  const estimate = core.cost(configJson);
  if (!estimate.ok) return [];
  const warnings: Array<Record<string, unknown>> = [];
  const collect = {
    event: (event: string, fields = {}) => void warnings.push({ event, ...fields }),
  };
  warnAboutCost(estimate.cost, collect, "d1");
  return warnings;
}
