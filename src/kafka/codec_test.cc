#include "kafka/codec.h"

#include <gtest/gtest.h>

#include "kafka/header.h"
#include "kafka/messages/api_versions.h"
#include "kafka/messages/metadata.h"

namespace sluice::kafka {
namespace {

using bytes = std::vector<uint8_t>;

template <class M>
bytes encoded(const M& m, int16_t version) {
  byte_writer w;
  encode(w, version, m);
  auto v = w.view();
  return {v.begin(), v.end()};
}

api_versions_response sample_api_versions() {
  api_versions_response r;
  r.apis = {{api_key::api_versions, 0, 3}, {api_key::metadata, 0, 8}};
  r.throttle_time_ms = 7;
  return r;
}

metadata_response sample_metadata() {
  metadata_response m;
  m.throttle_time_ms = 5;
  m.brokers = {{0, "127.0.0.1", 9092, std::nullopt}};
  m.cluster_id = "sluice-cluster";
  m.controller_id = 0;
  metadata_response::topic t;
  t.name = "users_created";
  t.partitions = {{error_code::none, 0, 0, 3, {0}, {0}, {}},
                  {error_code::none, 1, 0, 3, {0}, {0}, {}}};
  m.topics = {t};
  return m;
}

// Layouts written out by hand from the protocol's message definitions.
TEST(codec, api_versions_response_exact_bytes) {
  api_versions_response r;
  r.apis = {{api_key::api_versions, 0, 3}};
  r.throttle_time_ms = 0;
  EXPECT_EQ(encoded(r, 0), (bytes{0, 0, 0, 0, 0, 1, 0, 18, 0, 0, 0, 3}));
  EXPECT_EQ(encoded(r, 1), (bytes{0, 0, 0, 0, 0, 1, 0, 18, 0, 0, 0, 3, 0, 0, 0, 0}));
  // v3 is flexible: compact array (count + 1), a tagged-field section after each element and
  // after the body.
  EXPECT_EQ(encoded(r, 3), (bytes{0, 0, 2, 0, 18, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0}));
}

TEST(codec, api_versions_request_v3_from_librdkafka) {
  // Compact strings "librdkafka" and "2.0.2", then an empty tagged-field section.
  bytes body{11};
  for (char c : std::string_view("librdkafka")) body.push_back(static_cast<uint8_t>(c));
  body.push_back(6);
  for (char c : std::string_view("2.0.2")) body.push_back(static_cast<uint8_t>(c));
  body.push_back(0);
  auto req = decode<api_versions_request>(body, 3);
  ASSERT_TRUE(req.has_value()) << req.error().message;
  EXPECT_EQ(req->client_software_name, "librdkafka");
  EXPECT_EQ(req->client_software_version, "2.0.2");
  // v0-v2 bodies are empty.
  EXPECT_TRUE(decode<api_versions_request>(bytes{}, 0).has_value());
}

TEST(codec, metadata_request_nullable_topics) {
  // v1+: a null array (-1) means all topics.
  auto all = decode<metadata_request>(bytes{0xff, 0xff, 0xff, 0xff}, 1);
  ASSERT_TRUE(all.has_value()) << all.error().message;
  EXPECT_FALSE(all->topics.has_value());
  // v0 has no null array.
  auto bad = decode<metadata_request>(bytes{0xff, 0xff, 0xff, 0xff}, 0);
  ASSERT_FALSE(bad.has_value());
  EXPECT_TRUE(is(bad.error(), errc::malformed));
  EXPECT_NE(bad.error().message.find("topics: null is not allowed at version 0"), std::string::npos)
      << bad.error().message;
  // v4: one topic "t", allow_auto_topic_creation false.
  auto v4 = decode<metadata_request>(bytes{0, 0, 0, 1, 0, 1, 't', 0}, 4);
  ASSERT_TRUE(v4.has_value()) << v4.error().message;
  ASSERT_EQ(v4->topics->size(), 1u);
  EXPECT_EQ((*v4->topics)[0].name, "t");
  EXPECT_FALSE(v4->allow_auto_topic_creation);
}

TEST(codec, metadata_response_round_trips_at_every_version) {
  const metadata_response m = sample_metadata();
  for (int16_t v = metadata_response::valid.min; v <= metadata_response::valid.max; ++v) {
    const bytes once = encoded(m, v);
    auto back = decode<metadata_response>(once, v);
    ASSERT_TRUE(back.has_value()) << "v" << v << ": " << back.error().message;
    EXPECT_EQ(encoded(*back, v), once) << "v" << v;
    EXPECT_EQ(back->topics[0].partitions[1].index, 1);
    EXPECT_EQ(back->topics[0].partitions[1].leader_epoch, v >= 7 ? 3 : -1) << "v" << v;
    EXPECT_EQ(back->cluster_id.has_value(), v >= 2);
  }
}

TEST(codec, every_truncation_is_an_error) {
  const bytes full = encoded(sample_metadata(), 8);
  for (size_t n = 0; n < full.size(); ++n) {
    auto r = decode<metadata_response>(bytes_view(full.data(), n), 8);
    ASSERT_FALSE(r.has_value()) << "prefix of " << n << " bytes decoded";
  }
  const bytes av = encoded(sample_api_versions(), 3);
  for (size_t n = 0; n < av.size(); ++n) {
    ASSERT_FALSE(decode<api_versions_response>(bytes_view(av.data(), n), 3).has_value()) << n;
  }
}

TEST(codec, hostile_lengths_are_rejected_without_allocating) {
  // Metadata request v1 claiming two billion topics in a 4-byte body.
  auto r = decode<metadata_request>(bytes{0x7f, 0xff, 0xff, 0xff}, 1);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("array of 2147483647 elements in 0 bytes"), std::string::npos)
      << r.error().message;
  // A string length below -1.
  auto s = decode<metadata_request>(bytes{0, 0, 0, 1, 0xff, 0xfe}, 1);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("negative length -2"), std::string::npos) << s.error().message;
  // A compact length beyond int32 in a flexible message.
  auto c = decode<api_versions_request>(bytes{0xff, 0xff, 0xff, 0xff, 0x0f}, 3);
  ASSERT_FALSE(c.has_value());
}

