// Packet decoding: the IP packet of a real frame (captures/tls12-success, frame 1, the client's
// SYN) is re-wrapped in every supported link type and must decode identically; every prefix of it
// decodes to Truncated, never past the end.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <filesystem>

#include "capture/packet_decode.h"

namespace rdpscope::capture {
namespace {

std::vector<std::uint8_t> firstFrame(const std::string& path, int& linktype) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (p == nullptr) {
    return {};
  }
  pcap_pkthdr* hdr;
  const u_char* data;
  std::vector<std::uint8_t> out;
  if (pcap_next_ex(p, &hdr, &data) == 1) {
    out.assign(data, data + hdr->caplen);
  }
  linktype = pcap_datalink(p);
  pcap_close(p);
  return out;
}

class DecodeRealFrame : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = std::string(RDPSCOPE_SOURCE_DIR) + "/captures/tls12-success/capture.pcap";
    if (!std::filesystem::exists(path)) {
      GTEST_SKIP() << "lab capture missing";
    }
    int linktype = 0;
    auto frame = firstFrame(path, linktype);
    ASSERT_FALSE(frame.empty());
    // Strip the capture's own link header to get the IPv4 packet.
    std::size_t link_len = linktype == 1 ? 14 : linktype == 113 ? 16 : linktype == 0 ? 4 : 0;
    ip_.assign(frame.begin() + static_cast<std::ptrdiff_t>(link_len), frame.end());
    ASSERT_EQ(ip_[0] >> 4, 4);
    ASSERT_EQ(decodePacket(228, ByteView(ip_), static_cast<std::uint32_t>(ip_.size()), ref_),
              DecodeStatus::Ok);
  }
  void expectSame(int linktype, const std::vector<std::uint8_t>& header) {
    std::vector<std::uint8_t> pkt = header;
    pkt.insert(pkt.end(), ip_.begin(), ip_.end());
    PacketView v;
    ASSERT_EQ(decodePacket(linktype, ByteView(pkt), static_cast<std::uint32_t>(pkt.size()), v),
              DecodeStatus::Ok)
        << "linktype " << linktype;
    EXPECT_EQ(v.src, ref_.src);
    EXPECT_EQ(v.dst, ref_.dst);
    EXPECT_EQ(v.src_port, ref_.src_port);
    EXPECT_EQ(v.dst_port, 3389);
    EXPECT_EQ(v.seq, ref_.seq);
    EXPECT_EQ(v.flags, ref_.flags);
  }
  std::vector<std::uint8_t> ip_;
  PacketView ref_;
};

TEST_F(DecodeRealFrame, EveryLinkType) {
  std::vector<std::uint8_t> mac(12, 0x11);
  auto eth = mac;
  eth.insert(eth.end(), {0x08, 0x00});
  expectSame(1, eth);
  auto vlan = mac;
  vlan.insert(vlan.end(), {0x81, 0x00, 0x00, 0x05, 0x08, 0x00});
  expectSame(1, vlan);
  auto qinq = mac;
  qinq.insert(qinq.end(), {0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x05, 0x08, 0x00});
  expectSame(1, qinq);
  std::vector<std::uint8_t> sll = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
  expectSame(113, sll);
  std::vector<std::uint8_t> sll2 = {0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0};
  expectSame(276, sll2);
  expectSame(0, {2, 0, 0, 0});    // BSD NULL, host order AF_INET
  expectSame(108, {0, 0, 0, 2});  // OpenBSD LOOP, network order
  expectSame(101, {});            // LINKTYPE_RAW
  expectSame(12, {});
}

TEST_F(DecodeRealFrame, EveryPrefixIsTruncatedNeverOverread) {
  std::vector<std::uint8_t> eth(12, 0x22);
  eth.insert(eth.end(), {0x08, 0x00});
  eth.insert(eth.end(), ip_.begin(), ip_.end());
  // Headers end at 14 + 20 + TCP header length; every shorter prefix is Truncated.
  const std::size_t headers = 14 + 20 + static_cast<std::size_t>(ip_[20 + 12] >> 4) * 4;
  for (std::size_t n = 0; n < headers; ++n) {
    std::vector<std::uint8_t> cut(eth.begin(), eth.begin() + static_cast<std::ptrdiff_t>(n));
    PacketView v;
    EXPECT_EQ(decodePacket(1, ByteView(cut), static_cast<std::uint32_t>(eth.size()), v),
              DecodeStatus::Truncated)
        << n;
  }
}

TEST(PacketDecode, Ipv6WithExtensionHeaderAndTcp) {
  std::vector<std::uint8_t> p = {0x60, 0, 0, 0, 0, 28, 0 /* hop-by-hop */, 64};
  for (int i = 0; i < 32; ++i) {
    p.push_back(static_cast<std::uint8_t>(i));
  }
  p.insert(p.end(), {6 /* next: TCP */, 0, 0, 0, 0, 0, 0, 0});  // 8-byte hop-by-hop
  p.insert(p.end(), {0xc0, 0x00, 0x0d, 0x3d, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0});
  PacketView v;
  ASSERT_EQ(decodePacket(229, ByteView(p), static_cast<std::uint32_t>(p.size()), v), DecodeStatus::Ok);
  EXPECT_EQ(v.dst_port, 3389);
  EXPECT_EQ(v.src.version, 6);
  EXPECT_EQ(v.flags, 0x02);
  EXPECT_TRUE(v.payload.empty());
}

TEST(PacketDecode, Ipv4FragmentIsReportedNotDecoded) {
  std::vector<std::uint8_t> p = {0x45, 0, 0, 40, 0, 1, 0x20, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
  p.resize(40, 0);
  PacketView v;
  EXPECT_EQ(decodePacket(228, ByteView(p), 40, v), DecodeStatus::Fragment);
}

TEST(PacketDecode, LyingHeaderLengthsAreMalformed) {
  std::vector<std::uint8_t> p = {0x43, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
  p.resize(40, 0);
  PacketView v;
  EXPECT_EQ(decodePacket(228, ByteView(p), 40, v), DecodeStatus::Malformed);  // IHL 3 < 5
}

}  // namespace
}  // namespace rdpscope::capture
