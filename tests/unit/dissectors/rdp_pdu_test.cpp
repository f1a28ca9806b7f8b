// MCS / GCC / RDP PDU dissection on real bytes, with truncation sweeps: every PDU of two real
// connection sequences is re-sent cut at every length (its TPKT length patched to match, so the
// frame is "complete" but its content is short) to a dissector primed with the PDUs before it.
// Each cut must give an anomaly or a (partial-but-valid) event, never a crash or silence.
#include <gtest/gtest.h>

#include "engine/dissector.h"
#include "fake_context.h"
#include "rdp/rdp_connection_dissector.h"
#include "rdp_noenc_frames.h"
#include "rdp_proprietary_frames.h"

using namespace rdpscope;

namespace {

struct Pdu {
  int frame;
  bool to_server;
  std::vector<std::uint8_t> bytes;
};

std::vector<Pdu> noencPdus() {
  std::vector<Pdu> v;
  for (const auto& f : test::noenc::kFrames) {
    v.push_back({f.number, f.to_server, test::fromHex(f.hex)});
  }
  return v;
}

std::vector<Pdu> proprietaryPdus() {
  namespace p = test::proprietary;
  return {{12, true, test::fromHex(p::kFrame12)},  {13, false, test::fromHex(p::kFrame13)},
          {14, true, test::fromHex(p::kFrame14)},  {15, false, test::fromHex(p::kFrame15)},
          {16, true, test::fromHex(p::kFrame16)},  {17, true, test::fromHex(p::kFrame17)},
          {19, false, test::fromHex(p::kFrame19)}, {20, true, test::fromHex(p::kFrame20)},
          {21, false, test::fromHex(p::kFrame21)}, {32, true, test::fromHex(p::kFrame32)},
          {33, true, test::fromHex(p::kFrame33)}};
}

model::Direction dirOf(const Pdu& p) {
  return p.to_server ? model::Direction::ToServer : model::Direction::ToClient;
}

void feedAll(const std::vector<Pdu>& pdus, std::size_t upto, engine::StreamPipeline& pipe,
             test::FakeContext& ctx) {
  for (std::size_t i = 0; i < upto; ++i) {
    ctx.frame = static_cast<std::uint64_t>(pdus[i].frame);
    pipe.deliver(dirOf(pdus[i]), ByteView(pdus[i].bytes), ctx);
  }
}

void sweep(const std::vector<Pdu>& pdus) {
  for (std::size_t target = 0; target < pdus.size(); ++target) {
    const Pdu& pdu = pdus[target];
    if (pdu.bytes.empty() || pdu.bytes[0] != 0x03) {
      continue;  // fast-path: framing only, covered by the TPKT tests
    }
    for (std::size_t n = 4; n < pdu.bytes.size(); ++n) {
      auto d = rdp::makeRdpConnectionDissector();
      engine::StreamPipeline pipe(*d);
      test::FakeContext ctx;
      feedAll(pdus, target, pipe, ctx);
      const std::size_t before = ctx.events.size();
      std::vector<std::uint8_t> cut(pdu.bytes.begin(), pdu.bytes.begin() + static_cast<long>(n));
      cut[2] = static_cast<std::uint8_t>(n >> 8);
      cut[3] = static_cast<std::uint8_t>(n & 0xFF);
      ctx.frame = 9999;
      pipe.deliver(dirOf(pdu), ByteView(cut), ctx);
      EXPECT_GT(ctx.events.size(), before)
          << "frame " << pdu.frame << " cut at " << n << " was silently ignored";
    }
  }
}

}  // namespace

TEST(RdpPdu, StandardSecurityNoEncryptionDecodes) {
  auto pdus = noencPdus();
  auto d = rdp::makeRdpConnectionDissector();
  engine::StreamPipeline pipe(*d);
  test::FakeContext ctx;
  feedAll(pdus, pdus.size(), pipe, ctx);
  EXPECT_TRUE(ctx.anomalies.empty());
  const auto* core = ctx.find("gcc.client_core");
  ASSERT_NE(core, nullptr);
  EXPECT_EQ(core->fields["desktop_width"], 800);
  EXPECT_EQ(core->fields["keyboard_layout"], "English - United States");
  const auto* auc = ctx.find("mcs.attach_user_confirm");
  ASSERT_NE(auc, nullptr);
  EXPECT_EQ(auc->fields["result"], "rt-successful");
  EXPECT_EQ(auc->fields["user_id"], 1009);
  const auto* info = ctx.find("rdp.client_info");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->fields["user"], "root");
  EXPECT_FALSE(info->fields.contains("password"));
  const auto* da = ctx.find("rdp.demand_active");
  ASSERT_NE(da, nullptr);
  EXPECT_EQ(da->fields["capability_count"], 14);
  EXPECT_EQ(da->fields["capability_sets"][0]["type"], "CAPSTYPE_GENERAL");
  const auto* ctl = ctx.find("rdp.control");
  ASSERT_NE(ctl, nullptr);
  EXPECT_EQ(ctl->fields["action"], "CTRLACTION_COOPERATE");
  EXPECT_EQ(ctx.count("rdp.active"), 1u);
}

