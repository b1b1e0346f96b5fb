#include "json-read.h"

#include <cmath>

namespace heyhi {

std::optional<element> member(element object, std::string_view key) {
  if (!object.is_object()) return std::nullopt;
  element found;
  if (object.get_object().at_key(key).get(found) != simdjson::SUCCESS) return std::nullopt;
  return found;
}

std::optional<std::string_view> string_at(element object, std::string_view key) {
  auto found = member(object, key);
  if (!found || !found->is_string()) return std::nullopt;
  std::string_view text;
  if (found->get_string().get(text) != simdjson::SUCCESS) return std::nullopt;
  return text;
}

std::optional<int64_t> as_int(element value) {
  int64_t signed_value;
  if (value.get_int64().get(signed_value) == simdjson::SUCCESS) return signed_value;
  // Some providers send counts as 12.0; accept a double only when it is a whole number.
  double real;
  if (value.get_double().get(real) == simdjson::SUCCESS && std::isfinite(real) &&
      std::floor(real) == real && std::fabs(real) < 9.0e15) {
    return static_cast<int64_t>(real);
  }
  return std::nullopt;
}

std::optional<int64_t> int_at(element object, std::string_view key) {
  auto found = member(object, key);
  if (!found) return std::nullopt;
  return as_int(*found);
}

std::optional<bool> bool_at(element object, std::string_view key) {
  auto found = member(object, key);
  if (!found || !found->is_bool()) return std::nullopt;
  bool flag = false;
  if (found->get_bool().get(flag) != simdjson::SUCCESS) return std::nullopt;
  return flag;
}

std::optional<element> member(std::optional<element> object, std::string_view key) {
  return object ? member(*object, key) : std::nullopt;
}

std::optional<int64_t> int_at(std::optional<element> object, std::string_view key) {
  return object ? int_at(*object, key) : std::nullopt;
}

simdjson::dom::array items(element array) {
  simdjson::dom::array out;
  auto error = array.get_array().get(out);
  (void)error;
  return out;
}

simdjson::dom::object fields(element object) {
  simdjson::dom::object out;
  auto error = object.get_object().get(out);
  (void)error;
  return out;
}

bool is_object(element value) { return value.is_object(); }
bool is_array(element value) { return value.is_array(); }

simdjson::error_code Document::parse(std::string_view text) {
  return parser_.parse(text.data(), text.size(), true).get(root_);
}

}  // namespace heyhi
