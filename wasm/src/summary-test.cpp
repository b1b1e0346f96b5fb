#include "summary.h"

#include <doctest/doctest.h>

using namespace heyhi;

namespace {

Row row(std::string model, bool ok, int64_t latency, std::optional<ErrorType> type = {}) {
  Row r;
  r.provider = "openai";
  r.model = std::move(model);
  r.ok = ok;
  r.latency_ms = latency;
  r.error_type = type;
  return r;
}

}  // namespace

TEST_SUITE("summary") {
  TEST_CASE("nearest-rank percentiles have defined answers for edge cases") {
    CHECK_FALSE(nearest_rank({}, 0.5).has_value());
    CHECK(nearest_rank({42}, 0.5) == 42);
    CHECK(nearest_rank({42}, 0.95) == 42);
    CHECK(nearest_rank({7, 7, 7, 7}, 0.5) == 7);
    CHECK(nearest_rank({1, 2, 3, 4}, 0.5) == 2);
    CHECK(nearest_rank({1, 2, 3, 4}, 0.0) == 1);
    CHECK(nearest_rank({1, 2, 3, 4}, 1.0) == 4);
    std::vector<int64_t> hundred;
    for (int i = 1; i <= 100; ++i) hundred.push_back(i);
    CHECK(nearest_rank(hundred, 0.95) == 95);
    CHECK(nearest_rank(hundred, 0.50) == 50);
  }

  TEST_CASE("failures are counted by type and excluded from latency") {
    std::vector<Row> rows = {
        row("a", true, 100), row("a", true, 300), row("a", false, 3000, ErrorType::timeout),
        row("a", false, 20, ErrorType::rate_limited), row("b", false, 5, ErrorType::auth)};
    auto out = summarize(rows);
    REQUIRE(out.size() == 2);
    CHECK(out[0].model == "a");
    CHECK(out[0].probes == 4);
    CHECK(out[0].failures == 2);
    CHECK(out[0].by_error_type["timeout"] == 1);
    CHECK(out[0].by_error_type["rate_limited"] == 1);
    CHECK(out[0].p50_ms == 100);
    CHECK(out[0].p95_ms == 300);
    CHECK(out[1].probes == 1);
    CHECK_FALSE(out[1].p50_ms.has_value());
  }
}
