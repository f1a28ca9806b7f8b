// X.224 / TPKT grammar and the RDP connection dissector's negotiation stage, on real bytes.
#include <gtest/gtest.h>

#include "engine/dissector.h"
#include "fake_context.h"
#include "rdp/rdp_connection_dissector.h"
#include "rdp/rdp_probe.h"
#include "tpkt/parse_util.h"
#include "tpkt/tpkt.h"
#include "x224/x224.h"

using namespace rdpscope;
using rdpscope::test::FakeContext;
using rdpscope::test::fromHex;

namespace {

// rdp-proprietary-encryption.pcap frame 4: CR with cookie "FTBCO\A70" and RDP_NEG_REQ (SSL).
const char* kCrCookieSsl =
    "0300002f2ae00000000000436f6f6b69653a206d737473686173683d465442434f5c4137300d0a01000800"
    "01000000";
// rdp-proprietary-encryption.pcap frame 5: RDP_NEG_FAILURE SSL_NOT_ALLOWED_BY_SERVER.
const char* kCcFailure = "030000130ed000001234000300080002000000";
// rdp-no-cookie-mstshash.pcap frame 7: CR without cookie, requests SSL|HYBRID|HYBRID_EX.
const char* kCrNoCookie = "030000130ee00000000000010008000b000000";
// rdp-no-cookie-mstshash.pcap frame 9: RDP_NEG_RSP flags 0x1f, selects HYBRID_EX.
const char* kCcHybridEx = "030000130ed00000123400021f080008000000";
// rdp-invalid-length.pcap frame 5 (31 bytes): RDP_NEG_RSP with length 0, then junk.
const char* kCcBadLength = "030000130ed000001234000203000001000002001232000200080000000000";

ByteReader payloadOf(const std::vector<std::uint8_t>& frame) {
  ByteReader r(ByteView(frame), 0);
  (void)r.skip(4, "tpkt");
  return r;
}

}  // namespace

TEST(TpktFrame, TpktAndFastPathLengths) {
  auto tp = fromHex(kCcFailure);
  auto f = tpkt::nextFrame(ByteView(tp));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, tpkt::FrameKind::Tpkt);
  EXPECT_EQ(f->total_length, 19u);
  const std::uint8_t fp1[] = {0x00, 0x05, 1, 2, 3};
  auto g = tpkt::nextFrame(ByteView(fp1));
  ASSERT_TRUE(g);
  EXPECT_EQ(g->kind, tpkt::FrameKind::FastPath);
  EXPECT_EQ(g->total_length, 5u);
  const std::uint8_t fp2[] = {0x80, 0x81, 0x2c};  // encrypted flag, 15-bit length 0x12c
  auto h = tpkt::nextFrame(ByteView(fp2));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->total_length, 0x12cu);
  EXPECT_EQ(h->header_length, 3u);
  EXPECT_EQ(h->fp_flags, tpkt::kFastPathOutputEncrypted);
  const std::uint8_t bad[] = {0x03, 0x00, 0x00, 0x05};
  auto b = tpkt::nextFrame(ByteView(bad));
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().kind, ErrorKind::Malformed);
  const std::uint8_t action1[] = {0x45, 0x43};
  EXPECT_FALSE(tpkt::nextFrame(ByteView(action1)));
}

TEST(TpktFrame, TruncationSweep) {
  auto tp = fromHex(kCrCookieSsl);
  for (std::size_t n = 0; n < 4; ++n) {
    auto f = tpkt::nextFrame(ByteView(tp).subspan(0, n));
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().kind, ErrorKind::Truncated);
  }
  const std::uint8_t fp[] = {0x00, 0x80, 0x10};
  EXPECT_EQ(tpkt::nextFrame(ByteView(fp).subspan(0, 2)).error().kind, ErrorKind::Truncated);
}

TEST(X224Parse, ConnectionRequestWithCookie) {
  auto bytes = fromHex(kCrCookieSsl);
  ByteReader r = payloadOf(bytes);
  auto cr = x224::parseConnectionRequest(r);
  ASSERT_TRUE(cr) << cr.error().field;
  ASSERT_TRUE(cr->cookie);
  EXPECT_EQ(*cr->cookie, "FTBCO\\A70");
  EXPECT_FALSE(cr->routing_token);
  ASSERT_TRUE(cr->neg);
  EXPECT_EQ(cr->neg->requested_protocols, 1u);
}

