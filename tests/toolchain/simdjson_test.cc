// simdjson's on-demand parser on a randomuser.me-shaped document.
#include <gtest/gtest.h>
#include <simdjson.h>

namespace {

TEST(toolchain, simdjson_on_demand) {
  simdjson::ondemand::parser parser;
  auto json = simdjson::padded_string(std::string_view(
      R"({"results":[{"name":{"first":"Ada"},"location":{"postcode":12345}}],"info":{"page":1}})"));
  auto doc = parser.iterate(json);
  auto user = doc["results"].at(0);
  std::string_view first = user["name"]["first"].get_string().value();
  EXPECT_EQ(first, "Ada");
  EXPECT_EQ(int64_t(user["location"]["postcode"].get_int64().value()), 12345);
}

}  // namespace
