// Unit tests for the CredSSP / NTLM / SPNEGO / Kerberos grammar and the CredSSP dissector.
//
// Real bytes: captures/nla-success/capture.pcap (FreeRDP 2.11 client -> freerdp-shadow-cli,
// NLA with NTLM, TLS 1.3), decrypted with
//   tshark -r capture.pcap -o tls.keylog_file:keys.log -d tcp.port==3389,tls -P -x
// ("Decrypted TLS" hex of frames 13, 14, 16, 17, 19). tshark's decode of the same frames is the
// reference for the expected values (target name VM, server version 6.1.7601, user labuser...).
// Hand-built tokens (SPNEGO, Kerberos, errorCode TSRequests) come from make_fixtures.py in this
// folder, encoded from the RFC / MS-CSSP ASN.1; no cleartext capture of those exists here yet.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "credssp/credssp.h"
#include "credssp/credssp_dissector.h"
#include "credssp/ntlm.h"
#include "credssp/spnego.h"
#include "engine/dissector.h"

namespace rdpscope::credssp {
namespace {

std::vector<std::uint8_t> fromHex(const std::string& hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// ---- Real frames: captures/nla-success/capture.pcap, decrypted TLS plaintext -------------
// 13: client TSRequest v6, NTLM NEGOTIATE + clientNonce
// 14: server TSRequest v6, NTLM CHALLENGE
// 16: client TSRequest v6, NTLM AUTHENTICATE + pubKeyAuth + clientNonce
// 17: server TSRequest v6, pubKeyAuth
// 19: client TSRequest v6, authInfo (encrypted TSCredentials) + clientNonce
// frame 13 (93 bytes)
const std::string kFrame13 =
    "305ba003020106a130302e302ca02a04284e544c4d5353500001000000b78208e2000000000000000000000000"
    "000000000601b11d0000000fa52204207cc5243d9a1789e33e59a592718e46050a2b89d5e9027fd9207ba11afd"
    "0f6b61";
// frame 14 (162 bytes)
const std::string kFrame14 =
    "30819fa003020106a17430723070a06e046c4e544c4d53535000020000000400040038000000b78288e2e99745"
    "0b302e7e610000000000000000300030003c0000000601b11d0000000f56004d000200040056004d0001000400"
    "56004d000400040076006d000300040076006d0007000800801a4f73e27cdd0100000000a52204207cc5243d9a"
    "1789e33e59a592718e46050a2b89d5e9027fd9207ba11afd0f6b61";
// frame 16 (433 bytes)
const std::string kFrame16 =
    "308201ada003020106a182014c3082014830820144a08201400482013c4e544c4d535350000300000018001800"
    "6a000000aa00aa008200000000000000580000000e000e00580000000400040066000000100010002c01000035"
    "a288e20601b11d0000000fe7c8939032a3a76fd8a9f4768cccabc46c0061006200750073006500720076006d00"
    "000000000000000000000000000000000000000000000000e96fa60226373997ad6f7b836f33d4250101000000"
    "000000801a4f73e27cdd01683a14ed9fc2c774000000000200040056004d000100040056004d00040004007600"
    "6d000300040076006d0007000800801a4f73e27cdd0106000400020000000a0010000000000000000000000000"
    "0000000000090022005400450052004d005300520056002f003100320037002e0030002e0030002e0031000000"
    "00000000000000000000000000000b03695200bfd1702137ef74aa66656ca3320430010000002483124d7bcae6"
    "49000000007aa8f46611f3ca9f221fec64d11108d95ef88e24b12d2e9dc1b72cb8b86ddcaaa52204207cc5243d"
    "9a1789e33e59a592718e46050a2b89d5e9027fd9207ba11afd0f6b61";
// frame 17 (95 bytes)
const std::string kFrame17 =
    "305da003020106a332043001000000048fe56d48e66a2200000000f911024919f4e4adfef70415c38d4b15c7ee"
    "1d145288865b618de1d4e53c7bcda52204207cc5243d9a1789e33e59a592718e46050a2b89d5e9027fd9207ba1"
    "1afd0f6b61";
// frame 19 (124 bytes)
const std::string kFrame19 =
    "307aa003020106a24f044d01000000fd21092e0a9163a901000000a48a68702c8cc403875c430de4a6503fce90"
    "6363c17a85ae3452c8ed940ab57e9f1f291fbd3228e5136ab1344de82c86c96b9e6e259221a713f2960fafa522"
    "04207cc5243d9a1789e33e59a592718e46050a2b89d5e9027fd9207ba11afd0f6b61";

// ---- Hand-built (make_fixtures.py) ----
const std::string kSpnegoInitNtlm =
    "606a06062b0601050502a060305ea030302e06092a864882f71201020206092a864886f712010202060a2b0601"
    "0401823702021e060a2b06010401823702020aa22a04284e544c4d5353500001000000b78208e2000000000000"
    "000000000000000000000601b11d0000000f";
const std::string kSpnegoRespNtlmChallenge =
    "a18186308183a0030a0101a10c060a2b06010401823702020aa26e046c4e544c4d535350000200000004000400"
    "38000000b78288e2e997450b302e7e610000000000000000300030003c0000000601b11d0000000f56004d0002"
    "00040056004d000100040056004d000400040076006d000300040076006d0007000800801a4f73e27cdd010000"
    "0000";
const std::string kSpnegoInitKerberos =
    "6082011e06062b0601050502a08201123082010ea024302206092a864882f71201020206092a864886f7120102"
    "02060a2b06010401823702020aa281e50481e26081df06092a864886f71201020201006e81cf3081cca0030201"
    "05a10302010ea20703050020000000a38181617f307da003020105a10d1b0b4558414d504c452e434f4da22530"
    "23a003020102a11c301a1b075445524d5352561b0f7264732e6578616d706c652e636f6da340303ea003020112"
    "a103020103a2320430111111111111111111111111111111111111111111111111111111111111111111111111"
    "111111111111111111111111a4333031a003020112a22a04282222222222222222222222222222222222222222"
    "2222222222222222222222222222222222222222";
const std::string kSpnegoRespKrbError =
    "a17c307aa0030a0102a2730471606f06092a864886f71201020203007e60305ea003020105a10302011ea41118"
    "0f32303234313132353133343030325aa50402023039a603020125a90d1b0b4558414d504c452e434f4daa2530"
    "23a003020102a11c301a1b075445524d5352561b0f7264732e6578616d706c652e636f6d";
const std::string kSpnegoRespApRep =
    "a18183308180a0030a0100a10b06092a864882f712010202a24c044a604806092a864886f71201020202006f39"
    "3037a003020105a10302010fa22b3029a003020112a22204203333333333333333333333333333333333333333"
    "333333333333333333333333a31e041c44444444444444444444444444444444444444444444444444444444";
const std::string kTsRequestErrorLogonFailure =
    "300da003020106a4060204c000006d";
const std::string kTsRequestErrorPadded =
    "300ea003020104a407020500c000006d";
const std::string kTsRequestSpnegoKerberos =
    "3082013ba003020106a18201323082012e3082012aa0820126048201226082011e06062b0601050502a0820112"
    "3082010ea024302206092a864882f71201020206092a864886f712010202060a2b06010401823702020aa281e5"
    "0481e26081df06092a864886f71201020201006e81cf3081cca003020105a10302010ea20703050020000000a3"
    "8181617f307da003020105a10d1b0b4558414d504c452e434f4da2253023a003020102a11c301a1b075445524d"
    "5352561b0f7264732e6578616d706c652e636f6da340303ea003020112a103020103a232043011111111111111"
    "1111111111111111111111111111111111111111111111111111111111111111111111111111111111a4333031"
    "a003020112a22a0428222222222222222222222222222222222222222222222222222222222222222222222222"
    "22222222";
const std::string kTsRequestSpnegoKrbError =
    "308191a003020106a18189308186308183a08180047ea17c307aa0030a0102a2730471606f06092a864886f712"
    "01020203007e60305ea003020105a10302011ea411180f32303234313132353133343030325aa50402023039a6"
    "03020125a90d1b0b4558414d504c452e434f4daa253023a003020102a11c301a1b075445524d5352561b0f7264"
    "732e6578616d706c652e636f6d";

// Secret material inside kFrame16 (NTLM AUTHENTICATE): NTProofStr (first 16 bytes of the
// NTLMv2 response), client challenge, encrypted random session key and MIC.
const char* const kFrame16Secrets[] = {
    "e96fa60226373997ad6f7b836f33d425",  // NTProofStr
    "683a14ed9fc2c774",                  // ChallengeFromClient
    "0b03695200bfd1702137ef74aa66656c",  // EncryptedRandomSessionKey
    "e7c8939032a3a76fd8a9f4768cccabc4",  // MIC
    "e997450b302e7e61",                  // ServerChallenge (frame 14)
};

// A DissectContext that records everything.
class FakeContext final : public engine::DissectContext {
 public:
  struct Anomaly {
    std::string id;
    model::Direction dir;
    std::uint64_t offset;
    std::string detail;
  };
  void emit(model::Event&& event) override {
    model::expandCompact(event);  // as engine::Session does for readers like these tests
    events.push_back(std::move(event));
  }
  void emitBulk(model::Event&& event) override { events.push_back(std::move(event)); }
  void anomaly(std::string_view id, model::Direction dir, std::uint64_t stream_offset,
               std::string detail) override {
    anomalies.push_back(Anomaly{std::string(id), dir, stream_offset, std::move(detail)});
  }
  model::Connection& connection() override { return conn; }
  const engine::KeyStore* keys() const override { return nullptr; }
  bool redactIdentities() const override { return redact; }
  std::uint64_t currentFrame() const override { return 0; }
  Timestamp currentTime() const override { return Timestamp{}; }
  void setStamp(std::uint64_t, Timestamp) override {}

  const model::Event* find(const std::string& kind) const {
    for (const auto& e : events) {
      if (e.kind == kind) {
        return &e;
      }
    }
    return nullptr;
  }
  std::string dump() const {
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    for (const auto& e : events) {
      all.push_back({{"kind", e.kind}, {"summary", e.summary}, {"fields", e.fields}});
    }
    for (const auto& a : anomalies) {
      all.push_back({{"anomaly", a.id}, {"detail", a.detail}});
    }
    all.push_back(conn.credssp);
    return all.dump();
  }

  std::vector<model::Event> events;
  std::vector<Anomaly> anomalies;
  model::Connection conn;
  bool redact = false;
};

using model::Direction;

struct Pdu {
  Direction dir;
  const std::string* hex;
};
const std::vector<Pdu> kNlaSuccess = {
    {Direction::ToServer, &kFrame13}, {Direction::ToClient, &kFrame14},
    {Direction::ToServer, &kFrame16}, {Direction::ToClient, &kFrame17},
    {Direction::ToServer, &kFrame19},
};

// Feeds the PDUs through a StreamPipeline, `chunk` bytes at a time (0 = whole PDU).
void feed(FakeContext& ctx, const std::vector<Pdu>& pdus, std::size_t chunk = 0) {
  auto d = makeCredsspDissector();
  engine::StreamPipeline pipe(*d);
  for (const auto& p : pdus) {
    auto bytes = fromHex(*p.hex);
    const std::size_t step = chunk == 0 ? bytes.size() : chunk;
    for (std::size_t i = 0; i < bytes.size(); i += step) {
      const std::size_t n = std::min(step, bytes.size() - i);
      pipe.deliver(p.dir, ByteView(bytes.data() + i, n), ctx);
    }
  }
}

// ---- TSRequest grammar --------------------------------------------------------------------

TEST(CredsspTsRequest, RealFramesFromNlaSuccess) {
  auto b13 = fromHex(kFrame13);
  auto r13 = parseTsRequest(b13);
  ASSERT_TRUE(r13) << r13.error().field;
  EXPECT_EQ(r13->version, 6);
  ASSERT_EQ(r13->nego_tokens.size(), 1u);
  EXPECT_EQ(r13->nego_tokens[0].data.size(), 40u);
  EXPECT_EQ(r13->nego_tokens[0].offset, 17u);
  EXPECT_EQ(r13->client_nonce_length, 32u);
  EXPECT_FALSE(r13->auth_info_length);
  EXPECT_FALSE(r13->error_code);

  auto b16 = fromHex(kFrame16);
  auto r16 = parseTsRequest(b16);
  ASSERT_TRUE(r16);
  EXPECT_EQ(r16->nego_tokens.size(), 1u);
  EXPECT_EQ(r16->pub_key_auth_length, 48u);
  EXPECT_EQ(r16->client_nonce_length, 32u);

  auto b17 = fromHex(kFrame17);
  auto r17 = parseTsRequest(b17);
  ASSERT_TRUE(r17);
  EXPECT_TRUE(r17->nego_tokens.empty());
  EXPECT_EQ(r17->pub_key_auth_length, 48u);

  auto b19 = fromHex(kFrame19);
  auto r19 = parseTsRequest(b19);
  ASSERT_TRUE(r19);
  EXPECT_EQ(r19->auth_info_length, 77u);
  EXPECT_TRUE(r19->nego_tokens.empty());
}

TEST(CredsspTsRequest, ErrorCodeBothEncodings) {
  for (const std::string* hex : {&kTsRequestErrorLogonFailure, &kTsRequestErrorPadded}) {
    auto b = fromHex(*hex);
    auto r = parseTsRequest(b);
    ASSERT_TRUE(r) << *hex;
    ASSERT_TRUE(r->error_code);
    EXPECT_EQ(*r->error_code, 0xC000006Du);
  }
}

TEST(CredsspTsRequest, FramingLength) {
  auto b = fromHex(kFrame16);
  auto len = tsRequestLength(b);
  ASSERT_TRUE(len);
  EXPECT_EQ(*len, b.size());
  EXPECT_FALSE(tsRequestLength(ByteView(b.data(), 1)));
  EXPECT_EQ(tsRequestLength(ByteView(b.data(), 1)).error().kind, ErrorKind::Truncated);
  auto len4 = tsRequestLength(ByteView(b.data(), 4));
  ASSERT_TRUE(len4);
  EXPECT_EQ(*len4, b.size());
  auto notseq = fromHex("0401ff");
  EXPECT_EQ(tsRequestLength(notseq).error().kind, ErrorKind::Malformed);
  auto huge = fromHex("3084010000000000");
  EXPECT_EQ(tsRequestLength(huge).error().kind, ErrorKind::LimitExceeded);
}

TEST(CredsspTsRequest, MalformedStructures) {
  const char* bad[] = {
      "3000",                          // no version
      "3005a1030201063000",            // [1] first, trailing
      "3008a003020106a003020106",      // duplicate [0]
      "3008a003020106a6030201ff",      // unknown [6]
      "3009a003020106a4020201ff",      // [4] content lies
      "3007a003020106040100",          // universal where a [n] is expected
      "3003a0030201",                  // inner TLV longer than outer
      "300ba003020106a1043002a000",    // NegoData item without OCTET STRING
      "3003a00102",                    // explicit wrapper not constructed... primitive [0]
  };
  for (const char* hex : bad) {
    auto b = fromHex(hex);
    auto r = parseTsRequest(b);
    EXPECT_FALSE(r) << hex;
  }
}

TEST(CredsspTsRequest, TruncationSweep) {
  for (const auto& p : kNlaSuccess) {
    auto b = fromHex(*p.hex);
    for (std::size_t n = 0; n < b.size(); ++n) {
      ByteView prefix(b.data(), n);
      auto len = tsRequestLength(prefix);
      // The framer must either want more bytes or know the length exceeds the prefix.
      if (len) {
        EXPECT_GT(*len, n);
      } else {
        EXPECT_EQ(len.error().kind, ErrorKind::Truncated) << n;
      }
      EXPECT_FALSE(parseTsRequest(prefix)) << n;
    }
  }
}

TEST(CredsspTsCredentials, PlaintextTypes) {
  // [MS-CSSP] 2.2.1.2: credType 1 (password) with a 4-byte opaque credentials blob.
  auto b = fromHex("300ba003020101a1040402aabb");
  auto c = parseTsCredentials(b);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->cred_type, 1);
  auto lie = fromHex("300ba003020101a1040403aabb");  // OCTET STRING claims 3 bytes, has 2
  EXPECT_FALSE(parseTsCredentials(lie));
  auto ok = fromHex("300ca003020102a105040300aabb");
  auto c2 = parseTsCredentials(ok);
  ASSERT_TRUE(c2);
  EXPECT_EQ(c2->cred_type, 2);
  EXPECT_EQ(c2->credentials_length, 3u);
}

// ---- NTLM grammar -------------------------------------------------------------------------

ByteView tokenOf(const std::vector<std::uint8_t>& frame, std::uint32_t* offset = nullptr) {
  auto r = parseTsRequest(frame);
  if (!r || r->nego_tokens.empty()) {
    return {};
  }
  if (offset != nullptr) {
    *offset = r->nego_tokens[0].offset;
  }
  return r->nego_tokens[0].data;
}

TEST(NtlmParse, NegotiateFromCapture) {
  auto f = fromHex(kFrame13);
  auto m = parseNtlmMessage(tokenOf(f));
  ASSERT_TRUE(m) << m.error().field;
  ASSERT_TRUE(m->negotiate);
  EXPECT_EQ(m->type, NtlmMessageType::Negotiate);
  EXPECT_EQ(m->negotiate->flags, 0xE20882B7u);
  EXPECT_FALSE(m->negotiate->domain);
  ASSERT_TRUE(m->negotiate->version);
  EXPECT_EQ(m->negotiate->version->text(), "6.1.7601");
  EXPECT_EQ(m->negotiate->version->ntlm_revision, 15);
}

TEST(NtlmParse, ChallengeFromCaptureAgreesWithTshark) {
  auto f = fromHex(kFrame14);
  auto m = parseNtlmMessage(tokenOf(f));
  ASSERT_TRUE(m) << m.error().field;
  ASSERT_TRUE(m->challenge);
  const auto& c = *m->challenge;
  EXPECT_EQ(c.flags, 0xE28882B7u);
  EXPECT_EQ(c.target_name, "VM");
  ASSERT_TRUE(c.target_info);
  EXPECT_EQ(c.target_info->netbios_domain.value_or(""), "VM");
  EXPECT_EQ(c.target_info->netbios_computer.value_or(""), "VM");
  EXPECT_EQ(c.target_info->dns_domain.value_or(""), "vm");
  EXPECT_EQ(c.target_info->dns_computer.value_or(""), "vm");
  ASSERT_TRUE(c.target_info->timestamp);
  // tshark: "Timestamp: Nov 25, 2026 13:39:53.000000000 UTC" (the lab VM's clock).
  EXPECT_EQ(filetimeToIso(*c.target_info->timestamp), "2026-11-25T13:39:53Z");
  ASSERT_TRUE(c.version);
  EXPECT_EQ(c.version->major, 6);
  EXPECT_EQ(c.version->minor, 1);
  EXPECT_EQ(c.version->build, 7601);
  EXPECT_EQ(c.target_info->av_ids, (std::vector<std::uint16_t>{2, 1, 4, 3, 7}));
}

TEST(NtlmParse, AuthenticateFromCaptureAgreesWithTshark) {
  auto f = fromHex(kFrame16);
  auto m = parseNtlmMessage(tokenOf(f));
  ASSERT_TRUE(m) << m.error().field;
  ASSERT_TRUE(m->authenticate);
  const auto& a = *m->authenticate;
  EXPECT_EQ(a.user, "labuser");
  EXPECT_EQ(a.domain, "");
  EXPECT_EQ(a.workstation, "vm");
  EXPECT_TRUE(a.ntlm_v2);
  EXPECT_FALSE(a.anonymous);
  EXPECT_EQ(a.nt_response_length, 170);
  EXPECT_EQ(a.lm_response_length, 24);
  EXPECT_EQ(a.session_key_length, 16);
  EXPECT_TRUE(a.mic_present);  // MsvAvFlags 0x00000002
  ASSERT_TRUE(a.client_target_info);
  EXPECT_EQ(a.client_target_info->target_name.value_or(""), "TERMSRV/127.0.0.1");
  EXPECT_TRUE(a.client_target_info->channel_bindings);
  ASSERT_TRUE(a.version);
  EXPECT_EQ(a.version->text(), "6.1.7601");
}

TEST(NtlmParse, NtlmV1AndAnonymousDetection) {
  // Minimal hand-built AUTHENTICATE ([MS-NLMP] 2.2.1.3) with a 24-byte NT response, OEM strings.
  std::vector<std::uint8_t> m = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 3, 0, 0, 0};
  auto field = [&](std::uint16_t len, std::uint32_t off) {
    m.push_back(static_cast<std::uint8_t>(len));
    m.push_back(static_cast<std::uint8_t>(len >> 8));
    m.push_back(static_cast<std::uint8_t>(len));
    m.push_back(static_cast<std::uint8_t>(len >> 8));
    for (int i = 0; i < 4; ++i) {
      m.push_back(static_cast<std::uint8_t>(off >> (8 * i)));
    }
  };
  field(24, 64);   // LM
  field(24, 88);   // NT (v1)
  field(3, 112);   // domain "DOM"
  field(4, 115);   // user "user"
  field(2, 119);   // workstation "WS"
  field(0, 121);   // session key
  for (int b : {0x00, 0x02, 0x00, 0x00}) {  // flags: OEM, no version
    m.push_back(static_cast<std::uint8_t>(b));
  }
  m.resize(112, 0xAB);
  for (char c : std::string("DOMuserWS")) {
    m.push_back(static_cast<std::uint8_t>(c));
  }
  auto r = parseNtlmMessage(m);
  ASSERT_TRUE(r) << r.error().field;
  EXPECT_FALSE(r->authenticate->ntlm_v2);
  EXPECT_EQ(r->authenticate->user, "user");
  EXPECT_EQ(r->authenticate->domain, "DOM");
  EXPECT_EQ(r->authenticate->workstation, "WS");
  EXPECT_FALSE(r->authenticate->mic_present);
  // A buffer that points past the message is Malformed.
  auto bad = m;
  bad[20] = 0xFF;  // NT response offset low byte
  auto rb = parseNtlmMessage(bad);
  ASSERT_FALSE(rb);
  EXPECT_EQ(rb.error().kind, ErrorKind::Malformed);
  EXPECT_STREQ(rb.error().field, "ntlm.authenticate.nt_response");
}

TEST(NtlmParse, BadSignatureAndType) {
  auto a = fromHex("4e544c4d53535001010000000000000000000000");
  EXPECT_FALSE(parseNtlmMessage(a));
  auto b = fromHex("4e544c4d5353500009000000");
  auto rb = parseNtlmMessage(b);
  ASSERT_FALSE(rb);
  EXPECT_STREQ(rb.error().field, "ntlm.message_type");
}

TEST(NtlmParse, AvPairsNeedEol) {
  auto b = fromHex("0200040056004d00");
  EXPECT_FALSE(parseAvPairs(b));
  auto c = fromHex("06000300010000");  // MsvAvFlags with a 3-byte value
  EXPECT_FALSE(parseAvPairs(c));
}

TEST(NtlmParse, TruncationSweep) {
  for (const std::string* hex : {&kFrame13, &kFrame14, &kFrame16}) {
    auto f = fromHex(*hex);
    ByteView tok = tokenOf(f);
    ASSERT_FALSE(tok.empty());
    ASSERT_TRUE(parseNtlmMessage(tok));
    for (std::size_t n = 0; n < tok.size(); ++n) {
      auto r = parseNtlmMessage(tok.first(n));
      EXPECT_FALSE(r) << n;
    }
  }
}

TEST(NtlmParse, ByteFlipsNeverCrash) {
  auto f = fromHex(kFrame16);
  std::vector<std::uint8_t> tok(tokenOf(f).begin(), tokenOf(f).end());
  for (std::size_t i = 0; i < tok.size(); ++i) {
    for (std::uint8_t v : {std::uint8_t{0}, std::uint8_t{0xFF}, std::uint8_t{0x80}}) {
      auto m = tok;
      m[i] = v;
      (void)parseNtlmMessage(m);
    }
  }
  SUCCEED();
}

// ---- SPNEGO / Kerberos grammar ------------------------------------------------------------

TEST(SpnegoParse, InitWithNtlm) {
  auto b = fromHex(kSpnegoInitNtlm);
  auto s = parseSpnego(b);
  ASSERT_TRUE(s) << s.error().field;
  EXPECT_EQ(s->kind, SpnegoToken::Kind::Init);
  EXPECT_TRUE(s->gss_wrapped);
  EXPECT_EQ(s->mech_types,
            (std::vector<std::string>{"1.2.840.48018.1.2.2", "1.2.840.113554.1.2.2",
                                      "1.3.6.1.4.1.311.2.2.30", "1.3.6.1.4.1.311.2.2.10"}));
  ASSERT_EQ(s->inner.size(), 1u);
  EXPECT_EQ(s->inner[0].mechanism, Mechanism::Ntlm);
  ASSERT_TRUE(s->inner[0].ntlm);
  auto g = parseGssToken(b);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->mechanism, Mechanism::Ntlm);
}

