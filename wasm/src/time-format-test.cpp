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

TEST_SUITE("time format") {
  TEST_CASE("ISO timestamps from either store parse back to the same instant") {
    CHECK(parse_iso_utc("2026-12-03T12:14:00Z") == 1796300040000);
    CHECK(parse_iso_utc("2026-12-03T12:14:00.123Z") == 1796300040123);
    CHECK(parse_iso_utc("2026-12-03 12:14:00+00:00") == 1796300040000);
    CHECK(parse_iso_utc("2026-12-03T12:14:00.1234+00:00") == 1796300040123);
    CHECK(parse_iso_utc("2026-12-03T12:14Z") == 1796300040000);
    CHECK(parse_iso_utc("1969-12-31T23:59:59.999Z") == -1);
    CHECK(parse_iso_utc("2000-02-29T00:00:00Z") == 951782400000);
    for (int64_t ms : {int64_t{0}, int64_t{951782400000}, int64_t{4102444799999}}) {
      CHECK(parse_iso_utc(iso_utc_millis(ms)) == ms);
    }
  }

  TEST_CASE("a store in another time zone gives the same instant with its offset") {
    CHECK(parse_iso_utc("2026-12-03T13:14:00+01:00") == 1796300040000);
    CHECK(parse_iso_utc("2026-12-03T17:44:00.5+05:30") == 1796300040500);
    CHECK(parse_iso_utc("2026-12-03T04:14:00-0800") == 1796300040000);
    CHECK(parse_iso_utc("2026-12-03T09:14:00-03") == 1796300040000);
    CHECK(parse_iso_utc("2026-12-04T00:14:00+12:00") == 1796300040000);
    CHECK(parse_iso_utc("2026-12-03T12:14:00-00:00") == 1796300040000);
  }

  TEST_CASE("malformed timestamps and offsets are absent") {
    for (const char* bad :
         {"", "2026-12-03", "2026-12-03T12:14:00", "2026-12-03T12:14:00+2",
          "2026-12-03T12:14:00+02:0", "2026-12-03T12:14:00+24:00", "2026-12-03T12:14:00+02:60",
          "2026-12-03T12:14:00+02:00Z", "2026-12-03T12:14:00 +02:00",
          "2026-12-03T12:14:00+0200:", "2026-13-03T12:14:00Z", "2026-12-03T25:14:00Z",
          "x026-12-03T12:14Z", "2026-02-29T00:00:00Z", "2026-02-30T00:00:00Z", "2026-04-31T00:00Z",
          "1900-02-29T00:00:00Z", "2026-12-00T00:00:00Z"}) {
      CAPTURE(bad);
      CHECK_FALSE(parse_iso_utc(bad).has_value());
    }
  }
}
