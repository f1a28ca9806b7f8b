// Bounds-checked reader over untrusted bytes. Every dissector parses through this class, so a
// length field that lies can never make a parser read past its input. A failed read never
// advances. Errors carry the absolute offset and a static field name for anomaly evidence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include <tl/expected.hpp>

namespace rdpscope {

using ByteView = std::span<const std::uint8_t>;

enum class ErrorKind : std::uint8_t {
  Truncated,      // input ends before the structure does (at a framer: need more bytes)
  Malformed,      // the structure contradicts itself (length lies, bad value, trailing bytes)
  Unsupported,    // valid but not handled here
  LimitExceeded,  // exceeds a cap in core/limits.h
};

const char* errorKindName(ErrorKind kind) noexcept;

struct ParseError {
  ErrorKind kind = ErrorKind::Malformed;
  std::uint32_t offset = 0;  // absolute offset within the buffer the reader was built on
  const char* field = "";    // static literal naming the field, e.g. "x224.neg_rsp.length"
};

template <class T>
using Result = tl::expected<T, ParseError>;

inline tl::unexpected<ParseError> parseError(ErrorKind kind, std::uint32_t offset,
                                             const char* field) {
  return tl::unexpected<ParseError>(ParseError{kind, offset, field});
}

// Binds `decl` to the value of a Result-returning expression or returns its error.
#define RDPSCOPE_TRY_CONCAT2(a, b) a##b
#define RDPSCOPE_TRY_CONCAT(a, b) RDPSCOPE_TRY_CONCAT2(a, b)
#define RDPSCOPE_TRY(decl, expr)                                        \
  auto RDPSCOPE_TRY_CONCAT(try_result_, __LINE__) = (expr);             \
  if (!RDPSCOPE_TRY_CONCAT(try_result_, __LINE__)) {                    \
    return tl::unexpected(RDPSCOPE_TRY_CONCAT(try_result_, __LINE__).error()); \
  }                                                                     \
  decl = std::move(*RDPSCOPE_TRY_CONCAT(try_result_, __LINE__))

class ByteReader {
 public:
  ByteReader() = default;
  explicit ByteReader(ByteView data, std::uint32_t base_offset = 0) noexcept
      : data_(data), base_(base_offset) {}

  std::size_t remaining() const noexcept { return data_.size() - pos_; }
  bool empty() const noexcept { return remaining() == 0; }
  std::uint32_t offset() const noexcept { return base_ + static_cast<std::uint32_t>(pos_); }
  ByteView rest() const noexcept { return data_.subspan(pos_); }

  Result<std::uint8_t> u8(const char* field) noexcept {
    if (remaining() < 1) {
      return truncated(field);
    }
    return data_[pos_++];
  }
  Result<std::uint16_t> u16be(const char* field) noexcept { return readInt<std::uint16_t>(field, true); }
  Result<std::uint16_t> u16le(const char* field) noexcept { return readInt<std::uint16_t>(field, false); }
  Result<std::uint32_t> u24be(const char* field) noexcept {
    if (remaining() < 3) {
      return truncated(field);
    }
    std::uint32_t v = (std::uint32_t{data_[pos_]} << 16) | (std::uint32_t{data_[pos_ + 1]} << 8) |
                      std::uint32_t{data_[pos_ + 2]};
    pos_ += 3;
    return v;
  }
  Result<std::uint32_t> u32be(const char* field) noexcept { return readInt<std::uint32_t>(field, true); }
  Result<std::uint32_t> u32le(const char* field) noexcept { return readInt<std::uint32_t>(field, false); }
  Result<std::uint64_t> u64le(const char* field) noexcept { return readInt<std::uint64_t>(field, false); }
  Result<std::uint64_t> u64be(const char* field) noexcept { return readInt<std::uint64_t>(field, true); }

  Result<ByteView> bytes(std::size_t n, const char* field) noexcept {
    if (remaining() < n) {
      return truncated(field);
    }
    ByteView out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  // A child reader over the next n bytes: the child cannot read past them.
  Result<ByteReader> sub(std::size_t n, const char* field) noexcept {
    const std::uint32_t child_base = offset();
    auto b = bytes(n, field);
    if (!b) {
      return tl::unexpected(b.error());
    }
    return ByteReader(*b, child_base);
  }
  Result<void> skip(std::size_t n, const char* field) noexcept {
    if (remaining() < n) {
      return truncated(field);
    }
    pos_ += n;
    return {};
  }
  Result<ByteView> peek(std::size_t n, const char* field) const noexcept {
    if (remaining() < n) {
      return tl::unexpected(ParseError{ErrorKind::Truncated, offset(), field});
    }
    return data_.subspan(pos_, n);
  }
  // Leftover bytes inside a structure whose spec forbids trailing data are Malformed.
  Result<void> expectEnd(const char* field) const noexcept {
    if (remaining() != 0) {
      return tl::unexpected(ParseError{ErrorKind::Malformed, offset(), field});
    }
    return {};
  }

  Result<std::string> ascii(std::size_t n, const char* field);       // stops at first NUL
  Result<std::string> utf16le(std::size_t n, const char* field);     // n bytes, stops at NUL

  // Error at the current position, for callers validating values they read.
  tl::unexpected<ParseError> malformed(const char* field) const noexcept {
    return tl::unexpected(ParseError{ErrorKind::Malformed, offset(), field});
  }
  tl::unexpected<ParseError> truncated(const char* field) const noexcept {
    return tl::unexpected(ParseError{ErrorKind::Truncated, offset(), field});
  }

 private:
  template <class T>
  Result<T> readInt(const char* field, bool big_endian) noexcept {
    if (remaining() < sizeof(T)) {
      return truncated(field);
    }
    T v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      const std::size_t idx = big_endian ? i : sizeof(T) - 1 - i;
      v = static_cast<T>((v << 8) | T{data_[pos_ + idx]});
    }
    pos_ += sizeof(T);
    return v;
  }

  ByteView data_{};
  std::size_t pos_ = 0;
  std::uint32_t base_ = 0;
};

// Hex string of at most `max_bytes` bytes (evidence only; never for secrets).
std::string toHex(ByteView data, std::size_t max_bytes = 64);

}  // namespace rdpscope
