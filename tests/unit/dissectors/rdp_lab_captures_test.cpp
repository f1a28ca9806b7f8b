// The RDP connection dissector over the project's own lab captures (captures/<scenario>/,
// issue 3), with their TLS key logs: cleartext standard-security sessions, decrypted TLS and
// NLA sessions, error / licensing / disconnect / redirection PDUs. Skips a scenario whose
// capture is absent. Expected values were checked against
// `tshark -r capture.pcap -o tls.keylog_file:keys.log -d tcp.port==3389,tls`.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine/dissector.h"
#include "engine/keystore.h"
#include "fake_context.h"
#include "pcap_streams.h"
#include "rdp/rdp_connection_dissector.h"

using namespace rdpscope;
namespace fs = std::filesystem;

namespace {

struct Conn {
  test::TestFlow flow;
  std::unique_ptr<test::FakeContext> ctx;
};

// Analyses every TCP connection of captures/<name>; empty when the capture is absent.
std::vector<Conn> lab(const std::string& name, std::unique_ptr<engine::KeyStore>& keys) {
  const fs::path dir = fs::path(RDPSCOPE_SOURCE_DIR) / "captures" / name;
  std::vector<Conn> out;
  if (!fs::exists(dir / "capture.pcap")) {
    return out;
  }
  if (fs::exists(dir / "keys.log")) {
    keys = std::move(engine::KeyStore::load((dir / "keys.log").string(), "").store);
  }
  for (auto& flow : test::readFlows((dir / "capture.pcap").string())) {
    if (flow.udp) continue;
    Conn c{flow, std::make_unique<test::FakeContext>()};
    c.ctx->keystore = keys.get();
    auto d = rdp::makeRdpConnectionDissector();
    engine::StreamPipeline pipe(*d);
    for (const auto& ch : flow.chunks) {
      c.ctx->frame = ch.frame;
      pipe.deliver(ch.dir, ByteView(ch.data), *c.ctx);
    }
    pipe.end(model::Direction::ToServer, engine::EndReason::CaptureEnd, *c.ctx);
    pipe.end(model::Direction::ToClient, engine::EndReason::CaptureEnd, *c.ctx);
    out.push_back(std::move(c));
  }
  return out;
}

#define LAB_OR_SKIP(var, name)                                 \
  std::unique_ptr<engine::KeyStore> var##_keys;                \
  auto var = lab(name, var##_keys);                            \
  if (var.empty()) GTEST_SKIP() << name << " capture absent"

}  // namespace

TEST(RdpLab, StandardSecurityNoEncryptionFullSequence) {
  LAB_OR_SKIP(c, "rdp-security-noencryption");
  const auto& ctx = *c[0].ctx;
  for (const char* kind :
       {"x224.connection_request", "x224.connection_confirm", "mcs.connect_initial",
        "gcc.client_core", "gcc.server_security", "mcs.attach_user_confirm", "rdp.client_info",
        "rdp.license_error", "rdp.demand_active", "rdp.confirm_active", "rdp.synchronize",
        "rdp.control", "rdp.font_list", "rdp.font_map", "rdp.active"}) {
    EXPECT_NE(ctx.find(kind), nullptr) << kind;
  }
  EXPECT_EQ(ctx.find("rdp.license_error")->fields["error_code"], "STATUS_VALID_CLIENT");
  EXPECT_EQ(ctx.find("rdp.active")->stage, model::Stage::Active);
  EXPECT_EQ(ctx.count("rdp.active"), 1u);
  EXPECT_TRUE(ctx.conn.rdp["license_error"].is_null());
  EXPECT_EQ(ctx.conn.rdp["encryption_level"], "None");
  EXPECT_TRUE(ctx.anomalies.empty());
  // The Client Info password is never in any event.
  for (const auto& e : ctx.events) {
    EXPECT_EQ(e.fields.dump().find("LabPass"), std::string::npos);
  }
}

TEST(RdpLab, SetErrorInfoOverStandardSecurity) {
  LAB_OR_SKIP(c, "errinfo-denied-rdp");
  const auto& ctx = *c[0].ctx;
  ASSERT_NE(ctx.find("rdp.set_error_info"), nullptr);
  EXPECT_EQ(ctx.conn.rdp["error_info"], "ERRINFO_SERVER_DENIED_CONNECTION");
  EXPECT_EQ(ctx.conn.rdp["disconnect_reason"], "rn-user-requested");
  EXPECT_NE(ctx.find("rdp.deactivate_all"), nullptr);
}

TEST(RdpLab, LicenseErrorAlert) {
  LAB_OR_SKIP(c, "license-error-alert-rdp");
  const auto& ctx = *c[0].ctx;
  const auto* e = ctx.find("rdp.license_error");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->fields["error_code"], "ERR_INVALID_CLIENT");
  EXPECT_EQ(e->fields["state_transition"], "ST_TOTAL_ABORT");
  EXPECT_EQ(ctx.conn.rdp["license_error"], "ERR_INVALID_CLIENT");
  EXPECT_EQ(e->stage, model::Stage::Licensing);
}

