// Every resource cap in one place. Hostile captures must not make rdpscope use unbounded memory
// or time; each cap says why it has its value. Hitting a cap is always reported, never silent.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rdpscope::limits {

// TPKT length is a 16-bit field (RFC 1006 / T.123), so one frame never exceeds 65535 bytes.
inline constexpr std::size_t kMaxTpktFrame = 65535;
// TLS record: 2^14 plaintext + 2048 expansion (RFC 5246 6.2.3); TLS 1.3 allows 2^14 + 256.
inline constexpr std::size_t kMaxTlsRecord = 16384 + 2048;
// A TLS handshake message can span records; certificate chains of RDP servers are a few KB.
// 256 KiB leaves room for long chains while bounding a lying 24-bit length.
inline constexpr std::size_t kMaxTlsHandshakeMessage = 256 * 1024;
// Unconsumed bytes a dissector may ask the engine to hold for one direction (one PDU).
inline constexpr std::size_t kMaxDissectorBuffer = 512 * 1024;
// Out-of-order TCP bytes buffered per direction before a gap is declared.
inline constexpr std::size_t kMaxOutOfOrderBytesPerDirection = 1 * 1024 * 1024;
// Out-of-order segments per direction (bounds bookkeeping for tiny-segment floods).
inline constexpr std::size_t kMaxOutOfOrderSegmentsPerDirection = 2048;
// Timeline events kept per connection; later ones are counted and the last few kept.
inline constexpr std::size_t kMaxEventsPerConnection = 4000;
// BER/DER nesting depth (real CredSSP/GCC nest < 12 deep).
inline constexpr int kMaxAsn1Depth = 32;
// Flows tracked at once (default; --max-flows overrides). Oldest idle flows are evicted.
inline constexpr std::size_t kDefaultMaxFlows = 200'000;
// Total out-of-order bytes across all flows before evicting the largest buffers.
inline constexpr std::size_t kDefaultMaxBufferedBytes = 256ull * 1024 * 1024;
// A flow with no packet for this long is closed as `timeout` (seconds of capture time).
inline constexpr std::int64_t kIdleTimeoutSeconds = 600;

}  // namespace rdpscope::limits
