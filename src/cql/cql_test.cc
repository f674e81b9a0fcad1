#include <gtest/gtest.h>

#include "cql/frame.h"
#include "cql/murmur3.h"
#include "cql/wire.h"

namespace sluice::cql {
namespace {

std::vector<uint8_t> hex(std::string_view h) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// Reference tokens from the DataStax Python driver's own Murmur3 (cassandra.murmur3), which
// reproduces Cassandra's partitioner, tail sign extension included.
TEST(Murmur3, MatchesCassandraTokens) {
  const std::pair<std::string_view, int64_t> cases[] = {
      {"61", -8839064797231613815LL},
      {"616263", -5434086359492102041LL},
      {"68656c6c6f20776f726c64", 5998619086395760910LL},
      {"000102030405060708090a0b0c0d0e", 5125964547706398185LL},
      {"000102030405060708090a0b0c0d0e0f", 4920504430128807728LL},
      {"000102030405060708090a0b0c0d0e0f10", 6662781046685680142LL},
      {"ffffffffffffff", 4860178782003914630LL},
      {"c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f"
       "5"
       "f6f7f8f9fafbfcfdfe",
       6322383030230670822LL},
  };
  for (const auto& [key, token] : cases) {
    EXPECT_EQ(murmur3_token(hex(key)), token) << key;
  }
}

TEST(Frame, HeaderRoundTrip) {
  byte_writer w;
  write_header(w, {4, true, flags::warning, -3, opcode::result, 1234});
  auto h = parse_header(w.view());
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_TRUE(h->response);
  EXPECT_EQ(h->version, 4);
  EXPECT_EQ(h->flags, flags::warning);
  EXPECT_EQ(h->stream, -3);
  EXPECT_EQ(h->op, opcode::result);
  EXPECT_EQ(h->length, 1234);
}

TEST(Frame, BadHeadersAreNamed) {
  const std::vector<uint8_t> v5 = {0x05, 0, 0, 7, 0x05, 0, 0, 0, 0};
  auto h = parse_header(v5);
  ASSERT_FALSE(h);
  EXPECT_TRUE(is(h.error(), errc::unsupported_version));
  EXPECT_EQ(h.error().message,
            "Invalid or unsupported protocol version (5); supported versions are (4/v4)");
  EXPECT_EQ(stream_of(v5), 7);

  const std::vector<uint8_t> huge = {0x04, 0, 0, 1, 0x07, 0x7f, 0xff, 0xff, 0xff};
  EXPECT_TRUE(is(parse_header(huge, 1 << 20).error(), errc::frame_too_large));
  const std::vector<uint8_t> negative = {0x04, 0, 0, 1, 0x07, 0xff, 0xff, 0xff, 0xff};
  EXPECT_TRUE(is(parse_header(negative).error(), errc::frame_too_large));
  const std::vector<uint8_t> opcode4 = {0x04, 0, 0, 1, 0x04, 0, 0, 0, 0};
  EXPECT_TRUE(is(parse_header(opcode4).error(), errc::unknown_opcode));
  const std::vector<uint8_t> short_header = {0x04, 0, 0};
  EXPECT_TRUE(is(parse_header(short_header).error(), errc::malformed));
}

TEST(Wire, PrimitivesRoundTrip) {
  byte_writer w;
  wire::write_string(w, "CQL_VERSION");
  wire::write_long_string(w, "SELECT * FROM system.local");
  const std::vector<uint8_t> blob = {1, 2, 3};
  wire::write_bytes(w, blob);
  wire::write_bytes(w, std::nullopt);
  wire::write_value(w, {wire::value::unset, {}});
  wire::write_short_bytes(w, blob);
  wire::write_string_map(w, {{"CQL_VERSION", "3.4.5"}, {"COMPRESSION", "lz4"}});
  wire::write_string_multimap(w, {{"COMPRESSION", {"lz4", "snappy"}}, {"CQL_VERSION", {}}});
  wire::write_consistency(w, consistency::local_quorum);
  wire::write_inet(w, {{127, 0, 0, 1}, 9042});

  byte_reader r(w.view());
  EXPECT_EQ(*wire::read_string(r), "CQL_VERSION");
  EXPECT_EQ(*wire::read_long_string(r), "SELECT * FROM system.local");
  auto b = *wire::read_bytes(r);
  ASSERT_TRUE(b);
  EXPECT_EQ(std::vector<uint8_t>(b->begin(), b->end()), blob);
  EXPECT_FALSE(*wire::read_bytes(r));
  EXPECT_EQ(wire::read_value(r)->what, wire::value::unset);
  EXPECT_EQ(wire::read_short_bytes(r)->size(), 3u);
  auto m = *wire::read_string_map(r);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1].second, "lz4");
  auto mm = *wire::read_string_multimap(r);
  ASSERT_EQ(mm.size(), 2u);
  EXPECT_EQ(mm[0].second, (std::vector<std::string>{"lz4", "snappy"}));
  EXPECT_TRUE(mm[1].second.empty());
  EXPECT_EQ(*wire::read_consistency(r), consistency::local_quorum);
  auto a = *wire::read_inet(r);
  EXPECT_EQ(a.port, 9042);
  EXPECT_EQ(a.address, (std::vector<uint8_t>{127, 0, 0, 1}));
  EXPECT_TRUE(r.empty());
}

TEST(Wire, LyingLengthsAreRefused) {
  const std::vector<uint8_t> long_string = {0x00, 0x00, 0x10, 0x00, 'a'};
  byte_reader r1(long_string);
  EXPECT_FALSE(wire::read_long_string(r1));
  const std::vector<uint8_t> many = {0xff, 0xff, 0x00, 0x01, 'a'};
  byte_reader r2(many);
  EXPECT_FALSE(wire::read_string_list(r2)) << "65535 strings cannot fit in 3 bytes";
  const std::vector<uint8_t> bad_value = {0xff, 0xff, 0xff, 0xfd};
  byte_reader r3(bad_value);
  EXPECT_FALSE(wire::read_value(r3)) << "-3 is neither null nor unset";
  const std::vector<uint8_t> bad_inet = {0x05, 1, 2, 3, 4, 5, 0, 0, 0, 1};
  byte_reader r4(bad_inet);
  EXPECT_FALSE(wire::read_inet(r4));
  const std::vector<uint8_t> bad_consistency = {0x00, 0x42};
  byte_reader r5(bad_consistency);
  EXPECT_FALSE(wire::read_consistency(r5));
}

}  // namespace
}  // namespace sluice::cql
