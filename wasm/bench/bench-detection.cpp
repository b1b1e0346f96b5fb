// How fast and how quietly HeyHi's alert rules detect incidents: a simulated month of probes
// for the default targets, replayed minute by minute through heyhi::evaluate and through three
// naive deciders, scored against the incidents injected into it.
//   bench_detection [--seed N] [--days N] [--incidents N] [--official operational|unknown]
//                   [--patch-share F] [--outlier-rate F] [--config PATH]
// Prints tables, the goals from the product brief beside HeyHi's figures, the evidence behind
// each miss, then one JSON line per figure. It reports; it fails only on bad arguments.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "cost.h"
#include "detection/deciders.h"
#include "detection/evidence-floor.h"
#include "detection/explain.h"
#include "detection/files.h"
#include "detection/score.h"
#include "detection/sim.h"
#include "json-writer.h"
#include "summary.h"
#include "time-format.h"
#include "vantage.h"

using namespace heyhi;
using namespace heyhi::detection;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

constexpr int kGoalCadence = 2;
constexpr int64_t kGoalP95Minutes = 5;
constexpr int64_t kGoalFalsePerMonth = 1;

struct Arguments {
  SimOptions sim;
  NoiseModel noise;
  std::string official = "operational";
  std::string config;
};

bool number_arg(const char* text, double lo, double hi, double& into) {
  char* end = nullptr;
  double value = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(value >= lo && value <= hi)) return false;
  into = value;
  return true;
}

// A numeric flag's value, or why it is refused.
std::optional<std::string> read_number(std::string_view flag, const char* text, double lo,
                                       double hi, double& into) {
  if (number_arg(text, lo, hi, into)) return std::nullopt;
  return fmt::format("{} takes a number from {} to {}, not \"{}\"", flag, lo, hi, text);
}

// A count: digits only, so that "2.5" or "1e2" is not quietly read as another number.
std::optional<std::string> read_whole(std::string_view flag, const char* text, double lo, double hi,
                                      double& into) {
  std::string_view digits = text;
  bool plain = !digits.empty() && std::all_of(digits.begin(), digits.end(),
                                              [](char c) { return c >= '0' && c <= '9'; });
  if (plain && number_arg(text, lo, hi, into)) return std::nullopt;
  return fmt::format("{} takes a whole number from {} to {}, not \"{}\"", flag, lo, hi, text);
}

// Reads the flags into `args`; the first one refused, and why, comes back.
std::optional<std::string> parse_arguments(int argc, char** argv, Arguments& args) {
  constexpr std::array<std::string_view, 7> known = {
      "--seed",         "--days",     "--incidents", "--patch-share",
      "--outlier-rate", "--official", "--config"};
  for (int i = 1; i < argc; i += 2) {
    std::string_view flag = argv[i];
    if (std::find(known.begin(), known.end(), flag) == known.end()) {
      return fmt::format("unknown flag {}", flag);
    }
    if (i + 1 == argc) return fmt::format("{} has no value", flag);
    const char* value = argv[i + 1];
    double n = 0;
    std::optional<std::string> refused;
    if (flag == "--seed") {
      if (!(refused = read_whole(flag, value, 0, 9.0e15, n))) {
        args.sim.seed = static_cast<uint64_t>(n);
      }
    } else if (flag == "--days") {
      if (!(refused = read_whole(flag, value, 2, 120, n))) args.sim.days = static_cast<int>(n);
    } else if (flag == "--incidents") {
      if (!(refused = read_whole(flag, value, 0, 60, n))) {
        args.sim.incidents_per_cadence = static_cast<int>(n);
      }
    } else if (flag == "--patch-share") {
      if (!(refused = read_number(flag, value, 0, 0.95, n))) args.noise.patch_share = n;
    } else if (flag == "--outlier-rate") {
      if (!(refused = read_number(flag, value, 0, 0.2, n))) args.noise.outlier_rate = n;
    } else if (flag == "--official") {
      if (std::string_view(value) == "operational" || std::string_view(value) == "unknown") {
        args.official = value;
      } else {
        refused = fmt::format("--official takes operational or unknown, not \"{}\"", value);
      }
    } else if (flag == "--config") {
      args.config = value;
    } else {
      refused = fmt::format("unknown flag {}", flag);
    }
    if (refused) return refused;
  }
  return std::nullopt;
}

// --- grouping and statistics ----------------------------------------------------------------

struct Group {
  IncidentKind kind;
  int cadence;
  std::vector<size_t> incidents;
};

std::vector<Group> group_incidents(const Simulation& sim) {
  std::vector<int> cadences;
  for (const Target& t : sim.trace.config.targets) cadences.push_back(t.cadence_min);
  std::sort(cadences.begin(), cadences.end());
  cadences.erase(std::unique(cadences.begin(), cadences.end()), cadences.end());
  std::vector<Group> groups;
  for (IncidentKind kind : kIncidentKinds) {
    for (int cadence : cadences) {
      Group g{kind, cadence, {}};
      for (size_t i = 0; i < sim.incidents.size(); ++i) {
        const Incident& incident = sim.incidents[i];
        int target_cadence = sim.trace.config.targets[incident.target].cadence_min;
        if (incident.kind == kind && target_cadence == cadence) g.incidents.push_back(i);
      }
      if (!g.incidents.empty()) groups.push_back(std::move(g));
    }
  }
  return groups;
}

struct Run {
  std::string name;
  std::string label;
  std::vector<AlertEvent> events;
  Score score;
  double seconds = 0;
};

struct Stats {
  size_t incidents = 0;
  size_t missed = 0;
  std::optional<int64_t> p50;
  std::optional<int64_t> p95;
};

