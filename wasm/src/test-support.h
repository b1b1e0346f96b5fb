// Shared by the core's doctest files: fixture loading and short builders for probe outcomes.
#pragma once

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "classify.h"

namespace heyhi::testing {

inline std::string read_fixture(const std::string& relative) {
  std::string path = std::string(HEYHI_FIXTURES) + "/" + relative;
  std::string text;
  if (FILE* file = std::fopen(path.c_str(), "rb")) {
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
    std::fclose(file);
  }
  return text;
}

inline ProbeContext context_for(Provider provider, std::string model = "m") {
  ProbeContext context;
  context.provider = provider;
  context.model = std::move(model);
  context.region = "enam";
  context.scheduled_ms = 1796300040000;  // 2026-12-03T12:14:00Z
  context.started_ms = 1796300040123;
  context.timeout_ms = 3000;
  return context;
}

inline Outcome response(int status, std::string body, std::string content_type = "application/json",
                        std::vector<std::pair<std::string, std::string>> extra = {}) {
  Outcome outcome;
  outcome.status = status;
  outcome.body = std::move(body);
  outcome.headers.emplace_back("content-type", std::move(content_type));
  for (auto& h : extra) outcome.headers.push_back(std::move(h));
  outcome.ms_to_headers = 180.4;
  outcome.ms_total = 212.6;
  return outcome;
}

inline Row classify_response(Provider provider, int status, std::string body,
                             std::string content_type = "application/json") {
  return classify(context_for(provider),
                  response(status, std::move(body), std::move(content_type)));
}

}  // namespace heyhi::testing
