/// <reference types="node" />
// Types for the D1 REST API stand-in the outside-vantage tests start. Only what they touch.

declare module "*/d1-api/standin.mjs" {
  import type { DatabaseSync } from "node:sqlite";

  export interface D1Standin {
    port: number;
    apiBase: string;
    db: DatabaseSync;
    queries: Array<{ sql: string; params: string[] }>;
    close(): Promise<void>;
  }
  export function startD1Standin(options: {
    accountId: string;
    databaseId: string;
    apiToken: string;
    port?: number;
    db?: DatabaseSync;
  }): Promise<D1Standin>;
  export function migratedDatabase(): DatabaseSync;
}
