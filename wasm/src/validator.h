// Collects every problem in a configuration document, each with the dotted path of its
// field, so one start-up names them all. Shared by the parsers of each configuration section.
#pragma once

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "json-read.h"
#include "result.h"

namespace heyhi {

template <size_t N>
bool contains(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Keys starting with "_" or "$" are the configuration's own comments and schema links.
inline bool is_annotation(std::string_view key) {
  return !key.empty() && (key[0] == '_' || key[0] == '$');
}

// Every key given twice in `value` or below it (comments aside), as an error at its path
// under `path`: this parser reads the first, JSON.parse and jq the last, so the same document
// would mean two things.
void find_duplicate_keys(element value, const std::string& path, std::vector<Error>& out);

inline std::string join_names(const std::string_view* begin, const std::string_view* end) {
  std::string out;
  for (auto it = begin; it != end; ++it) {
    if (!out.empty()) out += ", ";
    out += *it;
  }
  return out;
}

inline std::string field_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

class Validator {
 public:
  void fail(std::string field, std::string message) {
    errors_.push_back({std::move(field), std::move(message)});
  }
  bool clean() const { return errors_.empty(); }
  std::vector<Error> take() { return std::move(errors_); }

  template <size_t N>
  void reject_unknown_keys(element object, const std::string& path,
                           const std::array<std::string_view, N>& known) {
    for (auto [key, value] : fields(object)) {
      (void)value;
      if (contains(known, key) || is_annotation(key)) continue;
      fail(field_path(path, key), fmt::format("unknown field; expected one of: {}",
                                              join_names(known.data(), known.data() + N)));
    }
  }

  // An object member, or absent; a member of another type is an error.
  std::optional<element> object_at(element parent, const std::string& path, std::string_view key) {
    auto found = member(parent, key);
    if (!found) return std::nullopt;
    if (!found->is_object()) {
      fail(field_path(path, key), "must be an object");
      return std::nullopt;
    }
    return found;
  }

  std::optional<int> int_in(element object, const std::string& path, std::string_view key, int lo,
                            int hi) {
    auto found = member(object, key);
    if (!found) return std::nullopt;
    auto number = as_int(*found);
    if (!number || *number < lo || *number > hi) {
      fail(field_path(path, key), fmt::format("must be a whole number from {} to {}", lo, hi));
      return std::nullopt;
    }
    return static_cast<int>(*number);
  }

  std::optional<double> fraction(element object, const std::string& path, std::string_view key) {
    auto found = member(object, key);
    if (!found) return std::nullopt;
    double number;
    if (found->get_double().get(number) != simdjson::SUCCESS || !(number > 0 && number <= 1)) {
      fail(field_path(path, key), "must be a fraction above 0 and at most 1, e.g. 0.2 for 20 %");
      return std::nullopt;
    }
    return number;
  }

 private:
  std::vector<Error> errors_;
};

}  // namespace heyhi
