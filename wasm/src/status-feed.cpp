// RSS 2.0 and Atom feeds: each item or entry is one incident. Feeds carry no severity and no
// components, so an item is trouble (degraded, or maintenance) until its text says it was
// resolved or completed; which provider components it concerns is left to the source's
// configured words.
#include <algorithm>

#include <fmt/format.h>

#include "status-json.h"
#include "status-reading.h"
#include "xml-scan.h"

namespace heyhi {
namespace {

// An unresolved item this old is history a feed never updated, not an ongoing incident.
constexpr int64_t kStaleAfterMs = 24 * 60 * 60 * 1000;

std::string text_of(const XmlNode* node) { return node ? node->text : std::string(); }

bool mentions(const std::string& haystack_lower, std::string_view word) {
  return haystack_lower.find(word) != std::string::npos;
}

std::string atom_link(const XmlNode& entry) {
  std::string first;
  for (const auto& c : entry.children) {
    if (c->local_name() != "link") continue;
    auto href = c->attribute("href");
    if (!href) continue;
    auto rel = c->attribute("rel");
    if (!rel || *rel == "alternate") return std::string(*href);
    if (first.empty()) first = std::string(*href);
  }
  return first;
}

std::optional<int64_t> item_time(const XmlNode& item,
                                 std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    const XmlNode* node = item.child(key);
    if (!node) continue;
    std::string text = node->text;
    text.erase(0, text.find_first_not_of(" \t\r\n"));
    text.erase(text.find_last_not_of(" \t\r\n") + 1);
    if (auto ms = parse_rfc3339(text)) return ms;
    if (auto ms = parse_rfc822(text)) return ms;
  }
  return std::nullopt;
}

std::optional<IncidentReading> feed_item(const XmlNode& item, bool atom, int64_t now_ms) {
  IncidentReading r;
  r.title = text_of(item.child("title"));
  r.title.erase(0, r.title.find_first_not_of(" \t\r\n"));
  r.title.erase(r.title.find_last_not_of(" \t\r\n") + 1);
  r.url = atom ? atom_link(item) : text_of(item.child("link"));
  r.id = text_of(item.child(atom ? "id" : "guid"));
  if (r.id.empty()) r.id = r.url.empty() ? r.title : r.url;
  std::string body = text_of(item.child(atom ? "summary" : "description"));
  if (body.empty()) body = text_of(item.child("content"));
  auto first = item_time(item, {"published", "pubDate", "updated", "date"});
  auto last = item_time(item, {"updated", "pubDate", "published", "date"});
  if (r.id.empty() || !first) return std::nullopt;
  r.first_ms = std::min(*first, last.value_or(*first));
  r.updated_ms = std::max(*first, last.value_or(*first));
  std::string words = ascii_lower(r.title + " " + body);
  r.maintenance = mentions(words, "maintenance");
  r.effect = r.maintenance ? "maintenance" : "degraded";
  r.impact = r.maintenance ? "maintenance" : "unknown";
  bool over = mentions(words, "resolved") || mentions(words, "completed");
  bool stale = now_ms - r.updated_ms > kStaleAfterMs;
  r.phase = over || stale ? Phase::resolved : Phase::active;
  if (r.title.empty()) r.title = "(untitled)";
  return r;
}

}  // namespace

Result<Reading> read_feed(std::string_view body, int64_t now_ms) {
  auto parsed = parse_xml(body);
  if (!parsed.ok()) return parsed.error();
  const XmlNode& root = *parsed.value();
  bool atom = root.local_name() == "feed";
  const XmlNode* channel = atom ? &root : root.child("channel");
  if (root.local_name() == "html")
    return structure_changed("an HTML page where a feed was expected");
  if (!atom && (root.local_name() != "rss" || !channel)) {
    return structure_changed(fmt::format("<{}> is neither RSS nor Atom", root.name));
  }
  Reading reading;
  for (const auto& c : channel->children) {
    if (c->local_name() != (atom ? "entry" : "item")) continue;
    auto incident = feed_item(*c, atom, now_ms);
    if (!incident) return structure_changed("an item without an id or a readable date");
    reading.incidents.push_back(std::move(*incident));
  }
  return reading;
}

}  // namespace heyhi
