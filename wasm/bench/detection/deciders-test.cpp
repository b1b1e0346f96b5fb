#include "detection/deciders.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "detection/sim.h"
#include "detection/test-trace.h"
#include "schedule.h"

using namespace heyhi;
using namespace heyhi::detection;
using namespace heyhi::detection::testing;

namespace {

const char* kTwoTargets = R"({"regions":["enam","weur"],"targets":[
  {"provider":"openai","model":"a","cadence_min":2},
  {"provider":"anthropic","model":"b","cadence_min":5}]})";

std::string summary_of(const std::vector<AlertEvent>& events) {
  std::string out;
  for (const AlertEvent& e : events) {
    out += std::to_string(e.minute - kStartMinute) + " " + std::string(action_kind_name(e.kind)) +
           " " + e.alert.scope + ";";
  }
  return out;
}

// One evaluate call per minute over every target's rows, as the shim makes it.
std::vector<std::string> evaluate_whole(const Trace& trace, int64_t from, int64_t to) {
  std::vector<OpenAlert> open;
  std::vector<std::string> out;
  for (int64_t minute = from; minute <= to; ++minute) {
    EvaluationInput input;
    input.now_ms = minute * kMinuteMillis;
    input.open_alerts = open;
    input.official = official_everywhere("operational");
    for (const TargetRows& t : trace.targets) {
      for (size_t i = 0; i < t.rows.size(); ++i) {
        if (t.minutes[i] <= minute && t.minutes[i] > minute - 8 * kDayMinutes) {
          input.rows.push_back(t.rows[i]);
        }
      }
    }
    for (const AlertAction& a : evaluate(trace.config, input)) {
      out.push_back(std::to_string(minute) + " " + std::string(action_kind_name(a.kind)) + " " +
                    a.alert.rule + " " + a.alert.scope + " " + a.alert.detail);
      if (a.kind == ActionKind::open) {
        open.push_back({a.alert.rule, a.alert.scope, input.now_ms, input.now_ms});
      } else if (a.kind == ActionKind::remind) {
        for (OpenAlert& o : open) {
          if (o.rule == a.alert.rule && o.scope == a.alert.scope) o.last_notified_ms = input.now_ms;
        }
      } else {
        std::erase_if(open, [&](const OpenAlert& o) {
          return o.rule == a.alert.rule && o.scope == a.alert.scope;
        });
      }
    }
  }
  return out;
}

}  // namespace

