#include "detection/evidence-floor.h"

#include <cmath>

#include <doctest/doctest.h>

using namespace heyhi::detection;

namespace {

constexpr Needed kAnyFailure{0, 1};
constexpr Needed kTwoAnywhere{0, 2};
constexpr Needed kEveryRegionOnce{1, 1};
constexpr Needed kEveryRegionTwice{2, 1};

}  // namespace

TEST_SUITE("detection evidence floor") {
  TEST_CASE("an outage's first failure comes at the first slot: half the starts wait a minute") {
    FloorSetting outage{2, 3, 1.0, 10};
    std::vector<double> chance = chance_by_minute(outage, kAnyFailure, 5);
    REQUIRE(chance.size() == 6);
    CHECK(chance[0] == doctest::Approx(0.5));
    CHECK(chance[1] == doctest::Approx(1.0));
    CHECK(minute_reaching(chance, 0.95) == 1);
  }

  TEST_CASE("after the first failure every region probes each minute, so a second one follows") {
    FloorSetting outage{2, 3, 1.0, 10};
    std::vector<double> twice = chance_by_minute(outage, kEveryRegionTwice, 5);
    CHECK(twice[0] == doctest::Approx(0.0));
    CHECK(twice[1] == doctest::Approx(0.5));
    CHECK(twice[2] == doctest::Approx(1.0));

    FloorSetting cadence_only{2, 3, 1.0, 0};
    std::vector<double> slow = chance_by_minute(cadence_only, kEveryRegionTwice, 5);
    CHECK(slow[2] == doctest::Approx(0.5));
    CHECK(slow[3] == doctest::Approx(1.0));
  }

  TEST_CASE("30 % errors at a 2-minute cadence from 3 regions: no failure by minute 4 for 8 %") {
    FloorSetting partial{2, 3, 0.3, 10};
    std::vector<double> chance = chance_by_minute(partial, kAnyFailure, 30);
    double quiet_round = std::pow(0.7, 3);
    // Starting on a slot gives rounds at 0, 2 and 4; starting between gives 1 and 3.
    double none_by_4 = (std::pow(quiet_round, 3) + std::pow(quiet_round, 2)) / 2;
    CHECK(chance[4] == doctest::Approx(1 - none_by_4));
    CHECK(chance[5] == doctest::Approx(1 - std::pow(quiet_round, 3)));
    CHECK(minute_reaching(chance, 0.95) == 5);
  }

  TEST_CASE("a second failure anywhere comes from the confirmation's rounds, 3 probes a minute") {
    FloorSetting partial{2, 3, 0.3, 10};
    std::vector<double> two = chance_by_minute(partial, kTwoAnywhere, 30);
    // A start on a slot: two or more of the first round's three, or one of them and one of the
    // next minute's three.
    double round = std::pow(0.7, 3);
    double one = 3 * 0.3 * 0.7 * 0.7;
    double first_minute_two = 1 - round - one;
    CHECK(two[0] == doctest::Approx(first_minute_two / 2));
    CHECK(two[1] ==
          doctest::Approx((first_minute_two + one * (1 - round)) / 2 + (1 - round - one) / 2));
    CHECK(two[5] == doctest::Approx(0.909).epsilon(0.001));
    CHECK(minute_reaching(two, 0.95) == 7);
  }

  TEST_CASE("without confirmation each region is on its own, at the cadence's rounds") {
    FloorSetting partial{2, 3, 0.3, 0};
    std::vector<double> chance = chance_by_minute(partial, kEveryRegionOnce, 10);
    // By minute 5 every start has had exactly three rounds.
    CHECK(chance[5] == doctest::Approx(std::pow(1 - std::pow(0.7, 3), 3)));
  }

  TEST_CASE("asking more of the evidence never makes it come sooner") {
    FloorSetting partial{2, 3, 0.3, 10};
    std::optional<int> any = minute_reaching(chance_by_minute(partial, kAnyFailure, 60), 0.95);
    std::optional<int> two = minute_reaching(chance_by_minute(partial, kTwoAnywhere, 60), 0.95);
    std::optional<int> once =
        minute_reaching(chance_by_minute(partial, kEveryRegionOnce, 60), 0.95);
    std::optional<int> twice =
        minute_reaching(chance_by_minute(partial, kEveryRegionTwice, 60), 0.95);
    REQUIRE(any);
    REQUIRE(two);
    REQUIRE(once);
    REQUIRE(twice);
    CHECK(*any < *two);
    CHECK(*two < *once);
    CHECK(*once < *twice);
  }

  TEST_CASE("a rate of zero never yields the evidence, and a setting out of range yields nothing") {
    FloorSetting healthy{2, 3, 0.0, 10};
    std::vector<double> chance = chance_by_minute(healthy, kAnyFailure, 20);
    CHECK(chance.back() == doctest::Approx(0.0));
    CHECK_FALSE(minute_reaching(chance, 0.95));

    CHECK(chance_by_minute({0, 3, 0.3, 10}, kAnyFailure, 5).empty());
    CHECK(chance_by_minute({2, 9, 0.3, 10}, kAnyFailure, 5).empty());
    CHECK(chance_by_minute({2, 3, 1.5, 10}, kAnyFailure, 5).empty());
    CHECK(chance_by_minute({2, 3, 0.3, 10}, Needed{4, 1}, 5).empty());
    CHECK(chance_by_minute({2, 3, 0.3, 10}, Needed{0, 0}, 5).empty());
    CHECK(chance_by_minute({2, 3, 0.3, 10}, Needed{0, 7}, 5).empty());
    CHECK(chance_by_minute({2, 3, 0.3, 10}, kAnyFailure, -1).empty());
  }
}
