#include "core/byte_reader.h"

#include "core/text.h"

namespace rdpscope {

const char* errorKindName(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::Truncated: return "truncated";
    case ErrorKind::Malformed: return "malformed";
    case ErrorKind::Unsupported: return "unsupported";
    case ErrorKind::LimitExceeded: return "limit_exceeded";
  }
  return "unknown";
}

Result<std::string> ByteReader::ascii(std::size_t n, const char* field) {
  RDPSCOPE_TRY(ByteView raw, bytes(n, field));
  std::string out;
  for (auto c : raw) {
    if (c == 0) {
      break;
    }
    out.push_back(static_cast<char>(c));
  }
  return out;
}

Result<std::string> ByteReader::utf16le(std::size_t n, const char* field) {
  RDPSCOPE_TRY(ByteView raw, bytes(n, field));
  return utf16leToUtf8(raw);
}

std::string toHex(ByteView data, std::size_t max_bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  const std::size_t n = data.size() < max_bytes ? data.size() : max_bytes;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xF]);
  }
  return out;
}

}  // namespace rdpscope
