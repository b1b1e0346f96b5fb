#include "config.h"

#include <algorithm>
#include <array>
#include <set>

#include <fmt/format.h>

#include "cost.h"
#include "json-read.h"
#include "validator.h"

namespace heyhi {
namespace {

constexpr std::array<std::string_view, 6> kProviderNames = {"openai", "anthropic", "gemini",
                                                            "xai",    "cohere",    "mistral"};

constexpr std::array<std::string_view, 13> kTopLevelKeys = {"version",
                                                            "regions",
                                                            "defaults",
                                                            "targets",
                                                            "provider_origin",
                                                            "prompt",
                                                            "max_concurrency",
                                                            "checked_on",
                                                            "description",
                                                            "alerting",
                                                            "backlog_max_items",
                                                            "status",
                                                            "cost"};

constexpr std::array<std::string_view, 13> kTargetKeys = {
    "provider", "model",      "tier",       "cadence_min",      "timeout_ms",
    "thinking", "enabled",    "max_tokens", "reasoning_effort", "source",
    "note",     "checked_on", "alerting"};

constexpr std::array<std::string_view, 6> kEfforts = {"none",   "minimal", "low",
                                                      "medium", "high",    "xhigh"};

constexpr std::array<std::string_view, 2> kDefaultKeys = {"cadence_min", "timeout_ms"};

bool is_model_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == ':' || c == '@';
}

std::optional<int> cadence(Validator& v, element object, const std::string& path) {
  auto found = member(object, "cadence_min");
  if (!found) return std::nullopt;
  auto number = as_int(*found);
  for (int allowed : kAllowedCadences) {
    if (number && *number == allowed) return allowed;
  }
  v.fail(fmt::format("{}.cadence_min", path), "must be one of 1, 2, 5, 10, 15 (minutes)");
  return std::nullopt;
}

struct Defaults {
  int cadence_min = 5;
  int timeout_ms = 3000;
};

std::optional<Thinking> thinking_from_name(std::string_view name) {
  if (name == "auto") return Thinking::automatic;
  if (name == "off") return Thinking::off;
  if (name == "minimal") return Thinking::minimal;
  if (name == "low") return Thinking::low;
  if (name == "provider_default") return Thinking::provider_default;
  return std::nullopt;
}

void parse_regions(element root, Validator& v, Config& config) {
  auto regions = member(root, "regions");
  if (!regions) {
    config.regions = {"enam"};
    return;
  }
  if (!regions->is_array() || items(*regions).size() == 0) {
    v.fail("regions", "must be a non-empty array of location hints such as \"enam\"");
    return;
  }
  size_t index = 0;
  for (element item : items(*regions)) {
    std::string field = fmt::format("regions[{}]", index++);
    std::string_view name;
    if (item.get_string().get(name) != simdjson::SUCCESS || !contains(kLocationHints, name)) {
      v.fail(field, fmt::format("must be one of: {}",
                                join_names(kLocationHints.data(),
                                           kLocationHints.data() + kLocationHints.size())));
      continue;
    }
    if (std::find(config.regions.begin(), config.regions.end(), name) != config.regions.end()) {
      v.fail(field, fmt::format("region \"{}\" is listed twice", name));
      continue;
    }
    config.regions.emplace_back(name);
  }
}

Defaults parse_defaults(element root, Validator& v) {
  Defaults defaults;
  auto section = member(root, "defaults");
  if (!section) return defaults;
  if (!section->is_object()) {
    v.fail("defaults", "must be an object");
    return defaults;
  }
  v.reject_unknown_keys(*section, "defaults", kDefaultKeys);
  if (auto c = cadence(v, *section, "defaults")) defaults.cadence_min = *c;
  if (auto t = v.int_in(*section, "defaults", "timeout_ms", kMinTimeoutMs, kMaxTimeoutMs)) {
    defaults.timeout_ms = *t;
  }
  return defaults;
}

void parse_target_identity(element item, const std::string& path, Validator& v, Target& t) {
  auto provider = string_at(item, "provider");
  auto parsed = provider ? provider_from_name(*provider) : std::nullopt;
  if (!parsed) {
    v.fail(path + ".provider",
           fmt::format("must be one of: {}",
                       join_names(kProviderNames.data(), kProviderNames.data() + 6)));
  } else {
    t.provider = *parsed;
  }

  auto model = string_at(item, "model");
  bool model_ok = model && !model->empty() && model->size() <= 128 &&
                  std::all_of(model->begin(), model->end(), is_model_char);
  if (!model_ok) {
    v.fail(path + ".model",
           "must be a model id of 1 to 128 letters, digits and - _ . : @ (it is part of a URL)");
  } else {
    t.model = std::string(*model);
  }
  t.id = fmt::format("{}/{}", provider ? *provider : "", t.model);
}

void parse_target_options(element item, const std::string& path, Validator& v,
                          const Defaults& defaults, Target& t) {
  t.cadence_min = cadence(v, item, path).value_or(defaults.cadence_min);
  t.timeout_ms = v.int_in(item, path, "timeout_ms", kMinTimeoutMs, kMaxTimeoutMs)
                     .value_or(defaults.timeout_ms);
  if (auto tier = member(item, "tier")) {
    std::string_view name;
    if (tier->get_string().get(name) != simdjson::SUCCESS || name.size() > 32) {
      v.fail(path + ".tier", "must be a short label such as \"small\" or \"flagship\"");
    } else {
      t.tier = std::string(name);
    }
  }
  if (auto thinking = member(item, "thinking")) {
    std::string_view name;
    auto parsed = thinking->get_string().get(name) == simdjson::SUCCESS ? thinking_from_name(name)
                                                                        : std::nullopt;
    if (!parsed) {
      v.fail(path + ".thinking", "must be one of: auto, off, minimal, low, provider_default");
    } else {
      t.thinking = *parsed;
    }
  }
  t.max_tokens = v.int_in(item, path, "max_tokens", 1, kMaxProbeTokens).value_or(1);
  if (auto effort = member(item, "reasoning_effort")) {
    std::string_view name;
    bool known = effort->get_string().get(name) == simdjson::SUCCESS && contains(kEfforts, name);
    bool accepted = t.provider == Provider::openai || t.provider == Provider::xai ||
                    t.provider == Provider::mistral;
    if (!known) {
      v.fail(path + ".reasoning_effort",
             fmt::format("must be one of: {}", join_names(kEfforts.data(), kEfforts.data() + 6)));
    } else if (!accepted) {
      v.fail(path + ".reasoning_effort", "only openai, xai and mistral accept it");
    } else {
      t.reasoning_effort = std::string(name);
    }
  }
  if (auto enabled = member(item, "enabled")) {
    if (!enabled->is_bool()) v.fail(path + ".enabled", "must be true or false");
    t.enabled = bool_at(item, "enabled").value_or(true);
  }
}

void parse_targets(element root, Validator& v, const Defaults& defaults, Config& config) {
  auto targets = member(root, "targets");
  if (!targets || !targets->is_array() || items(*targets).size() == 0) {
    v.fail("targets", "must be a non-empty array of {provider, model} objects");
    return;
  }
  std::set<std::string> seen;
  size_t index = 0;
  for (element item : items(*targets)) {
    std::string path = fmt::format("targets[{}]", index++);
    if (!item.is_object()) {
      v.fail(path, "must be an object with at least provider and model");
      continue;
    }
    v.reject_unknown_keys(item, path, kTargetKeys);
    Target target;
    target.rules = config.alerting;
    if (auto overrides = v.object_at(item, path, "alerting")) {
      parse_rule_settings(*overrides, path + ".alerting", v, target.rules, RuleScope::target);
    }
    parse_target_identity(item, path, v, target);
    parse_target_options(item, path, v, defaults, target);
    if (!seen.insert(target.id).second) {
      v.fail(path, fmt::format("duplicate target \"{}\": each provider and model once", target.id));
    }
    target.phase =
        static_cast<int>(stable_hash(target.id) % static_cast<uint32_t>(target.cadence_min));
    config.targets.push_back(std::move(target));
  }
}

void parse_origin(element root, Validator& v, Config& config) {
  auto origin = member(root, "provider_origin");
  if (!origin || origin->is_null()) return;
  std::string_view text;
  bool is_text = origin->get_string().get(text) == simdjson::SUCCESS;
  if (is_text && text.empty()) return;
  if (!is_text || !(text.rfind("http://", 0) == 0 || text.rfind("https://", 0) == 0)) {
    v.fail("provider_origin", "must be an http:// or https:// origin, or empty");
    return;
  }
  while (!text.empty() && text.back() == '/') text.remove_suffix(1);
  config.provider_origin = std::string(text);
}

void parse_scalars(element root, Validator& v, Config& config) {
  if (auto version = member(root, "version")) {
    auto number = as_int(*version);
    if (!number || *number != 1) v.fail("version", "must be 1");
  }
  if (auto prompt = member(root, "prompt")) {
    std::string_view text;
    if (prompt->get_string().get(text) != simdjson::SUCCESS || text.empty() || text.size() > 64) {
      v.fail("prompt", "must be a string of 1 to 64 bytes");
    } else {
      config.prompt = std::string(text);
    }
  }
  if (auto n = v.int_in(root, "", "max_concurrency", 1, kMaxConcurrency)) {
    config.max_concurrency = *n;
  }
  if (auto n = v.int_in(root, "", "backlog_max_items", kMinBacklogItems, kMaxBacklogItems)) {
    config.backlog_max_items = *n;
  }
}

}  // namespace

