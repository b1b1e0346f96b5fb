// Results as values: the core never throws, so every operation that can fail on bad input
// returns either its value or an Error that says what was wrong and where.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace heyhi {

struct Error {
  std::string field;    // dotted path of the offending input, e.g. "targets[2].cadence_min"
  std::string message;  // lowercase, short, says what would be valid
};

template <typename T, typename E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(E error) : state_(std::move(error)) {}

  bool ok() const { return std::holds_alternative<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T& value() & { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  const E& error() const { return std::get<E>(state_); }

 private:
  std::variant<T, E> state_;
};

}  // namespace heyhi