TEST_SUITE("detection deciders") {
  TEST_CASE("replaying target by target gives the actions of one evaluate over every target") {
    Config config = config_of(kTwoTargets);
    SimOptions options;
    options.days = 2;
    options.warmup_days = 1;
    options.incidents_per_cadence = 2;
    Simulation sim = simulate(config, options);
    // A stretch around the first incident, long enough for opens, reminders and resolves.
    int64_t from = sim.incidents.front().start_minute - 30;
    int64_t to = from + 240;

    auto decider = heyhi_rules(sim.confirmed, official_everywhere("operational"));
    std::vector<std::string> per_target;
    for (const AlertEvent& e : replay(*decider, from, to)) {
      per_target.push_back(std::to_string(e.minute) + " " + std::string(action_kind_name(e.kind)) +
                           " " + e.alert.rule + " " + e.alert.scope + " " + e.alert.detail);
    }
    std::vector<std::string> whole = evaluate_whole(sim.confirmed, from, to);
    std::sort(per_target.begin(), per_target.end());
    std::sort(whole.begin(), whole.end());
    CHECK_FALSE(whole.empty());
    CHECK(per_target == whole);
  }

  TEST_CASE("replaying the plan, HeyHi stops confirming what its open alert explains") {
    Config config = config_of(kTwoTargets);
    const Target& a = config.targets[0];
    // Every minute from both regions, as confirmation could ask: fine, then overloaded from
    // minute 10 to 69, then fine again.
    std::vector<Row> rows;
    for (int m = 0; m < 120; ++m) {
      const char* outcome = m >= 10 && m < 70 ? "overloaded" : "ok";
      rows.push_back(probe(a, m, outcome));
      rows.push_back(probe(a, m, outcome, "weur"));
    }
    Trace trace = trace_of(config, {rows, {}});
    PlanReplay plan;
    auto decider = heyhi_rules(trace, official_everywhere("operational"), &plan);
    std::vector<AlertEvent> events = replay(*decider, kStartMinute, kStartMinute + 119);
    auto at = [&](ActionKind kind) {
      for (const AlertEvent& e : events) {
        if (e.alert.rule == "provider_errors" && e.kind == kind) return e.minute - kStartMinute;
      }
      FAIL("no provider_errors " << action_kind_name(kind));
      return int64_t{0};
    };
    int64_t opened = at(ActionKind::open);
    int64_t resolved = at(ActionKind::resolve);
    REQUIRE(opened > 10);
    REQUIRE(resolved > 70);
    REQUIRE(plan.withheld.size() == 2);
    auto withheld = [&](int64_t m) {
      return std::binary_search(plan.withheld[0].begin(), plan.withheld[0].end(), kStartMinute + m);
    };
    for (int64_t m = 0; m < 120; ++m) {
      INFO("minute " << m);
      bool slot = is_due(a, kStartMinute + m);
      // Off the cadence the plan probes while an unexplained failure is under confirm_min old:
      // from the first failure until the alert opens, and again once the alert has resolved
      // (the outage's last failures are then no longer explained).
      bool confirming = (m > 10 && m <= opened) || (m > resolved && m <= 69 + 10);
      CHECK(withheld(m) == (!slot && !confirming));
    }
    Trace stored = without_withheld(trace, plan);
    CHECK(stored.targets[0].rows.size() == rows.size() - 2 * plan.withheld[0].size());
    // The other target, without a failure, is left its cadence alone.
    const Target& b = config.targets[1];
    for (int64_t minute : plan.withheld[1]) CHECK_FALSE(is_due(b, minute));
    CHECK(plan.withheld[1].size() == 120 - 120 / b.cadence_min);
  }

  TEST_CASE("replaying the plan, an outage that narrows to one region opens the regional alert") {
    Config config = config_of(R"({"regions":["enam","weur","apac"],"targets":[
      {"provider":"openai","model":"a","cadence_min":5}]})");
    const Target& a = config.targets[0];
    // Every region fails from minute 10 to 99; then weur alone, until 239.
    std::vector<Row> rows;
    for (int m = 0; m < 300; ++m) {
      for (const char* region : {"enam", "weur", "apac"}) {
        bool down = (m >= 10 && m < 100) || (m >= 100 && m < 240 && std::string(region) == "weur");
        rows.push_back(probe(a, m, down ? "overloaded" : "ok", region));
      }
    }
    Trace trace = trace_of(config, {rows});
    PlanReplay plan;
    auto decider = heyhi_rules(trace, official_everywhere("unknown"), &plan);
    std::vector<AlertEvent> events = replay(*decider, kStartMinute, kStartMinute + 299);
    std::optional<int64_t> regional, errors_reminded_late;
    for (const AlertEvent& e : events) {
      int64_t m = e.minute - kStartMinute;
      if (e.alert.rule == "regional" && e.kind == ActionKind::open) regional = m;
      if (e.alert.rule == "provider_errors" && e.kind == ActionKind::remind && m > 100) {
        errors_reminded_late = m;
      }
    }
    REQUIRE(regional);
    CHECK(*regional > 100);
    CHECK(*regional < 130);
    CHECK(events.front().alert.rule == "provider_errors");
    // The provider_errors alert is still open while weur fails, and reminded.
    CHECK(errors_reminded_late);
  }

  TEST_CASE("alert on the first failure opens on a failure and resolves on the next success") {
    Config config = config_of(kTwoTargets);
    const Target& a = config.targets[0];
    Trace trace = trace_of(config, {{probe(a, 0, "ok"), probe(a, 2, "timeout"),
                                     probe(a, 2, "overloaded", "weur"), probe(a, 4, "ok")}});
    auto decider = first_failure(trace);
    CHECK(summary_of(replay(*decider, kStartMinute, kStartMinute + 6)) ==
          "2 open openai/a;4 resolve openai/a;");
  }

  TEST_CASE("three failures in a row open per region and two successes resolve") {
    Config config = config_of(kTwoTargets);
    const Target& a = config.targets[0];
    std::vector<Row> rows;
    const char* enam[] = {"timeout", "timeout", "server_error", "ok", "timeout", "ok", "ok"};
    for (int i = 0; i < 7; ++i) {
      rows.push_back(probe(a, 2 * i, enam[i]));
      rows.push_back(probe(a, 2 * i, i == 1 ? "timeout" : "ok", "weur"));
    }
    Trace trace = trace_of(config, {rows});
    auto decider = streak(trace, 3, 2);
    CHECK(summary_of(replay(*decider, kStartMinute, kStartMinute + 14)) ==
          "4 open openai/a@enam;12 resolve openai/a@enam;");
  }

  TEST_CASE("the brief's rules taken literally fire on one failure among three probes") {
    Config config = config_of(R"({"regions":["enam","weur","apac"],"targets":[
      {"provider":"openai","model":"a","cadence_min":5}]})");
    const Target& a = config.targets[0];
    Trace trace = trace_of(config, {{probe(a, 0, "ok"), probe(a, 0, "ok", "weur"),
                                     probe(a, 0, "overloaded", "apac")}});
    auto decider = brief_literal(trace, true);
    CHECK(summary_of(replay(*decider, kStartMinute, kStartMinute + 5)) ==
          "0 open openai/a;0 open openai/a;0 open openai/a@apac;5 resolve openai/a;"
          "5 resolve openai/a;5 resolve openai/a@apac;");
  }

  TEST_CASE("the brief's p95 rule reads every probe's latency over ten minutes") {
    Config config = config_of(R"({"regions":["enam"],"targets":[
      {"provider":"openai","model":"a","cadence_min":1,"timeout_ms":8000}]})");
    const Target& a = config.targets[0];
    Trace trace = trace_of(config, {{probe(a, 0, "ok:5200"), probe(a, 1, "ok")}});
    auto decider = brief_literal(trace, false);
    std::vector<AlertEvent> events = replay(*decider, kStartMinute, kStartMinute + 11);
    REQUIRE(events.size() == 2);
    CHECK(events[0].alert.rule == "brief_p95");
    CHECK(events[1].kind == ActionKind::resolve);
    CHECK(events[1].minute - kStartMinute == 10);
  }
}
