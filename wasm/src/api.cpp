#include "api.h"

#include <map>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "aggregate.h"
#include "alerting.h"
#include "api-support.h"
#include "budget.h"
#include "classify.h"
#include "config.h"
#include "cost.h"
#include "json-read.h"
#include "json-writer.h"
#include "request.h"
#include "rows.h"
#include "schedule.h"
#include "status-rows.h"
#include "summary.h"
#include "time-format.h"
#include "window-stats.h"

namespace heyhi {
namespace {

std::string_view thinking_name(Thinking thinking) {
  switch (thinking) {
    case Thinking::automatic: return "auto";
    case Thinking::off: return "off";
    case Thinking::minimal: return "minimal";
    case Thinking::low: return "low";
    case Thinking::provider_default: return "provider_default";
  }
  return "auto";
}

void write_headers(JsonWriter& w, const ProbeRequest& request) {
  w.key("headers").begin_object();
  for (const auto& [name, value] : request.headers) w.field(name, value);
  w.end_object();
}

void write_request(JsonWriter& w, const ProbeRequest& request) {
  w.begin_object().field("method", request.method).field("url", request.url);
  write_headers(w, request);
  w.field("body", request.body);
  w.key("auth").begin_object().field("header", request.auth.header);
  w.field("prefix", request.auth.prefix).field("secret_name", request.auth.secret_name);
  w.end_object().end_object();
}

void write_config(JsonWriter& w, const Config& config) {
  w.begin_object().key("regions").begin_array();
  for (const auto& region : config.regions) w.value(region);
  w.end_array().field("max_concurrency", config.max_concurrency);
  w.field("provider_origin", config.provider_origin).field("prompt", config.prompt);
  w.key("targets").begin_array();
  for (const Target& t : config.targets) {
    w.begin_object().field("id", t.id).field("provider", provider_name(t.provider));
    w.field("model", t.model).field("tier", t.tier).field("cadence_min", t.cadence_min);
    w.field("timeout_ms", t.timeout_ms).field("thinking", thinking_name(t.thinking));
    w.field("max_tokens", t.max_tokens).field("reasoning_effort", t.reasoning_effort);
    w.field("phase", t.phase).field("enabled", t.enabled);
    w.field("confirm_min", t.rules.confirm_min).end_object();
  }
  w.end_array().end_object();
}

void read_headers(element outcome, Outcome& out) {
  auto headers = member(outcome, "headers");
  if (!headers || !headers->is_object()) return;
  for (auto [name, value] : fields(*headers)) {
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS) continue;
    std::string lower(name);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace_back(std::move(lower), std::string(text));
  }
}

double number_or(std::optional<element> value, double fallback) {
  double number;
  if (value && value->get_double().get(number) == simdjson::SUCCESS) return number;
  return fallback;
}

Outcome read_outcome(element outcome) {
  Outcome out;
  out.status = int_at(outcome, "status");
  read_headers(outcome, out);
  out.body = std::string(string_at(outcome, "body").value_or(""));
  out.body_capped = bool_at(outcome, "body_capped").value_or(false);
  if (auto ttfb = member(outcome, "ms_to_headers"); ttfb && !ttfb->is_null()) {
    out.ms_to_headers = number_or(ttfb, 0);
  }
  out.ms_total = number_or(member(outcome, "ms_total"), 0);
  if (auto error = member(outcome, "error"); error && error->is_object()) {
    out.failed = true;
    out.timed_out = bool_at(*error, "timed_out").value_or(false);
    out.error_name = std::string(string_at(*error, "name").value_or("Error"));
    out.error_message = std::string(string_at(*error, "message").value_or(""));
  }
  return out;
}

Result<ProbeContext> read_context(element root) {
  ProbeContext context;
  auto provider = string_at(root, "provider");
  auto parsed = provider ? provider_from_name(*provider) : std::nullopt;
  if (!parsed) return Error{"provider", "must be one of the six provider names"};
  context.provider = *parsed;
  auto model = string_at(root, "model");
  if (!model || model->empty()) return Error{"model", "is required"};
  context.model = std::string(*model);
  context.region = std::string(string_at(root, "region").value_or("unknown"));
  if (auto colo = string_at(root, "colo")) context.colo = std::string(*colo);
  auto scheduled = int_at(root, "scheduled_ms");
  if (!scheduled) return Error{"scheduled_ms", "must be epoch milliseconds"};
  context.scheduled_ms = *scheduled;
  context.started_ms = int_at(root, "started_ms").value_or(*scheduled);
  context.timeout_ms = static_cast<int>(int_at(root, "timeout_ms").value_or(0));
  return context;
}

// Rows arrive either as a bare array or wrapped as {"rows": [...]}. The error side is the
// finished answer to return.
Result<std::vector<Row>, std::string> rows_input(std::string_view in) {
  Document doc;
  if (doc.parse(in) != simdjson::SUCCESS) return error_answer("", "not valid JSON");
  auto array =
      doc.root().is_array() ? std::optional<element>(doc.root()) : member(doc.root(), "rows");
  if (!array) return error_answer("rows", "must be an array of rows");
  auto rows = read_rows(*array);
  if (!rows.ok()) return errors_answer({rows.error()});
  return std::move(rows).value();
}

void write_measured(JsonWriter& w, const Measured& m) {
  w.begin_object().field("window_min", m.window_min).field("probes", m.probes);
  w.field("failures", m.failures).field("failure_rate", m.failure_rate);
  w.field("p50_ms", m.p50_ms).field("p95_ms", m.p95_ms).field("baseline_p95_ms", m.baseline_p95_ms);
  w.field("regions_failing", m.regions_failing).field("regions_total", m.regions_total);
  w.key("error_types").begin_object();
  for (const auto& [type, count] : m.error_types) w.field(type, count);
  w.end_object().end_object();
}

void write_alert(JsonWriter& w, const Alert& a) {
  w.begin_object().field("rule", a.rule).field("scope", a.scope).field("provider", a.provider);
  w.field("model", a.model).field("region", a.region).field("verdict", a.verdict);
  w.field("title", a.title).field("detail", a.detail).field("fix", a.fix);
  w.field("official_status", a.official_status);
  w.field("official_acknowledged_at", a.official_acknowledged_at);
  w.field("official_lag_min", a.official_lag_min).field("opened_at", a.opened_at);
  w.field("last_notified_at", a.last_notified_at).field("resolved_at", a.resolved_at);
  w.key("vantage");
  if (a.vantage) {
    w.begin_object().field("state", a.vantage->state).field("evidence", a.vantage->evidence);
    w.end_object();
  } else {
    w.null();
  }
  w.key("measured");
  write_measured(w, a.measured);
  w.end_object();
}

using BaselineMap = std::map<std::string, std::optional<int64_t>>;

Result<BaselineMap> read_baseline_map(element object) {
  if (!object.is_object()) return Error{"baselines", "must be an object of target id to p95 ms"};
  BaselineMap out;
  for (auto [id, value] : fields(object)) {
    if (value.is_null()) {
      out[std::string(id)] = std::nullopt;
      continue;
    }
    auto ms = as_int(value);
    if (!ms || *ms < 0) {
      return Error{fmt::format("baselines.{}", id), "must be null or a whole number of ms"};
    }
    out[std::string(id)] = *ms;
  }
  return out;
}

// Each target's baseline latencies by target id, as the store grouped them.
Result<std::map<std::string, std::vector<int64_t>>> read_latencies(element groups) {
  if (!groups.is_array()) return Error{"latencies", "must be an array"};
  std::map<std::string, std::vector<int64_t>> out;
  size_t index = 0;
  for (element group : items(groups)) {
    std::string at = fmt::format("latencies[{}]", index++);
    auto provider = string_at(group, "provider");
    auto model = string_at(group, "model");
    auto values = member(group, "latencies");
    if (!provider || !model || !values || !values->is_array()) {
      return Error{at, "needs provider, model and latencies, an array of ms"};
    }
    std::vector<int64_t>& into = out[fmt::format("{}/{}", *provider, *model)];
    for (element value : items(*values)) {
      int64_t ms = 0;
      if (value.get_int64().get(ms) != simdjson::SUCCESS || ms < 0) {
        return Error{at + ".latencies", "must hold whole numbers of ms >= 0"};
      }
      into.push_back(ms);
    }
  }
  return out;
}

// The alerts the store holds open, as it answers them: rule, scope, opened_at and maybe
// last_notified_at and verdict.
Result<std::vector<OpenAlert>> read_open_alerts(element root) {
  std::vector<OpenAlert> out;
  auto open = member(root, "open_alerts");
  if (!open || !open->is_array()) return out;
  size_t index = 0;
  for (element item : items(*open)) {
    auto rule = string_at(item, "rule");
    auto scope = string_at(item, "scope");
    auto opened = string_at(item, "opened_at");
    auto opened_ms = opened ? parse_iso_utc(*opened) : std::nullopt;
    if (!rule || !scope || !opened_ms) {
      return Error{fmt::format("open_alerts[{}]", index), "needs rule, scope and opened_at"};
    }
    OpenAlert alert{std::string(*rule), std::string(*scope), *opened_ms, std::nullopt};
    if (auto last = string_at(item, "last_notified_at"))
      alert.last_notified_ms = parse_iso_utc(*last);
    if (auto verdict = string_at(item, "verdict")) alert.verdict = std::string(*verdict);
    out.push_back(std::move(alert));
    ++index;
  }
  return out;
}

Result<EvaluationInput> read_evaluation(element root) {
  EvaluationInput input;
  auto now = int_at(root, "now_ms");
  if (!now) return Error{"now_ms", "must be epoch milliseconds"};
  input.now_ms = *now;
  if (auto rows = member(root, "rows")) {
    auto parsed = read_rows(*rows);
    if (!parsed.ok()) return parsed.error();
    input.rows = std::move(parsed).value();
  }
  auto open = read_open_alerts(root);
  if (!open.ok()) return open.error();
  input.open_alerts = std::move(open).value();
  if (auto baselines = member(root, "baselines")) {
    auto parsed = read_baseline_map(*baselines);
    if (!parsed.ok()) return parsed.error();
    input.baselines = std::move(parsed).value();
  }
  if (auto official = member(root, "official"); official && official->is_object()) {
    for (auto [provider, status] : fields(*official)) {
      std::string_view text;
      if (status.get_string().get(text) == simdjson::SUCCESS) {
        input.official[std::string(provider)] = std::string(text);
      }
    }
  }
  return input;
}

void write_figures(JsonWriter& w, const ScopeFigures& s) {
  const Tally& t = s.tally;
  if (!s.provider.empty()) w.field("provider", s.provider);
  if (!s.model.empty()) w.field("model", s.model);
  if (!s.region.empty()) w.field("region", s.region);
  w.field("probes", t.probes).key("failures").begin_object();
  w.field("provider", t.provider).field("network", t.network).field("ours", t.ours);
  w.field("ambiguous", t.ambiguous).end_object();
  int64_t failed = t.provider + t.network + t.ours + t.ambiguous;
  w.key("failure_rate");
  t.probes > 0 ? w.value(static_cast<double>(failed) / static_cast<double>(t.probes)) : w.null();
  w.key("provider_failure_rate");
  t.probes > t.ours ? w.value(t.rate()) : w.null();
  auto p95 = nearest_rank(t.ok_latency, 0.95);
  w.field("p50_ms", nearest_rank(t.ok_latency, 0.50)).field("p95_ms", p95);
  w.key("error_types").begin_object();
  for (const auto& [type, count] : t.error_types()) w.field(type, count);
  w.end_object();
}

void write_vantage(JsonWriter& w, const std::optional<VantageEvidence>& v, int64_t now_ms) {
  w.key("vantage");
  if (!v) {
    w.null();
    return;
  }
  std::optional<std::string> vantage;
  if (!v->vantage.empty()) vantage = v->vantage;
  w.begin_object().field("verdict", v->verdict()).field("state", v->state());
  w.field("evidence", v->text(now_ms)).field("vantage", vantage).end_object();
}

void write_scopes(JsonWriter& w, std::string_view name, const std::vector<ScopeFigures>& all,
                  bool baselines, int64_t now_ms = 0) {
  w.key(name).begin_array();
  for (const ScopeFigures& s : all) {
    w.begin_object();
    write_figures(w, s);
    if (baselines) {
      w.field("baseline_p95_ms", s.baseline_p95_ms).key("p95_over_baseline");
      auto p95 = nearest_rank(s.tally.ok_latency, 0.95);
      if (p95 && s.baseline_p95_ms && *s.baseline_p95_ms > 0) {
        w.value(static_cast<double>(*p95) / static_cast<double>(*s.baseline_p95_ms));
      } else {
        w.null();
      }
      write_vantage(w, s.vantage, now_ms);
    }
    if (!s.region.empty()) w.field("outside_vantage", is_outside_vantage(s.region));
    w.end_object();
  }
  w.end_array();
}

void write_invocation(JsonWriter& w, std::string_view name, const InvocationBudget& budget) {
  w.key(name).begin_object().field("subrequests", budget.subrequest_total());
  w.field("connections", budget.connections).key("terms").begin_array();
  for (const BudgetTerm& term : budget.subrequests) {
    w.begin_object().field("what", term.what).field("count", term.count).end_object();
  }
  w.end_array().end_object();
}

void write_budget(JsonWriter& w, const Config& config, const Budget& budget) {
  w.begin_object().key("limits").begin_object().field("subrequests", kFreeSubrequests);
  w.field("connections", kFreeConnections).end_object();
  w.key("reads").begin_object().field("confirm_min", budget.reads.confirm_min);
  w.field("lookback_min", budget.reads.lookback_min);
  w.field("baseline_days", budget.reads.baseline_days);
  w.field("outside_lookback_min", budget.reads.outside_lookback_min).end_object();
  write_invocation(w, "region", budget.region);
  write_invocation(w, "scheduled", budget.scheduled);
  w.key("caps").begin_object().field("alert_actions", kAlertActionsPerRun);
  w.field("deliveries", kDeliveriesPerRun).field("backlog_flush", kBacklogFlushItems);
  w.field("backlog_max_items", config.backlog_max_items).end_object();
  w.field("busiest_minute_probes", budget.busiest_minute_probes);
  w.field("region_deadline_ms", budget.region_deadline_ms);
  w.field("backlog_minutes", budget.backlog_minutes).end_object();
}

void write_target_cost(JsonWriter& w, const TargetCost& t) {
  w.begin_object().field("id", t.id).field("probes_month", static_cast<int64_t>(t.probes_month));
  w.field("confirmation_probes_month", static_cast<int64_t>(t.confirmation_probes_month));
  w.field("outside_probes_month", static_cast<int64_t>(t.outside_probes_month));
  w.field("input_tokens", t.input_tokens).field("output_tokens", t.output_tokens);
  std::optional<double> in, out, usd;
  if (t.price) {
    in = t.price->input_usd_per_mtok;
    out = t.price->output_usd_per_mtok;
    usd = t.usd_month;
  }
  w.field("input_usd_per_mtok", in).field("output_usd_per_mtok", out).field("usd_month", usd);
  w.end_object();
}

void write_allowance(JsonWriter& w, const Allowance& a) {
  w.begin_object().field("service", a.service).field("what", a.what).field("per", a.per);
  w.field("used", a.used).field("limit", a.limit).field("share", a.used / a.limit);
  w.field("fits", a.fits()).field("note", a.note).end_object();
}

void write_cost(JsonWriter& w, const Config& config, const CostEstimate& cost) {
  w.begin_object().field("days", kCostDays).field("currency", "USD");
  std::optional<std::string> as_of;
  if (!config.cost.prices_as_of.empty()) as_of = config.cost.prices_as_of;
  w.field("prices_as_of", as_of).field("budget_usd_month", config.cost.budget_usd_month);
  w.field("usd_month", cost.usd_month).field("over_budget", cost.over_budget);
  w.field("probes_month", static_cast<int64_t>(cost.probes_month));
  w.field("confirmation_probes_month", static_cast<int64_t>(cost.confirmation_probes_month));
  w.field("outside_probes_month", static_cast<int64_t>(cost.outside_probes_month));
  w.field("outside_runs_per_day", config.cost.outside_runs_per_day);
  w.key("outside_runner").begin_object();
  w.field("repository", config.cost.outside_repository_private ? "private" : "public");
  w.field("billed_minutes_month", static_cast<int64_t>(cost.runner.billed_minutes_month));
  w.field("usd_month", cost.runner.usd_month);
  w.field("private_usd_month", cost.runner.private_usd_month).end_object();
  w.field("assumed_failure_rate", config.cost.assumed_failure_rate);
  w.key("unpriced").begin_array();
  for (const std::string& id : cost.unpriced) w.value(id);
  w.end_array().key("targets").begin_array();
  for (const TargetCost& t : cost.targets) write_target_cost(w, t);
  w.end_array().key("allowances").begin_array();
  for (const Allowance& a : cost.allowances) write_allowance(w, a);
  D1RowsWritten d1 = d1_rows_written();
  w.end_array().key("d1_rows_written").begin_object().field("probe", d1.probe);
  w.field("status_reading", d1.status_reading).field("alert_open", d1.alert_open);
  w.field("reminder", d1.reminder);
  w.field("delivery", d1.delivery).end_object();
  w.end_object();
}

void write_region_list(JsonWriter& w, const Config& config) {
  w.key("regions").begin_array();
  for (const std::string& region : config.regions) {
    ProbeRequest trace = colo_trace_request(config, region);
    w.begin_object().field("region", region).key("colo_trace").begin_object();
    w.field("url", trace.url).field("timeout_ms", kColoTraceTimeoutMs);
    write_headers(w, trace);
    w.end_object().end_object();
  }
  w.end_array();
}

}  // namespace

