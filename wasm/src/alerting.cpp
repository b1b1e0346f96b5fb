#include "alerting.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "config.h"
#include "summary.h"
#include "time-format.h"
#include "validator.h"
#include "vantage.h"
#include "window-stats.h"

namespace heyhi {
namespace {

// --- settings ---------------------------------------------------------------------------

constexpr std::array<std::string_view, 8> kRuleKeys = {
    "provider_errors", "latency",      "official_mismatch", "regional",
    "configuration",   "recovery_min", "reminder_min",      "confirm_min"};
constexpr std::array<std::string_view, kRuleKeys.size() + 1> kTopLevelAlertingKeys = [] {
  std::array<std::string_view, kRuleKeys.size() + 1> keys{};
  std::copy(kRuleKeys.begin(), kRuleKeys.end(), keys.begin());
  keys.back() = "maintenance";
  return keys;
}();
constexpr std::array<std::string_view, 3> kMaintenanceKeys = {"start", "end", "providers"};

// A target's overrides take the rule keys only. Maintenance gets a reason of its own: a user
// who writes it there means the top-level windows, which cover targets by provider.
void reject_unknown_target_keys(element object, const std::string& path, Validator& v) {
  for (auto [key, value] : fields(object)) {
    (void)value;
    if (contains(kRuleKeys, key) || is_annotation(key)) continue;
    if (key == "maintenance") {
      v.fail(path + ".maintenance",
             "maintenance windows are set once, in the top-level alerting section, by provider");
      continue;
    }
    v.fail(field_path(path, key),
           fmt::format("unknown field; expected one of: {}",
                       join_names(kRuleKeys.data(), kRuleKeys.data() + kRuleKeys.size())));
  }
}

// provider_errors and official_mismatch take the same keys, with their own defaults.
template <typename RateRule>
void parse_rate_rule(element section, const std::string& path, Validator& v, RateRule& rule) {
  constexpr std::array<std::string_view, 5> keys = {"window_min", "rate", "min_failures",
                                                    "min_regions", "region_min_failures"};
  v.reject_unknown_keys(section, path, keys);
  rule.window_min = v.int_in(section, path, "window_min", 1, 60).value_or(rule.window_min);
  rule.rate = v.fraction(section, path, "rate").value_or(rule.rate);
  rule.min_failures = v.int_in(section, path, "min_failures", 1, 100).value_or(rule.min_failures);
  rule.min_regions = v.int_in(section, path, "min_regions", 1, 9).value_or(rule.min_regions);
  rule.region_min_failures =
      v.int_in(section, path, "region_min_failures", 1, 100).value_or(rule.region_min_failures);
}

void parse_latency(element section, const std::string& path, Validator& v, LatencyRule& rule) {
  constexpr std::array<std::string_view, 7> keys = {
      "window_min",  "p95_ms",   "baseline_factor", "floor_ms",
      "min_samples", "min_slow", "min_slow_share"};
  v.reject_unknown_keys(section, path, keys);
  rule.window_min = v.int_in(section, path, "window_min", 1, 60).value_or(rule.window_min);
  rule.p95_ms = v.int_in(section, path, "p95_ms", 100, 600000).value_or(rule.p95_ms);
  rule.floor_ms = v.int_in(section, path, "floor_ms", 0, 600000).value_or(rule.floor_ms);
  rule.min_samples = v.int_in(section, path, "min_samples", 1, 1000).value_or(rule.min_samples);
  rule.min_slow = v.int_in(section, path, "min_slow", 1, 1000).value_or(rule.min_slow);
  rule.min_slow_share = v.fraction(section, path, "min_slow_share").value_or(rule.min_slow_share);
  if (auto factor = member(section, "baseline_factor")) {
    double number;
    if (factor->get_double().get(number) != simdjson::SUCCESS || !(number >= 1 && number <= 100)) {
      v.fail(path + ".baseline_factor", "must be a number from 1 to 100");
    } else {
      rule.baseline_factor = number;
    }
  }
}

void parse_regional(element section, const std::string& path, Validator& v, RegionalRule& rule) {
  constexpr std::array<std::string_view, 4> keys = {"window_min", "rate", "others_max_rate",
                                                    "min_failures"};
  v.reject_unknown_keys(section, path, keys);
  rule.window_min = v.int_in(section, path, "window_min", 1, 60).value_or(rule.window_min);
  rule.rate = v.fraction(section, path, "rate").value_or(rule.rate);
  rule.others_max_rate =
      v.fraction(section, path, "others_max_rate").value_or(rule.others_max_rate);
  rule.min_failures = v.int_in(section, path, "min_failures", 1, 100).value_or(rule.min_failures);
}

}  // namespace

void parse_rule_settings(element object, const std::string& path, Validator& v, RuleSettings& into,
                         RuleScope scope) {
  if (scope == RuleScope::top_level) {
    v.reject_unknown_keys(object, path, kTopLevelAlertingKeys);
  } else {
    reject_unknown_target_keys(object, path, v);
  }
  if (auto s = v.object_at(object, path, "provider_errors")) {
    parse_rate_rule(*s, path + ".provider_errors", v, into.provider_errors);
  }
  if (auto s = v.object_at(object, path, "latency")) {
    parse_latency(*s, path + ".latency", v, into.latency);
  }
  if (auto s = v.object_at(object, path, "official_mismatch")) {
    parse_rate_rule(*s, path + ".official_mismatch", v, into.official_mismatch);
  }
  if (auto s = v.object_at(object, path, "regional")) {
    parse_regional(*s, path + ".regional", v, into.regional);
  }
  if (auto s = v.object_at(object, path, "configuration")) {
    constexpr std::array<std::string_view, 2> keys = {"min_consecutive",
                                                      "rate_limited_consecutive"};
    v.reject_unknown_keys(*s, path + ".configuration", keys);
    into.configuration.min_consecutive =
        v.int_in(*s, path + ".configuration", "min_consecutive", 1, 100)
            .value_or(into.configuration.min_consecutive);
    into.configuration.rate_limited_consecutive =
        v.int_in(*s, path + ".configuration", "rate_limited_consecutive", 0, 100)
            .value_or(into.configuration.rate_limited_consecutive);
  }
  into.recovery_min = v.int_in(object, path, "recovery_min", 1, 1440).value_or(into.recovery_min);
  into.reminder_min = v.int_in(object, path, "reminder_min", 5, 10080).value_or(into.reminder_min);
  into.confirm_min = v.int_in(object, path, "confirm_min", 0, 60).value_or(into.confirm_min);
}

namespace {

// A window's providers: absent means every provider. Anything else that does not name them
// is refused, since a window read as "every provider" would silence every alert.
std::vector<std::string> parse_window_providers(element item, const std::string& at, Validator& v) {
  std::vector<std::string> names;
  auto providers = member(item, "providers");
  if (!providers) return names;
  if (!providers->is_array()) {
    v.fail(at + ".providers",
           "must be an array of provider names such as [\"openai\"]; "
           "leave it out to silence every provider");
    return names;
  }
  size_t listed = 0;
  for (element p : items(*providers)) {
    ++listed;
    std::string_view name;
    if (p.get_string().get(name) == simdjson::SUCCESS && provider_from_name(name)) {
      names.emplace_back(name);
    } else {
      v.fail(at + ".providers", "must list provider names such as \"openai\"");
    }
  }
  if (listed == 0) {
    v.fail(at + ".providers",
           "is empty: list the providers to silence, or leave it out to "
           "silence every provider");
  }
  return names;
}

}  // namespace

std::vector<Maintenance> parse_maintenance(element alerting, const std::string& path,
                                           Validator& v) {
  std::vector<Maintenance> windows;
  auto list = member(alerting, "maintenance");
  if (!list) return windows;
  if (!list->is_array()) {
    v.fail(path + ".maintenance", "must be an array of {start, end, providers?}");
    return windows;
  }
  size_t index = 0;
  for (element item : items(*list)) {
    std::string at = fmt::format("{}.maintenance[{}]", path, index++);
    if (!item.is_object()) {
      v.fail(at, "must be an object {start, end, providers?}");
      continue;
    }
    v.reject_unknown_keys(item, at, kMaintenanceKeys);
    auto start = string_at(item, "start");
    auto end = string_at(item, "end");
    auto start_ms = start ? parse_iso_utc(*start) : std::nullopt;
    auto end_ms = end ? parse_iso_utc(*end) : std::nullopt;
    if (!start_ms || !end_ms || *end_ms <= *start_ms) {
      v.fail(at, "needs start and end as ISO 8601 UTC times on the calendar, end after start");
      continue;
    }
    windows.push_back({*start_ms, *end_ms, parse_window_providers(item, at, v)});
  }
  return windows;
}

}  // namespace heyhi

