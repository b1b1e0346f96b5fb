// Alert notifications: one alert event rendered for Slack, for a generic JSON webhook and for
// email, and a checker for Slack messages. Input comes from the alert evaluator, so any field
// may be missing or of the wrong type; everything that can be rendered is, and only a missing
// kind or alert object is refused.
//
// Input:
//   {"kind": "open" | "remind" | "resolve",
//    "alert": {rule, scope, provider, model, region, verdict, title, detail, fix, measured: {...},
//              official_status, official_acknowledged_at, official_lag_min, opened_at,
//              last_notified_at, resolved_at, vantage: {state, evidence}},
//    "links": {board, status_page}}
//
// Generic webhook body, schema "heyhi.alert.v1". Every key is always present, null when the
// input did not say; consumers can rely on the shape. New keys may be added under v1, never
// removed or retyped; anything else is a new schema name.
//   {"schema": "heyhi.alert.v1",
//    "event": "alert.opened" | "alert.reminder" | "alert.resolved",
//    "summary": string,          one plain line, e.g. "OPEN: OpenAI gpt-6-luna: 44% of probes
//                                failing (provider incident)"
//    "alert": {
//      "rule": "provider_errors" | "latency" | "official_mismatch" | "regional" |
//              "configuration" | null,
//      "scope": string | null,       e.g. "openai/gpt-6-luna"
//      "provider": string | null,    the provider's name in the configuration, e.g. "openai"
//      "model": string | null,
//      "region": string | null,      null: all regions
//      "verdict": "provider" | "ours" | "network" | null,
//      "title": string,              never empty: made from provider, model and rule if absent
//      "detail": string | null,
//      "fix": string | null,
//      "official_status": "operational" | "degraded" | "outage" | "maintenance" | "unknown",
//                                    a partial or major outage is "outage"
//      "official_acknowledged_at": string | null,  the provider's first acknowledgement of an
//                                    active incident, ISO 8601 UTC
//      "official_lag_min": integer | null,  minutes from the alert's opening to it; negative
//                                    when the provider said it first
//      "opened_at": string | null, "last_notified_at": string | null,
//      "resolved_at": string | null,           ISO 8601 UTC as the evaluator wrote them
//      "vantage": {"state": "fine" | "failing" | "none", "evidence": string | null} | null,
//                                    what an outside vantage (a probe from outside
//                                    Cloudflare) saw while every Cloudflare region failed:
//                                    fine with verdict "network" is Cloudflare's egress,
//                                    failing is the provider, none means no outside probe
//                                    since; null when the verdict did not turn on it
//      "measured": {"window_min", "probes", "failures", "p50_ms", "p95_ms", "baseline_p95_ms",
//                   "regions_failing", "regions_total": integer | null,
//                   "failure_rate": number in [0, 1] | null,   failures / probes if absent
//                   "error_types": {error_type: count}}},     most frequent first
//    "links": {"board": string | null, "status_page": string | null}}   http(s) URLs only
// Unknown values of an enumerated field become null ("unknown" for official_status); free
// text (title, detail, fix) has anything that looks like a credential replaced.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace heyhi {

// Slack's Block Kit limits, from docs.slack.dev/reference/block-kit: messages, header block,
// section block, text object, context block, actions block and button element.
inline constexpr size_t kSlackMaxBlocks = 50;
inline constexpr size_t kSlackHeaderMax = 150;
inline constexpr size_t kSlackSectionTextMax = 3000;
inline constexpr size_t kSlackFieldTextMax = 2000;
inline constexpr size_t kSlackMaxFields = 10;
inline constexpr size_t kSlackMaxContextElements = 10;
inline constexpr size_t kSlackMaxActionElements = 25;
inline constexpr size_t kSlackButtonTextMax = 75;
inline constexpr size_t kSlackUrlMax = 3000;
inline constexpr size_t kSlackBlockIdMax = 255;

// A text's length as Slack limits it. Slack does not say which unit its "characters" are; this
// counts UTF-16 code units (what JavaScript's length counts), which is never fewer than code
// points, so text within these limits by this count is within them by either.
size_t slack_length(std::string_view utf8);

// in:  one notification as above.
// out: {"ok":true, "slack": {text, blocks}, "webhook": {...heyhi.alert.v1...},
//       "email": {subject, text, html}}
//      or {"ok":false, "errors":[{field, message}]} when the input is not JSON, has no valid
//      kind, or its alert is not an object.
// The Slack payload is an incoming-webhook body within every limit above (long text is cut on
// a character boundary and ends in "…"), and passes validate_slack_message.
std::string api_render_notification(std::string_view in);

// Every way `payload_json` breaks the limits above or Block Kit's structure for the blocks
// HeyHi uses (header, section, context, actions, divider, image), each with its path, e.g.
// "blocks[2].fields[0].text". A top-level "text" is required: it is what notifications show.
// An empty list means the message is acceptable.
std::vector<Error> validate_slack_message(std::string_view payload_json);

// validate_slack_message across the JSON boundary, for a receiver outside the core.
// in:  a Slack message payload.
// out: {"ok":true} or {"ok":false, "errors":[{field, message}]}
std::string api_validate_slack_message(std::string_view payload_json);

}  // namespace heyhi