Stats stats_of(const Run& run, const Simulation& sim, const std::vector<size_t>& which) {
  Stats s;
  std::vector<int64_t> minutes;
  for (size_t i : which) {
    ++s.incidents;
    const auto& found = run.score.detection[i];
    if (!found) {
      ++s.missed;
      continue;
    }
    minutes.push_back(run.events[*found].minute - sim.incidents[i].start_minute);
  }
  std::sort(minutes.begin(), minutes.end());
  s.p50 = nearest_rank(minutes, 0.50);
  s.p95 = nearest_rank(minutes, 0.95);
  return s;
}

std::string minutes_or_dash(std::optional<int64_t> m) { return m ? fmt::format("{}", *m) : "-"; }

double weeks_of(const Simulation& sim) {
  return static_cast<double>(sim.month_to - sim.month_from + 1) / (7.0 * kDayMinutes);
}

double per_month(const Simulation& sim, size_t count) {
  return static_cast<double>(count) * 30.0 * kDayMinutes /
         static_cast<double>(sim.month_to - sim.month_from + 1);
}

std::map<std::string, size_t> false_by_rule(const Run& run) {
  std::map<std::string, size_t> by_rule;
  for (size_t e : run.score.false_opens) ++by_rule[run.events[e].alert.rule];
  return by_rule;
}

std::string group_label(const Group& g) {
  return fmt::format("{} @{}m", incident_kind_label(g.kind), g.cadence);
}

// --- the setting ----------------------------------------------------------------------------

// The month's rows from the Cloudflare regions.
size_t month_rows(const Trace& trace, const Simulation& sim) {
  size_t rows = 0;
  for (const TargetRows& t : trace.targets) {
    auto [first, last] = t.range(sim.month_from, sim.month_to);
    for (size_t i = first; i < last; ++i) rows += !is_outside_vantage(t.rows[i].region);
  }
  return rows;
}

// The outside vantage's runs as the simulator placed them: how late and how far apart.
void print_outside(const Arguments& args, const Simulation& sim) {
  if (sim.outside_runs.empty()) {
    fmt::print("outside vantage: none\n");
    return;
  }
  const OutsideSchedule& s = args.sim.outside;
  std::vector<int64_t> gaps;
  for (size_t i = 1; i < sim.outside_runs.size(); ++i) {
    gaps.push_back(sim.outside_runs[i] - sim.outside_runs[i - 1]);
  }
  std::sort(gaps.begin(), gaps.end());
  fmt::print(
      "outside vantage {} (GitHub Actions), seen by HeyHi's rules only: a run every {} min "
      "on paper,\n  {:.0f} % skipped, the rest late by 0-3 min ({:.0f} %), 3-10 ({:.0f} %), "
      "10-20 ({:.0f} %), 20-30 ({:.0f} %);\n  {} runs, gaps between runs p50 {} min, p95 {} "
      "min, longest {} min\n",
      kOutsideVantage, s.every_min, s.skipped * 100, s.on_time * 100, s.late_3_10 * 100,
      s.late_10_20 * 100, (1 - s.on_time - s.late_3_10 - s.late_10_20) * 100,
      sim.outside_runs.size(), nearest_rank(gaps, 0.5).value_or(0),
      nearest_rank(gaps, 0.95).value_or(0), gaps.empty() ? 0 : gaps.back());
}

