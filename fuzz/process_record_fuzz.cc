// The stream processor's record decoder (process/decoder.h) on arbitrary record values: what
// Kafka hands the job is untrusted, so any bytes must give a row, a filtered record or a
// rejection with a reason, never a crash or an escaping exception. Each input is decoded against
// the reference schema and schemas built once (every CQL type the decoder coerces to, nested
// field paths, a clustering key, filters, extra_fields = dead_letter and ignore), and checked:
//  - a row has one value per column, a value for every required and key column, and every value
//    is valid for its column's type (what the server checks of bound values);
//  - a rejection has a reason; one for a missing or wrongly typed field names a column's field (a
//    missing one, a required column's); extra_field only comes in dead_letter mode; reported
//    extras are fields no column reads;
//  - whether the bytes are JSON and an object does not depend on the schema;
//  - the same record decoded twice gives the same answer (the parser's buffers are reused);
//  - schemas that differ only in extra_fields or filters agree: dead_letter rejects exactly the
//    records with reported extras, a filter either filters or changes nothing, and complementary
//    conditions (eq/ne, exists/missing) let exactly one of the pair through;
//  - a field read as several columns gives one value: as uuid and text, inet and text (all of
//    it), date or timestamp and text that is only a date (the day it names, by an independent
//    calendar), a list and its element 0, the reference schema's columns and the typed schema's;
//  - one field read as each numeric type: a narrower integer type accepting it implies the wider
//    ones and the floating types do, with the same value; text that reads as a number is that
//    number; ascii takes exactly the 7-bit text; boolean exactly "true" and "false".
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cql/client.h"
#include "cql/types.h"
#include "cql/values.h"
#include "process/decoder.h"

