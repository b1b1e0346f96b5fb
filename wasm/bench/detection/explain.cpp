#include "detection/explain.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "summary.h"

namespace heyhi::detection {
namespace {

// What alerting.cpp's Tally counts over a window: provider and network failures over the
// probes that were not our own configuration's fault; rate limits count as probes only.
struct Counts {
  int64_t probes = 0;
  int64_t ours = 0;
  int64_t counted = 0;
  std::map<std::string, int64_t> region_failures;
  std::vector<int64_t> ok_latency;
  std::map<std::string, int64_t> sources;

  void add(const Row& row) {
    ++probes;
    if (row.ok) {
      ok_latency.push_back(row.latency_ms);
      return;
    }
    Attribution a = attribution_of(*row.error_type);
    if (a == Attribution::ours) ++ours;
    if (a != Attribution::provider && a != Attribution::network) return;
    ++counted;
    ++region_failures[row.region];
    ++sources[row.detail.value_or("unknown")];
  }
  int64_t tested() const { return probes - ours; }
  int64_t regions_failing(int64_t min) const {
    return std::count_if(region_failures.begin(), region_failures.end(),
                         [&](const auto& entry) { return entry.second >= min; });
  }
  double rate() const {
    return tested() > 0 ? static_cast<double>(counted) / static_cast<double>(tested()) : 0.0;
  }
};

// Cloudflare regions' rows only, as the rules count them.
template <typename Keep>
Counts count(const TargetRows& rows, int64_t minute, int window_min, Keep keep) {
  Counts c;
  auto [first, last] = rows.range(minute - window_min + 1, minute);
  for (size_t i = first; i < last; ++i) {
    const Row& row = rows.rows[i];
    if (!is_outside_vantage(row.region) && keep(row)) c.add(row);
  }
  std::sort(c.ok_latency.begin(), c.ok_latency.end());
  return c;
}

Counts count_all(const TargetRows& rows, int64_t minute, int window_min) {
  return count(rows, minute, window_min, [](const Row&) { return true; });
}

std::optional<int64_t> baseline_p95(const TargetRows& rows, int64_t minute) {
  std::vector<int64_t> samples;
  for (int day = 1; day <= 7; ++day) {
    int64_t centre = minute - day * kDayMinutes;
    auto [first, last] = rows.range(centre - 30, centre + 30);
    for (size_t i = first; i < last; ++i) {
      if (rows.rows[i].ok) samples.push_back(rows.rows[i].latency_ms);
    }
  }
  if (samples.size() < 20) return std::nullopt;
  std::sort(samples.begin(), samples.end());
  return nearest_rank(samples, 0.95);
}

double latency_line(const LatencyRule& rule, std::optional<int64_t> baseline) {
  double line = rule.p95_ms;
  if (baseline) {
    line = std::min(line, std::max<double>(rule.floor_ms, *baseline * rule.baseline_factor));
  }
  return line;
}

std::string pct(double rate) { return fmt::format("{:g}%", rate * 100); }

// The conditions of `rule` that do not hold at `minute`, and the probes its window held.
std::vector<std::string> unmet_at(const Trace& trace, const Incident& incident, int64_t minute,
                                  const std::string& rule, int64_t& window_probes,
                                  GuardReport& report) {
  const Target& target = trace.config.targets[incident.target];
  const TargetRows& rows = trace.targets[incident.target];
  const RuleSettings& rules = target.rules;
  std::vector<std::string> unmet;
  if (rule == "provider_errors") {
    const ErrorRule& r = rules.provider_errors;
    Counts c = count_all(rows, minute, r.window_min);
    window_probes = c.tested();
    int64_t regions = std::min<int64_t>(r.min_regions, trace.config.regions.size());
    if (c.counted < r.min_failures) unmet.push_back(fmt::format("min_failures={}", r.min_failures));
    if (!(c.rate() > r.rate)) unmet.push_back(fmt::format("rate>{}", pct(r.rate)));
    if (c.regions_failing(r.region_min_failures) < regions) {
      unmet.push_back(fmt::format("min_regions={}", regions));
    }
  } else if (rule == "regional") {
    const RegionalRule& r = rules.regional;
    const std::string& region = *incident.region;
    Counts here =
        count(rows, minute, r.window_min, [&](const Row& x) { return x.region == region; });
    Counts others =
        count(rows, minute, r.window_min, [&](const Row& x) { return x.region != region; });
    window_probes = here.tested();
    if (here.counted < r.min_failures)
      unmet.push_back(fmt::format("min_failures={}", r.min_failures));
    if (!(here.rate() >= r.rate)) unmet.push_back(fmt::format("rate>={}", pct(r.rate)));
    if (others.tested() < 2) unmet.push_back("others>=2 probes");
    if (!(others.rate() <= r.others_max_rate)) {
      unmet.push_back(fmt::format("others<={}", pct(r.others_max_rate)));
    }
  } else {
    const LatencyRule& r = rules.latency;
    Counts c = count_all(rows, minute, r.window_min);
    window_probes = static_cast<int64_t>(c.ok_latency.size());
    double line = latency_line(r, baseline_p95(rows, minute));
    auto p95 = nearest_rank(c.ok_latency, 0.95);
    if (static_cast<int>(c.ok_latency.size()) < r.min_samples) {
      unmet.push_back(fmt::format("min_samples={}", r.min_samples));
    }
    if (!p95 || static_cast<double>(*p95) <= line) unmet.push_back("p95 over the line");
    if (p95) {
      report.p95_ms.push_back(*p95);
      report.line_ms.push_back(std::llround(line));
    }
  }
  return unmet;
}

std::string rule_for(IncidentKind kind) {
  switch (kind) {
    case IncidentKind::region_down: return "regional";
    case IncidentKind::latency_3x: return "latency";
    default: return "provider_errors";
  }
}

}  // namespace

GuardReport explain_misses(const Trace& trace, const std::vector<Incident>& incidents,
                           const std::vector<size_t>& which, const Score& score,
                           const std::vector<AlertEvent>& events) {
  GuardReport report;
  for (size_t i : which) {
    const Incident& incident = incidents[i];
    report.rule = rule_for(incident.kind);
    int64_t until = score.detection[i] ? events[*score.detection[i]].minute
                                       : incident.end_minute + kLateMinutes + 1;
    for (int64_t minute = incident.start_minute; minute < until; ++minute) {
      int64_t probes = 0;
      std::vector<std::string> unmet =
          unmet_at(trace, incident, minute, report.rule, probes, report);
      ++report.minutes;
      ++report.window_probes[probes];
      if (unmet.empty()) ++report.all_met;
      for (const std::string& condition : unmet) ++report.unmet[condition];
    }
  }
  return report;
}

std::vector<FalseReport> explain_false(const Trace& trace, const std::vector<AlertEvent>& events,
                                       const std::vector<size_t>& false_opens) {
  std::map<std::string, FalseReport> by_rule;
  for (size_t e : false_opens) {
    const AlertEvent& event = events[e];
    const Target& target = trace.config.targets[event.target];
    const TargetRows& rows = trace.targets[event.target];
    const RuleSettings& rules = target.rules;
    FalseReport& report = by_rule[event.alert.rule];
    report.rule = event.alert.rule;
    ++report.opens;

    if (event.alert.rule == "latency") {
      Counts c = count_all(rows, event.minute, rules.latency.window_min);
      double line = latency_line(rules.latency, event.alert.measured.baseline_p95_ms);
      auto slow = std::count_if(c.ok_latency.begin(), c.ok_latency.end(),
                                [&](int64_t ms) { return static_cast<double>(ms) > line; });
      ++report.over_line[slow];
      continue;
    }
    int window = event.alert.rule == "regional"            ? rules.regional.window_min
                 : event.alert.rule == "official_mismatch" ? rules.official_mismatch.window_min
                                                           : rules.provider_errors.window_min;
    const std::optional<std::string>& region = event.alert.region;
    Counts c = count(rows, event.minute, window,
                     [&](const Row& x) { return !region || x.region == *region; });
    ++report.failures[c.counted];
    for (const auto& [source, n] : c.sources) report.sources[source] += n;
  }
  std::vector<FalseReport> out;
  for (auto& [rule, report] : by_rule) out.push_back(std::move(report));
  std::sort(out.begin(), out.end(),
            [](const FalseReport& a, const FalseReport& b) { return a.opens > b.opens; });
  return out;
}

}  // namespace heyhi::detection
