// The C++ core, loaded from its WebAssembly module and called with JSON in, JSON out.
// The Worker passes the module its bundler compiled; Node passes one made from the file.
import createHeyhiCore from "../../build/wasm/heyhi-core.mjs";
import type { HeyhiCoreModule } from "../../build/wasm/heyhi-core.mjs";
import { isJsonArrayText, joinedArrays } from "./json-pages.ts";
import type { RuleRow } from "./store/store.ts";

export interface CoreError {
  field: string;
  message: string;
}

export type CoreAnswer<T> = ({ ok: true } & T) | { ok: false; errors: CoreError[] };

export interface ProbeRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  auth: { header: string; prefix: string; secret_name: string };
}

export interface DueProbe {
  /** cadence: the target's slot; confirm: a recent failure is being confirmed. */
  reason: "cadence" | "confirm";
  target_id: string;
  provider: string;
  model: string;
  region: string;
  timeout_ms: number;
  request: ProbeRequest;
}

export interface ColoTrace {
  url: string;
  timeout_ms: number;
  headers: Record<string, string>;
}

export interface RegionPlan {
  region: string;
  colo_trace: ColoTrace;
}

export interface Plan {
  scheduled_at: string;
  epoch_minute: number;
  max_concurrency: number;
  regions: RegionPlan[];
  due: DueProbe[];
}

export interface InvocationBudget {
  subrequests: number;
  connections: number;
  terms: Array<{ what: string; count: number }>;
}

/** What a minute costs on the Free plan, and the caps the shim applies to keep it so. */
export interface Budget {
  limits: { subrequests: number; connections: number };
  /** What the scheduled handler reads: failures to confirm, recent rows, hourly baselines. */
  reads: {
    confirm_min: number;
    lookback_min: number;
    baseline_days: number;
    outside_lookback_min: number;
  };
  region: InvocationBudget;
  scheduled: InvocationBudget;
  caps: {
    alert_actions: number;
    deliveries: number;
    backlog_flush: number;
    backlog_max_items: number;
  };
  busiest_minute_probes: number;
  region_deadline_ms: number;
  backlog_minutes: number;
}

/** One target's share of the month: probes from every region (the cadence's, and those
 * confirmation is expected to add), the outside vantages' probes, tokens per probe, dollars
 * for all. */
export interface TargetCost {
  id: string;
  probes_month: number;
  confirmation_probes_month: number;
  outside_probes_month: number;
  input_tokens: number;
  output_tokens: number;
  input_usd_per_mtok: number | null;
  output_usd_per_mtok: number | null;
  usd_month: number | null;
}

/** How much of one free allowance the configuration uses, per day, month or invocation. */
export interface Allowance {
  service: "workers" | "durable_objects" | "d1" | "supabase" | "github_actions";
  what: string;
  per: string;
  used: number;
  limit: number;
  share: number;
  fits: boolean;
  note: string;
}

export interface CostEstimate {
  days: number;
  currency: "USD";
  prices_as_of: string | null;
  budget_usd_month: number | null;
  usd_month: number;
  over_budget: boolean;
  probes_month: number;
  confirmation_probes_month: number;
  outside_probes_month: number;
  outside_runs_per_day: number;
  /** The outside vantage's GitHub Actions minutes: free from a public repository. */
  outside_runner: {
    repository: "public" | "private";
    billed_minutes_month: number;
    usd_month: number;
    /** What the same runs would cost from a private repository on GitHub Free. */
    private_usd_month: number;
  };
  assumed_failure_rate: number;
  unpriced: string[];
  targets: TargetCost[];
  allowances: Allowance[];
  /** The rows D1 bills for each kind of write: what its allowances are computed from. */
  d1_rows_written: {
    probe: number;
    status_reading: number;
    alert_open: number;
    reminder: number;
    delivery: number;
  };
}

export interface Outcome {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  body_capped?: boolean;
  ms_to_headers?: number | null;
  ms_total: number;
  error?: { name: string; message: string; timed_out: boolean };
}

export interface ClassifyInput {
  provider: string;
  model: string;
  region: string;
  colo: string | null;
  scheduled_ms: number;
  started_ms: number;
  timeout_ms: number;
  outcome: Outcome;
}

