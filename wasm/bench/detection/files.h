// Reading the inputs the command-line tools take: whole files and configurations.
#pragma once

#include <optional>
#include <string>

#include "config.h"
#include "result.h"

namespace heyhi::detection {

// The whole file, or absent when it cannot be read.
std::optional<std::string> read_file(const std::string& path);

// The configuration at `path` (the embedded default when empty), with every validation error
// in the message.
Result<Config, std::string> load_config(const std::string& path);

// The path of the default configuration, built in at compile time.
std::string default_config_path();

}  // namespace heyhi::detection
