// The alerts HeyHi's current rules would have sent over rows exported from a store.
//   backtest FILE [--config PATH] [--regions a,b] [--assume-operational]
// FILE is JSON (an array of llm_checks rows, or `wrangler d1 execute --json` output) or CSV
// with a header line. Exits 1 on bad input, naming the line or row and the field, 2 on bad
// arguments.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "detection/backtest.h"
#include "detection/files.h"
#include "detection/row-input.h"

using namespace heyhi;
using namespace heyhi::detection;

namespace {

constexpr const char* kUsage =
    "usage: backtest FILE [--config PATH] [--regions a,b] [--assume-operational]\n";

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

struct Arguments {
  std::string file;
  std::string config;
  BacktestOptions options;
};

bool parse_arguments(int argc, char** argv, Arguments& args) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--config" && has_value) {
      args.config = argv[++i];
    } else if (arg == "--regions" && has_value) {
      args.options.regions = split_list(argv[++i]);
      if (args.options.regions.empty()) return false;
    } else if (arg == "--assume-operational") {
      args.options.assume_operational = true;
    } else if (!arg.empty() && arg[0] != '-' && args.file.empty()) {
      args.file = std::string(arg);
    } else {
      return false;
    }
  }
  return !args.file.empty();
}

}  // namespace

int main(int argc, char** argv) {
  Arguments args;
  if (!parse_arguments(argc, argv, args)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  auto config = load_config(args.config);
  if (!config.ok()) {
    fmt::print(stderr, "backtest: {}\n", config.error());
    return 1;
  }
  auto text = read_file(args.file);
  if (!text) {
    fmt::print(stderr, "backtest: cannot read {}\n", args.file);
    return 1;
  }
  auto rows = read_exported_rows(*text);
  if (!rows.ok()) {
    fmt::print(stderr, "backtest: {}: {}: {}\n", args.file, rows.error().field,
               rows.error().message);
    return 1;
  }
  Backtest result = run_backtest(std::move(rows).value(), config.value(), args.options);
  if (result.refused) {
    fmt::print(stderr, "backtest: {}: {}\n", args.file, *result.refused);
    return 1;
  }
  std::fputs(format_backtest(result, args.options).c_str(), stdout);
  return 0;
}
