#include "engine/analyzer.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <tuple>

#include "rdp/rdp_connection_dissector.h"
#include "rdp/rdp_probe.h"
#if __has_include("udp/rdpeudp_dissector.h")
#include "udp/rdpeudp_dissector.h"
#define RDPSCOPE_HAVE_UDP 1
#endif

namespace rdpscope::engine {

using capture::PacketView;
using capture::Transport;
namespace tcpflag = capture::tcpflag;

namespace {
constexpr std::uint16_t kRdpPort = 3389;
// A flow whose SYN was never answered is finished after this much capture time without packets
// (Windows gives up after ~21 s of SYN retries; Linux after ~127 s with default settings).
constexpr std::int64_t kUnansweredSynSeconds = 130;
constexpr std::int64_t kNs = 1'000'000'000;
constexpr std::uint64_t kClockStepNs = 1'000'000;  // 1 ms (see noteClockStep)

std::size_t idx(Direction d) { return static_cast<std::size_t>(d); }
}  // namespace

struct Analyzer::Flow {
  FlowKey key;
  capture::IpAddress client_ip;
  capture::IpAddress server_ip;
  std::uint16_t client_port = 0;
  std::uint16_t server_port = 0;
  bool tentative = false;  // SYN on a non-RDP port: kept until the first client bytes decide
  std::unique_ptr<Session> session;
  std::unique_ptr<stream::TcpReassembler> reasm[2];
  bool syn_seen = false;
  bool synack_seen = false;
  std::uint32_t syn_seq = 0;
  bool data_seen = false;
  bool fin[2] = {false, false};
  bool rst[2] = {false, false};
  std::string first_close;  // fin_client, rst_server...
  bool refused = false;     // RST answering a SYN before any SYN-ACK
  Timestamp last_seen{};
  bool clock_step_noted = false;  // the note on capture time going back is written once
  Expiry expiry = kExpiresIdle;
  FlowList::iterator expiry_it;  // in expiry_[expiry]
  // Packets of each direction since the other direction's last packet, and when they started.
  std::uint32_t since_peer[2] = {0, 0};
  Timestamp since_peer_first[2] = {};
  Timestamp since_peer_last[2] = {};
  StartIndex::iterator start_it;
  bool closed() const { return first_close.size() > 0 && ((fin[0] && fin[1]) || rst[0] || rst[1]); }
};

namespace {

// Routes reassembled bytes of one direction into the session's dissector pipeline.
class DirectionSink final : public stream::ReassemblySink {
 public:
  DirectionSink(Session& session, Direction dir) : session_(session), dir_(dir) {}
  void onStreamData(ByteView data) override { session_.deliver(dir_, data); }
  void onStreamGap(std::uint64_t missing, stream::GapReason reason) override {
    session_.gap(dir_, missing, stream::gapReasonName(reason));
  }

