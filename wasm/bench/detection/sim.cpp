#include "detection/sim.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>

#include "schedule.h"
#include "time-format.h"

namespace heyhi::detection {
namespace {

// xoshiro256** seeded through splitmix64: the same integer stream on every compiler and
// library, which the standard distributions do not promise.
class Random {
 public:
  explicit Random(uint64_t seed) {
    for (uint64_t& word : state_) word = splitmix(seed);
  }

  uint64_t next() {
    uint64_t result = rotl(state_[1] * 5, 7) * 9;
    uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  int64_t between(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
  }

  // Box-Muller, always two draws, so a stream's later numbers never depend on its past values.
  double normal() {
    double u = 1.0 - uniform();
    double v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitmix(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  uint64_t state_[4];
};

// A target's streams are keyed by its id, not its place in the list, so that adding or
// disabling one target leaves every other target's background as it was.
uint64_t target_key(const Target& target) {
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a
  for (unsigned char c : target.id) hash = (hash ^ c) * 0x100000001b3ULL;
  return hash;
}

uint64_t stream_seed(uint64_t seed, uint64_t a, uint64_t b) {
  return seed ^ (a * 0x9e3779b97f4a7c15ULL) ^ (b * 0xc2b2ae3d27d4eb4fULL) ^ 0x5851f42d4c957f2dULL;
}

struct Mix {
  ErrorType type;
  double weight;
};

// Calm-state errors are mostly isolated timeouts and 5xx; bad patches are overload.
const std::vector<Mix> kCalmMix = {{ErrorType::timeout, 0.35},
                                   {ErrorType::server_error, 0.25},
                                   {ErrorType::overloaded, 0.25},
                                   {ErrorType::rate_limited, 0.10},
                                   {ErrorType::connect_error, 0.05}};
const std::vector<Mix> kPatchMix = {{ErrorType::overloaded, 0.50},
                                    {ErrorType::server_error, 0.25},
                                    {ErrorType::timeout, 0.15},
                                    {ErrorType::rate_limited, 0.10}};
const std::vector<Mix> kOutageMix = {{ErrorType::server_error, 0.5},
                                     {ErrorType::gateway_error, 0.25},
                                     {ErrorType::overloaded, 0.25}};
const std::vector<Mix> kPartialMix = {{ErrorType::overloaded, 0.7}, {ErrorType::server_error, 0.3}};
const std::vector<Mix> kRampMix = {{ErrorType::overloaded, 0.6}, {ErrorType::timeout, 0.4}};
const std::vector<Mix> kRegionMix = {{ErrorType::connect_error, 1.0}};

ErrorType pick(const std::vector<Mix>& mix, double u) {
  for (const Mix& m : mix) {
    if (u < m.weight) return m.type;
    u -= m.weight;
  }
  return mix.back().type;
}

std::optional<int64_t> status_of(ErrorType type, Provider provider) {
  switch (type) {
    case ErrorType::overloaded: return provider == Provider::anthropic ? 529 : 503;
    case ErrorType::server_error: return 500;
    case ErrorType::gateway_error: return 502;
    case ErrorType::rate_limited: return 429;
    default: return std::nullopt;
  }
}

std::string colo_of(const std::string& region) {
  static const std::map<std::string, std::string> colos = {
      {"enam", "EWR"}, {"wnam", "SJC"}, {"weur", "FRA"}, {"eeur", "WAW"}, {"apac", "SIN"},
      {"oc", "SYD"},   {"sam", "GRU"},  {"afr", "JNB"},  {"me", "DXB"}};
  auto found = colos.find(region);
  return found == colos.end() ? "XXX" : found->second;
}

// Two states per target and region. The chance of entering a patch is set so that the time
// spent in patches carries `patch_share` of the target's errors at its base rate.
struct Chain {
  double calm_rate;
  double enter;
  double leave;
};

Chain chain_for(double base_rate, const NoiseModel& model) {
  double in_patch = model.patch_share * base_rate / model.patch_error_rate;
  Chain c;
  c.calm_rate = (1 - model.patch_share) * base_rate / (1 - in_patch);
  c.leave = 1.0 / model.patch_mean_min;
  c.enter = in_patch * c.leave / (1 - in_patch);
  return c;
}

struct Effect {
  double fail = 0;
  const std::vector<Mix>* mix = nullptr;  // none: connect_share decides
  double latency_factor = 1;
  double connect_share = 0;
};

// A Cloudflare region's view. An egress failure is a connection that fails or hangs past the
// timeout: the request never gets an answer from the provider, so no provider error body.
Effect effect_at(const Incident* incident, const std::string& region, int64_t minute) {
  Effect e;
  if (!incident || minute < incident->start_minute || minute >= incident->end_minute) return e;
  switch (incident->kind) {
    case IncidentKind::egress: e = {1.0, nullptr, 1, incident->connect_share}; break;
    case IncidentKind::outage: e = {1.0, &kOutageMix, 1}; break;
    case IncidentKind::errors_30: e = {0.3, &kPartialMix, 1}; break;
    case IncidentKind::latency_3x: e = {0, nullptr, 3}; break;
    case IncidentKind::region_down:
      if (incident->region == region) e = {1.0, &kRegionMix, 1};
      break;
    case IncidentKind::ramp: {
      double span = static_cast<double>(incident->end_minute - incident->start_minute);
      e = {0.6 * static_cast<double>(minute - incident->start_minute) / span, &kRampMix, 1};
      break;
    }
  }
  return e;
}

// The outside vantage shares the provider's trouble, never Cloudflare's.
Effect outside_effect_at(const Incident* incident, int64_t minute) {
  if (!incident || incident->kind == IncidentKind::egress ||
      incident->kind == IncidentKind::region_down) {
    return {};
  }
  return effect_at(incident, kOutsideVantage, minute);
}

struct Probe {
  bool ok = true;
  std::optional<ErrorType> type;
  int64_t latency_ms = 0;
  const char* origin = nullptr;  // for a failure: which part of the model made it
  int64_t offset_ms = 0;         // from the minute to the request
};

// Every draw is made whether or not it is used, so each stream stays aligned across runs that
// place incidents differently.
Probe draw_probe(Random& noise, Random& hurt, bool bad, const Chain& chain,
                 const TargetNoise& shape, const Target& target, const NoiseModel& model,
                 const Effect& effect) {
  double u_error = noise.uniform();
  double u_type = noise.uniform();
  double body = shape.median_ms * std::exp(model.latency_sigma * noise.normal());
  double u_outlier = noise.uniform();
  double tail = std::exp(noise.uniform(std::log(2000.0), std::log(9000.0)));
  double u_hurt = hurt.uniform();
  double u_hurt_type = hurt.uniform();

  Probe p;
  double latency = (u_outlier < model.outlier_rate ? tail : body) * effect.latency_factor;
  bool background_fails = u_error < (bad ? model.patch_error_rate : chain.calm_rate);
  if (u_hurt < effect.fail) {
    p.type = effect.mix                           ? pick(*effect.mix, u_hurt_type)
             : u_hurt_type < effect.connect_share ? ErrorType::connect_error
                                                  : ErrorType::timeout;
    p.origin = kFromIncident;
  } else if (background_fails) {
    p.type = pick(bad ? kPatchMix : kCalmMix, u_type);
    p.origin = bad ? kFromPatch : kFromCalm;
  } else if (latency > target.timeout_ms) {
    p.type = ErrorType::timeout;
    p.origin = effect.latency_factor > 1 ? kFromIncident : kFromTail;
  }
  p.ok = !p.type;
  if (p.type == ErrorType::timeout) {
    latency = target.timeout_ms + 3;
  } else if (p.type == ErrorType::connect_error) {
    latency = 20 + body / 20;
  } else if (p.type) {
    latency = body * 0.6;
  }
  p.latency_ms = std::llround(latency);
  return p;
}

Row make_row(const Target& target, const std::string& region, int64_t minute, const Probe& p) {
  Row r;
  r.scheduled_at = iso_utc_minute(minute * kMinuteMillis);
  r.ts = iso_utc_millis(minute * kMinuteMillis + p.offset_ms);
  r.region = region;
  if (!is_outside_vantage(region)) r.colo = colo_of(region);
  r.provider = std::string(provider_name(target.provider));
  r.model = target.model;
  r.ok = p.ok;
  r.error_type = p.type;
  r.http_status = p.ok ? std::optional<int64_t>(200) : status_of(*p.type, target.provider);
  r.latency_ms = p.latency_ms;
  if (p.origin) r.detail = p.origin;
  if (p.ok) {
    r.tokens_in = 8;
    r.tokens_out = 1;
  }
  return r;
}

// --- incidents ----------------------------------------------------------------------------

int64_t duration_of(IncidentKind kind, Random& rng) {
  switch (kind) {
    case IncidentKind::outage: return rng.between(20, 90);
    case IncidentKind::errors_30: return rng.between(30, 120);
    case IncidentKind::latency_3x: return 60;
    case IncidentKind::region_down: return rng.between(30, 60);
    case IncidentKind::ramp: return 40;
    case IncidentKind::egress: return rng.between(20, 60);
  }
  return 30;
}

// Incidents on one target stay three hours apart, so one incident's alerts and recovery never
// run into the next one's.
constexpr int64_t kIncidentGap = 180;

bool clashes(const std::vector<Incident>& placed, const Incident& candidate) {
  return std::any_of(placed.begin(), placed.end(), [&](const Incident& other) {
    return other.target == candidate.target &&
           candidate.start_minute < other.end_minute + kIncidentGap &&
           other.start_minute < candidate.end_minute + kIncidentGap;
  });
}

// Cloudflare egress trouble hits every enabled target at once: one incident per target, all
// with the same span and error mix, each clear of that target's other incidents. Its own
// random stream leaves the other kinds where they were.
void place_egress(const Config& config, const SimOptions& options, int64_t from, int64_t to,
                  std::vector<Incident>& placed) {
  Random rng(stream_seed(options.seed, 0xe9, 0));
  for (int n = 0; n < options.incidents_per_cadence; ++n) {
    for (int attempt = 0; attempt < 1000; ++attempt) {
      int64_t length = duration_of(IncidentKind::egress, rng);
      int64_t start = rng.between(from + 60, to - length - 60);
      double connect_share = rng.uniform(0.2, 0.8);
      std::vector<Incident> event;
      for (size_t t = 0; t < config.targets.size(); ++t) {
        if (!config.targets[t].enabled) continue;
        event.push_back(
            {IncidentKind::egress, t, std::nullopt, start, start + length, connect_share});
      }
      bool clear = std::none_of(event.begin(), event.end(),
                                [&](const Incident& i) { return clashes(placed, i); });
      if (!clear) continue;
      placed.insert(placed.end(), event.begin(), event.end());
      break;
    }
  }
}

std::vector<Incident> place_incidents(const Config& config, const SimOptions& options, int64_t from,
                                      int64_t to) {
  std::map<int, std::vector<size_t>> by_cadence;
  for (size_t i = 0; i < config.targets.size(); ++i) {
    if (config.targets[i].enabled) by_cadence[config.targets[i].cadence_min].push_back(i);
  }
  std::vector<Incident> placed;
  for (IncidentKind kind : kIncidentKinds) {
    if (kind == IncidentKind::egress) continue;
    for (const auto& [cadence, members] : by_cadence) {
      // One stream per kind and cadence: the targets of one cadence leave the other's alone.
      Random rng(stream_seed(options.seed, 0xfeed,
                             static_cast<uint64_t>(kind) * 64 + static_cast<uint64_t>(cadence)));
      for (int n = 0; n < options.incidents_per_cadence; ++n) {
        for (int attempt = 0; attempt < 1000; ++attempt) {
          Incident incident;
          incident.kind = kind;
          incident.target = members[static_cast<size_t>(
              rng.between(0, static_cast<int64_t>(members.size()) - 1))];
          if (kind == IncidentKind::region_down) {
            incident.region = config.regions[static_cast<size_t>(
                rng.between(0, static_cast<int64_t>(config.regions.size()) - 1))];
          }
          int64_t length = duration_of(kind, rng);
          incident.start_minute = rng.between(from + 60, to - length - 60);
          incident.end_minute = incident.start_minute + length;
          if (clashes(placed, incident)) continue;
          placed.push_back(incident);
          break;
        }
      }
    }
  }
  place_egress(config, options, from, to, placed);
  std::sort(placed.begin(), placed.end(),
            [](const Incident& a, const Incident& b) { return a.start_minute < b.start_minute; });
  return placed;
}

// The minutes the outside vantage's runs start: each scheduled slot skipped or late.
std::vector<int64_t> outside_runs(const SimOptions& options, int64_t from, int64_t to) {
  const OutsideSchedule& s = options.outside;
  Random rng(stream_seed(options.seed, 0x6a, 0));
  std::vector<int64_t> runs;
  for (int64_t slot = from - from % s.every_min; slot <= to; slot += s.every_min) {
    double u_skip = rng.uniform();
    double u_late = rng.uniform();
    double u_within = rng.uniform();
    if (u_skip < s.skipped) continue;
    double lo = 20, hi = 30;
    if (u_late < s.on_time) {
      lo = 0, hi = 3;
    } else if (u_late < s.on_time + s.late_3_10) {
      lo = 3, hi = 10;
    } else if (u_late < s.on_time + s.late_3_10 + s.late_10_20) {
      lo = 10, hi = 20;
    }
    int64_t start = slot + static_cast<int64_t>(lo + (hi - lo) * u_within);
    if (start >= from && start <= to) runs.push_back(start);
  }
  // Runs that start in the same minute are one: the concurrency group keeps one pending run.
  std::sort(runs.begin(), runs.end());
  runs.erase(std::unique(runs.begin(), runs.end()), runs.end());
  return runs;
}

// One outside row per run for the target: its own calm background, the provider's trouble.
void add_outside_rows(const Simulation& sim, const Target& target, size_t t, const Chain& chain,
                      const std::vector<const Incident*>& mine, const NoiseModel& model,
                      uint64_t seed, TargetRows& into) {
  Random noise(stream_seed(seed, target_key(target), 0x6a));
  Random hurt(stream_seed(seed ^ 0xabcdef, target_key(target), 0x6a));
  size_t next_incident = 0;
  for (int64_t minute : sim.outside_runs) {
    while (next_incident < mine.size() && mine[next_incident]->end_minute <= minute) {
      ++next_incident;
    }
    const Incident* active = next_incident < mine.size() ? mine[next_incident] : nullptr;
    Effect effect = outside_effect_at(active, minute);
    Probe p = draw_probe(noise, hurt, false, chain, sim.noise[t], target, model, effect);
    p.offset_ms = 2000 + noise.between(0, 20000);
    into.rows.push_back(make_row(target, kOutsideVantage, minute, p));
  }
}

}  // namespace

std::vector<std::pair<int64_t, int64_t>> stretches(const std::vector<int64_t>& minutes) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (int64_t m : minutes) {
    if (!out.empty() && out.back().second + 1 == m) {
      out.back().second = m;
    } else {
      out.emplace_back(m, m);
    }
  }
  return out;
}

Simulation simulate(Config config, const SimOptions& options, const NoiseModel& model) {
  // A disabled target is never probed: no rows, no noise, no incidents of its own.
  std::erase_if(config.targets, [](const Target& t) { return !t.enabled; });
  Simulation sim;
  int64_t month_start = options.month_start_minute
                            ? options.month_start_minute
                            : epoch_minute(*parse_iso_utc("2026-11-02T00:00:00Z"));
  sim.month_from = month_start;
  sim.month_to = month_start + options.days * kDayMinutes - 1;
  int64_t from = month_start - options.warmup_days * kDayMinutes;
  sim.incidents = place_incidents(config, options, sim.month_from, sim.month_to);
  if (options.outside_vantage) sim.outside_runs = outside_runs(options, from, sim.month_to);

  for (size_t t = 0; t < config.targets.size(); ++t) {
    Random shapes(stream_seed(options.seed, 0x5ea, target_key(config.targets[t])));
    TargetNoise noise;
    noise.base_error_rate = shapes.uniform(0.005, 0.02);
    noise.median_ms = shapes.uniform(150, 900);
    sim.noise.push_back(noise);
  }

  sim.trace.targets.resize(config.targets.size());
  sim.confirmed.targets.resize(config.targets.size());
  int64_t minutes = sim.month_to - from + 1;
  for (size_t t = 0; t < config.targets.size(); ++t) {
    const Target& target = config.targets[t];
    Chain chain = chain_for(sim.noise[t].base_error_rate, model);
    std::vector<const Incident*> mine;
    for (const Incident& incident : sim.incidents) {
      if (incident.target == t) mine.push_back(&incident);
    }
    // A probe is drawn for every minute and region, so that the world is the same whichever
    // minutes a monitor chooses to look at.
    std::vector<std::vector<Probe>> drawn(config.regions.size());
    std::vector<uint8_t> patched(static_cast<size_t>(minutes), 0);
    for (size_t g = 0; g < config.regions.size(); ++g) {
      const std::string& region = config.regions[g];
      Random noise(stream_seed(options.seed, target_key(target), g + 1));
      Random hurt(stream_seed(options.seed ^ 0xabcdef, target_key(target), g + 1));
      bool bad = false;
      size_t next_incident = 0;
      drawn[g].reserve(static_cast<size_t>(minutes));
      for (int64_t minute = from; minute <= sim.month_to; ++minute) {
        double u_chain = noise.uniform();
        bad = bad ? u_chain >= chain.leave : u_chain < chain.enter;
        patched[static_cast<size_t>(minute - from)] += bad;
        while (next_incident < mine.size() && mine[next_incident]->end_minute <= minute) {
          ++next_incident;
        }
        const Incident* active = next_incident < mine.size() ? mine[next_incident] : nullptr;
        Effect effect = effect_at(active, region, minute);
        Probe p = draw_probe(noise, hurt, bad, chain, sim.noise[t], target, model, effect);
        p.offset_ms = 40 + static_cast<int64_t>(g) * 150 + noise.between(0, 400);
        drawn[g].push_back(p);
      }
    }
    sim.all_patched.emplace_back();
    for (size_t m = 0; m < patched.size(); ++m) {
      if (patched[m] == config.regions.size()) sim.all_patched.back().push_back(from + m);
    }
    // The same decision the shim's plan makes, from the rows it would have stored.
    std::optional<int64_t> last_failure;
    for (int64_t minute = from; minute <= sim.month_to; ++minute) {
      bool scheduled = is_due(target, minute);
      if (!scheduled && !confirming(target, last_failure, minute)) continue;
      for (size_t g = 0; g < config.regions.size(); ++g) {
        Row row = make_row(target, config.regions[g], minute,
                           drawn[g][static_cast<size_t>(minute - from)]);
        if (starts_confirmation(row)) last_failure = minute;
        if (scheduled) sim.trace.targets[t].rows.push_back(row);
        sim.confirmed.targets[t].rows.push_back(std::move(row));
      }
    }
    add_outside_rows(sim, target, t, chain, mine, model, options.seed, sim.confirmed.targets[t]);
    order_rows(sim.trace.targets[t]);
    order_rows(sim.confirmed.targets[t]);
  }
  sim.confirmed.config = config;
  compute_span(sim.confirmed);
  sim.trace.config = std::move(config);
  compute_span(sim.trace);
  return sim;
}

}  // namespace heyhi::detection
