// The C (and light C++) libraries: one real call each.
#include <avro.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafkacpp.h>
#include <lz4.h>
#include <sqlite3.h>
#include <yaml-cpp/yaml.h>
#include <zstd.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace {

TEST(toolchain, librdkafka_producer_config) {
  EXPECT_GE(RdKafka::version(), 0x02000000) << "librdkafka 2.x";
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  ASSERT_EQ(conf->set("bootstrap.servers", "127.0.0.1:1", err), RdKafka::Conf::CONF_OK) << err;
  ASSERT_EQ(conf->set("enable.idempotence", "true", err), RdKafka::Conf::CONF_OK) << err;
  ASSERT_EQ(conf->set("compression.type", "zstd", err), RdKafka::Conf::CONF_OK) << err;
  std::unique_ptr<RdKafka::Producer> p(RdKafka::Producer::create(conf.get(), err));
  ASSERT_TRUE(p) << err;
}

TEST(toolchain, libcurl_has_tls_and_http2_choice) {
  curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  ASSERT_NE(info, nullptr);
  EXPECT_NE(info->features & CURL_VERSION_SSL, 0);
}

TEST(toolchain, sqlite_in_memory) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT 40 + 2", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 42);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST(toolchain, libpq_version) { EXPECT_GE(PQlibVersion(), 150000); }

TEST(toolchain, avro_schema_parse) {
  avro_schema_t schema = nullptr;
  const char* json = R"({"type":"record","name":"user","fields":[{"name":"id","type":"string"}]})";
  ASSERT_EQ(avro_schema_from_json_length(json, strlen(json), &schema), 0) << avro_strerror();
  EXPECT_TRUE(is_avro_record(schema));
  avro_schema_decref(schema);
}

TEST(toolchain, lz4_and_zstd_round_trip) {
  const std::string in(1000, 'x');
  std::string lz(static_cast<size_t>(LZ4_compressBound(static_cast<int>(in.size()))), '\0');
  int n = LZ4_compress_default(in.data(), lz.data(), static_cast<int>(in.size()),
                               static_cast<int>(lz.size()));
  ASSERT_GT(n, 0);
  std::string out(in.size(), '\0');
  ASSERT_EQ(LZ4_decompress_safe(lz.data(), out.data(), n, static_cast<int>(out.size())),
            static_cast<int>(in.size()));
  EXPECT_EQ(out, in);

  std::string z(ZSTD_compressBound(in.size()), '\0');
  size_t zn = ZSTD_compress(z.data(), z.size(), in.data(), in.size(), 3);
  ASSERT_FALSE(ZSTD_isError(zn));
  std::string zout(in.size(), '\0');
  EXPECT_EQ(ZSTD_decompress(zout.data(), zout.size(), z.data(), zn), in.size());
  EXPECT_EQ(zout, in);
}

TEST(toolchain, nlohmann_json_and_yaml_cpp) {
  auto j = nlohmann::json::parse(R"({"a":[1,2]})");
  EXPECT_EQ(j["a"][1], 2);
  EXPECT_EQ(YAML::Load("a: [1, 2]")["a"][1].as<int>(), 2);
}

}  // namespace
