// Shared rendering helpers: fatal-event choice, bulk collapsing, field text, time formatting.
#include "output/render_common.h"

#include <gtest/gtest.h>

#include "output_fixtures.h"

namespace rdpscope::output::detail {
namespace {

using output::testing::at;
using output::testing::ev;

TEST(FatalEvent, FromFirstEvidenceWithFrames) {
  const auto c = output::testing::failedNegotiation();
  const auto i = fatalEventIndex(c);
  ASSERT_TRUE(i);
  EXPECT_EQ(c.events[*i].kind, "x224.neg_failure");
}

TEST(FatalEvent, PrefersEventOfTheFactsProtocolInTheFrame) {
  auto c = output::testing::failedNegotiation();
  // A TCP FIN in the same frame as the failure PDU.
  auto fin = c.events[4];
  fin.frame = 6;
  c.events.insert(c.events.begin() + 4, fin);
  const auto i = fatalEventIndex(c);
  ASSERT_TRUE(i);
  EXPECT_EQ(c.events[*i].kind, "x224.neg_failure");
}

TEST(FatalEvent, FallbackIsLastNonBulkEvent) {
  auto c = output::testing::failedNegotiation();
  c.diagnosis->evidence.clear();
  c.events.push_back(ev(9, at(1700000000, 104000), model::Direction::ToServer,
                        "tls.application_data", model::Stage::Tls, "", {{"length", 10}}));
  const auto i = fatalEventIndex(c);
  ASSERT_TRUE(i);
  EXPECT_EQ(c.events[*i].kind, "tcp.fin");
  c.diagnosis.reset();
  EXPECT_TRUE(fatalEventIndex(c));
}

TEST(FatalEvent, NoneUnlessFailed) {
  EXPECT_FALSE(fatalEventIndex(output::testing::successfulTls()));
  auto c = output::testing::failedNegotiation();
  c.outcome = "incomplete";
  EXPECT_FALSE(fatalEventIndex(c));
  c.outcome = "failed";
  c.events.clear();
  EXPECT_FALSE(fatalEventIndex(c));
}

TEST(VerdictEvent, SuccessWithEvidenceOnAnEvent) {
  auto c = output::testing::successfulTls();
  EXPECT_FALSE(verdictEventIndex(c));  // no diagnosis
  model::Diagnosis d;
  d.rule = "errinfo-logoff-by-user";
  d.stage = model::Stage::Active;
  d.evidence = {model::Evidence{"rdp.font_map", std::nullopt, {16}, ""}};
  c.diagnosis = d;
  const auto i = verdictEventIndex(c);
  ASSERT_TRUE(i);
  EXPECT_EQ(c.events[*i].frame, 16u);
  EXPECT_FALSE(fatalEventIndex(c));
  EXPECT_FALSE(verdictEventIndex(output::testing::failedNegotiation()));
}

TEST(TimelineRows, CollapsesLongBulkRunsOnly) {
  const auto c = output::testing::successfulTls();  // 7 PDUs then 20 fast-path records
  const auto rows = timelineRows(c, std::nullopt);
  ASSERT_EQ(rows.size(), 7u + kKeepHead + 1 + kKeepTail);
  const auto& mid = rows[7 + kKeepHead];
  EXPECT_TRUE(mid.collapsed());
  EXPECT_EQ(mid.count, 20u - kKeepHead - kKeepTail);
  EXPECT_EQ(mid.to_server + mid.to_client, mid.count);
  EXPECT_EQ(mid.bytes, 106u + 107 + 108 + 109 + 110 + 111 + 112 + 113 + 114 + 115 + 116);
  // Every event is covered exactly once, in order.
  std::size_t next = 0;
  for (const auto& r : rows) {
    EXPECT_EQ(r.first, next);
    next = r.first + r.count;
  }
  EXPECT_EQ(next, c.events.size());
}

TEST(TimelineRows, FatalBulkEventIsNeverCollapsed) {
  const auto c = output::testing::successfulTls();
  const std::size_t fatal = 7 + 10;  // in the middle of the bulk run
  const auto rows = timelineRows(c, fatal);
  bool seen = false;
  std::size_t next = 0;
  for (const auto& r : rows) {
    EXPECT_EQ(r.first, next);
    next = r.first + r.count;
    if (r.first == fatal) {
      EXPECT_FALSE(r.collapsed());
      seen = true;
    }
    EXPECT_FALSE(r.collapsed() && r.first < fatal && fatal < r.first + r.count);
  }
  EXPECT_TRUE(seen);
  EXPECT_EQ(next, c.events.size());
}

TEST(RenderText, TimesAndValues) {
  EXPECT_EQ(relativeTime(at(10, 0), at(10, 123)), "+0.000123s");
  EXPECT_EQ(relativeTime(at(10, 0), at(12, 5)), "+2.000005s");
  EXPECT_EQ(relativeTime(at(10, 5), at(10, 0)), "-0.000005s");
  EXPECT_EQ(relativeTime(at(13, 0), at(10, 7000)), "-2.993000s");  // the capture's clock went back
  EXPECT_EQ(relativeTime(Timestamp{1000}, Timestamp{500}), "+0.000000s");  // no sign under 1 us
  EXPECT_EQ(durationText(at(10, 0), at(11, 500000)), "1.500000s");
  EXPECT_EQ(valueText(model::Fields::array({"A", "B"})), "A,B");
  EXPECT_EQ(valueText(model::Fields(std::string(300, 'x')), 10), "xxxxxxxxxx...");
  EXPECT_EQ(fieldsText({{"a", 1}, {"b", nullptr}, {"c", true}}), "a=1 c=true");
  EXPECT_EQ(clientErrorText(model::ClientError{"0x904", std::nullopt, "m"}), "0x904: m");
  EXPECT_EQ(clientErrorText(model::ClientError{std::nullopt, "0x7", ""}),
            "code unknown / extended 0x7");
  EXPECT_EQ(clientErrorText(std::nullopt), "");
  // Without a rendered text (the rules always give one), from the fact, value and frames.
  EXPECT_EQ(evidenceText(model::Evidence{"tcp.end", "rst_server", {3, 4}, ""}),
            "tcp.end = rst_server (frame 3, 4)");
  EXPECT_EQ(evidenceText(model::Evidence{"tcp.end", std::nullopt, {}, ""}), "tcp.end = ?");
  EXPECT_EQ(evidenceText(model::Evidence{"tcp.end", "x", {}, "as rendered"}), "as rendered");
}

}  // namespace
}  // namespace rdpscope::output::detail