std::string_view provider_name(Provider provider) {
  return kProviderNames[static_cast<size_t>(provider)];
}

std::optional<Provider> provider_from_name(std::string_view name) {
  for (size_t i = 0; i < kProviderNames.size(); ++i) {
    if (kProviderNames[i] == name) return static_cast<Provider>(i);
  }
  return std::nullopt;
}

bool is_outside_vantage(std::string_view region) { return !contains(kLocationHints, region); }

bool watches(const Config& config, const StatusSource& source) {
  return source.enabled &&
         std::any_of(config.targets.begin(), config.targets.end(), [&](const Target& t) {
           return t.enabled && provider_name(t.provider) == source.provider;
         });
}

uint32_t stable_hash(std::string_view text) {
  uint32_t hash = 2166136261u;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  return hash;
}

void find_duplicate_keys(element value, const std::string& path, std::vector<Error>& out) {
  if (value.is_array()) {
    size_t i = 0;
    for (element item : items(value)) {
      find_duplicate_keys(item, fmt::format("{}[{}]", path, i++), out);
    }
    return;
  }
  if (!value.is_object()) return;
  std::set<std::string_view> seen;
  for (auto field : fields(value)) {
    std::string at = path.empty() ? std::string(field.key) : fmt::format("{}.{}", path, field.key);
    // Comments ("_note") may well repeat, and are read by no one.
    if (!is_annotation(field.key) && !seen.insert(field.key).second) {
      out.push_back({at, "is given twice: JSON readers disagree on which one counts"});
      continue;
    }
    find_duplicate_keys(field.value, at, out);
  }
}

