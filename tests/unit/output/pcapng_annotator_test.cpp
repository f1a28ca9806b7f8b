// Annotated pcapng: blocks written by hand are read back by libpcap with identical bytes and
// timestamps, and the comments sit on the right packets.
#include "output/pcapng_annotator.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "output_fixtures.h"

namespace rdpscope::output {
namespace {

struct ReadPacket {
  Timestamp ts;
  int linktype = 0;
  std::uint32_t wirelen = 0;
  std::vector<std::uint8_t> bytes;
};

std::vector<ReadPacket> readWithLibpcap(const std::string& path) {
  std::vector<ReadPacket> out;
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO,
                                                      errbuf);
  EXPECT_NE(p, nullptr) << errbuf;
  if (p == nullptr) return out;
  const bool nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
  pcap_pkthdr* h = nullptr;
  const u_char* d = nullptr;
  while (pcap_next_ex(p, &h, &d) == 1) {
    ReadPacket r;
    r.ts = Timestamp::fromParts(h->ts.tv_sec, h->ts.tv_usec, nano ? 1'000'000'000 : 1'000'000);
    r.linktype = pcap_datalink(p);
    r.wirelen = h->len;
    r.bytes.assign(d, d + h->caplen);
    out.push_back(std::move(r));
  }
  pcap_close(p);
  return out;
}

std::uint32_t le32(const std::string& s, std::size_t off) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(s[off])) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[off + 1])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[off + 2])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[off + 3])) << 24;
}
std::uint16_t le16(const std::string& s, std::size_t off) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(s[off]) |
                                    static_cast<unsigned char>(s[off + 1]) << 8);
}

// Walks the pcapng blocks and returns, per EPB (1-based), its opt_comment values.
std::map<std::uint64_t, std::vector<std::string>> readComments(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::map<std::uint64_t, std::vector<std::string>> out;
  std::size_t pos = 0;
  std::uint64_t epb = 0;
  while (pos + 12 <= s.size()) {
    const std::uint32_t type = le32(s, pos);
    const std::uint32_t len = le32(s, pos + 4);
    EXPECT_GE(len, 12u);
    EXPECT_EQ(len % 4, 0u);
    EXPECT_LE(pos + len, s.size());
    if (len < 12 || pos + len > s.size()) break;
    EXPECT_EQ(le32(s, pos + len - 4), len) << "trailing block length";
    if (type == 6) {
      ++epb;
      const std::uint32_t caplen = le32(s, pos + 20);
      std::size_t opt = pos + 28 + ((caplen + 3) & ~3u);
      const std::size_t end = pos + len - 4;
      while (opt + 4 <= end) {
        const std::uint16_t code = le16(s, opt), olen = le16(s, opt + 2);
        if (code == 0) break;
        if (code == 1) out[epb].push_back(s.substr(opt + 4, olen));
        opt += 4 + ((olen + 3u) & ~3u);
      }
    }
    pos += len;
  }
  EXPECT_EQ(pos, s.size());
  return out;
}

