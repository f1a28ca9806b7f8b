#include "tpkt/tpkt.h"

namespace rdpscope::tpkt {

Result<Frame> nextFrame(ByteView data, std::uint32_t base) {
  ByteReader r(data, base);
  RDPSCOPE_TRY(const std::uint8_t b0, r.u8("tpkt.first_byte"));
  Frame f;
  const std::uint8_t action = static_cast<std::uint8_t>(b0 & 0x03);
  if (action == kFastPathActionX224) {
    if (b0 != kTpktVersion) {
      // RFC 1006: version must be 3; 0x07, 0x0B... would be an X.224 action with junk bits.
      return parseError(ErrorKind::Malformed, base, "tpkt.version");
    }
    RDPSCOPE_TRY(const std::uint8_t reserved, r.u8("tpkt.reserved"));
    (void)reserved;  // RFC 1006: reserved, should be 0; Windows ignores it, so do we.
    RDPSCOPE_TRY(const std::uint16_t len, r.u16be("tpkt.length"));
    if (len < kTpktMinLength) {
      return parseError(ErrorKind::Malformed, base + 2, "tpkt.length");
    }
    f.kind = FrameKind::Tpkt;
    f.header_length = kTpktHeaderLength;
    f.total_length = len;
    return f;
  }
  if (action != kFastPathActionFastPath) {
    return parseError(ErrorKind::Malformed, base, "fastpath.action");
  }
  // [MS-RDPBCGR] 2.2.8.1.2 / 2.2.9.1.2: length1 with the high bit set means a 15-bit length
  // in length1 (low 7 bits) and length2; the length counts the whole PDU including the header.
  RDPSCOPE_TRY(const std::uint8_t len1, r.u8("fastpath.length1"));
  std::size_t len = len1;
  std::size_t hdr = 2;
  if ((len1 & 0x80) != 0) {
    RDPSCOPE_TRY(const std::uint8_t len2, r.u8("fastpath.length2"));
    len = (std::size_t{static_cast<std::uint8_t>(len1 & 0x7F)} << 8) | len2;
    hdr = 3;
  }
  if (len < hdr) {
    return parseError(ErrorKind::Malformed, base + 1, "fastpath.length");
  }
  f.kind = FrameKind::FastPath;
  f.header_length = hdr;
  f.total_length = len;
  f.fp_header = b0;
  f.fp_flags = static_cast<std::uint8_t>((b0 >> 6) & 0x03);
  f.fp_num_events = static_cast<std::uint8_t>((b0 >> 2) & 0x0F);
  return f;
}

bool looksLikeTlsRecord(ByteView data) noexcept {
  ByteReader r(data);
  auto t = r.u8("tls.type");
  auto maj = r.u8("tls.major");
  if (!t || !maj) {
    return false;
  }
  return (*t == 0x14 || *t == 0x15 || *t == 0x16 || *t == 0x17) && *maj == 0x03;
}

}  // namespace rdpscope::tpkt
