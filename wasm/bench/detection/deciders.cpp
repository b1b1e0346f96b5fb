#include "detection/deciders.h"

#include <algorithm>
#include <deque>

#include <fmt/format.h>

#include "schedule.h"
#include "summary.h"

namespace heyhi::detection {
namespace {

// --- HeyHi's rules ------------------------------------------------------------------------

// The latency baseline reads the same minute on each of the previous days, half an hour
// either side, as alerting.cpp does. Feeding evaluate a superset of those rows is harmless:
// every rule filters by its own window.
constexpr int kBaselineDays = 7;
constexpr int64_t kBaselineHalfWidth = 30;
constexpr int kRecentMinutes = 60;  // what the shim hands evaluate, unless a rule needs more

struct Interval {
  int64_t from;  // inclusive
  int64_t to;    // inclusive
};

bool covers(const std::vector<Interval>& set, int64_t minute) {
  return std::any_of(set.begin(), set.end(),
                     [&](const Interval& i) { return minute >= i.from && minute <= i.to; });
}

std::vector<Interval> needed_minutes(int64_t minute, int64_t lookback) {
  std::vector<Interval> out{{minute - lookback, minute}};
  for (int day = 1; day <= kBaselineDays; ++day) {
    int64_t centre = minute - day * kDayMinutes;
    out.push_back({centre - kBaselineHalfWidth, centre + kBaselineHalfWidth});
  }
  std::sort(out.begin(), out.end(),
            [](const Interval& a, const Interval& b) { return a.from < b.from; });
  std::vector<Interval> merged;
  for (const Interval& i : out) {
    if (!merged.empty() && i.from <= merged.back().to + 1) {
      merged.back().to = std::max(merged.back().to, i.to);
    } else {
      merged.push_back(i);
    }
  }
  return merged;
}

// The parts of `in` that `old` does not cover.
std::vector<Interval> minus(Interval in, const std::vector<Interval>& old) {
  std::vector<Interval> pieces{in};
  for (const Interval& o : old) {
    std::vector<Interval> next;
    for (const Interval& p : pieces) {
      if (o.to < p.from || o.from > p.to) {
        next.push_back(p);
        continue;
      }
      if (o.from > p.from) next.push_back({p.from, o.from - 1});
      if (o.to < p.to) next.push_back({o.to + 1, p.to});
    }
    pieces = std::move(next);
  }
  return pieces;
}

int64_t lookback_of(const RuleSettings& rules) {
  return std::max({kRecentMinutes, rules.recovery_min, rules.provider_errors.window_min,
                   rules.latency.window_min, rules.official_mismatch.window_min,
                   rules.regional.window_min});
}

// The store's side of the loop: open alerts as the shim would record them after notifying.
void carry_forward(std::vector<OpenAlert>& open, const AlertAction& action, int64_t now_ms) {
  auto same = [&](const OpenAlert& o) {
    return o.rule == action.alert.rule && o.scope == action.alert.scope;
  };
  switch (action.kind) {
    case ActionKind::open: {
      // Opened in silence, an alert has no time of notice until it is sent.
      std::optional<int64_t> notified;
      if (action.alert.last_notified_at) notified = now_ms;
      open.push_back(
          {action.alert.rule, action.alert.scope, now_ms, notified, action.alert.verdict});
      break;
    }
    case ActionKind::remind:
      for (OpenAlert& o : open) {
        if (same(o)) o.last_notified_ms = now_ms;
      }
      break;
    case ActionKind::resolve:
      open.erase(std::remove_if(open.begin(), open.end(), same), open.end());
      break;
  }
}

// Whether the plan left out `row`: a Cloudflare region's probe at a minute it withheld.
bool withheld_at(const std::vector<int64_t>& withheld, const Row& row, int64_t minute) {
  return !is_outside_vantage(row.region) &&
         std::binary_search(withheld.begin(), withheld.end(), minute);
}

// evaluate() decides each target from that target's rows and open alerts alone, so one call
// per target with a one-target configuration gives the same actions as one call for all, and
// each call scans only its own rows.
class HeyhiRules : public Decider {
 public:
  HeyhiRules(const Trace& trace, std::map<std::string, std::string> official, PlanReplay* plan)
      : trace_(trace), plan_(plan) {
    if (plan_) plan_->withheld.assign(trace.targets.size(), {});
    for (const Target& target : trace.config.targets) {
      PerTarget p;
      p.config = trace.config;
      p.config.targets = {target};
      p.input.official = official;
      p.lookback = lookback_of(target.rules);
      targets_.push_back(std::move(p));
    }
  }

  std::string_view name() const override { return "heyhi"; }

