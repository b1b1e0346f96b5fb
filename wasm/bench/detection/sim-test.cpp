#include "detection/sim.h"

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
    CHECK(hurt.incidents.size() == 20);  // 5 kinds, 2 at each of 2 cadences
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

  TEST_CASE("probes follow each target's cadence in every region") {
    Simulation sim = simulate(config_of(kConfig), short_run(0));
    const TargetRows& five = sim.trace.targets[1];
    for (size_t i = 0; i < five.rows.size(); ++i) {
      CHECK((five.minutes[i] + sim.trace.config.targets[1].phase) % 5 == 0);
    }
    CHECK(five.rows.size() == 3 * (7 * kDayMinutes / 5));
  }
}
