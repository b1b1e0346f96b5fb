// Feeds arbitrary bytes to the classifier two ways: as a provider's response body under
// every status class, and as the whole JSON document the shim sends. Neither may crash, and
// every row must be internally consistent.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api.h"
#include "classify.h"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const int statuses[] = {200, 301, 400, 401, 403, 404, 408, 422, 429, 500, 502, 503, 529};
  auto provider = static_cast<heyhi::Provider>(data[0] % 6);
  int status = statuses[(data[0] / 6) % 13];

  heyhi::ProbeContext context;
  context.provider = provider;
  context.model = "m";
  context.region = "enam";
  heyhi::Outcome outcome;
  outcome.status = status;
  outcome.body = body;
  outcome.headers.emplace_back("content-type", data[0] & 1 ? "text/html" : "application/json");
  heyhi::Row row = heyhi::classify(context, outcome);
  require(row.ok != row.error_type.has_value());
  require(!row.detail || row.detail->size() <= 200);

  std::string answer = heyhi::api_classify(body);
  require(!answer.empty() && answer.front() == '{');
  return 0;
}
