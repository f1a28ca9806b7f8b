// The stream engine: packets in, finished connections out. It decodes each packet, keeps the
// bidirectional flow table (client = SYN sender; without a SYN, the side not on the RDP port),
// tracks TCP state, reassembles each direction, feeds the RDP dissector chain, and hands every
// finished connection (closed, idle, evicted or at capture end) to the caller, diagnosed.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "capture/packet_decode.h"
#include "capture/packet_source.h"
#include "core/limits.h"
#include "engine/session.h"
#include "model/connection.h"
#include "stream/tcp_reassembler.h"

namespace rdpscope::engine {

struct AnalyzerOptions {
  std::vector<std::uint16_t> extra_ports;  // besides 3389
  const KeyStore* keys = nullptr;
  bool redact_identities = false;
  std::size_t max_flows = limits::kDefaultMaxFlows;
  // The --max-flows value the eviction note names (0: max_flows). ShardedAnalyzer gives each
  // worker a share of the user's cap; the note still names the user's.
  std::size_t max_flows_reported = 0;
  std::size_t max_buffered_bytes = limits::kDefaultMaxBufferedBytes;
  std::int64_t idle_timeout_seconds = limits::kIdleTimeoutSeconds;
  // Seconds of capture time to wait after a close before finishing the connection (late ACKs,
  // retransmitted FINs belong to it).
  std::int64_t close_linger_seconds = 5;
  // Idle / linger sweep once a second of capture time, from onPacket(). False: the caller
  // drives it with sweepAt() (engine::ShardedAnalyzer, so every shard sweeps at the instants
  // the single-threaded analyzer would).
  bool sweep_on_packets = true;
  // Connections come out with their compact events still compact (SessionConfig): for a sink that
  // reads them only through the rules and the JSON writer.
  bool compact_events = false;
};

struct AnalyzerStats {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t not_ip = 0;
  std::uint64_t not_tcp_udp = 0;
  std::uint64_t ip_fragments = 0;
  std::uint64_t unsupported_link = 0;
  std::uint64_t malformed = 0;
  std::uint64_t truncated = 0;
  std::uint64_t non_rdp_packets = 0;
  std::uint64_t connections = 0;
  std::uint64_t flows_evicted = 0;
  std::uint64_t buffer_evictions = 0;
  std::size_t peak_flows = 0;
  Timestamp first_ts{};
  Timestamp last_ts{};
};

class Analyzer {
 public:
  using ConnectionSink = std::function<void(model::Connection&&)>;

  Analyzer(AnalyzerOptions options, ConnectionSink sink);
  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  // Returns whether the packet reached a flow (an existing one or one it created): only those
  // packets advance the once-a-second sweep.
  bool onPacket(const capture::RawPacket& packet);
  // Finishes closed flows quiet for close_linger_seconds and idle ones (see sweep_on_packets).
  void sweepAt(Timestamp now) { sweep(now); }
  // Whether this packet creates a flow when none exists for its addresses (the tests at the
  // top of lookupOrCreate, which must stay in step): lets a reader that has no flow table know
  // that the packet reaches a flow.
  static bool startsFlow(const capture::PacketView& p, const std::vector<std::uint16_t>& extra_ports);
  // Finishes every open connection (capture end / Ctrl-C), in order of start time.
  void finish();
  const AnalyzerStats& stats() const { return stats_; }
  std::size_t openFlows() const { return flows_.size(); }
  // Earliest start among the flows still open (nullopt when none is open). A connection that
  // finishes later starts no earlier than this (or than the next packet's time, for flows not yet
  // created): the watermark of engine::OrderedEmitter. O(1).
  std::optional<Timestamp> oldestOpenStart() const;

 private:
  struct FlowKey {
    capture::IpAddress a;
    capture::IpAddress b;
    std::uint16_t port_a = 0;
    std::uint16_t port_b = 0;
    capture::Transport transport = capture::Transport::Tcp;
    bool operator==(const FlowKey& o) const noexcept;
  };
  struct FlowKeyHash {
    std::size_t operator()(const FlowKey& k) const noexcept;
  };
  struct Flow;
  using FlowList = std::list<Flow*>;
  using StartIndex = std::multimap<std::int64_t, Flow*>;

  bool isRdpPort(std::uint16_t port) const;
  static FlowKey makeKey(const capture::PacketView& p);
  Flow* lookupOrCreate(const capture::RawPacket& raw, const capture::PacketView& p);
  // Returns false when the flow was finished (and destroyed) while handling the packet.
  bool handleTcp(Flow& flow, const capture::RawPacket& raw, const capture::PacketView& p);
  void handleUdp(Flow& flow, const capture::RawPacket& raw, const capture::PacketView& p);
  void finishFlow(Flow* flow, const char* forced_end);
  void noteClockStep(Flow& flow, const capture::RawPacket& raw);
  void sweep(Timestamp now);
  void enforceMemory();

  AnalyzerOptions options_;
  ConnectionSink sink_;
  AnalyzerStats stats_;
  std::unordered_map<FlowKey, std::unique_ptr<Flow>, FlowKeyHash> flows_;
  Flow* last_flow_ = nullptr;  // the flow of the previous packet (cleared when it finishes)
  // Open flows by how they expire, each list least recently active first; a flow moves to the
  // back of its list on every packet, so a sweep only visits flows that are due.
  enum Expiry : std::size_t { kExpiresIdle, kExpiresUnanswered, kExpiresClosed, kExpiryKinds };
  static Expiry expiryOf(const Flow& flow);
  std::array<FlowList, kExpiryKinds> expiry_;
  StartIndex by_start_;  // open flows by connection start (for oldestOpenStart)
  std::int64_t oldest_start_ns_ = 0;  // by_start_.begin()->first while not empty
  std::size_t buffered_bytes_ = 0;
  Timestamp last_sweep_{};
};

}  // namespace rdpscope::engine
