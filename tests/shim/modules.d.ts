/// <reference types="node" />
// Types for the plain-JavaScript test servers the shim tests start, and the little of `pg`
// they use. Only what the tests touch is declared.

declare module "*/emulator/emulator.mjs" {
  export interface RecordedRequest {
    method: string;
    path: string;
    query: Record<string, string>;
    headers: Record<string, string>;
    provider: string | null;
    model: string | null;
    region: string | null;
    fault: string | null;
    status: number | null;
  }
  export interface FaultRule {
    provider?: string;
    model?: string;
    region?: string;
    latency_ms?: number;
    body_delay_ms?: number;
    sequence?: string[];
  }
  export interface Emulator {
    url: string;
    setFaults(config: { seed?: number; rules: FaultRule[] }): unknown;
    requests(): RecordedRequest[];
    clearRequests(): number;
    traces(): Array<{ region: string | null; colo: string; received_at: string }>;
    close(): Promise<void>;
  }
  export function startEmulator(options: {
    port?: number;
    faults?: { rules: FaultRule[] };
    log?: null | ((event: object) => void);
  }): Promise<Emulator>;
}

declare module "*/postgrest/standin.mjs" {
  export function startStandin(options: {
    databaseUrl: string;
    serviceKey: string;
    anonKey: string;
    port?: number;
    log?: (event: object) => void;
  }): Promise<{ port: number; close(): Promise<void> }>;
}

declare module "pg" {
  interface QueryResult {
    rows: Record<string, unknown>[];
  }
  interface PoolClient {
    query(sql: string, values?: unknown[]): Promise<QueryResult>;
    release(): void;
  }
  class Pool {
    constructor(options: { connectionString: string; max?: number });
    connect(): Promise<PoolClient>;
    end(): Promise<void>;
  }
  const pg: { Pool: typeof Pool };
  export default pg;
}

declare module "*/status/status-server.mjs" {
  export interface StatusPage {
    status?: number;
    type?: string;
    headers?: Record<string, string>;
    body?: string;
    etag?: false;
  }
  export interface SeenRequest {
    method: string;
    path: string;
    headers: Record<string, string | undefined>;
    body: string;
  }
  export function startStatusServer(): Promise<{
    url: string;
    set(path: string, page: StatusPage): void;
    requests(): SeenRequest[];
    clear(): void;
    close(): Promise<void>;
  }>;
}
