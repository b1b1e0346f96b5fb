// The monitor's configuration: which provider models to probe, how often, from which
// regions, with what timeout. Parsing validates everything at once and names each bad field,
// so a broken deployment says what to fix at start-up instead of failing at the first probe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerting.h"
#include "cost.h"
#include "result.h"
#include "status-config.h"

namespace heyhi {

enum class Provider { openai, anthropic, gemini, xai, cohere, mistral };

std::string_view provider_name(Provider provider);
std::optional<Provider> provider_from_name(std::string_view name);

// How a Gemini request asks for (no) thinking. `automatic` picks per model family.
enum class Thinking { automatic, off, minimal, low, provider_default };

struct Target {
  Provider provider = Provider::openai;
  std::string model;
  std::string id;  // "provider/model", unique in a configuration
  std::string tier;
  int cadence_min = 5;
  int timeout_ms = 3000;
  Thinking thinking = Thinking::automatic;
  bool enabled = true;
  // Output budget. One token is the probe's whole point; a model that always reasons may
  // refuse to stop at one (OpenAI answers 400 "could not finish the message"), and a target
  // may raise it.
  int max_tokens = 1;
  std::string reasoning_effort;  // sent only when set: openai, xai and mistral accept it
  // Minute offset within the cadence, so that targets sharing a cadence do not all fire on
  // the same minute and crowd one invocation's connection budget.
  int phase = 0;
  RuleSettings rules;  // the configuration's alerting defaults with this target's overrides
};

// Cloudflare's Durable Object location hints: a region is a place we can ask to run in.
inline constexpr std::array<std::string_view, 9> kLocationHints = {
    "wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"};

struct Config {
  std::vector<std::string> regions;
  std::vector<Target> targets;
  // When set, every provider is reached at <origin>/<provider>/<official path>: the local
  // emulator, or a test double.
  std::string provider_origin;
  std::string prompt = "ping";
  int max_concurrency = 6;
  RuleSettings alerting;
  std::vector<Maintenance> maintenance;
  // Rows and alert transitions a region's object keeps while the store cannot take them.
  int backlog_max_items = 2000;
  StatusSettings status;
  CostSettings cost;
};

inline constexpr int kAllowedCadences[] = {1, 2, 5, 10, 15};
inline constexpr int kMinTimeoutMs = 100;
inline constexpr int kMaxTimeoutMs = 30000;
inline constexpr int kMaxConcurrency = 6;  // Workers' simultaneous open connections
inline constexpr int kMaxProbeTokens = 64;
inline constexpr int kMinBacklogItems = 10;
inline constexpr int kMaxBacklogItems = 100000;

Result<Config, std::vector<Error>> parse_config(std::string_view json);

// Whether a row's region names a vantage point outside Cloudflare (a GitHub runner, a laptop)
// rather than one of the location hints: its rows are a second signal for the verdict, never
// part of the Cloudflare regions' counts.
bool is_outside_vantage(std::string_view region);

// Whether a status source speaks for a provider the configuration probes: it is enabled and
// some enabled target is that provider's. The official status of a provider no target probes
// is compared with nothing, so its page is neither fetched nor anyone's alert.
bool watches(const Config& config, const StatusSource& source);

// FNV-1a, 32 bits: the same on every platform, so a target's phase is stable across builds.
uint32_t stable_hash(std::string_view text);

}  // namespace heyhi