TEST(SpnegoParse, RespWithNtlmChallenge) {
  auto b = fromHex(kSpnegoRespNtlmChallenge);
  auto s = parseSpnego(b);
  ASSERT_TRUE(s) << s.error().field;
  EXPECT_EQ(s->kind, SpnegoToken::Kind::Resp);
  EXPECT_EQ(s->neg_state.value_or(-1), 1);  // accept-incomplete
  EXPECT_EQ(s->supported_mech.value_or(""), "1.3.6.1.4.1.311.2.2.10");
  ASSERT_EQ(s->inner.size(), 1u);
  ASSERT_TRUE(s->inner[0].ntlm);
  EXPECT_EQ(s->inner[0].ntlm->challenge->target_name, "VM");
}

TEST(SpnegoParse, InitWithKerberosApReq) {
  auto b = fromHex(kSpnegoInitKerberos);
  auto g = parseGssToken(b);
  ASSERT_TRUE(g) << g.error().field;
  EXPECT_EQ(g->mechanism, Mechanism::Kerberos);
  ASSERT_TRUE(g->spnego);
  ASSERT_EQ(g->spnego->inner.size(), 1u);
  ASSERT_TRUE(g->spnego->inner[0].kerberos);
  const auto& k = *g->spnego->inner[0].kerberos;
  EXPECT_EQ(k.msg_type, krb_msg::kApReq);
  EXPECT_TRUE(k.gss_wrapped);
  EXPECT_EQ(k.realm.value_or(""), "EXAMPLE.COM");
  ASSERT_TRUE(k.sname);
  EXPECT_EQ(k.sname->text(), "TERMSRV/rds.example.com");
  EXPECT_EQ(k.ticket_etype.value_or(0), 18);
  EXPECT_EQ(k.enc_etype.value_or(0), 18);
  EXPECT_TRUE(k.mutual_required);
}

