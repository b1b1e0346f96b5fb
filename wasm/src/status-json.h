// Small helpers the JSON status adapters share: lenient reads of optional fields, and the one
// error every adapter gives for a body that is not the shape it knows.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "json-read.h"
#include "result.h"

namespace heyhi {

inline std::string text_or(element object, std::string_view key, std::string_view fallback = "") {
  return std::string(string_at(object, key).value_or(fallback));
}

// An array member, or absent when missing or of another type.
inline std::optional<element> array_at(element object, std::string_view key) {
  auto found = member(object, key);
  if (!found || !found->is_array()) return std::nullopt;
  return found;
}

std::optional<int64_t> time_at(element object, std::string_view key);

inline Error structure_changed(std::string what) {
  return Error{"body", what + ": the page's structure changed"};
}

// Lowercase ASCII copy, for case-insensitive matching.
std::string ascii_lower(std::string_view text);

}  // namespace heyhi
