// Google's two sources for Gemini: Google Cloud's incidents.json (Vertex Gemini API, one
// product among hundreds, filtered by product id) and the AI Studio status page's data (the
// Gemini API), which is undocumented: an array-encoded protocol buffer.
#include <algorithm>

#include <fmt/format.h>

#include "status-json.h"
#include "status-reading.h"

namespace heyhi {
namespace {

bool listed(const std::vector<std::string>& wanted, std::string_view id) {
  return std::find(wanted.begin(), wanted.end(), id) != wanted.end();
}

// --- Google Cloud ---------------------------------------------------------------------------

std::string cloud_effect(std::string_view status_impact) {
  if (status_impact == "SERVICE_OUTAGE") return "major_outage";
  if (status_impact == "SERVICE_DISRUPTION") return "partial_outage";
  if (status_impact == "SERVICE_INFORMATION") return "degraded";
  return "unknown";
}

std::string cloud_impact(std::string_view severity) {
  if (severity == "low") return "minor";
  if (severity == "medium") return "major";
  if (severity == "high") return "critical";
  return "unknown";
}

std::optional<IncidentReading> cloud_incident(element item, const StatusSource& source) {
  IncidentReading r;
  bool names_products = false;
  if (auto products = array_at(item, "affected_products")) {
    for (element p : items(*products)) {
      names_products = true;
      std::string id = text_or(p, "id");
      if (!id.empty() && (source.components.empty() || listed(source.components, id))) {
        r.components.push_back(id);
      }
    }
  }
  // Another product's incident is not ours; one that names no product is matched by the
  // source's words later, never dropped.
  if (!source.components.empty() && names_products && r.components.empty()) return std::nullopt;
  r.id = text_or(item, "id");
  r.title = text_or(item, "external_desc", "(untitled)");
  std::string uri = text_or(item, "uri");
  r.url = uri.empty() ? "" : fmt::format("https://status.cloud.google.com/{}", uri);
  r.effect = cloud_effect(text_or(item, "status_impact"));
  r.impact = cloud_impact(text_or(item, "severity"));
  auto recent = member(item, "most_recent_update");
  bool available = recent && text_or(*recent, "status") == "AVAILABLE";
  bool ended = !text_or(item, "end").empty();
  r.phase = ended || available ? Phase::resolved : Phase::active;
  auto created = time_at(item, "created");
  auto begin = time_at(item, "begin");
  auto first = created && (!begin || *created < *begin) ? created : begin;
  if (r.id.empty() || !first) return IncidentReading{};  // flagged by the caller
  r.first_ms = *first;
  r.updated_ms = time_at(item, "modified").value_or(r.first_ms);
  return r;
}

// --- AI Studio ------------------------------------------------------------------------------

// The entries sit a few arrays deep; an entry is an array whose first item is its id.
std::optional<element> aistudio_entries(element root) {
  element node = root;
  for (int depth = 0; depth < 4 && node.is_array(); ++depth) {
    auto list = items(node);
    if (list.size() == 0) return node;
    element first;
    if (node.at(0).get(first) != simdjson::SUCCESS) return std::nullopt;
    element inner;
    if (first.is_array() && first.at(0).get(inner) == simdjson::SUCCESS && inner.is_string()) {
      return node;
    }
    node = first;
  }
  return std::nullopt;
}

std::optional<element> at_index(element array, size_t index) {
  element out;
  if (!array.is_array() || array.at(index).get(out) != simdjson::SUCCESS) return std::nullopt;
  return out;
}

std::optional<int64_t> unix_seconds(element update) {
  auto holder = at_index(update, 2);
  auto text = holder ? at_index(*holder, 0) : std::nullopt;
  std::string_view digits;
  if (!text || text->get_string().get(digits) != simdjson::SUCCESS || digits.empty() ||
      digits.size() > 11 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) {
    return std::nullopt;
  }
  return std::stoll(std::string(digits)) * 1000;
}

// Update types seen on the page: 1 detected, 2 identified, 3 monitoring, 4 resolved,
// 5 mitigation. Another type keeps the incident where it was: a new value never resolves it.
Result<IncidentReading> aistudio_incident(element entry, const StatusSource& source) {
  IncidentReading r;
  auto id = at_index(entry, 0);
  auto title = at_index(entry, 1);
  auto severity = at_index(entry, 2);
  auto updates = at_index(entry, 3);
  std::string_view text;
  if (!id || id->get_string().get(text) != simdjson::SUCCESS || !updates || !updates->is_array()) {
    return structure_changed("an AI Studio entry without id or updates");
  }
  r.id = std::string(text);
  r.title = title && title->get_string().get(text) == simdjson::SUCCESS ? std::string(text)
                                                                        : "(untitled)";
  r.url = source.page;
  auto level = severity ? as_int(*severity) : std::nullopt;
  r.impact = level == 1 ? "minor" : level == 2 ? "major" : "unknown";
  r.effect = level == 1 ? "degraded" : level == 2 ? "partial_outage" : "unknown";
  std::optional<int64_t> first, last;
  bool resolved = false;
  for (element u : items(*updates)) {
    auto at = unix_seconds(u);
    auto type = at_index(u, 0);
    int64_t kind = type ? as_int(*type).value_or(0) : 0;
    if (!at) continue;
    if (!first || *at < *first) first = at;
    if (!last || *at >= *last) {
      last = at;
      if (kind == 4) {
        resolved = true;
      } else if (kind >= 1 && kind <= 5) {
        resolved = false;
      }
    }
  }
  if (!first) return structure_changed("an AI Studio entry without update times");
  r.first_ms = *first;
  r.updated_ms = *last;
  r.phase = resolved ? Phase::resolved : Phase::active;
  if (auto components = at_index(entry, 5); components && components->is_array()) {
    for (element c : items(*components)) {
      if (auto n = as_int(c)) r.components.push_back(std::to_string(*n));
    }
  }
  return r;
}

}  // namespace

Result<Reading> read_google_cloud(std::string_view body, const StatusSource& source) {
  Document doc;
  if (auto code = doc.parse(body); code != simdjson::SUCCESS) {
    return Error{"body", fmt::format("not valid JSON: {}", simdjson::error_message(code))};
  }
  if (!doc.root().is_array()) return structure_changed("not an array of incidents");
  Reading reading;
  for (element item : items(doc.root())) {
    if (!item.is_object()) return structure_changed("an incident that is not an object");
    auto incident = cloud_incident(item, source);
    if (!incident) continue;
    if (incident->id.empty()) return structure_changed("an incident without id or times");
    reading.incidents.push_back(std::move(*incident));
  }
  return reading;
}

Result<Reading> read_aistudio(std::string_view body, const StatusSource& source) {
  Document doc;
  if (auto code = doc.parse(body); code != simdjson::SUCCESS) {
    return Error{"body", fmt::format("not valid JSON: {}", simdjson::error_message(code))};
  }
  auto entries = aistudio_entries(doc.root());
  if (!entries) return structure_changed("no array of incident entries");
  Reading reading;
  for (element entry : items(*entries)) {
    auto incident = aistudio_incident(entry, source);
    if (!incident.ok()) return incident.error();
    IncidentReading r = std::move(incident).value();
    bool about_us = source.components.empty() || r.components.empty() ||
                    std::any_of(r.components.begin(), r.components.end(),
                                [&](const std::string& c) { return listed(source.components, c); });
    if (about_us) reading.incidents.push_back(std::move(r));
  }
  return reading;
}

}  // namespace heyhi
