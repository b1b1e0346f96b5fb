// Arbitrary bytes as a configuration document, and as the plan and insert-body inputs that
// embed configuration and rows. Every answer must be a JSON object, never a crash.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api.h"
#include "config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = heyhi::parse_config(text);
  if (!parsed.ok() && parsed.error().empty()) std::abort();
  for (const std::string& answer : {heyhi::api_validate_config(text), heyhi::api_plan(text),
                                    heyhi::api_insert_body(text), heyhi::api_summarize(text)}) {
    if (answer.empty() || answer.front() != '{') std::abort();
  }
  return 0;
}
