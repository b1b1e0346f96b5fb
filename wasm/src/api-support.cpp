#include "api-support.h"

#include "json-writer.h"

namespace heyhi {

std::string errors_answer(const std::vector<Error>& errors) {
  JsonWriter w;
  w.begin_object().field("ok", false).key("errors").begin_array();
  for (const Error& e : errors) {
    w.begin_object().field("field", e.field).field("message", e.message).end_object();
  }
  return w.end_array().end_object().take();
}

std::string error_answer(std::string field, std::string message) {
  return errors_answer({{std::move(field), std::move(message)}});
}

Result<Config, std::vector<Error>> embedded_config(element root) {
  auto config = member(root, "config");
  if (!config) return std::vector<Error>{{"config", "is required"}};
  std::string text = simdjson::minify(*config);
  auto parsed = parse_config(text);
  if (parsed.ok()) return parsed;
  std::vector<Error> errors = parsed.error();
  for (Error& e : errors) e.field = e.field.empty() ? "config" : "config." + e.field;
  return errors;
}

}  // namespace heyhi