void print_setting(const Arguments& args, const Simulation& sim, size_t probes) {
  const Config& config = sim.trace.config;
  std::map<int, int> cadences;
  for (const Target& t : config.targets) ++cadences[t.cadence_min];
  std::string cadence_text;
  for (const auto& [cadence, n] : cadences) {
    cadence_text += fmt::format("{}{} every {} min", cadence_text.empty() ? "" : ", ", n, cadence);
  }
  std::string regions;
  for (const std::string& r : config.regions) regions += (regions.empty() ? "" : ", ") + r;

  double lo_rate = 1, hi_rate = 0, lo_ms = 1e9, hi_ms = 0;
  for (const TargetNoise& n : sim.noise) {
    lo_rate = std::min(lo_rate, n.base_error_rate);
    hi_rate = std::max(hi_rate, n.base_error_rate);
    lo_ms = std::min(lo_ms, n.median_ms);
    hi_ms = std::max(hi_ms, n.median_ms);
  }
  int64_t month_probes = 0, month_failures = 0;
  for (const TargetRows& t : sim.trace.targets) {
    auto [first, last] = t.range(sim.month_from, sim.month_to);
    for (size_t i = first; i < last; ++i) {
      bool incident = t.rows[i].detail && *t.rows[i].detail == kFromIncident;
      if (incident) continue;
      ++month_probes;
      month_failures += !t.rows[i].ok;
    }
  }

  fmt::print("HeyHi alerting detection benchmark\n");
  fmt::print("seed {}, {} days from {} (+{} days of history for the latency baseline)\n",
             args.sim.seed, args.sim.days, iso_utc_minute(sim.month_from * kMinuteMillis),
             args.sim.warmup_days);
  size_t confirmations = month_rows(sim.confirmed, sim) - probes;
  fmt::print("{} targets ({}) x {} regions ({}), {} probes in the month on cadence\n",
             config.targets.size(), cadence_text, config.regions.size(), regions, probes);
  fmt::print(
      "HeyHi also confirms: after a failure blamed on the provider or network that no open alert"
      " explains,\n  every minute from every region for confirm_min={} min: {} more probes (+{:.0f}"
      " %), seen by HeyHi's\n  rules only\n",
      config.targets.front().rules.confirm_min, confirmations,
      100.0 * static_cast<double>(confirmations) / static_cast<double>(probes));
  double background = static_cast<double>(month_failures) / static_cast<double>(month_probes);
  double expected = 0;
  for (const Target& t : config.targets) {
    expected +=
        expected_confirmation_probes(t, static_cast<int>(config.regions.size()), background) *
        args.sim.days / kCostDays;
  }
  fmt::print(
      "  the cost estimate's formula, fed this background's failure rate alone (failures one by "
      "one,\n  no incidents), expects {:.0f}; the estimate itself assumes "
      "cost.assumed_failure_rate = {:.1f} %\n",
      expected, config.cost.assumed_failure_rate * 100);
  fmt::print(
      "noise: base error rate {:.1f}-{:.1f} % per target (outside incidents {:.2f} % of "
      "probes failed),\n  {:.0f} % of errors in bad patches per target x region ({:.0f} % "
      "errors, mean {:.0f} min), latency lognormal\n  sigma {:.2f} around medians of {:.0f}-"
      "{:.0f} ms, {:.1f} % outliers at 2-9 s (past the timeout: a timeout)\n",
      lo_rate * 100, hi_rate * 100, 100.0 * static_cast<double>(month_failures) / month_probes,
      args.noise.patch_share * 100, args.noise.patch_error_rate * 100, args.noise.patch_mean_min,
      args.noise.latency_sigma, lo_ms, hi_ms, args.noise.outlier_rate * 100);
  fmt::print("official status: \"{}\" throughout, for every decider\n", args.official);
  std::set<int64_t> egress_starts;
  for (const Incident& i : sim.incidents) {
    if (i.kind == IncidentKind::egress) egress_starts.insert(i.start_minute);
  }
  std::string egress_asked =
      static_cast<int>(egress_starts.size()) < args.sim.incidents_per_cadence
          ? fmt::format(
                " (of {} asked: the month had no other stretch clear of every target's "
                "incidents)",
                args.sim.incidents_per_cadence)
          : "";
  fmt::print(
      "incidents: {} ({} of each kind at each cadence): outage 20-90 min, 30 % errors "
      "30-120 min,\n  latency 3x 60 min, one region down 30-60 min, ramp 0->60 % over 40 "
      "min; and {} times{} Cloudflare egress\n  trouble, 20-60 min, every target failing from "
      "every region (connection failures and timeouts,\n  20-80 % of them connection failures, "
      "drawn per event) while the outside vantage sees the providers fine\n",
      sim.incidents.size(), args.sim.incidents_per_cadence, egress_starts.size(), egress_asked);
  print_outside(args, sim);
  fmt::print("\n");
}

// --- tables ---------------------------------------------------------------------------------

void print_detection(const std::vector<Run>& runs, const Simulation& sim,
                     const std::vector<Group>& groups) {
  fmt::print(
      "detection: minutes from incident start to the first fitting open; missed = none "
      "by end + {} min\n",
      kLateMinutes);
  std::string head = fmt::format("{:<30}", "incident");
  std::string sub = fmt::format("{:<30}", "");
  for (const Run& run : runs) {
    head += fmt::format("| {:<15}", run.label);
    sub += fmt::format("| {:>3} {:>3} {:>7}", "p50", "p95", "missed");
  }
  fmt::print("{}\n{}\n", head, sub);
  for (const Group& g : groups) {
    std::string line = fmt::format("{:<30}", group_label(g));
    for (const Run& run : runs) {
      Stats s = stats_of(run, sim, g.incidents);
      line += fmt::format("| {:>3} {:>3} {:>7}", minutes_or_dash(s.p50), minutes_or_dash(s.p95),
                          fmt::format("{}/{}", s.missed, s.incidents));
    }
    fmt::print("{}\n", line);
  }
  fmt::print("\n");
}

void print_false(const std::vector<Run>& runs, const Simulation& sim) {
  fmt::print("false alerts: opens that detect no incident, all {} targets\n",
             sim.trace.config.targets.size());
  fmt::print("{:<16} {:>7} {:>9}  {}\n", "decider", "month", "per week", "by rule");
  for (const Run& run : runs) {
    std::string rules;
    for (const auto& [rule, n] : false_by_rule(run)) {
      rules += fmt::format("{}{} {}", rules.empty() ? "" : ", ", rule, n);
    }
    fmt::print("{:<16} {:>7.0f} {:>9.1f}  {}\n", run.label,
               per_month(sim, run.score.false_opens.size()),
               static_cast<double>(run.score.false_opens.size()) / weeks_of(sim), rules);
  }
  fmt::print("\n");
}

// --- verdicts -------------------------------------------------------------------------------

struct VerdictCount {
  size_t incidents = 0;
  size_t detected = 0;
  std::map<std::string, size_t> at_open;          // the verdict of each incident's detecting open
  std::map<std::string, size_t> outside_at_open;  // its vantage note: fine, failing, none, -
  size_t live_network = 0;                        // incidents the live reading ever called network
  size_t live_provider = 0;            // ... provider, from the outside vantage failing too
  std::vector<int64_t> network_after;  // minutes from the start to the first network reading
};

// The core's reading of the outside vantage for a target at `minute`, as the board shows it.
std::optional<std::string> live_verdict(const TargetRows& rows, int64_t minute) {
  auto [first, last] = rows.range(minute - kVantageLookbackMin + 1, minute);
  std::vector<TimedRow> timed;
  for (size_t i = first; i < last; ++i) {
    timed.push_back({&rows.rows[i], rows.minutes[i] * kMinuteMillis});
  }
  return vantage_evidence(timed, minute * kMinuteMillis).verdict();
}