TEST(SpnegoParse, RespWithKrbErrorSkew) {
  auto b = fromHex(kSpnegoRespKrbError);
  auto s = parseSpnego(b);
  ASSERT_TRUE(s) << s.error().field;
  EXPECT_EQ(s->neg_state.value_or(-1), 2);  // reject
  ASSERT_EQ(s->inner.size(), 1u);
  ASSERT_TRUE(s->inner[0].kerberos);
  const auto& k = *s->inner[0].kerberos;
  EXPECT_EQ(k.msg_type, krb_msg::kError);
  EXPECT_EQ(k.error_code.value_or(0), 37);  // KRB_AP_ERR_SKEW
  EXPECT_EQ(k.sname->text(), "TERMSRV/rds.example.com");
  EXPECT_EQ(k.stime.value_or(""), "20241125134002Z");
}

TEST(SpnegoParse, RespWithApRepAndMic) {
  auto b = fromHex(kSpnegoRespApRep);
  auto s = parseSpnego(b);
  ASSERT_TRUE(s) << s.error().field;
  EXPECT_TRUE(s->mech_list_mic);
  ASSERT_TRUE(s->inner[0].kerberos);
  EXPECT_EQ(s->inner[0].kerberos->msg_type, krb_msg::kApRep);
  EXPECT_EQ(s->inner[0].mechanism, Mechanism::Kerberos);
}

