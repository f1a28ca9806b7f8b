// Streaming, deterministic output order for finished connections.
//
// The analyzer finishes connections in the order they end (FIN, idle timeout, eviction), but
// outputs list them by (start, client ip, client port, server ip, server port, transport). This
// component takes finished connections in any order and releases them in that order as soon as
// nothing can still precede them: no open flow (whose start is >= Analyzer::oldestOpenStart())
// and no flow not yet created (whose start is >= the time of the packet being read). So memory
// holds only connections that finished while an older one is still open, not the whole capture.
//
// Usage (single-threaded, next to the packet loop):
//   OrderedEmitter emitter([&](model::Connection&& c) { write(c); });
//   Analyzer analyzer(opts, [&](model::Connection&& c) { diagnose(c); emitter.push(std::move(c)); });
//   while (source.next(pkt)) {
//     analyzer.onPacket(pkt);
//     emitter.release(analyzer.oldestOpenStart(), pkt.ts);   // cheap: O(1) when nothing is due
//   }
//   analyzer.finish();
//   emitter.flush();
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/timestamp.h"
#include "model/connection.h"

namespace rdpscope::engine {

// The output order: (start, client ip, client port, server ip, server port, transport), the same
// comparison the CLI used when it sorted the whole vector (IPs compare as their text).
bool connectionOrderLess(const model::Connection& a, const model::Connection& b);

struct OrderedEmitterStats {
  std::uint64_t pushed = 0;
  std::uint64_t released = 0;
  std::size_t peak_held = 0;
  // Connections released before they were provably in order because more than max_held were
  // waiting (a very long session keeps the watermark back). Output stays complete, but these
  // may appear before a connection that started earlier.
  std::uint64_t forced = 0;
  // Connections pushed after a later-sorting one had already been released (capture timestamps
  // going backwards): released at once, out of order.
  std::uint64_t late = 0;
};

class OrderedEmitter {
 public:
  using Sink = std::function<void(model::Connection&&)>;
  // With a payload: an opaque string carried along with each connection (the CLI holds the
  // connection's serialized JSON and a stripped Connection, far smaller than the full one).
  using PayloadSink = std::function<void(model::Connection&&, std::string&&)>;
  static constexpr std::size_t kDefaultMaxHeld = 200'000;

  explicit OrderedEmitter(Sink sink, std::size_t max_held = kDefaultMaxHeld);
  explicit OrderedEmitter(PayloadSink sink, std::size_t max_held = kDefaultMaxHeld);
  OrderedEmitter(const OrderedEmitter&) = delete;
  OrderedEmitter& operator=(const OrderedEmitter&) = delete;

  // A finished connection (any order). Never released from inside push(), except `late` ones
  // and when the max_held cap forces the earliest out.
  void push(model::Connection&& conn, std::string payload = {});

  // Releases, in order, every held connection whose start is strictly earlier than the
  // watermark = min(oldest_open_start, now). `oldest_open_start` is Analyzer::oldestOpenStart()
  // (nullopt: no flow open); `now` is the timestamp of the packet just analysed (a flow created
  // later starts at or after it). Equal starts wait: an open flow starting at the same instant
  // may sort first by address.
  void release(std::optional<Timestamp> oldest_open_start, Timestamp now);

  // Releases everything held, in order (after Analyzer::finish(): nothing is open any more).
  void flush();

  std::size_t held() const { return heap_.size(); }
  const OrderedEmitterStats& stats() const { return stats_; }

 private:
  struct Held {
    model::Connection conn;
    std::string payload;
  };
  // A heap entry: the start time (which decides nearly every comparison) next to the held
  // connection's address. Sifting moves these 24 bytes, not whole connections (thousands are
  // held while a long session is open, and each push and pop moved ~log2 of them).
  struct Slot {
    std::int64_t start_ns = 0;
    std::uint64_t seq = 0;  // push order: ties release first-pushed first (stable)
    std::unique_ptr<Held> held;
  };
  struct Later {
    bool operator()(const Slot& a, const Slot& b) const;
  };
  void popOne();

  PayloadSink sink_;
  std::size_t max_held_;
  std::vector<Slot> heap_;  // min-heap by (order key, seq)
  std::uint64_t next_seq_ = 0;
  bool have_last_ = false;
  // Key of the last released connection (to detect late arrivals).
  Timestamp last_start_{};
  std::string last_client_ip_;
  std::uint16_t last_client_port_ = 0;
  std::string last_server_ip_;
  std::uint16_t last_server_port_ = 0;
  std::string last_transport_;
  OrderedEmitterStats stats_;
};

}  // namespace rdpscope::engine
