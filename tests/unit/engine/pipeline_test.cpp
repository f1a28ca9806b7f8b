// StreamPipeline: buffering according to Progress, and protection against dissector bugs.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/limits.h"
#include "engine/session.h"

namespace rdpscope::engine {
namespace {

// Frames of the form [len][len bytes]; records every frame it sees.
class LengthPrefixed final : public Dissector {
 public:
  std::vector<std::string> frames;
  std::string_view name() const override { return "test"; }
  Progress onData(const StreamData& in, DissectContext&) override {
    if (in.data.empty()) {
      return Progress::needMore(0, 1);
    }
    const std::size_t need = 1 + in.data[0];
    if (in.data.size() < need) {
      return Progress::needMore(0, need);
    }
    frames.emplace_back(in.data.begin() + 1, in.data.begin() + static_cast<std::ptrdiff_t>(need));
    return Progress::consumed(need);
  }
};

class Broken final : public Dissector {
 public:
  std::string_view name() const override { return "broken"; }
  Progress onData(const StreamData&, DissectContext&) override { return Progress::consumed(0); }
};

std::vector<std::uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

TEST(StreamPipeline, DeliversFramesSplitAtEveryByte) {
  const auto stream = bytes("\x03" "abc" "\x01" "d" "\x05" "efghi");
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    auto owned = std::make_unique<LengthPrefixed>();
    auto* d = owned.get();
    Session s(model::Connection{}, std::move(owned), {});
    s.deliver(Direction::ToServer, ByteView(stream).first(cut));
    s.deliver(Direction::ToServer, ByteView(stream).subspan(cut));
    ASSERT_EQ(d->frames.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(d->frames[2], "efghi");
  }
}

TEST(StreamPipeline, NoProgressIsAContractViolationNotALoop) {
  Session s(model::Connection{}, std::make_unique<Broken>(), {});
  const auto data = bytes("xyz");
  s.deliver(Direction::ToClient, ByteView(data));
  auto conn = s.finish();
  ASSERT_EQ(conn.events.size(), 1u);
  EXPECT_EQ(conn.events[0].kind, "anomaly");
  EXPECT_EQ(conn.events[0].fields["id"], "engine.contract_violation");
}

TEST(Session, BulkEventsKeepHeadAndTailAndCountTheRest) {
  Session s(model::Connection{}, nullptr, {});
  for (std::uint64_t i = 1; i <= 200; ++i) {
    s.setCurrent(i, Timestamp{static_cast<std::int64_t>(i)}, Direction::ToClient);
    s.emitBulk(model::Event::make("tls.application_data", std::nullopt, "record"));
  }
  auto conn = s.finish();
  EXPECT_EQ(conn.events_suppressed, 200u - 48u);
  // 48 head + 16 tail + one "events.suppressed" marker.
  ASSERT_EQ(conn.events.size(), 48u + 16u + 1u);
  EXPECT_EQ(conn.events[48].frame, 185u);
  EXPECT_EQ(conn.events.back().kind, "events.suppressed");
}

TEST(Session, BulkHeadEndsSixteenEventsAfterTheSessionIsActive) {
  // The handshake's bulk records (encrypted CredSSP/MCS without keys) fill the head; once an
  // event says the session is active, 16 more bulk events are kept there and the rest counted.
  Session s(model::Connection{}, nullptr, {});
  std::uint64_t frame = 0;
  auto bulk = [&] {
    ++frame;
    s.setCurrent(frame, Timestamp{static_cast<std::int64_t>(frame)}, Direction::ToClient);
    s.emitBulk(model::Event::make("rdp.fastpath", std::nullopt, "record"));
  };
  for (int i = 0; i < 10; ++i) bulk();
  s.emit(model::Event::make("rdp.active", model::Stage::Active, "session active"));
  for (int i = 0; i < 100; ++i) bulk();
  auto conn = s.finish();
  // 1 active marker + 10 + 16 head + 16 tail + the "events.suppressed" marker.
  EXPECT_EQ(conn.events.size(), 1u + 10u + 16u + 16u + 1u);
  EXPECT_EQ(conn.events_suppressed, 100u - 16u);
  EXPECT_EQ(conn.events[26].frame, 26u);  // the last head event (frames 1..26; the marker at 10)
  EXPECT_EQ(conn.events[27].frame, 95u);  // the tail: frames 95..110
}

TEST(Session, BulkTailKeepsTheLatestFramesWhenOlderOnesComeLate) {
  // A layer releasing held-back records (TLS at the connection's end) emits older frames after
  // newer ones: the kept tail is still the 16 latest frames, listed in frame order.
  Session s(model::Connection{}, nullptr, {});
  auto bulk = [&](std::uint64_t frame) {
    s.setCurrent(frame, Timestamp{static_cast<std::int64_t>(frame)}, Direction::ToClient);
    s.emitBulk(model::Event::make("tls.application_data", std::nullopt, "record"));
  };
  for (std::uint64_t i = 1; i <= 48; ++i) bulk(i);   // the head: kept as they come
  for (std::uint64_t i = 1000; i < 1020; ++i) bulk(i);  // one direction, in order
  for (std::uint64_t i = 990; i < 1010; i += 2) bulk(i);  // the other, released late
  bulk(2000);
  auto conn = s.finish();
  ASSERT_EQ(conn.events.size(), 48u + 16u + 1u);
  std::vector<std::uint64_t> tail;
  for (std::size_t i = 48; i < 48 + 16; ++i) tail.push_back(conn.events[i].frame);
  // The 16 latest of {1000..1019, 990..1008 even, 2000}; of two events of the same frame the
  // later emitted counts as later (1006 once: the late one).
  const std::vector<std::uint64_t> want = {1006, 1007, 1008, 1008, 1009, 1010, 1011, 1012,
                                           1013, 1014, 1015, 1016, 1017, 1018, 1019, 2000};
  EXPECT_EQ(tail, want);
  EXPECT_EQ(conn.events_suppressed, 20u + 10u + 1u);
}

TEST(Session, BulkTailDropsAnEventOlderThanEveryKeptOne) {
  Session s(model::Connection{}, nullptr, {});
  auto bulk = [&](std::uint64_t frame) {
    s.setCurrent(frame, Timestamp{static_cast<std::int64_t>(frame)}, Direction::ToClient);
    s.emitBulk(model::Event::make("tls.application_data", std::nullopt, "record"));
  };
  for (std::uint64_t i = 1; i <= 48; ++i) bulk(i);
  bulk(3000);  // out of order while the tail fills: kept, and goes last
  for (std::uint64_t i = 100; i < 115; ++i) bulk(i);
  bulk(50);  // older than all 16 kept: counted only
  bulk(99);  // likewise
  bulk(107);  // replaces 100, goes after the first 107
  auto conn = s.finish();
  ASSERT_EQ(conn.events.size(), 48u + 16u + 1u);
  std::vector<std::uint64_t> tail;  // the suppressed-events marker (frame 107) left out
  for (std::size_t i = 48; i < conn.events.size(); ++i) {
    if (conn.events[i].kind == "tls.application_data") tail.push_back(conn.events[i].frame);
  }
  const std::vector<std::uint64_t> want = {101, 102, 103, 104, 105, 106, 107, 107,
                                           108, 109, 110, 111, 112, 113, 114, 3000};
  EXPECT_EQ(tail, want);
  EXPECT_EQ(conn.events_suppressed, 1u + 15u + 3u);
}

// Stubs of the head are built only at Session::finish(): each still lands where
// it was emitted, between the events of its frame, and counts against the event cap.
void describeTestBulk(const model::CompactBody& body, Direction /*dir*/,
                      model::EventBodySink& sink) {
  sink.summary("bulk ");
  sink.summaryNumber(body.value);
}

BulkStub testStub(std::uint64_t value) {
  BulkStub b;
  b.kind = "test.bulk";
  b.body.describe = &describeTestBulk;
  b.body.value = value;
  return b;
}

TEST(Session, HeadStubsKeepTheirPlaceAmongTheEventsOfTheirFrame) {
  Session s(model::Connection{}, nullptr, {});
  auto stub = [&](std::uint64_t value) {
    BulkStub b = testStub(value);
    b.dir = Direction::ToClient;
    s.emitBulkStub(std::move(b));
  };
  auto event = [&](const char* kind) { s.emit(model::Event::make(kind, std::nullopt, kind)); };
  s.setCurrent(1, Timestamp{1}, Direction::ToServer);
  stub(1);
  event("a");
  stub(2);
  stub(3);
  event("b");
  s.setCurrent(2, Timestamp{2}, Direction::ToServer);
  event("c");
  stub(4);
  auto conn = s.finish();
  std::vector<std::string> got;
  for (const auto& ev : conn.events) {
    got.push_back(ev.summary + "@" + std::to_string(ev.frame));
  }
  const std::vector<std::string> want = {"bulk 1@1", "a@1", "bulk 2@1", "bulk 3@1", "b@1",
                                         "c@2",      "bulk 4@2"};
  EXPECT_EQ(got, want);
  EXPECT_EQ(conn.events[0].dir, Direction::ToClient);  // the stub's, not the current one
  EXPECT_EQ(conn.events[0].ts, Timestamp{1});
}

TEST(Session, HeadStubsCountAgainstTheEventCap) {
  Session s(model::Connection{}, nullptr, {});
  s.setCurrent(1, Timestamp{1}, Direction::ToServer);
  for (std::size_t i = 0; i + 10 < limits::kMaxEventsPerConnection; ++i) {
    s.emit(model::Event::make("x", std::nullopt, "x"));
  }
  const BulkStub b = testStub(0);
  for (int i = 0; i < 20; ++i) {
    s.emitBulkStub(BulkStub(b));  // 10 fit under the cap, 10 do not
  }
  s.emit(model::Event::make("late", std::nullopt, "late"));  // over the cap too
  auto conn = s.finish();
  EXPECT_EQ(conn.events_suppressed, 11u);
  // The cap's events, then the "events.suppressed" marker.
  EXPECT_EQ(conn.events.size(), limits::kMaxEventsPerConnection + 1);
}

}  // namespace
}  // namespace rdpscope::engine
