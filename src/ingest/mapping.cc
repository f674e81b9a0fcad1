#include "ingest/mapping.h"

#include <simdjson.h>

#include <random>

#include <fmt/format.h>

#include "base/json_text.h"

namespace sluice::ingest {

std::string_view describe(errc e) {
  switch (e) {
    case errc::ok: return "ok";
    case errc::bad_template: return "bad template";
    case errc::bad_response: return "bad response";
    case errc::bad_record: return "bad record";
  }
  return "unknown";
}
std::string_view category_name(errc) { return "ingest"; }

namespace {

// One piece of a template: literal text, a JSON pointer into the record, or a fresh UUID.
struct piece {
  enum class kind : uint8_t { text, path, uuid } what = kind::text;
  std::string text;     // literal text, or the path as written (for messages)
  std::string pointer;  // "/location/street/number"
};

std::string uuid_v4() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  uint8_t b[16];
  for (int i = 0; i < 16; i += 8) {
    const uint64_t x = rng();
    for (int j = 0; j < 8; ++j) b[i + j] = static_cast<uint8_t>(x >> (8 * j));
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(hex[b[i] >> 4]);
    s.push_back(hex[b[i] & 15]);
  }
  return s;
}

std::string pointer_of(std::string_view path) {
  std::string p;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t dot = path.find('.', start);
    std::string_view part =
        path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    p.push_back('/');
    for (char c : part) {  // JSON pointer escapes
      if (c == '~') {
        p += "~0";
      } else if (c == '/') {
        p += "~1";
      } else {
        p.push_back(c);
      }
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return p;
}

}  // namespace

struct mapping::compiled {
  std::vector<std::vector<piece>> fields;
};

mapping::mapping() = default;
mapping::mapping(mapping&&) noexcept = default;
mapping& mapping::operator=(mapping&&) noexcept = default;
mapping::~mapping() = default;

std::vector<field_template> reference_templates() {
  return {{"id", "{uuid}"},
          {"first_name", "{name.first}"},
          {"last_name", "{name.last}"},
          {"gender", "{gender}"},
          {"address",
           "{location.street.number} {location.street.name}, {location.city}, {location.state}, "
           "{location.country}"},
          {"post_code", "{location.postcode}"},
          {"email", "{email}"},
          {"username", "{login.username}"},
          {"dob", "{dob.date}"},
          {"registered_date", "{registered.date}"},
          {"phone", "{phone}"},
          {"picture", "{picture.medium}"}};
}

result<mapping> mapping::compile(const std::vector<field_template>& templates) {
  mapping m;
  m.compiled_ = std::make_unique<compiled>();
  if (templates.empty()) return make_error(errc::bad_template, "the mapping has no fields");
  for (const auto& t : templates) {
    if (t.field.empty()) return make_error(errc::bad_template, "a mapped field has no name");
    if (std::ranges::find(m.fields_, t.field) != m.fields_.end()) {
      return make_error(errc::bad_template, fmt::format("field {} is mapped twice", t.field));
    }
    std::vector<piece> pieces;
    std::string text;
    const std::string_view s = t.text;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '{' && i + 1 < s.size() && s[i + 1] == '{') {
        text.push_back('{');
        ++i;
      } else if (s[i] == '}' && i + 1 < s.size() && s[i + 1] == '}') {
        text.push_back('}');
        ++i;
      } else if (s[i] == '{') {
        const size_t close = s.find('}', i);
        if (close == std::string_view::npos) {
          return make_error(errc::bad_template,
                            fmt::format("field {}: '{{' at {} is never closed", t.field, i + 1));
        }
        const std::string_view path = s.substr(i + 1, close - i - 1);
        if (path.empty() || path.find_first_of("{ ") != std::string_view::npos) {
          return make_error(errc::bad_template,
                            fmt::format("field {}: '{{{}}}' is not a path", t.field, path));
        }
        if (!text.empty()) pieces.push_back({piece::kind::text, std::move(text), {}});
        text.clear();
        if (path == "uuid") {
          pieces.push_back({piece::kind::uuid, "uuid", {}});
        } else {
          pieces.push_back({piece::kind::path, std::string(path), pointer_of(path)});
        }
        i = close;
      } else if (s[i] == '}') {
        return make_error(
            errc::bad_template,
            fmt::format("field {}: '}}' at {} closes nothing (write '}}}}')", t.field, i + 1));
      } else {
        text.push_back(s[i]);
      }
    }
    if (!text.empty()) pieces.push_back({piece::kind::text, std::move(text), {}});
    m.fields_.push_back(t.field);
    m.compiled_->fields.push_back(std::move(pieces));
  }
  return m;
}

result<mapping::output> mapping::apply(std::string_view body, std::string_view records_path,
                                       size_t max) const {
  static thread_local simdjson::dom::parser parser;  // its buffers are reused between answers
  const simdjson::padded_string padded(body);
  simdjson::dom::element doc;
  if (auto err = parser.parse(padded).get(doc); err) {
    return make_error(errc::bad_response,
                      fmt::format("the answer is not JSON ({}): {}", simdjson::error_message(err),
                                  std::string(body.substr(0, 80))));
  }
  simdjson::dom::array records;
  if (auto err = doc.at_pointer(pointer_of(records_path)).get_array().get(records); err) {
    return make_error(errc::bad_response,
                      fmt::format("the answer has no array of records at '{}'", records_path));
  }
  output out;
  out.total = records.size();
  size_t index = 0;
  std::string value;
  for (simdjson::dom::element rec : records) {
    if (out.records.size() >= max) break;
    std::string json = "{";
    bool ok = true;
    for (size_t f = 0; f < fields_.size() && ok; ++f) {
      value.clear();
      for (const piece& p : compiled_->fields[f]) {
        if (p.what == piece::kind::text) {
          value += p.text;
          continue;
        }
        if (p.what == piece::kind::uuid) {
          value += uuid_v4();
          continue;
        }
        simdjson::dom::element v;
        const auto err = rec.at_pointer(p.pointer).get(v);
        std::string_view s;
        if (!err && v.get_string().get(s) == simdjson::SUCCESS) {
          value += s;
        } else if (!err && (v.is_int64() || v.is_uint64() || v.is_double() || v.is_bool())) {
          value += simdjson::to_string(v);
        } else {
          ok = false;
          ++out.bad;
          if (out.first_error.empty()) {
            out.first_error =
                fmt::format("record {}: field {}: {} is {}", index, fields_[f], p.text,
                            err           ? "missing"
                            : v.is_null() ? "null"
                                          : "not a string, number or boolean");
          }
          break;
        }
      }
      if (!ok) break;
      if (f > 0) json += ",";
      append_json_string(json, fields_[f]);
      json += ":";
      append_json_string(json, value);
    }
    ++index;
    if (!ok) continue;
    json += "}";
    out.records.push_back(std::move(json));
  }
  return out;
}

}  // namespace sluice::ingest
