// Unit tests for the BER/DER reader (dissectors/asn1/ber.h): boundary matrices for identifier,
// length and primitive decoders, a real TSRequest from the lab's NLA capture, and truncation
// sweeps (every prefix => Truncated, never a crash or a read past the end).
#include "asn1/ber.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/limits.h"

namespace rdpscope::asn1 {
namespace {

std::vector<std::uint8_t> fromHex(const std::string& hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// captures/nla-success/capture.pcap frame 13, decrypted TLS plaintext (tshark -o
// tls.keylog_file:keys.log -x): client TSRequest v6 with an NTLM NEGOTIATE and clientNonce.
const std::string kTsRequestNegotiate =
    "305ba003020106a130302e302ca02a04284e544c4d5353500001000000b78208e2000000000000000000000000"
    "000000000601b11d0000000fa52204207cc5243d9a1789e33e59a592718e46050a2b89d5e9027fd9207ba11afd"
    "0f6b61";

TEST(BerHeader, ShortAndLongLengths) {
  struct Case {
    std::string hex;
    std::uint32_t header_len;
    std::uint32_t content_len;
  } cases[] = {
      {"0400", 2, 0},         {"047f", 2, 127},          {"048180", 3, 128},
      {"0481ff", 3, 255},     {"04820100", 4, 256},      {"0483010000", 5, 65536},
      {"0484ffffffff", 6, 0xFFFFFFFFu},
      {"048200ff", 4, 255},  // non-minimal long form: BER allows it (X.690 8.1.3.5 note)
  };
  for (const auto& c : cases) {
    auto bytes = fromHex(c.hex);
    ByteReader r(bytes);
    auto h = readHeader(r);
    ASSERT_TRUE(h) << c.hex;
    EXPECT_EQ(h->header_length, c.header_len) << c.hex;
    EXPECT_EQ(h->content_length, c.content_len) << c.hex;
    EXPECT_EQ(r.remaining(), 0u) << c.hex;
  }
}

TEST(BerHeader, BadLengths) {
  struct Case {
    std::string hex;
    ErrorKind kind;
  } cases[] = {
      {"0480", ErrorKind::Unsupported},         // indefinite
      {"04ff", ErrorKind::Malformed},           // reserved
      {"04850000000001", ErrorKind::LimitExceeded},  // 5 length octets
      {"0482", ErrorKind::Truncated},  {"048201", ErrorKind::Truncated},
      {"04", ErrorKind::Truncated},    {"", ErrorKind::Truncated},
  };
  for (const auto& c : cases) {
    auto bytes = fromHex(c.hex);
    ByteReader r(bytes);
    auto h = readHeader(r);
    ASSERT_FALSE(h) << c.hex;
    EXPECT_EQ(h.error().kind, c.kind) << c.hex;
    EXPECT_EQ(r.remaining(), bytes.size()) << "failed read must not advance: " << c.hex;
  }
}

TEST(BerHeader, TagClassesAndMultiByteTags) {
  {
    auto b = fromHex("a300");
    ByteReader r(b);
    auto h = readHeader(r);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->tag_class, TagClass::ContextSpecific);
    EXPECT_TRUE(h->constructed);
    EXPECT_EQ(h->tag_number, 3u);
  }
  {
    // T.125 MCS Connect-Initial: [APPLICATION 101] = 7f 65 (X.690 8.1.2.4 high tag form).
    auto b = fromHex("7f658200ff");
    ByteReader r(b);
    auto h = readHeader(r);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->tag_class, TagClass::Application);
    EXPECT_TRUE(h->constructed);
    EXPECT_EQ(h->tag_number, 101u);
    EXPECT_EQ(h->header_length, 5u);
    EXPECT_EQ(h->content_length, 255u);
  }
  {
    auto b = fromHex("df8f7f00");  // private, tag 0x7ff
    ByteReader r(b);
    auto h = readHeader(r);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->tag_class, TagClass::Private);
    EXPECT_FALSE(h->constructed);
    EXPECT_EQ(h->tag_number, 0x7FFu);
  }
  {
    auto b = fromHex("1f8001");  // leading 0x80 in high tag form
    ByteReader r(b);
    auto h = readHeader(r);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().kind, ErrorKind::Malformed);
  }
  {
    auto b = fromHex("1fffffffff0100");  // 5 tag octets
    ByteReader r(b);
    auto h = readHeader(r);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().kind, ErrorKind::LimitExceeded);
  }
  {
    auto b = fromHex("1f81");  // tag never ends
    ByteReader r(b);
    auto h = readHeader(r);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().kind, ErrorKind::Truncated);
  }
}

