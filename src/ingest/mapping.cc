#include "ingest/mapping.h"

#include <simdjson.h>

#include <algorithm>
#include <optional>
#include <random>

#include <fmt/format.h>

#include "base/json_text.h"
#include "ingest/fetcher.h"

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
  std::string text;               // literal text, or the path as written (for messages)
  std::vector<std::string> keys;  // {"location", "street", "number"}
};

std::vector<std::string> keys_of(std::string_view path) {
  std::vector<std::string> keys;
  size_t start = 0;
  for (;;) {
    const size_t dot = path.find('.', start);
    keys.emplace_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return keys;
    start = dot + 1;
  }
}

// What a JSON pointer made of `keys` finds below `e` (object members by exact name, array
// elements by a decimal index without leading zeros), walked without parsing a pointer each time.
simdjson::error_code find(simdjson::dom::element e, const std::vector<std::string>& keys,
                          simdjson::dom::element& out) {
  for (const std::string& k : keys) {
    simdjson::dom::object obj;
    simdjson::dom::array arr;
    if (e.get_object().get(obj) == simdjson::SUCCESS) {
      if (auto err = obj.at_key(k).get(e)) return err;
    } else if (e.get_array().get(arr) == simdjson::SUCCESS) {
      size_t index = 0;
      const bool digits = !k.empty() && k.size() <= 18 && (k == "0" || k[0] != '0') &&
                          std::ranges::all_of(k, [](char c) { return c >= '0' && c <= '9'; });
      if (!digits) return simdjson::INCORRECT_TYPE;
      for (char c : k) index = index * 10 + static_cast<size_t>(c - '0');
      if (auto err = arr.at(index).get(e)) return err;
    } else {
      return simdjson::INCORRECT_TYPE;
    }
  }
  out = e;
  return simdjson::SUCCESS;
}

void append_uuid_v4(std::string& s) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  uint8_t b[16];
  for (int i = 0; i < 16; i += 8) {
    const uint64_t x = rng();
    for (int j = 0; j < 8; ++j) b[i + j] = static_cast<uint8_t>(x >> (8 * j));
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);
  static constexpr char hex[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(hex[b[i] >> 4]);
    s.push_back(hex[b[i] & 15]);
  }
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
          pieces.push_back({piece::kind::path, std::string(path), keys_of(path)});
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
                                       size_t max, bool padded) const {
  static_assert(fetcher::body_padding >= simdjson::SIMDJSON_PADDING);
  static thread_local simdjson::dom::parser parser;  // its buffers are reused between answers
  std::optional<simdjson::padded_string> copy;
  if (!padded) copy.emplace(body);
  simdjson::dom::element doc;
  const auto parsed = padded ? parser.parse(body.data(), body.size(), /*realloc_if_needed=*/false)
                             : parser.parse(*copy);
  if (auto err = parsed.get(doc); err) {
    return make_error(errc::bad_response,
                      fmt::format("the answer is not JSON ({}): {}", simdjson::error_message(err),
                                  std::string(body.substr(0, 80))));
  }
  simdjson::dom::element at;
  simdjson::dom::array records;
  if (find(doc, keys_of(records_path), at) || at.get_array().get(records)) {
    return make_error(errc::bad_response,
                      fmt::format("the answer has no array of records at '{}'", records_path));
  }
  output out;
  out.total = records.size();
  size_t index = 0;
  std::string value;
  out.records.reserve(std::min(max, records.size()));
  size_t last_size = 0;  // the record before, to size the next one at once
  for (simdjson::dom::element rec : records) {
    if (out.records.size() >= max) break;
    std::string json;
    json.reserve(last_size + 64);
    json += '{';
    bool ok = true;
    for (size_t f = 0; f < fields_.size() && ok; ++f) {
      value.clear();
      for (const piece& p : compiled_->fields[f]) {
        if (p.what == piece::kind::text) {
          value += p.text;
          continue;
        }
        if (p.what == piece::kind::uuid) {
          append_uuid_v4(value);
          continue;
        }
        simdjson::dom::element v;
        const auto err = find(rec, p.keys, v);
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
    last_size = json.size();
    out.records.push_back(std::move(json));
  }
  return out;
}

}  // namespace sluice::ingest
