// model::EventBuilder records an event's summary and fields; every reader must see what the
// same fields set on a tree would have shown: expandCompact the same tree, the streaming JSON
// writer the same bytes, the rules the same member values, pickFields only top-level fields.
#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>
#include <string>

#include "model/connection.h"
#include "model/event.h"
#include "model/event_builder.h"
#include "output/json_writer.h"

namespace rdpscope::model {
namespace {

// The same event twice: recorded by EventBuilder, and as a tree filled with setMember.
struct Twins {
  Event recorded;
  Event tree;
};

Twins twins() {
  EventBuilder b;
  Event tree = Event::make("test.twins", Stage::McsConnect, "");
  b.set("count", std::uint16_t{3});
  setMember(tree.fields, "count", std::uint16_t{3});
  b.set("negative", -5);
  setMember(tree.fields, "negative", -5);
  b.set("name", std::string("caf\xC3\xA9 \"quoted\""));  // needs escaping in JSON
  setMember(tree.fields, "name", std::string("caf\xC3\xA9 \"quoted\""));
  b.set("present", true);
  setMember(tree.fields, "present", true);
  b.set("absent", std::optional<std::uint32_t>());
  setMember(tree.fields, "absent", nullptr);
  b.set("ratio", 0.25);
  setMember(tree.fields, "ratio", 0.25);
  b.setList("flags", {"A", "B"});
  setMember(tree.fields, "flags", Fields::array({"A", "B"}));
  b.beginArray("channels");
  Fields channels = Fields::array();
  for (int i = 0; i < 2; ++i) {
    b.beginObject("");
    b.set("id", 1004 + i);
    b.setList("options", {"OPT"});
    b.beginObject("inner");
    b.set("count", 7);  // a nested key equal to a top-level one
    b.endObject();
    b.endObject();
    channels.push_back({{"id", 1004 + i}, {"options", {"OPT"}}, {"inner", {{"count", 7}}}});
  }
  b.endArray();
  setMember(tree.fields, "channels", channels);
  b.beginArray("empty");
  b.endArray();
  setMember(tree.fields, "empty", Fields::array());
  b.summary("two ");
  b.summary("parts");
  tree.summary = "two parts";
  Twins t{std::move(b).build("test.twins", Stage::McsConnect), std::move(tree)};
  t.recorded.dir = t.tree.dir = Direction::ToClient;
  t.recorded.frame = t.tree.frame = 9;
  return t;
}

std::string jsonOf(const Event& ev) {
  Connection c;
  c.events.push_back(ev);
  std::ostringstream out;
  output::writeJsonLine(out, c, false);
  return out.str();
}

TEST(EventBuilder, ExpandsToTheTreeSetMemberBuilds) {
  Twins t = twins();
  ASSERT_TRUE(t.recorded.isCompact());
  EXPECT_EQ(t.recorded.kind, "test.twins");
  EXPECT_EQ(t.recorded.stage, Stage::McsConnect);
  expandCompact(t.recorded);
  EXPECT_EQ(t.recorded.summary, t.tree.summary);
  EXPECT_EQ(t.recorded.fields.dump(), t.tree.fields.dump());
}

TEST(EventBuilder, StreamingJsonWritesTheSameBytesAsTheTree) {
  const Twins t = twins();
  const std::string line = jsonOf(t.tree);
  ASSERT_NE(line.find(R"("channels":[{"id":1004,"options":["OPT"],"inner":{"count":7}},)"),
            std::string::npos)
      << line;
  ASSERT_NE(line.find(R"("name":"café \"quoted\"")"), std::string::npos) << line;
  EXPECT_EQ(jsonOf(t.recorded), line);
}

TEST(EventBuilder, RulesReadItsMembersWithoutTheTree) {
  const Twins t = twins();
  EXPECT_EQ(memberOf(t.recorded, "count"), Fields(3));
  EXPECT_EQ(memberOf(t.recorded, "negative"), Fields(-5));
  EXPECT_EQ(memberOf(t.recorded, "name"), Fields("caf\xC3\xA9 \"quoted\""));
  EXPECT_EQ(memberOf(t.recorded, "absent"), Fields(nullptr));
  EXPECT_EQ(memberOf(t.recorded, "flags"), Fields::array({"A", "B"}));
  EXPECT_EQ(memberOf(t.recorded, "missing"), std::nullopt);
  // A nested member is read from the built tree.
  EXPECT_EQ(memberOf(t.recorded, "channels"), memberOf(t.tree, "channels"));
  EXPECT_EQ(fieldsOf(t.recorded).dump(), t.tree.fields.dump());
}

TEST(EventBuilder, PickFieldsSeesOnlyTopLevelFields) {
  EventBuilder b;
  b.beginObject("inner");
  b.set("count", 7);
  b.endObject();
  const Event nested_only = std::move(b).build("test.nested", std::nullopt);
  std::array<FieldPick, 1> picks = {FieldPick{"count", {}, {}}};
  pickFields(nested_only, picks);
  EXPECT_EQ(picks[0].number, std::nullopt);
  picks[0] = FieldPick{"count", {}, {}};
  pickFields(twins().recorded, picks);
  EXPECT_EQ(picks[0].number, std::optional<std::uint64_t>(3));
}

}  // namespace
}  // namespace rdpscope::model

namespace rdpscope::model {
namespace {

// The writer reuses the text of a recorded body for the next body with the same record: each
// event must still be written as itself when only its summary, a key, a value or a nesting
// differs from one written before.
TEST(EventBuilder, EqualRecordsShareTheirTextAndOthersDoNot) {
  auto make = [](std::string_view summary, std::string_view key, std::uint64_t value, bool nested) {
    EventBuilder b;
    b.summary(summary);
    if (nested) {
      b.beginObject("outer");
    }
    b.set(key, value);
    if (nested) {
      b.endObject();
    }
    return std::move(b).build("test.memo", std::nullopt);
  };
  Connection compact;
  compact.events.push_back(make("a", "x", 1, false));
  compact.events.push_back(make("a", "x", 1, false));  // the same record: the text reused
  compact.events.push_back(make("b", "x", 1, false));
  compact.events.push_back(make("a", "y", 1, false));
  compact.events.push_back(make("a", "x", 2, false));
  compact.events.push_back(make("a", "x", 1, true));
  compact.events.push_back(make("a", "x", 1, false));
  Connection built = compact;
  for (Event& ev : built.events) {
    expandCompact(ev);
  }
  auto line = [](const Connection& c) {
    std::ostringstream out;
    output::writeJsonLine(out, c, false);
    return out.str();
  };
  const std::string expected = line(built);
  EXPECT_NE(expected.find(R"("summary":"a","fields":{"outer":{"x":1}})"), std::string::npos)
      << expected;
  EXPECT_EQ(line(compact), expected);
  EXPECT_EQ(line(compact), expected);  // again, with the writer's texts already kept
}

}  // namespace
}  // namespace rdpscope::model

namespace rdpscope::model {
namespace {

// Records that rarely repeat make the writer stop keeping texts for a while, then try again:
// through those phases every event is still written as itself. 60,000 events: mostly unique
// records (the writer pauses), then mostly repeated ones (it keeps and reuses texts again).
TEST(EventBuilder, TextsKeptOrPausedTheOutputIsTheSame) {
  Connection compact;
  for (std::uint64_t i = 0; i < 60'000; ++i) {
    EventBuilder b;
    const std::uint64_t value = i < 30'000 ? i : i % 7;
    b.summary("event ");
    b.summaryNumber(value);
    b.set("value", value);
    Event ev = std::move(b).build("test.pause", std::nullopt);
    ev.frame = i + 1;
    compact.events.push_back(std::move(ev));
  }
  Connection built = compact;
  for (Event& ev : built.events) {
    expandCompact(ev);
  }
  std::ostringstream a;
  std::ostringstream b;
  output::writeJsonLine(a, compact, false);
  output::writeJsonLine(b, built, false);
  EXPECT_EQ(a.str(), b.str());
  EXPECT_NE(b.str().find(R"("summary":"event 29999","fields":{"value":29999})"), std::string::npos);
}

}  // namespace
}  // namespace rdpscope::model