export interface CheckRow {
  scheduled_at: string;
  ts: string;
  region: string;
  colo: string | null;
  provider: string;
  model: string;
  ok: boolean;
  http_status: number | null;
  error_type: string | null;
  attribution: string | null;
  latency_ms: number;
  ttfb_ms: number | null;
  tokens_in: number | null;
  tokens_out: number | null;
  request_id: string | null;
  detail: string | null;
}

export interface TargetSummary {
  provider: string;
  model: string;
  probes: number;
  failures: number;
  by_error_type: Record<string, number>;
  p50_ms: number | null;
  p95_ms: number | null;
}

export interface AlertMeasured {
  window_min: number;
  probes: number;
  failures: number;
  failure_rate: number;
  p50_ms: number | null;
  p95_ms: number | null;
  baseline_p95_ms: number | null;
  regions_failing: number;
  regions_total: number;
  error_types: Record<string, number>;
}

export interface Alert {
  rule: "provider_errors" | "latency" | "official_mismatch" | "regional" | "configuration";
  scope: string;
  provider: string;
  model: string;
  region: string | null;
  verdict: "provider" | "ours" | "network";
  title: string;
  detail: string;
  fix: string | null;
  official_status: string;
  official_acknowledged_at?: string | null;
  official_lag_min?: number | null;
  opened_at: string;
  last_notified_at: string | null;
  resolved_at: string | null;
  /** What an outside vantage saw while every Cloudflare region failed; null otherwise. */
  vantage?: { state: "fine" | "failing" | "none"; evidence: string } | null;
  measured: AlertMeasured;
}

export interface AlertAction {
  kind: "open" | "remind" | "resolve";
  notify: boolean;
  /** A reminder that is the alert's first notification (it opened inside maintenance). */
  first_notice?: boolean;
  alert: Alert;
}

export interface OpenAlert {
  rule: string;
  scope: string;
  opened_at: string;
  last_notified_at: string | null;
  /** The verdict it opened with, which its resolution repeats. */
  verdict?: string | null;
}

export interface EvaluationInput {
  now_ms: number;
  rows: RuleRow[];
  open_alerts: OpenAlert[];
  official: Record<string, string>;
  status_sources?: StatusSourceRow[];
  /** This clock hour's latency baselines; without them `rows` must hold the older hours. */
  baselines?: Record<string, number | null>;
}

/** A clock hour's latency baselines, by target id (null: too few samples that hour). */
export interface HourBaselines {
  hour: string;
  targets: Record<string, number | null>;
}

/** One row of status_sources, as the core writes it and a store gives it back. */
export interface StatusSourceRow {
  source: string;
  provider: string;
  format: string;
  url: string;
  etag: string | null;
  last_modified: string | null;
  fetched_at: string | null;
  http_status: number | null;
  parse_state: "events" | "empty" | "failed" | null;
  reason: string | null;
  failures: number;
  failed_since: string | null;
  last_ok_at: string | null;
  status: string;
  state: Record<string, unknown> | string;
}

export interface StatusEventRow {
  ts: string;
  provider: string;
  source: string;
  source_id: string;
  component: string;
  status: string;
  impact: string | null;
  title: string;
  url: string | null;
}

export interface StatusCurrentRow {
  provider: string;
  source: string;
  component: string;
  status: string;
  title: string;
  since: string;
  updated_at: string;
}

export interface StatusLagRow {
  provider: string;
  first_alert_at: string;
  alert_rule: string;
  alert_scope: string;
  acknowledged_at: string;
  lag_min: number;
  source: string;
  source_id: string;
  incident_title: string;
  incident_url: string | null;
}

export interface AlertOpening {
  rule: string;
  scope: string;
  provider: string;
  verdict: string;
  opened_at: string;
  resolved_at: string | null;
}

export interface StatusRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  auth?: { header: string; secret_name: string };
}

export interface DueSource {
  source_id: string;
  provider: string;
  format: string;
  request: StatusRequest;
}

export interface StatusPlan {
  max_subrequests: number;
  timeout_ms: number;
  max_body_bytes: number;
  due: DueSource[];
}

export interface StatusFetch {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  body_capped?: boolean;
  error?: { name: string; message: string };
}

export interface ParsedStatus {
  state: "events" | "empty" | "failed" | "not_modified";
  reason: string | null;
  events: StatusEventRow[];
  current: StatusCurrentRow[];
  source: StatusSourceRow;
}