  void step(int64_t minute, std::vector<AlertEvent>& out) override {
    for (size_t i = 0; i < targets_.size(); ++i) {
      PerTarget& p = targets_[i];
      if (!p.config.targets.front().enabled) continue;
      if (plan_) plan_minute(p, trace_.targets[i], minute, plan_->withheld[i]);
      refresh(p, trace_.targets[i], minute, plan_ ? &plan_->withheld[i] : nullptr);
      // With no rows and nothing open, no rule can fire and nothing can resolve: long gaps in
      // a backtest's history cost nothing.
      if (p.input.rows.empty() && p.input.open_alerts.empty()) continue;
      p.input.now_ms = minute * kMinuteMillis;
      for (AlertAction& action : evaluate(p.config, p.input)) {
        carry_forward(p.input.open_alerts, action, p.input.now_ms);
        out.push_back(
            {minute, action.kind, action.notify, i, std::move(action.alert), action.first_notice});
      }
    }
  }

 private:
  struct PerTarget {
    Config config;
    EvaluationInput input;
    std::vector<int64_t> row_minutes;  // parallel to input.rows
    std::vector<Interval> held;        // the minutes input.rows holds
    int64_t lookback = kRecentMinutes;
    // Kept failures that start confirmation, of the last confirm_min minutes, and their minutes.
    std::deque<Row> failures;
    std::deque<int64_t> failure_minutes;
  };

  // What the shim's plan does at `minute` with the failures kept before it and the alerts open
  // after the previous minute's evaluation: probe off the cadence or not.
  static void plan_minute(PerTarget& p, const TargetRows& source, int64_t minute,
                          std::vector<int64_t>& withheld) {
    const Target& target = p.config.targets.front();
    while (!p.failures.empty() && p.failure_minutes.front() < minute - target.rules.confirm_min) {
      p.failures.pop_front();
      p.failure_minutes.pop_front();
    }
    std::vector<Row> recent(p.failures.begin(), p.failures.end());
    bool sent =
        is_due(target, minute) ||
        confirming(target, latest_confirmable(target, recent, minute, p.input.open_alerts), minute);
    if (!sent) withheld.push_back(minute);
    auto [first, last] = source.range(minute, minute);
    for (size_t r = first; r < last && sent; ++r) {
      if (!starts_confirmation(source.rows[r])) continue;
      p.failures.push_back(source.rows[r]);
      p.failure_minutes.push_back(minute);
    }
  }

  // Keeps input.rows equal to the rows of the minutes evaluate needs now, copying from the
  // trace only the minutes that entered since the last call.
  static void refresh(PerTarget& p, const TargetRows& source, int64_t minute,
                      const std::vector<int64_t>* withheld) {
    std::vector<Interval> next = needed_minutes(minute, p.lookback);
    size_t kept = 0;
    for (size_t r = 0; r < p.input.rows.size(); ++r) {
      if (!covers(next, p.row_minutes[r])) continue;
      if (kept != r) {
        p.input.rows[kept] = std::move(p.input.rows[r]);
        p.row_minutes[kept] = p.row_minutes[r];
      }
      ++kept;
    }
    p.input.rows.resize(kept);
    p.row_minutes.resize(kept);

    for (const Interval& wanted : next) {
      for (const Interval& piece : minus(wanted, p.held)) {
        auto [first, last] = source.range(piece.from, piece.to);
        for (size_t r = first; r < last; ++r) {
          if (withheld && withheld_at(*withheld, source.rows[r], source.minutes[r])) continue;
          p.input.rows.push_back(source.rows[r]);
          p.row_minutes.push_back(source.minutes[r]);
        }
      }
    }
    p.held = std::move(next);
  }

  const Trace& trace_;
  PlanReplay* plan_;
  std::vector<PerTarget> targets_;
};

// --- shared by the naive deciders ---------------------------------------------------------

Alert naive_alert(const Target& target, std::string rule, std::optional<std::string> region,
                  std::string title, std::string detail) {
  Alert a;
  a.rule = std::move(rule);
  a.scope = region ? target.id + "@" + *region : target.id;
  a.provider = std::string(provider_name(target.provider));
  a.model = target.model;
  a.region = std::move(region);
  a.verdict = "provider";
  a.title = std::move(title);
  a.detail = std::move(detail);
  return a;
}

// Hands out each target's rows once, at their minute. Rows before the first step are history
// the decider never saw.
class Cursor {
 public:
  explicit Cursor(const TargetRows& rows) : rows_(rows) {}

  template <typename Visit>
  void arrive(int64_t minute, Visit visit) {
    if (!started_) {
      next_ = rows_.range(minute, minute).first;
      started_ = true;
    }
    for (; next_ < rows_.rows.size() && rows_.minutes[next_] <= minute; ++next_) {
      visit(next_, rows_.rows[next_]);
    }
  }