std::string api_aggregate(std::string_view in) {
  Document doc;
  if (doc.parse(in) != simdjson::SUCCESS) return error_answer("", "not valid JSON");
  auto now = int_at(doc.root(), "now_ms");
  if (!now) return error_answer("now_ms", "must be epoch milliseconds");
  auto window = int_at(doc.root(), "window_min");
  if (!window || *window < 1 || *window > 60 * 24 * 31) {
    return error_answer("window_min", "must be a whole number of minutes from 1 to 44640");
  }
  auto rows = member(doc.root(), "rows");
  if (!rows) return error_answer("rows", "must be an array of rows");
  auto parsed = read_rows(*rows);
  if (!parsed.ok()) return errors_answer({parsed.error()});

  Aggregation a = aggregate(parsed.value(), *now, static_cast<int>(*window));
  JsonWriter w;
  w.begin_object().field("ok", true).field("from", iso_utc_minute(a.from_ms + kMinuteMs));
  w.field("to", iso_utc_minute(a.to_ms)).field("window_min", *window).key("overall");
  w.begin_object();
  write_figures(w, a.overall);
  w.end_object();
  write_scopes(w, "providers", a.providers, false);
  write_scopes(w, "targets", a.targets, true, a.to_ms);
  write_scopes(w, "regions", a.regions, false);
  return w.end_object().take();
}

