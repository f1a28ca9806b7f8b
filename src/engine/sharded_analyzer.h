// Parallel analysis (`rdpscope analyze --threads N`, N >= 2): flows sharded by a direction-
// independent hash of their addresses across N analysers, each with its own flow table: one in
// the calling thread (shard 0) and one in each of N - 1 worker threads. The calling thread also
// reads the packets, dispatches them and writes the output, so its shard is half a worker's
// (kLocalSlots : kWorkerSlots); and its own packets are analysed where they are read, without
// the copy into a batch. Dissection, finishing and whatever `Prepare` does (the CLI: diagnose
// and serialize to JSON) run in the analyser that owns the flow.
//
// Same results as one Analyzer:
// - A flow's packets all go to one analyser, in capture order, with their global frame numbers.
//   Packets that do not decode to TCP/UDP go to shard 0 (counted there, as one analyzer would).
// - Idle timeouts: one Analyzer sweeps its flow table at the first packet that reaches a flow
//   once a second of capture time has passed since the last sweep. Whether a packet reaches a
//   flow depends on the whole flow table, so the reader works it out (Analyzer::startsFlow; for
//   the few packets it cannot decide, it asks the owning analyser, waiting if that is a worker)
//   and has every analyser sweep at exactly those packets (a "sweep now" tick in each worker's
//   queue). Each flow is thus finished at the same packet as single-threaded, whatever other
//   flows its analyser sees.
// - Output order: the caller's OrderedEmitter gets the connections in any order, plus a
//   watermark (collect()'s return value): min over analysers of their oldest open flow start and
//   the time of the last packet they processed. Nothing starting before it can still finish.
//
// Differences, only at the caps: --max-flows and the reassembly buffer cap are split across the
// analysers as their hash slots, so when a cap is hit, which flow is evicted (and when) follows
// the analyser's own table. Captures whose timestamps go backwards may place the emitter's "late"
// connections differently (the watermark assumes capture time does not go backwards).
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "capture/packet_source.h"
#include "engine/analyzer.h"
#include "model/connection.h"

namespace rdpscope::engine {

// A finished connection as the workers hand it over: the (possibly stripped) record and an
// opaque payload (the CLI: its serialized JSON), the pair OrderedEmitter::push takes.
struct PreparedConnection {
  model::Connection conn;
  std::string payload;
};

struct ShardedStats {
  std::uint64_t batches = 0;       // batches handed to workers
  std::uint64_t sweep_ticks = 0;   // sweeps broadcast to every worker
  std::uint64_t sync_waits = 0;    // times the reader waited for a worker to decide a sweep
  std::uint64_t full_waits = 0;    // times the reader waited for room in a full queue
};

class ShardedAnalyzer {
 public:
  // Runs in a worker thread, once per finished connection. Must be thread-safe.
  using Prepare = std::function<PreparedConnection(model::Connection&&)>;
  // Runs in the calling thread.
  using Collect = std::function<void(PreparedConnection&&)>;

  static constexpr std::size_t kBatchPackets = 512;
  static constexpr std::size_t kQueueBatches = 4;  // per worker: bounds memory (backpressure)
  // Hash slots per analyser: flows go to slot hash % (kLocalSlots + kWorkerSlots * workers).
  static constexpr std::size_t kLocalSlots = 1;
  static constexpr std::size_t kWorkerSlots = 2;

  // `options.max_flows` and `max_buffered_bytes` are totals, split across the analysers.
  // `threads` analysers: this thread's and threads - 1 workers (none for 1).
  ShardedAnalyzer(const AnalyzerOptions& options, std::size_t threads, Prepare prepare);
  ~ShardedAnalyzer();  // stops and joins the workers
  ShardedAnalyzer(const ShardedAnalyzer&) = delete;
  ShardedAnalyzer& operator=(const ShardedAnalyzer&) = delete;

