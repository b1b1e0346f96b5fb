#include <array>

#include <fmt/format.h>

#include "config.h"
#include "cost.h"
#include "time-format.h"
#include "validator.h"

namespace heyhi {
namespace {

constexpr std::array<std::string_view, 6> kCostKeys = {
    "budget_usd_month",     "prices_as_of",         "prices",
    "assumed_failure_rate", "outside_runs_per_day", "outside_repository"};
constexpr std::array<std::string_view, 5> kPriceKeys = {"provider", "model", "input_usd_per_mtok",
                                                        "output_usd_per_mtok", "source"};

// A price or budget is a plain amount of dollars: never negative, and far below any mistake
// of units (a price per token typed as per million would be a million times too small, which
// this cannot catch; one per thousand typed as per million is caught above the ceiling).
constexpr double kMaxUsd = 100'000;

std::optional<double> usd_at(element object, const std::string& path, std::string_view key,
                             Validator& v) {
  auto found = member(object, key);
  if (!found) {
    v.fail(field_path(path, key), "is required: US dollars");
    return std::nullopt;
  }
  double number;
  if (found->get_double().get(number) != simdjson::SUCCESS || !(number >= 0) || number > kMaxUsd) {
    v.fail(field_path(path, key),
           fmt::format("must be a number of US dollars from 0 to {}", static_cast<int>(kMaxUsd)));
    return std::nullopt;
  }
  return number;
}

bool is_iso_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  // On the calendar, as a time is: 2026-02-31 is a typo, not a date.
  return parse_iso_utc(std::string(text) + "T00:00:00Z").has_value();
}

std::optional<std::string> text_at(element object, const std::string& path, std::string_view key,
                                   Validator& v) {
  auto found = member(object, key);
  std::string_view text;
  if (!found || found->get_string().get(text) != simdjson::SUCCESS || text.empty()) {
    v.fail(field_path(path, key), "must be a non-empty string");
    return std::nullopt;
  }
  return std::string(text);
}

void parse_price(element item, const std::string& path, Validator& v, CostSettings& into) {
  if (!item.is_object()) {
    v.fail(path, "must be an object");
    return;
  }
  v.reject_unknown_keys(item, path, kPriceKeys);
  Price price;
  auto provider = text_at(item, path, "provider", v);
  if (provider && !provider_from_name(*provider)) {
    v.fail(path + ".provider", "must be one of openai, anthropic, gemini, xai, cohere, mistral");
  }
  auto model = text_at(item, path, "model", v);
  auto input = usd_at(item, path, "input_usd_per_mtok", v);
  auto output = usd_at(item, path, "output_usd_per_mtok", v);
  if (auto source = member(item, "source")) {
    std::string_view text;
    if (source->get_string().get(text) == simdjson::SUCCESS) price.source = std::string(text);
  }
  if (!provider || !model || !input || !output) return;
  for (const Price& seen : into.prices) {
    if (seen.provider == *provider && seen.model == *model) {
      v.fail(path, fmt::format("{}/{} is priced twice", *provider, *model));
      return;
    }
  }
  price.provider = *provider;
  price.model = *model;
  price.input_usd_per_mtok = *input;
  price.output_usd_per_mtok = *output;
  into.prices.push_back(std::move(price));
}

}  // namespace

void parse_cost_settings(element cost, Validator& v, CostSettings& into) {
  v.reject_unknown_keys(cost, "cost", kCostKeys);
  if (member(cost, "budget_usd_month")) {
    into.budget_usd_month = usd_at(cost, "cost", "budget_usd_month", v);
  }
  if (member(cost, "prices_as_of")) {
    auto date = text_at(cost, "cost", "prices_as_of", v);
    if (date && !is_iso_date(*date)) {
      v.fail("cost.prices_as_of", "must be a date on the calendar, as YYYY-MM-DD");
    } else if (date) {
      into.prices_as_of = *date;
    }
  }
  if (auto rate = member(cost, "assumed_failure_rate")) {
    double number;
    if (rate->get_double().get(number) != simdjson::SUCCESS || !(number >= 0) || number > 1) {
      v.fail("cost.assumed_failure_rate", "must be a share of probes from 0 to 1");
    } else {
      into.assumed_failure_rate = number;
    }
  }
  if (member(cost, "outside_runs_per_day")) {
    into.outside_runs_per_day =
        v.int_in(cost, "cost", "outside_runs_per_day", 0, 1440).value_or(into.outside_runs_per_day);
  }
  if (auto repository = member(cost, "outside_repository")) {
    std::string_view text;
    if (repository->get_string().get(text) != simdjson::SUCCESS ||
        (text != "public" && text != "private")) {
      v.fail("cost.outside_repository",
             "must be \"public\" or \"private\": where the outside vantage's workflow runs");
    } else {
      into.outside_repository_private = text == "private";
    }
  }
  auto prices = member(cost, "prices");
  if (!prices) return;
  if (!prices->is_array()) {
    v.fail("cost.prices",
           "must be an array of {provider, model, input_usd_per_mtok, "
           "output_usd_per_mtok}");
    return;
  }
  if (!member(cost, "prices_as_of")) {
    v.fail("cost.prices_as_of", "is required with prices: the date they were checked");
  }
  size_t index = 0;
  for (element item : items(*prices)) {
    parse_price(item, fmt::format("cost.prices[{}]", index++), v, into);
  }
}

}  // namespace heyhi
