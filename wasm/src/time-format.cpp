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

// Days from the epoch to a civil date, the inverse of civil_from_ms's day count.
int64_t days_from_civil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  int64_t era = floor_div(year, 400);
  auto year_of_era = static_cast<unsigned>(year - era * 400);
  unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<int64_t>(day_of_era) - 719468;
}

unsigned days_in_month(unsigned year, unsigned month) {
  if (month != 2) return month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
  bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  return leap ? 29 : 28;
}

bool read_digits(std::string_view text, size_t at, size_t count, unsigned& out) {
  if (at + count > text.size()) return false;
  out = 0;
  for (size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + static_cast<unsigned>(text[i] - '0');
  }
  return true;
}

// "Z", or an offset as Postgres writes one in a session's time zone: +01, +05:30, -0800.
std::optional<int64_t> zone_offset_ms(std::string_view zone) {
  if (zone == "Z") return 0;
  unsigned hours = 0, minutes = 0;
  size_t minute_at = zone.size() > 3 && zone[3] == ':' ? 4 : 3;
  bool shape = zone.size() >= 3 && (zone[0] == '+' || zone[0] == '-') &&
               read_digits(zone, 1, 2, hours) &&
               (zone.size() == 3 ||
                (zone.size() == minute_at + 2 && read_digits(zone, minute_at, 2, minutes)));
  if (!shape || hours > 23 || minutes > 59) return std::nullopt;
  int64_t offset = (int64_t{hours} * 60 + minutes) * 60000;
  return zone[0] == '-' ? -offset : offset;
}

}  // namespace

std::optional<int64_t> parse_iso_utc(std::string_view text) {
  unsigned year, month, day, hour, minute, second = 0, millis = 0;
  bool shape = read_digits(text, 0, 4, year) && text.size() > 16 && text[4] == '-' &&
               read_digits(text, 5, 2, month) && text[7] == '-' && read_digits(text, 8, 2, day) &&
               (text[10] == 'T' || text[10] == ' ') && read_digits(text, 11, 2, hour) &&
               text[13] == ':' && read_digits(text, 14, 2, minute);
  if (!shape) return std::nullopt;
  size_t at = 16;
  if (at < text.size() && text[at] == ':') {
    if (!read_digits(text, at + 1, 2, second)) return std::nullopt;
    at += 3;
    if (at < text.size() && text[at] == '.') {
      size_t digits = 0;
      for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, ++digits) {
        if (digits < 3) millis = millis * 10 + static_cast<unsigned>(text[at] - '0');
      }
      for (; digits < 3; ++digits) millis *= 10;
    }
  }
  auto offset = zone_offset_ms(text.substr(at));
  if (!offset) return std::nullopt;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  // A day past the month's end is a typo, not the next month's: 2026-02-30 is refused.
  if (day < 1 || day > days_in_month(year, month)) return std::nullopt;
  int64_t days = days_from_civil(year, month, day);
  return days * 86400000 + int64_t{hour} * 3600000 + int64_t{minute} * 60000 +
         int64_t{second} * 1000 + millis - *offset;
}

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
