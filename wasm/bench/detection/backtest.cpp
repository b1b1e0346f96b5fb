#include "detection/backtest.h"

#include <algorithm>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "time-format.h"
#include "validator.h"

namespace heyhi::detection {
namespace {

// The Cloudflare regions the rows name; outside vantages are no region of the configuration.
std::vector<std::string> regions_in(const std::vector<Row>& rows) {
  std::set<std::string> found;
  for (const Row& row : rows) {
    if (!is_outside_vantage(row.region)) found.insert(row.region);
  }
  return {found.begin(), found.end()};
}

// The stores' key. Postgres compares scheduled_at as an instant, so two spellings of one
// minute are one key; D1 holds only the canonical spelling.
using RowKey = std::tuple<std::string, std::string, std::string, std::string>;

RowKey key_of(const Row& row) {
  auto ms = parse_iso_utc(row.scheduled_at);
  return {ms ? iso_utc_millis(*ms) : row.scheduled_at, row.region, row.provider, row.model};
}

bool same_instant(std::string_view a, std::string_view b) {
  auto first = parse_iso_utc(a);
  auto second = parse_iso_utc(b);
  return first && second ? *first == *second : a == b;
}

std::vector<std::string> differing_columns(const Row& a, const Row& b) {
  std::vector<std::string> out;
  auto compare = [&](bool same, const char* column) {
    if (!same) out.emplace_back(column);
  };
  compare(same_instant(a.ts, b.ts), "ts");
  compare(a.colo == b.colo, "colo");
  compare(a.ok == b.ok, "ok");
  compare(a.http_status == b.http_status, "http_status");
  compare(a.error_type == b.error_type, "error_type");
  compare(a.latency_ms == b.latency_ms, "latency_ms");
  compare(a.ttfb_ms == b.ttfb_ms, "ttfb_ms");
  compare(a.tokens_in == b.tokens_in, "tokens_in");
  compare(a.tokens_out == b.tokens_out, "tokens_out");
  compare(a.request_id == b.request_id, "request_id");
  compare(a.detail == b.detail, "detail");
  return out;
}

// The rows a store would hold after inserting these in file order: the first of each key.
std::vector<Row> drop_duplicates(std::vector<ExportedRow> rows, Duplicates& duplicates) {
  std::map<RowKey, size_t> first;
  std::vector<bool> repeated(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    auto [found, inserted] = first.try_emplace(key_of(rows[i].row), i);
    if (inserted) continue;
    repeated[i] = true;
    ++duplicates.dropped;
    const ExportedRow& kept = rows[found->second];
    auto columns = differing_columns(kept.row, rows[i].row);
    if (columns.empty()) continue;
    std::string key = fmt::format("{} {} {}/{}", kept.row.scheduled_at, kept.row.region,
                                  kept.row.provider, kept.row.model);
    duplicates.conflicts.push_back({kept.where, rows[i].where, key, std::move(columns)});
  }
  std::vector<Row> out;
  out.reserve(rows.size() - duplicates.dropped);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!repeated[i]) out.push_back(std::move(rows[i].row));
  }
  return out;
}

// A file that repeats many minutes would bury the alerts under its conflicts.
constexpr size_t kConflictsShown = 10;

std::string format_duplicates(const Duplicates& duplicates) {
  if (duplicates.dropped == 0) return "";
  std::string out = fmt::format(
      "duplicates: {} rows dropped, each with the scheduled_at, region, provider and model of an "
      "earlier row; the first is kept, as the stores keep it\n",
      duplicates.dropped);
  size_t shown = std::min(duplicates.conflicts.size(), kConflictsShown);
  for (size_t i = 0; i < shown; ++i) {
    const Conflict& c = duplicates.conflicts[i];
    std::string columns;
    for (const std::string& column : c.columns) columns += (columns.empty() ? "" : ", ") + column;
    out += fmt::format("conflict: {} and {} ({}) differ in {}; {} kept\n", c.kept, c.dropped, c.key,
                       columns, c.kept);
  }
  if (duplicates.conflicts.size() > shown) {
    out += fmt::format("conflict: {} more not shown\n", duplicates.conflicts.size() - shown);
  }
  return out;
}

std::string minute_text(int64_t minute) {
  std::string text = iso_utc_minute(minute * kMinuteMillis);
  return text.substr(0, 16) + "Z";
}

struct RuleCount {
  int opens = 0;
  int reminders = 0;
  int resolves = 0;
  int still_open = 0;
};

}  // namespace

Result<std::vector<std::string>> read_regions(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    if (!name.empty() && is_outside_vantage(name)) {
      std::string known =
          join_names(kLocationHints.data(), kLocationHints.data() + kLocationHints.size());
      return Error{"--regions", fmt::format("\"{}\" is not a Cloudflare region: one of {}",
                                            name.substr(0, 40), known)};
    }
    if (std::find(out.begin(), out.end(), name) != out.end()) {
      return Error{"--regions", fmt::format("\"{}\" is listed twice", name)};
    }
    if (!name.empty()) out.emplace_back(name);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  if (out.empty()) return Error{"--regions", "names no region: give one such as enam"};
  return out;
}

