// Why HeyHi's rules were slow, missed an incident or fired on noise: each rule's conditions
// re-computed from the rows as alerting.cpp states them, minute by minute. Diagnostics only:
// the decisions themselves always come from heyhi::evaluate.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "detection/score.h"
#include "detection/trace.h"

namespace heyhi::detection {

// Over the incident minutes before HeyHi's first detection (to end + 10 min when missed): how
// often each condition of the rule meant to catch that kind of incident was not met.
struct GuardReport {
  std::string rule;
  int64_t minutes = 0;
  std::map<std::string, int64_t> unmet;      // condition, as "min_failures=3", → minutes
  int64_t all_met = 0;                       // minutes the conditions held and nothing opened
  std::map<int64_t, int64_t> window_probes;  // probes in the rule's window → minutes
  std::vector<int64_t> p95_ms;               // latency: the window's p95, each minute it had one
  std::vector<int64_t> line_ms;              // latency: the line it had to cross
};

GuardReport explain_misses(const Trace& trace, const std::vector<Incident>& incidents,
                           const std::vector<size_t>& which, const Score& score,
                           const std::vector<AlertEvent>& events);

// What the windows behind HeyHi's false opens held.
struct FalseReport {
  std::string rule;
  int64_t opens = 0;
  std::map<int64_t, int64_t> over_line;    // latency: slow samples in the window → opens
  std::map<int64_t, int64_t> failures;     // error rules: failures in the window → opens
  std::map<std::string, int64_t> sources;  // error rules: where those failures came from
};

// A failure's source is its row's detail, where the simulator writes which part of the noise
// model produced it.
std::vector<FalseReport> explain_false(const Trace& trace, const std::vector<AlertEvent>& events,
                                       const std::vector<size_t>& false_opens);

}  // namespace heyhi::detection