TEST(SpnegoParse, OtherMechanismsByOid) {
  // GSS wrapper with the PKU2U and NEGOEX OIDs: recognised by OID alone.
  auto pku2u = fromHex("600a06062b06010502070500");
  auto g = parseGssToken(pku2u);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->mechanism, Mechanism::Pku2u);
  EXPECT_EQ(g->oid, "1.3.6.1.5.2.7");
  auto negoex = fromHex("600e060a2b06010401823702021e0000");
  auto n = parseGssToken(negoex);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->mechanism, Mechanism::Negoex);
  auto junk = fromHex("deadbeef");
  auto u = parseGssToken(junk);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->mechanism, Mechanism::Unknown);
}

TEST(SpnegoParse, TruncationSweep) {
  for (const std::string* hex : {&kSpnegoInitNtlm, &kSpnegoRespNtlmChallenge, &kSpnegoInitKerberos,
                                 &kSpnegoRespKrbError, &kSpnegoRespApRep}) {
    auto b = fromHex(*hex);
    ASSERT_TRUE(parseGssToken(b)) << *hex;
    for (std::size_t n = 1; n < b.size(); ++n) {
      EXPECT_FALSE(parseSpnego(ByteView(b.data(), n))) << n;
      EXPECT_FALSE(parseGssToken(ByteView(b.data(), n))) << n;
    }
  }
}

