#include "status-state.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "status-json.h"
#include "status-reading.h"

namespace heyhi {
namespace {

constexpr int64_t kKeepIncidentsMs = 24 * 60 * 60 * 1000;

std::string header(const FetchOutcome& outcome, std::string_view name) {
  for (const auto& [key, value] : outcome.headers) {
    if (key == name) return value;
  }
  return "";
}

std::string host_of(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return "";
  std::string_view rest = url.substr(scheme + 3);
  return ascii_lower(rest.substr(0, rest.find_first_of("/?#")));
}

bool looks_like_html(const FetchOutcome& outcome) {
  if (ascii_lower(header(outcome, "content-type")).find("text/html") != std::string::npos) {
    return true;
  }
  std::string_view body = outcome.body;
  size_t start = body.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  std::string head = ascii_lower(body.substr(start == std::string_view::npos ? 0 : start, 15));
  return head.rfind("<!doctype html", 0) == 0 || head.rfind("<html", 0) == 0;
}

std::string http_reason(int64_t status) {
  switch (status) {
    case 401:
    case 403:
      return fmt::format("HTTP {}: refused, likely bot protection in front of the page", status);
    case 404: return "HTTP 404: the page is not there; check the url";
    case 429: return "HTTP 429: the status page rate-limits us";
    default:
      return status >= 500 ? fmt::format("HTTP {} from the status page", status)
                           : fmt::format("HTTP {}: not a page we can read", status);
  }
}

// Why the response cannot be read, or nothing when it can.
std::optional<std::string> transport_problem(const StatusSource& source,
                                             const FetchOutcome& outcome) {
  if (outcome.error) return fmt::format("could not fetch the page: {}", *outcome.error);
  if (!outcome.status) return "no response";
  int64_t status = *outcome.status;
  if (status >= 300 && status < 400) {
    std::string location = header(outcome, "location");
    std::string to = host_of(location);
    if (!to.empty() && to != host_of(source.url)) {
      return fmt::format("HTTP {}: redirected to another host, {}", status, to);
    }
    return fmt::format("HTTP {}: redirected to {}; put the new address in the url", status,
                       location.empty() ? "an unnamed place" : location);
  }
  if (status < 200 || status > 299) return http_reason(status);
  if (outcome.body_capped) return "the page is larger than status.max_body_kb";
  if (looks_like_html(outcome)) {
    return source.format == StatusFormat::feed
               ? "an HTML page where a feed was expected (a bot challenge or a moved page)"
               : "HTML where JSON was expected (a bot challenge or a moved page)";
  }
  return std::nullopt;
}

Result<Reading> read_body(const StatusSource& source, std::string_view body, int64_t now_ms) {
  switch (source.format) {
    case StatusFormat::statuspage: return read_statuspage(body, now_ms);
    case StatusFormat::incidentio: return read_incidentio(body, now_ms);
    case StatusFormat::google_cloud: return read_google_cloud(body, source);
    case StatusFormat::aistudio: return read_aistudio(body, source);
    case StatusFormat::feed: return read_feed(body, now_ms);
    case StatusFormat::instatus: return read_instatus(body, now_ms);
  }
  return Error{"format", "unknown"};
}

bool configured(const StatusSource& source, std::string_view component) {
  return std::find(source.components.begin(), source.components.end(), component) !=
         source.components.end();
}

bool matches_words(const StatusSource& source, const std::string& title) {
  if (source.match.empty()) return true;
  std::string lowered = ascii_lower(title);
  return std::any_of(source.match.begin(), source.match.end(), [&](const std::string& word) {
    return lowered.find(word) != std::string::npos;
  });
}

// Whether an incident is about the provider's API as the source is configured: by a
// configured component, or, naming none, by the source's words.
bool counts_for(const StatusSource& source, const IncidentReading& incident) {
  if (incident.components.empty()) return matches_words(source, incident.title);
  if (source.components.empty()) return true;
  return std::any_of(incident.components.begin(), incident.components.end(),
                     [&](const std::string& c) { return configured(source, c); });
}

bool affects(const IncidentReading& incident, std::string_view component) {
  return incident.components.empty() ||
         std::find(incident.components.begin(), incident.components.end(), component) !=
             incident.components.end();
}

std::string event_key(const StatusEventRow& e) {
  return fmt::format("{}|{}|{}|{}", e.source_id, e.component, e.ts_ms, e.status);
}

struct Builder {
  const StatusSource& source;
  const SourceState* previous;
  int64_t now_ms;
  std::vector<StatusEventRow> all;

