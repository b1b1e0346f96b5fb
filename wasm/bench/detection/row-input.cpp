#include "detection/row-input.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <optional>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "config.h"
#include "json-read.h"
#include "time-format.h"
#include "validator.h"

namespace heyhi::detection {
namespace {

// One value as either format gives it: CSV has only text and null; JSON has types.
struct Cell {
  enum class Kind { null, text, number, boolean, other } kind = Kind::null;
  std::string_view text;
  double number = 0;
  std::optional<int64_t> integer;  // a JSON integer exactly, where a double would round it
  bool boolean = false;
};

using Lookup = std::function<Cell(std::string_view column)>;

std::string shown(const Cell& cell) {
  switch (cell.kind) {
    case Cell::Kind::null: return "null";
    case Cell::Kind::text: return fmt::format("\"{}\"", cell.text.substr(0, 40));
    case Cell::Kind::number:
      return cell.integer ? fmt::format("{}", *cell.integer) : fmt::format("{}", cell.number);
    case Cell::Kind::boolean: return cell.boolean ? "true" : "false";
    case Cell::Kind::other: return "an array or object";
  }
  return "null";
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Every whole-number column is an `integer` in Postgres.
constexpr int64_t kMaxStoredInteger = 2147483647;

// D1's and Postgres' own checks on http_status.
constexpr int64_t kMinHttpStatus = 100;
constexpr int64_t kMaxHttpStatus = 599;

// Reads the llm_checks columns of one row through `get`; `where` names the row in errors.
class RowReader {
 public:
  RowReader(Lookup get, std::string where) : get_(std::move(get)), where_(std::move(where)) {}

  Result<Row> read() {
    Row row;
    bool fine = text("scheduled_at", true, row.scheduled_at) && minute("scheduled_at") &&
                text("region", true, row.region) && region(row.region) &&
                text("provider", true, row.provider) && text("model", true, row.model) &&
                flag("ok", row.ok) && whole("latency_ms", true, row.latency_ms) &&
                error_type(row) && optional_text("ts", row.ts) && time("ts", false) &&
                optional_text("colo", row.colo) && http_status(row.http_status) &&
                optional_whole("ttfb_ms", row.ttfb_ms) &&
                optional_whole("tokens_in", row.tokens_in) &&
                optional_whole("tokens_out", row.tokens_out) &&
                optional_text("request_id", row.request_id) && optional_text("detail", row.detail);
    if (!fine) return error_;
    if (row.ts.empty()) row.ts = row.scheduled_at;
    return row;
  }

 private:
  bool fail(std::string_view column, std::string message) {
    error_ = {fmt::format("{}, {}", where_, column), std::move(message)};
    return false;
  }

  bool text(std::string_view column, bool required, std::string& into) {
    Cell cell = get_(column);
    if (cell.kind == Cell::Kind::null && !required) return true;
    if (cell.kind != Cell::Kind::text || cell.text.empty()) {
      return fail(column, fmt::format("must be a non-empty string, got {}", shown(cell)));
    }
    into = std::string(cell.text);
    return true;
  }

  bool optional_text(std::string_view column, std::string& into) {
    return text(column, false, into);
  }

  bool optional_text(std::string_view column, std::optional<std::string>& into) {
    std::string value;
    if (!text(column, false, value)) return false;
    if (!value.empty()) into = std::move(value);
    return true;
  }

  bool time(std::string_view column, bool required) {
    Cell cell = get_(column);
    if (cell.kind == Cell::Kind::null && !required) return true;
    if (parse_iso_utc(cell.text)) return true;
    // The same text on the first of its month reads: only the day is wrong (2026-02-30).
    std::string first_of_month(cell.text);
    if (first_of_month.size() > 10) first_of_month.replace(8, 2, "01");
    if (parse_iso_utc(first_of_month)) {
      return fail(column, fmt::format("is not a date on the calendar, got {}", shown(cell)));
    }
    return fail(column, fmt::format("must be a UTC time such as 2026-12-03T12:14:00Z, got {}",
                                    shown(cell)));
  }

  // Both stores hold scheduled_at on a whole minute and refuse any other time.
  bool minute(std::string_view column) {
    if (!time(column, true)) return false;
    Cell cell = get_(column);
    std::string_view seconds = cell.text.size() >= 19 ? cell.text.substr(16, 3) : ":00";
    int64_t ms = *parse_iso_utc(cell.text);
    if (ms % 60000 == 0 && seconds == ":00") return true;
    return fail(column,
                fmt::format("must be a whole minute, as the stores keep it, got {}", shown(cell)));
  }

  bool flag(std::string_view column, bool& into) {
    Cell cell = get_(column);
    std::string word = lower(cell.text);
    if (cell.kind == Cell::Kind::boolean) {
      into = cell.boolean;
    } else if (cell.kind == Cell::Kind::number && (cell.number == 0 || cell.number == 1)) {
      into = cell.number == 1;
    } else if (cell.kind == Cell::Kind::text && (word == "true" || word == "t" || word == "1")) {
      into = true;
    } else if (cell.kind == Cell::Kind::text && (word == "false" || word == "f" || word == "0")) {
      into = false;
    } else {
      return fail(column, fmt::format("must be true, false, 1 or 0, got {}", shown(cell)));
    }
    return true;
  }

  std::optional<double> whole_number_of(const Cell& cell) {
    if (cell.integer) return static_cast<double>(*cell.integer);
    double value = cell.number;
    if (cell.kind == Cell::Kind::text) {
      auto [end, code] =
          std::from_chars(cell.text.data(), cell.text.data() + cell.text.size(), value);
      if (code != std::errc() || end != cell.text.data() + cell.text.size()) return std::nullopt;
    } else if (cell.kind != Cell::Kind::number) {
      return std::nullopt;
    }
    if (!std::isfinite(value) || std::floor(value) != value) return std::nullopt;
    return value;
  }

  bool whole(std::string_view column, bool required, int64_t& into) {
    Cell cell = get_(column);
    if (cell.kind == Cell::Kind::null && !required) return true;
    auto value = whole_number_of(cell);
    if (!value || *value < 0) {
      return fail(column, fmt::format("must be a whole number >= 0, got {}", shown(cell)));
    }
    if (*value > static_cast<double>(kMaxStoredInteger)) {
      return fail(column, fmt::format("is out of range: the stores hold at most {}, got {}",
                                      kMaxStoredInteger, shown(cell)));
    }
    into = static_cast<int64_t>(*value);
    return true;
  }

  bool optional_whole(std::string_view column, std::optional<int64_t>& into) {
    if (get_(column).kind == Cell::Kind::null) return true;
    int64_t value = 0;
    if (!whole(column, false, value)) return false;
    into = value;
    return true;
  }

  // A Cloudflare location hint, or an outside vantage's name as the Node runner gives it: a
  // row under any other name ("ENAM") would be taken for an outside vantage and counted by no
  // rule, which would make a backtest that sends nothing look like a quiet history.
  bool region(const std::string& name) {
    if (!is_outside_vantage(name) || outside_vantage_name(name)) return true;
    std::string hints =
        join_names(kLocationHints.data(), kLocationHints.data() + kLocationHints.size());
    return fail("region", fmt::format("is neither a Cloudflare location hint ({}) nor an outside "
                                      "vantage's name (a-z, 0-9 and \"-\", with a \"-\", such as "
                                      "gha-eastus), got {}",
                                      hints, shown(get_("region"))));
  }

  static bool outside_vantage_name(std::string_view name) {
    auto letter = [](char c) { return c >= 'a' && c <= 'z'; };
    bool fine = std::all_of(name.begin(), name.end(), [&](char c) {
      return letter(c) || (c >= '0' && c <= '9') || c == '-';
    });
    return fine && name.size() >= 2 && name.size() <= 63 && letter(name[0]) &&
           name.find('-') != std::string_view::npos;
  }

  bool http_status(std::optional<int64_t>& into) {
    if (!optional_whole("http_status", into)) return false;
    if (!into || (*into >= kMinHttpStatus && *into <= kMaxHttpStatus)) return true;
    return fail("http_status",
                fmt::format("must be from {} to {}, as the stores check, got {}", kMinHttpStatus,
                            kMaxHttpStatus, shown(get_("http_status"))));
  }

  bool error_type(Row& row) {
    Cell cell = get_("error_type");
    if (cell.kind == Cell::Kind::text && !cell.text.empty()) {
      row.error_type = error_type_from_name(cell.text);
      if (!row.error_type) {
        return fail("error_type", fmt::format("is not a known error type: {}", shown(cell)));
      }
    } else if (cell.kind != Cell::Kind::null) {
      return fail("error_type",
                  fmt::format("must be an error type name or null, got {}", shown(cell)));
    }
    if (row.ok == row.error_type.has_value()) {
      return fail("error_type", row.ok ? "must be empty when ok is true"
                                       : "must name the error when ok is false");
    }
    return true;
  }

  Lookup get_;
  std::string where_;
  Error error_;
};

// --- CSV ----------------------------------------------------------------------------------

struct Record {
  size_t line = 0;                                // where the record starts, from 1
  std::vector<std::optional<std::string>> cells;  // absent: an empty, unquoted cell
};

// RFC 4180: quoted cells may hold commas, doubled quotes and line breaks.
Result<std::vector<Record>> split_csv(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<Record> records;
  Record current{1, {}};
  std::string cell;
  bool quoted = false;
  bool was_quoted = false;
  size_t line = 1;
  size_t quote_line = 0;
  auto end_cell = [&] {
    current.cells.push_back(cell.empty() && !was_quoted ? std::nullopt
                                                        : std::optional<std::string>(cell));
    cell.clear();
    was_quoted = false;
  };
  auto end_record = [&] {
    end_cell();
    bool blank = current.cells.size() == 1 && !current.cells[0];
    if (!blank) records.push_back(std::move(current));
    current = Record{line + 1, {}};
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        cell += c;
      }
      continue;
    }
    if (c == '"' && cell.empty() && !was_quoted) {
      quoted = was_quoted = true;
      quote_line = line;
    } else if (c == '"') {
      return Error{fmt::format("line {}", line), "a quote inside an unquoted cell"};
    } else if (c == ',') {
      end_cell();
    } else if (c == '\n') {
      end_record();
      ++line;
    } else if (c != '\r') {
      cell += c;
    }
  }
  if (quoted) return Error{fmt::format("line {}", quote_line), "a quoted cell is never closed"};
  if (!cell.empty() || was_quoted || !current.cells.empty()) end_record();
  return records;
}

std::string trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

// A spreadsheet set to a language that writes decimal commas saves CSV with semicolons, and
// psql's \copy writes tabs unless told csv: every line would then be one cell.
std::optional<Error> separator_problem(std::string_view text) {
  std::string_view header = text.substr(0, text.find('\n'));
  if (header.find(',') != std::string_view::npos) return std::nullopt;
  for (auto [separator, name] : {std::pair{';', "semicolons"}, std::pair{'\t', "tabs"}}) {
    if (header.find(separator) == std::string_view::npos) continue;
    return Error{"line 1", fmt::format("the header is separated by {}, not commas: the file must "
                                       "be comma-separated",
                                       name)};
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 7> kRequiredColumns = {
    "scheduled_at", "region", "provider", "model", "ok", "error_type", "latency_ms"};

// --- JSON ---------------------------------------------------------------------------------

Cell cell_of(std::optional<element> value) {
  Cell cell;
  if (!value || value->is_null()) return cell;
  if (value->is_string()) {
    cell.kind = Cell::Kind::text;
    cell.text = value->get_string().value_unsafe();
  } else if (value->is_bool()) {
    cell.kind = Cell::Kind::boolean;
    cell.boolean = value->get_bool().value_unsafe();
  } else if (value->is_number()) {
    cell.kind = Cell::Kind::number;
    double number = 0;
    if (value->get_double().get(number) != simdjson::SUCCESS) number = NAN;
    cell.number = number;
    int64_t integer = 0;
    if (value->get_int64().get(integer) == simdjson::SUCCESS) cell.integer = integer;
  } else {
    cell.kind = Cell::Kind::other;
  }
  return cell;
}

// Whether the text ends inside a string or before every [ and { is closed, as a download or
// a copy cut short does.
bool ends_open(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (escaped) {
      escaped = false;
    } else if (in_string) {
      escaped = c == '\\';
      in_string = c != '"';
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return in_string || depth > 0;
}

Error invalid_json(std::string_view text, simdjson::error_code code) {
  if (ends_open(text)) {
    return Error{"",
                 "not valid JSON: it ends before every [ and { is closed, so the file looks "
                 "truncated"};
  }
  // simdjson's messages open with the code's name, "TAPE_ERROR: ", which says nothing more.
  std::string_view reason = simdjson::error_message(code);
  size_t named = reason.find(": ");
  if (named != std::string_view::npos &&
      reason.substr(0, named).find(' ') == std::string_view::npos) {
    reason.remove_prefix(named + 2);
  }
  return Error{"", fmt::format("not valid JSON: it is malformed (simdjson: {})", reason)};
}

// `wrangler d1 execute --json` wraps each statement's rows in {"results": [...], ...}.
std::vector<element> row_objects(element root, bool& shaped) {
  std::vector<element> out;
  shaped = true;
  auto add_results = [&](element holder) {
    auto results = member(holder, "results");
    if (!results || !results->is_array()) return false;
    for (element item : items(*results)) out.push_back(item);
    return true;
  };
  if (root.is_object()) {
    shaped = add_results(root);
    return out;
  }
  if (!root.is_array()) {
    shaped = false;
    return out;
  }
  std::vector<element> all;
  for (element item : items(root)) all.push_back(item);
  bool wrapped = !all.empty() && std::all_of(all.begin(), all.end(), [](element item) {
    return member(item, "results").has_value() && !member(item, "provider").has_value();
  });
  if (!wrapped) return all;
  for (element item : all) add_results(item);
  return out;
}

// A failure's own words: wrangler's {"text", "notes": [{"text"}]}, a statement's "error" string,
// or the Cloudflare API's "errors": [{"message"}].
void add_failure_words(std::optional<element> value, std::string& out) {
  if (!value) return;
  if (value->is_array()) {
    for (element item : items(*value)) add_failure_words(item, out);
    return;
  }
  auto add = [&](std::string_view words) { out += (out.empty() ? "" : "; ") + std::string(words); };
  if (value->is_string()) add(value->get_string().value_unsafe());
  for (std::string_view key : {"text", "message"}) {
    if (auto words = string_at(*value, key)) add(*words);
  }
  add_failure_words(member(*value, "notes"), out);
}

std::string failure_words(element holder) {
  std::string words;
  add_failure_words(member(holder, "error"), words);
  add_failure_words(member(holder, "errors"), words);
  if (words.empty()) return "";
  return fmt::format(": \"{}\"", words.substr(0, 300));
}

// `wrangler d1 execute --json` prints {"error": ...} when the command fails (no such table, no
// access), and "success": false on a statement that failed; neither holds the rows asked for.
std::optional<Error> wrangler_failure(element root) {
  if (root.is_object() && member(root, "error") && !member(root, "results")) {
    return Error{"", "wrangler reported an error, not rows" + failure_words(root)};
  }
  std::vector<element> statements;
  if (root.is_object()) statements.push_back(root);
  if (root.is_array()) {
    for (element item : items(root)) statements.push_back(item);
  }
  for (size_t i = 0; i < statements.size(); ++i) {
    auto success = bool_at(statements[i], "success");
    if (!success || *success) continue;
    std::string which = statements.size() > 1 ? fmt::format(" for statement {}", i + 1) : "";
    return Error{"", fmt::format("wrangler reported \"success\": false{}, not rows{}", which,
                                 failure_words(statements[i]))};
  }
  return std::nullopt;
}

// A column named twice is read as one of them here and perhaps as the other by the tool that
// wrote the export: the rows would mean two things, so the file is refused.
std::optional<std::string_view> repeated_column(const std::vector<std::string>& header) {
  std::set<std::string_view> seen;
  for (std::string_view name : header) {
    if (!name.empty() && !seen.insert(name).second) return name;
  }
  return std::nullopt;
}

}  // namespace

Result<std::vector<ExportedRow>> read_csv_rows(std::string_view text) {
  if (auto problem = separator_problem(text)) return *problem;
  auto split = split_csv(text);
  if (!split.ok()) return split.error();
  std::vector<Record>& records = split.value();
  if (records.empty()) return Error{"line 1", "no header line: the file is empty"};

  std::vector<std::string> header;
  for (const auto& name : records[0].cells) header.push_back(lower(trim(name.value_or(""))));
  if (auto twice = repeated_column(header)) {
    return Error{"line 1", fmt::format("the header has the column \"{}\" twice: which one holds "
                                       "the value cannot be told",
                                       *twice)};
  }
  for (std::string_view needed : kRequiredColumns) {
    if (std::find(header.begin(), header.end(), needed) == header.end()) {
      return Error{"line 1", fmt::format("the header has no column \"{}\"", needed)};
    }
  }

  std::vector<ExportedRow> rows;
  rows.reserve(records.size() - 1);
  for (size_t r = 1; r < records.size(); ++r) {
    const Record& record = records[r];
    if (record.cells.size() != header.size()) {
      return Error{
          fmt::format("line {}", record.line),
          fmt::format("has {} cells where the header has {}", record.cells.size(), header.size())};
    }
    Lookup get = [&](std::string_view column) {
      Cell cell;
      for (size_t c = 0; c < header.size(); ++c) {
        if (header[c] != column || !record.cells[c]) continue;
        cell.kind = Cell::Kind::text;
        cell.text = *record.cells[c];
      }
      return cell;
    };
    std::string where = fmt::format("line {}", record.line);
    auto row = RowReader(get, where).read();
    if (!row.ok()) return row.error();
    rows.push_back({std::move(row).value(), std::move(where)});
  }
  return rows;
}

Result<std::vector<ExportedRow>> read_json_rows(std::string_view text) {
  Document doc;
  if (auto code = doc.parse(text); code != simdjson::SUCCESS) return invalid_json(text, code);
  if (auto failure = wrangler_failure(doc.root())) return *failure;
  bool shaped = false;
  std::vector<element> objects = row_objects(doc.root(), shaped);
  if (!shaped) {
    return Error{"document", "must be an array of row objects, or [{\"results\": [...]}]"};
  }
  std::vector<ExportedRow> rows;
  rows.reserve(objects.size());
  for (size_t i = 0; i < objects.size(); ++i) {
    std::string where = fmt::format("row {}", i + 1);
    if (!objects[i].is_object()) return Error{where, "must be an object"};
    element object = objects[i];
    std::vector<Error> twice;
    find_duplicate_keys(object, "", twice);
    if (!twice.empty())
      return Error{fmt::format("{}, {}", where, twice[0].field), twice[0].message};
    Lookup get = [&](std::string_view column) { return cell_of(member(object, column)); };
    auto row = RowReader(get, where).read();
    if (!row.ok()) return row.error();
    rows.push_back({std::move(row).value(), std::move(where)});
  }
  return rows;
}

Result<std::vector<ExportedRow>> read_exported_rows(std::string_view text) {
  size_t at = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at]))) ++at;
  if (text.empty()) return Error{"", "the file is empty"};
  if (at == text.size()) return Error{"", "the file holds nothing but white space"};
  // A sign-in page or an error page saved in place of the export, whatever the file's name.
  if (text[at] == '<') {
    size_t end = std::min(text.find('>', at), at + 39) + 1;  // its first tag, 40 characters at most
    std::string_view tag = text.substr(at, end - at);
    return Error{"", fmt::format("the file looks like an HTML page (it starts with \"{}\"), not a "
                                 "CSV or JSON export",
                                 tag)};
  }
  if (text[at] == '[' || text[at] == '{') return read_json_rows(text);
  return read_csv_rows(text);
}

}  // namespace heyhi::detection
