#include "cost.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "budget.h"
#include "config.h"
#include "scrub.h"

namespace heyhi {
namespace {

constexpr double kMinutesPerDay = 24 * 60;
constexpr double kGB = 1e9;
constexpr double kMB = 1e6;

// The free allowances, as the plans' pricing pages state them (checked 2026-12-03).
constexpr double kWorkersRequestsPerDay = 100'000;
constexpr double kObjectRequestsPerDay = 100'000;
constexpr double kObjectGbSecondsPerDay = 13'000;
constexpr double kObjectMemoryGb = 0.128;  // an object is billed at 128 MB while it runs
// A wave of probes lasts as long as its slowest answer: about a second for healthy models,
// the whole timeout when they hang. The store write and the colo lookup add a little.
constexpr double kHealthyWaveSeconds = 1.0;
constexpr double kRunOverheadSeconds = 0.3;
constexpr double kD1RowsReadPerDay = 5'000'000;
constexpr double kD1RowsWrittenPerDay = 100'000;
constexpr double kD1DatabaseBytes = 500 * kMB;
constexpr double kSupabaseDatabaseBytes = 500 * kMB;
constexpr double kSupabaseEgressBytesPerMonth = 5 * kGB;
// GitHub Actions, as GitHub's billing pages state them (checked 2026-12-04): GitHub Free
// includes 2 000 minutes a month for private repositories, each job is rounded up to a whole
// minute, and the standard Linux 2-core runner costs $0.006 a minute past that. A run of the
// outside vantage (the core from the cache, one probe a target) takes well under a minute.
constexpr double kActionsIncludedMinutes = 2'000;
constexpr double kActionsUsdPerMinute = 0.006;
constexpr long long kActionsMinutesPerRun = 1;

// The D1 writes a deployment makes, in the rows written D1 counts for each (the table's row
// and every index entry it touches), as tests/shim/d1-writes.test.ts reads them from workerd's
// local D1. Both sides come from d1_rows_written() so that the test holds this table to D1.
constexpr D1RowsWritten kD1Writes{};
// A target failing everywhere may hold two error alerts open at once (provider_errors and
// official_mismatch), each reminded to all three channel kinds.
constexpr double kOutageAlertsPerTarget = 2;
constexpr double kChannelKinds = 3;
// Sizes per stored probe, with its indexes: PostgreSQL's as scripts/bench measured them on 30
// seeded days of the default configuration after vacuum (2026-12-03: 178 MB for 518 400
// probes, 6.1 MB for 23 793 rollup rows); D1's from SQLite's file, vacuumed, after 50 000
// probes like the default's under sql/d1's schema with its key alone (2026-12-04), not
// measured on D1 itself.
constexpr double kPostgresBytesPerCheck = 345;
constexpr double kPostgresBytesPerHourlyRow = 260;
constexpr double kD1BytesPerCheck = 200;
constexpr double kPostgresRawDays = 35;      // trend_settings' default retention
constexpr double kPostgresRollupDays = 400;  // the same for the hourly rollup
// PostgREST's JSON for a typical row as the alert step reads it: the rules' nine columns of a
// successful probe (no detail); of a failure, with its detail at the longest the core writes;
// of the small reads (open alerts, due deliveries, status state), about a whole check row;
// and for one baseline sample, a latency in its target's grouped array, as PostgreSQL writes
// a jsonb array ("1042, ").
constexpr double kRuleRowJsonBytes = 207;
constexpr double kFailedRuleRowJsonBytes = kRuleRowJsonBytes + kMaxDetailBytes;
constexpr double kSmallReadRowJsonBytes = 345;
constexpr double kSampleJsonBytes = 6;
// Failures are a small share of probes outside incidents; the confirmation read returns
// only them from Postgres, while D1, which keeps no index of the failures, reads every row of
// its minutes. Open alerts, due deliveries and status state add a few rows each minute.
constexpr double kFailureShare = 0.05;
constexpr double kSmallReadRowsPerMinute = 20;

// Tokens a provider counts for a one-message chat besides the text itself: the role markers
// and turn delimiters of its template. Cohere bills the text alone.
int template_tokens(Provider provider) {
  switch (provider) {
    case Provider::openai:
    case Provider::xai:
    case Provider::anthropic: return 7;
    case Provider::mistral: return 6;
    case Provider::gemini:
    case Provider::cohere: return 0;
  }
  return 0;
}

const Price* price_of(const CostSettings& cost, const Target& t) {
  std::string_view provider = provider_name(t.provider);
  for (const Price& p : cost.prices) {
    if (p.provider == provider && p.model == t.model) return &p;
  }
  return nullptr;
}

TargetCost target_cost(const Config& config, const Target& t) {
  TargetCost out;
  out.id = t.id;
  int regions = static_cast<int>(config.regions.size());
  double per_day = kMinutesPerDay / t.cadence_min * regions;
  out.probes_month = std::llround(per_day * kCostDays);
  out.confirmation_probes_month =
      std::llround(expected_confirmation_probes(t, regions, config.cost.assumed_failure_rate));
  out.outside_probes_month = static_cast<long long>(config.cost.outside_runs_per_day) * kCostDays;
  out.input_tokens = probe_input_tokens(config, t);
  out.output_tokens = t.max_tokens;
  out.price = price_of(config.cost, t);
  if (out.price) {
    double probes = static_cast<double>(out.probes_month + out.confirmation_probes_month +
                                        out.outside_probes_month);
    out.usd_month = probes *
                    (out.input_tokens * out.price->input_usd_per_mtok +
                     out.output_tokens * out.price->output_usd_per_mtok) /
                    1e6;
  }
  return out;
}

// A target's rows a minute from the outside vantages, whatever happens in Cloudflare's regions.
double outside_rows_per_minute(const Config& config) {
  return config.cost.outside_runs_per_day / kMinutesPerDay;
}

// Every row the enabled targets write in an average minute, confirmation and outside probes
// included.
double rows_per_minute(const Config& config) {
  int regions = static_cast<int>(config.regions.size());
  double rows = 0;
  for (const Target& t : config.targets) {
    if (!t.enabled) continue;
    rows += static_cast<double>(regions) / t.cadence_min + outside_rows_per_minute(config);
    rows += expected_confirmation_probes(t, regions, config.cost.assumed_failure_rate) /
            (kCostDays * kMinutesPerDay);
  }
  return rows;
}

// Every row the enabled targets write in a minute while each is held to confirmation: one probe
// a minute from every region for a target that confirms, its cadence for one that does not.
// Failures that keep coming with no alert open that explains them (sparse ones, one region's
// under a provider_errors alert, any under official_mismatch alone) can hold a target there
// all day.
double confirming_rows_per_minute(const Config& config) {
  double regions = static_cast<double>(config.regions.size());
  double rows = 0;
  for (const Target& t : config.targets) {
    if (!t.enabled) continue;
    rows += (t.rules.confirm_min > 0 ? regions : regions / t.cadence_min) +
            outside_rows_per_minute(config);
  }
  return rows;
}

// The probes of a day-long outage of every target: the cadence's, once the alerts that explain
// the failures are open, and before that one confirmation stretch each (the alerts open well
// within confirm_min).
double outage_probes_per_day(const Config& config) {
  double regions = static_cast<double>(config.regions.size());
  double probes = 0;
  for (const Target& t : config.targets) {
    if (!t.enabled) continue;
    probes += regions * (kMinutesPerDay / t.cadence_min + t.rules.confirm_min) +
              config.cost.outside_runs_per_day;
  }
  return probes;
}

// Rows the scheduled handler reads in a minute, at `rate` rows written a minute.
struct ReadLoad {
  double recent_rows = 0;    // each minute
  double confirm_rows = 0;   // each minute: the minutes being confirmed, failed or not
  double baseline_rows = 0;  // each hour
};

ReadLoad read_load(const Config& config, double rate) {
  ReadPlan plan = read_plan(config);
  return {rate * plan.lookback_min, rate * plan.confirm_min,
          rows_per_minute(config) * 60 * plan.baseline_days};
}

// The status step's writes in a day: each watched source's state row, rewritten on every
// reading. Events and current status are written only when they change.
double status_rows_written_per_day(const Config& config) {
  double rows = 0;
  for (const StatusSource& source : config.status.sources) {
    if (watches(config, source)) {
      rows += kMinutesPerDay / source.cadence_min * kD1Writes.status_reading;
    }
  }
  return rows;
}

// Alert state on a day-long outage of every target: each alert opened, then reminded every
// reminder_min minutes, each time to every channel, each delivery queued, claimed and marked
// sent.
double outage_alert_rows_written_per_day(const Config& config) {
  double deliveries = kChannelKinds * kD1Writes.delivery;
  double rows = 0;
  for (const Target& t : config.targets) {
    if (!t.enabled) continue;
    double reminders = kMinutesPerDay / t.rules.reminder_min;
    rows += kOutageAlertsPerTarget *
            (kD1Writes.alert_open + deliveries + reminders * (kD1Writes.reminder + deliveries));
  }
  return rows;
}

double d1_rows_read_per_day(const ReadLoad& load) {
  return (load.recent_rows + load.confirm_rows + kSmallReadRowsPerMinute) * kMinutesPerDay +
         load.baseline_rows * 24;
}

void add(std::vector<Allowance>& out, std::string service, std::string what, std::string per,
         double used, double limit, std::string note = {}) {
  out.push_back(
      {std::move(service), std::move(what), std::move(per), used, limit, std::move(note)});
}

void cloudflare_allowances(const Config& config, std::vector<Allowance>& out) {
  Budget budget = compute_budget(config);
  double regions = static_cast<double>(config.regions.size());
  add(out, "workers", "requests", "day", kMinutesPerDay, kWorkersRequestsPerDay,
      "one cron invocation a minute; the board's page views come on top");
  int busiest = std::max(budget.region.subrequest_total(), budget.scheduled.subrequest_total());
  add(out, "workers", "subrequests", "invocation", busiest, kFreeSubrequests,
      "the busier of the scheduled handler and a region's object, in its worst minute");
  add(out, "durable_objects", "requests", "day", kMinutesPerDay * (regions + 1),
      kObjectRequestsPerDay, "one run per region a minute and one hand-back of alert state");
  int waves = (std::max(budget.busiest_minute_probes, 1) + config.max_concurrency - 1) /
              config.max_concurrency;
  double healthy = waves * kHealthyWaveSeconds + kRunOverheadSeconds;
  double gb_s_per_second = kMinutesPerDay * regions * kObjectMemoryGb;
  add(out, "durable_objects", "duration", "day (GB-s)", gb_s_per_second * healthy,
      kObjectGbSecondsPerDay, "healthy answers, every minute as busy as the busiest");
  // An object is billed while it waits on a fetch, so hung providers cost the most: every
  // minute as busy as the busiest (every target that confirms failures due in it) and every
  // probe waiting out its timeout, wave after wave.
  int slowest_ms = 0;
  for (const Target& t : config.targets) {
    if (t.enabled) slowest_ms = std::max(slowest_ms, t.timeout_ms);
  }
  double hung = waves * slowest_ms / 1000.0 + kRunOverheadSeconds;
  add(out, "durable_objects", "duration with every probe hanging all day", "day (GB-s)",
      gb_s_per_second * hung, kObjectGbSecondsPerDay,
      fmt::format("every minute as busy as the busiest, each probe waiting out its timeout; "
                  "were the colo lookup and the store write to hang to theirs as well, up to "
                  "the object's deadline: {:.0f}",
                  gb_s_per_second * budget.region_deadline_ms / 1000.0));
}

// D1's daily allowances are judged on an ordinary day and on the two worst: every target held
// to confirmation all day, and a day-long outage of every target. Past any of them D1 refuses
// writes until midnight UTC, in the middle of the trouble.
void d1_allowances(const Config& config, std::vector<Allowance>& out) {
  double written = rows_per_minute(config) * kMinutesPerDay;
  double status = status_rows_written_per_day(config);
  add(out, "d1", "rows written", "day", written * kD1Writes.probe + status, kD1RowsWrittenPerDay,
      "each probe's row and its key entry, and the status sources' state");
  double confirming = confirming_rows_per_minute(config);
  add(out, "d1", "rows written with every target confirming all day", "day",
      confirming * kMinutesPerDay * kD1Writes.probe + status, kD1RowsWrittenPerDay,
      "failures that keep coming with no alert open that explains them hold a target to one "
      "probe a minute from every region");
  add(out, "d1", "rows written in a day-long outage of every target", "day",
      outage_probes_per_day(config) * kD1Writes.probe + status +
          outage_alert_rows_written_per_day(config),
      kD1RowsWrittenPerDay,
      "the cadence's probes once the alerts are open, which explain the failures, and the "
      "alerts reminded to every channel");
  add(out, "d1", "rows read", "day",
      d1_rows_read_per_day(read_load(config, rows_per_minute(config))), kD1RowsReadPerDay,
      "the alert step's reads; the board's page views come on top");
  add(out, "d1", "rows read with every target confirming all day", "day",
      d1_rows_read_per_day(read_load(config, confirming)), kD1RowsReadPerDay,
      "the same reads, of every minute's probes from every region");
  double size = written * kCostDays * kD1BytesPerCheck;
  double days_to_full = kD1DatabaseBytes / (written * kD1BytesPerCheck);
  add(out, "d1", "database size after 30 days", "database", size, kD1DatabaseBytes,
      fmt::format("D1 keeps every probe: full after {:.0f} days", days_to_full));
}

void supabase_allowances(const Config& config, std::vector<Allowance>& out) {
  ReadLoad load = read_load(config, rows_per_minute(config));
  double per_day = rows_per_minute(config) * kMinutesPerDay;
  double hourly_rows = 0;
  for (const Target& t : config.targets) {
    if (t.enabled) hourly_rows += 24.0 * static_cast<double>(config.regions.size());
  }
  double size = per_day * kPostgresRawDays * kPostgresBytesPerCheck +
                hourly_rows * kPostgresRollupDays * kPostgresBytesPerHourlyRow;
  add(out, "supabase", "database size", "database", size, kSupabaseDatabaseBytes,
      "35 days of probes and 400 days of hourly rollup, as the retention defaults keep");
  double minutes = kMinutesPerDay * kCostDays;
  double egress = minutes * (load.recent_rows * kRuleRowJsonBytes +
                             load.confirm_rows * kFailureShare * kFailedRuleRowJsonBytes +
                             kSmallReadRowsPerMinute * kSmallReadRowJsonBytes) +
                  minutes / 60 * load.baseline_rows * kSampleJsonBytes;
  add(out, "supabase", "egress", "month (bytes)", egress, kSupabaseEgressBytesPerMonth,
      "the alert step's reads as uncompressed JSON; the board and Grafana come on top");
}

RunnerCost runner_cost(const Config& config) {
  RunnerCost out;
  out.billed_minutes_month =
      static_cast<long long>(config.cost.outside_runs_per_day) * kCostDays * kActionsMinutesPerRun;
  double over =
      std::max(0.0, static_cast<double>(out.billed_minutes_month) - kActionsIncludedMinutes);
  out.private_usd_month = over * kActionsUsdPerMinute;
  if (config.cost.outside_repository_private) out.usd_month = out.private_usd_month;
  return out;
}

void actions_allowance(const Config& config, const RunnerCost& runner,
                       std::vector<Allowance>& out) {
  if (!config.cost.outside_repository_private || config.cost.outside_runs_per_day == 0) return;
  double runs_that_fit = kActionsIncludedMinutes / (kCostDays * kActionsMinutesPerRun);
  add(out, "github_actions", "minutes on a private repository (GitHub Free)", "month",
      static_cast<double>(runner.billed_minutes_month), kActionsIncludedMinutes,
      fmt::format("the outside vantage's runs, each billed as a whole minute; past the "
                  "allowance ${:.2f} a month at $0.006 a minute. {:.0f} runs a day fit; a "
                  "public repository's minutes are free",
                  runner.private_usd_month, std::floor(runs_that_fit)));
}

}  // namespace

D1RowsWritten d1_rows_written() { return kD1Writes; }

double expected_confirmation_probes(const Target& target, int regions, double failure_rate) {
  int window = target.rules.confirm_min;
  if (!target.enabled || window <= 0 || target.cadence_min <= 1 || failure_rate <= 0) return 0;
  // In a confirming minute every region probes; one minute in cadence_min it would anyway.
  double extra_per_minute = regions * (1 - 1.0 / target.cadence_min);
  double clean_minute = std::pow(1 - std::min(failure_rate, 1.0), regions);
  double clean_window = std::pow(clean_minute, window);
  // So noisy that a clean stretch practically never comes: confirming for ever.
  if (clean_window < 1e-9) return extra_per_minute * kCostDays * kMinutesPerDay;
  // A stretch ends after `window` clean minutes in a row: the expected number of trials until
  // that many successes in a row. Between stretches the cadence runs until a probe round fails.
  double stretch = (1 - clean_window) / ((1 - clean_minute) * clean_window);
  double gap = target.cadence_min / (1 - clean_minute);
  double share_confirming = stretch / (stretch + gap);
  return share_confirming * extra_per_minute * kCostDays * kMinutesPerDay;
}

int probe_input_tokens(const Config& config, const Target& target) {
  // About four bytes of English text per token in every provider's tokenizer.
  int text = std::max<int>(1, static_cast<int>((config.prompt.size() + 3) / 4));
  return template_tokens(target.provider) + text;
}

CostEstimate estimate_cost(const Config& config) {
  CostEstimate out;
  for (const Target& t : config.targets) {
    if (!t.enabled) continue;
    TargetCost cost = target_cost(config, t);
    if (!cost.price) out.unpriced.push_back(cost.id);
    out.probes_month += cost.probes_month;
    out.confirmation_probes_month += cost.confirmation_probes_month;
    out.outside_probes_month += cost.outside_probes_month;
    out.usd_month += cost.usd_month;
    out.targets.push_back(std::move(cost));
  }
  out.runner = runner_cost(config);
  out.usd_month += out.runner.usd_month;
  cloudflare_allowances(config, out.allowances);
  d1_allowances(config, out.allowances);
  supabase_allowances(config, out.allowances);
  actions_allowance(config, out.runner, out.allowances);
  out.over_budget = config.cost.budget_usd_month && out.usd_month > *config.cost.budget_usd_month;
  return out;
}

}  // namespace heyhi
