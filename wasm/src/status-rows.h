// Status state across the JSON boundary: status_sources rows read back from a store, and the
// rows the core answers for provider_status_events, provider_status_current,
// status_sources and provider_status_lag. Each kind is written with the same keys in the
// same order, as PostgREST requires of a batch.
#pragma once

#include <vector>

#include "alerting.h"
#include "json-read.h"
#include "json-writer.h"
#include "status-state.h"

namespace heyhi {

// Rows as a store gives them back; `state` may be an object or JSON text (D1 keeps text).
// A row that cannot be read is skipped: a stored row must never stop the status step.
std::vector<SourceState> read_source_states(std::optional<element> rows);

// The official status, acknowledgements and feed states that stored status_sources rows give
// the alert rules. Providers already in input.official keep what the caller said.
void add_status_sources(const Config& config, std::optional<element> rows, EvaluationInput& input);

void write_source_state(JsonWriter& w, const SourceState& s);
void write_event(JsonWriter& w, const StatusEventRow& e);
void write_current(JsonWriter& w, const CurrentRow& c, int64_t now_ms);
void write_lag(JsonWriter& w, const Lag& lag);

}  // namespace heyhi