VerdictCount verdicts_of(const Run& heyhi, const Simulation& sim, const Group& g) {
  VerdictCount c;
  for (size_t i : g.incidents) {
    const Incident& incident = sim.incidents[i];
    ++c.incidents;
    if (const auto& found = heyhi.score.detection[i]) {
      ++c.detected;
      const Alert& alert = heyhi.events[*found].alert;
      ++c.at_open[alert.verdict];
      ++c.outside_at_open[alert.vantage ? alert.vantage->state : "-"];
    }
    std::optional<int64_t> network_at;
    bool provider_seen = false;
    for (int64_t m = incident.start_minute; m < incident.end_minute; ++m) {
      auto verdict = live_verdict(sim.confirmed.targets[incident.target], m);
      if (verdict == "network" && !network_at) network_at = m - incident.start_minute;
      provider_seen = provider_seen || verdict == "provider";
    }
    c.live_provider += provider_seen;
    if (!network_at) continue;
    ++c.live_network;
    c.network_after.push_back(*network_at);
  }
  std::sort(c.network_after.begin(), c.network_after.end());
  return c;
}

void print_verdicts(const Run& heyhi, const Simulation& sim, const std::vector<Group>& groups) {
  fmt::print(
      "verdicts of HeyHi's rules: what each incident's first fitting open blamed and what the "
      "outside\nvantage had seen by then (fine, failing, none since every region failed; - "
      "when not every\nregion failed), then the live reading of the outside vantage (the "
      "board's verdict) over\nthe incident's minutes: network = every Cloudflare region "
      "failing and the outside vantage\nfine, with the minutes from the start to the first "
      "such reading; provider = failing there too\n");
  fmt::print("{:<30}| {:>8} | {:>7} {:>8} {:>4} | {:>4} {:>7} {:>4} {:>3} | {:>7} {:>3} {:>8}\n",
             "incident", "detected", "network", "provider", "ours", "fine", "failing", "none", "-",
             "network", "p50", "provider");
  for (const Group& g : groups) {
    VerdictCount c = verdicts_of(heyhi, sim, g);
    auto n = [](const std::map<std::string, size_t>& m, const char* k) {
      return m.count(k) ? m.at(k) : 0;
    };
    fmt::print("{:<30}| {:>8} | {:>7} {:>8} {:>4} | {:>4} {:>7} {:>4} {:>3} | {:>7} {:>3} {:>8}\n",
               group_label(g), fmt::format("{}/{}", c.detected, c.incidents),
               n(c.at_open, "network"), n(c.at_open, "provider"), n(c.at_open, "ours"),
               n(c.outside_at_open, "fine"), n(c.outside_at_open, "failing"),
               n(c.outside_at_open, "none"), n(c.outside_at_open, "-"), c.live_network,
               minutes_or_dash(nearest_rank(c.network_after, 0.5)), c.live_provider);
  }
  fmt::print("\n");
}

// --- evidence -------------------------------------------------------------------------------

std::string share(int64_t part, int64_t whole) {
  return whole > 0 ? fmt::format("{:.0f} %",
                                 100.0 * static_cast<double>(part) / static_cast<double>(whole))
                   : "-";
}

// The `top` most frequent values, each with its share of `total`, or with its count.
std::string histogram(const std::map<int64_t, int64_t>& counts, int64_t total, size_t top,
                      bool as_count = false) {
  std::vector<std::pair<int64_t, int64_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (size_t i = 0; i < sorted.size() && i < top; ++i) {
    std::string weight =
        as_count ? fmt::format("{}x", sorted[i].second) : share(sorted[i].second, total);
    out += fmt::format("{}{} ({})", out.empty() ? "" : ", ", sorted[i].first, weight);
  }
  return out;
}

// Per HeyHi rule: how many of the incidents it opened for in time, and how fast.
std::string per_rule_detection(const Run& run, const Simulation& sim,
                               const std::vector<size_t>& which) {
  std::map<std::string, std::vector<int64_t>> minutes;
  for (size_t i : which) {
    const Incident& incident = sim.incidents[i];
    std::map<std::string, int64_t> first;
    for (const AlertEvent& e : run.events) {
      if (e.kind != ActionKind::open || e.minute < incident.start_minute ||
          e.minute > incident.end_minute + kLateMinutes || !fits(incident, e)) {
        continue;
      }
      first.emplace(e.alert.rule, e.minute - incident.start_minute);
    }
    for (const auto& [rule, m] : first) minutes[rule].push_back(m);
  }
  std::string out;
  for (auto& [rule, list] : minutes) {
    std::sort(list.begin(), list.end());
    out += fmt::format("{}{} {} (p50 {}, p95 {})", out.empty() ? "" : ", ", rule, list.size(),
                       *nearest_rank(list, 0.5), *nearest_rank(list, 0.95));
  }
  return out.empty() ? "no rule" : out;
}