std::string tempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("rdpscope_output_test_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

TEST(PcapngWriter, RoundTripThroughLibpcap) {
  const std::string path = tempPath("roundtrip.pcapng");
  const std::vector<std::uint8_t> a = {1, 2, 3, 4, 5};          // odd length: padding
  const std::vector<std::uint8_t> b(1514, 0xAB);
  {
    PcapngWriter w;
    ASSERT_EQ(w.open(path), "");
    w.writePacket(1, Timestamp{1700000000123456789}, 60, ByteView(a.data(), a.size()), {});
    w.writePacket(1, Timestamp{1700000001000000000}, 1514, ByteView(b.data(), b.size()),
                  {"first comment", "second \xc3\xa9 comment"});
    w.writePacket(1, Timestamp{1700000002000001000}, 5, ByteView(a.data(), a.size()), {"x"});
    ASSERT_EQ(w.close(), "");
  }
  const auto pkts = readWithLibpcap(path);
  ASSERT_EQ(pkts.size(), 3u);
  EXPECT_EQ(pkts[0].ts.ns, 1700000000123456789);
  EXPECT_EQ(pkts[0].wirelen, 60u);
  EXPECT_EQ(pkts[0].bytes, a);
  EXPECT_EQ(pkts[1].bytes, b);
  EXPECT_EQ(pkts[2].ts.ns, 1700000002000001000);
  EXPECT_EQ(pkts[0].linktype, 1);
  const auto comments = readComments(path);
  EXPECT_EQ(comments.count(1), 0u);
  ASSERT_EQ(comments.at(2).size(), 2u);
  EXPECT_EQ(comments.at(2)[1], "second \xc3\xa9 comment");
  EXPECT_EQ(comments.at(3), std::vector<std::string>{"x"});
  std::remove(path.c_str());
}

TEST(PcapngWriter, UnwritablePathIsAnError) {
  PcapngWriter w;
  EXPECT_NE(w.open("/nonexistent-dir/x.pcapng"), "");
  std::string err;
  EXPECT_EQ(PcapngAnnotator::open("/nonexistent-dir/x.pcapng", err), nullptr);
  EXPECT_NE(err, "");
}

TEST(PacketComments, OneLinePerEventAndDiagnosisOnFatalFrame) {
  const auto comments =
      packetComments({testing::failedNegotiation(), testing::hostileStrings()});
  ASSERT_EQ(comments.at(6).size(), 2u);
  EXPECT_EQ(comments.at(6)[0],
            "rdpscope #1 negotiation x224.neg_failure: RDP_NEG_FAILURE SSL_REQUIRED_BY_SERVER");
  EXPECT_EQ(comments.at(6)[1].rfind("rdpscope #1 DIAGNOSIS neg.ssl_required (outcome failed, stage negotiation, "
                                    "confidence high): The server requires TLS",
                                    0),
            0u);
  EXPECT_NE(comments.at(6)[1].find("[Windows client 0x904 / extended 0x7"), std::string::npos);
  EXPECT_EQ(comments.count(3), 0u);
  for (const auto& [frame, list] : comments) {
    for (const auto& c : list) {
      for (char ch : c) {
        EXPECT_GE(static_cast<unsigned char>(ch), 0x20u) << "frame " << frame << ": " << c;
      }
    }
  }
  EXPECT_NE(comments.at(31)[0].find("anomaly x224.neg_rsp.bad_length"), std::string::npos);
}

// A comment longer than the 4,000-byte cap is cut there, never inside a UTF-8 sequence, and
// says so with "...".
TEST(PacketComments, LongCommentIsCutOnACharacterBoundary) {
  // One or two ASCII bytes first, so that in one of the two the cap falls inside a character.
  for (const std::string lead : {"x", "xy"}) {
    model::Connection c = testing::failedNegotiation();
    ASSERT_TRUE(c.diagnosis.has_value());
    std::string cause = lead;
    for (int i = 0; i < 3000; ++i) {
      cause += "\xC3\xA9";  // e acute: two bytes
    }
    c.diagnosis->cause = cause;
    const auto comments = packetComments({c});
    const std::string& comment = comments.at(6).at(1);  // the diagnosis, on the fatal frame
    ASSERT_EQ(comment.rfind("rdpscope #1 DIAGNOSIS", 0), 0u);
    EXPECT_GT(comment.size(), 3990u) << lead;
    EXPECT_LE(comment.size(), 4000u + 3u) << lead;
    EXPECT_EQ(comment.substr(comment.size() - 3), "...") << lead;
    const auto last = static_cast<unsigned char>(comment[comment.size() - 4]);
    EXPECT_TRUE(last == 0xA9 || last < 0x80) << "cut inside a character, lead " << lead;
  }
}

TEST(PcapngAnnotator, LiveSpoolRoundTrip) {
  const std::string path = tempPath("live.pcapng");
  std::string err;
  auto ann = PcapngAnnotator::open(path, err);
  ASSERT_NE(ann, nullptr) << err;
  std::vector<std::uint8_t> bytes(64);
  for (std::uint64_t f = 1; f <= 8; ++f) {
    bytes[0] = static_cast<std::uint8_t>(f);
    ann->addPacket(f == 8 ? 113 : 1, testing::at(1700000000, static_cast<std::int64_t>(f) * 100),
                   64, 80, ByteView(bytes.data(), bytes.size()), f);
  }
  ASSERT_EQ(ann->finish({testing::failedNegotiation()}), "");
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
  const auto comments = readComments(path);
  EXPECT_EQ(comments.size(), 5u);  // frames 1, 2, 4, 6, 8
  EXPECT_EQ(comments.at(6).size(), 2u);
  EXPECT_NE(comments.at(8)[0].find("tcp.fin"), std::string::npos);
  // The second link type got its own IDB (frame 8 has comments above). libpcap stops at an IDB
  // whose link type differs from the first (Wireshark reads it); the bytes and times are intact.
  const auto pkts = readWithLibpcap(path);
  ASSERT_GE(pkts.size(), 7u);
  EXPECT_EQ(pkts[3].bytes[0], 4);
  EXPECT_EQ(pkts[3].wirelen, 80u);
  EXPECT_EQ(pkts[3].ts.ns, testing::at(1700000000, 400).ns);
  std::remove(path.c_str());
}

TEST(WriteAnnotatedPcapng, RealCaptureKeepsBytesAndTimestamps) {
  const std::string capture =
      std::string(RDPSCOPE_SOURCE_DIR) + "/captures/ssl-required/capture.pcap";
  if (!std::filesystem::exists(capture)) {
    GTEST_SKIP() << "lab capture " << capture << " not present";
  }
  const auto original = readWithLibpcap(capture);
  ASSERT_GE(original.size(), 6u);
  const std::string path = tempPath("annotated.pcapng");
  ASSERT_EQ(writeAnnotatedPcapng({capture}, path, {testing::failedNegotiation()}), "");
  const auto copy = readWithLibpcap(path);
  ASSERT_EQ(copy.size(), original.size());
  for (std::size_t i = 0; i < copy.size(); ++i) {
    EXPECT_EQ(copy[i].bytes, original[i].bytes) << "frame " << i + 1;
    EXPECT_EQ(copy[i].ts.ns, original[i].ts.ns) << "frame " << i + 1;
    EXPECT_EQ(copy[i].wirelen, original[i].wirelen);
    EXPECT_EQ(copy[i].linktype, original[i].linktype);
  }
  const auto comments = readComments(path);
  EXPECT_EQ(comments.count(6), 1u);
  EXPECT_EQ(comments.count(5), 0u);
  EXPECT_NE(writeAnnotatedPcapng({"/nonexistent.pcap"}, path, {}), "");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace rdpscope::output
