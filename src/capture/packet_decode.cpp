#include "capture/packet_decode.h"

#include <arpa/inet.h>

namespace rdpscope::capture {
namespace {

// DLT_* values (pcap/dlt.h, www.tcpdump.org/linktypes.html).
constexpr int kDltNull = 0;
constexpr int kDltEthernet = 1;
constexpr int kDltRaw = 12;          // some platforms use 14; LINKTYPE_RAW is 101 in files
constexpr int kDltRawAlt = 14;
constexpr int kDltLoop = 108;
constexpr int kLinktypeRaw = 101;
constexpr int kDltLinuxSll = 113;
constexpr int kDltIpv4 = 228;
constexpr int kDltIpv6 = 229;
constexpr int kDltLinuxSll2 = 276;

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86DD;
constexpr std::uint16_t kEtherVlan = 0x8100;
constexpr std::uint16_t kEtherQinQ = 0x88A8;
constexpr std::uint16_t kEtherQinQOld = 0x9100;

constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;

// Big-endian fields of a header already known to be long enough.
std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

DecodeStatus decodeTransport(std::uint8_t proto, ByteReader& r, std::uint32_t wire_payload_len,
                             PacketView& out) {
  if (proto == kProtoTcp) {
    out.transport = Transport::Tcp;
    // The fixed part up to the window (16 bytes) is checked once and read in place: this runs
    // for every packet, and one checked read per field cost ~140 instructions a packet.
    auto fixed = r.peek(16, "tcp.header");
    if (!fixed) {
      return DecodeStatus::Truncated;
    }
    const std::uint8_t* h = fixed->data();
    const std::size_t header_len = static_cast<std::size_t>(h[12] >> 4) * 4;
    if (header_len < 20) {
      return DecodeStatus::Malformed;
    }
    if (!r.skip(header_len, "tcp.options")) {
      return DecodeStatus::Truncated;
    }
    out.src_port = be16(h);
    out.dst_port = be16(h + 2);
    out.seq = be32(h + 4);
    out.ack = be32(h + 8);
    out.flags = h[13];
    out.window = be16(h + 14);
    out.payload_wire_len =
        wire_payload_len >= header_len ? static_cast<std::uint32_t>(wire_payload_len - header_len) : 0;
    ByteView rest = r.rest();
    // Ethernet padding: never treat bytes past the IP payload as TCP data.
    if (rest.size() > out.payload_wire_len) {
      rest = rest.first(out.payload_wire_len);
    }
    out.payload = rest;
    return DecodeStatus::Ok;
  }
  if (proto == kProtoUdp) {
    out.transport = Transport::Udp;
    auto sp = r.u16be("udp.src_port");
    auto dp = r.u16be("udp.dst_port");
    auto len = r.u16be("udp.length");
    auto sum = r.u16be("udp.checksum");
    if (!sp || !dp || !len || !sum) {
      return DecodeStatus::Truncated;
    }
    if (*len < 8) {
      return DecodeStatus::Malformed;
    }
    out.src_port = *sp;
    out.dst_port = *dp;
    out.payload_wire_len = static_cast<std::uint32_t>(*len - 8);
    ByteView rest = r.rest();
    if (rest.size() > out.payload_wire_len) {
      rest = rest.first(out.payload_wire_len);
    }
    out.payload = rest;
    return DecodeStatus::Ok;
  }
  return DecodeStatus::NotTcpUdp;
}

DecodeStatus decodeIpv4(ByteReader& r, PacketView& out) {
  auto first = r.peek(1, "ip.vihl");
  if (!first) {
    return DecodeStatus::Truncated;
  }
  const std::uint8_t vihl = (*first)[0];
  if ((vihl >> 4) != 4) {
    return DecodeStatus::Malformed;
  }
  const std::size_t ihl = static_cast<std::size_t>(vihl & 0x0F) * 4;
  if (ihl < 20) {
    return DecodeStatus::Malformed;
  }
  // The 20-byte fixed header checked once and read in place (see decodeTransport).
  auto fixed = r.peek(20, "ip.header");
  if (!fixed || !r.skip(ihl, "ip.options")) {
    return DecodeStatus::Truncated;
  }
  const std::uint8_t* h = fixed->data();
  const std::uint16_t total = be16(h + 2);
  const std::uint16_t frag = be16(h + 6);
  const std::uint8_t proto = h[9];
  out.src = IpAddress{4, {}};
  out.dst = IpAddress{4, {}};
  std::copy(h + 12, h + 16, out.src.bytes.begin());
  std::copy(h + 16, h + 20, out.dst.bytes.begin());
  // More-fragments flag or a non-zero offset: a fragment.
  if ((frag & 0x2000) != 0 || (frag & 0x1FFF) != 0) {
    return DecodeStatus::Fragment;
  }
  // TSO captures report total length 0; fall back to what was captured.
  std::uint32_t payload_len = total >= ihl ? static_cast<std::uint32_t>(total - ihl) : 0;
  if (total == 0) {
    payload_len = static_cast<std::uint32_t>(r.remaining());
  } else if (total < ihl) {
    return DecodeStatus::Malformed;
  }
  return decodeTransport(proto, r, payload_len, out);
}

DecodeStatus decodeIpv6(ByteReader& r, PacketView& out) {
  auto vtc = r.u32be("ip6.vtcfl");
  auto plen = r.u16be("ip6.payload_length");
  auto next = r.u8("ip6.next_header");
  auto hop = r.u8("ip6.hop_limit");
  auto src = r.bytes(16, "ip6.src");
  auto dst = r.bytes(16, "ip6.dst");
  if (!vtc || !plen || !next || !hop || !src || !dst) {
    return DecodeStatus::Truncated;
  }
  if ((*vtc >> 28) != 6) {
    return DecodeStatus::Malformed;
  }
  out.src = IpAddress{6, {}};
  out.dst = IpAddress{6, {}};
  std::copy(src->begin(), src->end(), out.src.bytes.begin());
  std::copy(dst->begin(), dst->end(), out.dst.bytes.begin());
  std::uint8_t nh = *next;
  std::uint32_t remaining_payload = *plen;
  // Walk extension headers: hop-by-hop 0, routing 43, fragment 44, destination options 60.
  for (int i = 0; i < 8; ++i) {
    if (nh == 0 || nh == 43 || nh == 60) {
      auto n = r.u8("ip6.ext.next");
      auto len = r.u8("ip6.ext.len");
      if (!n || !len) {
        return DecodeStatus::Truncated;
      }
      const std::size_t ext_len = (static_cast<std::size_t>(*len) + 1) * 8;
      if (!r.skip(ext_len - 2, "ip6.ext.body")) {
        return DecodeStatus::Truncated;
      }
      if (remaining_payload < ext_len) {
        return DecodeStatus::Malformed;
      }
      remaining_payload -= static_cast<std::uint32_t>(ext_len);
      nh = *n;
    } else if (nh == 44) {
      return DecodeStatus::Fragment;
    } else {
      break;
    }
  }
  if (*plen == 0) {
    remaining_payload = static_cast<std::uint32_t>(r.remaining());  // jumbogram / TSO
  }
  return decodeTransport(nh, r, remaining_payload, out);
}

DecodeStatus decodeEtherType(std::uint16_t type, ByteReader& r, PacketView& out) {
  // 802.1Q / QinQ: skip up to a few stacked tags.
  for (int i = 0; i < 4 && (type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld);
       ++i) {
    auto tci = r.u16be("vlan.tci");
    auto inner = r.u16be("vlan.type");
    if (!tci || !inner) {
      return DecodeStatus::Truncated;
    }
    type = *inner;
  }
  if (type == kEtherIpv4) {
    return decodeIpv4(r, out);
  }
  if (type == kEtherIpv6) {
    return decodeIpv6(r, out);
  }
  return DecodeStatus::NotIp;
}

DecodeStatus decodeRawIp(ByteReader& r, PacketView& out) {
  auto first = r.peek(1, "ip.version");
  if (!first) {
    return DecodeStatus::Truncated;
  }
  const int version = (*first)[0] >> 4;
  if (version == 4) {
    return decodeIpv4(r, out);
  }
  if (version == 6) {
    return decodeIpv6(r, out);
  }
  return DecodeStatus::NotIp;
}

}  // namespace

const char* decodeStatusName(DecodeStatus status) noexcept {
  switch (status) {
    case DecodeStatus::Ok: return "ok";
    case DecodeStatus::NotIp: return "not_ip";
    case DecodeStatus::NotTcpUdp: return "not_tcp_udp";
    case DecodeStatus::Fragment: return "ip_fragment";
    case DecodeStatus::UnsupportedLink: return "unsupported_link";
    case DecodeStatus::Malformed: return "malformed";
    case DecodeStatus::Truncated: return "truncated";
  }
  return "unknown";
}

std::string IpAddress::toString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (version == 4) {
    inet_ntop(AF_INET, bytes.data(), buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

DecodeStatus decodePacket(int linktype, ByteView bytes, std::uint32_t wirelen, PacketView& out) {
  (void)wirelen;
  ByteReader r(bytes);
  out = PacketView{};
  switch (linktype) {
    case kDltEthernet: {
      if (!r.skip(12, "eth.addresses")) {
        return DecodeStatus::Truncated;
      }
      auto type = r.u16be("eth.type");
      if (!type) {
        return DecodeStatus::Truncated;
      }
      return decodeEtherType(*type, r, out);
    }
    case kDltLinuxSll: {
      // 16-byte header; protocol type in the last two bytes.
      if (!r.skip(14, "sll.header")) {
        return DecodeStatus::Truncated;
      }
      auto type = r.u16be("sll.protocol");
      if (!type) {
        return DecodeStatus::Truncated;
      }
      return decodeEtherType(*type, r, out);
    }
    case kDltLinuxSll2: {
      // 20-byte header; protocol type first.
      auto type = r.u16be("sll2.protocol");
      if (!type || !r.skip(18, "sll2.header")) {
        return DecodeStatus::Truncated;
      }
      return decodeEtherType(*type, r, out);
    }
    case kDltNull:
    case kDltLoop: {
      // 4-byte address family, host byte order for NULL, network order for LOOP: accept both.
      auto family = r.bytes(4, "null.family");
      if (!family) {
        return DecodeStatus::Truncated;
      }
      return decodeRawIp(r, out);
    }
    case kDltRaw:
    case kDltRawAlt:
    case kLinktypeRaw:
      return decodeRawIp(r, out);
    case kDltIpv4:
      return decodeIpv4(r, out);
    case kDltIpv6:
      return decodeIpv6(r, out);
    default:
      return DecodeStatus::UnsupportedLink;
  }
}

}  // namespace rdpscope::capture
