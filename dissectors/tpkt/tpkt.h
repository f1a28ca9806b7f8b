// Framing of the RDP byte stream: TPKT (RFC 1006 / T.123 section 8) versus fast-path
// ([MS-RDPBCGR] 2.2.8.1.2 client input, 2.2.9.1.2 server output). Pure grammar: given the bytes
// at a PDU boundary it says what kind of frame starts there and how long it is; it never looks
// inside. Truncated means "wait for more of the stream", Malformed means the header is invalid.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/byte_reader.h"

namespace rdpscope::tpkt {

/// RFC 1006 section 6 / T.123 section 8: TPKT header is version(1)=3, reserved(1), length(2 BE),
/// the length covering the 4-byte header itself.
inline constexpr std::uint8_t kTpktVersion = 3;
inline constexpr std::size_t kTpktHeaderLength = 4;
/// Smallest useful TPKT: header + X.224 LI + TPDU code (RFC 1006 section 6 requires >= 7).
inline constexpr std::size_t kTpktMinLength = 7;

/// [MS-RDPBCGR] 2.2.8.1.2 / 2.2.9.1.2 fpInputHeader / fpOutputHeader action (bits 0-1).
inline constexpr std::uint8_t kFastPathActionFastPath = 0x0;
inline constexpr std::uint8_t kFastPathActionX224 = 0x3;
/// [MS-RDPBCGR] 2.2.9.1.2 fpOutputHeader flags (bits 6-7).
inline constexpr std::uint8_t kFastPathOutputSecureChecksum = 0x1;
inline constexpr std::uint8_t kFastPathOutputEncrypted = 0x2;

enum class FrameKind : std::uint8_t { Tpkt, FastPath };

struct Frame {
  FrameKind kind = FrameKind::Tpkt;
  std::size_t header_length = 0;  // TPKT: 4; fast-path: 2 or 3 (fpHeader + length1[/length2])
  std::size_t total_length = 0;   // whole frame including header
  std::uint8_t fp_header = 0;     // fast-path: the raw first byte
  std::uint8_t fp_flags = 0;      // fast-path: bits 6-7 (secure checksum / encrypted)
  std::uint8_t fp_num_events = 0; // fast-path input: bits 2-5 (0 => numEvents byte follows)
};

/// True when `b0` could start a TPKT (first byte 3).
inline bool isTpktStart(std::uint8_t b0) noexcept { return b0 == kTpktVersion; }

/// Reads the frame header at the start of `data` (absolute offset `base` for errors).
/// Truncated: the header is incomplete. Malformed: TPKT length below 7, or a first byte whose
/// action is neither fast-path (0) nor X.224 (3), or a fast-path length shorter than its header.
Result<Frame> nextFrame(ByteView data, std::uint32_t base = 0);

/// True when the bytes look like the start of a TLS record (ContentType handshake 0x16, alert
/// 0x15, application data 0x17 or change_cipher_spec 0x14; major version 3, RFC 8446 5.1).
bool looksLikeTlsRecord(ByteView data) noexcept;

}  // namespace rdpscope::tpkt