std::string unmet_text(const GuardReport& r) {
  std::vector<std::pair<std::string, int64_t>> sorted(r.unmet.begin(), r.unmet.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (const auto& [condition, n] : sorted) {
    out += fmt::format("{}{} in {}", out.empty() ? "" : ", ", condition, share(n, r.minutes));
  }
  return out.empty() ? "nothing" : out;
}

int64_t median(std::vector<int64_t> values) {
  std::sort(values.begin(), values.end());
  return nearest_rank(values, 0.5).value_or(0);
}

void print_group_evidence(const Run& heyhi, const Simulation& sim, const Group& g) {
  Stats s = stats_of(heyhi, sim, g.incidents);
  fmt::print("  {} ({}): p95 {} min, {} missed; opened by {}\n", group_label(g), g.incidents.size(),
             minutes_or_dash(s.p95), s.missed, per_rule_detection(heyhi, sim, g.incidents));
  bool slow = s.missed > 0 || !s.p95 || *s.p95 > kGoalP95Minutes;
  if (!slow) return;
  GuardReport r =
      explain_misses(sim.confirmed, sim.incidents, g.incidents, heyhi.score, heyhi.events);
  fmt::print(
      "    {} in the {} incident minutes before an open: unmet {}{}\n", r.rule, r.minutes,
      unmet_text(r),
      r.all_met ? fmt::format("; all met in {} (already open)", share(r.all_met, r.minutes)) : "");
  fmt::print("    its window held {} {}\n", histogram(r.window_probes, r.minutes, 3),
             r.rule == "latency" ? "successful probes" : "probes");
  if (!r.p95_ms.empty()) {
    fmt::print("    the window's p95 was {} ms (median) against a line of {} ms (median)\n",
               median(r.p95_ms), median(r.line_ms));
  }
}

// P(at least k failures among n probes) at a failure rate p.
double at_least(int k, int n, double p) {
  double total = 0;
  for (int x = k; x <= n; ++x) {
    double ways = 1;
    for (int i = 0; i < x; ++i) ways = ways * (n - i) / (i + 1);
    total += ways * std::pow(p, x) * std::pow(1 - p, n - x);
  }
  return total;
}

// Why a detection goal was missed, from the rule that should have fired.
void print_detection_why(const Run& heyhi, const Simulation& sim, const Group& g) {
  GuardReport r =
      explain_misses(sim.confirmed, sim.incidents, g.incidents, heyhi.score, heyhi.events);
  const Target& target = sim.trace.config.targets[sim.incidents[g.incidents.front()].target];
  const ErrorRule& rule = target.rules.provider_errors;
  std::string chances;
  for (const auto& [probes, minutes] : r.window_probes) {
    (void)minutes;
    chances +=
        fmt::format("{}{:.0f} % with {} probes", chances.empty() ? "" : ", ",
                    100 * at_least(rule.min_failures, static_cast<int>(probes), 0.3), probes);
  }
  fmt::print("    why: {} waited on {}, over the {} minutes before it opened\n", r.rule,
             unmet_text(r), r.minutes);
  if (g.kind == IncidentKind::errors_30) {
    fmt::print(
        "      its {}-min window held {} probes at {}-min cadence; at 30 % errors the "
        "chance of\n      min_failures={} in one evaluation is {}\n",
        rule.window_min, histogram(r.window_probes, r.minutes, 3), g.cadence, rule.min_failures,
        chances);
  }
}

std::string source_label(const std::string& detail) {
  if (detail == kFromPatch) return "bad patch";
  if (detail == kFromCalm) return "calm background";
  if (detail == kFromTail) return "latency tail";
  if (detail == kFromIncident) return "incident";
  return detail;
}

// The mechanism behind each rule's false opens, with the thresholds the targets use.
std::string mechanism(const std::string& rule, const RuleSettings& r) {
  if (rule == "latency") {
    return fmt::format(
        "a {}-min window's p95 over the line with min_samples={}, min_slow={} and at least {:g} %"
        " of\n      the samples slow (the line is max({} ms, {}x baseline p95), at most {} ms)",
        r.latency.window_min, r.latency.min_samples, r.latency.min_slow,
        r.latency.min_slow_share * 100, r.latency.floor_ms, r.latency.baseline_factor,
        r.latency.p95_ms);
  }
  if (rule == "regional") {
    return fmt::format(
        "one region's latest min_failures={} probes all failed, within {} min and at rate >= {:g} "
        "%",
        r.regional.min_failures, r.regional.window_min, r.regional.rate * 100);
  }
  if (rule == "official_mismatch") {
    return fmt::format("min_failures={} in {} min over {:g} % from min_regions={}",
                       r.official_mismatch.min_failures, r.official_mismatch.window_min,
                       r.official_mismatch.rate * 100, r.official_mismatch.min_regions);
  }
  if (rule == "provider_errors") {
    return fmt::format("min_failures={} in {} min over {:g} % from min_regions={}",
                       r.provider_errors.min_failures, r.provider_errors.window_min,
                       r.provider_errors.rate * 100, r.provider_errors.min_regions);
  }
  return rule;
}

// Whether every region of the target was in a bad patch at some minute of the window that
// ended at `minute`.
bool all_patched_within(const Simulation& sim, size_t target, int64_t minute, int window_min) {
  const std::vector<int64_t>& all = sim.all_patched[target];
  auto first = std::lower_bound(all.begin(), all.end(), minute - window_min + 1);
  return first != all.end() && *first <= minute;
}

// Stretches of minutes in the scored month when every region of a target was in a bad patch.
std::vector<std::pair<int64_t, int64_t>> month_all_patched(const Simulation& sim) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const std::vector<int64_t>& minutes : sim.all_patched) {
    for (auto stretch : stretches(minutes)) {
      if (stretch.first >= sim.month_from && stretch.first <= sim.month_to) out.push_back(stretch);
    }
  }
  return out;
}

void print_all_patched(const Run& heyhi, const Simulation& sim, const std::string& rule,
                       int window_min) {
  auto all = month_all_patched(sim);
  int64_t longest = 0;
  for (auto [first, last] : all) longest = std::max(longest, last - first + 1);
  int64_t during = 0, opens = 0;
  for (size_t e : heyhi.score.false_opens) {
    const AlertEvent& event = heyhi.events[e];
    if (event.alert.rule != rule) continue;
    ++opens;
    during += all_patched_within(sim, event.target, event.minute, window_min);
  }
  fmt::print(
      "      {} of these {} opened within {} min of a moment when every region of the target was"
      " in a\n      bad patch at once; the noise model made {} such moments this month (the "
      "longest {} min),\n      and while one lasts every probe looks like an incident's\n",
      during, opens, window_min, all.size(), longest);
}

