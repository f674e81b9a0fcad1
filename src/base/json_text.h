// Writing JSON text by hand on hot paths (the random-user API's answers, the ingest job's records),
// where a DOM would cost more than the data.
#pragma once

#include <string>
#include <string_view>

namespace sluice {

// Appends `s` as a JSON string: quoted; '"', '\\', '\n', '\r' and '\t' escaped by name, other
// control characters as \u00XX; everything else (UTF-8 included) copied as it is.
void append_json_string(std::string& out, std::string_view s);

}  // namespace sluice
