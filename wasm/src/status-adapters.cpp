// Atlassian Statuspage v2 (summary.json, incidents.json, components.json), incident.io (its
// Statuspage-compatible summary and its own page JSON) and Instatus (summary.json and
// v2/components.json).
#include <algorithm>

#include <fmt/format.h>

#include "status-json.h"
#include "status-reading.h"

namespace heyhi {

std::optional<int64_t> time_at(element object, std::string_view key) {
  auto text = string_at(object, key);
  return text ? parse_rfc3339(*text) : std::nullopt;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

namespace {

Result<Document*> parse_object(Document& doc, std::string_view body) {
  if (auto code = doc.parse(body); code != simdjson::SUCCESS) {
    return Error{"body", fmt::format("not valid JSON: {}", simdjson::error_message(code))};
  }
  if (!doc.root().is_object() && !doc.root().is_array()) return structure_changed("not JSON data");
  return &doc;
}

std::vector<std::string> ids_of(std::optional<element> list, std::string_view key) {
  std::vector<std::string> out;
  if (!list) return out;
  for (element item : items(*list)) {
    if (auto id = string_at(item, key); id && !id->empty()) out.emplace_back(*id);
  }
  return out;
}

// Sets an incident's first and latest times from its own and its updates' times. The first is
// the provider's first acknowledgement, except for maintenance, whose first is its start.
Result<IncidentReading> with_times(IncidentReading r, std::optional<int64_t> first,
                                   std::optional<element> updates, std::string_view key) {
  std::optional<int64_t> last = first;
  if (updates) {
    for (element u : items(*updates)) {
      auto at = time_at(u, key);
      if (!at) continue;
      if (!r.maintenance && (!first || *at < *first)) first = at;
      if (!last || *at > *last) last = at;
    }
  }
  if (r.id.empty() || !first) return structure_changed("an incident without id or times");
  r.first_ms = *first;
  r.updated_ms = std::max(last.value_or(*first), *first);
  return r;
}

// --- Statuspage -----------------------------------------------------------------------------

Phase statuspage_phase(std::string_view status, bool maintenance, std::optional<int64_t> from,
                       std::optional<int64_t> until, int64_t now_ms) {
  if (status == "resolved" || status == "postmortem" || status == "completed") {
    return Phase::resolved;
  }
  if (maintenance && status == "scheduled") {
    bool started = from && *from <= now_ms && (!until || now_ms < *until);
    return started ? Phase::active : Phase::scheduled;
  }
  // investigating, identified, monitoring, in_progress, verifying, and anything new: a status
  // we do not know never ends an incident.
  return Phase::active;
}

Result<IncidentReading> statuspage_incident(element item, bool maintenance, int64_t now_ms) {
  IncidentReading r;
  r.id = text_or(item, "id");
  r.title = text_or(item, "name", "(untitled)");
  r.url = text_or(item, "shortlink");
  r.maintenance = maintenance;
  r.impact = maintenance ? "maintenance" : impact_name(text_or(item, "impact"));
  r.effect = maintenance ? "maintenance" : effect_of_impact(r.impact);
  auto from = time_at(item, "scheduled_for");
  auto until = time_at(item, "scheduled_until");
  r.phase = statuspage_phase(text_or(item, "status"), maintenance, from, until, now_ms);
  r.components = ids_of(array_at(item, "components"), "id");
  std::optional<int64_t> first = maintenance && from ? from : time_at(item, "created_at");
  auto timed = with_times(std::move(r), first, array_at(item, "incident_updates"), "created_at");
  if (!timed.ok()) return timed;
  if (auto updated = time_at(item, "updated_at"); updated && *updated > timed.value().updated_ms) {
    timed.value().updated_ms = *updated;
  }
  return timed;
}

Result<Reading> statuspage_from(element root, int64_t now_ms) {
  auto components = array_at(root, "components");
  auto incidents = array_at(root, "incidents");
  auto maintenances = array_at(root, "scheduled_maintenances");
  if (!components && !incidents && !maintenances) {
    return structure_changed("no components, incidents or scheduled_maintenances");
  }
  Reading reading;
  reading.lists_components = components.has_value();
  if (components) {
    for (element c : items(*components)) {
      ComponentReading r{text_or(c, "id"), text_or(c, "name"),
                         component_status(text_or(c, "status")), time_at(c, "updated_at")};
      if (r.id.empty()) return structure_changed("a component without id");
      reading.components.push_back(std::move(r));
    }
  }
  for (auto [list, maintenance] : {std::pair{incidents, false}, std::pair{maintenances, true}}) {
    if (!list) continue;
    for (element item : items(*list)) {
      auto incident = statuspage_incident(item, maintenance, now_ms);
      if (!incident.ok()) return incident.error();
      reading.incidents.push_back(std::move(incident).value());
    }
  }
  if (auto indicator = string_at(member(root, "status").value_or(root), "indicator")) {
    reading.indicator = indicator_status(*indicator);
  }
  return reading;
}

// --- incident.io's own page JSON ------------------------------------------------------------

std::string impact_of_effect(std::string_view effect) {
  if (effect == "degraded") return "minor";
  if (effect == "partial_outage") return "major";
  if (effect == "major_outage") return "critical";
  if (effect == "maintenance") return "maintenance";
  return "unknown";
}

// The worst status an incident.io incident gives its affected components.
std::string incidentio_effect(element item) {
  std::string effect;
  if (auto affected = array_at(item, "affected_components")) {
    for (element a : items(*affected)) {
      std::string status = component_status(text_or(a, "status", text_or(a, "current_status")));
      effect = effect.empty() ? status : worse(effect, status);
    }
  }
  if (auto worst = string_at(item, "current_worst_impact")) {
    std::string status = component_status(*worst);
    effect = effect.empty() ? status : worse(effect, status);
  }
  // An ongoing incident that names no affected status is still an incident.
  return effect.empty() || effect == "operational" ? "degraded" : effect;
}

Phase incidentio_maintenance_phase(element item, int64_t now_ms) {
  std::string status = text_or(item, "status");
  if (status.find("complete") != std::string::npos) return Phase::resolved;
  if (status.find("in_progress") != std::string::npos) return Phase::active;
  auto from = time_at(item, "starts_at");
  if (!from) from = time_at(item, "started_at");
  auto until = time_at(item, "ends_at");
  if (!until) until = time_at(item, "scheduled_end_at");
  bool started = from && *from <= now_ms && (!until || now_ms < *until);
  return started ? Phase::active : Phase::scheduled;
}

Result<IncidentReading> incidentio_incident(element item, bool maintenance, int64_t now_ms,
                                            const std::string& base_url) {
  IncidentReading r;
  r.id = text_or(item, "id");
  r.title = text_or(item, "name", "(untitled)");
  r.url = r.id.empty() || base_url.empty() ? "" : fmt::format("{}incidents/{}", base_url, r.id);
  r.maintenance = maintenance;
  r.effect = maintenance ? "maintenance" : incidentio_effect(item);
  r.impact = impact_of_effect(r.effect);
  r.phase = maintenance ? incidentio_maintenance_phase(item, now_ms)
                        : (text_or(item, "status") == "resolved" ? Phase::resolved : Phase::active);
  r.components = ids_of(array_at(item, "affected_components"), "component_id");
  std::optional<int64_t> first = time_at(item, "published_at");
  if (maintenance && !first) first = time_at(item, "starts_at");
  return with_times(std::move(r), first, array_at(item, "updates"), "published_at");
}

Result<Reading> incidentio_page(element summary, int64_t now_ms) {
  auto components = array_at(summary, "components");
  if (!components) return structure_changed("no summary.components");
  Reading reading;
  reading.lists_components = true;
  std::vector<std::pair<std::string, std::string>> affected;
  if (auto list = array_at(summary, "affected_components")) {
    for (element a : items(*list)) {
      affected.emplace_back(text_or(a, "component_id"), component_status(text_or(a, "status")));
    }
  }
  for (element c : items(*components)) {
    ComponentReading r{text_or(c, "id"), text_or(c, "name"), "operational", std::nullopt};
    if (r.id.empty()) return structure_changed("a component without id");
    for (const auto& [id, status] : affected) {
      if (id == r.id) r.status = worse(r.status, status);
    }
    reading.components.push_back(std::move(r));
  }
  std::string base = text_or(summary, "public_url");
  if (!base.empty() && base.back() != '/') base += '/';
  for (auto [key, maintenance] :
       {std::pair{"ongoing_incidents", false}, std::pair{"scheduled_maintenances", true}}) {
    auto list = array_at(summary, key);
    if (!list) continue;
    for (element item : items(*list)) {
      auto incident = incidentio_incident(item, maintenance, now_ms, base);
      if (!incident.ok()) return incident.error();
      reading.incidents.push_back(std::move(incident).value());
    }
  }
  return reading;
}

// --- Instatus -------------------------------------------------------------------------------

std::string instatus_status(std::string_view value) {
  if (value == "OPERATIONAL") return "operational";
  if (value == "DEGRADEDPERFORMANCE" || value == "MINOROUTAGE") return "degraded";
  if (value == "PARTIALOUTAGE") return "partial_outage";
  if (value == "MAJOROUTAGE") return "major_outage";
  if (value == "UNDERMAINTENANCE") return "maintenance";
  return "unknown";
}

std::string instatus_impact(std::string_view value) {
  if (value == "OPERATIONAL") return "none";
  if (value == "DEGRADEDPERFORMANCE" || value == "MINOROUTAGE") return "minor";
  if (value == "PARTIALOUTAGE") return "major";
  if (value == "MAJOROUTAGE") return "critical";
  return "unknown";
}

Result<IncidentReading> instatus_incident(element item, bool maintenance) {
  IncidentReading r;
  r.id = text_or(item, "id");
  r.title = text_or(item, "name", "(untitled)");
  r.url = text_or(item, "url");
  r.maintenance = maintenance;
  std::string status = text_or(item, "status");
  if (maintenance) {
    r.impact = "maintenance";
    r.effect = "maintenance";
    r.phase = status == "COMPLETED"       ? Phase::resolved
              : status == "NOTSTARTEDYET" ? Phase::scheduled
                                          : Phase::active;
  } else {
    r.impact = instatus_impact(text_or(item, "impact"));
    r.effect = effect_of_impact(r.impact);
    r.phase = status == "RESOLVED" ? Phase::resolved : Phase::active;
  }
  auto first = time_at(item, maintenance ? "start" : "started");
  if (r.id.empty() || !first) return structure_changed("an incident without id or start");
  r.first_ms = *first;
  r.updated_ms = time_at(item, "updatedAt").value_or(*first);
  return r;
}

}  // namespace

Result<Reading> read_statuspage(std::string_view body, int64_t now_ms) {
  Document doc;
  auto parsed = parse_object(doc, body);
  if (!parsed.ok()) return parsed.error();
  if (!doc.root().is_object()) return structure_changed("not a JSON object");
  return statuspage_from(doc.root(), now_ms);
}

Result<Reading> read_incidentio(std::string_view body, int64_t now_ms) {
  Document doc;
  auto parsed = parse_object(doc, body);
  if (!parsed.ok()) return parsed.error();
  if (!doc.root().is_object()) return structure_changed("not a JSON object");
  // incident.io serves both its own page JSON, under "summary", and a Statuspage-compatible
  // summary.json.
  if (auto summary = member(doc.root(), "summary"); summary && summary->is_object()) {
    return incidentio_page(*summary, now_ms);
  }
  return statuspage_from(doc.root(), now_ms);
}

Result<Reading> read_instatus(std::string_view body, int64_t now_ms) {
  (void)now_ms;
  Document doc;
  auto parsed = parse_object(doc, body);
  if (!parsed.ok()) return parsed.error();
  element root = doc.root();
  auto page = member(root, "page");
  auto components = array_at(root, "components");
  if (!root.is_object() || (!(page && page->is_object()) && !components)) {
    return structure_changed("neither a page nor a components list");
  }
  Reading reading;
  reading.lists_components = components.has_value();
  if (components) {
    for (element c : items(*components)) {
      ComponentReading r{text_or(c, "id"), text_or(c, "name"),
                         instatus_status(text_or(c, "status")), std::nullopt};
      if (r.id.empty()) return structure_changed("a component without id");
      reading.components.push_back(std::move(r));
    }
  }
  if (page && page->is_object()) {
    std::string status = text_or(*page, "status");
    reading.indicator = status == "UP"                 ? "operational"
                        : status == "HASISSUES"        ? "degraded"
                        : status == "UNDERMAINTENANCE" ? "maintenance"
                                                       : "unknown";
  }
  for (auto [key, maintenance] :
       {std::pair{"activeIncidents", false}, std::pair{"activeMaintenances", true}}) {
    auto list = array_at(root, key);
    if (!list) continue;
    for (element item : items(*list)) {
      auto incident = instatus_incident(item, maintenance);
      if (!incident.ok()) return incident.error();
      reading.incidents.push_back(std::move(incident).value());
    }
  }
  return reading;
}

}  // namespace heyhi
