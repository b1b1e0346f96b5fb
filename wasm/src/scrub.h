// Error text from providers can quote the credential that was sent (OpenAI's 401 shows a
// masked key, proxies echo headers). Everything the core stores or shows passes through
// here first.
#pragma once

#include <string>
#include <string_view>

namespace heyhi {

inline constexpr std::string_view kRedacted = "[redacted]";
inline constexpr size_t kMaxDetailBytes = 200;

// Replaces anything that looks like a credential with "[redacted]": known key prefixes,
// bearer tokens, and long runs of mixed letters and digits.
std::string scrub_secrets(std::string_view text);

// Scrubbed, whitespace collapsed, and cut to at most kMaxDetailBytes on a UTF-8 boundary.
std::string short_detail(std::string_view text);

}  // namespace heyhi
