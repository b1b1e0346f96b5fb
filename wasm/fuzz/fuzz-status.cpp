// Arbitrary bytes as a status page body for every adapter, with and without a previous
// reading, and as the status exports' own inputs. Every fetch must end in one of the states,
// and every answer must be a JSON object, never a crash.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api.h"
#include "config.h"
#include "status-state.h"
#include "xml-scan.h"

namespace {

const heyhi::Config& fuzz_config() {
  static const heyhi::Config config = [] {
    auto parsed = heyhi::parse_config(
        R"({"targets":[{"provider":"openai","model":"m"}],"status":{"sources":[)"
        R"({"id":"sp","provider":"anthropic","format":"statuspage","url":"https://a.example/s",)"
        R"("components":["k8w3r06qmzrp"]},)"
        R"({"id":"io","provider":"openai","format":"incidentio","url":"https://b.example/s"},)"
        R"({"id":"gc","provider":"gemini","format":"google_cloud","url":"https://c.example/i",)"
        R"("components":["Z0FZJAMvEB4j3NbCJs6B"]},)"
        R"({"id":"as","provider":"gemini","format":"aistudio","url":"https://d.example/r",)"
        R"("components":["1"]},)"
        R"({"id":"fd","provider":"xai","format":"feed","url":"https://e.example/f","match":["api"]},)"
        R"({"id":"in","provider":"mistral","format":"instatus","url":"https://f.example/s"}]}})");
    if (!parsed.ok()) std::abort();
    return parsed.value();
  }();
  return config;
}

bool known_state(const std::string& state) {
  return state == "events" || state == "empty" || state == "failed" || state == "not_modified";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  heyhi::FetchOutcome outcome;
  outcome.status = 200;
  outcome.body = text;
  for (const heyhi::StatusSource& source : fuzz_config().status.sources) {
    heyhi::FetchResult first = heyhi::apply_fetch(source, nullptr, outcome, 1796299200000);
    heyhi::FetchResult second = heyhi::apply_fetch(source, &first.next, outcome, 1796299200000);
    if (!known_state(first.state) || !known_state(second.state)) std::abort();
    // The same page twice stores nothing the second time.
    if (first.state != "failed" && !second.events.empty()) std::abort();
  }
  (void)heyhi::parse_xml(text);
  for (const std::string& answer : {heyhi::api_parse_status(text), heyhi::api_status_plan(text),
                                    heyhi::api_status_lag(text)}) {
    if (answer.empty() || answer.front() != '{') std::abort();
  }
  return 0;
}