std::string api_evaluate(std::string_view in) {
  Document doc;
  if (doc.parse(in) != simdjson::SUCCESS) return error_answer("", "not valid JSON");
  auto config = embedded_config(doc.root());
  if (!config.ok()) return errors_answer(config.error());
  auto input = read_evaluation(doc.root());
  if (!input.ok()) return errors_answer({input.error()});
  add_status_sources(config.value(), member(doc.root(), "status_sources"), input.value());

  JsonWriter w;
  w.begin_object().field("ok", true).key("actions").begin_array();
  for (const AlertAction& action : evaluate(config.value(), input.value())) {
    w.begin_object().field("kind", action_kind_name(action.kind)).field("notify", action.notify);
    w.field("first_notice", action.first_notice).key("alert");
    write_alert(w, action.alert);
    w.end_object();
  }
  return w.end_array().end_object().take();
}

std::string api_baselines(std::string_view in) {
  Document doc;
  if (doc.parse(in) != simdjson::SUCCESS) return error_answer("", "not valid JSON");
  auto config = embedded_config(doc.root());
  if (!config.ok()) return errors_answer(config.error());
  auto now = int_at(doc.root(), "now_ms");
  if (!now) return error_answer("now_ms", "must be epoch milliseconds");
  int64_t now_minute_ms = *now - *now % kMinuteMs;
  auto latencies = member(doc.root(), "latencies");
  if (!latencies) return error_answer("latencies", "is required");
  auto by_target = read_latencies(*latencies);
  if (!by_target.ok()) return errors_answer({by_target.error()});

  JsonWriter w;
  int64_t hour_ms = now_minute_ms - now_minute_ms % (60 * kMinuteMs);
  w.begin_object().field("ok", true).field("hour", iso_utc_minute(hour_ms));
  w.key("targets").begin_object();
  for (const Target& t : config.value().targets) {
    auto found = by_target.value().find(t.id);
    if (found == by_target.value().end()) {
      w.key(t.id).null();
    } else {
      w.field(t.id, baseline_of(std::move(found->second)));
    }
  }
  return w.end_object().end_object().take();
}

