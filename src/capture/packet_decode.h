// Decodes link, network and transport headers of a captured packet into a PacketView.
// Link types: Ethernet (+802.1Q/QinQ), Linux SLL and SLL2, raw IPv4/IPv6, BSD loopback/NULL.
// IPv4 options and IPv6 extension headers are skipped; IPv4 fragments are reported, not joined.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/byte_reader.h"

namespace rdpscope::capture {

struct IpAddress {
  std::uint8_t version = 4;           // 4 or 6
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4
  auto operator<=>(const IpAddress&) const = default;
  // Asked twice per packet (which end sent it): two word compares, not a call to memcmp.
  bool operator==(const IpAddress& o) const noexcept {
    std::uint64_t a[2];
    std::uint64_t b[2];
    std::memcpy(a, bytes.data(), sizeof a);
    std::memcpy(b, o.bytes.data(), sizeof b);
    return version == o.version && a[0] == b[0] && a[1] == b[1];
  }
  std::string toString() const;
};

enum class Transport : std::uint8_t { Tcp, Udp };

namespace tcpflag {
inline constexpr std::uint8_t kFin = 0x01;
inline constexpr std::uint8_t kSyn = 0x02;
inline constexpr std::uint8_t kRst = 0x04;
inline constexpr std::uint8_t kPsh = 0x08;
inline constexpr std::uint8_t kAck = 0x10;
}  // namespace tcpflag

struct PacketView {
  IpAddress src;
  IpAddress dst;
  Transport transport = Transport::Tcp;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  // TCP only.
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 0;
  ByteView payload;                 // transport payload as captured
  std::uint32_t payload_wire_len = 0;  // payload length on the wire (IP total length based)
};

enum class DecodeStatus : std::uint8_t {
  Ok,
  NotIp,            // ARP, LLDP...: ignored
  NotTcpUdp,        // ICMP etc.: ignored
  Fragment,         // IPv4/IPv6 fragment: counted and reported, not reassembled
  UnsupportedLink,  // a link type we do not decode
  Malformed,        // header lies about its length
  Truncated,        // snaplen cut inside the headers
};

const char* decodeStatusName(DecodeStatus status) noexcept;

DecodeStatus decodePacket(int linktype, ByteView bytes, std::uint32_t wirelen, PacketView& out);

}  // namespace rdpscope::capture
