#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "status-reading.h"
#include "time-format.h"

namespace heyhi {
namespace {

struct Mapping {
  std::string_view from;
  std::string_view to;
};

std::string map_or_unknown(std::string_view value, const Mapping* begin, const Mapping* end) {
  for (const Mapping* m = begin; m != end; ++m) {
    if (m->from == value) return std::string(m->to);
  }
  return "unknown";
}

constexpr Mapping kComponentStatuses[] = {
    {"operational", "operational"},       {"degraded_performance", "degraded"},
    {"partial_outage", "partial_outage"}, {"major_outage", "major_outage"},
    {"full_outage", "major_outage"},      {"under_maintenance", "maintenance"}};

constexpr Mapping kImpacts[] = {{"none", "none"},
                                {"minor", "minor"},
                                {"major", "major"},
                                {"critical", "critical"},
                                {"maintenance", "maintenance"}};

constexpr Mapping kEffects[] = {{"none", "degraded"},
                                {"minor", "degraded"},
                                {"major", "partial_outage"},
                                {"critical", "major_outage"},
                                {"maintenance", "maintenance"}};

constexpr Mapping kIndicators[] = {{"none", "operational"},
                                   {"minor", "degraded"},
                                   {"major", "partial_outage"},
                                   {"critical", "major_outage"},
                                   {"maintenance", "maintenance"}};

constexpr std::array<std::string_view, 6> kBySeverity = {
    "operational", "unknown", "maintenance", "degraded", "partial_outage", "major_outage"};

bool digits(std::string_view text, size_t at, size_t count, int& out) {
  if (at + count > text.size()) return false;
  out = 0;
  for (size_t i = at; i < at + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

// "+hh:mm", "+hhmm", "Z" and the zone names RSS feeds use, as minutes east of UTC.
std::optional<int> zone_offset_min(std::string_view zone) {
  if (zone == "Z" || zone == "z" || zone == "GMT" || zone == "UTC" || zone == "UT") return 0;
  constexpr std::pair<std::string_view, int> kNamed[] = {
      {"EST", -300}, {"EDT", -240}, {"CST", -360}, {"CDT", -300},
      {"MST", -420}, {"MDT", -360}, {"PST", -480}, {"PDT", -420}};
  for (const auto& [name, offset] : kNamed) {
    if (zone == name) return offset;
  }
  if (zone.size() < 5 || (zone[0] != '+' && zone[0] != '-')) return std::nullopt;
  int hours = 0, minutes = 0;
  size_t minute_at = zone[3] == ':' ? 4 : 3;
  if (!digits(zone, 1, 2, hours) || !digits(zone, minute_at, 2, minutes)) return std::nullopt;
  if (zone.size() != minute_at + 2 || hours > 23 || minutes > 59) return std::nullopt;
  int offset = hours * 60 + minutes;
  return zone[0] == '-' ? -offset : offset;
}

}  // namespace

std::string component_status(std::string_view value) {
  return map_or_unknown(value, std::begin(kComponentStatuses), std::end(kComponentStatuses));
}

std::string impact_name(std::string_view value) {
  return map_or_unknown(value, std::begin(kImpacts), std::end(kImpacts));
}

std::string effect_of_impact(std::string_view impact) {
  return map_or_unknown(impact, std::begin(kEffects), std::end(kEffects));
}

std::string indicator_status(std::string_view value) {
  return map_or_unknown(value, std::begin(kIndicators), std::end(kIndicators));
}

int severity(std::string_view status) {
  for (size_t i = 0; i < kBySeverity.size(); ++i) {
    if (kBySeverity[i] == status) return static_cast<int>(i);
  }
  return 1;  // as unknown
}

const std::string& worse(const std::string& a, const std::string& b) {
  return severity(b) > severity(a) ? b : a;
}

std::optional<int64_t> parse_rfc3339(std::string_view text) {
  // Time zones other than UTC: split off the offset and apply it to the UTC reading.
  size_t t = text.find_first_of("Tt ");
  if (t == std::string_view::npos) return std::nullopt;
  size_t zone_at = text.find_first_of("Zz+-", t);
  if (zone_at == std::string_view::npos) return std::nullopt;
  auto offset = zone_offset_min(text.substr(zone_at));
  if (!offset) return std::nullopt;
  std::string utc(text.substr(0, zone_at));
  utc[t] = 'T';
  utc += "Z";
  auto ms = parse_iso_utc(utc);
  if (!ms) return std::nullopt;
  return *ms - int64_t{*offset} * 60000;
}

std::optional<int64_t> parse_rfc822(std::string_view text) {
  constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // "Wed, 3 Dec 2026 12:00:00 +0000": the weekday is optional, the seconds too.
  size_t comma = text.find(',');
  std::string_view rest = comma == std::string_view::npos ? text : text.substr(comma + 1);
  std::vector<std::string_view> parts;
  while (!rest.empty()) {
    size_t start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    size_t end = std::min(rest.find(' '), rest.size());
    parts.push_back(rest.substr(0, end));
    rest.remove_prefix(end);
  }
  if (parts.size() != 5 || parts[0].empty() || parts[0].size() > 2) return std::nullopt;
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (!digits(parts[0], 0, parts[0].size(), day) || !digits(parts[2], 0, 4, year) ||
      parts[2].size() != 4) {
    return std::nullopt;
  }
  auto month = std::find(kMonths.begin(), kMonths.end(), parts[1]);
  std::string_view clock = parts[3];
  bool has_seconds = clock.size() == 8;
  if (month == kMonths.end() || (clock.size() != 5 && !has_seconds) || clock[2] != ':' ||
      !digits(clock, 0, 2, hour) || !digits(clock, 3, 2, minute) ||
      (has_seconds && (clock[5] != ':' || !digits(clock, 6, 2, second)))) {
    return std::nullopt;
  }
  auto offset = zone_offset_min(parts[4]);
  if (!offset) return std::nullopt;
  int month_number = static_cast<int>(month - kMonths.begin()) + 1;
  std::string iso = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", year, month_number, day,
                                hour, minute, second);
  auto ms = parse_iso_utc(iso);
  if (!ms) return std::nullopt;
  return *ms - int64_t{*offset} * 60000;
}

}  // namespace heyhi
