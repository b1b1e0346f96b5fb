// What an adapter reads off one status page, before it becomes stored events and a current
// status: the page's components and its incidents (maintenance included), with every value
// already in HeyHi's vocabulary. Each adapter only reads; status-state.cpp decides.
//
// Vocabulary. status: operational, degraded, partial_outage, major_outage, maintenance,
// unknown. impact: none, minor, major, critical, maintenance, unknown. A value no mapping
// knows is unknown, never operational.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"
#include "status-config.h"

namespace heyhi {

struct ComponentReading {
  std::string id;
  std::string name;
  std::string status;
  std::optional<int64_t> updated_ms;  // absent where the source gives no time
};

enum class Phase {
  active,     // an unresolved incident, or maintenance in progress
  scheduled,  // maintenance announced and not yet started
  resolved,   // over: resolved, completed, postmortem
};

struct IncidentReading {
  std::string id;
  std::string title;
  std::string url;
  std::string effect;  // the status it implies while active
  std::string impact;
  Phase phase = Phase::active;
  bool maintenance = false;
  int64_t first_ms = 0;    // the provider's first acknowledgement, or the scheduled start
  int64_t updated_ms = 0;  // the latest update
  std::vector<std::string> components;
};

struct Reading {
  std::vector<ComponentReading> components;
  std::vector<IncidentReading> incidents;
  // The page-wide indicator as a status, where the page has one.
  std::optional<std::string> indicator;
  // Whether the format lists components at all: only then is a configured component that is
  // missing from the page an error.
  bool lists_components = false;
};

// Each adapter reads one format's body. An Error's message says what was wrong with it.
Result<Reading> read_statuspage(std::string_view body, int64_t now_ms);
Result<Reading> read_incidentio(std::string_view body, int64_t now_ms);
Result<Reading> read_google_cloud(std::string_view body, const StatusSource& source);
Result<Reading> read_aistudio(std::string_view body, const StatusSource& source);
Result<Reading> read_feed(std::string_view body, int64_t now_ms);
Result<Reading> read_instatus(std::string_view body, int64_t now_ms);

// --- vocabulary -----------------------------------------------------------------------------

// Statuspage's and incident.io's component statuses (degraded_performance, partial_outage,
// major_outage, full_outage, under_maintenance, operational).
std::string component_status(std::string_view value);
// An incident impact (none, minor, major, critical, maintenance) in the impact vocabulary.
std::string impact_name(std::string_view value);
// What an active incident of that impact means for a component's status. An incident with
// impact none still counts: the provider said something is wrong.
std::string effect_of_impact(std::string_view impact);
// The page-wide indicator (none, minor, major, critical, maintenance).
std::string indicator_status(std::string_view value);
// The more severe of two statuses: major_outage > partial_outage > degraded > maintenance >
// unknown > operational.
const std::string& worse(const std::string& a, const std::string& b);
int severity(std::string_view status);

// RFC 3339 with any offset, as Statuspage ("-07:00"), Google ("+00:00") and Atom write it.
std::optional<int64_t> parse_rfc3339(std::string_view text);
// RFC 822 as RSS writes it: "Wed, 03 Dec 2026 12:00:00 +0000", GMT, UT, Z or US zones.
std::optional<int64_t> parse_rfc822(std::string_view text);

}  // namespace heyhi
