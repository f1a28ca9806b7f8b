// Test helpers for the TLS dissector: reads TCP connections out of real captures (in order, with
// retransmissions dropped), skips the cleartext TPKT/X.224 exchange, and runs the TLS dissector
// over the rest with a recording DissectContext.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "capture/packet_decode.h"
#include "capture/packet_source.h"
#include "engine/dissector.h"
#include "engine/keystore.h"
#include "model/connection.h"

namespace rdpscope::tls::testing {

struct Segment {
  engine::Direction dir;
  std::uint64_t frame;
  Timestamp ts;
  std::vector<std::uint8_t> data;
};

struct TcpConn {
  std::string client;  // "ip:port"
  std::string server;
  std::vector<Segment> segments;  // in capture order, new bytes only
};

// Connections of a capture, in order of first packet. The client is the SYN sender (or the
// side not on `server_port`). Only in-order new bytes are kept (good enough for these captures).
inline std::vector<TcpConn> readConnections(const std::string& path, std::uint16_t server_port = 3389) {
  std::vector<TcpConn> out;
  auto opened = capture::openFiles({path});
  if (!opened.source) return out;
  struct State {
    std::size_t index;
    bool have_next[2] = {false, false};
    std::uint32_t next[2] = {0, 0};
  };
  std::map<std::tuple<std::string, std::uint16_t, std::string, std::uint16_t>, State> flows;
  capture::RawPacket pkt;
  while (opened.source->next(pkt)) {
    capture::PacketView v;
    if (capture::decodePacket(pkt.linktype, pkt.bytes, pkt.wirelen, v) != capture::DecodeStatus::Ok ||
        v.transport != capture::Transport::Tcp) {
      continue;
    }
    const std::string s = v.src.toString();
    const std::string d = v.dst.toString();
    const bool to_server = v.dst_port == server_port;
    const auto key = to_server ? std::make_tuple(s, v.src_port, d, v.dst_port)
                               : std::make_tuple(d, v.dst_port, s, v.src_port);
    auto it = flows.find(key);
    if (it == flows.end()) {
      TcpConn c;
      c.client = std::get<0>(key) + ":" + std::to_string(std::get<1>(key));
      c.server = std::get<2>(key) + ":" + std::to_string(std::get<3>(key));
      out.push_back(std::move(c));
      flows[key] = State{out.size() - 1};
      it = flows.find(key);
    }
    State& st = it->second;
    const int di = to_server ? 0 : 1;
    std::uint32_t seq = v.seq;
    if ((v.flags & 0x02) != 0) {  // SYN consumes one sequence number
      if (st.have_next[di] && st.next[di] != seq + 1) continue;  // keep the first handshake
      st.have_next[di] = true;
      st.next[di] = seq + 1;
      continue;
    }
    if (v.payload.empty()) continue;
    if (!st.have_next[di]) {
      st.have_next[di] = true;
      st.next[di] = seq;
    }
    const std::int32_t delta = static_cast<std::int32_t>(st.next[di] - seq);
    if (delta < 0) continue;  // hole: these captures have none in the ranges we test
    if (static_cast<std::size_t>(delta) >= v.payload.size()) continue;  // retransmission
    Segment sg;
    sg.dir = to_server ? engine::Direction::ToServer : engine::Direction::ToClient;
    sg.frame = pkt.frame;
    sg.ts = pkt.ts;
    sg.data.assign(v.payload.begin() + delta, v.payload.end());
    st.next[di] = seq + static_cast<std::uint32_t>(v.payload.size());
    out[st.index].segments.push_back(std::move(sg));
  }
  return out;
}

// Records everything a dissector reports.
class RecordingContext final : public engine::DissectContext {
 public:
  void emit(model::Event&& event) override {
    stamp(event);
    if (!keep_compact) {
      model::expandCompact(event);  // as engine::Session does for readers like these tests
    }
    conn.events.push_back(std::move(event));
  }
  void emitBulk(model::Event&& event) override {
    stamp(event);
    conn.events.push_back(std::move(event));
  }
  void anomaly(std::string_view id, engine::Direction dir, std::uint64_t offset, std::string detail) override {
    model::Event ev;
    ev.kind = "anomaly";
    ev.dir = dir;
    ev.fields["id"] = std::string(id);
    ev.fields["offset"] = offset;
    ev.fields["detail"] = detail;
    anomalies.push_back(std::string(id));
    stamp(ev);
    conn.events.push_back(std::move(ev));
  }
  // With use_stubs, as the engine past its first bulk events: the stub is kept and built only
  // by buildHeldStubs(), after the whole connection, so a `make` that read anything but the stub
  // would show.
  void emitBulkStub(engine::BulkStub&& stub) override {
    if (!use_stubs) {
      DissectContext::emitBulkStub(std::move(stub));
      return;
    }
    model::Event placeholder;
    stamp(placeholder);
    held_stubs.emplace_back(conn.events.size(), std::move(stub));
    conn.events.push_back(std::move(placeholder));
  }
  void buildHeldStubs() {
    for (auto& [index, stub] : held_stubs) {
      model::Event ev = stub.build();
      ev.frame = conn.events[index].frame;
      ev.ts = conn.events[index].ts;
      conn.events[index] = std::move(ev);
    }
    held_stubs.clear();
  }
  model::Connection& connection() override { return conn; }
  const engine::KeyStore* keys() const override { return key_store; }
  bool redactIdentities() const override { return false; }
  std::uint64_t currentFrame() const override { return frame; }
  Timestamp currentTime() const override { return ts; }
  void setStamp(std::uint64_t f, Timestamp t) override {
    frame = f;
    ts = t;
  }