 private:
  Session& session_;
  Direction dir_;
};

}  // namespace

namespace {
// The 16 address bytes as two words (any fixed order serves hashing and comparing).
std::array<std::uint64_t, 2> words(const capture::IpAddress& ip) {
  std::array<std::uint64_t, 2> w{};
  std::memcpy(w.data(), ip.bytes.data(), 16);
  return w;
}
}  // namespace

std::size_t Analyzer::FlowKeyHash::operator()(const FlowKey& k) const noexcept {
  // Asked for every packet: word loads and a multiply-xorshift mix (the byte-by-byte version
  // was ~3 % of the instructions).
  const auto a = words(k.a);
  const auto b = words(k.b);
  std::uint64_t h = 0x9e3779b97f4a7c15ull ^ (std::uint64_t{k.port_a} << 32) ^ (std::uint64_t{k.port_b} << 16) ^
                    (std::uint64_t{k.a.version} << 8) ^ static_cast<std::uint8_t>(k.transport);
  for (const std::uint64_t v : {a[0], a[1], b[0], b[1]}) {
    h = (h ^ v) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
  }
  return static_cast<std::size_t>(h);
}

bool Analyzer::FlowKey::operator==(const FlowKey& o) const noexcept {
  return words(a) == words(o.a) && words(b) == words(o.b) && port_a == o.port_a && port_b == o.port_b &&
         a.version == o.a.version && b.version == o.b.version && transport == o.transport;
}

Analyzer::Analyzer(AnalyzerOptions options, ConnectionSink sink)
    : options_(std::move(options)), sink_(std::move(sink)) {}

Analyzer::~Analyzer() = default;

bool Analyzer::isRdpPort(std::uint16_t port) const {
  return port == kRdpPort ||
         std::find(options_.extra_ports.begin(), options_.extra_ports.end(), port) !=
             options_.extra_ports.end();
}

Analyzer::FlowKey Analyzer::makeKey(const PacketView& p) {
  FlowKey k;
  k.transport = p.transport;
  // Either end first, the same for both directions (the order itself means nothing).
  const auto s = words(p.src);
  const auto d = words(p.dst);
  const bool src_first = std::tie(p.src.version, s, p.src_port) < std::tie(p.dst.version, d, p.dst_port);
  k.a = src_first ? p.src : p.dst;
  k.b = src_first ? p.dst : p.src;
  k.port_a = src_first ? p.src_port : p.dst_port;
  k.port_b = src_first ? p.dst_port : p.src_port;
  return k;
}

Analyzer::Flow* Analyzer::lookupOrCreate(const capture::RawPacket& raw, const PacketView& p) {
  const FlowKey key = makeKey(p);
  Flow* known = nullptr;
  if (last_flow_ != nullptr && last_flow_->key == key) {
    known = last_flow_;  // packets come in runs of one connection: skip the hash lookup
  } else if (auto it = flows_.find(key); it != flows_.end()) {
    known = it->second.get();
  }
  if (known != nullptr) {
    last_flow_ = known;
    // Port reuse: a fresh SYN (new sequence number) on a closed connection starts a new one.
    const bool fresh_syn = p.transport == Transport::Tcp && (p.flags & tcpflag::kSyn) &&
                           !(p.flags & tcpflag::kAck) && known->closed() && p.seq != known->syn_seq;
    if (!fresh_syn) {
      return known;
    }
    finishFlow(known, nullptr);
  }

  const bool src_rdp = isRdpPort(p.src_port);
  const bool dst_rdp = isRdpPort(p.dst_port);
  const bool syn = p.transport == Transport::Tcp && (p.flags & tcpflag::kSyn) &&
                   !(p.flags & tcpflag::kAck);
  const bool synack = p.transport == Transport::Tcp && (p.flags & tcpflag::kSyn) &&
                      (p.flags & tcpflag::kAck);
  std::string decided_by;
  std::string detected_by;
  bool client_is_src = true;
  bool tentative = false;

  if (p.transport == Transport::Udp) {
    if (!src_rdp && !dst_rdp) {
      return nullptr;
    }
    client_is_src = dst_rdp;
    decided_by = "rdp_port";
    detected_by = (dst_rdp ? p.dst_port : p.src_port) == kRdpPort ? "port_3389" : "extra_port";
  } else if (src_rdp || dst_rdp) {
    if (syn) {
      client_is_src = true;
      decided_by = "syn";
    } else if (synack) {
      client_is_src = false;
      decided_by = "syn_ack";
    } else {
      client_is_src = dst_rdp;
      decided_by = "rdp_port";
    }
    const std::uint16_t server_port =
        client_is_src ? p.dst_port : p.src_port;
    detected_by = server_port == kRdpPort ? "port_3389"
                  : isRdpPort(server_port) ? "extra_port"
                                           : "port_3389";
  } else if (syn) {
    client_is_src = true;
    decided_by = "syn";
    detected_by = "heuristic_x224";
    tentative = true;
  } else if (!p.payload.empty() && rdp::looksLikeRdpConnectionRequest(p.payload)) {
    client_is_src = true;
    decided_by = "heuristic";
    detected_by = "heuristic_x224";
  } else {
    return nullptr;
  }

  if (flows_.size() >= options_.max_flows) {
    ++stats_.flows_evicted;
    Flow* victim = nullptr;  // the least recently active of all
    for (const FlowList& list : expiry_) {
      if (!list.empty() && (victim == nullptr || list.front()->last_seen < victim->last_seen)) {
        victim = list.front();
      }
    }
    victim->session->connection().notes.push_back(
        "evicted before it ended: the flow table was full (--max-flows " +
        std::to_string(options_.max_flows_reported != 0 ? options_.max_flows_reported
                                                         : options_.max_flows) +
        ")");
    finishFlow(victim, "timeout");
  }

  auto flow = std::make_unique<Flow>();
  flow->key = key;
  flow->tentative = tentative;
  flow->client_ip = client_is_src ? p.src : p.dst;
  flow->server_ip = client_is_src ? p.dst : p.src;
  flow->client_port = client_is_src ? p.src_port : p.dst_port;
  flow->server_port = client_is_src ? p.dst_port : p.src_port;

  model::Connection conn;
  conn.transport = p.transport == Transport::Tcp ? "tcp" : "udp";
  conn.client = {flow->client_ip.toString(), flow->client_port};
  conn.server = {flow->server_ip.toString(), flow->server_port};
  conn.client_decided_by = decided_by;
  conn.detected_by = detected_by;
  conn.start = raw.ts;
  conn.end = raw.ts;
  conn.first_frame = raw.frame;

  Session::DissectorFactory dissector = nullptr;
  if (p.transport == Transport::Tcp) {
    dissector = &rdp::makeRdpConnectionDissector;
    for (auto& r : flow->reasm) {
      r = std::make_unique<stream::TcpReassembler>(limits::kMaxOutOfOrderBytesPerDirection,
                                                   limits::kMaxOutOfOrderSegmentsPerDirection);
    }
  }
  flow->session = std::make_unique<Session>(
      std::move(conn), Session::LazyDissector{dissector},
      SessionConfig{options_.keys, options_.redact_identities, options_.compact_events});
  Flow* raw_flow = flow.get();
  raw_flow->expiry = kExpiresIdle;
  expiry_[kExpiresIdle].push_back(raw_flow);
  raw_flow->expiry_it = std::prev(expiry_[kExpiresIdle].end());
  raw_flow->start_it = by_start_.emplace(raw.ts.ns, raw_flow);
  oldest_start_ns_ = by_start_.begin()->first;
  flows_.emplace(key, std::move(flow));
  last_flow_ = raw_flow;
  stats_.peak_flows = std::max(stats_.peak_flows, flows_.size());
  return raw_flow;
}

bool Analyzer::startsFlow(const PacketView& p, const std::vector<std::uint16_t>& extra_ports) {
  auto rdp_port = [&](std::uint16_t port) {
    return port == kRdpPort ||
           std::find(extra_ports.begin(), extra_ports.end(), port) != extra_ports.end();
  };
  if (rdp_port(p.src_port) || rdp_port(p.dst_port)) {
    return true;  // UDP and TCP on an RDP port
  }
  if (p.transport != Transport::Tcp) {
    return false;
  }
  const bool syn = (p.flags & tcpflag::kSyn) && !(p.flags & tcpflag::kAck);
  return syn || (!p.payload.empty() && rdp::looksLikeRdpConnectionRequest(p.payload));
}

bool Analyzer::onPacket(const capture::RawPacket& raw) {
  if (raw.frame == 0) {
    return false;  // live read timeout tick
  }
  ++stats_.packets;
  stats_.bytes += raw.caplen;
  if (stats_.packets == 1) {
    stats_.first_ts = raw.ts;
  }
  stats_.last_ts = std::max(stats_.last_ts, raw.ts);

  PacketView p;
  const auto status = capture::decodePacket(raw.linktype, raw.bytes, raw.wirelen, p);
  switch (status) {
    case capture::DecodeStatus::Ok: break;
    case capture::DecodeStatus::NotIp: ++stats_.not_ip; return false;
    case capture::DecodeStatus::NotTcpUdp: ++stats_.not_tcp_udp; return false;
    case capture::DecodeStatus::Fragment: ++stats_.ip_fragments; return false;
    case capture::DecodeStatus::UnsupportedLink: ++stats_.unsupported_link; return false;
    case capture::DecodeStatus::Malformed: ++stats_.malformed; return false;
    case capture::DecodeStatus::Truncated: ++stats_.truncated; return false;
  }

  Flow* flow = lookupOrCreate(raw, p);
  if (flow == nullptr) {
    ++stats_.non_rdp_packets;
    return false;
  }
  if (raw.ts.ns < flow->last_seen.ns && !flow->clock_step_noted) {
    noteClockStep(*flow, raw);
  }
  flow->last_seen = raw.ts;
  expiry_[flow->expiry].splice(expiry_[flow->expiry].end(), expiry_[flow->expiry], flow->expiry_it);

  const bool from_client = p.src == flow->client_ip && p.src_port == flow->client_port;
  const Direction dir = from_client ? Direction::ToServer : Direction::ToClient;
  model::Connection& conn = flow->session->connection();
  conn.end = std::max(conn.end, raw.ts);
  auto& counters = conn.dir(dir);
  ++counters.packets;
  counters.bytes += p.payload.size();
  counters.frame_bytes += raw.wirelen;
  flow->session->setCurrent(raw.frame, raw.ts, dir);
  {
    const std::size_t me = static_cast<std::size_t>(dir);
    flow->since_peer[1 - me] = 0;
    if (flow->since_peer[me]++ == 0) {
      flow->since_peer_first[me] = raw.ts;
    }
    flow->since_peer_last[me] = raw.ts;
  }

  if (p.transport == Transport::Tcp) {
    const std::size_t before = flow->reasm[0]->bufferedBytes() + flow->reasm[1]->bufferedBytes();
    // handleTcp may have finished (destroyed) a tentative flow: then do not touch it.
    if (handleTcp(*flow, raw, p)) {
      if (const Expiry now = expiryOf(*flow); now != flow->expiry) {  // it is the most recent
        expiry_[now].splice(expiry_[now].end(), expiry_[flow->expiry], flow->expiry_it);
        flow->expiry = now;
      }
      const std::size_t after = flow->reasm[0]->bufferedBytes() + flow->reasm[1]->bufferedBytes();
      buffered_bytes_ = buffered_bytes_ - std::min(before, buffered_bytes_) + after;
      if (buffered_bytes_ > options_.max_buffered_bytes) {
        enforceMemory();
      }
    }
  } else {
    handleUdp(*flow, raw, p);
  }

  if (options_.sweep_on_packets && raw.ts.ns - last_sweep_.ns >= kNs) {
    last_sweep_ = raw.ts;
    sweep(raw.ts);
  }
  return true;
}

// The capture's clock stepped back inside this connection: an NTP correction while capturing, or
// files merged out of order. Times after the step are early by its size, and a duration measured
// across it (idle time, time to close) is wrong, so the reader is told once, with the frame.
// Steps under kClockStepNs (a NIC's queues stamping a few microseconds apart) are not worth it.
void Analyzer::noteClockStep(Flow& flow, const capture::RawPacket& raw) {
  // Unsigned: hostile timestamps far apart cannot overflow.
  const std::uint64_t step =
      static_cast<std::uint64_t>(flow.last_seen.ns) - static_cast<std::uint64_t>(raw.ts.ns);
  if (step < kClockStepNs) {
    return;
  }
  flow.clock_step_noted = true;
  const auto shown = static_cast<std::int64_t>(
      std::min<std::uint64_t>(step, static_cast<std::uint64_t>(INT64_MAX)));
  flow.session->connection().notes.push_back(
      "the capture's time goes back " + formatEpoch(Timestamp{shown}) + " s at frame " +
      std::to_string(raw.frame) +
      ": later packets carry earlier times (the capturing host's clock was set back, or files "
      "were merged out of order), so times and durations across that frame are off by as much");
}

bool Analyzer::handleTcp(Flow& flow, const capture::RawPacket& raw, const PacketView& p) {
  (void)raw;
  Session& s = *flow.session;
  model::Connection& conn = s.connection();
  const bool from_client = p.src == flow.client_ip && p.src_port == flow.client_port;
  const Direction dir = from_client ? Direction::ToServer : Direction::ToClient;
  const char* who = from_client ? "client" : "server";
  auto& reasm = *flow.reasm[idx(dir)];
  auto& peer = *flow.reasm[idx(model::opposite(dir))];

  if (p.flags & tcpflag::kSyn) {
    if (!(p.flags & tcpflag::kAck)) {
      const bool retry = flow.syn_seen;
      if (retry) {
        ++conn.syn_retries;
      }
      flow.syn_seen = true;
      flow.syn_seq = p.seq;
      reasm.onSyn(p.seq);
      s.emitTcp("tcp.syn", retry ? "SYN (retransmitted)" : "SYN",
                {{"seq", p.seq}, {"retry", retry}}, model::Stage::Tcp);
    } else {
      const bool retry = flow.synack_seen;
      flow.synack_seen = true;
      reasm.onSyn(p.seq);
      s.emitTcp("tcp.syn_ack", retry ? "SYN-ACK (retransmitted)" : "SYN-ACK",
                {{"seq", p.seq}, {"retry", retry}}, model::Stage::Tcp);
    }
  }

  if (p.flags & tcpflag::kAck) {
    DirectionSink peer_sink(s, model::opposite(dir));
    peer.onPeerAck(p.ack, peer_sink);
  }
  if (p.window == 0 && !(p.flags & (tcpflag::kSyn | tcpflag::kRst))) {
    ++conn.dir(dir).zero_windows;
  }

  const std::uint32_t missing_tail =
      p.payload_wire_len > p.payload.size()
          ? static_cast<std::uint32_t>(p.payload_wire_len - p.payload.size())
          : 0;
  if (!p.payload.empty() || missing_tail > 0) {
    if (flow.tentative) {
      // The first client bytes decide whether a connection on an unusual port is RDP.
      if (from_client && rdp::looksLikeRdpConnectionRequest(p.payload)) {
        flow.tentative = false;
      } else {
        finishFlow(&flow, nullptr);
        return false;
      }
    }
    if (!reasm.started()) {
      s.emitTcp("tcp.gap", "capture starts in the middle of this direction's stream",
                {{"missing", nullptr}, {"reason", "mid_stream_start"}});
    }
    flow.data_seen = true;
    const auto stats_before = reasm.stats();
    DirectionSink sink(s, dir);
    reasm.onSegment(p.seq, p.payload, missing_tail, sink);
    const auto& st = reasm.stats();
    auto& c = conn.dir(dir);
    c.retransmissions += st.retransmissions - stats_before.retransmissions;
    c.overlaps += st.overlaps - stats_before.overlaps;
    c.out_of_order += st.out_of_order - stats_before.out_of_order;
    c.gap_bytes = st.gap_bytes;
  }

  if (p.flags & tcpflag::kFin) {
    if (!flow.fin[idx(dir)]) {
      flow.fin[idx(dir)] = true;
      if (flow.first_close.empty()) {
        flow.first_close = std::string("fin_") + who;
      }
      s.emitTcp("tcp.fin", std::string("FIN from ") + who, {{"by", who}});
      DirectionSink sink(s, dir);
      reasm.flush(sink);
      s.end(dir, EndReason::Fin);
    }
  }
  if (p.flags & tcpflag::kRst) {
    if (!flow.rst[idx(dir)]) {
      flow.rst[idx(dir)] = true;
      if (flow.first_close.empty()) {
        flow.first_close = std::string("rst_") + who;
        if (!from_client && flow.syn_seen && !flow.synack_seen) {
          flow.refused = true;
        }
      }
      s.emitTcp("tcp.rst", std::string("RST from ") + who, {{"by", who}});
      for (Direction d : {Direction::ToServer, Direction::ToClient}) {
        DirectionSink sink(s, d);
        flow.reasm[idx(d)]->flush(sink);
        s.end(d, EndReason::Rst);
      }
    }
  }
  return true;
}

void Analyzer::handleUdp(Flow& flow, const capture::RawPacket& raw, const PacketView& p) {
  (void)raw;
  const bool from_client = p.src == flow.client_ip && p.src_port == flow.client_port;
  const Direction dir = from_client ? Direction::ToServer : Direction::ToClient;
#ifdef RDPSCOPE_HAVE_UDP
  udp::dissectRdpeudpDatagram(p.payload, dir, *flow.session);
#else
  (void)dir;
#endif
}

void Analyzer::finishFlow(Flow* flow, const char* forced_end) {
  auto it = flows_.find(flow->key);
  if (it == flows_.end() || it->second.get() != flow) {
    return;
  }
  std::unique_ptr<Flow> owned = std::move(it->second);
  flows_.erase(it);
  if (last_flow_ == flow) {
    last_flow_ = nullptr;
  }
  expiry_[flow->expiry].erase(flow->expiry_it);
  by_start_.erase(flow->start_it);
  if (!by_start_.empty()) {
    oldest_start_ns_ = by_start_.begin()->first;
  }
  if (flow->reasm[0]) {
    buffered_bytes_ -= std::min(buffered_bytes_,
                                flow->reasm[0]->bufferedBytes() + flow->reasm[1]->bufferedBytes());
  }
  if (flow->tentative) {
    return;  // never shown to be RDP
  }
  Session& s = *flow->session;
  const EndReason why = forced_end == nullptr ? EndReason::CaptureEnd : EndReason::Timeout;
  for (Direction d : {Direction::ToServer, Direction::ToClient}) {
    if (flow->reasm[idx(d)]) {
      DirectionSink sink(s, d);
      flow->reasm[idx(d)]->flush(sink);
    }
    s.end(d, why);
  }
  model::Connection conn = s.finish();
  for (Direction d : {Direction::ToServer, Direction::ToClient}) {
    const std::size_t i = idx(d);
    // The last speaker's trailing packets count only when the peer had spoken at all.
    if (flow->since_peer[i] > 0 && conn.dir(model::opposite(d)).packets > 0) {
      conn.unanswered_tail_from = d;
      conn.unanswered_tail_packets = flow->since_peer[i];
      conn.unanswered_tail_seconds = secondsBetween(flow->since_peer_first[i], flow->since_peer_last[i]);
    }
  }
  if (conn.transport == "udp") {
    conn.tcp_end = "";
  } else if (flow->refused) {
    conn.tcp_end = "refused";
  } else if (flow->syn_seen && !flow->synack_seen && !flow->data_seen &&
             flow->first_close.empty()) {
    conn.tcp_end = "syn_unanswered";
  } else if (!flow->first_close.empty()) {
    conn.tcp_end = flow->first_close;
  } else if (forced_end != nullptr) {
    conn.tcp_end = forced_end;
  } else {
    conn.tcp_end = "capture_end";
  }
  ++stats_.connections;
  sink_(std::move(conn));
  model::releaseTrees(conn);  // what the sink left behind
}

Analyzer::Expiry Analyzer::expiryOf(const Flow& flow) {
  if (flow.closed()) {
    return kExpiresClosed;
  }
  if (flow.syn_seen && !flow.synack_seen && !flow.data_seen) {
    return kExpiresUnanswered;
  }
  return kExpiresIdle;
}

void Analyzer::sweep(Timestamp now) {
  const std::int64_t linger_ns = options_.close_linger_seconds * kNs;
  const std::int64_t idle_ns = std::max(linger_ns, options_.idle_timeout_seconds * kNs);
  // Quiet time after which a flow of each kind is finished; nothing goes before the linger.
  std::array<std::int64_t, kExpiryKinds> due_ns{};
  due_ns[kExpiresIdle] = idle_ns;
  due_ns[kExpiresUnanswered] = std::max(linger_ns, std::min(idle_ns, kUnansweredSynSeconds * kNs));
  due_ns[kExpiresClosed] = linger_ns;
  for (std::size_t kind = 0; kind < kExpiryKinds; ++kind) {
    FlowList& list = expiry_[kind];
    while (!list.empty() && now.ns - list.front()->last_seen.ns >= due_ns[kind]) {
      const std::size_t before = list.size();
      finishFlow(list.front(), kind == kExpiresClosed ? nullptr : "timeout");
      if (list.size() == before) {
        break;  // not in the flow table (cannot happen): never spin
      }
    }
  }
}

void Analyzer::enforceMemory() {
  // Drop the out-of-order buffer of the flow holding the most until under the cap.
  while (buffered_bytes_ > options_.max_buffered_bytes) {
    Flow* worst = nullptr;
    std::size_t worst_bytes = 0;
    for (auto& [key, flow] : flows_) {
      if (!flow->reasm[0]) {
        continue;
      }
      const std::size_t b = flow->reasm[0]->bufferedBytes() + flow->reasm[1]->bufferedBytes();
      if (b > worst_bytes) {
        worst_bytes = b;
        worst = flow.get();
      }
    }
    if (worst == nullptr || worst_bytes == 0) {
      buffered_bytes_ = 0;
      return;
    }
    ++stats_.buffer_evictions;
    worst->session->connection().notes.push_back(
        "out-of-order data dropped: total buffered bytes exceeded the cap");
    for (Direction d : {Direction::ToServer, Direction::ToClient}) {
      DirectionSink sink(*worst->session, d);
      worst->reasm[idx(d)]->dropBuffered(sink);
    }
    buffered_bytes_ -= std::min(buffered_bytes_, worst_bytes);
  }
}

std::optional<Timestamp> Analyzer::oldestOpenStart() const {
  if (by_start_.empty()) {
    return std::nullopt;
  }
  return Timestamp{oldest_start_ns_};  // cached: asked after every packet, the node is cold
}

void Analyzer::finish() {
  // Oldest start first: a streaming caller (OrderedEmitter) can release each connection as soon
  // as it is finished instead of holding every flow that was open at the end.
  while (!by_start_.empty()) {
    finishFlow(by_start_.begin()->second, nullptr);
  }
}

}  // namespace rdpscope::engine
