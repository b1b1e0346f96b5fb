// The WebAssembly boundary. JavaScript copies a UTF-8 JSON document into memory from
// hh_alloc, calls one function with its address and length, and reads the answer at the
// returned address for hh_result_len() bytes. The answer stays valid until the next call.
#include <cstdlib>
#include <string>
#include <string_view>

#include "api.h"
#include "notify.h"

namespace {

std::string last_result;

const char* keep(std::string result) {
  last_result = std::move(result);
  return last_result.c_str();
}

std::string_view view(const char* data, size_t size) { return {data, size}; }

}  // namespace

extern "C" {

char* hh_alloc(size_t size) { return static_cast<char*>(std::malloc(size == 0 ? 1 : size)); }
void hh_free(char* data) { std::free(data); }
size_t hh_result_len() { return last_result.size(); }

const char* hh_validate_config(const char* in, size_t n) {
  return keep(heyhi::api_validate_config(view(in, n)));
}
const char* hh_plan(const char* in, size_t n) { return keep(heyhi::api_plan(view(in, n))); }
const char* hh_budget(const char* in, size_t n) { return keep(heyhi::api_budget(view(in, n))); }
const char* hh_baselines(const char* in, size_t n) {
  return keep(heyhi::api_baselines(view(in, n)));
}
const char* hh_cost(const char* in, size_t n) { return keep(heyhi::api_cost(view(in, n))); }
const char* hh_build_request(const char* in, size_t n) {
  return keep(heyhi::api_build_request(view(in, n)));
}
const char* hh_classify(const char* in, size_t n) { return keep(heyhi::api_classify(view(in, n))); }
const char* hh_insert_body(const char* in, size_t n) {
  return keep(heyhi::api_insert_body(view(in, n)));
}
const char* hh_summarize(const char* in, size_t n) {
  return keep(heyhi::api_summarize(view(in, n)));
}

const char* hh_evaluate(const char* in, size_t n) { return keep(heyhi::api_evaluate(view(in, n))); }

const char* hh_aggregate(const char* in, size_t n) {
  return keep(heyhi::api_aggregate(view(in, n)));
}
const char* hh_render_notification(const char* in, size_t n) {
  return keep(heyhi::api_render_notification(view(in, n)));
}
const char* hh_validate_slack_message(const char* in, size_t n) {
  return keep(heyhi::api_validate_slack_message(view(in, n)));
}

const char* hh_status_plan(const char* in, size_t n) {
  return keep(heyhi::api_status_plan(view(in, n)));
}
const char* hh_parse_status(const char* in, size_t n) {
  return keep(heyhi::api_parse_status(view(in, n)));
}
const char* hh_status_lag(const char* in, size_t n) {
  return keep(heyhi::api_status_lag(view(in, n)));
}

}  // extern "C"