  void add(int64_t ts, std::string source_id, std::string component, std::string status,
           std::string impact, std::string title, std::string url) {
    all.push_back({ts, source.provider, std::string(status_format_name(source.format)),
                   std::move(source_id), std::move(component), std::move(status), std::move(impact),
                   std::move(title), std::move(url)});
  }

  void incident_events(const IncidentReading& i) {
    std::string opening = i.effect;
    std::string latest = i.phase == Phase::resolved ? "operational" : i.effect;
    std::vector<std::string> components = i.components;
    if (components.empty()) components.emplace_back();
    for (const std::string& component : components) {
      add(i.first_ms, i.id, component, opening, i.impact, i.title, i.url);
      if (i.updated_ms != i.first_ms || latest != opening) {
        add(i.updated_ms, i.id, component, latest, i.impact, i.title, i.url);
      }
    }
  }
};

FetchResult failed(const StatusSource& source, const SourceState* previous, SourceState next,
                   std::string reason, int64_t now_ms) {
  (void)source;
  next.parse_state = "failed";
  next.reason = std::move(reason);
  next.failures = (previous ? previous->failures : 0) + 1;
  next.failed_since_ms = previous && previous->failed_since_ms ? previous->failed_since_ms : now_ms;
  return {"failed", next.reason, {}, {}, std::move(next)};
}

std::string stored_state(const SourceState& state) {
  if (state.parse_state == "events" || state.parse_state == "empty") return state.parse_state;
  return state.components.empty() && state.incidents.empty() ? "empty" : "events";
}

std::vector<StoredIncident> kept_incidents(const StatusSource& source, const Reading& reading,
                                           const SourceState* previous, int64_t now_ms) {
  std::vector<StoredIncident> out;
  std::set<std::string> seen;
  for (const IncidentReading& i : reading.incidents) {
    bool counts = counts_for(source, i);
    out.push_back({i.id, i.title, i.url, i.effect, i.phase == Phase::active, counts, i.maintenance,
                   i.first_ms, i.updated_ms});
    seen.insert(i.id);
  }
  // An incident that left the page (a summary lists unresolved ones only) is over; it stays a
  // day so that its acknowledgement can still be paired with our alerts.
  if (previous) {
    for (StoredIncident i : previous->incidents) {
      if (seen.count(i.id) || now_ms - i.first_ms > kKeepIncidentsMs) continue;
      i.active = false;
      out.push_back(std::move(i));
    }
  }
  return out;
}

void set_current(const StatusSource& source, const Reading& reading, const SourceState* previous,
                 int64_t now_ms, FetchResult& result) {
  SourceState& next = result.next;
  auto counting = [&](const IncidentReading& i) {
    return i.phase == Phase::active && counts_for(source, i);
  };
  std::string overall;
  next.components.clear();
  for (const std::string& id : source.components) {
    auto found = std::find_if(reading.components.begin(), reading.components.end(),
                              [&](const ComponentReading& c) { return c.id == id; });
    std::string status = found != reading.components.end() ? found->status : "operational";
    std::string name = found != reading.components.end() ? found->name : id;
    for (const IncidentReading& i : reading.incidents) {
      if (counting(i) && affects(i, id)) status = worse(status, i.effect);
    }
    overall = overall.empty() ? status : worse(overall, status);
    std::string own = found != reading.components.end() ? found->status : "unknown";
    next.components.push_back({id, name, status, now_ms, own, now_ms});
  }
  if (source.components.empty()) {
    overall = reading.indicator.value_or("operational");
    for (const IncidentReading& i : reading.incidents) {
      if (counting(i)) overall = worse(overall, i.effect);
    }
  }
  next.status = overall;
  // A status that did not change keeps the time it started.
  auto keep_since = [&](StoredComponent& c) {
    if (!previous) return;
    for (const StoredComponent& p : previous->components) {
      if (p.id == c.id && p.status == c.status) c.since_ms = p.since_ms;
      if (p.id == c.id && p.page_status == c.page_status) c.page_since_ms = p.page_since_ms;
    }
  };
  for (StoredComponent& c : next.components) {
    keep_since(c);
    bool changed =
        !previous || std::none_of(previous->components.begin(), previous->components.end(),
                                  [&](const StoredComponent& p) {
                                    return p.id == c.id && p.status == c.status;
                                  });
    if (changed) {
      result.current.push_back({source.provider, source.id, c.id, c.status, c.name, c.since_ms});
    }
  }
  bool overall_changed = !previous || previous->status != overall || previous->parse_state.empty();
  if (overall_changed) {
    result.current.push_back({source.provider, source.id, "", overall, source.id, now_ms});
  }
}

}  // namespace

const StatusSource* find_source(const StatusSettings& settings, std::string_view id) {
  for (const StatusSource& s : settings.sources) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

const SourceState* find_state(const std::vector<SourceState>& states, std::string_view id) {
  for (const SourceState& s : states) {
    if (s.source == id) return &s;
  }
  return nullptr;
}

FetchResult apply_fetch(const StatusSource& source, const SourceState* previous,
                        const FetchOutcome& outcome, int64_t now_ms) {
  SourceState next = previous ? *previous : SourceState{};
  next.source = source.id;
  next.provider = source.provider;
  next.format = std::string(status_format_name(source.format));
  next.url = source.url;
  next.fetched_ms = now_ms;
  next.http_status = outcome.status;

  // 304: the page is as we last read it, so a failure before it is over as well.
  if (outcome.status == 304 && !outcome.error) {
    if (!previous || !previous->last_ok_ms) {
      return failed(source, previous, std::move(next), "HTTP 304 without an earlier reading",
                    now_ms);
    }
    next.parse_state = stored_state(*previous);
    next.reason.clear();
    next.failures = 0;
    next.failed_since_ms.reset();
    next.last_ok_ms = now_ms;
    return {"not_modified", "", {}, {}, std::move(next)};
  }
  if (auto problem = transport_problem(source, outcome)) {
    return failed(source, previous, std::move(next), *problem, now_ms);
  }
  auto reading = read_body(source, outcome.body, now_ms);
  if (!reading.ok())
    return failed(source, previous, std::move(next), reading.error().message, now_ms);
  const Reading& r = reading.value();
  if (r.lists_components) {
    for (const std::string& id : source.components) {
      bool present = std::any_of(r.components.begin(), r.components.end(),
                                 [&](const ComponentReading& c) { return c.id == id; });
      if (!present) {
        return failed(source, previous, std::move(next),
                      fmt::format("component {} is not on the page: its id changed or it was "
                                  "removed; update status.sources components",
                                  id),
                      now_ms);
      }
    }
  }

  FetchResult result;
  result.state = r.components.empty() && r.incidents.empty() ? "empty" : "events";
  result.next = std::move(next);
  set_current(source, r, previous, now_ms, result);

  Builder events{source, previous, now_ms, {}};
  for (const StoredComponent& c : result.next.components) {
    auto found = std::find_if(r.components.begin(), r.components.end(),
                              [&](const ComponentReading& rc) { return rc.id == c.id; });
    if (found == r.components.end()) continue;
    int64_t ts = found->updated_ms.value_or(c.page_since_ms);
    events.add(ts, c.id, c.id, found->status, "", found->name, source.page);
  }
  for (const IncidentReading& i : r.incidents) events.incident_events(i);

  std::set<std::string> known;
  if (previous) known.insert(previous->known.begin(), previous->known.end());
  result.next.known.clear();
  std::set<std::string> now_known;
  for (StatusEventRow& e : events.all) {
    std::string key = event_key(e);
    if (!now_known.insert(key).second) continue;
    result.next.known.push_back(key);
    if (!known.count(key) && result.events.size() < kMaxEventsPerFetch) {
      result.events.push_back(std::move(e));
    }
  }
  result.next.incidents = kept_incidents(source, r, previous, now_ms);
  result.next.parse_state = result.state;
  result.next.reason.clear();
  result.next.failures = 0;
  result.next.failed_since_ms.reset();
  result.next.last_ok_ms = now_ms;
  result.next.etag = header(outcome, "etag");
  result.next.last_modified = header(outcome, "last-modified");
  return result;
}

}  // namespace heyhi
