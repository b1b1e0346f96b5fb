// Rows exported from a store, read back for a replay: the llm_checks columns as JSON (an array
// of objects, or the `[{"results": [...]}]` that `wrangler d1 execute --json` prints) or as CSV
// with a header line. Bad input comes back as an error naming the line or row and the field.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "result.h"
#include "rows.h"

namespace heyhi::detection {

// A row as read, with where it is in the file ("line 12" or "row 12") for what is said about
// it later.
struct ExportedRow {
  Row row;
  std::string where;
};

// JSON when the text starts with `[` or `{`, CSV otherwise. In CSV an empty cell is null, and
// ok may be true/false, t/f or 1/0. Columns other than the llm_checks ones are ignored; a value
// the stores would refuse is refused. Error.field is "line 12, ok" for CSV and "row 12, ok" for
// JSON (rows counted from 1), and empty when the file as a whole is no export (empty, an HTML
// page, JSON cut short, wrangler's report of a failed query).
Result<std::vector<ExportedRow>> read_exported_rows(std::string_view text);

Result<std::vector<ExportedRow>> read_csv_rows(std::string_view text);
Result<std::vector<ExportedRow>> read_json_rows(std::string_view text);

}  // namespace heyhi::detection
