// BER/DER TLV reader over untrusted bytes (ITU-T X.690), shared by the MCS (T.125 BER
// Connect-Initial/Response) and CredSSP/SPNEGO/Kerberos (DER) dissectors. It only reads: every
// length is checked against the enclosing TLV, nesting depth is capped, and nothing throws.
// Not handled: indefinite lengths (X.690 8.1.3.6; neither T.125 MCS nor DER uses them) and
// constructed string encodings (X.690 8.7.3; forbidden by DER) — both are reported Unsupported.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/byte_reader.h"

namespace rdpscope::asn1 {

/// X.690 8.1.2.2 Table 1: class of a tag (bits 8-7 of the identifier octet).
enum class TagClass : std::uint8_t {
  Universal = 0,
  Application = 1,
  ContextSpecific = 2,
  Private = 3,
};

const char* tagClassName(TagClass cls) noexcept;

/// X.680 8.4 Table 1: universal tag numbers used by rdpscope.
namespace tag {
inline constexpr std::uint32_t kBoolean = 1;
inline constexpr std::uint32_t kInteger = 2;
inline constexpr std::uint32_t kBitString = 3;
inline constexpr std::uint32_t kOctetString = 4;
inline constexpr std::uint32_t kNull = 5;
inline constexpr std::uint32_t kOid = 6;
inline constexpr std::uint32_t kEnumerated = 10;
inline constexpr std::uint32_t kUtf8String = 12;
inline constexpr std::uint32_t kSequence = 16;   // also SEQUENCE OF
inline constexpr std::uint32_t kSet = 17;
inline constexpr std::uint32_t kPrintableString = 19;
inline constexpr std::uint32_t kIa5String = 22;
inline constexpr std::uint32_t kUtcTime = 23;
inline constexpr std::uint32_t kGeneralizedTime = 24;
inline constexpr std::uint32_t kGeneralString = 27;
}  // namespace tag

/// Identifier + length octets of one TLV (X.690 8.1.2, 8.1.3), without the content.
struct TlvHeader {
  TagClass tag_class = TagClass::Universal;
  bool constructed = false;
  std::uint32_t tag_number = 0;
  std::uint32_t header_length = 0;   // identifier + length octets
  std::uint32_t content_length = 0;  // definite length from the length octets
  std::uint32_t offset = 0;          // absolute offset of the identifier octet
  std::size_t totalLength() const noexcept {
    return std::size_t{header_length} + std::size_t{content_length};
  }
  bool is(TagClass cls, std::uint32_t number) const noexcept {
    return tag_class == cls && tag_number == number;
  }
};

/// One complete TLV: header plus a reader bounded to exactly its content octets.
struct Tlv : TlvHeader {
  ByteReader content;
};

/// Largest number of length octets accepted after 0x8N (4 => lengths up to 2^32-1).
inline constexpr std::size_t kMaxLengthOctets = 4;
/// Largest number of subsequent tag octets (X.690 8.1.2.4): 4 * 7 = 28-bit tag numbers.
inline constexpr std::size_t kMaxTagOctets = 4;

/// Reads identifier and length octets only; the content need not be present yet. Framers use
/// this to know the full TLV size (Truncated means: the header itself is incomplete).
/// Errors: Truncated, Malformed (reserved 0xFF length, non-minimal long tag), Unsupported
/// (indefinite length), LimitExceeded (more than kMaxLengthOctets / kMaxTagOctets).
Result<TlvHeader> readHeader(ByteReader& r);

/// Reads one whole TLV. `depth` is the nesting level of this TLV (0 for the outermost); above
/// limits::kMaxAsn1Depth it fails with LimitExceeded. Content longer than what remains in `r`
/// is Truncated. On error the reader does not advance.
Result<Tlv> readTlv(ByteReader& r, int depth);

/// Reads one TLV and checks its class and number (Malformed if different; the reader does not
/// advance then, so callers may try optional fields).
Result<Tlv> expectTag(ByteReader& r, TagClass cls, std::uint32_t number, int depth,
                      const char* field);

/// True when the next TLV in `r` has this tag (false on any error or end of data).
bool peekTag(const ByteReader& r, TagClass cls, std::uint32_t number) noexcept;

/// Reads an explicitly tagged field `[number] Inner` (context class, constructed) and returns
/// the single inner TLV (trailing bytes inside the wrapper are Malformed).
Result<Tlv> readExplicit(ByteReader& r, std::uint32_t number, int depth, const char* field);

// ---- Content decoders (for implicitly tagged values: pass the content octets) -------------

/// X.690 8.3: two's complement, 1..8 content octets (9 allowed when the first is a 0x00 sign
/// pad of a value that still fits in int64). Empty content is Malformed.
Result<std::int64_t> decodeInteger(ByteView content, std::uint32_t offset, const char* field);
/// Like decodeInteger but rejects negative values (lengths, counts, unsigned protocol fields).
Result<std::uint64_t> decodeUnsigned(ByteView content, std::uint32_t offset, const char* field);
/// X.690 8.2: exactly one octet; any non-zero is TRUE (BER), DER requires 0xFF but we accept.
Result<bool> decodeBoolean(ByteView content, std::uint32_t offset, const char* field);
/// X.690 8.19: dotted decimal ("1.3.6.1.5.5.2"); arcs up to 64 bits.
Result<std::string> decodeOid(ByteView content, std::uint32_t offset, const char* field);

// ---- Universal-type readers: read one TLV with the universal tag, decode its content ------

Result<std::int64_t> readInteger(ByteReader& r, int depth, const char* field = "asn1.integer");
Result<std::uint64_t> readUnsigned(ByteReader& r, int depth, const char* field = "asn1.integer");
Result<std::int64_t> readEnumerated(ByteReader& r, int depth,
                                    const char* field = "asn1.enumerated");
Result<bool> readBoolean(ByteReader& r, int depth, const char* field = "asn1.boolean");
/// Primitive OCTET STRING content (constructed form is Unsupported).
Result<ByteView> readOctetString(ByteReader& r, int depth,
                                 const char* field = "asn1.octet_string");
Result<std::string> readOid(ByteReader& r, int depth, const char* field = "asn1.oid");
/// GeneralString / IA5String / UTF8String / PrintableString / VisibleString content, as sanitized
/// UTF-8 (Kerberos KerberosString is GeneralString, RFC 4120 5.2.1).
Result<std::string> readString(ByteReader& r, int depth, const char* field = "asn1.string");

}  // namespace rdpscope::asn1
