// The alerts HeyHi's current rules would have sent over rows exported from a real store:
// the same minute-by-minute replay as the benchmark, so thresholds can be tuned on history.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "detection/deciders.h"
#include "detection/row-input.h"
#include "result.h"
#include "rows.h"

namespace heyhi::detection {

struct BacktestOptions {
  // The Cloudflare regions the deployment probed from; empty: every one found in the rows.
  // Rows from other Cloudflare regions are left out; an outside vantage's rows are kept, for
  // the verdict.
  std::vector<std::string> regions;
  // Without status-page history the official_mismatch rule cannot fire; this assumes the page
  // said operational throughout.
  bool assume_operational = false;
};

struct Skipped {
  std::string what;  // "provider/model" or "region xyz"
  size_t rows = 0;
};

// The --regions list, "enam,weur": Cloudflare location hints, each once. A name that is none
// would keep no row and replay nothing.
Result<std::vector<std::string>> read_regions(std::string_view list);

// Two rows with the same key as the stores have it, (scheduled_at, region, provider, model),
// that differ in another column: the stores insert with `on conflict do nothing`, so the
// first is kept.
struct Conflict {
  std::string kept;                  // where the first row is: "line 3"
  std::string dropped;               // where the later one is
  std::string key;                   // "2026-12-03T12:14:00Z enam openai/gpt-6-luna"
  std::vector<std::string> columns;  // the columns that differ
};

struct Duplicates {
  size_t dropped = 0;  // later rows with the key of an earlier one, conflicting or not
  std::vector<Conflict> conflicts;
};

// The replay steps through every minute from the first row to the last: a stray row years
// away would take hours, so a longer span is refused with the rows' first and last time.
inline constexpr int64_t kMaxBacktestDays = 400;

struct Backtest {
  Trace trace;
  std::vector<AlertEvent> events;
  std::vector<Skipped> skipped;
  Duplicates duplicates;
  size_t rows_used = 0;
  std::optional<std::string> refused;  // why nothing was replayed, when the rows cannot be
};

// Rows repeated on the stores' key count once, the first kept, as the stores keep them.
Backtest run_backtest(std::vector<ExportedRow> rows, Config config, const BacktestOptions& options);

// The alerts in time order, then a count per rule.
std::string format_backtest(const Backtest& result, const BacktestOptions& options);

}  // namespace heyhi::detection
