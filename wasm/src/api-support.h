// What every JSON export shares: error answers and the configuration embedded in a request.
#pragma once

#include <string>
#include <vector>

#include "config.h"
#include "json-read.h"
#include "result.h"

namespace heyhi {

std::string errors_answer(const std::vector<Error>& errors);
std::string error_answer(std::string field, std::string message);

// The configuration travels inside the request document as "config"; re-serialising it lets
// parse_config own every rule about it. Errors name their fields under "config.".
Result<Config, std::vector<Error>> embedded_config(element root);

}  // namespace heyhi
