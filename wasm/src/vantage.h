// Cloudflare's path or the provider: when every Cloudflare region fails against a target, a
// probe of the same target from outside Cloudflare (a GitHub runner, a laptop) tells the two
// apart. Its rows come irregularly and late, so they only ever refine a verdict: no rule
// waits for them and no Cloudflare-region count includes them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "window-stats.h"

namespace heyhi {

// How far back an outside probe still speaks for now. GitHub's five-minute schedule runs 5 to
// 30 minutes late, so a working schedule leaves gaps of up to about half an hour; an older
// success may predate whatever changed since, and says nothing more.
inline constexpr int kVantageLookbackMin = 30;
// A Cloudflare region counts as failing when at least this many of its probes failed since
// its latest success: one stray error is no sign of a broken path.
inline constexpr int kVantageStreakMin = 2;

enum class OutsideView { none, fine, failing };

struct VantageEvidence {
  // Every Cloudflare region that probed the target in the lookback has failed, with the
  // provider or the network to blame, on all of its probes since its latest success.
  bool every_region_failing = false;
  std::vector<std::string> failing_regions;
  // Outside probes count only from the minute every region was seen failing, so that they saw
  // the same trouble, and only while every region is failing.
  OutsideView outside = OutsideView::none;
  std::string vantage;  // the outside vantage whose probe decided
  int64_t seen_minute_ms = 0;

  // "network" when the outside vantage is fine, "provider" when it fails too, else nothing.
  std::optional<std::string> verdict() const;
  // "fine", "failing" or "none"
  std::string_view state() const;
  // "failing from apac, enam, weur; fine from gha-eastus 3 min ago"
  std::string text(int64_t now_minute_ms) const;
};

// From one target's rows (Cloudflare and outside ones alike), up to `now_minute_ms`.
VantageEvidence vantage_evidence(const std::vector<TimedRow>& rows, int64_t now_minute_ms);

}  // namespace heyhi