 private:
  const TargetRows& rows_;
  size_t next_ = 0;
  bool started_ = false;
};

// --- alert on the first failure -----------------------------------------------------------

class FirstFailure : public Decider {
 public:
  explicit FirstFailure(const Trace& trace) : trace_(trace) {
    for (const TargetRows& rows : trace.targets) {
      cursors_.emplace_back(rows);
      open_.push_back(false);
    }
  }

  std::string_view name() const override { return "first_failure"; }

  void step(int64_t minute, std::vector<AlertEvent>& out) override {
    for (size_t i = 0; i < cursors_.size(); ++i) {
      const Target& target = trace_.config.targets[i];
      cursors_[i].arrive(minute, [&](size_t, const Row& row) {
        if (row.ok == !open_[i]) return;
        open_[i] = !row.ok;
        if (row.ok) {
          out.push_back({minute, ActionKind::resolve, true, i,
                         naive_alert(target, "first_failure", std::nullopt,
                                     fmt::format("{}: a probe succeeded", target.id), "")});
          return;
        }
        std::string_view type = row.error_type ? error_type_name(*row.error_type) : "unknown";
        out.push_back({minute, ActionKind::open, true, i,
                       naive_alert(target, "first_failure", std::nullopt,
                                   fmt::format("{}: a probe failed", target.id),
                                   fmt::format("{} from {}", type, row.region))});
      });
    }
  }

 private:
  const Trace& trace_;
  std::vector<Cursor> cursors_;
  std::vector<bool> open_;
};

// --- failures in a row ----------------------------------------------------------------------

class Streak : public Decider {
 public:
  Streak(const Trace& trace, int fail_run, int ok_run)
      : trace_(trace), fail_run_(fail_run), ok_run_(ok_run) {
    for (const TargetRows& rows : trace.targets) cursors_.emplace_back(rows);
    state_.resize(trace.targets.size());
  }

  std::string_view name() const override { return "streak"; }

  void step(int64_t minute, std::vector<AlertEvent>& out) override {
    for (size_t i = 0; i < cursors_.size(); ++i) {
      const Target& target = trace_.config.targets[i];
      cursors_[i].arrive(minute, [&](size_t, const Row& row) {
        Run& run = state_[i][row.region];
        run.failures = row.ok ? 0 : run.failures + 1;
        run.successes = row.ok ? run.successes + 1 : 0;
        if (!run.open && run.failures >= fail_run_) {
          run.open = true;
          out.push_back({minute, ActionKind::open, true, i,
                         naive_alert(target, "streak", row.region,
                                     fmt::format("{}: {} failures in a row from {}", target.id,
                                                 fail_run_, row.region),
                                     "")});
        } else if (run.open && run.successes >= ok_run_) {
          run.open = false;
          out.push_back(
              {minute, ActionKind::resolve, true, i,
               naive_alert(target, "streak", row.region,
                           fmt::format("{}: recovered in {}", target.id, row.region), "")});
        }
      });
    }
  }

 private:
  struct Run {
    int failures = 0;
    int successes = 0;
    bool open = false;
  };

  const Trace& trace_;
  int fail_run_;
  int ok_run_;
  std::vector<Cursor> cursors_;
  std::vector<std::map<std::string, Run>> state_;
};

// --- the brief's rules taken literally ------------------------------------------------------

struct RegionCount {
  int64_t probes = 0;
  int64_t failures = 0;
  double rate() const {
    return probes > 0 ? static_cast<double>(failures) / static_cast<double>(probes) : 0.0;
  }
};

class BriefLiteral : public Decider {
 public:
  BriefLiteral(const Trace& trace, bool official_operational)
      : trace_(trace), official_operational_(official_operational) {
    for (const TargetRows& rows : trace.targets) cursors_.emplace_back(rows);
    recent_.resize(trace.targets.size());
    open_.resize(trace.targets.size());
  }

  std::string_view name() const override { return "brief_literal"; }

  void step(int64_t minute, std::vector<AlertEvent>& out) override {
    for (size_t i = 0; i < cursors_.size(); ++i) {
      std::deque<size_t>& recent = recent_[i];
      cursors_[i].arrive(minute, [&](size_t index, const Row&) { recent.push_back(index); });
      const TargetRows& rows = trace_.targets[i];
      while (!recent.empty() && rows.minutes[recent.front()] <= minute - 10) recent.pop_front();
      judge(i, minute, out);
    }
  }

