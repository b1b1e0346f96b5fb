// Deciders replayed over a trace minute by minute: HeyHi's own rules through heyhi::evaluate,
// and the naive rules they are measured against. Each speaks the core's alert vocabulary, so
// scoring and printing treat them alike.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alerting.h"
#include "detection/trace.h"

namespace heyhi::detection {

struct AlertEvent {
  int64_t minute = 0;
  ActionKind kind = ActionKind::open;
  bool notify = true;
  size_t target = 0;  // index into the trace's targets
  Alert alert;
  bool first_notice = false;  // a reminder that is the alert's first notification
};

class Decider {
 public:
  virtual ~Decider() = default;
  virtual std::string_view name() const = 0;
  // Called once per minute, in order, after the rows scheduled at `minute` have arrived.
  virtual void step(int64_t minute, std::vector<AlertEvent>& out) = 0;
};

// The confirmation probes HeyHi's plan left out, per target: minutes, ascending, at which the
// trace holds probes the plan would not have sent because an open alert explained the failure
// behind them.
struct PlanReplay {
  std::vector<std::vector<int64_t>> withheld;
};

// heyhi::evaluate every minute with the rows a store would hand it (the recent stretch and
// the same hour on the previous days), carrying its open alerts forward.
// `official` maps a provider to its status page's word, as the shim passes it.
// With `plan`, the trace holds every probe confirmation could ask for (a simulation's), and the
// decider replays the plan too: each minute off the cadence it keeps the Cloudflare regions'
// probes only if the plan, given the failures kept so far and the alerts open, would have sent
// them, and records in `plan` those it left out. Without it the trace is taken as stored (a
// backtest's). Minutes before the first step are taken whole.
std::unique_ptr<Decider> heyhi_rules(const Trace& trace,
                                     std::map<std::string, std::string> official,
                                     PlanReplay* plan = nullptr);

// `trace` without the probes `plan` withheld: what a store would hold.
Trace without_withheld(const Trace& trace, const PlanReplay& plan);

// Per target: any failure opens, the next success resolves.
std::unique_ptr<Decider> first_failure(const Trace& trace);

// Per target and region: `fail_run` failures in a row open, `ok_run` successes resolve.
std::unique_ptr<Decider> streak(const Trace& trace, int fail_run, int ok_run);

// The product brief's four rules as written, with no minimum counts: 5-min failure rate over
// 20 %, 10-min p95 of every probe's latency (failures too) over 5 s, status Operational while
// over 10 % fail in 5 min, one region over 20 % in 5 min while each other stays under 5 %. Any
// failure counts, rate limits included. One open per rule and scope while its condition holds.
std::unique_ptr<Decider> brief_literal(const Trace& trace, bool official_operational);

// Every provider's status page saying `status`, as the official map evaluate takes.
std::map<std::string, std::string> official_everywhere(const std::string& status);

// Steps `decider` through [from, to] and returns everything it did.
std::vector<AlertEvent> replay(Decider& decider, int64_t from_minute, int64_t to_minute);

}  // namespace heyhi::detection