TEST(BerTlv, LengthBeyondInputIsTruncatedAndContentIsBounded) {
  auto b = fromHex("0403aabb");
  ByteReader r(b);
  auto t = readTlv(r, 0);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind, ErrorKind::Truncated);
  EXPECT_EQ(r.remaining(), 4u);

  auto b2 = fromHex("0402aabbcc");
  ByteReader r2(b2, 100);
  auto t2 = readTlv(r2, 0);
  ASSERT_TRUE(t2);
  EXPECT_EQ(t2->content.remaining(), 2u);
  EXPECT_EQ(t2->content.offset(), 102u);
  EXPECT_EQ(t2->offset, 100u);
  EXPECT_EQ(r2.remaining(), 1u);
}

TEST(BerTlv, DepthCap) {
  auto b = fromHex("3000");
  ByteReader r(b);
  EXPECT_TRUE(readTlv(r, limits::kMaxAsn1Depth));
  ByteReader r2(b);
  auto t = readTlv(r2, limits::kMaxAsn1Depth + 1);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind, ErrorKind::LimitExceeded);
}

TEST(BerTlv, DeeplyNestedInputStopsAtCap) {
  // 40 nested SEQUENCEs: walking them recursively must hit the depth cap, not the stack.
  std::vector<std::uint8_t> b;
  for (int i = 0; i < 40; ++i) {
    b.push_back(0x30);
    b.push_back(static_cast<std::uint8_t>(2 * (39 - i)));
  }
  ByteReader r(b);
  int depth = 0;
  Result<Tlv> t = readTlv(r, depth);
  while (t && t->content.remaining() > 0) {
    ++depth;
    t = readTlv(t->content, depth);
  }
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind, ErrorKind::LimitExceeded);
  EXPECT_EQ(depth, limits::kMaxAsn1Depth + 1);
}

TEST(BerInteger, BoundaryMatrix) {
  struct Case {
    std::string hex;
    std::int64_t value;
  } cases[] = {
      {"020100", 0},
      {"02017f", 127},
      {"02020080", 128},
      {"020180", -128},
      {"0201ff", -1},
      {"0202ff7f", -129},
      {"020106", 6},
      {"0204c000006d", static_cast<std::int64_t>(static_cast<std::int32_t>(0xC000006D))},
      {"020500c000006d", 0xC000006D},
      {"02087fffffffffffffff", INT64_MAX},
      {"02088000000000000000", INT64_MIN},
      {"0209007fffffffffffffff", INT64_MAX},
  };
  for (const auto& c : cases) {
    auto b = fromHex(c.hex);
    ByteReader r(b);
    auto v = readInteger(r, 0);
    ASSERT_TRUE(v) << c.hex;
    EXPECT_EQ(*v, c.value) << c.hex;
  }
  struct Bad {
    std::string hex;
    ErrorKind kind;
  } bad[] = {
      {"0200", ErrorKind::Malformed},                      // empty
      {"02090080000000000000ff", ErrorKind::LimitExceeded},  // > int64
      {"0209010000000000000000", ErrorKind::LimitExceeded},
      {"0401ff", ErrorKind::Malformed},                    // wrong tag
      {"2203020100", ErrorKind::Unsupported},              // constructed INTEGER
      {"0202ff", ErrorKind::Truncated},
  };
  for (const auto& c : bad) {
    auto b = fromHex(c.hex);
    ByteReader r(b);
    auto v = readInteger(r, 0);
    ASSERT_FALSE(v) << c.hex;
    EXPECT_EQ(v.error().kind, c.kind) << c.hex;
    EXPECT_EQ(r.remaining(), b.size()) << c.hex;
  }
  auto neg = fromHex("0201ff");
  ByteReader rn(neg);
  EXPECT_FALSE(readUnsigned(rn, 0));
}

TEST(BerPrimitives, BooleanEnumeratedOctetString) {
  auto b = fromHex("0101ff010100" "0a0101" "0403010203" "0402" "0102");
  ByteReader r(b);
  EXPECT_EQ(readBoolean(r, 0).value(), true);
  EXPECT_EQ(readBoolean(r, 0).value(), false);
  EXPECT_EQ(readEnumerated(r, 0).value(), 1);
  auto os = readOctetString(r, 0);
  ASSERT_TRUE(os);
  EXPECT_EQ(os->size(), 3u);
  EXPECT_EQ((*os)[2], 3);
  auto bb = fromHex("01020000");
  ByteReader rb(bb);
  auto bv = readBoolean(rb, 0);
  ASSERT_FALSE(bv);
  EXPECT_EQ(bv.error().kind, ErrorKind::Malformed);
}

