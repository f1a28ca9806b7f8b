// model::setMember must build exactly what operator[] assignment builds (dissectors switched
// from one to the other with byte-identical output), while growing the member vector by moving
// values rather than copying them.
#include <gtest/gtest.h>

#include <string>

#include "model/event.h"

namespace rdpscope::model {
namespace {

TEST(SetMember, AppendsInOrderAndReplacesInPlace) {
  Fields via_set;
  Fields via_index;
  for (int round = 0; round < 2; ++round) {  // the second round replaces every key
    for (int i = 0; i < 40; ++i) {
      const std::string key = "member_with_a_long_name_" + std::to_string(i);
      Fields nested = {{"round", round}, {"list", {i, i + 1, "text"}}};
      setMember(via_set, key, nested);
      via_index[key] = nested;
    }
  }
  setMember(via_set, "member_with_a_long_name_7", nullptr);
  via_index["member_with_a_long_name_7"] = nullptr;
  EXPECT_EQ(via_set.dump(), via_index.dump());
  ASSERT_EQ(via_set.size(), 40u);
  EXPECT_EQ(via_set.begin().key(), "member_with_a_long_name_0");
  EXPECT_EQ(via_set["member_with_a_long_name_39"]["round"], 1);
}

TEST(SetMember, NullBecomesAnObjectOtherTypesThrowAsOperatorIndexDoes) {
  Fields f;
  setMember(f, "a", 1);
  EXPECT_EQ(f.dump(), R"({"a":1})");
  Fields arr = Fields::array();
  EXPECT_THROW(setMember(arr, "a", 1), nlohmann::json::type_error);
  Fields num = 5;
  EXPECT_THROW(num["a"] = 1, nlohmann::json::type_error);
  EXPECT_THROW(setMember(num, "a", 1), nlohmann::json::type_error);
}

TEST(SetMember, GrowthKeepsStringsAndNestedTreesIntact) {
  Fields f = Fields::object();
  std::string big(1000, 'x');
  for (int i = 0; i < 100; ++i) {
    setMember(f, "k" + std::to_string(i), Fields{{"payload", big + std::to_string(i)}});
  }
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(f["k" + std::to_string(i)]["payload"], big + std::to_string(i));
  }
}

}  // namespace
}  // namespace rdpscope::model
