#include "status-rows.h"

#include "config.h"
#include "status-json.h"
#include "status-reading.h"
#include "time-format.h"

namespace heyhi {
namespace {

std::optional<int64_t> stored_time(element row, std::string_view key) {
  auto text = string_at(row, key);
  return text ? parse_rfc3339(*text) : std::nullopt;
}

void read_components(element state, SourceState& out) {
  auto list = array_at(state, "components");
  if (!list) return;
  for (element c : items(*list)) {
    StoredComponent s{text_or(c, "id"),
                      text_or(c, "name"),
                      text_or(c, "status", "unknown"),
                      stored_time(c, "since").value_or(0),
                      text_or(c, "page_status", "unknown"),
                      stored_time(c, "page_since").value_or(0)};
    if (!s.id.empty()) out.components.push_back(std::move(s));
  }
}

void read_incidents(element state, SourceState& out) {
  auto list = array_at(state, "incidents");
  if (!list) return;
  for (element i : items(*list)) {
    StoredIncident s;
    s.id = text_or(i, "id");
    s.title = text_or(i, "title");
    s.url = text_or(i, "url");
    s.effect = text_or(i, "effect", "unknown");
    s.active = bool_at(i, "active").value_or(false);
    s.counts = bool_at(i, "counts").value_or(false);
    s.maintenance = bool_at(i, "maintenance").value_or(false);
    auto first = stored_time(i, "first_at");
    if (s.id.empty() || !first) continue;
    s.first_ms = *first;
    s.updated_ms = stored_time(i, "updated_at").value_or(*first);
    out.incidents.push_back(std::move(s));
  }
}

void read_state(element state, SourceState& out) {
  read_components(state, out);
  read_incidents(state, out);
  if (auto known = array_at(state, "known")) {
    for (element k : items(*known)) {
      std::string_view text;
      if (k.get_string().get(text) == simdjson::SUCCESS) out.known.emplace_back(text);
    }
  }
}

std::optional<SourceState> read_source_state(element row) {
  SourceState s;
  s.source = text_or(row, "source");
  if (s.source.empty()) return std::nullopt;
  s.provider = text_or(row, "provider");
  s.format = text_or(row, "format");
  s.url = text_or(row, "url");
  s.etag = text_or(row, "etag");
  s.last_modified = text_or(row, "last_modified");
  s.fetched_ms = stored_time(row, "fetched_at");
  s.http_status = int_at(row, "http_status");
  s.parse_state = text_or(row, "parse_state");
  s.reason = text_or(row, "reason");
  s.failures = static_cast<int>(int_at(row, "failures").value_or(0));
  s.failed_since_ms = stored_time(row, "failed_since");
  s.last_ok_ms = stored_time(row, "last_ok_at");
  s.status = text_or(row, "status", "unknown");
  auto state = member(row, "state");
  if (state && state->is_object()) {
    read_state(*state, s);
  } else if (auto text = string_at(row, "state")) {
    Document doc;
    if (doc.parse(*text) == simdjson::SUCCESS && doc.root().is_object()) read_state(doc.root(), s);
  }
  return s;
}

template <typename T>
void optional_time(JsonWriter& w, std::string_view key, const std::optional<T>& ms) {
  w.key(key);
  ms ? w.value(iso_utc_millis(*ms)) : w.null();
}

void text_or_null(JsonWriter& w, std::string_view key, const std::string& text) {
  w.key(key);
  text.empty() ? w.null() : w.value(text);
}

}  // namespace

std::vector<SourceState> read_source_states(std::optional<element> rows) {
  std::vector<SourceState> out;
  if (!rows || !rows->is_array()) return out;
  for (element row : items(*rows)) {
    if (auto state = read_source_state(row)) out.push_back(std::move(*state));
  }
  return out;
}

void add_status_sources(const Config& config, std::optional<element> rows, EvaluationInput& input) {
  if (!rows || !rows->is_array()) return;
  std::vector<SourceState> states = read_source_states(rows);
  for (const auto& [provider, view] : official_status(config.status, states)) {
    input.official.emplace(provider, view.status);
    if (view.acknowledged_ms) input.acknowledged[provider] = *view.acknowledged_ms;
  }
  for (const SourceState& s : states) {
    input.feeds.push_back({s.source, s.provider, s.url, s.parse_state, s.reason, s.status,
                           s.failures, s.failed_since_ms});
  }
}

void write_source_state(JsonWriter& w, const SourceState& s) {
  w.begin_object().field("source", s.source).field("provider", s.provider);
  w.field("format", s.format).field("url", s.url);
  text_or_null(w, "etag", s.etag);
  text_or_null(w, "last_modified", s.last_modified);
  optional_time(w, "fetched_at", s.fetched_ms);
  w.field("http_status", s.http_status);
  text_or_null(w, "parse_state", s.parse_state);
  text_or_null(w, "reason", s.reason);
  w.field("failures", s.failures);
  optional_time(w, "failed_since", s.failed_since_ms);
  optional_time(w, "last_ok_at", s.last_ok_ms);
  w.field("status", s.status).key("state").begin_object().key("components").begin_array();
  for (const StoredComponent& c : s.components) {
    w.begin_object().field("id", c.id).field("name", c.name).field("status", c.status);
    w.field("since", iso_utc_millis(c.since_ms)).field("page_status", c.page_status);
    w.field("page_since", iso_utc_millis(c.page_since_ms)).end_object();
  }
  w.end_array().key("incidents").begin_array();
  for (const StoredIncident& i : s.incidents) {
    w.begin_object().field("id", i.id).field("title", i.title).field("url", i.url);
    w.field("effect", i.effect).field("active", i.active).field("counts", i.counts);
    w.field("maintenance", i.maintenance).field("first_at", iso_utc_millis(i.first_ms));
    w.field("updated_at", iso_utc_millis(i.updated_ms)).end_object();
  }
  w.end_array().key("known").begin_array();
  for (const std::string& k : s.known) w.value(k);
  w.end_array().end_object().end_object();
}

void write_event(JsonWriter& w, const StatusEventRow& e) {
  w.begin_object().field("ts", iso_utc_millis(e.ts_ms)).field("provider", e.provider);
  w.field("source", e.source).field("source_id", e.source_id).field("component", e.component);
  w.field("status", e.status);
  text_or_null(w, "impact", e.impact);
  w.field("title", utf8_prefix(e.title, 500));
  text_or_null(w, "url", e.url);
  w.end_object();
}

void write_current(JsonWriter& w, const CurrentRow& c, int64_t now_ms) {
  w.begin_object().field("provider", c.provider).field("source", c.source);
  w.field("component", c.component).field("status", c.status);
  w.field("title", utf8_prefix(c.title, 500)).field("since", iso_utc_millis(c.since_ms));
  w.field("updated_at", iso_utc_millis(now_ms)).end_object();
}

void write_lag(JsonWriter& w, const Lag& lag) {
  w.begin_object().field("provider", lag.provider);
  w.field("first_alert_at", iso_utc_millis(lag.first_alert_ms)).field("alert_rule", lag.alert_rule);
  w.field("alert_scope", lag.alert_scope);
  w.field("acknowledged_at", iso_utc_millis(lag.acknowledged_ms)).field("lag_min", lag.lag_min);
  w.field("source", lag.source).field("source_id", lag.source_id);
  w.field("incident_title", utf8_prefix(lag.incident_title, 500));
  text_or_null(w, "incident_url", lag.incident_url);
  w.end_object();
}

}  // namespace heyhi
