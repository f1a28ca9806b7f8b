// The helpers on model::Fields. setMember must build exactly what operator[] assignment builds
// (dissectors switched from one to the other with byte-identical output), while growing the
// member vector by moving values rather than copying them. releaseTree must empty any tree,
// however deep, without recursing without bound.
#include <gtest/gtest.h>

#include <string>

#include "model/connection.h"
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

TEST(FindMember, FindsByKeyAndIsNullForMissingKeysAndNonObjects) {
  Fields f = {{"length", 5}, {"len", 6}, {"alert_sized", true}};
  ASSERT_NE(findMember(f, "len"), nullptr);
  EXPECT_EQ(*findMember(f, "len"), 6);
  EXPECT_EQ(*findMember(f, "length"), 5);
  EXPECT_EQ(findMember(f, "lengthy"), nullptr);
  EXPECT_EQ(findMember(f, ""), nullptr);
  EXPECT_EQ(findMember(Fields::array({1, 2}), "length"), nullptr);
  EXPECT_EQ(findMember(Fields(), "length"), nullptr);
}

TEST(ReleaseTree, EmptiesNestedContainersAndLeavesScalars) {
  Fields f = {{"a", {{"b", {1, 2, {{"c", "text"}}}}}}, {"d", 5}};
  releaseTree(f);
  EXPECT_TRUE(f.is_object());
  EXPECT_TRUE(f.empty());
  Fields scalar = "text";
  releaseTree(scalar);
  EXPECT_EQ(scalar, "text");
}

TEST(ReleaseTree, DeepTreeBeyondTheRecursionLimit) {
  // 100,000 levels: releaseTree stops recursing at its limit and the destructor (iterative)
  // frees the rest; neither may overflow the stack.
  Fields root = Fields::array();
  Fields* cur = &root;
  for (int i = 0; i < 100000; ++i) {
    cur->push_back(Fields::array());
    cur = &(*cur)[0];
  }
  releaseTree(root);
  EXPECT_TRUE(root.empty());
}

TEST(ReleaseTree, ConnectionTreesAreEmptiedForDestruction) {
  Connection c;
  Event ev = Event::make("tls.application_data", std::nullopt, "application data, 5 bytes");
  setMember(ev.fields, "length", 5);
  c.events.push_back(std::move(ev));
  setMember(c.tls, "records", Fields{{"to_server", {{"count", 1}}}});
  releaseTrees(c);
  EXPECT_TRUE(c.events.front().fields.empty());
  EXPECT_TRUE(c.tls.empty());
  EXPECT_EQ(c.events.front().kind, "tls.application_data");  // only the trees are released
}

}  // namespace
}  // namespace rdpscope::model
