// Ground truth and the scoring of alerts against it. An open counts as the detection of an
// incident when it is for the affected target, fits the incident's scope and opens between the
// incident's start and ten minutes after its end; an open that detects nothing is false.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detection/deciders.h"

namespace heyhi::detection {

// egress: Cloudflare's own path to the providers in trouble, so every target fails from every
// Cloudflare region at once while a vantage outside Cloudflare sees the providers fine.
enum class IncidentKind { outage, errors_30, latency_3x, region_down, ramp, egress };
inline constexpr IncidentKind kIncidentKinds[] = {
    IncidentKind::outage,      IncidentKind::errors_30, IncidentKind::latency_3x,
    IncidentKind::region_down, IncidentKind::ramp,      IncidentKind::egress};

std::string_view incident_kind_name(IncidentKind kind);   // "outage", "errors_30", ...
std::string_view incident_kind_label(IncidentKind kind);  // "full outage", "30 % errors", ...

struct Incident {
  IncidentKind kind = IncidentKind::outage;
  size_t target = 0;
  std::optional<std::string> region;  // set when only one region is affected
  int64_t start_minute = 0;
  int64_t end_minute = 0;  // exclusive: the first minute back to normal
  // egress: the share of its failures that are connection failures; the rest time out.
  double connect_share = 0;
};

inline constexpr int64_t kLateMinutes = 10;

// One-region incidents accept an alert scoped to that region or to the whole target; the
// others accept any alert on the target, since a decider may only know per-region scopes.
bool fits(const Incident& incident, const AlertEvent& open);

struct Score {
  // Per incident: the index in `events` of its first detecting open.
  std::vector<std::optional<size_t>> detection;
  std::vector<size_t> false_opens;  // indexes in `events`
};

Score score(const std::vector<Incident>& incidents, const std::vector<AlertEvent>& events);

}  // namespace heyhi::detection
