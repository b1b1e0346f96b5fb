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
};

// Reads the configuration's "cost" object into `into`, naming every bad field.
void parse_cost_settings(element cost, Validator& v, CostSettings& into);

inline constexpr int kCostDays = 30;

struct TargetCost {
  std::string id;
  long long probes_month = 0;
  int input_tokens = 0;          // per probe, estimated from the prompt and the provider's template
  int output_tokens = 0;         // per probe: the output budget, which reasoning tokens also spend
  const Price* price = nullptr;  // null: not in the table
  double usd_month = 0;
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

struct CostEstimate {
  std::vector<TargetCost> targets;
  long long probes_month = 0;
  double usd_month = 0;
  std::vector<std::string> unpriced;  // target ids the table has no price for
  std::vector<Allowance> allowances;
  bool over_budget = false;
};

CostEstimate estimate_cost(const Config& config);

// Tokens the provider counts for one probe's prompt: its chat template plus the text.
int probe_input_tokens(const Config& config, const Target& target);

}  // namespace heyhi
