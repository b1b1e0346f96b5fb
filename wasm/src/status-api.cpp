// The status exports: which sources to fetch now, what one fetch means, and the lag between
// our alerts and the providers' acknowledgements. Contracts are in api.h.
#include <fmt/format.h>

#include "api-support.h"
#include "api.h"
#include "status-json.h"
#include "status-rows.h"
#include "time-format.h"

namespace heyhi {
namespace {

std::string_view accept_for(StatusFormat format) {
  return format == StatusFormat::feed
             ? "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8"
             : "application/json";
}

void write_request(JsonWriter& w, const StatusSource& s, const SourceState* state) {
  w.begin_object().field("method", s.method).field("url", s.url).key("headers").begin_object();
  w.field("accept", accept_for(s.format));
  w.field("user-agent", "HeyHi-Healthboard/0.1 (status monitor)");
  for (const auto& [name, value] : s.headers) w.field(name, value);
  // Conditional only on what a good reading left: a 304 then means "as you last read it".
  if (state && state->last_ok_ms) {
    if (!state->etag.empty()) w.field("if-none-match", state->etag);
    if (!state->last_modified.empty()) w.field("if-modified-since", state->last_modified);
  }
  w.end_object().field("body", s.body);
  if (!s.auth_header.empty()) {
    w.key("auth").begin_object().field("header", s.auth_header);
    w.field("secret_name", s.auth_secret_name).end_object();
  }
  w.end_object();
}

FetchOutcome read_fetch(element outcome) {
  FetchOutcome out;
  out.status = int_at(outcome, "status");
  if (auto headers = member(outcome, "headers"); headers && headers->is_object()) {
    for (auto [name, value] : fields(*headers)) {
      std::string_view text;
      if (value.get_string().get(text) == simdjson::SUCCESS) {
        out.headers.emplace_back(ascii_lower(name), std::string(text));
      }
    }
  }
  out.body = text_or(outcome, "body");
  out.body_capped = bool_at(outcome, "body_capped").value_or(false);
  if (auto error = member(outcome, "error"); error && error->is_object()) {
    out.error = fmt::format("{}: {}", text_or(*error, "name", "Error"), text_or(*error, "message"));
  }
  return out;
}

std::vector<AlertOpening> read_openings(std::optional<element> list) {
  std::vector<AlertOpening> out;
  if (!list || !list->is_array()) return out;
  for (element a : items(*list)) {
    auto opened = time_at(a, "opened_at");
    if (!opened) continue;
    out.push_back({text_or(a, "rule"), text_or(a, "scope"), text_or(a, "provider"),
                   text_or(a, "verdict"), *opened, time_at(a, "resolved_at")});
  }
  return out;
}

}  // namespace

std::string api_status_plan(std::string_view in) {
  Document doc;
  if (doc.parse(in) != simdjson::SUCCESS) return error_answer("", "not valid JSON");
  auto config = embedded_config(doc.root());
  if (!config.ok()) return errors_answer(config.error());
  auto now = int_at(doc.root(), "scheduled_ms");
  if (!now) return error_answer("scheduled_ms", "must be epoch milliseconds");
  const StatusSettings& settings = config.value().status;
  std::vector<SourceState> states = read_source_states(member(doc.root(), "sources"));

  JsonWriter w;
  w.begin_object().field("ok", true).field("max_subrequests", settings.max_subrequests);
  w.field("timeout_ms", settings.timeout_ms).field("max_body_bytes", settings.max_body_kb * 1024);
  w.key("due").begin_array();
  for (const StatusSource* s : due_sources(settings, states, *now)) {
    if (!watches(config.value(), *s)) continue;
    w.begin_object().field("source_id", s->id).field("provider", s->provider);
    w.field("format", status_format_name(s->format)).key("request");
    write_request(w, *s, find_state(states, s->id));
    w.end_object();
  }
  return w.end_array().end_object().take();
}

std::string api_parse_status(std::string_view in) {
  Document doc;
  if (doc.parse(in) != simdjson::SUCCESS) return error_answer("", "not valid JSON");
  auto config = embedded_config(doc.root());
  if (!config.ok()) return errors_answer(config.error());
  auto now = int_at(doc.root(), "now_ms");
  if (!now) return error_answer("now_ms", "must be epoch milliseconds");
  auto id = string_at(doc.root(), "source_id");
  const StatusSource* source = id ? find_source(config.value().status, *id) : nullptr;
  if (!source) return error_answer("source_id", "names no status source in the configuration");
  auto outcome = member(doc.root(), "outcome");
  if (!outcome || !outcome->is_object()) return error_answer("outcome", "must be an object");
  std::vector<SourceState> states;
  if (auto row = member(doc.root(), "previous"); row && row->is_object()) {
    Document wrapped;
    std::string text = "[" + simdjson::minify(*row) + "]";
    if (wrapped.parse(text) == simdjson::SUCCESS) states = read_source_states(wrapped.root());
  }
  const SourceState* prior = states.empty() ? nullptr : &states.front();

  FetchResult result = apply_fetch(*source, prior, read_fetch(*outcome), *now);
  JsonWriter w;
  w.begin_object().field("ok", true).field("state", result.state);
  w.key("reason");
  result.reason.empty() ? w.null() : w.value(result.reason);
  w.key("events").begin_array();
  for (const StatusEventRow& e : result.events) write_event(w, e);
  w.end_array().key("current").begin_array();
  for (const CurrentRow& c : result.current) write_current(w, c, *now);
  w.end_array().key("source");
  write_source_state(w, result.next);
  return w.end_object().take();
}

std::string api_status_lag(std::string_view in) {
  Document doc;
  if (doc.parse(in) != simdjson::SUCCESS) return error_answer("", "not valid JSON");
  auto now = int_at(doc.root(), "now_ms");
  if (!now) return error_answer("now_ms", "must be epoch milliseconds");
  std::vector<SourceState> states = read_source_states(member(doc.root(), "sources"));
  std::vector<AlertOpening> alerts = read_openings(member(doc.root(), "alerts"));

  JsonWriter w;
  w.begin_object().field("ok", true).key("lags").begin_array();
  for (const Lag& lag : acknowledgement_lags(alerts, states, *now)) write_lag(w, lag);
  return w.end_array().end_object().take();
}

}  // namespace heyhi
