// Templates from API records to Kafka records, on the random-user API's own answers.
#include "ingest/mapping.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "api/generator.h"
#include "ingest/fetcher.h"

namespace sluice::ingest {
namespace {

using json = nlohmann::json;

TEST(Mapping, ReferenceRecordFromRandomUsers) {
  auto m = mapping::compile(reference_templates());
  ASSERT_TRUE(m) << m.error().message;
  const api::generator gen(20'000);
  api::request q;
  q.results = 300;
  q.seed = "mapping";
  const std::string body = gen.respond(q);
  const json source = json::parse(body);
  auto out = m->apply(body, "results", 1000);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->bad, 0u) << out->first_error;
  EXPECT_EQ(out->total, 300u);
  ASSERT_EQ(out->records.size(), 300u);
  static const std::regex uuid(
      "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> ids;
  for (size_t i = 0; i < out->records.size(); ++i) {
    const json r = json::parse(out->records[i]);
    const json& u = source["results"][i];
    ASSERT_EQ(r.size(), 12u);
    for (const auto& [k, v] : r.items()) EXPECT_TRUE(v.is_string()) << k;
    EXPECT_TRUE(std::regex_match(r["id"].get<std::string>(), uuid));
    ids.insert(r["id"]);
    EXPECT_EQ(r["first_name"], u["name"]["first"]);
    const json& loc = u["location"];
    EXPECT_EQ(r["address"],
              fmt::format("{} {}, {}, {}, {}", loc["street"]["number"].get<int>(),
                          loc["street"]["name"].get<std::string>(), loc["city"].get<std::string>(),
                          loc["state"].get<std::string>(), loc["country"].get<std::string>()));
    // randomuser's numeric postcodes become text.
    EXPECT_EQ(r["post_code"], loc["postcode"].is_number() ? loc["postcode"].dump()
                                                          : loc["postcode"].get<std::string>());
    EXPECT_EQ(r["username"], u["login"]["username"]);
    EXPECT_EQ(r["dob"], u["dob"]["date"]);
    EXPECT_EQ(r["picture"], u["picture"]["medium"]);
  }
  EXPECT_EQ(ids.size(), 300u);
  EXPECT_EQ(m->apply(body, "results", 7)->records.size(), 7u);
}

TEST(Mapping, MissingValuesAreNamed) {
  auto m = mapping::compile({{"who", "{name.first} {name.last}"}, {"zip", "{location.postcode}"}});
  ASSERT_TRUE(m);
  auto out = m->apply(
      R"({"results": [{"name": {"first": "A", "last": "B"}, "location": {"postcode": null}},
                      {"name": {"first": "C", "last": "D"}, "location": {"postcode": "x1"}},
                      {"name": {"first": "E"}}]})",
      "results", 10);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->records, (std::vector<std::string>{R"({"who":"C D","zip":"x1"})"}));
  EXPECT_EQ(out->bad, 2u);
  EXPECT_EQ(out->first_error, "record 0: field zip: location.postcode is null");
  EXPECT_TRUE(is(m->apply("<html>busy</html>", "results", 10).error(), errc::bad_response));
  EXPECT_EQ(m->apply(R"({"data": []})", "results", 10).error().message,
            "the answer has no array of records at 'results'");
  EXPECT_EQ(m->apply(R"({"data": {"items": []}})", "data.items", 10)->total, 0u);
}

TEST(Mapping, TemplateErrorsAndBraces) {
  EXPECT_EQ(mapping::compile({{"a", "{name"}}).error().message,
            "field a: '{' at 1 is never closed");
  EXPECT_FALSE(mapping::compile({{"a", "x}"}}));
  EXPECT_FALSE(mapping::compile({{"a", "{}"}}));
  EXPECT_FALSE(mapping::compile({{"a", "{x}"}, {"a", "{y}"}}));
  EXPECT_FALSE(mapping::compile({}));
  auto m = mapping::compile({{"a", "{{literal}} {v}"}});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->apply(R"({"r": [{"v": 1.5}, {"v": true}]})", "r", 10)->records,
            (std::vector<std::string>{R"({"a":"{literal} 1.5"})", R"({"a":"{literal} true"})"}));
}

TEST(Mapping, PathsIndexArraysAsJsonPointersDo) {
  auto m = mapping::compile({{"b", "{a.1.b}"}});
  ASSERT_TRUE(m);
  const std::string body = R"({"r": [{"a": [{"b": "x"}, {"b": "y"}]}]})";
  EXPECT_EQ(m->apply(body, "r", 10)->records, (std::vector<std::string>{R"({"b":"y"})"}));
  for (const char* path : {"{a.01.b}", "{a.x.b}", "{a.5.b}", "{a.-.b}", "{a.1.b.c}", "{a..b}"}) {
    auto other = mapping::compile({{"b", path}});
    ASSERT_TRUE(other);
    auto out = other->apply(body, "r", 10);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->bad, 1u) << path;
    EXPECT_NE(out->first_error.find("is missing"), std::string::npos) << out->first_error;
  }
}

TEST(Mapping, APaddedBodyIsParsedInPlaceWithTheSameResult) {
  auto m = mapping::compile({{"who", "{name.first} {name.last}"}});
  ASSERT_TRUE(m);
  std::string body = R"({"results": [{"name": {"first": "A", "last": "B"}}]})";
  body.reserve(body.size() + fetcher::body_padding);
  EXPECT_EQ(m->apply(body, "results", 10, /*padded=*/true)->records,
            m->apply(body, "results", 10)->records);
  body.resize(body.size() - 3);  // cut short: the padding must not be read as the rest
  EXPECT_TRUE(is(m->apply(body, "results", 10, /*padded=*/true).error(), errc::bad_response));
}

}  // namespace
}  // namespace sluice::ingest