export interface ScopeFigures {
  probes: number;
  failures: { provider: number; network: number; ours: number; ambiguous: number };
  failure_rate: number | null;
  provider_failure_rate: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  error_types: Record<string, number>;
}

export interface Aggregation {
  from: string;
  to: string;
  window_min: number;
  overall: ScopeFigures;
  providers: Array<ScopeFigures & { provider: string }>;
  targets: Array<
    ScopeFigures & {
      provider: string;
      model: string;
      baseline_p95_ms: number | null;
      p95_over_baseline: number | null;
      /** Set while every Cloudflare region fails against the target. */
      vantage: TargetVantage | null;
    }
  >;
  regions: Array<ScopeFigures & { region: string; outside_vantage: boolean }>;
}

/** What a vantage point outside Cloudflare saw while every Cloudflare region failed. */
export interface TargetVantage {
  /** network: fine from outside; provider: failing from outside too; null: no outside probe. */
  verdict: "network" | "provider" | null;
  state: "fine" | "failing" | "none";
  evidence: string;
  vantage: string | null;
}

export interface SlackMessage {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

export interface Email {
  subject: string;
  text: string;
  html: string;
}

export interface NormalisedTarget {
  id: string;
  provider: string;
  model: string;
  tier: string;
  cadence_min: number;
  timeout_ms: number;
  phase: number;
  enabled: boolean;
  /** Minutes of one probe a minute after a failure blamed on the provider or network. */
  confirm_min: number;
}

export interface NormalisedConfig {
  regions: string[];
  max_concurrency: number;
  provider_origin: string;
  targets: NormalisedTarget[];
}

type Export =
  | "_hh_validate_config"
  | "_hh_budget"
  | "_hh_cost"
  | "_hh_baselines"
  | "_hh_plan"
  | "_hh_build_request"
  | "_hh_classify"
  | "_hh_insert_body"
  | "_hh_summarize"
  | "_hh_evaluate"
  | "_hh_aggregate"
  | "_hh_render_notification"
  | "_hh_validate_slack_message"
  | "_hh_status_plan"
  | "_hh_parse_status"
  | "_hh_status_lag";

export class Core {
  readonly #module: HeyhiCoreModule;
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();

  constructor(module: HeyhiCoreModule) {
    this.#module = module;
  }

  validateConfig(configJson: string): CoreAnswer<{ config: NormalisedConfig }> {
    return this.#call("_hh_validate_config", configJson);
  }

  budget(configJson: string): CoreAnswer<{ budget: Budget }> {
    return this.#call("_hh_budget", configJson);
  }

  /** The month's token cost from the configuration's price table, and the free allowances. */
  cost(configJson: string): CoreAnswer<{ cost: CostEstimate }> {
    return this.#call("_hh_cost", configJson);
  }

  /**
   * `recent`: rows of the last minutes, from which the core decides what to confirm; `open`:
   * the alerts open now, whose failures need no confirming.
   */
  plan(
    configJson: string,
    scheduledMs: number,
    recent: RuleRow[] = [],
    open: OpenAlert[] = [],
  ): CoreAnswer<Plan> {
    const rows = JSON.stringify(recent);
    const alerts = JSON.stringify(open);
    return this.#call(
      "_hh_plan",
      `{"scheduled_ms":${scheduledMs},"recent":${rows},"open_alerts":${alerts},` +
        `"config":${configJson}}`,
    );
  }

  /** The target's request; with `region`, the request names it as a planned probe's does. */
  buildRequest(
    configJson: string,
    targetId: string,
    region?: string,
  ): CoreAnswer<{ request: ProbeRequest }> {
    const rest = JSON.stringify({ target_id: targetId, region }).slice(1);
    return this.#call("_hh_build_request", `{"config":${configJson},${rest}`);
  }

  classify(input: ClassifyInput): CoreAnswer<{ row: CheckRow }> {
    return this.#call("_hh_classify", JSON.stringify(input));
  }

  insertBody(rows: CheckRow[]): CoreAnswer<{ count: number; body: CheckRow[] }> {
    return this.#call("_hh_insert_body", JSON.stringify(rows));
  }

  summarize(rows: CheckRow[]): CoreAnswer<{ targets: TargetSummary[] }> {
    return this.#call("_hh_summarize", JSON.stringify(rows));
  }