TEST(BerOid, KnownOids) {
  struct Case {
    std::string hex;
    std::string dotted;
  } cases[] = {
      {"06062b0601050502", "1.3.6.1.5.5.2"},                      // SPNEGO
      {"060a2b06010401823702020a", "1.3.6.1.4.1.311.2.2.10"},     // NTLMSSP
      {"06092a864886f712010202", "1.2.840.113554.1.2.2"},         // Kerberos V5
      {"06092a864882f712010202", "1.2.840.48018.1.2.2"},          // MS Kerberos
      {"06062b0601050207", "1.3.6.1.5.2.7"},                      // PKU2U
      {"0603550403", "2.5.4.3"},
      {"06028837", "2.999"},
      {"060100", "0.0"},
  };
  for (const auto& c : cases) {
    auto b = fromHex(c.hex);
    ByteReader r(b);
    auto v = readOid(r, 0);
    ASSERT_TRUE(v) << c.hex;
    EXPECT_EQ(*v, c.dotted);
  }
  for (std::string bad : {"0600", "06022b86", "06022b80" "01"}) {
    auto b = fromHex(bad);
    ByteReader r(b);
    EXPECT_FALSE(readOid(r, 0)) << bad;
  }
  // Arc overflow beyond 64 bits.
  auto huge = fromHex("060c2bffffffffffffffffffff7f");
  ByteReader rh(huge);
  auto h = readOid(rh, 0);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().kind, ErrorKind::LimitExceeded);
}

TEST(BerExplicit, TsRequestFromRealCapture) {
  auto b = fromHex(kTsRequestNegotiate);
  ByteReader r(b);
  auto seq = expectTag(r, TagClass::Universal, tag::kSequence, 0, "ts_request");
  ASSERT_TRUE(seq);
  EXPECT_TRUE(seq->constructed);
  EXPECT_EQ(seq->content_length, 0x5Bu);
  EXPECT_TRUE(r.empty());
  ByteReader body = seq->content;
  auto ver = readExplicit(body, 0, 1, "version");
  ASSERT_TRUE(ver);
  auto v = decodeInteger(ver->content.rest(), ver->content.offset(), "version");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, 6);
  EXPECT_TRUE(peekTag(body, TagClass::ContextSpecific, 1));
  EXPECT_FALSE(peekTag(body, TagClass::ContextSpecific, 2));
  auto nego = readExplicit(body, 1, 1, "nego_tokens");
  ASSERT_TRUE(nego);
  EXPECT_TRUE(nego->is(TagClass::Universal, tag::kSequence));
  // Wrong tag: [2] expected but [5] present -> Malformed, no advance.
  const auto before = body.remaining();
  auto wrong = readExplicit(body, 2, 1, "auth_info");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().kind, ErrorKind::Malformed);
  EXPECT_EQ(body.remaining(), before);
  auto nonce = readExplicit(body, 5, 1, "client_nonce");
  ASSERT_TRUE(nonce);
  EXPECT_EQ(nonce->content_length, 32u);
  EXPECT_TRUE(body.empty());
}

TEST(BerExplicit, TrailingBytesInsideWrapperAreMalformed) {
  auto b = fromHex("a0050201060000");
  ByteReader r(b);
  auto t = readExplicit(r, 0, 0, "x");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind, ErrorKind::Malformed);
}

// Walks a TLV tree recursively; returns the first error.
Result<void> walk(ByteReader r, int depth) {
  while (!r.empty()) {
    RDPSCOPE_TRY(Tlv t, readTlv(r, depth));
    if (t.constructed) {
      RDPSCOPE_TRY(auto ok, walk(t.content, depth + 1).map([] { return 0; }));
      (void)ok;
    }
  }
  return {};
}

TEST(BerTlv, TruncationSweepOverRealTsRequest) {
  auto b = fromHex(kTsRequestNegotiate);
  ASSERT_TRUE(walk(ByteReader(b), 0));
  for (std::size_t n = 0; n < b.size(); ++n) {
    ByteReader r(ByteView(b.data(), n));
    if (n == 0) {
      EXPECT_FALSE(readHeader(r));
      continue;
    }
    auto t = readTlv(r, 0);
    ASSERT_FALSE(t) << n;
    EXPECT_EQ(t.error().kind, ErrorKind::Truncated) << n;
    EXPECT_EQ(r.remaining(), n);
  }
}

TEST(BerTlv, EveryByteFlipDoesNotCrash) {
  auto b = fromHex(kTsRequestNegotiate);
  for (std::size_t i = 0; i < b.size(); ++i) {
    for (std::uint8_t v : {std::uint8_t{0x00}, std::uint8_t{0x80}, std::uint8_t{0xff},
                           std::uint8_t{0x1f}, std::uint8_t{0x84}}) {
      auto m = b;
      m[i] = v;
      (void)walk(ByteReader(m), 0);
    }
  }
  SUCCEED();
}

}  // namespace
}  // namespace rdpscope::asn1