TEST(KerberosParse, BareAndTruncated) {
  auto b = fromHex(kSpnegoRespKrbError);
  auto s = parseSpnego(b);
  ASSERT_TRUE(s);
  // The GSS-wrapped KRB-ERROR inside, parsed directly, then its bare body.
  const std::string krb_hex = kSpnegoRespKrbError.substr(kSpnegoRespKrbError.find("606f"));
  auto wrapped = fromHex(krb_hex.substr(0, 2 * (0x6f + 2)));
  auto k = parseKerberos(wrapped);
  ASSERT_TRUE(k) << k.error().field;
  EXPECT_EQ(k->error_code.value_or(0), 37);
  std::vector<std::uint8_t> bare(wrapped.begin() + 15, wrapped.end());
  auto kb = parseKerberos(bare);
  ASSERT_TRUE(kb) << kb.error().field;
  EXPECT_FALSE(kb->gss_wrapped);
  for (std::size_t n = 0; n < bare.size(); ++n) {
    EXPECT_FALSE(parseKerberos(ByteView(bare.data(), n))) << n;
  }
}

// ---- Dissector ----------------------------------------------------------------------------

TEST(CredsspDissector, NlaSuccessEventsAndSummary) {
  FakeContext ctx;
  feed(ctx, kNlaSuccess);
  EXPECT_TRUE(ctx.anomalies.empty()) << ctx.anomalies[0].id;
  std::vector<std::string> kinds;
  for (const auto& e : ctx.events) {
    kinds.push_back(std::string(e.kind));
    EXPECT_EQ(e.stage, model::Stage::Nla);
    EXPECT_TRUE(e.decrypted);
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{
                       "credssp.ts_request", "ntlm.negotiate", "credssp.ts_request",
                       "ntlm.challenge", "credssp.ts_request", "ntlm.authenticate",
                       "credssp.ts_request", "credssp.ts_request", "credssp.ts_credentials"}));
  const auto& s = ctx.conn.credssp;
  EXPECT_EQ(s["client_version"], 6);
  EXPECT_EQ(s["server_version"], 6);
  EXPECT_EQ(s["mechanism"], "ntlm");
  EXPECT_TRUE(s["error_code"].is_null());
  EXPECT_EQ(s["ntlm_server_build"], 7601);
  EXPECT_EQ(s["user"], "labuser");
  EXPECT_EQ(s["domain"], "");
  EXPECT_FALSE(s.contains("early_user_auth"));  // left to the RDP dissector
  const auto* ch = ctx.find("ntlm.challenge");
  ASSERT_NE(ch, nullptr);
  EXPECT_EQ(ch->fields["dns_computer"], "vm");
  EXPECT_EQ(ch->fields["server_version"], "6.1.7601");
  EXPECT_EQ(ch->fields["server_build"], 7601);
  const auto* au = ctx.find("ntlm.authenticate");
  ASSERT_NE(au, nullptr);
  EXPECT_EQ(au->fields["ntlm_version"], "v2");
  EXPECT_EQ(au->fields["mic"], true);
  EXPECT_EQ(au->fields["workstation"], "vm");
  const auto* tc = ctx.find("credssp.ts_credentials");
  ASSERT_NE(tc, nullptr);
  EXPECT_TRUE(tc->fields["cred_type"].is_null());
  EXPECT_EQ(tc->fields["encrypted"], true);
  EXPECT_NE(tc->summary.find("encrypted"), std::string::npos);
}