namespace {

Error unreadable_json(simdjson::error_code code) {
  if (code == simdjson::BIGINT_ERROR) {
    return {"",
            "holds a whole number too large to read (over 18446744073709551615); no "
            "setting takes one so large"};
  }
  return {"", fmt::format("not valid JSON: {}", simdjson::error_message(code))};
}

}  // namespace

Result<Config, std::vector<Error>> parse_config(std::string_view json) {
  Document doc;
  if (auto code = doc.parse(json); code != simdjson::SUCCESS) {
    return std::vector<Error>{unreadable_json(code)};
  }
  element root = doc.root();
  if (!root.is_object()) return std::vector<Error>{{"", "must be a JSON object"}};
  std::vector<Error> duplicates;
  find_duplicate_keys(root, "", duplicates);
  if (!duplicates.empty()) return duplicates;

  Validator v;
  Config config;
  v.reject_unknown_keys(root, "", kTopLevelKeys);
  parse_scalars(root, v, config);
  parse_regions(root, v, config);
  parse_origin(root, v, config);
  if (auto alerting = v.object_at(root, "", "alerting")) {
    parse_rule_settings(*alerting, "alerting", v, config.alerting, RuleScope::top_level);
    config.maintenance = parse_maintenance(*alerting, "alerting", v);
  }
  parse_targets(root, v, parse_defaults(root, v), config);
  if (auto status = v.object_at(root, "", "status")) {
    parse_status_settings(*status, v, config.status);
  }
  if (auto cost = v.object_at(root, "", "cost")) parse_cost_settings(*cost, v, config.cost);
  if (!v.clean()) return v.take();
  return config;
}

}  // namespace heyhi
