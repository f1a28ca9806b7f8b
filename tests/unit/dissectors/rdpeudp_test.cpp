// RDPEUDP SYN / SYN-ACK recognition on the Zeek sample captures (agreement with Zeek's
// rdpeudp_syn / rdpeudp_synack events in baselines/rdpeudp*.out) and a truncation sweep.
#include <gtest/gtest.h>

#include <filesystem>

#include "fake_context.h"
#include "pcap_streams.h"
#include "udp/rdpeudp_dissector.h"

using namespace rdpscope;
namespace fs = std::filesystem;

namespace {
// rdpeudp-handshake-success.pcap frame 2 (SYN-ACK), first 24 bytes of 1232.
const char* kSynAck = "0b127f15004010050f94ea0b04d004d000010002";

test::FakeContext run(const fs::path& pcap) {
  test::FakeContext ctx;
  for (auto& flow : test::readFlows(pcap.string())) {
    if (!flow.udp) continue;
    for (auto& c : flow.chunks) {
      ctx.frame = c.frame;
      udp::dissectRdpeudpDatagram(ByteView(c.data), c.dir, ctx);
    }
  }
  return ctx;
}
}  // namespace

TEST(Rdpeudp, SynAckFields) {
  auto b = test::fromHex(kSynAck);
  test::FakeContext ctx;
  udp::dissectRdpeudpDatagram(ByteView(b), model::Direction::ToClient, ctx);
  const auto* e = ctx.find("rdpeudp.syn_ack");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->fields["mtu"], 1232);
  EXPECT_EQ(e->fields["version"], "RDPUDP_PROTOCOL_VERSION_2");
}

TEST(Rdpeudp, TruncationSweep) {
  auto b = test::fromHex(kSynAck);
  for (std::size_t n = 0; n < b.size(); ++n) {
    test::FakeContext ctx;
    udp::dissectRdpeudpDatagram(ByteView(b).subspan(0, n), model::Direction::ToClient, ctx);
    EXPECT_EQ(ctx.count("rdpeudp.syn_ack"), 0u) << n;
  }
}

TEST(Rdpeudp, ZeekBaselines) {
  const fs::path dir = fs::path(RDPSCOPE_SHARED_DIR) / "captures" / "zeek";
  if (!fs::exists(dir)) GTEST_SKIP() << "../shared absent";
  // rdpeudp-handshake-fail.out: one rdpeudp_syn (3 retransmitted SYNs, no SYN-ACK).
  auto fail = run(dir / "rdpeudp-handshake-fail.pcap");
  EXPECT_GE(fail.count("rdpeudp.syn"), 1u);
  EXPECT_EQ(fail.count("rdpeudp.syn_ack"), 0u);
  // rdpeudp-handshake-success.out and rdpeudp2-handshake-success.out: syn then synack.
  for (const char* f : {"rdpeudp-handshake-success.pcap", "rdpeudp2-handshake-success.pcap"}) {
    auto ok = run(dir / f);
    EXPECT_EQ(ok.count("rdpeudp.syn"), 1u) << f;
    EXPECT_EQ(ok.count("rdpeudp.syn_ack"), 1u) << f;
    EXPECT_GT(ok.count("rdpeudp.datagram"), 0u) << f;
    EXPECT_TRUE(ok.anomalies.empty()) << f;
  }
  auto v2 = run(dir / "rdpeudp2-handshake-success.pcap");
  EXPECT_EQ(v2.find("rdpeudp.syn")->fields["version"], "RDPUDP_PROTOCOL_VERSION_3");
}
