// The alerts HeyHi's current rules would have sent over rows exported from a store.
//   backtest FILE [--config PATH] [--regions a,b] [--assume-operational]
// FILE is JSON (an array of llm_checks rows, or `wrangler d1 execute --json` output) or CSV
// with a header line. Exits 1 on bad input, naming the line or row and the field, 2 on bad
// arguments.
#include <cstdio>
#include <optional>
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

struct Arguments {
  std::string file;
  std::string config;
  BacktestOptions options;
};

// Bad arguments come back as an error; one without a message means the usage was not followed.
std::optional<Error> parse_arguments(int argc, char** argv, Arguments& args) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--config" && has_value) {
      args.config = argv[++i];
    } else if (arg == "--regions" && has_value) {
      auto regions = read_regions(argv[++i]);
      if (!regions.ok()) return regions.error();
      args.options.regions = std::move(regions).value();
    } else if (arg == "--assume-operational") {
      args.options.assume_operational = true;
    } else if (!arg.empty() && arg[0] != '-' && args.file.empty()) {
      args.file = std::string(arg);
    } else {
      return Error{};
    }
  }
  if (args.file.empty()) return Error{};
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  Arguments args;
  if (auto bad = parse_arguments(argc, argv, args)) {
    if (bad->message.empty()) {
      std::fputs(kUsage, stderr);
    } else {
      fmt::print(stderr, "backtest: {}: {}\n", bad->field, bad->message);
    }
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
    // An error about the whole file has no field.
    const Error& error = rows.error();
    fmt::print(stderr, "backtest: {}: {}{}{}\n", args.file, error.field,
               error.field.empty() ? "" : ": ", error.message);
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
