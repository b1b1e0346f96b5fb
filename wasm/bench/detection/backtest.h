// The alerts HeyHi's current rules would have sent over rows exported from a real store:
// the same minute-by-minute replay as the benchmark, so thresholds can be tuned on history.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "detection/deciders.h"
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

// The replay steps through every minute from the first row to the last: a stray row years
// away would take hours, so a longer span is refused with the rows' first and last time.
inline constexpr int64_t kMaxBacktestDays = 400;

struct Backtest {
  Trace trace;
  std::vector<AlertEvent> events;
  std::vector<Skipped> skipped;
  size_t rows_used = 0;
  std::optional<std::string> refused;  // why nothing was replayed, when the rows cannot be
};

Backtest run_backtest(std::vector<Row> rows, Config config, const BacktestOptions& options);

// The alerts in time order, then a count per rule.
std::string format_backtest(const Backtest& result, const BacktestOptions& options);

}  // namespace heyhi::detection
