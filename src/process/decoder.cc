#include "process/decoder.h"

#include <arpa/inet.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <type_traits>

#include <fmt/format.h>

#include "cql/values.h"

namespace sluice::process {

std::string_view describe(errc e) {
  switch (e) {
    case errc::ok: return "ok";
    case errc::bad_schema: return "bad schema";
    case errc::no_table_store: return "no table store";
  }
  return "unknown";
}
std::string_view category_name(errc) { return "process"; }

std::string_view name(reject_kind k) {
  switch (k) {
    case reject_kind::invalid_json: return "invalid_json";
    case reject_kind::not_an_object: return "not_an_object";
    case reject_kind::missing_field: return "missing_field";
    case reject_kind::wrong_type: return "wrong_type";
    case reject_kind::extra_field: return "extra_field";
  }
  return "unknown";
}

std::string quote_identifier(std::string_view name) {
  const bool bare = !name.empty() && name[0] >= 'a' && name[0] <= 'z' &&
                    std::all_of(name.begin(), name.end(), [](char c) {
                      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                    });
  if (bare) return std::string(name);
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

record_schema reference_schema() {
  record_schema s;
  const auto text = cql::data_type{cql::type_id::varchar, {}};
  s.columns.push_back({"id", cql::data_type{cql::type_id::uuid, {}}, "", true});
  for (const char* c : {"first_name", "last_name", "gender", "address", "post_code", "email",
                        "username", "dob", "registered_date", "phone", "picture"}) {
    s.columns.push_back({c, text, "", false});
  }
  s.partition_key = {"id"};
  return s;
}

namespace {

using element = simdjson::dom::element;
using bytes = std::vector<uint8_t>;

// The value of an element already known to hold a T.
template <typename T>
T value_of(simdjson::simdjson_result<T> r) {
  T v{};
  if (std::move(r).get(v) != simdjson::SUCCESS) return T{};
  return v;
}

struct compiled_column {
  column spec;
  std::vector<std::string> path;  // the field's segments
};

struct compiled_condition {
  condition spec;
  std::vector<std::string> path;
  bool numeric = false;  // the value parses as a number
  double number = 0;
};

std::vector<std::string> split_path(std::string_view p) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t dot = p.find('.', start);
    out.emplace_back(
        p.substr(start, dot == std::string_view::npos ? p.size() - start : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

// Whether all of `s` (not empty) reads as a T, into `v`.
template <typename T>
bool whole(std::string_view s, T& v, int base = 10) {
  if (s.empty()) return false;
  std::from_chars_result r{};
  if constexpr (std::is_floating_point_v<T>) {
    r = std::from_chars(s.data(), s.data() + s.size(), v);
  } else {
    r = std::from_chars(s.data(), s.data() + s.size(), v, base);
  }
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// The value at `path`, or nothing (absent). Array elements are reached by index segments.
bool lookup(element root, const std::vector<std::string>& path, element& out) {
  element cur = root;
  for (const auto& seg : path) {
    if (cur.is_object()) {
      if (cur.get_object().at_key(seg).get(cur) != simdjson::SUCCESS) return false;
    } else if (cur.is_array()) {
      size_t i = 0;
      if (!whole(seg, i)) return false;
      if (cur.get_array().at(i).get(cur) != simdjson::SUCCESS) return false;
    } else {
      return false;
    }
  }
  out = cur;
  return true;
}

std::string_view json_kind(element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::ARRAY: return "an array";
    case simdjson::dom::element_type::OBJECT: return "an object";
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64: return "an integer";
    case simdjson::dom::element_type::DOUBLE: return "a number";
    case simdjson::dom::element_type::STRING: return "a string";
    case simdjson::dom::element_type::BOOL: return "a boolean";
    case simdjson::dom::element_type::NULL_VALUE: return "null";
  }
  return "a value";
}

// A value of `type` from a JSON element, or the reason it is not one (without the field's name).
struct coerced {
  bytes value;
  std::string error;  // empty: ok
};

coerced fail(std::string msg) { return {{}, std::move(msg)}; }

coerced wrong(element e, const cql::data_type& t) {
  return fail(fmt::format("expected {}, found {}", t.name(), json_kind(e)));
}

std::string_view as_string(element e) {
  std::string_view s;
  s = value_of(e.get_string());
  return s;
}

// An integer from an integer element or a string of one.
bool integer_of(element e, int64_t& v) {
  if (e.is_int64()) return e.get_int64().get(v) == simdjson::SUCCESS;
  if (e.is_uint64()) return false;  // beyond int64
  if (e.is_double()) {
    const double d = value_of(e.get_double());
    if (std::trunc(d) != d || std::abs(d) > 9.0e15) return false;
    v = static_cast<int64_t>(d);
    return true;
  }
  if (e.is_string()) return whole(as_string(e), v);
  return false;
}

bool number_of(element e, double& v) {
  if (e.is_number()) {
    if (e.is_double()) return e.get_double().get(v) == simdjson::SUCCESS;
    if (e.is_int64()) {
      v = static_cast<double>(value_of(e.get_int64()));
      return true;
    }
    v = static_cast<double>(value_of(e.get_uint64()));
    return true;
  }
  if (e.is_string()) return whole(as_string(e), v);
  return false;
}

// An integer of `t` (tinyint, smallint, int or bigint) that must lie in [lo, hi].
coerced in_range(int64_t v, const cql::data_type& t, int64_t lo, int64_t hi) {
  if (v < lo || v > hi) return fail(fmt::format("{} is out of range for {}", v, t.name()));
  switch (t.id) {
    case cql::type_id::tinyint: return {cql::encode_tinyint(static_cast<int8_t>(v)), {}};
    case cql::type_id::smallint: return {cql::encode_smallint(static_cast<int16_t>(v)), {}};
    case cql::type_id::int_: return {cql::encode_int(static_cast<int32_t>(v)), {}};
    default: return {cql::encode_bigint(v), {}};
  }
}

coerced ranged(element e, const cql::data_type& t, int64_t lo, int64_t hi) {
  int64_t v = 0;
  if (!integer_of(e, v)) return wrong(e, t);
  return in_range(v, t, lo, hi);
}

coerced from_text_result(result<bytes> r) {
  if (!r) return fail(r.error().message);
  return {std::move(*r), {}};
}

// A scalar of `t` from text: a JSON string, or a map's key.
coerced from_string(std::string_view s, const cql::data_type& t) {
  using cql::type_id;
  auto int_text = [&](int64_t lo, int64_t hi) -> coerced {
    int64_t v = 0;
    if (!whole(s, v)) return fail(fmt::format("expected {}, found the string '{}'", t.name(), s));
    return in_range(v, t, lo, hi);
  };
  switch (t.id) {
    case type_id::varchar:
      return {bytes(s.begin(), s.end()), {}};  // simdjson has checked the UTF-8
    case type_id::ascii:
      if (std::any_of(s.begin(), s.end(), [](char c) { return (c & 0x80) != 0; })) {
        return fail("expected ascii, found non-ASCII text");
      }
      return {bytes(s.begin(), s.end()), {}};
    case type_id::tinyint: return int_text(INT8_MIN, INT8_MAX);
    case type_id::smallint: return int_text(INT16_MIN, INT16_MAX);
    case type_id::int_: return int_text(INT32_MIN, INT32_MAX);
    case type_id::bigint:
    case type_id::counter: return int_text(INT64_MIN, INT64_MAX);
    case type_id::varint: return from_text_result(cql::encode_varint(s));
    case type_id::decimal: return from_text_result(cql::encode_decimal(s));
    case type_id::float_:
    case type_id::double_: {
      double v = 0;
      if (!whole(s, v)) {
        return fail(fmt::format("expected {}, found the string '{}'", t.name(), s));
      }
      if (t.id == type_id::float_) return {cql::encode_float(static_cast<float>(v)), {}};
      return {cql::encode_double(v), {}};
    }
    case type_id::boolean:
      if (s == "true" || s == "false") return {cql::encode_boolean(s == "true"), {}};
      return fail(fmt::format("expected boolean, found the string '{}'", s));
    case type_id::uuid:
    case type_id::timeuuid: {
      auto u = cql::parse_uuid(s);
      if (!u) return fail(fmt::format("'{}' is not a UUID", s));
      if (t.id == type_id::timeuuid && ((*u)[6] >> 4) != 1) {
        return fail(fmt::format("'{}' is not a time-based (version 1) UUID", s));
      }
      return {cql::encode_uuid(*u), {}};
    }
    case type_id::timestamp: {
      auto parsed = cql::parse_timestamp(s);
      if (!parsed) return fail(parsed.error().message);
      return {cql::encode_timestamp(*parsed), {}};
    }
    case type_id::date: {
      auto days = cql::parse_date(s);
      if (!days) return fail(days.error().message);
      return {cql::encode_date(*days), {}};
    }
    case type_id::time: {
      auto nanos = cql::parse_time(s);
      if (!nanos) return fail(nanos.error().message);
      return {cql::encode_time(*nanos), {}};
    }
    case type_id::inet: {
      // inet_pton reads a C string: text with a NUL ("10.0.0.1\u0000junk") would end there.
      const std::string text(s);
      uint8_t addr[16];
      if (text.find('\0') == std::string::npos) {
        if (inet_pton(AF_INET, text.c_str(), addr) == 1) return {bytes(addr, addr + 4), {}};
        if (inet_pton(AF_INET6, text.c_str(), addr) == 1) return {bytes(addr, addr + 16), {}};
      }
      return fail(fmt::format("'{}' is not an IP address", s));
    }
    case type_id::blob: {
      if (!s.starts_with("0x") || s.size() % 2 != 0) {
        return fail("expected a blob as 0x followed by pairs of hex digits");
      }
      bytes out;
      for (size_t i = 2; i < s.size(); i += 2) {
        uint8_t b = 0;
        if (!whole(s.substr(i, 2), b, 16)) return fail("a blob's hex digits");
        out.push_back(b);
      }
      return {std::move(out), {}};
    }
    default: return fail(fmt::format("expected {}, found a string", t.name()));
  }
}

coerced coerce(element e, const cql::data_type& t);

coerced collection(element e, const cql::data_type& t) {
  if (t.id == cql::type_id::map) {
    if (!e.is_object()) return wrong(e, t);
    std::vector<std::pair<bytes, bytes>> entries;
    for (auto [k, v] : e.get_object()) {
      coerced key = from_string(k, t.params[0]);
      if (!key.error.empty()) return fail(fmt::format("map key '{}': {}", k, key.error));
      if (v.is_null()) return fail(fmt::format("map value of '{}' is null", k));
      coerced val = coerce(v, t.params[1]);
      if (!val.error.empty()) return fail(fmt::format("map value of '{}': {}", k, val.error));
      entries.emplace_back(std::move(key.value), std::move(val.value));
    }
    return {cql::encode_map(entries), {}};
  }
  if (!e.is_array()) return wrong(e, t);
  std::vector<bytes> items;
  size_t i = 0;
  for (element item : e.get_array()) {
    if (item.is_null()) return fail(fmt::format("element {} is null", i));
    coerced c = coerce(item, t.params[0]);
    if (!c.error.empty()) return fail(fmt::format("element {}: {}", i, c.error));
    items.push_back(std::move(c.value));
    ++i;
  }
  return {t.id == cql::type_id::list ? cql::encode_list(items) : cql::encode_set(items), {}};
}

coerced coerce(element e, const cql::data_type& t) {
  using cql::type_id;
  if (t.is_collection()) return collection(e, t);
  if (e.is_string()) return from_string(as_string(e), t);
  switch (t.id) {
    case type_id::varchar:
    case type_id::ascii:
      if (e.is_number() || e.is_bool()) {
        const std::string text = simdjson::to_string(e);  // a number's JSON text: 93514, 1.5
        return {bytes(text.begin(), text.end()), {}};
      }
      return wrong(e, t);
    case type_id::tinyint: return ranged(e, t, INT8_MIN, INT8_MAX);
    case type_id::smallint: return ranged(e, t, INT16_MIN, INT16_MAX);
    case type_id::int_: return ranged(e, t, INT32_MIN, INT32_MAX);
    case type_id::bigint:
    case type_id::counter: return ranged(e, t, INT64_MIN, INT64_MAX);
    case type_id::varint: {
      if (e.is_uint64()) return from_text_result(cql::encode_varint(simdjson::to_string(e)));
      int64_t v = 0;
      if (!integer_of(e, v)) return wrong(e, t);
      return {cql::encode_varint(v), {}};
    }
    case type_id::float_:
    case type_id::double_: {
      double v = 0;
      if (!number_of(e, v)) return wrong(e, t);
      if (t.id == type_id::float_) return {cql::encode_float(static_cast<float>(v)), {}};
      return {cql::encode_double(v), {}};
    }
    case type_id::decimal:
      if (e.is_number()) return from_text_result(cql::encode_decimal(simdjson::to_string(e)));
      return wrong(e, t);
    case type_id::boolean:
      if (e.is_bool()) {
        bool b = false;
        b = value_of(e.get_bool());
        return {cql::encode_boolean(b), {}};
      }
      return wrong(e, t);
    case type_id::timestamp:
      if (e.is_int64()) {
        int64_t ms = 0;
        ms = value_of(e.get_int64());
        return {cql::encode_timestamp(ms), {}};
      }
      return wrong(e, t);
    default: return wrong(e, t);
  }
}

bool holds(element e, const compiled_condition& c) {
  switch (c.spec.op) {
    case filter_op::exists: return !e.is_null();
    case filter_op::missing: return e.is_null();
    default: break;
  }
  int order = 0;  // the record's value compared with the condition's
  if (e.is_number() && c.numeric) {
    double v = 0;
    number_of(e, v);
    order = v < c.number ? -1 : (v > c.number ? 1 : 0);
  } else if (e.is_string()) {
    const int r = as_string(e).compare(c.spec.value);
    order = r < 0 ? -1 : (r > 0 ? 1 : 0);
  } else if (e.is_bool()) {
    bool b = false;
    b = value_of(e.get_bool());
    const std::string_view s = b ? "true" : "false";
    if (c.spec.op == filter_op::eq) return s == c.spec.value;
    if (c.spec.op == filter_op::ne) return s != c.spec.value;
    return false;
  } else {
    return c.spec.op == filter_op::ne;  // null, objects and arrays equal no value
  }
  switch (c.spec.op) {
    case filter_op::eq: return order == 0;
    case filter_op::ne: return order != 0;
    case filter_op::lt: return order < 0;
    case filter_op::le: return order <= 0;
    case filter_op::gt: return order > 0;
    case filter_op::ge: return order >= 0;
    default: return false;
  }
}

}  // namespace

struct decoder::impl {
  record_schema schema;
  std::vector<compiled_column> columns;
  std::vector<compiled_condition> filter;
  std::set<std::string, std::less<>> roots;  // top-level fields some column reads
  simdjson::dom::parser parser;
};

result<decoder> decoder::compile(record_schema schema) {
  auto i = std::make_unique<impl>();
  std::set<std::string> names;
  auto bad = [](std::string m) { return make_error(errc::bad_schema, std::move(m)); };
  if (schema.columns.empty()) return bad("the schema has no columns");
  for (const auto& c : schema.columns) {
    if (c.name.empty()) return bad("a column without a name");
    if (!names.insert(c.name).second)
      return bad(fmt::format("column '{}' is declared twice", c.name));
    compiled_column cc{c, split_path(c.field.empty() ? c.name : c.field)};
    for (const auto& seg : cc.path) {
      if (seg.empty())
        return bad(
            fmt::format("column '{}': field path '{}' has an empty segment", c.name, c.field));
    }
    i->roots.insert(cc.path[0]);
    i->columns.push_back(std::move(cc));
  }
  if (schema.partition_key.empty()) return bad("the schema needs a partition key");
  auto key = [&](const std::string& k, std::string_view what) -> result<void> {
    auto it = std::find_if(i->columns.begin(), i->columns.end(),
                           [&](const compiled_column& c) { return c.spec.name == k; });
    if (it == i->columns.end()) {
      return bad(fmt::format("{} column '{}' is not one of the columns", what, k));
    }
    if (it->spec.type.is_collection()) {
      return bad(
          fmt::format("{} column '{}' cannot be a collection ({})", what, k, it->spec.type.name()));
    }
    it->spec.required = true;
    return {};
  };
  for (const auto& k : schema.partition_key) SLUICE_TRY(key(k, "partition key"));
  for (const auto& k : schema.clustering_key) SLUICE_TRY(key(k, "clustering key"));
  for (const auto& c : schema.filter) {
    if (c.field.empty()) return bad("a filter condition without a field");
    compiled_condition cc{c, split_path(c.field)};
    cc.numeric = whole(std::string_view(c.value), cc.number);
    i->filter.push_back(std::move(cc));
  }
  i->schema = std::move(schema);
  return decoder(std::move(i));
}

decoder::decoder(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
decoder::decoder(decoder&&) noexcept = default;
decoder& decoder::operator=(decoder&&) noexcept = default;
decoder::~decoder() = default;

const record_schema& decoder::schema() const { return impl_->schema; }

outcome decoder::decode(std::string_view json, std::vector<cql::value>& row, rejection& why,
                        std::vector<std::string>* extras) {
  // simdjson copies the bytes with memcpy, which must not be passed a null pointer even for no
  // bytes; an empty string_view may well have one.
  if (json.data() == nullptr) json = std::string_view("", 0);
  element root;
  if (auto err = impl_->parser.parse(json.data(), json.size()).get(root)) {
    why = {reject_kind::invalid_json,
           fmt::format("the record is not JSON: {}", simdjson::error_message(err))};
    return outcome::rejected;
  }
  if (!root.is_object()) {
    why = {reject_kind::not_an_object,
           fmt::format("the record is {}, not a JSON object", json_kind(root))};
    return outcome::rejected;
  }
  for (const auto& c : impl_->filter) {
    element v;
    const bool present = lookup(root, c.path, v);
    if (!present) {
      if (c.spec.op == filter_op::missing || c.spec.op == filter_op::ne) continue;
      return outcome::filtered;
    }
    if (!holds(v, c)) return outcome::filtered;
  }
  if (extras != nullptr || impl_->schema.extra == extra_fields::dead_letter) {
    std::vector<std::string> unread;
    for (auto [k, v] : root.get_object()) {
      if (!impl_->roots.contains(k)) unread.emplace_back(k);
    }
    if (!unread.empty() && impl_->schema.extra == extra_fields::dead_letter) {
      std::string list;
      for (const auto& u : unread) list += (list.empty() ? "" : ", ") + u;
      why = {reject_kind::extra_field,
             fmt::format("the record has fields the schema does not read: {}", list)};
      return outcome::rejected;
    }
    if (extras != nullptr && impl_->schema.extra == extra_fields::report)
      *extras = std::move(unread);
  }
  row.clear();
  row.reserve(impl_->columns.size());
  for (const auto& c : impl_->columns) {
    element v;
    const bool present = lookup(root, c.path, v);
    if (!present || v.is_null()) {
      if (c.spec.required) {
        why = {reject_kind::missing_field,
               fmt::format("required field '{}' is {}",
                           c.spec.field.empty() ? c.spec.name : c.spec.field,
                           present ? "null" : "missing")};
        return outcome::rejected;
      }
      row.push_back(present ? cql::value::null() : cql::value::not_set());
      continue;
    }
    coerced out = coerce(v, c.spec.type);
    if (!out.error.empty()) {
      why = {reject_kind::wrong_type, fmt::format("field '{}' (column {} {}): {}",
                                                  c.spec.field.empty() ? c.spec.name : c.spec.field,
                                                  c.spec.name, c.spec.type.name(), out.error)};
      return outcome::rejected;
    }
    row.push_back(cql::value::of(std::move(out.value)));
  }
  return outcome::row;
}

std::string decoder::create_table(std::string_view keyspace, std::string_view table) const {
  const auto& s = impl_->schema;
  std::string cols;
  for (const auto& c : s.columns) {
    cols += fmt::format("{} {}, ", quote_identifier(c.name), c.type.name());
  }
  auto join = [](const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + quote_identifier(n);
    return out;
  };
  std::string key = "(" + join(s.partition_key) + ")";
  if (!s.clustering_key.empty()) key += ", " + join(s.clustering_key);
  return fmt::format("CREATE TABLE IF NOT EXISTS {}.{} ({}PRIMARY KEY ({}))",
                     quote_identifier(keyspace), quote_identifier(table), cols, key);
}

std::string decoder::insert(std::string_view keyspace, std::string_view table) const {
  std::string cols, marks;
  for (const auto& c : impl_->schema.columns) {
    cols += (cols.empty() ? "" : ", ") + quote_identifier(c.name);
    marks += marks.empty() ? "?" : ", ?";
  }
  return fmt::format("INSERT INTO {}.{} ({}) VALUES ({})", quote_identifier(keyspace),
                     quote_identifier(table), cols, marks);
}

}  // namespace sluice::process
