// Test-only offline reader: reads a small, clean pcap with libpcap and rebuilds, per TCP
// connection, the in-order payload chunks of each direction (retransmissions dropped by
// sequence number; no out-of-order handling beyond that), plus UDP datagrams. Enough to drive
// dissectors over the Zeek sample captures without the engine. Header-only.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <array>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "model/event.h"

namespace rdpscope::test {

struct Chunk {
  std::uint64_t frame = 0;
  model::Direction dir = model::Direction::ToServer;
  std::vector<std::uint8_t> data;
};

struct TestFlow {
  bool udp = false;
  std::string client_ip, server_ip;
  std::uint16_t client_port = 0, server_port = 0;
  std::vector<Chunk> chunks;  // in capture order
};

namespace detail {
inline std::string ipText(const std::uint8_t* p, bool v6) {
  char buf[64];
  if (!v6) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
    return buf;
  }
  std::string s;
  for (int i = 0; i < 16; i += 2) {
    std::snprintf(buf, sizeof buf, "%s%x", i ? ":" : "", (p[i] << 8) | p[i + 1]);
    s += buf;
  }
  return s;
}
}  // namespace detail

/// Reads `path`; returns flows in order of first packet. Empty on error.
inline std::vector<TestFlow> readFlows(const std::string& path, std::uint16_t rdp_port = 3389) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  std::vector<TestFlow> flows;
  if (p == nullptr) {
    return flows;
  }
  const int link = pcap_datalink(p);
  struct Key {
    std::string a, b;
    std::uint16_t pa, pb;
    bool udp;
    bool operator<(const Key& o) const {
      return std::tie(a, b, pa, pb, udp) < std::tie(o.a, o.b, o.pa, o.pb, o.udp);
    }
  };
  std::map<Key, std::size_t> index;
  std::vector<std::array<std::optional<std::uint32_t>, 2>> next_seq;
  std::vector<std::array<std::multimap<std::uint32_t, std::vector<std::uint8_t>>, 2>> held_segments;
  pcap_pkthdr* h = nullptr;
  const std::uint8_t* d = nullptr;
  std::uint64_t frame = 0;
  while (pcap_next_ex(p, &h, &d) == 1) {
    ++frame;
    std::size_t off = 0;
    std::uint16_t ethertype = 0;
    if (link == DLT_EN10MB) {
      if (h->caplen < 14) continue;
      ethertype = static_cast<std::uint16_t>((d[12] << 8) | d[13]);
      off = 14;
      while (ethertype == 0x8100 && h->caplen >= off + 4) {
        ethertype = static_cast<std::uint16_t>((d[off + 2] << 8) | d[off + 3]);
        off += 4;
      }
    } else if (link == DLT_NULL) {
      if (h->caplen < 4) continue;
      const std::uint32_t fam = d[0] | (d[1] << 8) | (d[2] << 16) | (std::uint32_t(d[3]) << 24);
      ethertype = fam == 2 ? 0x0800 : 0x86DD;
      off = 4;
    } else if (link == DLT_RAW) {
      ethertype = (d[0] >> 4) == 4 ? 0x0800 : 0x86DD;
    } else {
      continue;
    }
    const std::uint32_t cap = h->caplen;
    std::string src, dst;
    std::uint8_t proto = 0;
    std::size_t l4 = 0, l4_end = cap;
    if (ethertype == 0x0800) {
      if (cap < off + 20) continue;
      const std::size_t ihl = (d[off] & 0x0F) * 4u;
      const std::size_t total = (d[off + 2] << 8) | d[off + 3];
      proto = d[off + 9];
      src = detail::ipText(d + off + 12, false);
      dst = detail::ipText(d + off + 16, false);
      l4 = off + ihl;
      l4_end = std::min<std::size_t>(cap, off + total);
    } else if (ethertype == 0x86DD) {
      if (cap < off + 40) continue;
      proto = d[off + 6];
      const std::size_t plen = (d[off + 4] << 8) | d[off + 5];
      src = detail::ipText(d + off + 8, true);
      dst = detail::ipText(d + off + 24, true);
      l4 = off + 40;
      l4_end = std::min<std::size_t>(cap, l4 + plen);
    } else {
      continue;
    }
    std::uint16_t sport = 0, dport = 0;
    std::size_t payload = 0;
    bool syn = false, ack = false;
    std::uint32_t seq = 0;
    if (proto == 6) {
      if (l4_end < l4 + 20) continue;
      sport = static_cast<std::uint16_t>((d[l4] << 8) | d[l4 + 1]);
      dport = static_cast<std::uint16_t>((d[l4 + 2] << 8) | d[l4 + 3]);
      seq = (std::uint32_t(d[l4 + 4]) << 24) | (d[l4 + 5] << 16) | (d[l4 + 6] << 8) | d[l4 + 7];
      const std::size_t doff = (d[l4 + 12] >> 4) * 4u;
      syn = (d[l4 + 13] & 0x02) != 0;
      ack = (d[l4 + 13] & 0x10) != 0;
      payload = l4 + doff;
    } else if (proto == 17) {
      if (l4_end < l4 + 8) continue;
      sport = static_cast<std::uint16_t>((d[l4] << 8) | d[l4 + 1]);
      dport = static_cast<std::uint16_t>((d[l4 + 2] << 8) | d[l4 + 3]);
      payload = l4 + 8;
    } else {
      continue;
    }
    const bool udp = proto == 17;
    Key fwd{src, dst, sport, dport, udp}, rev{dst, src, dport, sport, udp};
    std::size_t idx;
    model::Direction dir;
    if (auto it = index.find(fwd); it != index.end()) {
      idx = it->second;
      dir = model::Direction::ToServer;
    } else if (auto it2 = index.find(rev); it2 != index.end()) {
      idx = it2->second;
      dir = model::Direction::ToClient;
    } else {
      // New flow: the client is the SYN sender, else the side not on the RDP port.
      const bool src_is_client = udp ? dport == rdp_port : (syn && !ack) || dport == rdp_port;
      TestFlow f;
      f.udp = udp;
      f.client_ip = src_is_client ? src : dst;
      f.server_ip = src_is_client ? dst : src;
      f.client_port = src_is_client ? sport : dport;
      f.server_port = src_is_client ? dport : sport;
      flows.push_back(f);
      next_seq.push_back({});
      held_segments.emplace_back();
      idx = flows.size() - 1;
      index[src_is_client ? fwd : rev] = idx;
      dir = src_is_client ? model::Direction::ToServer : model::Direction::ToClient;
    }
    auto& ns = next_seq[idx][static_cast<std::size_t>(dir)];
    if (!udp && syn) {
      ns = seq + 1;
      continue;
    }
    if (payload >= l4_end) continue;
    std::vector<std::uint8_t> data(d + payload, d + l4_end);
    if (udp) {
      flows[idx].chunks.push_back(Chunk{frame, dir, std::move(data)});
      continue;
    }
    if (!ns) ns = seq;  // no SYN seen: start here
    auto& held = held_segments[idx][static_cast<std::size_t>(dir)];
    held.emplace(seq, std::move(data));
    // Deliver every held segment that is now contiguous (out-of-order ones wait for the hole).
    bool progress = true;
    while (progress) {
      progress = false;
      for (auto it = held.begin(); it != held.end(); ++it) {
        const std::int32_t delta = static_cast<std::int32_t>(it->first - *ns);
        if (delta > 0) continue;
        std::vector<std::uint8_t> seg = std::move(it->second);
        held.erase(it);
        const std::size_t already = static_cast<std::size_t>(-delta);
        if (already < seg.size()) {
          seg.erase(seg.begin(), seg.begin() + static_cast<std::ptrdiff_t>(already));
          *ns += static_cast<std::uint32_t>(seg.size());
          flows[idx].chunks.push_back(Chunk{frame, dir, std::move(seg)});
        }
        progress = true;
        break;
      }
    }
  }
  pcap_close(p);
  return flows;
}

}  // namespace rdpscope::test
