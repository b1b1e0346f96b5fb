#include <algorithm>
#include <set>

#include "status-reading.h"
#include "status-state.h"
#include "time-format.h"

namespace heyhi {
namespace {

constexpr int64_t kMinute = 60000;
// Alerts this close after an episode ends belong to the same incident on our side.
constexpr int64_t kEpisodeGapMs = 30 * kMinute;
// How far before our first alert, and after the episode, an acknowledgement still pairs.
constexpr int64_t kAckLeadMs = 60 * kMinute;
constexpr int64_t kAckTailMs = 60 * kMinute;

bool is_provider_alert(const AlertOpening& a) {
  return a.verdict == "provider" && a.rule != "configuration";
}

struct Ack {
  const StoredIncident* incident;
  const SourceState* state;
};

std::vector<Ack> acks_of(const std::vector<SourceState>& states, const std::string& provider) {
  std::vector<Ack> out;
  for (const SourceState& s : states) {
    if (s.provider != provider) continue;
    for (const StoredIncident& i : s.incidents) {
      if (i.counts && !i.maintenance) out.push_back({&i, &s});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Ack& a, const Ack& b) { return a.incident->first_ms < b.incident->first_ms; });
  return out;
}

}  // namespace

std::vector<const StatusSource*> due_sources(const StatusSettings& settings,
                                             const std::vector<SourceState>& states,
                                             int64_t now_ms) {
  int64_t minute = epoch_minute(now_ms);
  std::vector<std::pair<int64_t, const StatusSource*>> due;
  for (const StatusSource& source : settings.sources) {
    if (!source.enabled) continue;
    const SourceState* state = find_state(states, source.id);
    if (!state || !state->fetched_ms) {
      // First fetches are spread over the cadence like probes, so no minute takes them all.
      if (minute % source.cadence_min == source.phase) due.emplace_back(0, &source);
      continue;
    }
    if (minute - epoch_minute(*state->fetched_ms) >= source.cadence_min) {
      due.emplace_back(*state->fetched_ms, &source);
    }
  }
  std::stable_sort(due.begin(), due.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const StatusSource*> out;
  for (const auto& [fetched, source] : due) out.push_back(source);
  return out;
}

std::map<std::string, OfficialView> official_status(const StatusSettings& settings,
                                                    const std::vector<SourceState>& states) {
  std::map<std::string, OfficialView> out;
  std::set<std::string> seen;
  for (const StatusSource& source : settings.sources) {
    if (!source.enabled) continue;
    const SourceState* state = find_state(states, source.id);
    std::string status = state && state->last_ok_ms ? state->status : "unknown";
    OfficialView& view = out[source.provider];
    view.status = seen.insert(source.provider).second ? status : worse(view.status, status);
    if (!state) continue;
    for (const StoredIncident& i : state->incidents) {
      if (!i.active || !i.counts || i.maintenance) continue;
      if (!view.acknowledged_ms || i.first_ms < *view.acknowledged_ms) {
        view.acknowledged_ms = i.first_ms;
      }
    }
  }
  return out;
}

std::vector<Lag> acknowledgement_lags(const std::vector<AlertOpening>& alerts,
                                      const std::vector<SourceState>& states, int64_t now_ms) {
  std::map<std::string, std::vector<const AlertOpening*>> by_provider;
  for (const AlertOpening& a : alerts) {
    if (is_provider_alert(a)) by_provider[a.provider].push_back(&a);
  }
  std::vector<Lag> out;
  for (auto& [provider, list] : by_provider) {
    std::sort(list.begin(), list.end(), [](const AlertOpening* a, const AlertOpening* b) {
      return a->opened_ms < b->opened_ms;
    });
    std::vector<Ack> acks = acks_of(states, provider);
    std::set<const StoredIncident*> used;
    size_t at = 0;
    while (at < list.size()) {
      const AlertOpening* first = list[at];
      int64_t end = first->resolved_ms.value_or(now_ms);
      for (++at; at < list.size() && list[at]->opened_ms <= end + kEpisodeGapMs; ++at) {
        end = std::max(end, list[at]->resolved_ms.value_or(now_ms));
      }
      for (const Ack& ack : acks) {
        int64_t t = ack.incident->first_ms;
        if (used.count(ack.incident) || t < first->opened_ms - kAckLeadMs || t > end + kAckTailMs) {
          continue;
        }
        used.insert(ack.incident);
        int64_t lag_ms = t - first->opened_ms;
        int64_t lag_min =
            lag_ms >= 0 ? (lag_ms + kMinute / 2) / kMinute : -((-lag_ms + kMinute / 2) / kMinute);
        out.push_back({provider, first->opened_ms, first->rule, first->scope, t, lag_min,
                       ack.state->source, ack.incident->id, ack.incident->title,
                       ack.incident->url});
        break;
      }
    }
  }
  return out;
}

}  // namespace heyhi
