// What a configuration costs to run for a month: the providers' tokens, priced from a dated
// table in the configuration, and the share of each free allowance it uses on Cloudflare's
// Workers Free plan, D1 and Supabase's Free plan. Everything is derived from the
// configuration alone, so a deployment learns at start-up that it is over its budget, not
// from an invoice.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "json-read.h"
#include "result.h"

namespace heyhi {

struct Config;
struct Target;
class Validator;

// One model's list price, in US dollars per million tokens.
struct Price {
  std::string provider;
  std::string model;
  double input_usd_per_mtok = 0;
  double output_usd_per_mtok = 0;
  std::string source;
};

struct CostSettings {
  std::string prices_as_of;  // the date the table was checked, ISO
  std::vector<Price> prices;
  std::optional<double> budget_usd_month;
  // The share of probes that fail outside incidents and so start confirmation probing; the
  // estimate prices the extra probes this much background noise brings.
  double assumed_failure_rate = 0.01;
  // Runs a day of outside vantages (node-main.ts), all of them together; each run probes every
  // enabled target once and stores its rows in the same store. 0: none runs.
  int outside_runs_per_day = 0;
  // Where the outside vantage's GitHub Actions workflow runs: a public repository's minutes on
  // GitHub's standard runners are free; a private one's count against the plan's allowance.
  bool outside_repository_private = false;
};

// Reads the configuration's "cost" object into `into`, naming every bad field.
void parse_cost_settings(element cost, Validator& v, CostSettings& into);

inline constexpr int kCostDays = 30;

struct TargetCost {
  std::string id;
  long long probes_month = 0;               // on the cadence, from every region
  long long confirmation_probes_month = 0;  // expected at the assumed failure rate
  long long outside_probes_month = 0;       // from the outside vantages' runs
  int input_tokens = 0;          // per probe, estimated from the prompt and the provider's template
  int output_tokens = 0;         // per probe: the output budget, which reasoning tokens also spend
  const Price* price = nullptr;  // null: not in the table
  double usd_month = 0;          // every probe, the confirmation and outside ones included
};

// One free allowance: how much of it the configuration uses, per `per` (day, month, or
// invocation).
struct Allowance {
  std::string service;  // "workers", "durable_objects", "d1", "supabase"
  std::string what;
  std::string per;
  double used = 0;
  double limit = 0;
  std::string note;

  bool fits() const { return used <= limit; }
};

// The outside vantage's GitHub Actions minutes: each run is one job, billed as whole minutes.
struct RunnerCost {
  long long billed_minutes_month = 0;
  double usd_month = 0;          // beyond GitHub Free's included minutes; 0 on a public repository
  double private_usd_month = 0;  // what the same runs would cost from a private repository
};

struct CostEstimate {
  std::vector<TargetCost> targets;
  long long probes_month = 0;
  long long confirmation_probes_month = 0;
  long long outside_probes_month = 0;
  RunnerCost runner;
  double usd_month = 0;               // the targets' tokens and the runner's minutes
  std::vector<std::string> unpriced;  // target ids the table has no price for
  std::vector<Allowance> allowances;
  bool over_budget = false;
};

CostEstimate estimate_cost(const Config& config);

// Rows written, as D1 counts them, by each kind of write the Worker makes.
struct D1RowsWritten {
  int probe = 2;           // an llm_checks row and its unique key's entry, failed or not
  int status_reading = 1;  // a status source's row, rewritten in place
  int alert_open = 3;      // an alert's row, its open-key entry and its opened_at entry
  int reminder = 1;        // an open alert's last_notified_at
  int delivery = 6;        // queued (row, key, pending index), claimed, marked sent
};
D1RowsWritten d1_rows_written();

// The probes a month that confirmation adds to `target`'s cadence when each probe fails, alone,
// with probability `failure_rate`: every failure starts (or stretches) a confirmation stretch
// in which every region probes each minute until confirm_min minutes pass without a failure.
double expected_confirmation_probes(const Target& target, int regions, double failure_rate);

// Tokens the provider counts for one probe's prompt: its chat template plus the text.
int probe_input_tokens(const Config& config, const Target& target);

}  // namespace heyhi
