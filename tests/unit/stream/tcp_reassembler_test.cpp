// TCP reassembly: a real capture's segments are reordered, duplicated, overlapped, split and
// dropped in memory; the reassembled byte streams must equal the original's, with the dropped
// range reported as a gap of exactly its length.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>

#include "capture/packet_decode.h"
#include "stream/tcp_reassembler.h"

namespace rdpscope::stream {
namespace {

struct Collector final : ReassemblySink {
  std::vector<std::uint8_t> bytes;
  std::vector<std::uint64_t> gaps;
  std::uint64_t gap_total = 0;
  void onStreamData(ByteView data) override { bytes.insert(bytes.end(), data.begin(), data.end()); }
  void onStreamGap(std::uint64_t missing, GapReason) override {
    gaps.push_back(missing);
    gap_total += missing;
    bytes.insert(bytes.end(), missing, 0xEE);  // placeholder so offsets stay comparable
  }
};

struct Segment {
  std::uint32_t seq;
  std::vector<std::uint8_t> data;
};

// Client->server segments of the first TCP connection to port 3389 in `path`.
bool loadSegments(const std::string& path, std::uint32_t& syn_seq, std::vector<Segment>& out) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (p == nullptr) {
    return false;
  }
  pcap_pkthdr* hdr;
  const u_char* data;
  bool have_syn = false;
  while (pcap_next_ex(p, &hdr, &data) == 1) {
    capture::PacketView v;
    if (capture::decodePacket(pcap_datalink(p), ByteView(data, hdr->caplen), hdr->len, v) !=
            capture::DecodeStatus::Ok ||
        v.transport != capture::Transport::Tcp || v.dst_port != 3389) {
      continue;
    }
    if ((v.flags & capture::tcpflag::kSyn) && !have_syn) {
      have_syn = true;
      syn_seq = v.seq;
      continue;
    }
    if (have_syn && !v.payload.empty()) {
      out.push_back({v.seq, {v.payload.begin(), v.payload.end()}});
    }
  }
  pcap_close(p);
  return have_syn && out.size() >= 3;
}

std::vector<std::uint8_t> reassemble(std::uint32_t syn, const std::vector<Segment>& segs,
                                     Collector& c) {
  TcpReassembler r(1 << 20, 4096);
  r.onSyn(syn);
  for (const auto& s : segs) {
    r.onSegment(s.seq, ByteView(s.data), 0, c);
  }
  r.flush(c);
  return c.bytes;
}

class ReassemblyOnRealCapture : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = std::string(RDPSCOPE_SOURCE_DIR) + "/captures/tls12-success/capture.pcap";
    if (!std::filesystem::exists(path) || !loadSegments(path, syn_, segs_)) {
      GTEST_SKIP() << "lab capture " << path << " not available";
    }
    Collector c;
    original_ = reassemble(syn_, segs_, c);
    ASSERT_TRUE(c.gaps.empty());
    ASSERT_GT(original_.size(), 100u);
  }
  std::uint32_t syn_ = 0;
  std::vector<Segment> segs_;
  std::vector<std::uint8_t> original_;
};

TEST_F(ReassemblyOnRealCapture, ReorderedSegmentsGiveTheSameStream) {
  std::mt19937 rng(42);
  for (int round = 0; round < 20; ++round) {
    auto segs = segs_;
    std::shuffle(segs.begin(), segs.end(), rng);
    Collector c;
    EXPECT_EQ(reassemble(syn_, segs, c), original_) << "round " << round;
    EXPECT_TRUE(c.gaps.empty());
  }
}

TEST_F(ReassemblyOnRealCapture, DuplicatedAndReversedSegments) {
  std::vector<Segment> segs;
  for (auto it = segs_.rbegin(); it != segs_.rend(); ++it) {
    segs.push_back(*it);
    segs.push_back(*it);
  }
  Collector c;
  EXPECT_EQ(reassemble(syn_, segs, c), original_);
}

TEST_F(ReassemblyOnRealCapture, SplitAndOverlappedSegments) {
  // Split every segment into 1..7-byte pieces and resend a piece overlapping two neighbours.
  std::vector<Segment> segs;
  std::mt19937 rng(7);
  for (const auto& s : segs_) {
    std::size_t pos = 0;
    while (pos < s.data.size()) {
      const std::size_t n = std::min<std::size_t>(1 + rng() % 7, s.data.size() - pos);
      segs.push_back({s.seq + static_cast<std::uint32_t>(pos),
                      {s.data.begin() + static_cast<std::ptrdiff_t>(pos),
                       s.data.begin() + static_cast<std::ptrdiff_t>(pos + n)}});
      pos += n;
    }
    if (s.data.size() > 10) {
      segs.push_back({s.seq + 3, {s.data.begin() + 3, s.data.begin() + 10}});
    }
  }
  std::shuffle(segs.begin(), segs.end(), rng);
  Collector c;
  EXPECT_EQ(reassemble(syn_, segs, c), original_);
}