TEST(CredsspDissector, ByteByByteDeliveryGivesSameEvents) {
  FakeContext whole;
  feed(whole, kNlaSuccess);
  FakeContext split;
  feed(split, kNlaSuccess, 1);
  EXPECT_EQ(whole.dump(), split.dump());
  FakeContext seven;
  feed(seven, kNlaSuccess, 7);
  EXPECT_EQ(whole.dump(), seven.dump());
}

TEST(CredsspDissector, NoSecretsInOutput) {
  FakeContext ctx;
  feed(ctx, kNlaSuccess);
  std::string json = ctx.dump();
  std::string upper = json;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const char* secret : kFrame16Secrets) {
    std::string up = secret;
    std::transform(up.begin(), up.end(), up.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    EXPECT_EQ(json.find(secret), std::string::npos) << secret;
    EXPECT_EQ(upper.find(up), std::string::npos) << secret;
  }
  // Raw bytes (not hex) of the NTProofStr must not appear either.
  auto proof = fromHex(kFrame16Secrets[0]);
  EXPECT_EQ(json.find(std::string(proof.begin(), proof.end())), std::string::npos);
}

TEST(CredsspDissector, RedactIdentities) {
  FakeContext ctx;
  ctx.redact = true;
  feed(ctx, kNlaSuccess);
  EXPECT_EQ(ctx.conn.credssp["user"], "<redacted>");
  EXPECT_EQ(ctx.find("ntlm.authenticate")->fields["user"], "<redacted>");
  EXPECT_EQ(ctx.dump().find("labuser"), std::string::npos);
}