void print_false_causes(const Run& heyhi, const Simulation& sim) {
  const RuleSettings& rules = sim.trace.config.targets.front().rules;
  for (const FalseReport& r : explain_false(sim.confirmed, heyhi.events, heyhi.score.false_opens)) {
    fmt::print("    {} {}: {}\n", r.rule, r.opens, mechanism(r.rule, rules));
    if (r.rule == "latency") {
      fmt::print("      samples over the line in the window (how many: opens): {}\n",
                 histogram(r.over_line, r.opens, 4, true));
      continue;
    }
    int64_t total = 0;
    for (const auto& [source, n] : r.sources) total += n;
    std::string sources;
    for (const auto& [source, n] : r.sources) {
      sources += fmt::format("{}{} {}", sources.empty() ? "" : ", ", source_label(source),
                             share(n, total));
    }
    fmt::print("      failures in the window (how many: opens): {}; they came from {}\n",
               histogram(r.failures, r.opens, 3, true), sources);
    if (r.rule == "provider_errors") {
      print_all_patched(heyhi, sim, r.rule, rules.provider_errors.window_min);
    } else if (r.rule == "official_mismatch") {
      print_all_patched(heyhi, sim, r.rule, rules.official_mismatch.window_min);
    }
  }
}

void print_evidence(const Run& heyhi, const Simulation& sim, const std::vector<Group>& groups) {
  fmt::print(
      "evidence for HeyHi's rules, per incident group (conditions re-computed from the "
      "rows as\nalerting.cpp states them; a rule's line only where HeyHi was slow or "
      "missed)\n");
  for (const Group& g : groups) print_group_evidence(heyhi, sim, g);
  fmt::print("\n");
}

// --- goals ----------------------------------------------------------------------------------

struct Goal {
  std::string id;
  std::string text;
  int64_t limit;
  std::vector<int64_t> values;  // per run; -1 when nothing was detected
  std::vector<std::string> shown;
};

const Group* find_group(const std::vector<Group>& groups, IncidentKind kind, int cadence) {
  for (const Group& g : groups) {
    if (g.kind == kind && g.cadence == cadence) return &g;
  }
  return nullptr;
}

std::vector<Goal> goals_for(const std::vector<Run>& runs, const Simulation& sim,
                            const std::vector<Group>& groups) {
  std::vector<Goal> goals;
  for (IncidentKind kind : {IncidentKind::outage, IncidentKind::errors_30}) {
    const Group* g = find_group(groups, kind, kGoalCadence);
    if (!g) continue;
    Goal goal{fmt::format("{}_p95_{}m", incident_kind_name(kind), kGoalCadence),
              fmt::format("p95 detection <= {} min, {} @{}m", kGoalP95Minutes,
                          incident_kind_label(kind), kGoalCadence),
              kGoalP95Minutes,
              {},
              {}};
    for (const Run& run : runs) {
      Stats s = stats_of(run, sim, g->incidents);
      // A missed incident has no detection time: the p95 over it is unbounded.
      int64_t value = s.missed > 0 ? 1000000 : s.p95.value_or(1000000);
      goal.values.push_back(value);
      goal.shown.push_back(s.missed > 0 ? fmt::format("{}+miss", minutes_or_dash(s.p95))
                                        : fmt::format("{} min", minutes_or_dash(s.p95)));
    }
    goals.push_back(std::move(goal));
  }

  Goal missed{"missed_outage_errors_30_2m",
              fmt::format("none missed: outages and 30 % errors @{}m", kGoalCadence),
              0,
              {},
              {}};
  std::vector<size_t> both;
  for (IncidentKind kind : {IncidentKind::outage, IncidentKind::errors_30}) {
    if (const Group* g = find_group(groups, kind, kGoalCadence)) {
      both.insert(both.end(), g->incidents.begin(), g->incidents.end());
    }
  }
  for (const Run& run : runs) {
    Stats s = stats_of(run, sim, both);
    missed.values.push_back(static_cast<int64_t>(s.missed));
    missed.shown.push_back(fmt::format("{} of {}", s.missed, s.incidents));
  }
  goals.push_back(std::move(missed));

  Goal quiet{"false_alerts_month",
             "<= 1 false alert in the month, all targets",
             kGoalFalsePerMonth,
             {},
             {}};
  for (const Run& run : runs) {
    double month = per_month(sim, run.score.false_opens.size());
    quiet.values.push_back(static_cast<int64_t>(std::ceil(month)));
    quiet.shown.push_back(fmt::format("{:.0f}", month));
  }
  goals.push_back(std::move(quiet));
  return goals;
}

// The failure rate an incident kind holds every probe to, where it holds one rate throughout.
std::optional<double> steady_rate(IncidentKind kind) {
  if (kind == IncidentKind::outage) return 1.0;
  if (kind == IncidentKind::errors_30) return 0.3;
  return std::nullopt;
}

struct FloorLine {
  std::string label;  // what a decider must have seen
  Needed needed;
  std::optional<int> p95_min;
  double by_goal;  // the chance of having seen it by the goal's minute
};

