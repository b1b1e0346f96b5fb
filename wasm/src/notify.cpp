#include "notify.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "api-support.h"
#include "json-read.h"
#include "json-writer.h"
#include "scrub.h"

namespace heyhi {
namespace {

constexpr std::string_view kEllipsis = "…";
// Mail clients show about this much of a subject; a longer one only folds.
constexpr size_t kEmailSubjectMax = 200;

enum class Kind { open, remind, resolve };

struct Measurements {
  std::optional<int64_t> window_min, probes, failures, p50_ms, p95_ms, baseline_p95_ms,
      regions_failing, regions_total;
  std::optional<double> failure_rate;
  std::vector<std::pair<std::string, int64_t>> error_types;  // most frequent first
};

struct AlertFacts {
  std::optional<std::string> rule, scope, provider, model, region, verdict, detail, fix;
  std::optional<std::string> opened_at, last_notified_at, resolved_at;
  std::string title;
  std::string official_status = "unknown";  // the status vocabulary, or "outage"
  std::optional<std::string> official_acknowledged_at;
  std::optional<int64_t> official_lag_min;
  // What an outside vantage saw while every Cloudflare region failed; state fine, failing
  // or none.
  std::optional<std::string> vantage_state, vantage_evidence;
  Measurements measured;
};

struct Notification {
  Kind kind = Kind::open;
  AlertFacts alert;
  std::optional<std::string> board, status_page;
};

// One labelled value, in plain text: each output escapes it its own way.
struct Fact {
  std::string_view label;
  std::string value;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_space(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

// Control characters become spaces and runs of spaces one: headers and subjects are one line,
// and a newline in an email subject would start a new mail header.
std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    bool space = byte < 0x20 || byte == 0x7F || c == ' ';
    if (space && (out.empty() || out.back() == ' ')) {
      continue;
    }
    out += space ? ' ' : c;
  }
  return std::string(trim(out));
}

size_t utf8_sequence_bytes(unsigned char lead) {
  if (lead >= 0xF0) {
    return 4;
  }
  if (lead >= 0xE0) {
    return 3;
  }
  return lead >= 0xC0 ? 2 : 1;
}

// The longest prefix of `text` that is at most `max_units` long and ends on a character.
std::string_view prefix_within(std::string_view text, size_t max_units) {
  size_t units = 0;
  size_t end = 0;
  while (end < text.size()) {
    auto lead = static_cast<unsigned char>(text[end]);
    size_t width = lead >= 0xF0 ? 2 : 1;
    if (units + width > max_units) {
      break;
    }
    units += width;
    end = std::min(text.size(), end + utf8_sequence_bytes(lead));
  }
  return text.substr(0, end);
}

// `text` unchanged when it fits in `max_units`, otherwise cut so that it fits with "…".
std::string cut(std::string_view text, size_t max_units) {
  if (slack_length(text) <= max_units) {
    return std::string(text);
  }
  if (max_units == 0) {
    return {};
  }
  std::string_view kept = trim(prefix_within(text, max_units - slack_length(kEllipsis)));
  return std::string(kept) + std::string(kEllipsis);
}

// As cut, for text already escaped for Slack: an entity cut in half ("&am") would show as
// junk, so the cut backs up over it.
std::string cut_escaped(std::string_view text, size_t max_units) {
  if (slack_length(text) <= max_units) {
    return std::string(text);
  }
  std::string out = cut(text, max_units);
  if (out.size() < kEllipsis.size()) {
    return out;
  }
  std::string_view kept(out.data(), out.size() - kEllipsis.size());
  size_t amp = kept.rfind('&');
  if (amp != std::string_view::npos && kept.find(';', amp) == std::string_view::npos) {
    return std::string(kept.substr(0, amp)) + std::string(kEllipsis);
  }
  return out;
}

// &, < and > as entities, and with `quotes` also " and ': Slack reads the first three as
// control characters in every text object (<!channel> would page a whole channel), and HTML
// attributes need the quotes too.
std::string escape_entities(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += quotes ? "&quot;" : "\""; break;
      case '\'': out += quotes ? "&#39;" : "'"; break;
      default: out += c;
    }
  }
  return out;
}

std::string slack_escape(std::string_view text) { return escape_entities(text, false); }
std::string html_escape(std::string_view text) { return escape_entities(text, true); }

// An http(s) link with nothing in it that could break out of a mrkdwn link or an href.
bool is_web_url(std::string_view url) {
  bool scheme = url.substr(0, 8) == "https://" || url.substr(0, 7) == "http://";
  if (!scheme || url.size() > kSlackUrlMax) {
    return false;
  }
  return std::none_of(url.begin(), url.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7F || c == '|' || c == '<' || c == '>' || c == '"';
  });
}