TEST(RdpLab, EncryptedStandardSecurityHeadersOnly) {
  LAB_OR_SKIP(c, "rdp-security-mac-error");
  const auto& ctx = *c[0].ctx;
  EXPECT_NE(ctx.find("rdp.security_exchange"), nullptr);
  const auto* ci = ctx.find("rdp.client_info");
  ASSERT_NE(ci, nullptr);
  EXPECT_EQ(ci->fields["encrypted"], true);
  EXPECT_FALSE(ci->fields.contains("user"));
}

TEST(RdpLab, DecryptedTlsSessionWithSetErrorInfo) {
  LAB_OR_SKIP(c, "errinfo-denied-tls");
  const auto& ctx = *c[0].ctx;
  const auto* e = ctx.find("rdp.set_error_info");
  ASSERT_NE(e, nullptr) << "needs keys.log and the TLS dissector";
  EXPECT_TRUE(e->decrypted);
  EXPECT_EQ(e->dir, model::Direction::ToClient);
  EXPECT_EQ(ctx.conn.rdp["error_info"], "ERRINFO_SERVER_DENIED_CONNECTION");
  EXPECT_EQ(ctx.conn.rdp["security_protocol"], "SSL");
  EXPECT_TRUE(ctx.find("rdp.client_info")->decrypted);
  EXPECT_TRUE(ctx.find("rdp.active")->decrypted);
}

TEST(RdpLab, DecryptedNlaThenRdp) {
  LAB_OR_SKIP(c, "nla-success");
  const auto& ctx = *c[0].ctx;
  ASSERT_NE(ctx.find("credssp.ts_request"), nullptr);
  EXPECT_TRUE(ctx.find("credssp.ts_request")->decrypted);
  // The server's TSRequest is stamped with the server's direction.
  bool server_ts = false;
  for (const auto& e : ctx.events) {
    server_ts |= e.kind == "credssp.ts_request" && e.dir == model::Direction::ToClient;
  }
  EXPECT_TRUE(server_ts);
  EXPECT_NE(ctx.find("mcs.connect_initial"), nullptr);
  EXPECT_NE(ctx.find("rdp.active"), nullptr);
  EXPECT_EQ(ctx.conn.rdp["security_protocol"], "HYBRID");
}

TEST(RdpLab, ServerRedirectionThenRoutingToken) {
  LAB_OR_SKIP(c, "server-redirection");
  ASSERT_GE(c.size(), 2u);
  EXPECT_NE(c[0].ctx->find("rdp.server_redirection"), nullptr);
  const auto* cr = c[1].ctx->find("x224.connection_request");
  ASSERT_NE(cr, nullptr);
  EXPECT_FALSE(cr->fields["routing_token"].is_null());
}

TEST(RdpLab, NegotiationFailures) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"ssl-required", "SSL_REQUIRED_BY_SERVER"},
      {"ssl-not-allowed", "SSL_NOT_ALLOWED_BY_SERVER"},
      {"ssl-cert-not-on-server", "SSL_CERT_NOT_ON_SERVER"},
      {"hybrid-required", "HYBRID_REQUIRED_BY_SERVER"},
  };
  for (const auto& [name, code] : cases) {
    std::unique_ptr<engine::KeyStore> keys;
    auto c = lab(name, keys);
    if (c.empty()) continue;
    EXPECT_EQ(c[0].ctx->conn.rdp["neg_failure"], code) << name;
  }
}

TEST(RdpLab, DisconnectProviderUltimatum) {
  LAB_OR_SKIP(c, "server-disconnect-dpum");
  bool seen = false;
  for (const auto& conn : c) {
    seen |= conn.ctx->find("mcs.disconnect_provider_ultimatum") != nullptr;
  }
  EXPECT_TRUE(seen);
}

TEST(RdpLab, NoCrashOrUnexpectedAnomalyOnAnyCapture) {
  const fs::path root = fs::path(RDPSCOPE_SOURCE_DIR) / "captures";
  if (!fs::exists(root)) GTEST_SKIP();
  for (const auto& entry : fs::directory_iterator(root)) {
    if (!fs::exists(entry.path() / "capture.pcap")) continue;
    std::unique_ptr<engine::KeyStore> keys;
    for (const auto& conn : lab(entry.path().filename().string(), keys)) {
      for (const auto& a : conn.ctx->anomalies) {
        // wrong-service-on-port is an HTTP server answering on 3389: its anomaly is the point.
        if (entry.path().filename() == "wrong-service-on-port") {
          EXPECT_EQ(a.id, "x224.response.not_rdp");
          continue;
        }
        // Captures cut mid-PDU end with an incomplete PDU; anything else is a dissector bug.
        EXPECT_EQ(a.id.rfind("engine.", 0), 0u)
            << entry.path().filename() << ": " << a.id << " " << a.detail;
      }
    }
  }
}
