#include "detection/evidence-floor.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace heyhi::detection {
namespace {

constexpr int kMaxRegions = 6;
constexpr int kMaxPerRegion = 3;
constexpr int kMaxTotal = 6;

// A tally of the failures so far: each region's (capped where more would change nothing) and
// their total (capped likewise); and the minutes since the latest failure (-1: none yet;
// capped one past the confirmation's end).
struct Layout {
  int regions = 0;
  int cap = 0;        // of a region's count
  int total_cap = 0;  // of the total
  int ages = 0;       // -1 .. confirm_min + 1

  size_t region_codes() const {
    size_t codes = 1;
    for (int g = 0; g < regions; ++g) codes *= static_cast<size_t>(cap + 1);
    return codes;
  }
  size_t tallies() const { return region_codes() * static_cast<size_t>(total_cap + 1); }
  size_t size() const { return tallies() * static_cast<size_t>(ages); }
  size_t index(size_t tally, int age) const {
    return tally * static_cast<size_t>(ages) + static_cast<size_t>(age + 1);
  }
  int total_of(size_t tally) const {
    return static_cast<int>(tally % static_cast<size_t>(total_cap + 1));
  }
  int count_of(size_t tally, int region) const {
    size_t code = tally / static_cast<size_t>(total_cap + 1);
    for (int g = 0; g < region; ++g) code /= static_cast<size_t>(cap + 1);
    return static_cast<int>(code % static_cast<size_t>(cap + 1));
  }
};

// The tally after the regions in `failed` (a bit each) fail once more.
size_t add_failures(size_t tally, unsigned failed, const Layout& l) {
  size_t code = 0;
  size_t scale = 1;
  for (int g = 0; g < l.regions; ++g) {
    int c = l.count_of(tally, g) + static_cast<int>((failed >> g) & 1u);
    code += static_cast<size_t>(std::min(c, l.cap)) * scale;
    scale *= static_cast<size_t>(l.cap + 1);
  }
  int total = std::min(l.total_of(tally) + __builtin_popcount(failed), l.total_cap);
  return code * static_cast<size_t>(l.total_cap + 1) + static_cast<size_t>(total);
}

bool met(size_t tally, Needed needed, const Layout& l) {
  if (l.total_of(tally) < needed.total) return false;
  for (int g = 0; g < l.regions; ++g) {
    if (l.count_of(tally, g) < needed.per_region) return false;
  }
  return true;
}

// One incident whose first minute sits `phase` minutes after a cadence slot.
std::vector<double> chance_for_phase(const FloorSetting& s, Needed needed, int horizon, int phase,
                                     const Layout& l) {
  std::vector<double> state(l.size(), 0.0);
  state[l.index(0, -1)] = 1.0;
  std::vector<double> chance;
  for (int minute = 0; minute <= horizon; ++minute) {
    bool slot = (minute + phase) % s.cadence_min == 0;
    std::vector<double> next(l.size(), 0.0);
    for (size_t tally = 0; tally < l.tallies(); ++tally) {
      for (int age = -1; age <= s.confirm_min + 1; ++age) {
        double p = state[l.index(tally, age)];
        if (p == 0.0) continue;
        int idle_age = age < 0 ? -1 : std::min(age + 1, s.confirm_min + 1);
        bool confirming = age >= 0 && age + 1 <= s.confirm_min;
        if (!slot && !confirming) {
          next[l.index(tally, idle_age)] += p;
          continue;
        }
        for (unsigned failed = 0; failed < (1u << l.regions); ++failed) {
          int k = __builtin_popcount(failed);
          double q = std::pow(s.failure_rate, k) * std::pow(1 - s.failure_rate, l.regions - k);
          next[l.index(add_failures(tally, failed, l), k > 0 ? 0 : idle_age)] += p * q;
        }
      }
    }
    state = std::move(next);
    double seen = 0;
    for (size_t tally = 0; tally < l.tallies(); ++tally) {
      if (!met(tally, needed, l)) continue;
      for (int age = -1; age <= s.confirm_min + 1; ++age) seen += state[l.index(tally, age)];
    }
    chance.push_back(seen);
  }
  return chance;
}

}  // namespace

std::vector<double> chance_by_minute(const FloorSetting& s, Needed needed, int horizon) {
  bool valid = s.cadence_min >= 1 && s.regions >= 1 && s.regions <= kMaxRegions &&
               s.failure_rate >= 0 && s.failure_rate <= 1 && s.confirm_min >= 0 &&
               needed.per_region >= 0 && needed.per_region <= kMaxPerRegion && needed.total >= 1 &&
               needed.total <= kMaxTotal && horizon >= 0;
  if (!valid) return {};

  Layout l{s.regions, std::max(needed.per_region, 1), needed.total, s.confirm_min + 3};
  std::vector<double> mean(static_cast<size_t>(horizon) + 1, 0.0);
  // An incident starts at any minute, so each of the cadence's phases is equally likely.
  for (int phase = 0; phase < s.cadence_min; ++phase) {
    std::vector<double> one = chance_for_phase(s, needed, horizon, phase, l);
    for (size_t m = 0; m < mean.size(); ++m) mean[m] += one[m] / s.cadence_min;
  }
  return mean;
}

std::optional<int> minute_reaching(const std::vector<double>& chance, double q) {
  // A sum of exact terms can land a hair under a chance that is in truth exactly q.
  constexpr double kSlack = 1e-12;
  for (size_t m = 0; m < chance.size(); ++m) {
    if (chance[m] + kSlack >= q) return static_cast<int>(m);
  }
  return std::nullopt;
}

}  // namespace heyhi::detection
