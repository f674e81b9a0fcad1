#include "shell/output.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/json_text.h"
#include "cql/values.h"

namespace sluice::shell {
namespace {

using cql::type_id;

std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

// Display width of UTF-8 text: code points (every character one column wide).
size_t width(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string json_value(const cql::data_type& type, bytes_view v);

std::string json_elements(const cql::data_type& type, bytes_view v) {
  if (type.id == type_id::map) {
    auto entries = cql::decode_map(v);
    if (!entries) return json_string(cql::format_value(type, v, cql::format_style::cql));
    std::string out = "{";
    for (size_t i = 0; i < entries->size(); ++i) {
      const auto& [k, val] = (*entries)[i];
      std::string key = cql::format_value(type.params[0], k, cql::format_style::display);
      out += (i ? ", " : "") + json_string(key) + ": " + json_value(type.params[1], val);
    }
    return out + "}";
  }
  auto items = type.id == type_id::list ? cql::decode_list(v) : cql::decode_set(v);
  if (!items) return json_string(cql::format_value(type, v, cql::format_style::cql));
  std::string out = "[";
  for (size_t i = 0; i < items->size(); ++i) {
    out += (i ? ", " : "") + json_value(type.params[0], (*items)[i]);
  }
  return out + "]";
}

std::string json_value(const cql::data_type& type, bytes_view v) {
  switch (type.id) {
    case type_id::tinyint:
    case type_id::smallint:
    case type_id::int_:
    case type_id::bigint:
    case type_id::counter:
    case type_id::varint:
    case type_id::decimal:
    case type_id::boolean:
      if (type.validate(v)) return cql::format_value(type, v, cql::format_style::cql);
      break;
    case type_id::float_:
    case type_id::double_: {
      const std::string s = cql::format_value(type, v, cql::format_style::cql);
      if (s.find_first_of("NI") == std::string::npos) return s;  // NaN, Infinity: strings
      return json_string(s);
    }
    case type_id::list:
    case type_id::set:
    case type_id::map: return json_elements(type, v);
    default: break;
  }
  return json_string(cql::format_value(type, v, cql::format_style::display));
}

std::string csv_field(std::string s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

std::string cell_text(const cql::data_type& type, const std::optional<std::vector<uint8_t>>& cell,
                      output_format f) {
  if (!cell) return f == output_format::table ? "null" : f == output_format::json ? "null" : "";
  if (f == output_format::json) return json_value(type, *cell);
  return cql::format_value(type, *cell, cql::format_style::display);
}

void print_rows(const cql::result_response& r, output_format f, bool header, std::ostream& out) {
  const auto& cols = r.rows.metadata.columns;
  const size_t n = cols.size();
  const auto rows = static_cast<size_t>(r.rows.row_count);
  auto cell = [&](size_t row, size_t col) {
    return cell_text(cols[col].type, r.rows.cells[row * n + col], f);
  };
  if (f == output_format::json) {
    for (size_t i = 0; i < rows; ++i) {
      std::string line = "{";
      for (size_t c = 0; c < n; ++c) {
        line += (c ? ", " : "") + json_string(cols[c].name) + ": " + cell(i, c);
      }
      out << line << "}\n";
    }
    return;
  }
  if (f == output_format::csv) {
    if (header) {
      for (size_t c = 0; c < n; ++c) out << (c ? "," : "") << csv_field(cols[c].name);
      out << "\n";
    }
    for (size_t i = 0; i < rows; ++i) {
      for (size_t c = 0; c < n; ++c) out << (c ? "," : "") << csv_field(cell(i, c));
      out << "\n";
    }
    return;
  }
  // The table: names left-aligned, values right-aligned, as cqlsh.
  std::vector<std::vector<std::string>> text(rows, std::vector<std::string>(n));
  std::vector<size_t> widths(n);
  for (size_t c = 0; c < n; ++c) widths[c] = width(cols[c].name);
  for (size_t i = 0; i < rows; ++i) {
    for (size_t c = 0; c < n; ++c) {
      text[i][c] = cell(i, c);
      widths[c] = std::max(widths[c], width(text[i][c]));
    }
  }
  if (header) {
    std::string line, rule;
    for (size_t c = 0; c < n; ++c) {
      line += (c ? " | " : " ") + cols[c].name + std::string(widths[c] - width(cols[c].name), ' ');
      rule += (c ? "-+-" : "-") + std::string(widths[c], '-');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n" << rule << "-\n";
  }
  for (size_t i = 0; i < rows; ++i) {
    std::string line;
    for (size_t c = 0; c < n; ++c) {
      line += (c ? " | " : " ") + std::string(widths[c] - width(text[i][c]), ' ') + text[i][c];
    }
    out << line << "\n";
  }
}

}  // namespace sluice::shell