namespace heyhi {
namespace {

struct Window {
  int64_t from_ms;  // exclusive
  int64_t to_ms;    // inclusive
};

Window last_minutes(int64_t now_minute_ms, int minutes) {
  return {now_minute_ms - minutes * kMinuteMs, now_minute_ms};
}

// Unfinished: most of a minute's tallies are only counted, so their latencies stay unsorted
// until a percentile is asked for.
template <typename Keep>
Tally tally(const std::vector<TimedRow>& rows, Window window, Keep keep) {
  Tally out;
  for (const TimedRow& r : rows) {
    if (r.minute_ms > window.from_ms && r.minute_ms <= window.to_ms && keep(*r.row)) {
      out.add(*r.row);
    }
  }
  return out;
}

Tally tally_all(const std::vector<TimedRow>& rows, Window window) {
  return tally(rows, window, [](const Row&) { return true; });
}

// The rows of the newest minute the window holds any of, those `keep` takes.
template <typename Keep>
Tally newest_minute(const std::vector<TimedRow>& rows, Window window, Keep keep) {
  std::optional<int64_t> newest;
  for (const TimedRow& r : rows) {
    bool inside = r.minute_ms > window.from_ms && r.minute_ms <= window.to_ms;
    if (inside && keep(*r.row) && (!newest || r.minute_ms > *newest)) newest = r.minute_ms;
  }
  if (!newest) return {};
  return tally(rows, {*newest - 1, *newest}, keep);
}

bool newest_minute_failing(const std::vector<TimedRow>& rows, Window window) {
  return newest_minute(rows, window, [](const Row&) { return true; }).counted() > 0;
}

std::string_view display_name(std::string_view provider) {
  if (provider == "openai") return "OpenAI";
  if (provider == "anthropic") return "Anthropic";
  if (provider == "gemini") return "Gemini";
  if (provider == "xai") return "xAI";
  if (provider == "cohere") return "Cohere";
  if (provider == "mistral") return "Mistral";
  return provider;
}

std::string error_list(const std::map<std::string, int64_t>& types) {
  std::vector<std::pair<std::string, int64_t>> sorted(types.begin(), types.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (const auto& [type, count] : sorted) {
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", type, count);
  }
  return out;
}

Measured measure(Tally t, int window_min, size_t regions_total) {
  t.finish();
  Measured m;
  m.window_min = window_min;
  m.probes = t.probes;
  m.failures = t.counted();
  m.failure_rate = t.rate();
  m.p50_ms = nearest_rank(t.ok_latency, 0.50);
  m.p95_ms = nearest_rank(t.ok_latency, 0.95);
  m.regions_failing = t.regions_failing(1);
  m.regions_total = static_cast<int64_t>(regions_total);
  m.error_types = t.error_types();
  return m;
}

int percent(double rate) { return static_cast<int>(std::lround(rate * 100)); }

// A rule's answer for one scope: firing now, failing still (the error rules: failures in the
// window, which keeps an open alert reminded when the cadence's probes are too few for the
// count guards), and whether the trailing clean stretch holds. Most findings of a minute
// become no action, so a rule that measures sets on the alert only what finds an open one
// (rule, scope, target) and what it already knows for nothing, and leaves the figures and the
// words to `describe`, run for an action alone.
struct Finding {
  bool firing = false;
  bool failing = false;
  bool recovered = false;
  // The scope's newest probes still show the trouble: a reminder says that it goes on, so
  // none is sent while a clean stretch runs towards recovery.
  bool ongoing = true;
  Alert alert;
  std::function<void(Alert&)> describe;
};

struct TargetView {
  const Target& target;
  const std::vector<TimedRow>& rows;     // Cloudflare regions only: what every rule counts
  const std::vector<TimedRow>& outside;  // outside vantages: the verdict's second signal
  int64_t now_minute_ms;
  size_t regions_total;
  std::string official;
  std::optional<int64_t> baseline;
};

std::optional<int64_t> baseline_for(const EvaluationInput& input, const Target& target,
                                    const std::vector<TimedRow>& rows, int64_t now_minute_ms) {
  if (!input.baselines) return baseline_p95(rows, now_minute_ms);
  auto found = input.baselines->find(target.id);
  return found == input.baselines->end() ? std::nullopt : found->second;
}

Alert base_alert(const TargetView& view, std::string rule, std::string scope) {
  Alert a;
  a.rule = std::move(rule);
  a.scope = std::move(scope);
  a.provider = std::string(provider_name(view.target.provider));
  a.model = view.target.model;
  a.official_status = view.official;
  return a;
}

// A region's probes in a window: one a minute while confirmation runs (every failure no open
// alert explains starts it), otherwise one per cadence slot.
int64_t probes_per_region(const Target& target, int window_min) {
  return target.rules.confirm_min > 0 ? window_min
                                      : std::max(1, window_min / std::max(1, target.cadence_min));
}

// Whether a window's failures clear a rate rule's count guards. The guards are capped at
// what the window can hold, so that an outage always alerts, and only the regions that probed
// at all count (a region whose object is down has no rows to fail). They decide openings: an
// open alert is reminded without them.

template <typename RateRule>
bool enough_failures(const TargetView& view, const RateRule& rule, const Tally& t) {
  int64_t per_region = probes_per_region(view.target, rule.window_min);
  auto regions = static_cast<int64_t>(view.regions_total);
  int64_t min_failures = std::min<int64_t>(rule.min_failures, per_region * regions);
  int64_t region_min = std::min<int64_t>(rule.region_min_failures, per_region);
  auto probing = static_cast<int64_t>(t.regions.size());
  return t.counted() >= min_failures &&
         t.regions_failing(region_min) >= std::min<int64_t>({rule.min_regions, regions, probing});
}

// The error types decide the verdict, unless every Cloudflare region is failing and an outside
// vantage probed since: fine from there is Cloudflare's path, failing from there the provider.
void attribute(const TargetView& view, const Tally& t, Alert& alert) {
  std::vector<TimedRow> all = view.rows;
  all.insert(all.end(), view.outside.begin(), view.outside.end());
  VantageEvidence evidence = vantage_evidence(all, view.now_minute_ms);
  alert.verdict = evidence.verdict().value_or(t.verdict());
  if (!evidence.every_region_failing) return;
  std::string text = evidence.text(view.now_minute_ms);
  alert.vantage = VantageNote{std::string(evidence.state()), text};
  alert.detail += "; " + text;
}

Finding check_errors(const TargetView& view) {
  const ErrorRule& rule = view.target.rules.provider_errors;
  Tally t = tally_all(view.rows, last_minutes(view.now_minute_ms, rule.window_min));
  Finding f;
  f.firing = t.rate() > rule.rate && enough_failures(view, rule, t);
  Tally stretch =
      tally_all(view.rows, last_minutes(view.now_minute_ms, view.target.rules.recovery_min));
  f.recovered = stretch.probes > stretch.ours && stretch.counted() == 0;
  f.failing = t.counted() > 0;
  f.ongoing = newest_minute_failing(view.rows, last_minutes(view.now_minute_ms, rule.window_min));
  f.alert = base_alert(view, "provider_errors", view.target.id);
  f.describe = [&view, &rule, t = std::move(t)](Alert& a) {
    a.measured = measure(t, rule.window_min, view.regions_total);
    a.title = fmt::format("{} {}: {}% of probes failing", display_name(a.provider),
                          view.target.model, percent(t.rate()));
    a.detail = fmt::format("{} of {} probes failed in {} min from {} of {} regions: {}",
                           t.counted(), t.probes - t.ours, rule.window_min, t.regions_failing(1),
                           view.regions_total, error_list(t.error_types()));
    attribute(view, t, a);
  };
  return f;
}

Finding check_latency(const TargetView& view) {
  const LatencyRule& rule = view.target.rules.latency;
  Tally t = tally_all(view.rows, last_minutes(view.now_minute_ms, rule.window_min));
  t.finish();
  const std::optional<int64_t>& baseline = view.baseline;
  // The line a p95 must cross: the absolute one, or the baseline's multiple when that is
  // lower, but never below the floor.
  double line = rule.p95_ms;
  if (baseline) {
    line = std::min(line, std::max<double>(rule.floor_ms, *baseline * rule.baseline_factor));
  }
  auto p95 = nearest_rank(t.ok_latency, 0.95);
  auto slow = std::count_if(t.ok_latency.begin(), t.ok_latency.end(),
                            [&](int64_t ms) { return static_cast<double>(ms) > line; });
  Finding f;
  f.firing =
      static_cast<int>(t.ok_latency.size()) >= rule.min_samples && p95 &&
      static_cast<double>(*p95) > line && slow >= rule.min_slow &&
      static_cast<double>(slow) >= rule.min_slow_share * static_cast<double>(t.ok_latency.size());
  Tally stretch =
      tally_all(view.rows, last_minutes(view.now_minute_ms, view.target.rules.recovery_min));
  const std::vector<int64_t>& recent = stretch.ok_latency;
  f.recovered = recent.size() >= 2 &&
                static_cast<double>(*std::max_element(recent.begin(), recent.end())) <= line;
  Tally newest = newest_minute(view.rows, last_minutes(view.now_minute_ms, rule.window_min),
                               [](const Row& r) { return r.ok; });
  f.ongoing = std::any_of(newest.ok_latency.begin(), newest.ok_latency.end(),
                          [&](int64_t ms) { return static_cast<double>(ms) > line; });
  f.alert = base_alert(view, "latency", view.target.id);
  f.alert.verdict = "provider";
  f.describe = [&view, &rule, t = std::move(t), p95, line](Alert& a) {
    const std::optional<int64_t>& baseline = view.baseline;
    a.measured = measure(t, rule.window_min, view.regions_total);
    a.measured.baseline_p95_ms = baseline;
    a.title = fmt::format("{} {}: p95 {} ms over {} min", display_name(a.provider),
                          view.target.model, p95.value_or(0), rule.window_min);
    a.detail = fmt::format("p95 of {} successful probes is {} ms, over the line of {} ms{}",
                           t.ok_latency.size(), p95.value_or(0), std::llround(line),
                           baseline ? fmt::format(" (baseline p95 {} ms)", *baseline) : "");
  };
  return f;
}

Finding check_mismatch(const TargetView& view) {
  const MismatchRule& rule = view.target.rules.official_mismatch;
  Window window = last_minutes(view.now_minute_ms, rule.window_min);
  Tally t = tally_all(view.rows, window);
  Finding f;
  bool says_fine = view.official == "operational";
  // Below the outage line, some probes still succeed: a newest minute that failed whole is an
  // outage beginning, which provider_errors reports a minute later with the official status.
  bool some_succeed =
      !newest_minute(view.rows, window, [](const Row&) { return true; }).ok_latency.empty();
  f.firing = says_fine && some_succeed && t.rate() > rule.rate && enough_failures(view, rule, t);
  Tally stretch =
      tally_all(view.rows, last_minutes(view.now_minute_ms, view.target.rules.recovery_min));
  // The provider acknowledging the trouble ends the mismatch as surely as recovery does.
  f.recovered = !says_fine || (stretch.probes > stretch.ours && stretch.counted() == 0);
  f.failing = says_fine && t.counted() > 0;
  f.ongoing = newest_minute_failing(view.rows, window);
  f.alert = base_alert(view, "official_mismatch", view.target.id);
  f.describe = [&view, &rule, t = std::move(t)](Alert& a) {
    a.measured = measure(t, rule.window_min, view.regions_total);
    a.title = fmt::format("{} {}: {}% failing while the status page says operational",
                          display_name(a.provider), view.target.model, percent(t.rate()));
    a.detail = fmt::format("{} of {} probes failed in {} min: {}", t.counted(), t.probes - t.ours,
                           rule.window_min, error_list(t.error_types()));
    attribute(view, t, a);
  };
  return f;
}

// The region's `count` latest probes in the window all failed with the provider or the
// network to blame.
bool latest_all_failed(const std::vector<TimedRow>& rows, Window window, const std::string& region,
                       int count) {
  std::vector<const TimedRow*> recent;
  for (const TimedRow& r : rows) {
    if (r.row->region == region && r.minute_ms > window.from_ms && r.minute_ms <= window.to_ms) {
      recent.push_back(&r);
    }
  }
  if (recent.size() < static_cast<size_t>(count)) return false;
  std::sort(recent.begin(), recent.end(),
            [](const TimedRow* a, const TimedRow* b) { return a->minute_ms > b->minute_ms; });
  return std::all_of(recent.begin(), recent.begin() + count, [](const TimedRow* r) {
    if (r->row->ok) return false;
    Attribution who = attribution_of(*r->row->error_type);
    return who == Attribution::provider || who == Attribution::network;
  });
}

// The other regions that are fine over the window: enough probes, failure rate within the
// rule's line. Each region is judged on its own, so two regions down beside a healthy third
// are each regional.
std::vector<std::string> healthy_others(const TargetView& view, const std::string& region,
                                        Window window, double max_rate) {
  std::set<std::string> others;
  for (const TimedRow& r : view.rows) {
    if (r.row->region != region) others.insert(r.row->region);
  }
  std::vector<std::string> healthy;
  for (const std::string& other : others) {
    Tally t = tally(view.rows, window, [&](const Row& r) { return r.region == other; });
    if (t.probes - t.ours >= 2 && t.rate() <= max_rate) healthy.push_back(other);
  }
  return healthy;
}

Finding check_region(const TargetView& view, const std::string& region) {
  const RegionalRule& rule = view.target.rules.regional;
  Window window = last_minutes(view.now_minute_ms, rule.window_min);
  Tally here = tally(view.rows, window, [&](const Row& r) { return r.region == region; });
  std::vector<std::string> healthy = healthy_others(view, region, window, rule.others_max_rate);
  // Capped, as the rate rules' guards are, at what the window holds: without confirmation a
  // 2-minute cadence puts 6 probes of a region in 12 minutes, never 8.
  int in_a_row = static_cast<int>(std::min<int64_t>(
      rule.min_failures, std::max<int64_t>(2, probes_per_region(view.target, rule.window_min))));
  Finding f;
  f.firing = here.counted() >= in_a_row && here.rate() >= rule.rate &&
             latest_all_failed(view.rows, window, region, in_a_row) && !healthy.empty();
  Window stretch_window = last_minutes(view.now_minute_ms, view.target.rules.recovery_min);
  Tally stretch =
      tally(view.rows, stretch_window, [&](const Row& r) { return r.region == region; });
  f.recovered = stretch.probes > stretch.ours && stretch.counted() == 0;
  f.failing = here.counted() > 0;
  f.ongoing = newest_minute(view.rows, window, [&](const Row& r) {
                return r.region == region;
              }).counted() > 0;
  f.alert = base_alert(view, "regional", view.target.id + "@" + region);
  f.alert.region = region;
  f.alert.verdict = here.verdict();
  f.describe = [&view, &rule, here = std::move(here), healthy = std::move(healthy),
                window](Alert& a) {
    Tally fine = tally(view.rows, window, [&](const Row& r) {
      return std::find(healthy.begin(), healthy.end(), r.region) != healthy.end();
    });
    a.measured = measure(here, rule.window_min, view.regions_total);
    std::string fine_from = fmt::format("{}", fmt::join(healthy, ", "));
    a.title = fmt::format("{} {}: failing from {}, fine from {}", display_name(a.provider),
                          view.target.model, *a.region, fine_from);
    a.detail = fmt::format("{} of {} probes from {} failed in {} min ({}) while {} saw {}%",
                           here.counted(), here.probes - here.ours, *a.region, rule.window_min,
                           error_list(here.error_types()), fine_from, percent(fine.rate()));
  };
  return f;
}

std::string fix_for(const Target& target, const Row& latest) {
  std::string what = latest.detail.value_or("no detail");
  switch (*latest.error_type) {
    case ErrorType::auth:
      return fmt::format("Check the {} API key: the provider refused it ({})",
                         display_name(provider_name(target.provider)), what);
    case ErrorType::quota:
      return fmt::format("Add credit or raise the spending limit at {} ({})",
                         display_name(provider_name(target.provider)), what);
    case ErrorType::model_not_found:
      return fmt::format("Update the model id \"{}\": the provider does not serve it ({})",
                         target.model, what);
    default:
      return fmt::format(
          "The provider rejected the probe's request; adjust the target's "
          "max_tokens, reasoning_effort or thinking ({})",
          what);
  }
}

// "an OpenAI key", "an xAI key", "a Cohere key": by the sound of the name's first letter.
std::string_view article_for(std::string_view name) {
  bool vowel = !name.empty() && std::string_view("AEIOUaeiou").find(name[0]) != std::string::npos;
  return vowel || name == "xAI" ? "an" : "a";
}

std::string rate_limit_fix(const Target& target, const Row& latest) {
  std::string_view name = display_name(provider_name(target.provider));
  return fmt::format(
      "Give HeyHi {} {} key of its own, or raise this key's rate limit: traffic that shares "
      "it is refused too ({})",
      article_for(name), name, latest.detail.value_or("no detail"));
}

// The latest probes up to now, at least `wanted` of them if there are, in whole minutes and
// newest first: the probes of one minute ran at once from their regions, so the order in which
// they happened to land says nothing, and a minute is taken whole or not at all. Only the
// latest few are sorted; the rows may hold a week of baseline hours.
std::vector<const TimedRow*> latest_whole_minutes(const TargetView& view, size_t wanted) {
  std::vector<const TimedRow*> recent;
  for (const TimedRow& r : view.rows) {
    if (r.minute_ms <= view.now_minute_ms) recent.push_back(&r);
  }
  if (recent.empty()) return recent;
  auto newest_first = [](const TimedRow* a, const TimedRow* b) {
    return a->minute_ms > b->minute_ms;
  };
  wanted = std::clamp<size_t>(wanted, 1, recent.size());
  auto end = recent.begin() + static_cast<std::ptrdiff_t>(wanted);
  std::partial_sort(recent.begin(), end, recent.end(), newest_first);
  int64_t oldest = recent[wanted - 1]->minute_ms;
  // The rest of the oldest minute taken, wherever the partial sort left its rows.
  auto rest =
      std::partition(end, recent.end(), [&](const TimedRow* r) { return r->minute_ms == oldest; });
  recent.erase(rest, recent.end());
  return recent;
}

// A run of failures over the latest whole minutes: how many probes, and the newest of them.
struct FailingRun {
  size_t probes = 0;  // 0: no such run
  const Row* latest = nullptr;
};

template <typename Failed>
FailingRun failing_run(const TargetView& view, size_t wanted, Failed failed) {
  std::vector<const TimedRow*> recent = latest_whole_minutes(view, wanted);
  if (recent.size() < wanted || !std::all_of(recent.begin(), recent.end(), failed)) return {};
  return {recent.size(), recent.front()->row};
}

Finding check_configuration(const TargetView& view) {
  const ConfigurationRule& rule = view.target.rules.configuration;
  auto is_ours = [](const TimedRow* r) {
    return !r->row->ok && attribution_of(*r->row->error_type) == Attribution::ours;
  };
  auto is_rate_limited = [](const TimedRow* r) {
    return !r->row->ok && *r->row->error_type == ErrorType::rate_limited;
  };
  Finding f;
  f.alert = base_alert(view, "configuration", view.target.id);
  f.alert.verdict = "ours";
  FailingRun run =
      failing_run(view, static_cast<size_t>(std::max(1, rule.min_consecutive)), is_ours);
  // A probe spends a token of the key's limit: a key refused with 429 on every probe has its
  // limit spent elsewhere, or one too low, and whatever else shares it is refused too.
  bool limited = false;
  if (run.probes == 0 && rule.rate_limited_consecutive > 0) {
    run = failing_run(view, static_cast<size_t>(rule.rate_limited_consecutive), is_rate_limited);
    limited = run.probes > 0;
  }
  // Like every rule, a clean stretch resolves it: a key that works one probe in two is not
  // fixed, and resolving on each success would page twice per flap. A 429 shows nothing of
  // the key either way.
  Tally stretch =
      tally_all(view.rows, last_minutes(view.now_minute_ms, view.target.rules.recovery_min));
  f.recovered = stretch.probes > 0 && stretch.ours == 0 && stretch.ambiguous == 0;
  f.firing = run.probes > 0;
  if (!f.firing) return f;
  std::string type(error_type_name(*run.latest->error_type));
  // The verdict travels apart from the title, and every channel prints it next to it.
  f.alert.title = fmt::format("{} {}: {} on the last {} probes", display_name(f.alert.provider),
                              view.target.model, type, run.probes);
  f.alert.detail =
      limited ? fmt::format(
                    "the last {} probes were refused with 429 rate limits; one-token "
                    "probes spend almost none of a key's limit",
                    run.probes)
              : fmt::format("the last {} probes failed with {}; this is not a provider outage",
                            run.probes, type);
  f.alert.fix =
      limited ? rate_limit_fix(view.target, *run.latest) : fix_for(view.target, *run.latest);
  f.alert.measured.error_types[type] = static_cast<int64_t>(run.probes);
  return f;
}

bool in_maintenance(const Config& config, const std::string& provider, int64_t now_ms) {
  return std::any_of(
      config.maintenance.begin(), config.maintenance.end(), [&](const Maintenance& m) {
        bool covers = m.providers.empty() || std::find(m.providers.begin(), m.providers.end(),
                                                       provider) != m.providers.end();
        return covers && now_ms >= m.start_ms && now_ms < m.end_ms;
      });
}

const OpenAlert* find_open(const EvaluationInput& input, const Alert& alert) {
  for (const OpenAlert& open : input.open_alerts) {
    if (open.rule == alert.rule && open.scope == alert.scope) return &open;
  }
  return nullptr;
}

// An acknowledgement from long before the alert belongs to an older incident.
constexpr int64_t kAcknowledgementLeadMs = 60 * kMinuteMs;

void annotate_acknowledgement(const EvaluationInput& input, Alert& alert, int64_t opened_ms) {
  auto ack = input.acknowledged.find(alert.provider);
  if (ack == input.acknowledged.end() || ack->second < opened_ms - kAcknowledgementLeadMs) return;
  int64_t lag_ms = ack->second - opened_ms;
  alert.official_acknowledged_at = iso_utc_minute(ack->second);
  alert.official_lag_min =
      lag_ms >= 0 ? (lag_ms + kMinuteMs / 2) / kMinuteMs : -((-lag_ms + kMinuteMs / 2) / kMinuteMs);
}

// What a finding does to its scope's alert, if anything: open it, remind about it, resolve it.
// A reminder is a notification and nothing else, so inside maintenance none is due; an alert
// that opened there and was never sent is due its first notice once the window has ended, at
// the first minute whose newest probes still fail.
std::optional<ActionKind> action_for(const Finding& finding, const OpenAlert* open, int64_t now_ms,
                                     const RuleSettings& rules, bool silenced) {
  if (!open) return finding.firing ? std::optional(ActionKind::open) : std::nullopt;
  if (finding.firing || (finding.failing && !finding.recovered)) {
    // Neither a first notice nor a reminder while the newest probes are clean: if the clean
    // stretch holds, the alert resolves, quietly when it was never sent.
    if (silenced || !finding.ongoing) return std::nullopt;
    if (!open->last_notified_ms) return ActionKind::remind;
    if (now_ms - *open->last_notified_ms < int64_t{rules.reminder_min} * kMinuteMs) {
      return std::nullopt;
    }
    return ActionKind::remind;
  }
  return finding.recovered ? std::optional(ActionKind::resolve) : std::nullopt;
}

// One notification per episode: open once, remind at the configured interval while it stays
// open, resolve once after the clean stretch. Inside maintenance the state still moves but
// nothing is sent, except the resolution of an alert that was: every channel that saw an
// incident open sees it end. An open error alert is reminded while its failures go on,
// whether or not its rule still fires: once it is open they are probed on the cadence, which
// may hold too few probes for the count guards.
void decide(const Config& config, const EvaluationInput& input, const RuleSettings& rules,
            Finding finding, std::vector<AlertAction>& out, std::set<std::string>& seen) {
  seen.insert(finding.alert.rule + "|" + finding.alert.scope);
  const OpenAlert* open = find_open(input, finding.alert);
  bool silenced = in_maintenance(config, finding.alert.provider, input.now_ms);
  std::optional<ActionKind> kind = action_for(finding, open, input.now_ms, rules, silenced);
  if (!kind) return;
  bool sent_before = open && open->last_notified_ms;
  Alert& alert = finding.alert;
  if (finding.describe) finding.describe(alert);
  if (alert.verdict != "ours") {
    annotate_acknowledgement(input, alert, open ? open->opened_ms : input.now_ms);
  }
  std::string now = iso_utc_minute(input.now_ms);
  alert.opened_at = open ? iso_utc_minute(open->opened_ms) : now;
  if (sent_before) alert.last_notified_at = iso_utc_minute(*open->last_notified_ms);
  // Unsent, an alert keeps no time of notice: its first one is still due.
  if (*kind != ActionKind::resolve && !silenced) alert.last_notified_at = now;
  bool first_notice = *kind == ActionKind::remind && !sent_before;
  if (first_notice) {
    alert.detail += fmt::format("; open since {}, inside a maintenance window", alert.opened_at);
  }
  if (*kind == ActionKind::resolve) {
    // The resolution speaks of the recovery, not of the clean window's empty figures, and of
    // the incident as it was opened: a clean window has no verdict of its own.
    if (open->verdict) alert.verdict = *open->verdict;
    alert.resolved_at = now;
    alert.title =
        fmt::format("{} {}: recovered ({})", display_name(alert.provider), alert.model, alert.rule);
    alert.detail = fmt::format("no failure for this rule in the last {} min; open since {}",
                               rules.recovery_min, alert.opened_at);
    alert.fix.reset();
  }
  bool notify = *kind == ActionKind::resolve ? sent_before : !silenced;
  out.push_back({*kind, notify, std::move(alert), first_notice});
}

// A target's rows from the Cloudflare regions, and apart from them its outside ones.
struct TargetRows {
  std::vector<TimedRow> cloudflare;
  std::vector<TimedRow> outside;
};

// Every enabled target's rows, in one pass over the input (config order; targets are unique
// by provider and model).
std::vector<TargetRows> rows_by_target(const Config& config, const EvaluationInput& input) {
  std::map<std::pair<std::string_view, std::string_view>, size_t> index;
  for (size_t i = 0; i < config.targets.size(); ++i) {
    const Target& t = config.targets[i];
    if (t.enabled)
      index.emplace(std::pair{provider_name(t.provider), std::string_view(t.model)}, i);
  }
  std::vector<TargetRows> out(config.targets.size());
  for (const Row& row : input.rows) {
    auto found = index.find({row.provider, row.model});
    if (found == index.end()) continue;
    auto minute = parse_iso_utc(row.scheduled_at);
    if (!minute) continue;
    TargetRows& into = out[found->second];
    (is_outside_vantage(row.region) ? into.outside : into.cloudflare).push_back({&row, *minute});
  }
  return out;
}

void evaluate_target(const Config& config, const EvaluationInput& input, const Target& target,
                     const TargetRows& target_rows, std::vector<AlertAction>& out,
                     std::set<std::string>& seen) {
  const std::vector<TimedRow>& rows = target_rows.cloudflare;
  const std::vector<TimedRow>& outside = target_rows.outside;
  auto official = input.official.find(std::string(provider_name(target.provider)));
  int64_t now_minute_ms = epoch_minute(input.now_ms) * kMinuteMs;
  TargetView view{target,
                  rows,
                  outside,
                  now_minute_ms,
                  config.regions.size(),
                  official == input.official.end() ? "unknown" : official->second,
                  baseline_for(input, target, rows, now_minute_ms)};
  const RuleSettings& rules = target.rules;
  decide(config, input, rules, check_configuration(view), out, seen);
  Finding errors = check_errors(view);
  bool outage_reported = errors.firing || find_open(input, errors.alert) != nullptr;
  decide(config, input, rules, std::move(errors), out, seen);
  decide(config, input, rules, check_latency(view), out, seen);
  // An outage that provider_errors reports needs no second alert: that one carries the
  // official status. The mismatch rule speaks for failures below the outage line.
  Finding mismatch = check_mismatch(view);
  if (outage_reported && !find_open(input, mismatch.alert)) mismatch.firing = false;
  decide(config, input, rules, std::move(mismatch), out, seen);
  if (config.regions.size() < 2) return;
  for (const std::string& region : config.regions) {
    decide(config, input, rules, check_region(view, region), out, seen);
  }
}

Finding check_feed(const Config& config, const StatusSource& source, const FeedState& feed) {
  Finding f;
  f.alert.rule = "configuration";
  f.alert.scope = "status:" + source.id;
  f.alert.provider = source.provider;
  f.alert.verdict = "ours";
  f.alert.official_status = feed.status.empty() ? "unknown" : feed.status;
  int needed = config.alerting.configuration.min_consecutive;
  f.firing = feed.parse_state == "failed" && feed.failures >= needed;
  f.recovered = feed.parse_state != "failed";
  if (!f.firing) return f;
  f.alert.title =
      fmt::format("{} status page unreadable ({})", display_name(source.provider), source.id);
  f.alert.detail = fmt::format(
      "the last {} fetches of {} failed{}: {}; the official status stays at its last reading, "
      "{}, and nothing is marked recovered",
      feed.failures, source.url,
      feed.failed_since_ms ? fmt::format(" since {}", iso_utc_minute(*feed.failed_since_ms)) : "",
      feed.reason, f.alert.official_status);
  f.alert.fix = fmt::format(
      "Check status source \"{}\" ({} format): its url and component ids; the page may have "
      "moved, changed its structure or put bot protection in front",
      source.id, status_format_name(source.format));
  f.alert.measured.error_types["status_" + feed.parse_state] = feed.failures;
  return f;
}

void evaluate_feeds(const Config& config, const EvaluationInput& input,
                    std::vector<AlertAction>& out, std::set<std::string>& seen) {
  for (const FeedState& feed : input.feeds) {
    const StatusSource* source = nullptr;
    for (const StatusSource& s : config.status.sources) {
      if (s.id == feed.source_id && watches(config, s)) source = &s;
    }
    if (source)
      decide(config, input, config.alerting, check_feed(config, *source, feed), out, seen);
  }
}

// A feed alert whose source is still configured resolves only when the feed reads again, even
// in a minute whose status state could not be read.
bool still_configured_feed(const Config& config, const OpenAlert& open) {
  if (open.rule != "configuration" || open.scope.rfind("status:", 0) != 0) return false;
  std::string id = open.scope.substr(7);
  return std::any_of(config.status.sources.begin(), config.status.sources.end(),
                     [&](const StatusSource& s) { return s.id == id && watches(config, s); });
}

// A target's scope is "provider/model", a region's "provider/model@region".
void name_from_scope(Alert& alert) {
  std::string_view scope = alert.scope;
  size_t at = scope.find('@');
  std::string_view target = scope.substr(0, at);
  size_t slash = target.find('/');
  if (slash == std::string_view::npos || scope.rfind("status:", 0) == 0) return;
  alert.provider = std::string(target.substr(0, slash));
  alert.model = std::string(target.substr(slash + 1));
  if (at != std::string_view::npos) alert.region = std::string(scope.substr(at + 1));
}

// An open alert whose target, region or source left the configuration (or was disabled)
// resolves, since nothing more will be known of it. A channel that was sent its opening is
// told, so that no one keeps an incident open that HeyHi no longer watches.
void resolve_orphans(const Config& config, const EvaluationInput& input,
                     const std::set<std::string>& seen, std::vector<AlertAction>& out) {
  for (const OpenAlert& open : input.open_alerts) {
    if (seen.count(open.rule + "|" + open.scope) || still_configured_feed(config, open)) continue;
    Alert alert;
    alert.rule = open.rule;
    alert.scope = open.scope;
    name_from_scope(alert);
    alert.title = alert.provider.empty()
                      ? fmt::format("{} {}: no longer monitored", open.scope, open.rule)
                      : fmt::format("{} {}: no longer monitored ({})", display_name(alert.provider),
                                    alert.model, open.rule);
    alert.detail = fmt::format(
        "its target, region or status source was removed from the configuration or disabled, "
        "so nothing more is known of it; open since {}",
        iso_utc_minute(open.opened_ms));
    alert.verdict = open.verdict.value_or("ours");
    alert.opened_at = iso_utc_minute(open.opened_ms);
    alert.resolved_at = iso_utc_minute(input.now_ms);
    if (open.last_notified_ms) alert.last_notified_at = iso_utc_minute(*open.last_notified_ms);
    out.push_back({ActionKind::resolve, open.last_notified_ms.has_value(), std::move(alert)});
  }
}

}  // namespace

std::string_view action_kind_name(ActionKind kind) {
  switch (kind) {
    case ActionKind::open: return "open";
    case ActionKind::remind: return "remind";
    case ActionKind::resolve: return "resolve";
  }
  return "open";
}

std::vector<AlertAction> evaluate(const Config& config, const EvaluationInput& input) {
  std::vector<AlertAction> out;
  std::set<std::string> seen;
  std::vector<TargetRows> rows = rows_by_target(config, input);
  for (size_t i = 0; i < config.targets.size(); ++i) {
    const Target& target = config.targets[i];
    if (target.enabled) evaluate_target(config, input, target, rows[i], out, seen);
  }
  evaluate_feeds(config, input, out, seen);
  resolve_orphans(config, input, seen, out);
  return out;
}

}  // namespace heyhi
