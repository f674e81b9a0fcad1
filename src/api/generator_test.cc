// The offline random-user API's generator: randomuser.me's shape, determinism, filters.
#include "api/generator.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "api/data.h"

namespace sluice::api {
namespace {

using json = nlohmann::json;

json generate(std::string_view query, int64_t today = 20'000) {
  auto q = parse_query(query);
  EXPECT_TRUE(q) << query;
  return json::parse(generator(today).respond(*q));
}

void expect_user_shape(const json& u) {
  ASSERT_TRUE(u.is_object());
  for (const char* key : {"gender", "name", "location", "email", "login", "dob", "registered",
                          "phone", "cell", "id", "picture", "nat"}) {
    EXPECT_TRUE(u.contains(key)) << key << " in " << u.dump();
  }
  EXPECT_TRUE(u["gender"] == "male" || u["gender"] == "female");
  for (const char* k : {"title", "first", "last"}) EXPECT_TRUE(u["name"][k].is_string());
  const json& loc = u["location"];
  EXPECT_TRUE(loc["street"]["number"].is_number_integer());
  EXPECT_TRUE(loc["street"]["name"].is_string());
  for (const char* k : {"city", "state", "country"}) EXPECT_TRUE(loc[k].is_string());
  EXPECT_TRUE(loc["postcode"].is_string() || loc["postcode"].is_number_integer());
  EXPECT_TRUE(loc["coordinates"]["latitude"].is_string());
  EXPECT_TRUE(loc["timezone"]["offset"].is_string());
  static const std::regex uuid(
      "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  EXPECT_TRUE(std::regex_match(u["login"]["uuid"].get<std::string>(), uuid));
  EXPECT_EQ(u["login"]["md5"].get<std::string>().size(), 32u);
  EXPECT_EQ(u["login"]["sha1"].get<std::string>().size(), 40u);
  EXPECT_EQ(u["login"]["sha256"].get<std::string>().size(), 64u);
  static const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  for (const char* k : {"dob", "registered"}) {
    EXPECT_TRUE(std::regex_match(u[k]["date"].get<std::string>(), iso)) << u[k];
    EXPECT_TRUE(u[k]["age"].is_number_integer());
  }
  EXPECT_GE(u["dob"]["age"].get<int>(), 18);
  EXPECT_NE(u["email"].get<std::string>().find("@example.com"), std::string::npos);
  EXPECT_TRUE(u["id"]["name"].is_string());
  EXPECT_TRUE(u["id"]["value"].is_string() || u["id"]["value"].is_null());
  EXPECT_NE(u["picture"]["medium"].get<std::string>().find("/portraits/med/"), std::string::npos);
  EXPECT_NE(find_nationality(u["nat"].get<std::string>()), nullptr);
}

TEST(Generator, ShapeOfManySeeds) {
  std::set<std::string> nats;
  bool numeric = false, text = false;
  for (int seed = 0; seed < 40; ++seed) {
    const json r = generate(fmt::format("results=50&seed=s{}", seed));
    ASSERT_EQ(r["results"].size(), 50u);
    EXPECT_EQ(r["info"]["seed"], fmt::format("s{}", seed));
    EXPECT_EQ(r["info"]["results"], 50);
    EXPECT_EQ(r["info"]["page"], 1);
    EXPECT_EQ(r["info"]["version"], "1.4");
    for (const json& u : r["results"]) {
      expect_user_shape(u);
      nats.insert(u["nat"]);
      (u["location"]["postcode"].is_number() ? numeric : text) = true;
    }
  }
  EXPECT_EQ(nats.size(), nationalities().size());  // realistic variety
  EXPECT_TRUE(numeric && text);                    // randomuser's postcode quirk
}

TEST(Generator, SameSeedAndPageSameBytes) {
  auto q = *parse_query("results=200&seed=abc&page=3");
  const generator g(20'000);
  EXPECT_EQ(g.respond(q), g.respond(q));
  auto other = q;
  other.page = 4;
  EXPECT_NE(g.respond(q), g.respond(other));
  // No seed: a fresh one, reported so the page can be fetched again.
  const json a = generate("results=1"), b = generate("results=1");
  EXPECT_NE(a["info"]["seed"], b["info"]["seed"]);
  const json again =
      generate(fmt::format("results=1&seed={}", a["info"]["seed"].get<std::string>()));
  EXPECT_EQ(again["results"], a["results"]);
}

TEST(Generator, FiltersAndLimits) {
  const json filtered = generate("results=100&gender=female&nat=gb,FR&seed=f");
  for (const json& u : filtered["results"]) {
    EXPECT_EQ(u["gender"], "female");
    EXPECT_TRUE(u["nat"] == "GB" || u["nat"] == "FR");
  }
  const json inc = generate("results=3&inc=name,email&seed=i");
  for (const json& u : inc["results"]) {
    EXPECT_EQ(u.size(), 2u);
    EXPECT_TRUE(u.contains("name") && u.contains("email"));
  }
  const json exc = generate("results=3&exc=login,id&seed=e");
  for (const json& u : exc["results"]) {
    EXPECT_FALSE(u.contains("login") || u.contains("id"));
    EXPECT_EQ(u.size(), 10u);
  }
  EXPECT_EQ(generate("results=9000&seed=x")["results"].size(), 5000u);
  EXPECT_FALSE(parse_query("results=abc"));
  EXPECT_FALSE(parse_query("page=0"));
  EXPECT_FALSE(parse_query("gender=other"));
  EXPECT_FALSE(parse_query("seed=ab\xff\xff"));  // found by the api_query fuzzer
  EXPECT_FALSE(parse_query("seed=%C3"));
  EXPECT_EQ(parse_query("results=abc").error().message,
            "results must be a whole number of at least 1, got 'abc'");
}

TEST(Generator, AgesFollowTheReferenceDay) {
  const json u = generate("results=1&seed=age&inc=dob", 20'000)["results"][0];
  const json later = generate("results=1&seed=age&inc=dob", 20'000 + 3 * 365 + 1)["results"][0];
  EXPECT_EQ(later["dob"]["date"], u["dob"]["date"]);
  EXPECT_EQ(later["dob"]["age"].get<int>(), u["dob"]["age"].get<int>() + 3);
}

}  // namespace
}  // namespace sluice::api
