#include "scrub.h"

#include <doctest/doctest.h>

using namespace heyhi;

TEST_SUITE("scrub") {
  TEST_CASE("known key shapes are redacted") {
    const char* keys[] = {
        "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
        "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe",
        "sk-abc***************wxyz",
        "AIzaSyD3x4mpl3K3yF0rT3st1ngPurp0s3s",
        "xai-AbCdEf0123456789GhIjKl",
        "Rq5Po4Nm3Lk2Ji1Hg0FeZx9Yw8Vu7Ts6",  // 32 mixed letters and digits, no prefix
        "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJl",
    };
    for (const char* key : keys) {
      CAPTURE(key);
      std::string scrubbed = scrub_secrets(std::string("key was ") + key + ", retry");
      CHECK(scrubbed == "key was [redacted], retry");
    }
  }

  TEST_CASE("bearer tokens are redacted but prose about bearer auth is kept") {
    CHECK(scrub_secrets("Authorization: Bearer abc123def") == "Authorization: Bearer [redacted]");
    CHECK(scrub_secrets("missing bearer authentication") == "missing bearer authentication");
  }

  TEST_CASE("model names, dates and ordinary words survive") {
    const char* text = "model: claude-sonnet-4-5-20250929 at 2026-12-03T12:00:00Z is overloaded";
    CHECK(scrub_secrets(text) == text);
    CHECK(scrub_secrets("gemini-3.8-flash:generateContent") == "gemini-3.8-flash:generateContent");
  }

  TEST_CASE("short_detail collapses whitespace and cuts on a character boundary") {
    CHECK(short_detail("  a\n\n b\t c  ") == "a b c");
    std::string accents;
    for (int i = 0; i < 150; ++i) accents += "\xC3\xA9";  // é, two bytes each
    std::string cut = short_detail(accents);
    CHECK(cut.size() == 200);
    std::string odd = "x" + accents;
    CHECK(short_detail(odd).size() == 199);
  }
}