TEST(CredsspDissector, ServerErrorCodeIsNamed) {
  FakeContext ctx;
  feed(ctx, {{Direction::ToServer, &kFrame13}, {Direction::ToClient, &kTsRequestErrorLogonFailure}});
  EXPECT_TRUE(ctx.anomalies.empty());
  EXPECT_EQ(ctx.conn.credssp["error_code"], "STATUS_LOGON_FAILURE");
  EXPECT_EQ(ctx.conn.credssp["error_code_value"], 0xC000006Du);
  const model::Event* last = &ctx.events.back();
  EXPECT_EQ(last->kind, "credssp.ts_request");
  EXPECT_EQ(last->fields["error_code"], "STATUS_LOGON_FAILURE");
  EXPECT_NE(last->summary.find("STATUS_LOGON_FAILURE"), std::string::npos);
}

TEST(CredsspDissector, KerberosThroughSpnego) {
  FakeContext ctx;
  feed(ctx, {{Direction::ToServer, &kTsRequestSpnegoKerberos},
             {Direction::ToClient, &kTsRequestSpnegoKrbError}});
  EXPECT_TRUE(ctx.anomalies.empty());
  EXPECT_EQ(ctx.conn.credssp["mechanism"], "kerberos");
  const auto* init = ctx.find("spnego.neg_token_init");
  ASSERT_NE(init, nullptr);
  EXPECT_EQ(init->fields["mech_types"][2], "NTLM");
  const auto* ap = ctx.find("kerberos.ap_req");
  ASSERT_NE(ap, nullptr);
  EXPECT_EQ(ap->fields["sname"], "TERMSRV/rds.example.com");
  EXPECT_EQ(ap->fields["realm"], "EXAMPLE.COM");
  const auto* resp = ctx.find("spnego.neg_token_resp");
  ASSERT_NE(resp, nullptr);
  EXPECT_EQ(resp->fields["neg_state"], "reject");
  const auto* err = ctx.find("kerberos.krb_error");
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->fields["error_code"], "KRB_AP_ERR_SKEW");
  EXPECT_EQ(err->fields["error_code_value"], 37);
  EXPECT_EQ(ctx.conn.credssp["kerberos_error"], "KRB_AP_ERR_SKEW");
}