TEST_F(ReassemblyOnRealCapture, DroppedSegmentBecomesAGapOfItsLength) {
  auto segs = segs_;
  const std::size_t victim = segs.size() / 2;
  const Segment dropped = segs[victim];
  segs.erase(segs.begin() + static_cast<std::ptrdiff_t>(victim));
  Collector c;
  auto got = reassemble(syn_, segs, c);
  ASSERT_EQ(c.gaps.size(), 1u);
  EXPECT_EQ(c.gaps[0], dropped.data.size());
  // Identical apart from the dropped range (filled with the placeholder by the collector).
  auto expected = original_;
  const std::size_t off = dropped.seq - (syn_ + 1);
  std::fill(expected.begin() + static_cast<std::ptrdiff_t>(off),
            expected.begin() + static_cast<std::ptrdiff_t>(off + dropped.data.size()), 0xEE);
  EXPECT_EQ(got, expected);
}

TEST(TcpReassembler, SequenceWrapAround) {
  Collector c;
  TcpReassembler r(1 << 20, 64);
  const std::uint32_t syn = 0xFFFFFFF0u;
  r.onSyn(syn);
  std::vector<std::uint8_t> a(20, 'a'), b(20, 'b');
  r.onSegment(syn + 21, ByteView(b), 0, c);  // wraps past 2^32, arrives first
  r.onSegment(syn + 1, ByteView(a), 0, c);
  r.flush(c);
  ASSERT_EQ(c.bytes.size(), 40u);
  EXPECT_EQ(c.bytes[0], 'a');
  EXPECT_EQ(c.bytes[39], 'b');
  EXPECT_TRUE(c.gaps.empty());
}

TEST(TcpReassembler, FirstCopyWinsOnConflictingOverlap) {
  Collector c;
  TcpReassembler r(1 << 20, 64);
  r.onSyn(100);
  std::vector<std::uint8_t> first = {'1', '2', '3', '4'};
  std::vector<std::uint8_t> second = {'x', 'y', 'z', '5', '6'};
  r.onSegment(101, ByteView(first), 0, c);
  r.onSegment(102, ByteView(second), 0, c);
  EXPECT_EQ(std::string(c.bytes.begin(), c.bytes.end()), "123456");
  EXPECT_EQ(r.stats().overlaps, 1u);
}

TEST(TcpReassembler, OutOfOrderCapDeclaresAGapInsteadOfGrowing) {
  Collector c;
  TcpReassembler r(100, 1000);
  r.onSyn(0);
  std::vector<std::uint8_t> chunk(60, 'z');
  r.onSegment(1 + 1000, ByteView(chunk), 0, c);  // hole of 1000 bytes before it
  EXPECT_TRUE(c.gaps.empty());
  r.onSegment(1 + 1060, ByteView(chunk), 0, c);  // 120 bytes buffered > cap of 100
  ASSERT_EQ(c.gaps.size(), 1u);
  EXPECT_EQ(c.gaps[0], 1000u);
  EXPECT_EQ(c.bytes.size(), 1000u + 120u);
  EXPECT_LE(r.bufferedBytes(), 100u);
}

TEST(TcpReassembler, SnaplenCutSegmentReportsTheMissingTail) {
  Collector c;
  TcpReassembler r(1 << 20, 64);
  r.onSyn(0);
  std::vector<std::uint8_t> head(10, 'h'), next(5, 'n');
  r.onSegment(1, ByteView(head), 30, c);  // 40 bytes on the wire, 10 captured
  r.onSegment(41, ByteView(next), 0, c);
  ASSERT_EQ(c.gaps.size(), 1u);
  EXPECT_EQ(c.gaps[0], 30u);
  EXPECT_EQ(c.bytes.size(), 45u);
}

TEST(TcpReassembler, PeerAckPastAHoleDeclaresTheGap) {
  Collector c;
  TcpReassembler r(1 << 20, 64);
  r.onSyn(0);
  std::vector<std::uint8_t> a(10, 'a');
  r.onSegment(1, ByteView(a), 0, c);
  r.onSegment(31, ByteView(a), 0, c);  // bytes 10..30 never captured
  r.onPeerAck(41, c);
  ASSERT_EQ(c.gaps.size(), 1u);
  EXPECT_EQ(c.gaps[0], 20u);
  EXPECT_EQ(c.bytes.size(), 40u);
}

TEST(TcpReassembler, MidStreamStartWithoutSyn) {
  Collector c;
  TcpReassembler r(1 << 20, 64);
  std::vector<std::uint8_t> a(10, 'a');
  r.onSegment(5000, ByteView(a), 0, c);
  r.onSegment(5010, ByteView(a), 0, c);
  EXPECT_EQ(c.bytes.size(), 20u);
  EXPECT_FALSE(r.sawSyn());
}

}  // namespace
}  // namespace rdpscope::stream
