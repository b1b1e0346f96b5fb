#include "status-config.h"

#include <algorithm>
#include <array>
#include <set>

#include <fmt/format.h>

#include "config.h"
#include "validator.h"

namespace heyhi {
namespace {

constexpr std::array<std::string_view, 6> kFormatNames = {
    "statuspage", "incidentio", "google_cloud", "aistudio", "feed", "instatus"};

constexpr std::array<std::string_view, 6> kSettingsKeys = {
    "cadence_min", "timeout_ms", "max_subrequests", "max_body_kb", "sources", "description"};

constexpr std::array<std::string_view, 17> kSourceKeys = {
    "id",      "provider", "format", "url",        "page",       "components",
    "match",   "method",   "body",   "headers",    "auth",       "cadence_min",
    "enabled", "source",   "note",   "checked_on", "description"};

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool is_secret_char(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

bool is_web_url(std::string_view text) {
  return text.size() <= 2048 && (text.rfind("https://", 0) == 0 || text.rfind("http://", 0) == 0) &&
         text.find_first_of(" \t\r\n") == std::string_view::npos;
}

// A header name is a token; the value must not smuggle a second header in.
bool is_header_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> string_list(element item, const std::string& path, std::string_view key,
                                     Validator& v, bool lowercase) {
  std::vector<std::string> out;
  auto list = member(item, key);
  if (!list) return out;
  std::string at = field_path(path, key);
  if (!list->is_array() || items(*list).size() > 50) {
    v.fail(at, "must be an array of at most 50 strings");
    return out;
  }
  for (element entry : items(*list)) {
    std::string_view text;
    if (entry.get_string().get(text) != simdjson::SUCCESS || text.empty() || text.size() > 128) {
      v.fail(at, "must list strings of 1 to 128 bytes");
      continue;
    }
    out.push_back(lowercase ? lower(text) : std::string(text));
  }
  return out;
}

void parse_identity(element item, const std::string& path, Validator& v, StatusSource& s) {
  auto id = string_at(item, "id");
  if (!id || id->empty() || id->size() > 64 || !std::all_of(id->begin(), id->end(), is_id_char)) {
    v.fail(path + ".id", "must be 1 to 64 lowercase letters, digits, - and _");
  } else {
    s.id = std::string(*id);
  }
  auto provider = string_at(item, "provider");
  if (!provider || !provider_from_name(*provider)) {
    v.fail(path + ".provider", "must be a provider name such as \"openai\"");
  } else {
    s.provider = std::string(*provider);
  }
  auto format = string_at(item, "format");
  auto parsed = format ? status_format_from_name(*format) : std::nullopt;
  if (!parsed) {
    v.fail(path + ".format", fmt::format("must be one of: {}",
                                         join_names(kFormatNames.data(), kFormatNames.data() + 6)));
  } else {
    s.format = *parsed;
  }
  auto url = string_at(item, "url");
  if (!url || !is_web_url(*url)) {
    v.fail(path + ".url", "must be an http:// or https:// URL");
  } else {
    s.url = std::string(*url);
  }
  if (auto page = member(item, "page")) {
    auto text = string_at(item, "page");
    if (!text || !is_web_url(*text)) {
      v.fail(path + ".page", "must be an http:// or https:// URL");
    } else {
      s.page = std::string(*text);
    }
  }
}

void parse_request(element item, const std::string& path, Validator& v, StatusSource& s) {
  if (auto method = member(item, "method")) {
    auto text = string_at(item, "method");
    if (!text || (*text != "GET" && *text != "POST")) {
      v.fail(path + ".method", "must be GET or POST");
    } else {
      s.method = std::string(*text);
    }
  }
  if (auto body = member(item, "body")) {
    auto text = string_at(item, "body");
    if (!text || text->size() > 4096) {
      v.fail(path + ".body", "must be a string of at most 4096 bytes");
    } else {
      s.body = std::string(*text);
    }
  }
  if (auto headers = v.object_at(item, path, "headers")) {
    for (auto [name, value] : fields(*headers)) {
      std::string_view text;
      bool ok = value.get_string().get(text) == simdjson::SUCCESS && text.size() <= 1024 &&
                text.find_first_of("\r\n") == std::string_view::npos;
      if (!is_header_name(name) || !ok) {
        v.fail(fmt::format("{}.headers.{}", path, name),
               "must be a header name and a one-line "
               "string value");
        continue;
      }
      s.headers.emplace_back(lower(name), std::string(text));
    }
  }
  if (auto auth = v.object_at(item, path, "auth")) {
    constexpr std::array<std::string_view, 2> keys = {"header", "secret_name"};
    v.reject_unknown_keys(*auth, path + ".auth", keys);
    auto header = string_at(*auth, "header");
    auto secret = string_at(*auth, "secret_name");
    bool secret_ok = secret && !secret->empty() && secret->size() <= 64 &&
                     std::all_of(secret->begin(), secret->end(), is_secret_char);
    if (!header || !is_header_name(*header) || !secret_ok) {
      v.fail(path + ".auth", "needs header (a header name) and secret_name (A-Z, 0-9, _)");
    } else {
      s.auth_header = lower(*header);
      s.auth_secret_name = std::string(*secret);
    }
  }
}

StatusSource parse_source(element item, const std::string& path, Validator& v,
                          const StatusSettings& settings) {
  StatusSource s;
  v.reject_unknown_keys(item, path, kSourceKeys);
  parse_identity(item, path, v, s);
  parse_request(item, path, v, s);
  s.components = string_list(item, path, "components", v, false);
  s.match = string_list(item, path, "match", v, true);
  s.cadence_min = v.int_in(item, path, "cadence_min", 1, 60).value_or(settings.cadence_min);
  if (auto enabled = member(item, "enabled")) {
    if (!enabled->is_bool()) v.fail(path + ".enabled", "must be true or false");
    s.enabled = bool_at(item, "enabled").value_or(true);
  }
  if (s.page.empty() && !s.url.empty()) {
    size_t scheme = s.url.find("://");
    size_t slash = s.url.find('/', scheme + 3);
    s.page = slash == std::string::npos ? s.url : s.url.substr(0, slash);
  }
  s.phase = static_cast<int>(stable_hash(s.id) % static_cast<uint32_t>(s.cadence_min));
  return s;
}

}  // namespace

std::string_view status_format_name(StatusFormat format) {
  return kFormatNames[static_cast<size_t>(format)];
}

std::optional<StatusFormat> status_format_from_name(std::string_view name) {
  for (size_t i = 0; i < kFormatNames.size(); ++i) {
    if (kFormatNames[i] == name) return static_cast<StatusFormat>(i);
  }
  return std::nullopt;
}

void parse_status_settings(element status, Validator& v, StatusSettings& into) {
  v.reject_unknown_keys(status, "status", kSettingsKeys);
  into.cadence_min = v.int_in(status, "status", "cadence_min", 1, 60).value_or(into.cadence_min);
  into.timeout_ms = v.int_in(status, "status", "timeout_ms", 500, 15000).value_or(into.timeout_ms);
  into.max_subrequests =
      v.int_in(status, "status", "max_subrequests", 4, 40).value_or(into.max_subrequests);
  into.max_body_kb = v.int_in(status, "status", "max_body_kb", 16, 8192).value_or(into.max_body_kb);
  auto sources = member(status, "sources");
  if (!sources) return;
  if (!sources->is_array()) {
    v.fail("status.sources", "must be an array of status sources");
    return;
  }
  std::set<std::string> seen;
  size_t index = 0;
  for (element item : items(*sources)) {
    std::string path = fmt::format("status.sources[{}]", index++);
    if (!item.is_object()) {
      v.fail(path, "must be an object with id, provider, format and url");
      continue;
    }
    StatusSource source = parse_source(item, path, v, into);
    if (!source.id.empty() && !seen.insert(source.id).second) {
      v.fail(path + ".id", fmt::format("duplicate source id \"{}\"", source.id));
    }
    into.sources.push_back(std::move(source));
  }
}

}  // namespace heyhi