TEST(RdpPdu, RedactsIdentities) {
  auto pdus = noencPdus();
  auto d = rdp::makeRdpConnectionDissector();
  engine::StreamPipeline pipe(*d);
  test::FakeContext ctx;
  ctx.redact = true;
  feedAll(pdus, pdus.size(), pipe, ctx);
  EXPECT_EQ(ctx.find("rdp.client_info")->fields["user"], "<redacted>");
  EXPECT_EQ(ctx.conn.rdp["cookie"], "<redacted>");
  EXPECT_EQ(ctx.conn.rdp["client_name"], "<redacted>");
}

TEST(RdpPdu, ProprietaryCertificateAndDomainPdus) {
  auto pdus = proprietaryPdus();
  auto d = rdp::makeRdpConnectionDissector();
  engine::StreamPipeline pipe(*d);
  test::FakeContext ctx;
  feedAll(pdus, pdus.size(), pipe, ctx);
  EXPECT_TRUE(ctx.anomalies.empty());
  const auto* sec = ctx.find("gcc.server_security");
  ASSERT_NE(sec, nullptr);
  EXPECT_EQ(sec->fields["cert_type"], "RSA");
  EXPECT_EQ(sec->fields["rsa_bits"], 512);
  EXPECT_EQ(ctx.find("mcs.channel_join_confirm")->fields["channel_id"], 1008);
  EXPECT_EQ(ctx.find("rdp.security_exchange")->stage, model::Stage::SecurityExchange);
  EXPECT_EQ(ctx.find("rdp.client_info")->fields["encrypted"], true);
}

TEST(RdpPdu, TruncationSweepStandardSecurity) { sweep(noencPdus()); }
TEST(RdpPdu, TruncationSweepProprietary) { sweep(proprietaryPdus()); }

TEST(RdpPdu, DisconnectProviderUltimatumReason) {
  // X.224 DT + DPUm 0x21 0x80: reason rn-user-requested (3) ([MS-RDPBCGR] 2.2.2.3 example).
  auto d = rdp::makeRdpConnectionDissector();
  engine::StreamPipeline pipe(*d);
  test::FakeContext ctx;
  auto b = test::fromHex("0300000902f0802180");
  pipe.deliver(model::Direction::ToClient, ByteView(b), ctx);
  const auto* e = ctx.find("mcs.disconnect_provider_ultimatum");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->fields["reason"], "rn-user-requested");
  EXPECT_EQ(ctx.conn.rdp["disconnect_reason"], "rn-user-requested");
}

TEST(RdpPdu, FastPathCountedAsBulk) {
  auto d = rdp::makeRdpConnectionDissector();
  engine::StreamPipeline pipe(*d);
  test::FakeContext ctx;
  // Two fast-path PDUs packed in one segment (lengths 4 and 0x103 with a 2-byte length).
  std::vector<std::uint8_t> b = {0x00, 0x04, 0xAA, 0xBB, 0x80, 0x81, 0x03};
  b.resize(4 + 0x103, 0x55);
  pipe.deliver(model::Direction::ToClient, ByteView(b), ctx);
  EXPECT_EQ(ctx.count("rdp.fastpath"), 2u);
  EXPECT_EQ(ctx.bulk_count, 2u);
}

#include "rdp/post_tls_dissector.h"
#include "rdp/rdp_handler.h"