  // Analyses the packet here if its flow is this thread's, else copies it into its worker's
  // batch (the reader reuses its buffer). May block while that worker's queue is full.
  void onPacket(const capture::RawPacket& packet);
  // Hands every connection finished since the last call to `collect` (in this thread) and returns
  // the watermark: every connection starting before it has been handed over.
  Timestamp collect(const Collect& collect);
  // Capture end: every analyser finishes its open flows (by start time); `collect` gets them and
  // `release` each new watermark, until all are done.
  void finish(const Collect& collect, const std::function<void(Timestamp)>& release);

  // Summed over analysers (peak_flows: sum of their peaks); packets, bytes and the capture
  // start/end are counted by the reader, exactly as one Analyzer would.
  AnalyzerStats stats() const;
  std::uint64_t packets() const { return reader_stats_.packets; }
  // The analyser that owns the packet's flow: 0 for this thread's, s >= 1 for worker s.
  std::size_t shardOf(const capture::PacketView& p) const;
  const ShardedStats& shardedStats() const { return sharded_stats_; }

 private:
  struct Entry;
  struct Batch;
  // A flow's addresses, lower (ip, port) first: both directions give the same key.
  struct FlowKey {
    std::array<std::uint8_t, 37> bytes{};
    bool operator==(const FlowKey&) const = default;
  };
  struct FlowKeyHash {
    std::size_t operator()(const FlowKey& k) const noexcept;
  };
  static FlowKey keyOf(const capture::PacketView& p);
  struct Result;
  struct Worker;

  // Whether the packet reaches a flow in its analyser (the condition for a sweep tick).
  bool reachesFlow(const capture::RawPacket& raw, capture::DecodeStatus status,
                   const capture::PacketView& p, std::size_t shard);
  void trackNonRdpPortFlow(const capture::PacketView& p);
  // Into a worker's batch (`report`: it tells whether the packet reached a flow).
  void append(Worker& w, const capture::RawPacket& raw, bool tick, bool report);
  void flush(Worker& w);
  void workerLoop(Worker& w);
  void rethrowWorkerError();

  AnalyzerOptions options_;
  Prepare prepare_;
  // Shard 0, analysed in this thread; its finished connections wait in local_pending_ for
  // collect().
  std::unique_ptr<Analyzer> local_;
  std::vector<PreparedConnection> local_pending_;
  bool local_done_ = false;  // capture end: its flows are all finished
  // While finish() finishes shard 0: where its connections go, in chunks.
  const Collect* finishing_collect_ = nullptr;
  const std::function<void(Timestamp)>* finishing_release_ = nullptr;
  std::vector<std::unique_ptr<Worker>> workers_;

  // Shared between the reader and the workers (under mutex_).
  std::mutex mutex_;
  std::condition_variable reader_cv_;  // results posted, or room in a queue
  std::exception_ptr worker_error_;
  // Bumped (under mutex_) whenever a worker posts: collect() skips the lock when unchanged.
  std::atomic<std::uint64_t> generation_{0};
  std::uint64_t seen_generation_ = ~std::uint64_t{0};
  Timestamp watermark_{std::numeric_limits<std::int64_t>::min()};

  // Reader-only state.
  Timestamp last_tick_{};
  // Addresses of TCP flows on two non-RDP ports that may exist in a worker (started by a SYN or
  // an X.224 Connection Request): only their packets can reach a flow without starting one.
  // value: true once an X.224 request was seen (the flow is kept), false while tentative.
  std::unordered_map<FlowKey, bool, FlowKeyHash> maybe_flows_;
  bool maybe_flows_overflow_ = false;  // too many to track: ask the worker for all of them
  AnalyzerStats reader_stats_;
  ShardedStats sharded_stats_;
  std::vector<std::optional<Timestamp>> oldest_;  // per worker, as last collected
  std::vector<Timestamp> time_;                   // per worker, as last collected
  bool finished_ = false;
};

}  // namespace rdpscope::engine
