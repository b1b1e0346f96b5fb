// The smallest real request that proves a provider model answers: one user message, one
// output token, and nothing else a provider could reject.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config.h"

namespace heyhi {

// The credential is never part of a request the core builds: the shim looks the secret up
// by name and adds `header: prefix + secret` just before fetching, so requests can be
// logged and tested whole.
struct AuthSpec {
  std::string header;
  std::string prefix;
  std::string secret_name;
};

struct ProbeRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  AuthSpec auth;
};

ProbeRequest build_request(const Config& config, const Target& target);

// Only a provider origin (the emulator or a test double) hears which region a request comes
// from, so that it can fail one region alone; real providers get nothing HeyHi-specific.
inline constexpr std::string_view kRegionHeader = "x-heyhi-region";

// The request of one region's probe: the target's request, with the region header when the
// configuration names a provider origin.
ProbeRequest regional_request(const Config& config, ProbeRequest request,
                              const std::string& region);

// What a region's object fetches, once, to learn the Cloudflare location it runs in: the
// trace page answers `colo=XYZ`. With a provider origin, the origin's own trace page.
ProbeRequest colo_trace_request(const Config& config, const std::string& region);

// The environment variable that holds this provider's API key.
std::string_view secret_name(Provider provider);

}  // namespace heyhi
