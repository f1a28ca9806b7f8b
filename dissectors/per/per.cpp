#include "per/per.h"

namespace rdpscope::per {

Result<std::uint16_t> readLength(ByteReader& r, const char* field) {
  RDPSCOPE_TRY(const ByteView first, r.peek(1, field));
  if ((first[0] & 0x80) == 0) {
    RDPSCOPE_TRY(const std::uint8_t v, r.u8(field));
    return v;
  }
  if ((first[0] & 0xC0) == 0xC0) {
    // X.691 10.9.3.8.1: fragmented (16K-unit) lengths; not used by T.124/T.125 in RDP.
    return parseError(ErrorKind::Unsupported, r.offset(), field);
  }
  RDPSCOPE_TRY(const std::uint16_t v, r.u16be(field));
  return static_cast<std::uint16_t>(v & 0x7FFF);
}

Result<std::uint32_t> readInteger16(ByteReader& r, std::uint32_t min, const char* field) {
  RDPSCOPE_TRY(const std::uint16_t v, r.u16be(field));
  return std::uint32_t{v} + min;
}

Result<std::uint32_t> readInteger(ByteReader& r, const char* field) {
  const ByteReader saved = r;
  RDPSCOPE_TRY(const std::uint16_t len, readLength(r, field));
  if (len == 0 || len > 4) {
    r = saved;
    return parseError(ErrorKind::Malformed, saved.offset(), field);
  }
  std::uint32_t v = 0;
  for (std::uint16_t i = 0; i < len; ++i) {
    auto b = r.u8(field);
    if (!b) {
      r = saved;
      return tl::unexpected(b.error());
    }
    v = (v << 8) | *b;
  }
  return v;
}

Result<ByteView> readObjectIdentifier(ByteReader& r, const char* field) {
  const ByteReader saved = r;
  RDPSCOPE_TRY(const std::uint8_t len, r.u8(field));
  auto b = r.bytes(len, field);
  if (!b) {
    r = saved;
    return tl::unexpected(b.error());
  }
  return *b;
}

Result<ByteView> readOctetString(ByteReader& r, std::size_t min, const char* field) {
  const ByteReader saved = r;
  RDPSCOPE_TRY(const std::uint16_t len, readLength(r, field));
  auto b = r.bytes(std::size_t{len} + min, field);
  if (!b) {
    r = saved;
    return tl::unexpected(b.error());
  }
  return *b;
}

Result<std::string> readNumericString(ByteReader& r, std::size_t min, const char* field) {
  const ByteReader saved = r;
  RDPSCOPE_TRY(const std::uint16_t len, readLength(r, field));
  const std::size_t digits = std::size_t{len} + min;
  auto b = r.bytes((digits + 1) / 2, field);
  if (!b) {
    r = saved;
    return tl::unexpected(b.error());
  }
  std::string s;
  for (std::size_t i = 0; i < digits; ++i) {
    const std::uint8_t byte = (*b)[i / 2];
    const std::uint8_t nibble = (i % 2 == 0) ? static_cast<std::uint8_t>(byte >> 4)
                                             : static_cast<std::uint8_t>(byte & 0x0F);
    s.push_back(static_cast<char>('0' + (nibble % 10)));
  }
  return s;
}

}  // namespace rdpscope::per