TEST(CredsspDissector, MalformedStopsWithAnomaly) {
  FakeContext ctx;
  const std::string bad = "3005a103020106";  // [1] where [0] version must be
  feed(ctx, {{Direction::ToServer, &bad}, {Direction::ToServer, &kFrame13}});
  ASSERT_EQ(ctx.anomalies.size(), 1u);
  EXPECT_EQ(ctx.anomalies[0].id, "credssp.ts_request.malformed");
  EXPECT_TRUE(ctx.events.empty());  // direction stopped: frame 13 is not decoded
  FakeContext ctx2;
  const std::string notder = "0300000b06e0000000000000";
  feed(ctx2, {{Direction::ToServer, &notder}});
  ASSERT_EQ(ctx2.anomalies.size(), 1u);
  EXPECT_EQ(ctx2.anomalies[0].id, "credssp.ts_request.malformed");
}

TEST(CredsspDissector, MalformedNtlmInsideValidTsRequest) {
  auto f = fromHex(kFrame14);
  // Corrupt the NTLM CHALLENGE's TargetInfo offset so it points past the message.
  std::uint32_t off = 0;
  (void)tokenOf(f, &off);
  f[off + 44] = 0xF0;
  std::string hex;
  static const char* d = "0123456789abcdef";
  for (auto b : f) {
    hex.push_back(d[b >> 4]);
    hex.push_back(d[b & 15]);
  }
  FakeContext ctx;
  feed(ctx, {{Direction::ToClient, &hex}});
  ASSERT_EQ(ctx.anomalies.size(), 1u);
  EXPECT_EQ(ctx.anomalies[0].id, "credssp.ntlm.malformed");
  EXPECT_EQ(ctx.anomalies[0].offset, off + 40u);
}

TEST(CredsspDissector, EveryPrefixNeverCrashes) {
  for (const auto& p : kNlaSuccess) {
    auto b = fromHex(*p.hex);
    for (std::size_t n = 1; n < b.size(); ++n) {
      FakeContext ctx;
      auto d = makeCredsspDissector();
      engine::StreamPipeline pipe(*d);
      pipe.deliver(p.dir, ByteView(b.data(), n), ctx);
      EXPECT_TRUE(ctx.events.empty()) << n;
      EXPECT_TRUE(ctx.anomalies.empty()) << n;
      pipe.end(p.dir, engine::EndReason::Fin, ctx);
      ASSERT_EQ(ctx.anomalies.size(), 1u);
      EXPECT_EQ(ctx.anomalies[0].id, "engine.incomplete_pdu");
    }
  }
}

}  // namespace
}  // namespace rdpscope::credssp