// Exact evidence floors for a group's incidents under the plan's confirmation.
std::vector<FloorLine> floors_of(const Simulation& sim, const Group& g) {
  std::optional<double> rate = steady_rate(g.kind);
  if (!rate) return {};
  const Target& target = sim.trace.config.targets[sim.incidents[g.incidents.front()].target];
  FloorSetting setting{g.cadence, static_cast<int>(sim.trace.config.regions.size()), *rate,
                       target.rules.confirm_min};
  std::vector<FloorLine> lines;
  for (auto [label, needed] : {std::pair{"a failure from any region", Needed{0, 1}},
                               std::pair{"two, from any regions", Needed{0, 2}},
                               std::pair{"one from every region", Needed{1, 1}},
                               std::pair{"two from every region", Needed{2, 1}}}) {
    std::vector<double> chance = chance_by_minute(setting, needed, 120);
    if (chance.empty()) return {};
    lines.push_back({label, needed, minute_reaching(chance, 0.95),
                     chance[static_cast<size_t>(kGoalP95Minutes)]});
  }
  return lines;
}

// No rule can open before it has seen failures, and the cadence sets when the first comes:
// the exact floors say how far any decider could go, and the first-failure column shows it.
void print_floor(const std::vector<Run>& runs, const Simulation& sim, const Group& g) {
  std::vector<FloorLine> lines = floors_of(sim, g);
  if (lines.empty()) return;
  const Target& target = sim.trace.config.targets[sim.incidents[g.incidents.front()].target];
  fmt::print(
      "      floor: no rule opens before it has seen failures. Exactly, at {:g} % errors, {}-min "
      "cadence,\n      {} regions and confirm_min={}, for any decider (p95, and the chance by "
      "minute {}):\n",
      *steady_rate(g.kind) * 100, g.cadence, sim.trace.config.regions.size(),
      target.rules.confirm_min, kGoalP95Minutes);
  for (const FloorLine& line : lines) {
    fmt::print("        {:<28} {:>3} min  {:5.1f} %\n", line.label,
               line.p95_min ? fmt::format("{}", *line.p95_min) : std::string("-"),
               100 * line.by_goal);
  }
  for (const Run& run : runs) {
    if (run.name != "first_failure") continue;
    Stats s = stats_of(run, sim, g.incidents);
    fmt::print(
        "      this month's first-failure column: p95 {} min; provider_errors asks for {} "
        "from every region\n",
        minutes_or_dash(s.p95), target.rules.provider_errors.region_min_failures);
  }
  fmt::print(
      "      only a decider that opens on a single failure can meet {} min; one that "
      "stays\n      quiet while two regions' bad patches overlap needs a failure from the third "
      "as well\n",
      kGoalP95Minutes);
}

void print_goal_why(const Goal& goal, const std::vector<Run>& runs, const Simulation& sim,
                    const std::vector<Group>& groups) {
  const Run& heyhi = runs.front();
  if (goal.id == "false_alerts_month") {
    print_false_causes(heyhi, sim);
    return;
  }
  for (IncidentKind kind : {IncidentKind::outage, IncidentKind::errors_30}) {
    bool about = goal.id.rfind(std::string(incident_kind_name(kind)), 0) == 0 ||
                 goal.id.rfind("missed", 0) == 0;
    const Group* g = find_group(groups, kind, kGoalCadence);
    if (!about || !g) continue;
    Stats s = stats_of(heyhi, sim, g->incidents);
    if (s.missed == 0 && s.p95 && *s.p95 <= kGoalP95Minutes) continue;
    print_detection_why(heyhi, sim, *g);
    print_floor(runs, sim, *g);
  }
}

void print_goals(const std::vector<Run>& runs, const std::vector<Goal>& goals,
                 const Simulation& sim, const std::vector<Group>& groups) {
  fmt::print("goals from the product brief\n");
  std::string head = fmt::format("{:<46}", "goal");
  for (const Run& run : runs) head += fmt::format(" {:>14}", run.label);
  fmt::print("{}  heyhi verdict\n", head);
  for (const Goal& goal : goals) {
    std::string line = fmt::format("{:<46}", goal.text);
    for (const std::string& shown : goal.shown) line += fmt::format(" {:>14}", shown);
    int64_t heyhi = goal.values.front();
    std::string verdict = heyhi <= goal.limit ? "met" : "NOT met";
    if (heyhi > goal.limit && heyhi < 1000000) {
      verdict += fmt::format(" (over by {})", heyhi - goal.limit);
    }
    fmt::print("{}  {}\n", line, verdict);
    if (heyhi > goal.limit) print_goal_why(goal, runs, sim, groups);
  }
  fmt::print("\n");
}

// --- JSON lines -----------------------------------------------------------------------------