TEST(X224Parse, ConnectionRequestNoCookie) {
  auto bytes = fromHex(kCrNoCookie);
  ByteReader r = payloadOf(bytes);
  auto cr = x224::parseConnectionRequest(r);
  ASSERT_TRUE(cr);
  EXPECT_FALSE(cr->cookie);
  ASSERT_TRUE(cr->neg);
  EXPECT_EQ(cr->neg->requested_protocols, 0x0bu);
}

TEST(X224Parse, RoutingTokenAndCorrelationInfo) {
  // Constructed from [MS-RDPBCGR] 4.1.1 layout: routing token, RDP_NEG_REQ with
  // CORRELATION_INFO_PRESENT and a 36-byte RDP_NEG_CORRELATION_INFO.
  std::string token = "Cookie: msts=3640205228.15629.0000\r\n";
  std::vector<std::uint8_t> v = {0x03, 0x00, 0x00, 0x00, 0x00, 0xe0, 0, 0, 0, 0, 0};
  v.insert(v.end(), token.begin(), token.end());
  std::vector<std::uint8_t> neg = {0x01, 0x08, 0x08, 0x00, 0x03, 0, 0, 0, 0x06, 0x00, 0x24, 0x00};
  v.insert(v.end(), neg.begin(), neg.end());
  for (int i = 0; i < 16; ++i) v.push_back(static_cast<std::uint8_t>(i + 1));
  for (int i = 0; i < 16; ++i) v.push_back(0);
  v[3] = static_cast<std::uint8_t>(v.size());
  v[4] = static_cast<std::uint8_t>(v.size() - 5);
  ByteReader r = payloadOf(v);
  auto cr = x224::parseConnectionRequest(r);
  ASSERT_TRUE(cr) << cr.error().field;
  ASSERT_TRUE(cr->routing_token);
  EXPECT_EQ(*cr->routing_token, "Cookie: msts=3640205228.15629.0000");
  ASSERT_TRUE(cr->neg && cr->neg->correlation_id);
  EXPECT_EQ((*cr->neg->correlation_id)[0], 1);
}

TEST(X224Parse, ConfirmFailureAndResponse) {
  auto f = fromHex(kCcFailure);
  ByteReader r = payloadOf(f);
  auto cc = x224::parseConnectionConfirm(r);
  ASSERT_TRUE(cc && cc->failure);
  EXPECT_EQ(cc->failure->failure_code, 2u);
  auto g = fromHex(kCcHybridEx);
  ByteReader r2 = payloadOf(g);
  auto cc2 = x224::parseConnectionConfirm(r2);
  ASSERT_TRUE(cc2 && cc2->rsp);
  EXPECT_EQ(cc2->rsp->selected_protocol, 8u);
  EXPECT_EQ(cc2->rsp->flags, 0x1f);
}

TEST(X224Parse, BadNegRspLength) {
  auto b = fromHex(kCcBadLength);
  ByteReader r(ByteView(b).subspan(4, 15), 4);
  auto cc = x224::parseConnectionConfirm(r);
  ASSERT_FALSE(cc);
  EXPECT_STREQ(cc.error().field, "x224.neg_rsp.bad_length");
}

TEST(X224Parse, TruncationSweepEveryPrefix) {
  for (const char* hex : {kCrCookieSsl, kCcFailure, kCrNoCookie, kCcHybridEx}) {
    auto full = fromHex(hex);
    for (std::size_t n = 4; n < full.size(); ++n) {
      ByteReader r(ByteView(full).subspan(4, n - 4), 4);
      if (full[5] == 0xe0) {
        EXPECT_FALSE(x224::parseConnectionRequest(r)) << hex << " prefix " << n;
      } else {
        EXPECT_FALSE(x224::parseConnectionConfirm(r)) << hex << " prefix " << n;
      }
    }
  }
}