 private:
  void judge(size_t i, int64_t minute, std::vector<AlertEvent>& out) {
    const TargetRows& rows = trace_.targets[i];
    RegionCount all5;
    std::map<std::string, RegionCount> by_region;
    for (const std::string& region : trace_.config.regions) by_region[region];
    std::vector<int64_t> latencies;
    for (size_t index : recent_[i]) {
      const Row& row = rows.rows[index];
      latencies.push_back(row.latency_ms);
      if (rows.minutes[index] <= minute - 5) continue;
      ++all5.probes;
      all5.failures += !row.ok;
      RegionCount& here = by_region[row.region];
      ++here.probes;
      here.failures += !row.ok;
    }
    std::sort(latencies.begin(), latencies.end());
    auto p95 = nearest_rank(latencies, 0.95);

    const Target& target = trace_.config.targets[i];
    int pct = static_cast<int>(all5.rate() * 100 + 0.5);
    edge(i, minute, "brief_error_rate", std::nullopt, all5.rate() > 0.20,
         fmt::format("{}: {}% of probes failing over 5 min", target.id, pct), out);
    edge(i, minute, "brief_p95", std::nullopt, p95 && *p95 > 5000,
         fmt::format("{}: p95 {} ms over 10 min", target.id, p95.value_or(0)), out);
    edge(i, minute, "brief_official", std::nullopt, official_operational_ && all5.rate() > 0.10,
         fmt::format("{}: {}% failing while the status page says operational", target.id, pct),
         out);
    // clang 14 cannot capture a structured binding, so the pair is taken apart by hand.
    for (const auto& entry : by_region) {
      const std::string& region = entry.first;
      const RegionCount& here = entry.second;
      bool others_calm = std::all_of(by_region.begin(), by_region.end(), [&](const auto& other) {
        return other.first == region || other.second.rate() < 0.05;
      });
      edge(i, minute, "brief_region", region, here.rate() > 0.20 && others_calm,
           fmt::format("{}: {}% failing from {} only", target.id,
                       static_cast<int>(here.rate() * 100 + 0.5), region),
           out);
    }
  }

  void edge(size_t i, int64_t minute, const char* rule, const std::optional<std::string>& region,
            bool holds, std::string title, std::vector<AlertEvent>& out) {
    std::string key = std::string(rule) + "|" + region.value_or("");
    bool& open = open_[i][key];
    if (holds == open) return;
    open = holds;
    out.push_back({minute, holds ? ActionKind::open : ActionKind::resolve, true, i,
                   naive_alert(trace_.config.targets[i], rule, region, std::move(title), "")});
  }

  const Trace& trace_;
  bool official_operational_;
  std::vector<Cursor> cursors_;
  std::vector<std::deque<size_t>> recent_;
  std::vector<std::map<std::string, bool>> open_;
};

}  // namespace

std::unique_ptr<Decider> heyhi_rules(const Trace& trace,
                                     std::map<std::string, std::string> official,
                                     PlanReplay* plan) {
  return std::make_unique<HeyhiRules>(trace, std::move(official), plan);
}

Trace without_withheld(const Trace& trace, const PlanReplay& plan) {
  Trace out;
  out.config = trace.config;
  out.targets.resize(trace.targets.size());
  for (size_t t = 0; t < trace.targets.size(); ++t) {
    const TargetRows& in = trace.targets[t];
    TargetRows& kept = out.targets[t];
    for (size_t r = 0; r < in.rows.size(); ++r) {
      if (t < plan.withheld.size() && withheld_at(plan.withheld[t], in.rows[r], in.minutes[r])) {
        continue;
      }
      kept.rows.push_back(in.rows[r]);
      kept.minutes.push_back(in.minutes[r]);
    }
  }
  compute_span(out);
  return out;
}

std::unique_ptr<Decider> first_failure(const Trace& trace) {
  return std::make_unique<FirstFailure>(trace);
}

std::unique_ptr<Decider> streak(const Trace& trace, int fail_run, int ok_run) {
  return std::make_unique<Streak>(trace, fail_run, ok_run);
}

std::unique_ptr<Decider> brief_literal(const Trace& trace, bool official_operational) {
  return std::make_unique<BriefLiteral>(trace, official_operational);
}

std::map<std::string, std::string> official_everywhere(const std::string& status) {
  std::map<std::string, std::string> official;
  for (Provider p : {Provider::openai, Provider::anthropic, Provider::gemini, Provider::xai,
                     Provider::cohere, Provider::mistral}) {
    official[std::string(provider_name(p))] = status;
  }
  return official;
}

std::vector<AlertEvent> replay(Decider& decider, int64_t from_minute, int64_t to_minute) {
  std::vector<AlertEvent> events;
  for (int64_t minute = from_minute; minute <= to_minute; ++minute) decider.step(minute, events);
  return events;
}

}  // namespace heyhi::detection