TEST(RdpPdu, EarlyUserAuthorizationResultAfterCredssp) {
  // HYBRID_EX: after CredSSP the server sends a 4-byte result ([MS-RDPBCGR] 2.2.10.2);
  // ACCESS_DENIED = 0x00000005 little-endian.
  rdp::RdpHandler handler;
  handler.session().selected_protocol = 0x8;
  rdp::PostTlsDissector post(handler);
  engine::StreamPipeline pipe(post);
  test::FakeContext ctx;
  const std::uint8_t denied[] = {0x05, 0x00, 0x00, 0x00};
  pipe.deliver(model::Direction::ToClient, ByteView(denied).subspan(0, 2), ctx);
  EXPECT_EQ(ctx.find("rdp.early_user_auth_result"), nullptr);  // needs all 4 bytes
  pipe.deliver(model::Direction::ToClient, ByteView(denied).subspan(2), ctx);
  const auto* e = ctx.find("rdp.early_user_auth_result");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->fields["result"], "ACCESS_DENIED");
  // Fed to PostTlsDissector directly (no TLS layer): the direction is stamped here; the
  // `decrypted` mark is the TLS dissector's (tested on the lab captures with key logs).
  EXPECT_EQ(e->dir, model::Direction::ToClient);
  EXPECT_FALSE(e->decrypted);
  EXPECT_EQ(e->stage, model::Stage::EarlyAuth);
  EXPECT_EQ(ctx.conn.credssp["early_user_auth"], "ACCESS_DENIED");
}

TEST(RdpPdu, ResyncAfterSkippedTlsRecords) {
  // Issue 8: past activation the TLS layer may leave large records undecrypted and then asks
  // the plaintext consumer to find its framing again at the next record.
  rdp::RdpHandler handler;
  handler.session().selected_protocol = 0x1;  // PROTOCOL_SSL
  rdp::PostTlsDissector post(handler);
  engine::StreamPipeline pipe(post);
  test::FakeContext ctx;
  const auto dir = model::Direction::ToClient;
  EXPECT_TRUE(pipe.needsEveryByte(dir));  // not active yet: every byte matters
  handler.session().active = true;
  EXPECT_FALSE(pipe.needsEveryByte(dir));

  // A fast-path output PDU whose first half was in a skipped record: the pipeline is waiting.
  const std::uint8_t head[] = {0x00, 0x80, 0x40, 0x11, 0x22};  // announces 64 bytes
  pipe.deliver(dir, ByteView(head), ctx);
  pipe.resync(dir, ctx);
  // Record 1: the rest of a PDU whose start was skipped (random bytes): dropped, no anomaly.
  const std::uint8_t tail[] = {0xde, 0xad, 0xbe, 0xef, 0x01};
  pipe.deliver(dir, ByteView(tail), ctx);
  // Record 2: looks like a fast-path header but the PDU would run past the record: a fast-path
  // length byte is too weak a sign, so it is dropped as well.
  pipe.deliver(dir, ByteView(head), ctx);
  EXPECT_TRUE(ctx.anomalies.empty());
  EXPECT_EQ(ctx.count("rdp.fastpath"), 0u);
  // Record 3: two whole fast-path PDUs (length byte = whole PDU): parsed again.
  const std::uint8_t whole[] = {0x00, 0x04, 0xaa, 0xbb, 0x00, 0x03, 0xcc};
  pipe.deliver(dir, ByteView(whole), ctx);
  EXPECT_TRUE(ctx.anomalies.empty());
  EXPECT_EQ(ctx.count("rdp.fastpath"), 2u);
  EXPECT_FALSE(pipe.stopped(dir));
}

#include <random>

TEST(RdpPdu, DeterministicMutationsNeverCrash) {
  // Byte flips over the whole standard-security sequence (seeded): every run must end without a
  // crash or sanitizer report; anomalies are expected.
  auto pdus = noencPdus();
  std::mt19937 rng(12345);
  for (int iter = 0; iter < 300; ++iter) {
    auto copy = pdus;
    for (int k = 0; k < 3; ++k) {
      auto& p = copy[rng() % copy.size()];
      if (!p.bytes.empty()) {
        p.bytes[rng() % p.bytes.size()] = static_cast<std::uint8_t>(rng());
      }
    }
    auto d = rdp::makeRdpConnectionDissector();
    engine::StreamPipeline pipe(*d);
    test::FakeContext ctx;
    feedAll(copy, copy.size(), pipe, ctx);
    pipe.end(model::Direction::ToServer, engine::EndReason::CaptureEnd, ctx);
    pipe.end(model::Direction::ToClient, engine::EndReason::CaptureEnd, ctx);
  }
  SUCCEED();
}
