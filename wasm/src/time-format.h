// UTC timestamps for rows. The core keeps no clock: every instant arrives as milliseconds
// since the Unix epoch from the shim, and leaves as ISO 8601 text with a `Z`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace heyhi {

// "2026-12-03T12:34:56.789Z"
std::string iso_utc_millis(int64_t epoch_ms);
// "2026-12-03T12:34:00Z", the minute containing `epoch_ms`.
std::string iso_utc_minute(int64_t epoch_ms);
// The minute containing `epoch_ms`, counted from the epoch; floors for instants before 1970.
int64_t epoch_minute(int64_t epoch_ms);

// Epoch milliseconds of "YYYY-MM-DDTHH:MM[:SS[.fff]]" with "Z" or an offset (+HH, +HH:MM or
// +HHMM), the forms the stores give back in any session time zone; anything else is absent.
std::optional<int64_t> parse_iso_utc(std::string_view text);

}  // namespace heyhi