std::string api_validate_config(std::string_view in) {
  auto parsed = parse_config(in);
  if (!parsed.ok()) return errors_answer(parsed.error());
  JsonWriter w;
  w.begin_object().field("ok", true).key("config");
  write_config(w, parsed.value());
  return w.end_object().take();
}

std::string api_budget(std::string_view in) {
  auto parsed = parse_config(in);
  if (!parsed.ok()) return errors_answer(parsed.error());
  Budget budget = compute_budget(parsed.value());
  auto problems = budget_problems(parsed.value(), budget);
  if (!problems.empty()) return errors_answer(problems);

  JsonWriter w;
  w.begin_object().field("ok", true).key("budget");
  write_budget(w, parsed.value(), budget);
  return w.end_object().take();
}

std::string api_cost(std::string_view in) {
  auto parsed = parse_config(in);
  if (!parsed.ok()) return errors_answer(parsed.error());
  const Config& config = parsed.value();
  CostEstimate cost = estimate_cost(config);
  JsonWriter w;
  w.begin_object().field("ok", true).key("cost");
  write_cost(w, config, cost);
  return w.end_object().take();
}

std::string api_plan(std::string_view in) {
  Document doc;
  if (doc.parse(in) != simdjson::SUCCESS) return error_answer("", "not valid JSON");
  auto config = embedded_config(doc.root());
  if (!config.ok()) return errors_answer(config.error());
  auto scheduled = int_at(doc.root(), "scheduled_ms");
  if (!scheduled) return error_answer("scheduled_ms", "must be epoch milliseconds");
  std::vector<Row> recent;
  if (auto rows = member(doc.root(), "recent")) {
    auto parsed = read_rows(*rows);
    if (!parsed.ok()) {
      Error e = parsed.error();
      if (e.field.rfind("rows", 0) == 0) e.field.replace(0, 4, "recent");
      return errors_answer({e});
    }
    recent = std::move(parsed).value();
  }
  auto open = read_open_alerts(doc.root());
  if (!open.ok()) return errors_answer({open.error()});

  JsonWriter w;
  w.begin_object().field("ok", true).field("scheduled_at", iso_utc_minute(*scheduled));
  w.field("epoch_minute", epoch_minute(*scheduled));
  w.field("max_concurrency", config.value().max_concurrency);
  write_region_list(w, config.value());
  w.key("due").begin_array();
  for (const PlannedProbe& probe : plan(config.value(), *scheduled, recent, open.value())) {
    w.begin_object().field("target_id", probe.target->id);
    w.field("reason", due_reason_name(probe.reason));
    w.field("provider", provider_name(probe.target->provider)).field("model", probe.target->model);
    w.field("region", probe.region).field("timeout_ms", probe.target->timeout_ms);
    w.key("request");
    write_request(w, probe.request);
    w.end_object();
  }
  return w.end_array().end_object().take();
}