TEST(RdpProbe, RecognisesConnectionRequest) {
  auto cr = fromHex(kCrCookieSsl);
  EXPECT_TRUE(rdp::looksLikeRdpConnectionRequest(ByteView(cr)));
  auto cc = fromHex(kCcFailure);
  EXPECT_FALSE(rdp::looksLikeRdpConnectionRequest(ByteView(cc)));
  const std::uint8_t tls[] = {0x16, 0x03, 0x01, 0x00, 0x10, 0x01};
  EXPECT_FALSE(rdp::looksLikeRdpConnectionRequest(ByteView(tls)));
  for (std::size_t n = 0; n < 6; ++n) {
    EXPECT_FALSE(rdp::looksLikeRdpConnectionRequest(ByteView(cr).subspan(0, n)));
  }
}

namespace {
void feed(engine::StreamPipeline& p, FakeContext& ctx, model::Direction dir, const char* hex) {
  auto b = fromHex(hex);
  p.deliver(dir, ByteView(b), ctx);
}
}  // namespace

TEST(RdpConnection, NegotiationFailureSummary) {
  auto d = rdp::makeRdpConnectionDissector();
  engine::StreamPipeline p(*d);
  FakeContext ctx;
  feed(p, ctx, model::Direction::ToServer, kCrCookieSsl);
  feed(p, ctx, model::Direction::ToClient, kCcFailure);
  ASSERT_NE(ctx.find("x224.connection_request"), nullptr);
  const auto* f = ctx.find("x224.neg_failure");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->fields["failure_code"], "SSL_NOT_ALLOWED_BY_SERVER");
  EXPECT_EQ(f->stage, model::Stage::Negotiation);
  EXPECT_EQ(ctx.conn.rdp["cookie"], "FTBCO\\A70");
  EXPECT_EQ(ctx.conn.rdp["neg_failure"], "SSL_NOT_ALLOWED_BY_SERVER");
  EXPECT_EQ(ctx.conn.rdp["requested_protocols"][0], "PROTOCOL_SSL");
  EXPECT_TRUE(ctx.anomalies.empty());
}

TEST(RdpConnection, SplitAcrossSegmentsAndTlsHandOff) {
  auto d = rdp::makeRdpConnectionDissector();
  engine::StreamPipeline p(*d);
  FakeContext ctx;
  auto cr = fromHex(kCrNoCookie);
  for (std::size_t i = 0; i < cr.size(); ++i) {  // one byte at a time
    p.deliver(model::Direction::ToServer, ByteView(cr).subspan(i, 1), ctx);
  }
  feed(p, ctx, model::Direction::ToClient, kCcHybridEx);
  EXPECT_EQ(ctx.count("x224.connection_request"), 1u);
  EXPECT_EQ(ctx.conn.rdp["security_protocol"], "HYBRID_EX");
  EXPECT_EQ(ctx.conn.rdp["result"], "encrypted");
  // A TLS ClientHello afterwards must not be parsed as RDP (no anomaly).
  feed(p, ctx, model::Direction::ToServer, "160301007a010000760303");
  EXPECT_TRUE(ctx.anomalies.empty());
}

TEST(RdpConnection, InvalidLengthCaptureBytes) {
  auto d = rdp::makeRdpConnectionDissector();
  engine::StreamPipeline p(*d);
  FakeContext ctx;
  // rdp-invalid-length.pcap frame 4 starts with "ECODH\r\n" (not TPKT).
  feed(p, ctx, model::Direction::ToServer, "45434f44480d0a01000800030301e466");
  feed(p, ctx, model::Direction::ToClient, kCcBadLength);
  EXPECT_TRUE(ctx.hasAnomaly("x224.neg_rsp.bad_length"));
  EXPECT_TRUE(ctx.hasAnomaly("rdp.frame.invalid_first_byte"));
}

TEST(RdpConnection, StartsMidStreamWithTls) {
  auto d = rdp::makeRdpConnectionDissector();
  engine::StreamPipeline p(*d);
  FakeContext ctx;
  feed(p, ctx, model::Direction::ToClient, "170303001000112233445566778899aabbccddeeff");
  EXPECT_TRUE(ctx.anomalies.empty());
}
