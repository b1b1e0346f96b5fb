#include "time-format.h"

#include <fmt/format.h>

namespace heyhi {
namespace {

struct CivilTime {
  int64_t year;
  unsigned month, day, hour, minute, second, millis;
};

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Proleptic Gregorian calendar from a day count, in 400-year eras of 146097 days.
CivilTime civil_from_ms(int64_t epoch_ms) {
  int64_t days = floor_div(epoch_ms, 86400000);
  int64_t ms_of_day = epoch_ms - days * 86400000;

  int64_t z = days + 719468;
  int64_t era = floor_div(z, 146097);
  auto day_of_era = static_cast<unsigned>(z - era * 146097);
  unsigned year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  unsigned shifted_month = (5 * day_of_year + 2) / 153;  // March is 0
  unsigned day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  unsigned month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  int64_t year = static_cast<int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0);

  auto ms = static_cast<unsigned>(ms_of_day);
  return {year, month, day, ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000};
}

}  // namespace

std::string iso_utc_millis(int64_t epoch_ms) {
  CivilTime t = civil_from_ms(epoch_ms);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", t.year, t.month, t.day, t.hour,
                     t.minute, t.second, t.millis);
}

std::string iso_utc_minute(int64_t epoch_ms) {
  CivilTime t = civil_from_ms(epoch_ms);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:00Z", t.year, t.month, t.day, t.hour, t.minute);
}

int64_t epoch_minute(int64_t epoch_ms) { return floor_div(epoch_ms, 60000); }

}  // namespace heyhi
