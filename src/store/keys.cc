#include "store/keys.h"

#include <fmt/format.h>

#include "cql/key_encoding.h"
#include "cql/murmur3.h"

namespace sluice::store {
namespace {

void put_u32(std::string& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}

void append(std::string& out, bytes_view b) { out.append(as_string_view(b)); }

}  // namespace

std::string table_prefix(uint32_t table_id) {
  std::string out;
  put_u32(out, table_id);
  return out;
}

std::string table_end(uint32_t table_id) { return table_prefix(table_id + 1); }

std::vector<uint8_t> serialized_partition_key(std::span<const bytes_view> values) {
  if (values.size() == 1) return {values[0].begin(), values[0].end()};
  byte_writer w;
  for (bytes_view v : values) {
    w.write_u16(static_cast<uint16_t>(v.size()));
    w.write_bytes(v);
    w.write_u8(0);
  }
  return std::move(w).take();
}

int64_t token_of(std::span<const bytes_view> values) {
  return cql::murmur3_token(serialized_partition_key(values));
}

result<std::string> partition_prefix(const table_schema& t, std::span<const bytes_view> values) {
  const auto pk = t.partition_key();
  byte_writer w(32);
  w.write_u32(t.id);
  cql::encode_token(token_of(values), w);
  for (size_t i = 0; i < pk.size() && i < values.size(); ++i) {
    if (values[i].empty() && pk.size() == 1) {
      return make_error(errc::invalid, "Key may not be empty");
    }
    SLUICE_TRY(cql::encode_key_component(pk[i]->type, values[i], false, w));
  }
  return std::string(as_string_view(w.view()));
}

std::string token_prefix(uint32_t table_id, int64_t token) {
  byte_writer w(12);
  w.write_u32(table_id);
  cql::encode_token(token, w);
  return std::string(as_string_view(w.view()));
}

result<std::string> clustering_prefix(const table_schema& t, std::span<const bytes_view> values) {
  const auto ck = t.clustering();
  byte_writer w(32);
  for (size_t i = 0; i < ck.size() && i < values.size(); ++i) {
    SLUICE_TRY(cql::encode_key_component(ck[i]->type, values[i], ck[i]->descending, w));
  }
  return std::string(as_string_view(w.view()));
}

std::string pack_values(std::span<const bytes_view> values) {
  std::string out;
  for (bytes_view v : values) {
    put_u32(out, static_cast<uint32_t>(v.size()));
    append(out, v);
  }
  return out;
}

std::vector<bytes_view> unpack_values(std::string_view packed) {
  std::vector<bytes_view> out;
  size_t pos = 0;
  while (packed.size() - pos >= 4) {
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<uint8_t>(packed[pos + i]);
    pos += 4;
    if (packed.size() - pos < n) break;
    out.push_back(as_bytes_view(packed.substr(pos, n)));
    pos += n;
  }
  return out;
}

int64_t token_in(std::string_view key) {
  uint64_t u = 0;
  for (size_t i = 4; i < 12 && i < key.size(); ++i) u = (u << 8) | static_cast<uint8_t>(key[i]);
  return static_cast<int64_t>(u ^ (uint64_t{1} << 63));
}

}  // namespace sluice::store