// "2026-12-03T12:14:00Z" reads as "2026-12-03 12:14 UTC"; anything else is shown as given.
std::string readable_time(std::string_view iso) {
  bool shape = iso.size() >= 17 && iso[4] == '-' && iso[7] == '-' && iso[10] == 'T' &&
               iso[13] == ':' && iso.back() == 'Z';
  if (!shape) {
    return std::string(iso);
  }
  return fmt::format("{} {} UTC", iso.substr(0, 10), iso.substr(11, 5));
}

std::string percent(double rate) {
  std::string out = fmt::format("{:.1f}", rate * 100.0);
  if (out.size() > 2 && out.substr(out.size() - 2) == ".0") {
    out.resize(out.size() - 2);
  }
  return out + "%";
}

std::optional<std::string> text_at(element object, std::string_view key) {
  auto text = string_at(object, key);
  if (!text || one_line(*text).empty()) {
    return std::nullopt;
  }
  return std::string(trim(*text));
}

std::optional<std::string> free_text_at(element object, std::string_view key) {
  auto text = text_at(object, key);
  return text ? std::optional<std::string>(scrub_secrets(*text)) : std::nullopt;
}

std::optional<std::string> web_url_at(element object, std::string_view key) {
  auto url = text_at(object, key);
  return url && is_web_url(*url) ? url : std::nullopt;
}

std::optional<std::string> one_of(std::optional<std::string> value,
                                  std::initializer_list<std::string_view> allowed) {
  if (value && std::find(allowed.begin(), allowed.end(), *value) != allowed.end()) {
    return value;
  }
  return std::nullopt;
}

std::optional<int64_t> count_at(std::optional<element> object, std::string_view key) {
  auto count = int_at(object, key);
  return count && *count >= 0 ? count : std::nullopt;
}

std::optional<double> rate_at(std::optional<element> object, std::string_view key) {
  auto found = member(object, key);
  double rate = 0;
  if (!found || found->get_double().get(rate) != simdjson::SUCCESS || !std::isfinite(rate) ||
      rate < 0 || rate > 1) {
    return std::nullopt;
  }
  return rate;
}

