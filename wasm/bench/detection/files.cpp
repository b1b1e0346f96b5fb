#include "detection/files.h"

#include <cstdio>

#include <fmt/format.h>

namespace heyhi::detection {

std::optional<std::string> read_file(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return std::nullopt;
  std::string text;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return std::nullopt;
  return text;
}

std::string default_config_path() { return HEYHI_DEFAULT_CONFIG; }

Result<Config, std::string> load_config(const std::string& path) {
  std::string where = path.empty() ? default_config_path() : path;
  auto text = read_file(where);
  if (!text) return fmt::format("cannot read the configuration {}", where);
  auto parsed = parse_config(*text);
  if (!parsed.ok()) {
    std::string message = fmt::format("the configuration {} is not valid:", where);
    for (const Error& e : parsed.error()) {
      message += fmt::format("\n  {}: {}", e.field.empty() ? "(document)" : e.field, e.message);
    }
    return message;
  }
  return std::move(parsed).value();
}

}  // namespace heyhi::detection
