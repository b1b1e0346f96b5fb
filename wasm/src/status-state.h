// The decisions around status sources: which are due, what one fetch of a page means for the
// stored state (new or changed events only, the current status of each API component, a
// failure that keeps the previous state), the official status per provider, and the lag
// between our first alert for an incident and the provider's first acknowledgement.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "status-config.h"

namespace heyhi {

struct Config;

struct StoredComponent {
  std::string id;
  std::string name;
  std::string status;  // with the incidents that count for it
  int64_t since_ms = 0;
  std::string page_status;  // the component's own status on the page
  int64_t page_since_ms = 0;
};

struct StoredIncident {
  std::string id;
  std::string title;
  std::string url;
  std::string effect;
  bool active = false;  // unresolved on the latest reading
  bool counts = false;  // about the provider's configured API, by component or by words
  bool maintenance = false;
  int64_t first_ms = 0;
  int64_t updated_ms = 0;
};

// One row of status_sources: how the last fetch went, and what the page said when it was last
// read. A failed fetch changes only the first part.
struct SourceState {
  std::string source;
  std::string provider;
  std::string format;
  std::string url;
  std::string etag;
  std::string last_modified;
  std::optional<int64_t> fetched_ms;
  std::optional<int64_t> http_status;
  std::string parse_state;  // events, empty or failed; empty before the first fetch
  std::string reason;       // why the last fetch failed
  int failures = 0;         // failed fetches in a row
  std::optional<int64_t> failed_since_ms;
  std::optional<int64_t> last_ok_ms;
  std::string status = "unknown";  // the source's verdict for its provider
  std::vector<StoredComponent> components;
  std::vector<std::string> known;  // keys of the events of the latest reading
  std::vector<StoredIncident> incidents;
};

struct FetchOutcome {
  std::optional<int64_t> status;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
  std::string body;
  bool body_capped = false;
  std::optional<std::string> error;  // the fetch itself failed: DNS, connection, timeout
};

struct StatusEventRow {
  int64_t ts_ms = 0;
  std::string provider;
  std::string source;  // the format, as the table's source column
  std::string source_id;
  std::string component;
  std::string status;
  std::string impact;  // empty: null
  std::string title;
  std::string url;
};

struct CurrentRow {
  std::string provider;
  std::string source;     // the source's configured id
  std::string component;  // empty: the source's verdict for the whole provider
  std::string status;
  std::string title;
  int64_t since_ms = 0;
};

// "events", "empty", "failed", or "not_modified" for a 304.
struct FetchResult {
  std::string state;
  std::string reason;
  std::vector<StatusEventRow> events;  // new or changed since the previous reading
  std::vector<CurrentRow> current;     // component statuses that changed
  SourceState next;
};

inline constexpr size_t kMaxEventsPerFetch = 1000;

const StatusSource* find_source(const StatusSettings& settings, std::string_view id);
const SourceState* find_state(const std::vector<SourceState>& states, std::string_view id);

// The enabled sources due at `now_ms`, least recently fetched first.
std::vector<const StatusSource*> due_sources(const StatusSettings& settings,
                                             const std::vector<SourceState>& states,
                                             int64_t now_ms);

FetchResult apply_fetch(const StatusSource& source, const SourceState* previous,
                        const FetchOutcome& outcome, int64_t now_ms);

struct OfficialView {
  std::string status = "unknown";
  std::optional<int64_t> acknowledged_ms;  // the first acknowledgement of an active incident
};

// Per provider with at least one enabled source: the worst of its sources' verdicts (a
// source never read is unknown), and the earliest acknowledgement among incidents that count.
std::map<std::string, OfficialView> official_status(const StatusSettings& settings,
                                                    const std::vector<SourceState>& states);

struct AlertOpening {
  std::string rule;
  std::string scope;
  std::string provider;
  std::string verdict;
  int64_t opened_ms = 0;
  std::optional<int64_t> resolved_ms;
};

struct Lag {
  std::string provider;
  int64_t first_alert_ms = 0;
  std::string alert_rule;
  std::string alert_scope;
  int64_t acknowledged_ms = 0;
  int64_t lag_min = 0;  // negative when the provider said it first
  std::string source;
  std::string source_id;
  std::string incident_title;
  std::string incident_url;
};

// Groups provider-attributed alerts into episodes per provider (an alert opening within 30 min
// of the episode's end joins it) and pairs each with the provider's first acknowledgement of
// an incident that counts, from an hour before the episode to an hour after it.
std::vector<Lag> acknowledgement_lags(const std::vector<AlertOpening>& alerts,
                                      const std::vector<SourceState>& states, int64_t now_ms);

}  // namespace heyhi