namespace {

using namespace sluice;
using process::condition;
using process::extra_fields;
using process::filter_op;
using process::outcome;
using process::record_schema;
using process::reject_kind;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

cql::data_type type(std::string_view name) {
  auto t = cql::data_type::parse(name);
  check(t.has_value());
  return *t;
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string_view text(const std::vector<uint8_t>& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

struct answer {
  outcome out = outcome::rejected;
  std::vector<cql::value> row;
  process::rejection why;
  std::vector<std::string> extras;

  [[nodiscard]] bool parse_level() const {
    return out == outcome::rejected &&
           (why.kind == reject_kind::invalid_json || why.kind == reject_kind::not_an_object);
  }
  [[nodiscard]] const std::vector<uint8_t>* bytes(size_t column) const {
    if (out != outcome::row || !row[column].bytes) return nullptr;
    return &*row[column].bytes;
  }
};

bool same(const answer& a, const answer& b) {
  if (a.out != b.out) return false;
  if (a.out == outcome::rejected) return a.why.kind == b.why.kind && a.why.reason == b.why.reason;
  if (a.out != outcome::row) return true;
  return std::equal(a.row.begin(), a.row.end(), b.row.begin(), b.row.end(),
                    [](const cql::value& x, const cql::value& y) {
                      return x.unset == y.unset && x.bytes == y.bytes;
                    });
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil), in 64 bits.
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// The days of text that is only a date, [-]y-m-d (as many digits as the decoder reads), if it is.
bool date_text(std::string_view s, int64_t& days) {
  const bool negative = s.starts_with('-');
  if (negative) s.remove_prefix(1);
  int64_t part[3] = {0, 0, 0};
  for (int k = 0; k < 3; ++k) {
    size_t n = 0;
    while (n < s.size() && n < (k == 0 ? 9u : 2u) && s[n] >= '0' && s[n] <= '9') {
      part[k] = part[k] * 10 + (s[n++] - '0');
    }
    if (n == 0) return false;
    s.remove_prefix(n);
    if (k < 2 && !s.starts_with('-')) return false;
    if (k < 2) s.remove_prefix(1);
  }
  if (!s.empty()) return false;
  days = days_from_civil(negative ? -part[0] : part[0], part[1], part[2]);
  return true;
}

// A compiled schema, with what the checks need to know of it.
struct target {
  process::decoder dec;
  std::vector<bool> required;       // per column: required, or a key column
  std::vector<std::string> fields;  // per column: its field path ("location.city")
  std::vector<std::string> roots;   // per column: the path's first segment

  static target make(record_schema s) {
    std::vector<bool> required;
    std::vector<std::string> fields, roots;
    for (const auto& c : s.columns) {
      required.push_back(c.required || contains(s.partition_key, c.name) ||
                         contains(s.clustering_key, c.name));
      fields.push_back(c.field.empty() ? c.name : c.field);
      roots.push_back(fields.back().substr(0, fields.back().find('.')));
    }
    auto d = process::decoder::compile(std::move(s));
    check(d.has_value());
    return {std::move(*d), std::move(required), std::move(fields), std::move(roots)};
  }

  [[nodiscard]] size_t column(std::string_view name) const {
    const auto& cols = dec.schema().columns;
    for (size_t i = 0; i < cols.size(); ++i) {
      if (cols[i].name == name) return i;
    }
    __builtin_trap();
  }

  answer run(std::string_view in, bool with_extras = false) {
    answer a;
    a.out = dec.decode(in, a.row, a.why, with_extras ? &a.extras : nullptr);
    verify(a);
    return a;
  }

  void verify(const answer& a) const {
    const record_schema& s = dec.schema();
    switch (a.out) {
      case outcome::row:
        check(a.row.size() == s.columns.size());
        for (size_t i = 0; i < a.row.size(); ++i) {
          const cql::value& v = a.row[i];
          if (!v.bytes) {
            check(!required[i]);  // absent (unset) or null: only an optional column
            continue;
          }
          check(!v.unset);
          check(s.columns[i].type.validate(*v.bytes).has_value());
        }
        break;
      case outcome::filtered: check(!s.filter.empty()); break;
      case outcome::rejected:
        check(!a.why.reason.empty());
        switch (a.why.kind) {
          case reject_kind::invalid_json:
          case reject_kind::not_an_object: break;
          case reject_kind::missing_field:
          case reject_kind::wrong_type: {
            bool named = false;
            for (size_t i = 0; i < fields.size() && !named; ++i) {
              named = a.why.reason.find("'" + fields[i] + "'") != std::string::npos &&
                      (a.why.kind != reject_kind::missing_field || required[i]);
            }
            check(named);
            break;
          }
          case reject_kind::extra_field: check(s.extra == extra_fields::dead_letter); break;
          default: check(false);
        }
        break;
      default: check(false);
    }
    if (s.extra != extra_fields::report) check(a.extras.empty());
    for (const auto& e : a.extras) check(!contains(roots, e));
  }
};

record_schema with(record_schema s, extra_fields extra, std::vector<condition> filter = {}) {
  s.extra = extra;
  s.filter = std::move(filter);
  return s;
}

// Every type the decoder coerces to, nested paths, a required non-key column and a clustering
// key; field names shared with the reference record where the types allow it.
record_schema typed_schema() {
  record_schema s;
  auto col = [&](std::string name, std::string_view t, std::string field = "", bool req = false) {
    s.columns.push_back({std::move(name), type(t), std::move(field), req});
  };
  col("id", "uuid");
  col("id_text", "text", "id");
  col("registered_date", "timestamp");
  col("registered_text", "text", "registered_date");
  col("first_name", "text");
  col("last_name", "ascii");
  col("gender", "text", "", true);
  col("dob", "timestamp");
  col("age", "int");
  col("score", "double");
  col("ratio", "float");
  col("big", "varint");
  col("price", "decimal");
  col("level", "smallint");
  col("rank", "tinyint");
  col("visits", "bigint");
  col("active", "boolean");
  col("birthday", "date");
  col("birthday_text", "text", "birthday");
  col("wake", "time");
  col("session", "timeuuid");
  col("session_text", "text", "session");
  col("ip", "inet");
  col("ip_text", "text", "ip");
  col("avatar", "blob");
  col("tags", "list<text>");
  col("first_tag", "text", "tags.0");
  col("lucky", "set<int>");
  col("scores", "map<text, double>");
  col("calendar", "map<date, boolean>");
  col("logins", "list<timestamp>");
  col("city", "text", "location.city");
  col("lat", "double", "location.coordinates.latitude");
  col("second_phone", "text", "phones.1.number");
  s.partition_key = {"id"};
  s.clustering_key = {"registered_date"};
  s.extra = extra_fields::ignore;
  return s;
}

// One required column `v` of the given type, read from the field "n".
record_schema probe_schema(std::string_view t) {
  record_schema s;
  s.columns.push_back({"v", type(t), "n", true});
  s.partition_key = {"v"};
  return s;
}

struct targets {
  target reference = target::make(process::reference_schema());
  target strict = target::make(with(process::reference_schema(), extra_fields::dead_letter));
  target filtered = target::make(with(process::reference_schema(), extra_fields::ignore,
                                      {{"gender", filter_op::ne, "robot"},
                                       {"age", filter_op::ge, "18"},
                                       {"verified", filter_op::ne, "false"},
                                       {"location.country", filter_op::exists, ""},
                                       {"deleted", filter_op::missing, ""},
                                       {"name.title", filter_op::lt, "Mz"}}));
  // Complementary pairs: exactly one of each lets a JSON object through.
  target post_eq = target::make(with(process::reference_schema(), extra_fields::ignore,
                                     {{"post_code", filter_op::eq, "69001"}}));
  target post_ne = target::make(with(process::reference_schema(), extra_fields::ignore,
                                     {{"post_code", filter_op::ne, "69001"}}));
  target dob_exists = target::make(
      with(process::reference_schema(), extra_fields::ignore, {{"dob", filter_op::exists, ""}}));
  target dob_missing = target::make(
      with(process::reference_schema(), extra_fields::ignore, {{"dob", filter_op::missing, ""}}));
  target typed = target::make(typed_schema());
  target tiny = target::make(probe_schema("tinyint"));
  target small = target::make(probe_schema("smallint"));
  target int32 = target::make(probe_schema("int"));
  target int64 = target::make(probe_schema("bigint"));
  target varint = target::make(probe_schema("varint"));
  target float32 = target::make(probe_schema("float"));
  target float64 = target::make(probe_schema("double"));
  target decimal = target::make(probe_schema("decimal"));
  target text = target::make(probe_schema("text"));
  target ascii = target::make(probe_schema("ascii"));
  target boolean = target::make(probe_schema("boolean"));
};

// `b` answers as `a` does, unless a filter stopped it.
void agrees_or_filtered(const answer& a, const answer& b) {
  check(b.out == outcome::filtered || same(a, b));
}

void check_filters(targets& t, std::string_view in, const answer& ref) {
  const answer f = t.filtered.run(in);
  agrees_or_filtered(ref, f);
  const std::pair<target*, target*> pairs[] = {{&t.post_eq, &t.post_ne},
                                               {&t.dob_exists, &t.dob_missing}};
  for (const auto& [p, q] : pairs) {
    const answer a = p->run(in), b = q->run(in);
    if (ref.parse_level()) {
      check(same(ref, a) && same(ref, b));
      continue;
    }
    check((a.out == outcome::filtered) != (b.out == outcome::filtered));
    check(same(ref, a.out == outcome::filtered ? b : a));
  }
}

void check_typed(targets& t, std::string_view in, const answer& ref) {
  target& ty = t.typed;
  const answer a = ty.run(in);
  check(same(a, ty.run(in)));
  if (ref.parse_level()) check(same(ref, a));
  if (a.out != outcome::row) return;
  // Columns read from the same field with the same type as the reference's hold the same value.
  if (ref.out == outcome::row) {
    const auto& rc = t.reference.dec.schema().columns;
    const auto& tc = ty.dec.schema().columns;
    for (size_t i = 0; i < rc.size(); ++i) {
      for (size_t j = 0; j < tc.size(); ++j) {
        if (t.reference.fields[i] != ty.fields[j] || rc[i].type != tc[j].type) continue;
        check(ref.row[i].unset == a.row[j].unset && ref.row[i].bytes == a.row[j].bytes);
      }
    }
  }
  // A UUID and its text.
  for (const auto& [u, s] : {std::pair{"id", "id_text"}, std::pair{"session", "session_text"}}) {
    const auto* ub = a.bytes(ty.column(u));
    const auto* sb = a.bytes(ty.column(s));
    check((ub == nullptr) == (sb == nullptr));
    if (ub == nullptr) continue;
    auto uuid = cql::decode_uuid(*ub);
    check(uuid.has_value());
    std::string lower(text(*sb));
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    check(cql::format_uuid(*uuid) == lower);
  }
  // An address and its text: the whole text names it.
  if (const auto* ip = a.bytes(ty.column("ip"))) {
    const auto* ipt = a.bytes(ty.column("ip_text"));
    check(ipt != nullptr);
    const std::string s(text(*ipt));
    check(s.find('\0') == std::string::npos);
    uint8_t addr[16];
    const int family = ip->size() == 4 ? AF_INET : AF_INET6;
    check(inet_pton(family, s.c_str(), addr) == 1);
    check(std::equal(ip->begin(), ip->end(), addr));
  }
  // A date, and a timestamp written as a date, are the day the text names.
  if (const auto* day = a.bytes(ty.column("birthday"))) {
    const auto* dt = a.bytes(ty.column("birthday_text"));
    check(dt != nullptr);
    if (int64_t days = 0; date_text(text(*dt), days)) check(*cql::decode_date(*day) == days);
  }
  if (const auto* ts = a.bytes(ty.column("registered_date"))) {
    const auto* tt = a.bytes(ty.column("registered_text"));
    check(tt != nullptr);
    if (int64_t days = 0; date_text(text(*tt), days)) {
      check(static_cast<__int128>(*cql::decode_timestamp(*ts)) ==
            static_cast<__int128>(days) * 86'400'000);
    }
  }
  // A list and its element 0.
  if (const auto* tags = a.bytes(ty.column("tags"))) {
    auto items = cql::decode_list(*tags);
    check(items.has_value());
    const size_t first = ty.column("first_tag");
    if (items->empty()) {
      check(a.row[first].unset);
    } else {
      const auto* ft = a.bytes(first);
      check(ft != nullptr && std::ranges::equal(*ft, (*items)[0]));
    }
  }
}

bool full_int(std::string_view s, int64_t& v) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

bool full_double(std::string_view s, double& v) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

// An integer as decode_varint writes it: no '+', no leading zeros, no "-0".
bool canonical_integer(std::string_view s) {
  if (s == "0") return true;
  if (s.starts_with('-')) s.remove_prefix(1);
  if (s.empty() || s[0] == '0') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool same_double(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

// The field "n" read as each scalar type.
void check_probes(targets& t, std::string_view in, const answer& ref) {
  target* all[] = {&t.tiny,    &t.small,   &t.int32, &t.int64, &t.varint, &t.float32,
                   &t.float64, &t.decimal, &t.text,  &t.ascii, &t.boolean};
  answer r[std::size(all)];
  for (size_t i = 0; i < std::size(all); ++i) {
    r[i] = all[i]->run(in);
    if (ref.parse_level()) check(same(ref, r[i]));
    // Missing or null does not depend on the type.
    check((r[i].out == outcome::rejected && r[i].why.kind == reject_kind::missing_field) ==
          (r[0].out == outcome::rejected && r[0].why.kind == reject_kind::missing_field));
  }
  auto& [tiny, small, int32, int64, varint, float32, float64, decimal, txt, ascii, boolean] = r;
  auto v = [](const answer& a) -> const std::vector<uint8_t>& { return *a.row[0].bytes; };
  auto ok = [](const answer& a) { return a.out == outcome::row; };
  // Integers: narrower implies wider, with the same value.
  if (ok(tiny))
    check(ok(small) && *cql::decode_smallint(v(small)) == *cql::decode_tinyint(v(tiny)));
  if (ok(small)) check(ok(int32) && *cql::decode_int(v(int32)) == *cql::decode_smallint(v(small)));
  if (ok(int32)) check(ok(int64) && *cql::decode_bigint(v(int64)) == *cql::decode_int(v(int32)));
  if (ok(int64)) {
    const int64_t n = *cql::decode_bigint(v(int64));
    check(ok(varint));
    auto back = cql::decode_varint_int64(v(varint));
    check(back.has_value() && *back == n);
    check(ok(float64) && *cql::decode_double(v(float64)) == static_cast<double>(n));
    check(ok(decimal));
  }
  // float and double take the same values, float rounded.
  check(ok(float32) == ok(float64));
  if (ok(float64)) {
    check(same_double(*cql::decode_float(v(float32)),
                      static_cast<float>(*cql::decode_double(v(float64)))));
  }
  // A decimal's bytes read back as the text they encode.
  if (ok(decimal)) {
    auto s = cql::decode_decimal(v(decimal));
    check(s.has_value());
    auto again = cql::encode_decimal(*s);
    check(again.has_value() && *again == v(decimal));
  }
  // Text takes every value that a scalar type takes (strings, numbers, booleans).
  for (const answer* a : {&tiny, &small, &int32, &int64, &varint, &float64, &decimal, &boolean}) {
    if (ok(*a)) check(ok(txt));
  }
  if (!ok(txt)) {
    check(!ok(ascii));
    return;
  }
  const std::string_view s = text(v(txt));
  const bool seven_bit = std::all_of(s.begin(), s.end(), [](char c) { return (c & 0x80) == 0; });
  check(ok(ascii) == seven_bit);
  if (ok(ascii)) check(v(ascii) == v(txt));
  check(ok(boolean) == (s == "true" || s == "false"));
  if (ok(boolean)) check(*cql::decode_boolean(v(boolean)) == (s == "true"));
  // Text that reads as a number is the number the numeric types took.
  if (int64_t n = 0; full_int(s, n)) check(ok(int64) && *cql::decode_bigint(v(int64)) == n);
  if (double d = 0; full_double(s, d)) {
    check(ok(float64) && same_double(*cql::decode_double(v(float64)), d));
  }
  if (canonical_integer(s)) {
    check(ok(varint));
    auto back = cql::decode_varint(v(varint));
    check(back.has_value() && *back == s);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static targets* t = new targets();
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  const answer ref = t->reference.run(in, /*with_extras=*/true);
  const answer again = t->reference.run(in, /*with_extras=*/true);
  check(same(ref, again) && ref.extras == again.extras);

  // dead_letter rejects exactly the records that report extras, naming each.
  const answer strict = t->strict.run(in);
  if (!ref.parse_level() && !ref.extras.empty()) {
    check(strict.out == outcome::rejected && strict.why.kind == reject_kind::extra_field);
    for (const auto& e : ref.extras) check(strict.why.reason.find(e) != std::string::npos);
  } else {
    check(same(ref, strict));
  }

  check_filters(*t, in, ref);
  check_typed(*t, in, ref);
  check_probes(*t, in, ref);
  return 0;
}
