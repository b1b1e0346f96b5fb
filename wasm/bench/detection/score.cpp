#include "detection/score.h"

namespace heyhi::detection {

std::string_view incident_kind_name(IncidentKind kind) {
  switch (kind) {
    case IncidentKind::outage: return "outage";
    case IncidentKind::errors_30: return "errors_30";
    case IncidentKind::latency_3x: return "latency_3x";
    case IncidentKind::region_down: return "region_down";
    case IncidentKind::ramp: return "ramp";
    case IncidentKind::egress: return "cloudflare_egress";
  }
  return "outage";
}

std::string_view incident_kind_label(IncidentKind kind) {
  switch (kind) {
    case IncidentKind::outage: return "full outage";
    case IncidentKind::errors_30: return "30 % errors";
    case IncidentKind::latency_3x: return "latency 3x";
    case IncidentKind::region_down: return "one region down";
    case IncidentKind::ramp: return "ramp to 60 %";
    case IncidentKind::egress: return "Cloudflare egress trouble";
  }
  return "full outage";
}

bool fits(const Incident& incident, const AlertEvent& open) {
  if (open.target != incident.target || open.alert.rule == "configuration") return false;
  if (incident.region && open.alert.region && *open.alert.region != *incident.region) return false;
  return true;
}

Score score(const std::vector<Incident>& incidents, const std::vector<AlertEvent>& events) {
  Score out;
  out.detection.resize(incidents.size());
  for (size_t e = 0; e < events.size(); ++e) {
    const AlertEvent& event = events[e];
    if (event.kind != ActionKind::open) continue;
    bool matched = false;
    for (size_t i = 0; i < incidents.size(); ++i) {
      const Incident& incident = incidents[i];
      bool in_time = event.minute >= incident.start_minute &&
                     event.minute <= incident.end_minute + kLateMinutes;
      if (!in_time || !fits(incident, event)) continue;
      matched = true;
      if (!out.detection[i]) out.detection[i] = e;
    }
    if (!matched) out.false_opens.push_back(e);
  }
  return out;
}

}  // namespace heyhi::detection