Backtest run_backtest(std::vector<ExportedRow> exported, Config config,
                      const BacktestOptions& options) {
  Backtest out;
  std::vector<Row> rows = drop_duplicates(std::move(exported), out.duplicates);
  config.regions = options.regions.empty() ? regions_in(rows) : options.regions;

  std::map<std::string, size_t> index;
  for (size_t i = 0; i < config.targets.size(); ++i) {
    if (config.targets[i].enabled) index[config.targets[i].id] = i;
  }
  std::map<std::string, size_t> skipped;
  out.trace.targets.resize(config.targets.size());
  for (Row& row : rows) {
    bool outside = is_outside_vantage(row.region);
    if (!outside && std::find(config.regions.begin(), config.regions.end(), row.region) ==
                        config.regions.end()) {
      ++skipped["region " + row.region];
      continue;
    }
    auto found = index.find(row.provider + "/" + row.model);
    if (found == index.end()) {
      ++skipped[row.provider + "/" + row.model];
      continue;
    }
    out.trace.targets[found->second].rows.push_back(std::move(row));
    ++out.rows_used;
  }
  for (const auto& [what, count] : skipped) out.skipped.push_back({what, count});
  for (TargetRows& target : out.trace.targets) order_rows(target);
  out.trace.config = std::move(config);
  compute_span(out.trace);
  if (out.rows_used == 0) return out;
  int64_t span_minutes = out.trace.last_minute - out.trace.first_minute;
  if (span_minutes > kMaxBacktestDays * kDayMinutes) {
    out.refused = fmt::format(
        "the rows span {} days, from {} to {}; a backtest replays at most {} days: drop the rows "
        "outside the stretch to replay",
        span_minutes / kDayMinutes, iso_utc_minute(out.trace.first_minute * kMinuteMillis),
        iso_utc_minute(out.trace.last_minute * kMinuteMillis), kMaxBacktestDays);
    return out;
  }

  auto decider =
      heyhi_rules(out.trace, options.assume_operational ? official_everywhere("operational")
                                                        : std::map<std::string, std::string>{});
  out.events = replay(*decider, out.trace.first_minute, out.trace.last_minute);
  return out;
}

std::string format_backtest(const Backtest& result, const BacktestOptions& options) {
  const Trace& trace = result.trace;
  std::string out;
  size_t targets_with_rows =
      static_cast<size_t>(std::count_if(trace.targets.begin(), trace.targets.end(),
                                        [](const TargetRows& t) { return !t.rows.empty(); }));
  std::string regions;
  for (const std::string& r : trace.config.regions) regions += (regions.empty() ? "" : ", ") + r;
  out += fmt::format("backtest: {} rows for {} target{}, regions {}{}\n", result.rows_used,
                     targets_with_rows, targets_with_rows == 1 ? "" : "s",
                     regions.empty() ? "none" : regions,
                     options.regions.empty() ? " (from the rows)" : "");
  out += format_duplicates(result.duplicates);
  for (const Skipped& s : result.skipped) {
    out +=
        fmt::format("skipped: {} ({} rows): {}\n", s.what, s.rows,
                    s.what.rfind("region ", 0) == 0 ? "not in --regions"
                                                    : "not an enabled target in the configuration");
  }
  if (result.rows_used == 0) {
    out += "no rows to replay\n";
    return out;
  }
  out += fmt::format("replayed every minute from {} to {}\n", minute_text(trace.first_minute),
                     minute_text(trace.last_minute));
  if (!options.assume_operational) {
    out += "official_mismatch: not evaluated, no status-page history (--assume-operational)\n";
  }
  out += "\n";

  std::map<std::string, RuleCount> counts;
  std::set<std::string> open;
  for (const AlertEvent& e : result.events) {
    RuleCount& count = counts[e.alert.rule];
    std::string key = e.alert.rule + "|" + e.alert.scope;
    switch (e.kind) {
      case ActionKind::open:
        ++count.opens;
        open.insert(key);
        break;
      case ActionKind::remind: ++count.reminders; break;
      case ActionKind::resolve:
        ++count.resolves;
        open.erase(key);
        break;
    }
    std::string_view note = !e.notify        ? "(silenced by maintenance) "
                            : e.first_notice ? "(first notice, sent as an opening) "
                                             : "";
    out += fmt::format("{}  {:<7} {:<17} {:<34} {:<8} {}{} | {}\n", minute_text(e.minute),
                       action_kind_name(e.kind), e.alert.rule, e.alert.scope, e.alert.verdict, note,
                       e.alert.title, e.alert.detail);
  }
  for (const std::string& key : open) ++counts[key.substr(0, key.find('|'))].still_open;

  out += fmt::format("\n{} alert actions\n", result.events.size());
  out += fmt::format("{:<17} {:>6} {:>9} {:>8} {:>10}\n", "rule", "opens", "reminders", "resolves",
                     "still open");
  for (const auto& [rule, c] : counts) {
    out += fmt::format("{:<17} {:>6} {:>9} {:>8} {:>10}\n", rule, c.opens, c.reminders, c.resolves,
                       c.still_open);
  }
  return out;
}

}  // namespace heyhi::detection
