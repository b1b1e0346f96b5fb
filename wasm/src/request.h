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

// The environment variable that holds this provider's API key.
std::string_view secret_name(Provider provider);

}  // namespace heyhi
