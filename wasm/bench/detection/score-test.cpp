#include "detection/score.h"

#include <doctest/doctest.h>

using namespace heyhi;
using namespace heyhi::detection;

namespace {

AlertEvent open_at(int64_t minute, size_t target, std::string rule,
                   std::optional<std::string> region = std::nullopt) {
  AlertEvent e;
  e.minute = minute;
  e.target = target;
  e.alert.rule = std::move(rule);
  e.alert.region = std::move(region);
  return e;
}

}  // namespace

TEST_SUITE("detection score") {
  TEST_CASE("an open between start and end + 10 min detects; any other open is false") {
    std::vector<Incident> incidents = {{IncidentKind::outage, 0, std::nullopt, 100, 130}};
    std::vector<AlertEvent> events = {
        open_at(99, 0, "provider_errors"),     // before the start
        open_at(103, 1, "provider_errors"),    // another target
        open_at(104, 0, "provider_errors"),    // the detection
        open_at(140, 0, "official_mismatch"),  // still inside end + 10: not false
        open_at(141, 0, "latency"),            // too late
    };
    events.push_back(events.back());
    events.back().kind = ActionKind::resolve;
    Score s = score(incidents, events);
    REQUIRE(s.detection[0]);
    CHECK(*s.detection[0] == 2);
    CHECK(s.false_opens == std::vector<size_t>{0, 1, 4});
  }

  TEST_CASE("a one-region incident accepts its region or the whole target, not another region") {
    Incident incident{IncidentKind::region_down, 0, "apac", 100, 140};
    CHECK(fits(incident, open_at(101, 0, "regional", "apac")));
    CHECK(fits(incident, open_at(101, 0, "official_mismatch")));
    CHECK_FALSE(fits(incident, open_at(101, 0, "regional", "weur")));
    CHECK_FALSE(fits(incident, open_at(101, 0, "configuration")));
    Incident outage{IncidentKind::outage, 0, std::nullopt, 100, 140};
    CHECK(fits(outage, open_at(101, 0, "streak", "weur")));
  }

  TEST_CASE("an incident with no fitting open is missed") {
    std::vector<Incident> incidents = {{IncidentKind::errors_30, 2, std::nullopt, 10, 40}};
    Score s = score(incidents, {open_at(20, 1, "provider_errors")});
    CHECK_FALSE(s.detection[0]);
    CHECK(s.false_opens.size() == 1);
  }
}