  /**
   * `latenciesJson`: a JSON array of {provider, model, latencies}, the latencies of successful
   * probes at this clock hour on earlier days, as the store sent it (Store.baselineLatencies).
   */
  baselines(configJson: string, nowMs: number, latenciesJson: string): CoreAnswer<HourBaselines> {
    if (!isJsonArrayText(latenciesJson)) {
      return { ok: false, errors: [{ field: "latencies", message: "must be a JSON array" }] };
    }
    const input = `{"config":${configJson},"now_ms":${nowMs},"latencies":${latenciesJson}}`;
    return this.#call("_hh_baselines", input);
  }

  /**
   * `rowPages`: more rows after `input.rows`, as JSON array texts in the form a store sent
   * them (Store.checksJson), joined here without being parsed.
   */
  evaluate(
    configJson: string,
    input: EvaluationInput,
    rowPages: readonly string[] = [],
  ): CoreAnswer<{ actions: AlertAction[] }> {
    const { rows, ...rest } = input;
    const fields = JSON.stringify(rest).slice(1, -1);
    const all = joinedArrays([JSON.stringify(rows), ...rowPages]);
    if (all === null) {
      return { ok: false, errors: [{ field: "rows", message: "every page must be a JSON array" }] };
    }
    const head = fields === "" ? "" : `${fields},`;
    return this.#call("_hh_evaluate", `{"config":${configJson},${head}"rows":${all}}`);
  }

  aggregate(rows: CheckRow[], nowMs: number, windowMin: number): CoreAnswer<Aggregation> {
    const input = `{"now_ms":${nowMs},"window_min":${windowMin},"rows":${JSON.stringify(rows)}}`;
    return this.#call("_hh_aggregate", input);
  }

  renderNotification(
    action: Pick<AlertAction, "kind" | "alert" | "first_notice">,
    links: { board?: string; status_page?: string } = {},
  ): CoreAnswer<{ slack: SlackMessage; webhook: Record<string, unknown>; email: Email }> {
    return this.#call("_hh_render_notification", JSON.stringify({ ...action, links }));
  }

  validateSlackMessage(payload: string): CoreAnswer<object> {
    return this.#call("_hh_validate_slack_message", payload);
  }

  statusPlan(
    configJson: string,
    scheduledMs: number,
    sources: StatusSourceRow[],
  ): CoreAnswer<StatusPlan> {
    const rest = `"scheduled_ms":${scheduledMs},"sources":${JSON.stringify(sources)}`;
    return this.#call("_hh_status_plan", `{"config":${configJson},${rest}}`);
  }

  parseStatus(
    configJson: string,
    input: {
      source_id: string;
      now_ms: number;
      outcome: StatusFetch;
      previous: StatusSourceRow | null;
    },
  ): CoreAnswer<ParsedStatus> {
    const rest = JSON.stringify(input).slice(1);
    return this.#call("_hh_parse_status", `{"config":${configJson},${rest}`);
  }

  statusLag(input: {
    now_ms: number;
    alerts: AlertOpening[];
    sources: StatusSourceRow[];
  }): CoreAnswer<{ lags: StatusLagRow[] }> {
    return this.#call("_hh_status_lag", JSON.stringify(input));
  }

  #call<T>(name: Export, input: string): T {
    const bytes = this.#encoder.encode(input);
    const module = this.#module;
    const pointer = module._hh_alloc(bytes.length);
    try {
      module.HEAPU8.set(bytes, pointer);
      const result = module[name](pointer, bytes.length);
      // Read HEAPU8 again: the call may have grown memory and replaced the view.
      const view = module.HEAPU8.subarray(result, result + module._hh_result_len());
      return JSON.parse(this.#decoder.decode(view)) as T;
    } finally {
      module._hh_free(pointer);
    }
  }
}

// Instantiation goes through Emscripten's instantiateWasm hook because Workers refuse to
// compile WebAssembly from bytes at run time: the module arrives already compiled. The glue
// has no failure path of its own, so a module that cannot be instantiated (say, glue and
// wasm from different builds) rejects here instead of leaving the load pending forever.
export async function loadCore(compiled: WebAssembly.Module): Promise<Core> {
  let fail: (error: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  const loading = createHeyhiCore({
    instantiateWasm(imports, receive) {
      WebAssembly.instantiate(compiled, imports).then(
        (instance) => receive(instance, compiled),
        (error: unknown) => fail(error),
      );
      return {};
    },
  });
  return new Core(await Promise.race([loading, failed]));
}