void print_json(const std::vector<Run>& runs, const Simulation& sim,
                const std::vector<Group>& groups, const std::vector<Goal>& goals) {
  for (const Run& run : runs) {
    for (const Group& g : groups) {
      Stats s = stats_of(run, sim, g.incidents);
      JsonWriter w;
      w.begin_object().field("figure", "detection").field("decider", run.name);
      w.field("kind", incident_kind_name(g.kind)).field("cadence_min", g.cadence);
      w.field("incidents", static_cast<int64_t>(s.incidents));
      w.field("missed", static_cast<int64_t>(s.missed));
      w.field("p50_min", s.p50).field("p95_min", s.p95).end_object();
      fmt::print("{}\n", w.str());
    }
    JsonWriter w;
    w.begin_object().field("figure", "false_alerts").field("decider", run.name);
    w.field("count", static_cast<int64_t>(run.score.false_opens.size()));
    w.field("per_month", per_month(sim, run.score.false_opens.size()));
    w.field("per_week", static_cast<double>(run.score.false_opens.size()) / weeks_of(sim));
    w.key("by_rule").begin_object();
    for (const auto& [rule, n] : false_by_rule(run)) w.field(rule, static_cast<int64_t>(n));
    w.end_object().field("replay_s", run.seconds).end_object();
    fmt::print("{}\n", w.str());
  }
  for (const Group& g : groups) {
    VerdictCount c = verdicts_of(runs.front(), sim, g);
    JsonWriter w;
    w.begin_object().field("figure", "verdict").field("decider", runs.front().name);
    w.field("kind", incident_kind_name(g.kind)).field("cadence_min", g.cadence);
    w.field("incidents", static_cast<int64_t>(c.incidents));
    w.field("detected", static_cast<int64_t>(c.detected)).key("at_open").begin_object();
    for (const auto& [verdict, n] : c.at_open) w.field(verdict, static_cast<int64_t>(n));
    w.end_object().key("outside_at_open").begin_object();
    for (const auto& [state, n] : c.outside_at_open) w.field(state, static_cast<int64_t>(n));
    w.end_object().field("live_network", static_cast<int64_t>(c.live_network));
    w.field("live_network_p50_min", nearest_rank(c.network_after, 0.5));
    w.field("live_provider", static_cast<int64_t>(c.live_provider)).end_object();
    fmt::print("{}\n", w.str());
  }
  for (const Group& g : groups) {
    if (g.cadence != kGoalCadence) continue;
    for (const FloorLine& line : floors_of(sim, g)) {
      JsonWriter w;
      w.begin_object().field("figure", "evidence_floor").field("kind", incident_kind_name(g.kind));
      w.field("cadence_min", g.cadence).field("failures_per_region", line.needed.per_region);
      w.field("failures", line.needed.total);
      w.field("p95_min", line.p95_min ? std::optional<int64_t>(*line.p95_min) : std::nullopt);
      w.field("chance_by_goal_min", line.by_goal).end_object();
      fmt::print("{}\n", w.str());
    }
  }
  for (const Goal& goal : goals) {
    for (size_t r = 0; r < runs.size(); ++r) {
      JsonWriter w;
      w.begin_object().field("figure", "goal").field("goal", goal.id);
      w.field("decider", runs[r].name).field("limit", goal.limit);
      w.field("value",
              goal.values[r] < 1000000 ? std::optional<int64_t>(goal.values[r]) : std::nullopt);
      w.field("met", goal.values[r] <= goal.limit).end_object();
      fmt::print("{}\n", w.str());
    }
  }
}

// HeyHi's decider replays the plan over the simulation's every possible confirmation probe and
// records in `plan` the ones it would not have sent.
std::vector<Run> run_deciders(const Simulation& sim, const Arguments& args, PlanReplay& plan) {
  struct Entry {
    std::string name;
    std::string label;
    std::unique_ptr<Decider> decider;
  };
  std::vector<Entry> entries;
  auto official = args.official == "operational" ? official_everywhere("operational")
                                                 : std::map<std::string, std::string>{};
  entries.push_back({"heyhi", "heyhi rules", heyhi_rules(sim.confirmed, official, &plan)});
  entries.push_back({"first_failure", "first failure", first_failure(sim.trace)});
  entries.push_back({"streak_3_2", "3 in a row", streak(sim.trace, 3, 2)});
  entries.push_back(
      {"brief_literal", "brief literal", brief_literal(sim.trace, args.official == "operational")});
  std::vector<Run> runs;
  for (Entry& e : entries) {
    auto start = Clock::now();
    Run run{e.name, e.label, replay(*e.decider, sim.month_from, sim.month_to), {}, 0};
    run.score = score(sim.incidents, run.events);
    run.seconds = seconds_since(start);
    runs.push_back(std::move(run));
  }
  return runs;
}

}  // namespace

int main(int argc, char** argv) {
  auto start = Clock::now();
  Arguments args;
  if (auto refused = parse_arguments(argc, argv, args)) {
    fmt::print(stderr, "bench_detection: {}\n", *refused);
    std::fputs(
        "usage: bench_detection [--seed N] [--days N] [--incidents N] [--official "
        "operational|unknown]\n                       [--patch-share F] [--outlier-rate F] "
        "[--config PATH]\n",
        stderr);
    return 2;
  }
  auto config = load_config(args.config);
  if (!config.ok()) {
    fmt::print(stderr, "bench_detection: {}\n", config.error());
    return 1;
  }
  Config c = std::move(config).value();
  c.regions = {"enam", "weur", "apac"};

  Simulation sim = simulate(std::move(c), args.sim, args.noise);
  size_t probes = month_rows(sim.trace, sim);
  PlanReplay plan;
  std::vector<Run> runs = run_deciders(sim, args, plan);
  // From here on, the confirmed trace is what HeyHi's store would hold.
  sim.confirmed = without_withheld(sim.confirmed, plan);
  std::vector<Group> groups = group_incidents(sim);
  std::vector<Goal> goals = goals_for(runs, sim, groups);

  print_setting(args, sim, probes);
  print_detection(runs, sim, groups);
  print_false(runs, sim);
  print_verdicts(runs.front(), sim, groups);
  print_goals(runs, goals, sim, groups);
  print_evidence(runs.front(), sim, groups);
  print_json(runs, sim, groups, goals);

  double wall = seconds_since(start);
  JsonWriter w;
  w.begin_object().field("figure", "run").field("seed", static_cast<int64_t>(args.sim.seed));
  w.field("days", args.sim.days).field("probes", static_cast<int64_t>(probes));
  w.field("incidents", static_cast<int64_t>(sim.incidents.size())).field("wall_s", wall);
  w.end_object();
  fmt::print("{}\nwall time {:.1f} s\n", w.str(), wall);
  return 0;
}
