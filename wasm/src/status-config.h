// Where the providers' official status comes from: one entry per status page or feed, with
// the adapter that reads it and the ids of the provider's API components on it. Sources live
// in configuration, never in code: pages move, and component ids are the page owner's to
// change.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "json-read.h"

namespace heyhi {

class Validator;

// One adapter per source format; the names are also the `source` column of
// provider_status_events.
enum class StatusFormat { statuspage, incidentio, google_cloud, aistudio, feed, instatus };

std::string_view status_format_name(StatusFormat format);
std::optional<StatusFormat> status_format_from_name(std::string_view name);

struct StatusSource {
  std::string id;        // unique, names the source in logs, alerts and stored state
  std::string provider;  // a provider name of the configuration, e.g. "anthropic"
  StatusFormat format = StatusFormat::statuspage;
  std::string url;
  std::string page;  // the human page, for links; the url's origin when absent
  // The provider's API components by the source's own ids: Statuspage and incident.io
  // component ids, Google Cloud product ids, AI Studio component numbers. Empty: the whole
  // page counts.
  std::vector<std::string> components;
  // Lowercase words. An incident that names no component counts for the provider when its
  // title contains one of them; with no words, every such incident counts.
  std::vector<std::string> match;
  std::string method = "GET";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // A header whose value is a secret the shim adds, as it does for probes.
  std::string auth_header;
  std::string auth_secret_name;
  int cadence_min = 5;
  int phase = 0;
  bool enabled = true;
};

struct StatusSettings {
  int cadence_min = 5;
  int timeout_ms = 5000;
  // Status fetching's share of an invocation's 50 subrequests (Workers Free): its fetches and
  // its store calls together.
  int max_subrequests = 12;
  int max_body_kb = 2048;
  std::vector<StatusSource> sources;
};

// Reads the configuration's "status" object into `into`, naming every bad field.
// `providers` lists the valid provider names.
void parse_status_settings(element status, Validator& v, StatusSettings& into);

}  // namespace heyhi
