// Pieces the end-to-end tests share: the PostgREST stand-in on a port of their choosing, and
// a Worker in `wrangler dev` on a fresh local D1, probing the emulator with one fake key.
import { startEmulator } from "../emulator/emulator.mjs";
import { startStandin } from "../postgrest/standin.mjs";
import { applyD1Migrations, startWrangler, type Wrangler } from "../../scripts/lib/harness.ts";

/** The stand-in writing to the database scripts/pg-up prepared, as the service role. */
export function openStandin(port: number, serviceKey: string) {
  return startStandin({
    databaseUrl: process.env.HEYHI_PG_URL,
    serviceKey,
    anonKey: "anon-unused",
    port,
    log: () => {},
  });
}

export interface EmulatedWorkerOptions {
  persistTo: string;
  config: string;
  faults: { rules: object[] };
  /** Secret names to set to `key`, such as ANTHROPIC_API_KEY. */
  keys: string[];
  key: string;
}

export async function startEmulatedD1Worker(options: EmulatedWorkerOptions) {
  const emulator = await startEmulator({ port: 0, log: null, faults: options.faults });
  applyD1Migrations(options.persistTo);
  const vars: Record<string, string> = {
    HEYHI_CONFIG: options.config,
    PROVIDER_ORIGIN: emulator.url,
    HEYHI_STORE: "d1",
  };
  for (const name of options.keys) vars[name] = options.key;
  const wrangler: Wrangler = await startWrangler({ persistTo: options.persistTo, vars });
  return { emulator, wrangler };
}
