// A small JSON text builder. The core answers every call with one JSON document, and
// simdjson only reads, so output goes through here: commas, escaping and number rendering
// in one place.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace heyhi {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);

  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  JsonWriter& value(int64_t number);
  JsonWriter& value(int number) { return value(static_cast<int64_t>(number)); }
  JsonWriter& value(double number);
  JsonWriter& value(bool flag);
  JsonWriter& null();
  // An already-serialised JSON document, inserted as one value.
  JsonWriter& raw(std::string_view json);

  template <typename T>
  JsonWriter& value(const std::optional<T>& maybe) {
    return maybe ? value(*maybe) : null();
  }

  template <typename T>
  JsonWriter& field(std::string_view name, const T& v) {
    key(name);
    return value(v);
  }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void before_value();

  std::string out_;
  bool need_comma_ = false;
};

// Appends `text` to `out` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view text);

// The longest prefix of `text` no longer than `max_bytes` that ends on a UTF-8 boundary.
std::string_view utf8_prefix(std::string_view text, size_t max_bytes);

}  // namespace heyhi
