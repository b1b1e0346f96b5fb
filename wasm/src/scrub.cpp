#include "scrub.h"

#include <array>

#include "json-writer.h"

namespace heyhi {
namespace {

constexpr std::array<std::string_view, 9> kKeyPrefixes = {"sk-", "sk_", "xai-",  "AIza", "gsk_",
                                                          "rk-", "pk-", "ya29.", "eyJ"};

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '*' || c == '+' || c == '/' || c == '=';
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A random-looking credential: a run of 24 or more letters and digits with both kinds in
// it. Model names and dates split into short runs at their dashes and stay readable.
bool has_long_mixed_run(std::string_view token) {
  size_t run = 0;
  bool letter = false, digit = false;
  for (size_t i = 0; i <= token.size(); ++i) {
    char c = i < token.size() ? token[i] : ' ';
    if (is_alnum(c)) {
      ++run;
      (c >= '0' && c <= '9' ? digit : letter) = true;
      continue;
    }
    if (run >= 24 && letter && digit) return true;
    run = 0;
    letter = digit = false;
  }
  return false;
}

bool is_key_like(std::string_view token) {
  for (auto prefix : kKeyPrefixes) {
    if (token.size() > prefix.size() + 2 && token.substr(0, prefix.size()) == prefix) return true;
  }
  return has_long_mixed_run(token);
}

bool ends_with_bearer(const std::string& out) {
  constexpr std::string_view bearer = "bearer ";
  if (out.size() < bearer.size()) return false;
  for (size_t i = 0; i < bearer.size(); ++i) {
    char c = out[out.size() - bearer.size() + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != bearer[i]) return false;
  }
  return true;
}

// "bearer authentication" is prose; "Bearer abc123" is a credential.
bool is_plain_word(std::string_view token) {
  for (char c : token) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}

}  // namespace

std::string scrub_secrets(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (!is_token_char(text[i])) {
      out += text[i++];
      continue;
    }
    size_t end = i;
    while (end < text.size() && is_token_char(text[end])) ++end;
    std::string_view token = text.substr(i, end - i);
    bool after_bearer = ends_with_bearer(out) && !is_plain_word(token);
    out += (is_key_like(token) || after_bearer) ? kRedacted : token;
    i = end;
  }
  return out;
}

std::string short_detail(std::string_view text) {
  std::string collapsed;
  collapsed.reserve(text.size());
  bool in_space = false;
  for (char c : text) {
    bool space = c == ' ' || c == '\n' || c == '\r' || c == '\t';
    if (space && (in_space || collapsed.empty())) continue;
    collapsed += space ? ' ' : c;
    in_space = space;
  }
  while (!collapsed.empty() && collapsed.back() == ' ') collapsed.pop_back();
  std::string scrubbed = scrub_secrets(collapsed);
  return std::string(utf8_prefix(scrubbed, kMaxDetailBytes));
}

}  // namespace heyhi
