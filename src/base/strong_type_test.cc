#include "base/strong_type.h"

#include <gtest/gtest.h>

#include <type_traits>
#include <unordered_set>

#include "base/types.h"

namespace sluice {
namespace {

// Mixing identifiers of different kinds must not compile.
static_assert(!std::is_convertible_v<offset, partition_id>);
static_assert(!std::is_convertible_v<partition_id, offset>);
static_assert(!std::is_convertible_v<int64_t, offset>);  // construction is explicit
static_assert(!std::is_convertible_v<offset, int64_t>);
static_assert(!std::is_assignable_v<generation_id&, schema_id>);
static_assert(sizeof(offset) == sizeof(int64_t));
static_assert(std::is_trivially_copyable_v<offset>);

TEST(strong_type, arithmetic_and_comparison) {
  offset o(10);
  ++o;
  EXPECT_EQ(o, offset(11));
  EXPECT_EQ(o + 4, offset(15));
  EXPECT_EQ(o - 1, offset(10));
  EXPECT_EQ(offset(15) - o, 4);
  EXPECT_LT(offset(1), offset(2));
  o += 9;
  EXPECT_EQ(o.value(), 20);
  EXPECT_EQ(offset().value(), 0);
}

TEST(strong_type, hash_and_format) {
  std::unordered_set<partition_id> s{partition_id(1), partition_id(2), partition_id(1)};
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(fmt::format("{}/{:>4}", partition_id(3), offset(42)), "3/  42");
}

}  // namespace
}  // namespace sluice
