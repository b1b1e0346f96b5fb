// Lenient accessors over simdjson's DOM. Provider bodies and configuration arrive in many
// shapes; each accessor answers "absent" for a missing key or a value of another type, so
// callers decide what absence means instead of failing on it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "simdjson.h"

namespace heyhi {

using simdjson::dom::element;

std::optional<element> member(element object, std::string_view key);
std::optional<std::string_view> string_at(element object, std::string_view key);
std::optional<int64_t> int_at(element object, std::string_view key);
std::optional<bool> bool_at(element object, std::string_view key);
std::optional<int64_t> as_int(element value);

// The same lookups one level down, where the parent object may itself be absent.
std::optional<element> member(std::optional<element> object, std::string_view key);
std::optional<int64_t> int_at(std::optional<element> object, std::string_view key);
bool is_object(element value);

// Iteration without exceptions needs the container unwrapped first. The caller has checked
// is_array() or is_object(): a value of another kind would iterate an empty tape.
simdjson::dom::array items(element array);
simdjson::dom::object fields(element object);
bool is_array(element value);

// A parser with its own buffer: each document the core reads at once needs its own, since
// parsing again invalidates every element of the previous document.
class Document {
 public:
  // Parses a copy of `text`, so the caller's buffer needs no padding.
  simdjson::error_code parse(std::string_view text);
  element root() const { return root_; }

 private:
  simdjson::dom::parser parser_;
  element root_;
};

}  // namespace heyhi
