// CPU cost of the core's work per probe, natively: classifying a response and planning a
// minute. Prints one JSON object per measurement.
//   core_bench            measure every case
//   core_bench --inputs   print every case's input document instead, so the WebAssembly
//                         benchmark (scripts/lib/bench-core.ts) runs the very same inputs
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "api.h"
#include "time-format.h"

namespace {

using Clock = std::chrono::steady_clock;

struct BenchCase {
  const char* name;
  int iterations;
  std::string (*run)(std::string_view);
  std::string input;
};

void measure(const BenchCase& bench) {
  size_t sink = 0;
  for (int i = 0; i < bench.iterations / 10; ++i) sink += bench.run(bench.input).size();  // warm up
  auto start = Clock::now();
  for (int i = 0; i < bench.iterations; ++i) sink += bench.run(bench.input).size();
  double total_us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  std::printf("{\"bench\":\"%s\",\"build\":\"native\",\"iterations\":%d,\"us_per_op\":%.3f,"
              "\"sink\":%zu}\n",
              bench.name, bench.iterations, total_us / bench.iterations, sink % 10);
}

// The input is a JSON document already, so it goes into the line as it is.
void print_input(const BenchCase& bench) {
  std::printf("{\"bench\":\"%s\",\"iterations\":%d,\"input\":%s}\n", bench.name,
              bench.iterations, bench.input.c_str());
}

const char* kOverloaded =
    R"({"provider":"anthropic","model":"claude-haiku-5-5","region":"enam",)"
    R"("scheduled_ms":1796300040000,"started_ms":1796300040001,"timeout_ms":3000,)"
    R"("outcome":{"status":529,"headers":{"content-type":"application/json",)"
    R"("request-id":"req_1"},"body":"{\"type\":\"error\",\"error\":)"
    R"({\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}",)"
    R"("ms_to_headers":90,"ms_total":95}})";

const char* kSuccess =
    R"({"provider":"openai","model":"gpt-6-luna","region":"enam",)"
    R"("scheduled_ms":1796300040000,"started_ms":1796300040001,"timeout_ms":3000,)"
    R"("outcome":{"status":200,"headers":{"content-type":"application/json",)"
    R"("x-request-id":"req_2"},"body":"{\"id\":\"chatcmpl-1\",)"
    R"(\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":)"
    R"({\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":\"length\"}],)"
    R"(\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":1}}",)"
    R"("ms_to_headers":180,"ms_total":181}})";

std::string plan_input(int targets) {
  std::string config = R"({"scheduled_ms":1796300040000,"config":{"targets":[)";
  for (int i = 0; i < targets; ++i) {
    config += (i ? "," : "") + std::string(R"({"provider":"openai","model":"m)") +
              std::to_string(i) + R"(","cadence_min":1})";
  }
  return config + "]}}";
}

// One minute's alert evaluation as the scheduled handler makes it, and as a replay of a month
// makes 43 200 of them: 18 targets probed every minute from 3 regions, the rules' 13-minute
// lookback of rows, the hour's baselines given.
std::string evaluate_input() {
  constexpr int kTargets = 18;
  constexpr int kMinutes = 13;
  constexpr int64_t kNow = 1796300040000;
  std::string config = R"({"regions":["enam","weur","apac"],"targets":[)";
  std::string baselines;
  for (int i = 0; i < kTargets; ++i) {
    config += fmt::format(R"({}{{"provider":"openai","model":"m{}","cadence_min":1}})",
                          i ? "," : "", i);
    baselines += fmt::format(R"({}"openai/m{}":{})", i ? "," : "", i, 400 + i);
  }
  std::string rows;
  for (int m = 0; m < kMinutes; ++m) {
    std::string at = heyhi::iso_utc_minute(kNow - m * 60000);
    for (int i = 0; i < kTargets; ++i) {
      for (const char* region : {"enam", "weur", "apac"}) {
        rows += fmt::format(
            R"({}{{"scheduled_at":"{}","ts":"{}","region":"{}","colo":null,)"
            R"("provider":"openai","model":"m{}","ok":true,"http_status":200,)"
            R"("error_type":null,"attribution":null,"latency_ms":{},"ttfb_ms":null,)"
            R"("tokens_in":8,"tokens_out":1,"request_id":null,"detail":null}})",
            rows.empty() ? "" : ",", at, at, region, i, 300 + (m * 7 + i) % 90);
      }
    }
  }
  return fmt::format(R"({{"config":{}]}},"now_ms":{},"rows":[{}],"open_alerts":[],)"
                     R"("official":{{}},"baselines":{{{}}}}})",
                     config, kNow, rows, baselines);
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<BenchCase> cases = {
      {"classify_success", 200000, heyhi::api_classify, kSuccess},
      {"classify_overloaded", 200000, heyhi::api_classify, kOverloaded},
      {"plan_18_targets", 20000, heyhi::api_plan, plan_input(18)},
      {"evaluate_minute_18_targets", 2000, heyhi::api_evaluate, evaluate_input()},
  };
  bool inputs = argc == 2 && std::string_view(argv[1]) == "--inputs";
  if (argc > 1 && !inputs) {
    std::fprintf(stderr, "usage: core_bench [--inputs]\n");
    return 2;
  }
  for (const BenchCase& bench : cases) inputs ? print_input(bench) : measure(bench);
  return 0;
}
