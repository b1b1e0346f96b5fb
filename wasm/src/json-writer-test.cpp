#include "json-writer.h"

#include <doctest/doctest.h>

#include "json-read.h"

using namespace heyhi;

TEST_SUITE("json writer") {
  TEST_CASE("control characters, quotes and backslashes are escaped") {
    std::string out;
    append_json_string(out, std::string("a\"b\\c\n\x01", 7));
    CHECK(out == R"("a\"b\\c\n\u0001")");
  }

  TEST_CASE("nested output parses back") {
    JsonWriter w;
    w.begin_object().field("n", int64_t{-5}).field("x", 0.25).field("b", false);
    w.key("list").begin_array().value("s").null().begin_object().end_object().end_array();
    w.field("missing", std::optional<int64_t>{}).field("nan", 0.0 / 0.0).end_object();
    CHECK(w.str() ==
          R"({"n":-5,"x":0.25,"b":false,"list":["s",null,{}],"missing":null,"nan":null})");
    Document doc;
    CHECK(doc.parse(w.str()) == simdjson::SUCCESS);
  }

  TEST_CASE("64-bit integers keep their value on 32-bit targets") {
    JsonWriter w;
    w.value(int64_t{1796300040123});
    CHECK(w.str() == "1796300040123");
  }
}
