#include "time-format.h"

#include <doctest/doctest.h>

using namespace heyhi;

TEST_SUITE("time format") {
  TEST_CASE("epoch milliseconds render as UTC ISO 8601") {
    CHECK(iso_utc_millis(0) == "1970-01-01T00:00:00.000Z");
    CHECK(iso_utc_millis(1796300040123) == "2026-12-03T12:14:00.123Z");
    CHECK(iso_utc_millis(951782400000) == "2000-02-29T00:00:00.000Z");
    CHECK(iso_utc_millis(4102444799999) == "2099-12-31T23:59:59.999Z");
    CHECK(iso_utc_millis(-1) == "1969-12-31T23:59:59.999Z");
  }

  TEST_CASE("the minute form drops seconds") {
    CHECK(iso_utc_minute(1796300099999) == "2026-12-03T12:14:00Z");
    CHECK(epoch_minute(1796300099999) == 29938334);
  }
}
