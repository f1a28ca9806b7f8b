// ITU-T X.691 aligned PER primitives, only the subset T.124 (GCC Conference Create
// Request/Response) and T.125 (MCS domain PDUs) use in RDP ([MS-RDPBCGR] 2.2.1.3 - 2.2.1.9,
// 2.2.2.3). Built on ByteReader: every read is bounds-checked and never advances on failure.
#pragma once

#include <cstdint>
#include <string>

#include "core/byte_reader.h"

namespace rdpscope::per {

/// X.691 10.9.3.5-10.9.3.8: a length determinant: one octet below 0x80, two octets (15 bits)
/// with the top bit set. Fragmented lengths (0xC0..) are Unsupported: RDP never sends them.
Result<std::uint16_t> readLength(ByteReader& r, const char* field);

/// X.691 10.5.7.2: a constrained whole number in 2 octets, offset by the lower bound `min`
/// (T.125 UserId / ChannelId are INTEGER (1001..65535) so min = 1001 for user ids).
Result<std::uint32_t> readInteger16(ByteReader& r, std::uint32_t min, const char* field);

/// X.691 10.8: an unconstrained INTEGER: length octet, then 1..4 content octets (big endian).
Result<std::uint32_t> readInteger(ByteReader& r, const char* field);

/// X.691 11: OBJECT IDENTIFIER: length octet then the BER contents; returns the raw contents.
Result<ByteView> readObjectIdentifier(ByteReader& r, const char* field);

/// X.691 16: OCTET STRING with size constraint lower bound `min`: length octet holds n - min.
Result<ByteView> readOctetString(ByteReader& r, std::size_t min, const char* field);

/// X.691 27 NumericString with lower bound `min`: length octet (n - min), then n 4-bit digits.
Result<std::string> readNumericString(ByteReader& r, std::size_t min, const char* field);

}  // namespace rdpscope::per