  std::vector<const model::Event*> byKind(std::string_view kind) const {
    std::vector<const model::Event*> v;
    for (const auto& e : conn.events) if (e.kind == kind) v.push_back(&e);
    return v;
  }

  model::Connection conn;
  std::vector<std::string> anomalies;
  const engine::KeyStore* key_store = nullptr;
  bool use_stubs = false;  // build bulk stubs late (see emitBulkStub)
  bool keep_compact = false;  // leave compact events compact, as for the streaming JSON writer
  std::vector<std::pair<std::size_t, engine::BulkStub>> held_stubs;
  std::uint64_t frame = 0;
  Timestamp ts{};

 private:
  void stamp(model::Event& e) const {
    if (e.frame == 0) { e.frame = frame; e.ts = ts; }
  }
};

// Collects the plaintext handed to the consumer, per direction.
class CollectingDissector final : public engine::Dissector {
 public:
  std::string_view name() const override { return "collect"; }
  engine::Progress onData(const engine::StreamData& in, engine::DissectContext&) override {
    auto& v = bytes[static_cast<std::size_t>(in.dir)];
    v.insert(v.end(), in.data.begin(), in.data.end());
    return engine::Progress::consumed(in.data.size());
  }
  std::vector<std::uint8_t> bytes[2];
};

// Drops the cleartext TPKT frames (X.224 CR/CC) at the start of each direction, then feeds the
// rest to `tls` through a StreamPipeline. Returns the number of TLS bytes delivered.
inline std::size_t runTls(const TcpConn& conn, engine::Dissector& tls, RecordingContext& ctx) {
  engine::StreamPipeline pipe(tls);
  bool in_tls[2] = {false, false};
  std::vector<std::uint8_t> head[2];
  std::size_t delivered = 0;
  for (const auto& sg : conn.segments) {
    const std::size_t di = static_cast<std::size_t>(sg.dir);
    ctx.frame = sg.frame;
    ctx.ts = sg.ts;
    if (in_tls[di]) {
      pipe.deliver(sg.dir, sg.data, ctx);
      delivered += sg.data.size();
      continue;
    }
    auto& h = head[di];
    h.insert(h.end(), sg.data.begin(), sg.data.end());
    while (!h.empty()) {
      if (h[0] == 3) {  // TPKT (RFC 1006): version 3, reserved, 16-bit length
        if (h.size() < 4) break;
        const std::size_t len = (std::size_t{h[2]} << 8) | h[3];
        if (len < 4 || h.size() < len) break;
        h.erase(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(len));
        continue;
      }
      in_tls[di] = true;
      pipe.deliver(sg.dir, h, ctx);
      delivered += h.size();
      h.clear();
    }
  }
  pipe.end(engine::Direction::ToServer, engine::EndReason::CaptureEnd, ctx);
  pipe.end(engine::Direction::ToClient, engine::EndReason::CaptureEnd, ctx);
  return delivered;
}

inline std::vector<std::uint8_t> fromHex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  int hi = -1;
  for (char c : hex) {
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) continue;
    if (hi < 0) { hi = v; } else { out.push_back(static_cast<std::uint8_t>(hi * 16 + v)); hi = -1; }
  }
  return out;
}

}  // namespace rdpscope::tls::testing
