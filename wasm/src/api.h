// The core's whole interface: each function takes one JSON document and returns one.
// Every answer is an object with "ok"; a false "ok" carries "errors": [{field, message}].
// The same functions back the WebAssembly exports and the native tests and benchmarks.
#pragma once

#include <string>
#include <string_view>

namespace heyhi {

// in:  a configuration document.
// out: {"ok":true,"config":{regions, max_concurrency, provider_origin,
//       targets:[{id, provider, model, tier, cadence_min, timeout_ms, phase, enabled,
//       confirm_min}]}}
std::string api_validate_config(std::string_view in);

// in:  a configuration document.
// out: {"ok":true, "budget": {limits:{subrequests, connections},
//       region:{subrequests, connections, terms:[{what, count}]}, scheduled:{...the same...},
//       caps:{alert_actions, deliveries, backlog_flush, backlog_max_items},
//       busiest_minute_probes, region_deadline_ms, backlog_minutes}}
//      or the configuration's errors, or the limits it exceeds (field "targets", "regions" or
//      "backlog_max_items"), each saying by how much and what to change.
std::string api_budget(std::string_view in);

// in:  {"config": {...}, "now_ms",
//       "latencies": [{provider, model, latencies: [ms, ...]}]}
//      latencies: of each target's successful probes from Cloudflare's regions at this clock
//      hour on the previous days, as the store selects them (grouped there, so that a week of
//      samples crosses into the core as a few arrays of numbers rather than row objects).
// out: {"ok":true, "hour": <this clock hour, ISO>, "targets": {<target id>: p95 ms | null}}
//      what api_evaluate takes as "baselines" for every minute of the hour.
std::string api_baselines(std::string_view in);

// in:  a configuration document.
// out: {"ok":true, "cost": {days, currency, prices_as_of, budget_usd_month, usd_month,
//       over_budget, probes_month, confirmation_probes_month, outside_probes_month,
//       outside_runs_per_day, assumed_failure_rate, unpriced:[target id],
//       targets:[{id, probes_month, confirmation_probes_month, outside_probes_month,
//       input_tokens, output_tokens, input_usd_per_mtok, output_usd_per_mtok, usd_month}],
//       allowances:[{service, what, per, used, limit, share, fits, note}],
//       d1_rows_written:{probe, status_reading, alert_open, reminder, delivery}}}
//      Prices and usd_month are null for a target the price table does not list. Tokens are
//      per probe: the prompt with its chat template in, the output budget out. probes_month
//      is the cadence's; confirmation_probes_month is expected at assumed_failure_rate;
//      outside_probes_month comes from outside_runs_per_day; usd_month prices all three.
//      d1_rows_written: the rows D1 bills for each kind of write, from which the D1
//      allowances are computed.
std::string api_cost(std::string_view in);

// in:  {"config": {...}, "scheduled_ms": <epoch ms>, "recent"?: [row, ...],
//       "open_alerts"?: [{rule, scope, opened_at}, ...]}
//      recent: rows of the last minutes (failures suffice); a target with a failure blamed on
//      the provider or the network within its confirm_min is due every minute, unless an open
//      alert already explains that failure (see schedule.h).
// out: {"ok":true, "scheduled_at", "epoch_minute", "max_concurrency",
//       "regions":[{region, colo_trace:{url, timeout_ms, headers:{name:value}}}],
//       "due":[{target_id, reason, provider, model, region, timeout_ms, request}]}
//       where reason is "cadence" or "confirm", and request = {method, url,
//       headers:{name:value}, body, auth:{header, prefix, secret_name}}; the shim adds the
//       credential. With a provider origin every request
//       carries the x-heyhi-region header.
std::string api_plan(std::string_view in);

// in:  {"config": {...}, "target_id": "provider/model", "region"?: "name"}
// out: {"ok":true, "request": {...}} as in api_plan; with a region (a Cloudflare hint or an
//      outside vantage's name), the request carries it as api_plan's do.
std::string api_build_request(std::string_view in);

// in:  {provider, model, region, colo?, scheduled_ms, started_ms, timeout_ms,
//       outcome: {status?, headers?:{name:value}, body?, body_capped?, ms_to_headers?,
//                 ms_total, error?: {name, message, timed_out}}}
// out: {"ok":true, "row": {...one llm_checks row...}}
std::string api_classify(std::string_view in);

// in:  [row, ...] or {"rows": [row, ...]}
// out: {"ok":true, "count": N, "body": [row, ...]}: every row with the same keys in the
//      same order, ready for PostgREST and D1.
std::string api_insert_body(std::string_view in);

// in:  [row, ...] or {"rows": [...]}
// out: {"ok":true, "targets":[{provider, model, probes, failures, by_error_type:{},
//       p50_ms, p95_ms}]}
std::string api_summarize(std::string_view in);

// in:  {"rows": [row, ...], "now_ms": <epoch ms>, "window_min": N}
// out: {"ok":true, "from", "to", "window_min", "overall": F, "providers": [F + provider],
//       "targets": [F + provider, model, baseline_p95_ms, p95_over_baseline, vantage],
//       "regions": [F + region, outside_vantage]}
//      where F = {probes, failures:{provider, network, ours, ambiguous}, failure_rate,
//      provider_failure_rate, p50_ms, p95_ms, error_types:{}}. failure_rate is every failure
//      over every probe; provider_failure_rate is what the alert rules use: provider and
//      network failures over the probes that tested the provider. Rates and percentiles are
//      null for an empty scope; one sample is every percentile. A region is an
//      outside_vantage when its name is no Cloudflare location hint. A target's vantage is
//      null unless every Cloudflare region has been failing against it, and then
//      {verdict: network|provider|null, state: fine|failing|none, evidence, vantage}: what
//      the alert rules would say from the outside vantage's probes since then.
std::string api_aggregate(std::string_view in);

// in:  {"config": {...}, "now_ms": <epoch ms of the evaluating minute>,
//       "rows": [row, ...]            recent rows, and older ones at this hour for baselines,
//       "baselines"?: {<target id>: p95 ms | null}   as api_baselines answers; with it the
//                                      older rows are not needed,
//       "open_alerts": [{rule, scope, opened_at, last_notified_at?}],
//       "official": {"openai": "operational", ...},   absent providers are "unknown",
//       "status_sources": [status_sources row, ...]}  as api_parse_status answers them
//      With status_sources, each provider not in "official" gets its official status from
//      its configured sources, and a source whose last fetches failed opens a configuration
//      alert with scope "status:<source id>". Alerts then also carry
//      official_acknowledged_at and official_lag_min (minutes from the alert's opening to the
//      provider's first acknowledgement of an active incident; negative when it came first).
// out: {"ok":true, "actions":[{kind: open|remind|resolve, notify, alert:{rule, scope,
//       provider, model, region, verdict, title, detail, fix, official_status,
//       official_acknowledged_at, official_lag_min, opened_at,
//       last_notified_at, resolved_at, vantage: {state: fine|failing|none, evidence} | null,
//       measured:{window_min, probes, failures, failure_rate,
//       p50_ms, p95_ms, baseline_p95_ms, regions_failing, regions_total, error_types}}}]}
//      Rows whose region is no Cloudflare location hint come from an outside vantage: the
//      rules count Cloudflare rows only, and when every Cloudflare region is failing the
//      error rules' verdict and `vantage` say what the outside vantage saw since (network
//      when it was fine, provider when it failed too; as before, with state none, without).
std::string api_evaluate(std::string_view in);

// in:  {"kind": "open"|"remind"|"resolve", "alert": {...as in an api_evaluate action...},
//       "links"?: {"board", "status_page"}}
// out: {"ok":true, "slack": {text, blocks}, "webhook": {...heyhi.alert.v1, see notify.h...},
//       "email": {subject, text, html}}
//      The Slack payload fits every Block Kit limit and passes validate_slack_message. Only a
//      missing or invalid kind or alert is an error; any other field may be absent or wrong.
std::string api_render_notification(std::string_view in);

// in:  a Slack incoming-webhook payload
// out: {"ok":true} or {"ok":false,"errors":[{field: JSON path, message}]}
std::string api_validate_slack_message(std::string_view in);

// Official status. A status_sources row is {source, provider, format, url, etag,
// last_modified, fetched_at, http_status, parse_state: events|empty|failed|null, reason,
// failures, failed_since, last_ok_at, status, state: {components, incidents, known}}; the
// store keeps it as the core wrote it and gives it back (state as an object or JSON text).

// in:  {"config": {...}, "scheduled_ms": <epoch ms>, "sources": [status_sources row, ...]}
// out: {"ok":true, "max_subrequests", "timeout_ms", "max_body_bytes",
//       "due":[{source_id, provider, format, request:{method, url, headers:{name:value}, body,
//               auth?:{header, secret_name}}}]}
//      Least recently fetched first. headers carry If-None-Match and If-Modified-Since from
//      the last good reading; the shim adds the auth secret, as for probes.
std::string api_status_plan(std::string_view in);

// in:  {"config": {...}, "source_id", "now_ms", "previous"?: status_sources row,
//       "outcome": {status?, headers?:{name:value}, body?, body_capped?, error?:{name, message}}}
// out: {"ok":true, "state": "events"|"empty"|"failed"|"not_modified", "reason": text|null,
//       "events": [provider_status_events row, ...]     only those new since "previous",
//       "current": [provider_status_current row, ...]   only statuses that changed,
//       "source": status_sources row}                    to store in place of "previous"
//      A failed fetch (an error, a redirect, a non-2xx answer, HTML, a body that is not the
//      format's shape, a configured component missing from the page) keeps every part of the
//      previous reading and counts the failure; a 304 keeps the reading and ends a failure.
std::string api_parse_status(std::string_view in);

// in:  {"now_ms", "alerts": [{rule, scope, provider, verdict, opened_at, resolved_at?}],
//       "sources": [status_sources row, ...]}
// out: {"ok":true, "lags": [{provider, first_alert_at, alert_rule, alert_scope,
//       acknowledged_at, lag_min, source, source_id, incident_title, incident_url}]}
//      One per episode of provider-attributed alerts that the provider acknowledged.
std::string api_status_lag(std::string_view in);

}  // namespace heyhi