std::vector<std::pair<std::string, int64_t>> read_error_types(std::optional<element> counts) {
  std::vector<std::pair<std::string, int64_t>> out;
  if (!counts || !counts->is_object()) {
    return out;
  }
  for (auto [name, value] : fields(*counts)) {
    auto count = as_int(value);
    if (count && *count > 0 && !trim(name).empty()) {
      out.emplace_back(std::string(trim(name)), *count);
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

Measurements read_measured(std::optional<element> m) {
  Measurements out;
  out.window_min = count_at(m, "window_min");
  out.probes = count_at(m, "probes");
  out.failures = count_at(m, "failures");
  out.p50_ms = count_at(m, "p50_ms");
  out.p95_ms = count_at(m, "p95_ms");
  out.baseline_p95_ms = count_at(m, "baseline_p95_ms");
  out.regions_failing = count_at(m, "regions_failing");
  out.regions_total = count_at(m, "regions_total");
  out.failure_rate = rate_at(m, "failure_rate");
  bool derivable = out.probes && *out.probes > 0 && out.failures && *out.failures <= *out.probes;
  if (!out.failure_rate && derivable) {
    out.failure_rate = static_cast<double>(*out.failures) / static_cast<double>(*out.probes);
  }
  out.error_types = read_error_types(member(m, "error_types"));
  return out;
}

std::string provider_display(std::string_view name) {
  constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"openai", "OpenAI"}, {"anthropic", "Anthropic"}, {"gemini", "Gemini"},
      {"xai", "xAI"},       {"cohere", "Cohere"},       {"mistral", "Mistral"}};
  for (const auto& [key, display] : kNames) {
    if (key == name) {
      return std::string(display);
    }
  }
  return std::string(name);
}

std::string_view rule_words(std::string_view rule) {
  if (rule == "provider_errors") {
    return "provider errors";
  }
  if (rule == "official_mismatch") {
    return "status page disagrees";
  }
  if (rule == "regional") {
    return "one region failing";
  }
  return rule;  // "latency" and "configuration" read as they are
}

std::string_view verdict_words(std::string_view verdict) {
  if (verdict == "provider") {
    return "provider incident";
  }
  return verdict == "ours" ? "our configuration" : "network";
}

// Failing from every Cloudflare region and fine from outside it: Cloudflare's own path.
bool cloudflare_egress(const AlertFacts& a) {
  return a.verdict == "network" && a.vantage_state == "fine";
}

std::string verdict_label(const AlertFacts& a) {
  if (cloudflare_egress(a)) return "network (Cloudflare egress)";
  return std::string(verdict_words(*a.verdict));
}

// The verdict with the vantage evidence behind it, for the facts.
std::string verdict_fact(const AlertFacts& a) {
  std::string label = verdict_label(a);
  return a.vantage_evidence ? fmt::format("{}: {}", label, *a.vantage_evidence) : label;
}

// "OpenAI gpt-6-luna", or the scope, or nothing when the input named neither.
std::string target_label(const AlertFacts& a) {
  std::string label = a.provider ? provider_display(*a.provider) : "";
  if (a.model) {
    label += label.empty() ? *a.model : " " + *a.model;
  }
  if (label.empty() && a.scope) {
    label = *a.scope;
  }
  return label;
}

std::string made_up_title(const AlertFacts& a) {
  std::string target = target_label(a);
  std::string what = a.rule ? std::string(rule_words(*a.rule)) : "alert";
  return target.empty() ? "HeyHi " + what : target + ": " + what;
}

AlertFacts read_alert(element alert) {
  AlertFacts a;
  a.rule = one_of(text_at(alert, "rule"),
                  {"provider_errors", "latency", "official_mismatch", "regional", "configuration"});
  a.scope = text_at(alert, "scope");
  a.provider = text_at(alert, "provider");
  a.model = text_at(alert, "model");
  a.region = text_at(alert, "region");
  a.verdict = one_of(text_at(alert, "verdict"), {"provider", "ours", "network"});
  a.detail = free_text_at(alert, "detail");
  a.fix = free_text_at(alert, "fix");
  a.opened_at = text_at(alert, "opened_at");
  a.last_notified_at = text_at(alert, "last_notified_at");
  a.resolved_at = text_at(alert, "resolved_at");
  a.official_status = one_of(text_at(alert, "official_status"),
                             {"operational", "degraded", "partial_outage", "major_outage", "outage",
                              "maintenance", "unknown"})
                          .value_or("unknown");
  a.official_acknowledged_at = text_at(alert, "official_acknowledged_at");
  if (a.official_acknowledged_at) a.official_lag_min = int_at(alert, "official_lag_min");
  a.measured = read_measured(member(alert, "measured"));
  if (auto vantage = member(alert, "vantage"); vantage && vantage->is_object()) {
    a.vantage_state = one_of(text_at(*vantage, "state"), {"fine", "failing", "none"});
    if (a.vantage_state) a.vantage_evidence = free_text_at(*vantage, "evidence");
  }
  auto title = free_text_at(alert, "title");
  a.title = title ? *title : made_up_title(a);
  return a;
}

std::optional<Kind> kind_from_name(std::string_view name) {
  if (name == "open") {
    return Kind::open;
  }
  if (name == "remind") {
    return Kind::remind;
  }
  return name == "resolve" ? std::optional<Kind>(Kind::resolve) : std::nullopt;
}

Result<Notification, std::vector<Error>> read_notification(element root) {
  std::vector<Error> errors;
  auto kind_name = string_at(root, "kind");
  auto kind = kind_name ? kind_from_name(*kind_name) : std::nullopt;
  if (!kind) {
    errors.push_back({"kind", "must be open, remind or resolve"});
  }
  auto alert = member(root, "alert");
  if (!alert || !alert->is_object()) {
    errors.push_back({"alert", "must be an object"});
  }
  if (!errors.empty()) {
    return errors;
  }

  Notification n;
  n.kind = *kind;
  // An alert first sent after the maintenance window it opened in is news to every channel.
  if (n.kind == Kind::remind && bool_at(root, "first_notice").value_or(false)) n.kind = Kind::open;
  n.alert = read_alert(*alert);
  if (auto links = member(root, "links"); links && links->is_object()) {
    n.board = web_url_at(*links, "board");
    n.status_page = web_url_at(*links, "status_page");
  }
  return n;
}

std::string_view kind_word(Kind kind) {
  switch (kind) {
    case Kind::open: return "OPEN";
    case Kind::remind: return "REMINDER";
    case Kind::resolve: return "RESOLVED";
  }
  return "OPEN";
}

std::string_view event_name(Kind kind) {
  switch (kind) {
    case Kind::open: return "alert.opened";
    case Kind::remind: return "alert.reminder";
    case Kind::resolve: return "alert.resolved";
  }
  return "alert.opened";
}

std::string summary(const Notification& n) {
  std::string out = fmt::format("{}: {}", kind_word(n.kind), one_line(n.alert.title));
  if (n.alert.verdict) {
    std::string label = verdict_label(n.alert);
    out += cloudflare_egress(n.alert) ? " — " + label : fmt::format(" ({})", label);
  }
  return out;
}

std::optional<std::string> failure_text(const Measurements& m) {
  std::string probes;
  if (m.failures && m.probes) {
    probes = fmt::format("{} of {} probes", *m.failures, *m.probes);
    if (m.window_min) {
      probes += fmt::format(" in {} min", *m.window_min);
    }
  }
  if (m.failure_rate && !probes.empty()) {
    return fmt::format("{} ({})", percent(*m.failure_rate), probes);
  }
  if (m.failure_rate) {
    return percent(*m.failure_rate);
  }
  return probes.empty() ? std::nullopt : std::optional<std::string>(probes);
}

std::optional<std::string> latency_text(const Measurements& m) {
  std::string out;
  if (m.p50_ms) {
    out = fmt::format("p50 {} ms", *m.p50_ms);
  }
  if (m.p95_ms) {
    out += fmt::format("{}p95 {} ms", out.empty() ? "" : ", ", *m.p95_ms);
  }
  return out.empty() ? std::nullopt : std::optional<std::string>(out);
}

std::optional<std::string> errors_text(const Measurements& m) {
  std::string out;
  for (const auto& [name, count] : m.error_types) {
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", name, count);
  }
  return out.empty() ? std::nullopt : std::optional<std::string>(out);
}

void add_fact(std::vector<Fact>& facts, std::string_view label, std::optional<std::string> v) {
  if (v) {
    facts.push_back({label, std::move(*v)});
  }
}

// heyhi.alert.v1 names both outage levels "outage"; messages for people say which.
std::string_view webhook_official(std::string_view status) {
  return status == "partial_outage" || status == "major_outage" ? "outage" : status;
}

std::string official_text(const AlertFacts& a) {
  std::string out = a.official_status;
  std::replace(out.begin(), out.end(), '_', ' ');
  if (!a.official_acknowledged_at) return out;
  out += fmt::format(", acknowledged {}", readable_time(*a.official_acknowledged_at));
  if (a.official_lag_min) {
    int64_t lag = *a.official_lag_min;
    out += lag >= 0 ? fmt::format(" ({} min after this alert)", lag)
                    : fmt::format(" ({} min before this alert)", -lag);
  }
  return out;
}

// At most kSlackMaxFields facts, in the order a reader needs them.
std::vector<Fact> facts_of(const AlertFacts& a) {
  const Measurements& m = a.measured;
  std::vector<Fact> facts;
  if (a.provider) {
    facts.push_back({"Provider", provider_display(*a.provider)});
  }
  add_fact(facts, "Model", a.model);
  facts.push_back({"Region", a.region.value_or("all regions")});
  if (a.verdict) {
    facts.push_back({"Verdict", verdict_fact(a)});
  }
  facts.push_back({"Official status", official_text(a)});
  // An alert on the status page itself has no probes behind it: "0% (0 of 0 probes)" and
  // "0 of 0 regions" would read as measurements.
  bool probed = !m.probes || *m.probes > 0;
  if (probed) add_fact(facts, "Failure rate", failure_text(m));
  add_fact(facts, "Latency", latency_text(m));
  if (m.baseline_p95_ms) {
    facts.push_back({"Baseline", fmt::format("p95 {} ms", *m.baseline_p95_ms)});
  }
  if (m.regions_failing && probed && m.regions_total.value_or(1) > 0) {
    std::string of = m.regions_total ? fmt::format(" of {}", *m.regions_total) : "";
    facts.push_back({"Regions failing", fmt::format("{}{}", *m.regions_failing, of)});
  }
  add_fact(facts, "Errors", errors_text(m));
  return facts;
}

// When it happened and what it is about: Slack's context line, the email's footer.
std::vector<Fact> timeline_of(const AlertFacts& a) {
  std::vector<Fact> out;
  if (a.opened_at) {
    out.push_back({"Opened", readable_time(*a.opened_at)});
  }
  if (a.last_notified_at) {
    out.push_back({"Last notified", readable_time(*a.last_notified_at)});
  }
  if (a.resolved_at) {
    out.push_back({"Resolved", readable_time(*a.resolved_at)});
  }
  if (a.rule) {
    out.push_back({"Rule", std::string(rule_words(*a.rule))});
  }
  add_fact(out, "Scope", a.scope);
  return out;
}

std::vector<Fact> links_of(const Notification& n) {
  std::vector<Fact> out;
  add_fact(out, "Board", n.board);
  add_fact(out, "Status page", n.status_page);
  return out;
}

void write_text_object(JsonWriter& w, std::string_view type, std::string_view text) {
  w.begin_object().field("type", type).field("text", text);
  if (type == "plain_text") {
    w.field("emoji", true);
  }
  w.end_object();
}

std::string_view header_prefix(Kind kind) {
  switch (kind) {
    case Kind::open: return "🚨 ";
    case Kind::remind: return "⏰ Still open: ";
    case Kind::resolve: return "✅ Resolved: ";
  }
  return "";
}

std::string header_block(const Notification& n) {
  std::string_view prefix = header_prefix(n.kind);
  std::string title =
      cut_escaped(slack_escape(one_line(n.alert.title)), kSlackHeaderMax - slack_length(prefix));
  JsonWriter w;
  w.begin_object().field("type", "header").key("text");
  write_text_object(w, "plain_text", std::string(prefix) + title);
  return w.end_object().take();
}

// "*Label*\nvalue", with the value cut so the whole field fits.
std::string mrkdwn_fact(const Fact& fact, size_t max_units, std::string_view separator) {
  std::string label = fmt::format("*{}*{}", fact.label, separator);
  return label + cut_escaped(slack_escape(fact.value), max_units - slack_length(label));
}

std::string fields_block(const std::vector<Fact>& facts) {
  JsonWriter w;
  w.begin_object().field("type", "section").key("fields").begin_array();
  size_t count = 0;
  for (const Fact& fact : facts) {
    if (count++ == kSlackMaxFields) {
      break;
    }
    write_text_object(w, "mrkdwn", mrkdwn_fact(fact, kSlackFieldTextMax, "\n"));
  }
  return w.end_array().end_object().take();
}

// The detail, then the fix. The fix is what someone acts on, so a long detail is cut to leave
// it room rather than the other way round.
std::optional<std::string> detail_text(const AlertFacts& a) {
  std::string fix;
  if (a.fix) {
    fix = mrkdwn_fact({"Fix:", *a.fix}, kSlackSectionTextMax / 3, " ");
  }
  std::string_view gap = a.detail && a.fix ? "\n\n" : "";
  std::string detail;
  if (a.detail) {
    size_t room = kSlackSectionTextMax - slack_length(fix) - slack_length(gap);
    detail = cut_escaped(slack_escape(*a.detail), room);
  }
  std::string text = detail + std::string(gap) + fix;
  return text.empty() ? std::nullopt : std::optional<std::string>(text);
}

std::string section_block(std::string_view mrkdwn) {
  JsonWriter w;
  w.begin_object().field("type", "section").key("text");
  write_text_object(w, "mrkdwn", mrkdwn);
  return w.end_object().take();
}

std::string context_block(const std::vector<Fact>& timeline) {
  JsonWriter w;
  w.begin_object().field("type", "context").key("elements").begin_array();
  size_t count = 0;
  for (const Fact& fact : timeline) {
    if (count++ == kSlackMaxContextElements) {
      break;
    }
    write_text_object(w, "mrkdwn", mrkdwn_fact(fact, kSlackSectionTextMax, " "));
  }
  return w.end_array().end_object().take();
}

// Links as mrkdwn rather than buttons: Slack sends a button's click to the app's interactivity
// URL even when the button only opens a link, and marks the button with a warning when nothing
// acknowledges it. An incoming webhook has no such URL.
std::optional<std::string> links_text(const std::vector<Fact>& links) {
  std::string out;
  for (const Fact& link : links) {
    std::string piece = fmt::format("<{}|{}>", slack_escape(link.value), link.label);
    std::string_view gap = out.empty() ? "" : "  ·  ";
    if (slack_length(out) + slack_length(gap) + slack_length(piece) > kSlackSectionTextMax) {
      continue;
    }
    out += std::string(gap) + piece;
  }
  return out.empty() ? std::nullopt : std::optional<std::string>(out);
}

void write_slack(JsonWriter& w, const Notification& n) {
  std::vector<std::string> blocks = {header_block(n), fields_block(facts_of(n.alert))};
  if (auto detail = detail_text(n.alert)) {
    blocks.push_back(section_block(*detail));
  }
  if (auto timeline = timeline_of(n.alert); !timeline.empty()) {
    blocks.push_back(context_block(timeline));
  }
  if (auto links = links_text(links_of(n))) {
    blocks.push_back(section_block(*links));
  }

  w.begin_object().field("text", cut_escaped(slack_escape(summary(n)), kSlackSectionTextMax));
  w.key("blocks").begin_array();
  for (size_t i = 0; i < blocks.size() && i < kSlackMaxBlocks; ++i) {
    w.raw(blocks[i]);
  }
  w.end_array().end_object();
}

void write_measured(JsonWriter& w, const Measurements& m) {
  w.begin_object().field("window_min", m.window_min).field("probes", m.probes);
  w.field("failures", m.failures).field("failure_rate", m.failure_rate);
  w.field("p50_ms", m.p50_ms).field("p95_ms", m.p95_ms);
  w.field("baseline_p95_ms", m.baseline_p95_ms).field("regions_failing", m.regions_failing);
  w.field("regions_total", m.regions_total).key("error_types").begin_object();
  for (const auto& [name, count] : m.error_types) {
    w.field(name, count);
  }
  w.end_object().end_object();
}

void write_webhook(JsonWriter& w, const Notification& n) {
  const AlertFacts& a = n.alert;
  w.begin_object().field("schema", "heyhi.alert.v1").field("event", event_name(n.kind));
  w.field("summary", summary(n)).key("alert").begin_object();
  w.field("rule", a.rule).field("scope", a.scope).field("provider", a.provider);
  w.field("model", a.model).field("region", a.region).field("verdict", a.verdict);
  w.field("title", a.title).field("detail", a.detail).field("fix", a.fix);
  w.field("official_status", webhook_official(a.official_status));
  w.field("official_acknowledged_at", a.official_acknowledged_at);
  w.field("official_lag_min", a.official_lag_min).field("opened_at", a.opened_at);
  w.field("last_notified_at", a.last_notified_at).field("resolved_at", a.resolved_at);
  w.key("vantage");
  if (a.vantage_state) {
    w.begin_object().field("state", a.vantage_state).field("evidence", a.vantage_evidence);
    w.end_object();
  } else {
    w.null();
  }
  w.key("measured");
  write_measured(w, a.measured);
  w.end_object().key("links").begin_object();
  w.field("board", n.board).field("status_page", n.status_page).end_object();
  w.end_object();
}

std::string email_subject(const Notification& n) {
  std::string target = target_label(n.alert);
  std::string what = one_line(target.empty() ? n.alert.title : target);
  if (n.alert.verdict) {
    what += fmt::format(" — {}", verdict_label(n.alert));
  }
  return cut(fmt::format("[HeyHi] {}: {}", kind_word(n.kind), what), kEmailSubjectMax);
}

void append_fact_lines(std::string& out, const std::vector<Fact>& facts) {
  if (facts.empty()) {
    return;
  }
  out += "\n";
  for (const Fact& fact : facts) {
    out += fmt::format("{}: {}\n", fact.label, fact.value);
  }
}

std::string email_text(const Notification& n) {
  const AlertFacts& a = n.alert;
  std::string out = summary(n) + "\n";
  if (a.detail) {
    out += "\n" + *a.detail + "\n";
  }
  if (a.fix) {
    out += "\nFix: " + *a.fix + "\n";
  }
  append_fact_lines(out, facts_of(a));
  append_fact_lines(out, timeline_of(a));
  append_fact_lines(out, links_of(n));
  return out;
}

std::string html_paragraph(std::string_view text) {
  std::string escaped = html_escape(text);
  std::string out;
  for (char c : escaped) {
    out += c == '\n' ? std::string("<br>") : std::string(1, c);
  }
  return "<p>" + out + "</p>\n";
}

std::string html_facts(const std::vector<Fact>& facts) {
  std::string out = "<table>\n";
  for (const Fact& fact : facts) {
    out += fmt::format("<tr><th align=\"left\">{}</th><td>{}</td></tr>\n", fact.label,
                       html_escape(fact.value));
  }
  return out + "</table>\n";
}

std::string email_html(const Notification& n) {
  const AlertFacts& a = n.alert;
  std::string out = "<!doctype html>\n<html><body>\n";
  out += "<h2>" + html_escape(summary(n)) + "</h2>\n";
  if (a.detail) {
    out += html_paragraph(*a.detail);
  }
  if (a.fix) {
    out += "<p><strong>Fix:</strong> " + html_escape(*a.fix) + "</p>\n";
  }
  out += html_facts(facts_of(a));
  if (auto timeline = timeline_of(a); !timeline.empty()) {
    out += html_facts(timeline);
  }
  for (const Fact& link : links_of(n)) {
    out += fmt::format("<p><a href=\"{}\">{}</a></p>\n", html_escape(link.value), link.label);
  }
  return out + "</body></html>\n";
}

void write_email(JsonWriter& w, const Notification& n) {
  w.begin_object().field("subject", email_subject(n)).field("text", email_text(n));
  w.field("html", email_html(n)).end_object();
}

using Errors = std::vector<Error>;

std::string at(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

std::string at(std::string_view path, size_t index) { return fmt::format("{}[{}]", path, index); }

void check_length(Errors& errors, const std::string& path, std::string_view text, size_t max) {
  size_t length = slack_length(text);
  if (length > max) {
    errors.push_back({path, fmt::format("has {} characters; at most {} fit", length, max)});
  }
}

void check_optional_string(Errors& errors, element object, std::string_view key,
                           const std::string& path, size_t max) {
  auto found = member(object, key);
  if (!found) {
    return;
  }
  auto text = string_at(object, key);
  if (!text) {
    errors.push_back({at(path, key), "must be a string"});
    return;
  }
  check_length(errors, at(path, key), *text, max);
}

// A text object: {"type": "plain_text" | "mrkdwn", "text": 1 to `max` characters}.
void check_text_object(Errors& errors, std::optional<element> object, const std::string& path,
                       size_t max, bool plain_only) {
  if (!object || !object->is_object()) {
    errors.push_back({path, "must be a text object"});
    return;
  }
  auto type = string_at(*object, "type");
  bool plain = type == "plain_text";
  if (!plain && (plain_only || type != "mrkdwn")) {
    errors.push_back(
        {at(path, "type"), plain_only ? "must be plain_text" : "must be plain_text or mrkdwn"});
  }
  auto text = string_at(*object, "text");
  if (!text || text->empty()) {
    errors.push_back({at(path, "text"), "must be a non-empty string"});
  } else {
    check_length(errors, at(path, "text"), *text, max);
  }
  if (member(*object, "emoji") && !plain) {
    errors.push_back({at(path, "emoji"), "is only allowed on plain_text"});
  }
  if (member(*object, "verbatim") && type != "mrkdwn") {
    errors.push_back({at(path, "verbatim"), "is only allowed on mrkdwn"});
  }
}

// Runs `check` on each item of the array at `key`, which must hold 1 to `max` items.
template <typename Check>
void check_items(Errors& errors, element object, std::string_view key, const std::string& path,
                 size_t max, Check check) {
  auto found = member(object, key);
  if (!found || !found->is_array()) {
    errors.push_back({at(path, key), "must be an array"});
    return;
  }
  simdjson::dom::array array = items(*found);
  if (array.size() == 0 || array.size() > max) {
    errors.push_back({at(path, key), fmt::format("has {} items; 1 to {} fit", array.size(), max)});
  }
  size_t i = 0;
  for (element item : array) {
    check(item, at(at(path, key), i++));
  }
}

void check_section(Errors& errors, element block, const std::string& path) {
  auto text = member(block, "text");
  auto fields = member(block, "fields");
  if (!text && !fields) {
    errors.push_back({path, "a section needs text or fields"});
  }
  if (text) {
    check_text_object(errors, text, at(path, "text"), kSlackSectionTextMax, false);
  }
  if (fields) {
    check_items(errors, block, "fields", path, kSlackMaxFields,
                [&](element field, const std::string& field_path) {
                  check_text_object(errors, field, field_path, kSlackFieldTextMax, false);
                });
  }
  if (auto accessory = member(block, "accessory"); accessory && !string_at(*accessory, "type")) {
    errors.push_back({at(path, "accessory"), "must be an element with a type"});
  }
}

void check_image(Errors& errors, element image, const std::string& path) {
  if (!member(image, "slack_file")) {
    auto url = string_at(image, "image_url");
    if (!url || url->empty()) {
      errors.push_back({at(path, "image_url"), "must be a URL, or slack_file given"});
    } else {
      check_length(errors, at(path, "image_url"), *url, kSlackUrlMax);
    }
  }
  auto alt = string_at(image, "alt_text");
  if (!alt || alt->empty()) {
    errors.push_back({at(path, "alt_text"), "must be a non-empty string"});
  } else {
    check_length(errors, at(path, "alt_text"), *alt, kSlackFieldTextMax);
  }
  if (auto title = member(image, "title")) {
    check_text_object(errors, title, at(path, "title"), kSlackFieldTextMax, true);
  }
}

void check_context(Errors& errors, element block, const std::string& path) {
  check_items(errors, block, "elements", path, kSlackMaxContextElements,
              [&](element item, const std::string& item_path) {
                if (string_at(item, "type") == "image") {
                  check_image(errors, item, item_path);
                } else {
                  check_text_object(errors, item, item_path, kSlackSectionTextMax, false);
                }
              });
}

void check_button(Errors& errors, element button, const std::string& path) {
  check_text_object(errors, member(button, "text"), at(path, "text"), kSlackButtonTextMax, true);
  check_optional_string(errors, button, "url", path, kSlackUrlMax);
  check_optional_string(errors, button, "action_id", path, kSlackBlockIdMax);
  check_optional_string(errors, button, "value", path, kSlackFieldTextMax);
}

void check_actions(Errors& errors, element block, const std::string& path) {
  check_items(errors, block, "elements", path, kSlackMaxActionElements,
              [&](element item, const std::string& item_path) {
                auto type = string_at(item, "type");
                if (!type) {
                  errors.push_back({at(item_path, "type"), "must name the element type"});
                } else if (*type == "button") {
                  check_button(errors, item, item_path);
                }
              });
}

void check_block(Errors& errors, element block, const std::string& path) {
  if (!block.is_object()) {
    errors.push_back({path, "must be a block object"});
    return;
  }
  check_optional_string(errors, block, "block_id", path, kSlackBlockIdMax);
  auto type = string_at(block, "type");
  if (!type) {
    errors.push_back({at(path, "type"), "must name the block type"});
  } else if (*type == "header") {
    check_text_object(errors, member(block, "text"), at(path, "text"), kSlackHeaderMax, true);
  } else if (*type == "section") {
    check_section(errors, block, path);
  } else if (*type == "context") {
    check_context(errors, block, path);
  } else if (*type == "actions") {
    check_actions(errors, block, path);
  } else if (*type == "image") {
    check_image(errors, block, path);
  } else if (*type != "divider") {
    errors.push_back({at(path, "type"), fmt::format("\"{}\" is not a known block type; use "
                                                    "header, section, context, actions, divider "
                                                    "or image",
                                                    utf8_prefix(*type, 40))});
  }
}

void check_blocks(Errors& errors, element root) {
  auto blocks = member(root, "blocks");
  if (!blocks) {
    return;
  }
  if (!blocks->is_array()) {
    errors.push_back({"blocks", "must be an array"});
    return;
  }
  simdjson::dom::array array = items(*blocks);
  if (array.size() > kSlackMaxBlocks) {
    errors.push_back(
        {"blocks", fmt::format("has {} blocks; at most {} fit", array.size(), kSlackMaxBlocks)});
  }
  size_t i = 0;
  for (element block : array) {
    check_block(errors, block, at("blocks", i++));
  }
}

}  // namespace

size_t slack_length(std::string_view utf8) {
  size_t units = 0;
  for (char c : utf8) {
    auto byte = static_cast<unsigned char>(c);
    if ((byte & 0xC0) == 0x80) {
      continue;  // a continuation byte: its character is already counted
    }
    units += byte >= 0xF0 ? 2 : 1;
  }
  return units;
}

std::string api_render_notification(std::string_view in) {
  Document doc;
  if (doc.parse(in) != simdjson::SUCCESS) {
    return errors_answer({{"", "not valid JSON"}});
  }
  auto notification = read_notification(doc.root());
  if (!notification.ok()) {
    return errors_answer(notification.error());
  }

  const Notification& n = notification.value();
  JsonWriter w;
  w.begin_object().field("ok", true).key("slack");
  write_slack(w, n);
  w.key("webhook");
  write_webhook(w, n);
  w.key("email");
  write_email(w, n);
  return w.end_object().take();
}

std::vector<Error> validate_slack_message(std::string_view payload_json) {
  Document doc;
  if (doc.parse(payload_json) != simdjson::SUCCESS) {
    return {{"", "not valid JSON"}};
  }
  element root = doc.root();
  if (!root.is_object()) {
    return {{"", "must be a message object"}};
  }

  Errors errors;
  auto text = string_at(root, "text");
  if (!text || trim(*text).empty()) {
    errors.push_back({"text", "must be non-empty: notifications show it in place of blocks"});
  }
  check_blocks(errors, root);
  return errors;
}

std::string api_validate_slack_message(std::string_view payload_json) {
  std::vector<Error> errors = validate_slack_message(payload_json);
  return errors.empty() ? std::string(R"({"ok":true})") : errors_answer(errors);
}

}  // namespace heyhi