std::string api_build_request(std::string_view in) {
  Document doc;
  if (doc.parse(in) != simdjson::SUCCESS) return error_answer("", "not valid JSON");
  auto config = embedded_config(doc.root());
  if (!config.ok()) return errors_answer(config.error());
  auto id = string_at(doc.root(), "target_id");
  auto region = string_at(doc.root(), "region");
  for (const Target& target : config.value().targets) {
    if (!id || target.id != *id) continue;
    ProbeRequest request = build_request(config.value(), target);
    if (region) {
      request = regional_request(config.value(), std::move(request), std::string(*region));
    }
    JsonWriter w;
    w.begin_object().field("ok", true).key("request");
    write_request(w, request);
    return w.end_object().take();
  }
  return error_answer("target_id", "names no target in the configuration");
}

std::string api_classify(std::string_view in) {
  Document doc;
  if (doc.parse(in) != simdjson::SUCCESS) return error_answer("", "not valid JSON");
  auto context = read_context(doc.root());
  if (!context.ok()) return errors_answer({context.error()});
  auto outcome = member(doc.root(), "outcome");
  if (!outcome || !outcome->is_object()) return error_answer("outcome", "must be an object");

  JsonWriter w;
  w.begin_object().field("ok", true).key("row");
  write_row(w, classify(context.value(), read_outcome(*outcome)));
  return w.end_object().take();
}

std::string api_insert_body(std::string_view in) {
  auto rows = rows_input(in);
  if (!rows.ok()) return rows.error();

  JsonWriter w;
  w.begin_object().field("ok", true);
  w.field("count", static_cast<int64_t>(rows.value().size())).key("body").begin_array();
  for (const Row& row : rows.value()) write_row(w, row);
  return w.end_array().end_object().take();
}

std::string api_summarize(std::string_view in) {
  auto rows = rows_input(in);
  if (!rows.ok()) return rows.error();

  JsonWriter w;
  w.begin_object().field("ok", true).key("targets").begin_array();
  for (const TargetSummary& s : summarize(rows.value())) {
    w.begin_object().field("provider", s.provider).field("model", s.model);
    w.field("probes", s.probes).field("failures", s.failures).key("by_error_type").begin_object();
    for (const auto& [type, count] : s.by_error_type) w.field(type, count);
    w.end_object().field("p50_ms", s.p50_ms).field("p95_ms", s.p95_ms).end_object();
  }
  return w.end_array().end_object().take();
}

}  // namespace heyhi