TEST(codec, trailing_bytes_and_bad_versions) {
  auto t = decode<api_versions_request>(bytes{1}, 0);
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().message, "1 trailing byte(s)");
  auto v = decode<api_versions_request>(bytes{}, 4);
  ASSERT_FALSE(v.has_value());
  EXPECT_TRUE(is(v.error(), errc::unsupported_version));
}

TEST(header, request_v1_and_v2) {
  // ApiVersions v3, correlation 7, client id "rdkafka", then (v2) an empty tagged section.
  bytes frame{0, 18, 0, 3, 0, 0, 0, 7, 0, 7, 'r', 'd', 'k', 'a', 'f', 'k', 'a', 0};
  byte_reader r(frame);
  auto h = read_request_prefix(r);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->key, api_key::api_versions);
  EXPECT_EQ(h->version, 3);
  EXPECT_EQ(h->correlation_id, 7);
  ASSERT_TRUE(read_request_rest(r, /*flexible=*/true, *h).has_value());
  EXPECT_EQ(h->client_id, "rdkafka");
  EXPECT_TRUE(r.empty());
  // Null client id (v1).
  bytes v1{0, 3, 0, 1, 0, 0, 0, 9, 0xff, 0xff};
  byte_reader r1(v1);
  auto h1 = read_request_prefix(r1);
  ASSERT_TRUE(h1.has_value() && read_request_rest(r1, false, *h1).has_value());
  EXPECT_FALSE(h1->client_id.has_value());
  // Truncated client id.
  bytes bad{0, 3, 0, 1, 0, 0, 0, 9, 0, 5, 'a'};
  byte_reader rb(bad);
  auto hb = read_request_prefix(rb);
  ASSERT_TRUE(hb.has_value());
  EXPECT_FALSE(read_request_rest(rb, false, *hb).has_value());
}

TEST(header, response_header_forms) {
  byte_writer w;
  write_response_header(w, 0x01020304, false);
  write_response_header(w, 5, true);
  auto v = w.view();
  EXPECT_EQ(bytes(v.begin(), v.end()), (bytes{1, 2, 3, 4, 0, 0, 0, 5, 0}));
}

}  // namespace
}  // namespace sluice::kafka
