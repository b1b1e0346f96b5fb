// CPU cost of the core's work per probe, natively: classifying a response, planning a
// minute, and building an insert body. Prints one JSON object per measurement.
#include <chrono>
#include <cstdio>
#include <string>

#include "api.h"

namespace {

using Clock = std::chrono::steady_clock;

template <typename F>
void measure(const char* name, int iterations, F&& work) {
  size_t sink = 0;
  for (int i = 0; i < iterations / 10; ++i) sink += work().size();  // warm up
  auto start = Clock::now();
  for (int i = 0; i < iterations; ++i) sink += work().size();
  double total_us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  std::printf("{\"bench\":\"%s\",\"build\":\"native\",\"iterations\":%d,\"us_per_op\":%.3f,"
              "\"sink\":%zu}\n",
              name, iterations, total_us / iterations, sink % 10);
}

const char* kOverloaded =
    R"({"provider":"anthropic","model":"claude-haiku-5-5","region":"enam","scheduled_ms":1796300040000,)"
    R"("started_ms":1796300040001,"timeout_ms":3000,"outcome":{"status":529,"headers":)"
    R"({"content-type":"application/json","request-id":"req_1"},"body":"{\"type\":\"error\",)"
    R"(\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}","ms_to_headers":90,)"
    R"("ms_total":95}})";

const char* kSuccess =
    R"({"provider":"openai","model":"gpt-6-luna","region":"enam","scheduled_ms":1796300040000,)"
    R"("started_ms":1796300040001,"timeout_ms":3000,"outcome":{"status":200,"headers":)"
    R"({"content-type":"application/json","x-request-id":"req_2"},"body":"{\"id\":\"chatcmpl-1\",)"
    R"(\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",)"
    R"(\"content\":\"\"},\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":8,)"
    R"(\"completion_tokens\":1}}","ms_to_headers":180,"ms_total":181}})";

}  // namespace

int main() {
  measure("classify_success", 200000, [] { return heyhi::api_classify(kSuccess); });
  measure("classify_overloaded", 200000, [] { return heyhi::api_classify(kOverloaded); });
  std::string config = R"({"scheduled_ms":1796300040000,"config":{"targets":[)";
  for (int i = 0; i < 18; ++i) {
    config += (i ? "," : "") + std::string(R"({"provider":"openai","model":"m)") +
              std::to_string(i) + R"(","cadence_min":1})";
  }
  config += "]}}";
  measure("plan_18_targets", 20000, [&] { return heyhi::api_plan(config); });
  return 0;
}
