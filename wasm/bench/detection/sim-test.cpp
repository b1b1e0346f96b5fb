#include "detection/sim.h"

#include <algorithm>

#include <doctest/doctest.h>

#include "detection/test-trace.h"

using namespace heyhi;
using namespace heyhi::detection;
using namespace heyhi::detection::testing;

namespace {

const char* kConfig = R"({"regions":["enam","weur","apac"],"targets":[
  {"provider":"openai","model":"a","cadence_min":2},
  {"provider":"gemini","model":"b","cadence_min":5,"timeout_ms":8000}]})";

SimOptions short_run(int incidents) {
  SimOptions options;
  options.days = 6;
  options.warmup_days = 1;
  options.incidents_per_cadence = incidents;
  return options;
}

bool inside_incident(const Simulation& sim, size_t target, int64_t minute) {
  for (const Incident& i : sim.incidents) {
    if (i.target == target && minute >= i.start_minute && minute < i.end_minute) return true;
  }
  return false;
}

}  // namespace

TEST_SUITE("detection simulator") {
  TEST_CASE("the same seed gives the same month") {
    Simulation a = simulate(config_of(kConfig), short_run(1));
    Simulation b = simulate(config_of(kConfig), short_run(1));
    REQUIRE(a.trace.targets[0].rows.size() == b.trace.targets[0].rows.size());
    for (size_t i = 0; i < a.trace.targets[0].rows.size(); ++i) {
      CHECK(a.trace.targets[0].rows[i].ts == b.trace.targets[0].rows[i].ts);
      CHECK(a.trace.targets[0].rows[i].latency_ms == b.trace.targets[0].rows[i].latency_ms);
    }
    CHECK(a.incidents.size() == b.incidents.size());
  }

  TEST_CASE("incidents change the rows inside them and nothing outside") {
    Simulation calm = simulate(config_of(kConfig), short_run(0));
    Simulation hurt = simulate(config_of(kConfig), short_run(2));
    CHECK(calm.incidents.empty());
    // 5 kinds, 2 at each of 2 cadences; 2 Cloudflare egress events, each on both targets.
    CHECK(hurt.incidents.size() == 24);
    for (size_t t = 0; t < 2; ++t) {
      const TargetRows& a = calm.trace.targets[t];
      const TargetRows& b = hurt.trace.targets[t];
      REQUIRE(a.rows.size() == b.rows.size());
      size_t differ_outside = 0;
      for (size_t i = 0; i < a.rows.size(); ++i) {
        bool same = a.rows[i].ok == b.rows[i].ok && a.rows[i].latency_ms == b.rows[i].latency_ms;
        if (!same && !inside_incident(hurt, t, a.minutes[i])) ++differ_outside;
      }
      CHECK(differ_outside == 0);
    }
  }

  TEST_CASE("incidents have their kind's length and stay apart on a target") {
    Simulation sim = simulate(config_of(kConfig), short_run(2));
    for (const Incident& i : sim.incidents) {
      int64_t length = i.end_minute - i.start_minute;
      CAPTURE(incident_kind_name(i.kind));
      switch (i.kind) {
        case IncidentKind::outage: CHECK((length >= 20 && length <= 90)); break;
        case IncidentKind::errors_30: CHECK((length >= 30 && length <= 120)); break;
        case IncidentKind::latency_3x: CHECK(length == 60); break;
        case IncidentKind::region_down: CHECK((length >= 30 && length <= 60)); break;
        case IncidentKind::ramp: CHECK(length == 40); break;
        case IncidentKind::egress: CHECK((length >= 20 && length <= 60)); break;
      }
      CHECK(i.region.has_value() == (i.kind == IncidentKind::region_down));
      CHECK(i.start_minute >= sim.month_from);
      CHECK(i.end_minute + 60 <= sim.month_to);
      for (const Incident& other : sim.incidents) {
        if (&other == &i || other.target != i.target) continue;
        CHECK(
            (other.start_minute >= i.end_minute + 180 || i.start_minute >= other.end_minute + 180));
      }
    }
  }

  TEST_CASE("background failures stay near the drawn rates and cluster") {
    Simulation sim = simulate(config_of(kConfig), short_run(0));
    for (size_t t = 0; t < 2; ++t) {
      const TargetRows& rows = sim.trace.targets[t];
      double failures = 0;
      for (const Row& r : rows.rows) failures += !r.ok;
      double rate = failures / static_cast<double>(rows.rows.size());
      CAPTURE(sim.noise[t].base_error_rate);
      CHECK(rate > 0.3 * sim.noise[t].base_error_rate);
      CHECK(rate < 0.03);
    }
    CHECK(sim.noise[0].median_ms >= 150);
    CHECK(sim.noise[0].median_ms <= 900);
  }

  TEST_CASE("Cloudflare egress trouble fails every target everywhere but from outside") {
    Simulation sim = simulate(config_of(kConfig), short_run(2));
    std::vector<const Incident*> egress;
    for (const Incident& i : sim.incidents) {
      if (i.kind == IncidentKind::egress) egress.push_back(&i);
    }
    REQUIRE(egress.size() == 4);
    int64_t cloudflare = 0, outside = 0, outside_ok = 0;
    for (const Incident* i : egress) {
      CHECK(i->connect_share >= 0.2);
      CHECK(i->connect_share <= 0.8);
      const TargetRows& rows = sim.confirmed.targets[i->target];
      auto [first, last] = rows.range(i->start_minute, i->end_minute - 1);
      for (size_t r = first; r < last; ++r) {
        const Row& row = rows.rows[r];
        if (is_outside_vantage(row.region)) {
          ++outside;
          outside_ok += row.ok;
          continue;
        }
        ++cloudflare;
        REQUIRE_FALSE(row.ok);
        CHECK((row.error_type == ErrorType::connect_error || row.error_type == ErrorType::timeout));
      }
    }
    // Each event holds both targets at once.
    CHECK(egress[0]->start_minute == egress[1]->start_minute);
    CHECK(cloudflare > 0);
    CHECK(outside > 0);
    CHECK(outside_ok >= outside - 1);
  }

  TEST_CASE("the outside vantage runs late or not at all, one row per target per run") {
    Simulation sim = simulate(config_of(kConfig), short_run(0));
    REQUIRE(sim.outside_runs.size() > 100);
    std::vector<int64_t> gaps;
    for (size_t i = 1; i < sim.outside_runs.size(); ++i) {
      gaps.push_back(sim.outside_runs[i] - sim.outside_runs[i - 1]);
    }
    std::sort(gaps.begin(), gaps.end());
    // Five minutes on paper; skipped runs and lateness make the gaps irregular.
    CHECK(gaps.front() >= 1);
    CHECK(gaps[gaps.size() / 2] <= 7);
    CHECK(gaps.back() >= 15);
    double per_slot = static_cast<double>(sim.outside_runs.size()) /
                      static_cast<double>((sim.month_to - sim.outside_runs.front()) / 5);
    CHECK(per_slot > 0.7);
    CHECK(per_slot < 0.9);
    for (size_t t = 0; t < 2; ++t) {
      size_t rows = 0;
      for (const Row& row : sim.confirmed.targets[t].rows) {
        if (row.region != kOutsideVantage) continue;
        ++rows;
        CHECK_FALSE(row.colo);
      }
      CHECK(rows == sim.outside_runs.size());
      for (const Row& row : sim.trace.targets[t].rows) CHECK_FALSE(is_outside_vantage(row.region));
    }
  }

  TEST_CASE("probes follow each target's cadence in every region") {
    Simulation sim = simulate(config_of(kConfig), short_run(0));
    const TargetRows& five = sim.trace.targets[1];
    for (size_t i = 0; i < five.rows.size(); ++i) {
      CHECK((five.minutes[i] + sim.trace.config.targets[1].phase) % 5 == 0);
    }
    CHECK(five.rows.size() == 3 * (7 * kDayMinutes / 5));
  }
}
