// BER/DER TLV reader (ITU-T X.690). See ber.h for scope. Every function works on a copy of the
// caller's reader and commits it only on success, so a failed read never advances.
#include "asn1/ber.h"

#include <limits>

#include "core/limits.h"
#include "core/text.h"

namespace rdpscope::asn1 {

const char* tagClassName(TagClass cls) noexcept {
  switch (cls) {
    case TagClass::Universal: return "universal";
    case TagClass::Application: return "application";
    case TagClass::ContextSpecific: return "context";
    case TagClass::Private: return "private";
  }
  return "unknown";
}

Result<TlvHeader> readHeader(ByteReader& r) {
  ByteReader c = r;
  TlvHeader h;
  h.offset = c.offset();
  // X.690 8.1.2: identifier octet(s).
  RDPSCOPE_TRY(std::uint8_t id, c.u8("asn1.identifier"));
  h.tag_class = static_cast<TagClass>(id >> 6);
  h.constructed = (id & 0x20) != 0;
  std::uint32_t number = id & 0x1Fu;
  if (number == 0x1F) {
    // X.690 8.1.2.4: high tag number form, base-128, bit 8 set on all but the last octet.
    number = 0;
    for (std::size_t i = 0;; ++i) {
      if (i == kMaxTagOctets) {
        return parseError(ErrorKind::LimitExceeded, c.offset(), "asn1.tag_number");
      }
      const std::uint32_t at = c.offset();
      RDPSCOPE_TRY(std::uint8_t b, c.u8("asn1.tag_number"));
      if (i == 0 && b == 0x80) {
        // 8.1.2.4.2 c: bits 7-1 of the first subsequent octet shall not all be zero.
        return parseError(ErrorKind::Malformed, at, "asn1.tag_number");
      }
      number = (number << 7) | (b & 0x7Fu);
      if ((b & 0x80) == 0) {
        break;
      }
    }
  }
  h.tag_number = number;
  // X.690 8.1.3: length octets.
  const std::uint32_t len_at = c.offset();
  RDPSCOPE_TRY(std::uint8_t first, c.u8("asn1.length"));
  if (first < 0x80) {
    h.content_length = first;
  } else if (first == 0x80) {
    // 8.1.3.6 indefinite form: not used by DER nor by T.125 MCS.
    return parseError(ErrorKind::Unsupported, len_at, "asn1.length.indefinite");
  } else if (first == 0xFF) {
    // 8.1.3.5 c: the value 0xFF shall not be used.
    return parseError(ErrorKind::Malformed, len_at, "asn1.length");
  } else {
    const std::size_t n = first & 0x7Fu;
    if (n > kMaxLengthOctets) {
      return parseError(ErrorKind::LimitExceeded, len_at, "asn1.length");
    }
    std::uint32_t len = 0;
    for (std::size_t i = 0; i < n; ++i) {
      RDPSCOPE_TRY(std::uint8_t b, c.u8("asn1.length"));
      len = (len << 8) | b;
    }
    h.content_length = len;
  }
  h.header_length = c.offset() - h.offset;
  r = c;
  return h;
}

Result<Tlv> readTlv(ByteReader& r, int depth) {
  if (depth < 0 || depth > limits::kMaxAsn1Depth) {
    return parseError(ErrorKind::LimitExceeded, r.offset(), "asn1.depth");
  }
  ByteReader c = r;
  RDPSCOPE_TRY(TlvHeader h, readHeader(c));
  RDPSCOPE_TRY(ByteReader content, c.sub(h.content_length, "asn1.content"));
  Tlv t;
  static_cast<TlvHeader&>(t) = h;
  t.content = content;
  r = c;
  return t;
}

Result<Tlv> expectTag(ByteReader& r, TagClass cls, std::uint32_t number, int depth,
                      const char* field) {
  ByteReader c = r;
  RDPSCOPE_TRY(Tlv t, readTlv(c, depth));
  if (!t.is(cls, number)) {
    return parseError(ErrorKind::Malformed, t.offset, field);
  }
  r = c;
  return t;
}

bool peekTag(const ByteReader& r, TagClass cls, std::uint32_t number) noexcept {
  ByteReader c = r;
  auto h = readHeader(c);
  return h && h->is(cls, number);
}

Result<Tlv> readExplicit(ByteReader& r, std::uint32_t number, int depth, const char* field) {
  ByteReader c = r;
  RDPSCOPE_TRY(Tlv outer, expectTag(c, TagClass::ContextSpecific, number, depth, field));
  if (!outer.constructed) {
    return parseError(ErrorKind::Malformed, outer.offset, field);
  }
  RDPSCOPE_TRY(Tlv inner, readTlv(outer.content, depth + 1));
  if (auto end = outer.content.expectEnd(field); !end) {
    return tl::unexpected(end.error());
  }
  r = c;
  return inner;
}

Result<std::int64_t> decodeInteger(ByteView content, std::uint32_t offset, const char* field) {
  if (content.empty()) {
    return parseError(ErrorKind::Malformed, offset, field);
  }
  if (content.size() > 9 || (content.size() == 9 && (content[0] != 0x00 || content[1] >= 0x80))) {
    // Nine octets fit only as a 0x00 pad before a value < 2^63.
    return parseError(ErrorKind::LimitExceeded, offset, field);
  }
  std::uint64_t v = (content[0] & 0x80) ? ~std::uint64_t{0} : 0;
  for (auto b : content) {
    v = (v << 8) | b;
  }
  return static_cast<std::int64_t>(v);
}

Result<std::uint64_t> decodeUnsigned(ByteView content, std::uint32_t offset, const char* field) {
  RDPSCOPE_TRY(std::int64_t v, decodeInteger(content, offset, field));
  if (v < 0) {
    return parseError(ErrorKind::Malformed, offset, field);
  }
  return static_cast<std::uint64_t>(v);
}

Result<bool> decodeBoolean(ByteView content, std::uint32_t offset, const char* field) {
  if (content.size() != 1) {
    return parseError(ErrorKind::Malformed, offset, field);
  }
  return content[0] != 0;
}

Result<std::string> decodeOid(ByteView content, std::uint32_t offset, const char* field) {
  if (content.empty()) {
    return parseError(ErrorKind::Malformed, offset, field);
  }
  std::string out;
  std::uint64_t arc = 0;
  bool first = true;
  bool in_arc = false;
  for (std::size_t i = 0; i < content.size(); ++i) {
    const std::uint8_t b = content[i];
    if (!in_arc && b == 0x80) {
      // X.690 8.19.2: subidentifiers are minimal (no leading 0x80).
      return parseError(ErrorKind::Malformed, offset + static_cast<std::uint32_t>(i), field);
    }
    if (arc > (std::numeric_limits<std::uint64_t>::max() >> 7)) {
      return parseError(ErrorKind::LimitExceeded, offset + static_cast<std::uint32_t>(i), field);
    }
    arc = (arc << 7) | (b & 0x7Fu);
    in_arc = true;
    if ((b & 0x80) == 0) {
      if (first) {
        // X.690 8.19.4: the first subidentifier packs the first two arcs (X*40 + Y).
        const std::uint64_t x = arc < 40 ? 0 : (arc < 80 ? 1 : 2);
        out = std::to_string(x) + "." + std::to_string(arc - x * 40);
        first = false;
      } else {
        out += "." + std::to_string(arc);
      }
      arc = 0;
      in_arc = false;
    }
  }
  if (in_arc) {
    // Last octet had bit 8 set: the subidentifier never ends.
    return parseError(ErrorKind::Malformed, offset + static_cast<std::uint32_t>(content.size()),
                      field);
  }
  return out;
}

namespace {

// Reads a primitive universal TLV with tag `number` and returns its content bytes.
Result<std::pair<ByteView, std::uint32_t>> readPrimitive(ByteReader& r, std::uint32_t number,
                                                         int depth, const char* field) {
  ByteReader c = r;
  RDPSCOPE_TRY(Tlv t, expectTag(c, TagClass::Universal, number, depth, field));
  if (t.constructed) {
    // X.690 8.3.1/8.19.1/8.2.1 primitive only; 8.7.3 constructed strings are not DER.
    return parseError(ErrorKind::Unsupported, t.offset, field);
  }
  const std::uint32_t at = t.content.offset();
  ByteView content = t.content.rest();
  r = c;
  return std::make_pair(content, at);
}

}  // namespace

Result<std::int64_t> readInteger(ByteReader& r, int depth, const char* field) {
  ByteReader c = r;
  RDPSCOPE_TRY(auto p, readPrimitive(c, tag::kInteger, depth, field));
  RDPSCOPE_TRY(std::int64_t v, decodeInteger(p.first, p.second, field));
  r = c;
  return v;
}

Result<std::uint64_t> readUnsigned(ByteReader& r, int depth, const char* field) {
  ByteReader c = r;
  RDPSCOPE_TRY(auto p, readPrimitive(c, tag::kInteger, depth, field));
  RDPSCOPE_TRY(std::uint64_t v, decodeUnsigned(p.first, p.second, field));
  r = c;
  return v;
}

Result<std::int64_t> readEnumerated(ByteReader& r, int depth, const char* field) {
  ByteReader c = r;
  RDPSCOPE_TRY(auto p, readPrimitive(c, tag::kEnumerated, depth, field));
  RDPSCOPE_TRY(std::int64_t v, decodeInteger(p.first, p.second, field));
  r = c;
  return v;
}

Result<bool> readBoolean(ByteReader& r, int depth, const char* field) {
  ByteReader c = r;
  RDPSCOPE_TRY(auto p, readPrimitive(c, tag::kBoolean, depth, field));
  RDPSCOPE_TRY(bool v, decodeBoolean(p.first, p.second, field));
  r = c;
  return v;
}

Result<ByteView> readOctetString(ByteReader& r, int depth, const char* field) {
  RDPSCOPE_TRY(auto p, readPrimitive(r, tag::kOctetString, depth, field));
  return p.first;
}

Result<std::string> readOid(ByteReader& r, int depth, const char* field) {
  ByteReader c = r;
  RDPSCOPE_TRY(auto p, readPrimitive(c, tag::kOid, depth, field));
  RDPSCOPE_TRY(std::string v, decodeOid(p.first, p.second, field));
  r = c;
  return v;
}

Result<std::string> readString(ByteReader& r, int depth, const char* field) {
  ByteReader c = r;
  RDPSCOPE_TRY(Tlv t, readTlv(c, depth));
  const bool stringish = t.tag_class == TagClass::Universal &&
                         (t.tag_number == tag::kGeneralString || t.tag_number == tag::kIa5String ||
                          t.tag_number == tag::kUtf8String ||
                          t.tag_number == tag::kPrintableString || t.tag_number == 26 /*Visible*/);
  if (!stringish) {
    return parseError(ErrorKind::Malformed, t.offset, field);
  }
  if (t.constructed) {
    return parseError(ErrorKind::Unsupported, t.offset, field);
  }
  ByteView raw = t.content.rest();
  std::string s(raw.begin(), raw.end());
  r = c;
  return sanitizeUtf8(s);
}

}  // namespace rdpscope::asn1
