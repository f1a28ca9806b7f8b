#include "engine/sharded_analyzer.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include "core/hash.h"
#include "rdp/rdp_probe.h"

namespace rdpscope::engine {

using capture::DecodeStatus;
using capture::PacketView;
using capture::Transport;

namespace {

constexpr std::int64_t kNs = 1'000'000'000;
constexpr std::uint16_t kRdpPort = 3389;
// A batch is handed over at this many bytes of packet data even if not full (jumbo frames).
constexpr std::size_t kBatchBytes = std::size_t{1} << 20;
// Beyond this many tracked non-RDP-port flows, every such packet is treated as "maybe".
constexpr std::size_t kMaxTrackedFlows = std::size_t{1} << 20;
constexpr Timestamp kEndOfTime{std::numeric_limits<std::int64_t>::max()};
// At capture end, finished connections are handed over this many at a time.
constexpr std::size_t kFinishChunk = 256;

// splitmix64's finalizer: every input bit reaches every output bit, so "h % n" uses them all.
std::uint64_t avalanche(std::uint64_t h) {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

std::uint64_t hashKey(const std::array<std::uint8_t, 37>& k) {
  std::uint64_t h = 1469598103934665603ull;
  for (std::size_t i = 0; i < 32; i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, k.data() + i, 8);
    h = hashMix(h, w);
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, k.data() + 32, 5);
  return avalanche(hashMix(h, tail));
}

}  // namespace

ShardedAnalyzer::FlowKey ShardedAnalyzer::keyOf(const PacketView& p) {
  const bool src_first = std::tie(p.src, p.src_port) < std::tie(p.dst, p.dst_port);
  const auto& a = src_first ? p.src : p.dst;
  const auto& b = src_first ? p.dst : p.src;
  const std::uint16_t pa = src_first ? p.src_port : p.dst_port;
  const std::uint16_t pb = src_first ? p.dst_port : p.src_port;
  FlowKey k;
  std::memcpy(k.bytes.data(), a.bytes.data(), 16);
  std::memcpy(k.bytes.data() + 16, b.bytes.data(), 16);
  std::memcpy(k.bytes.data() + 32, &pa, 2);
  std::memcpy(k.bytes.data() + 34, &pb, 2);
  k.bytes[36] = static_cast<std::uint8_t>(p.transport);
  return k;
}

std::size_t ShardedAnalyzer::FlowKeyHash::operator()(const FlowKey& k) const noexcept {
  return static_cast<std::size_t>(hashKey(k.bytes));
}

// One item of a batch: a packet (its bytes in the batch's arena) or a sweep tick.
struct ShardedAnalyzer::Entry {
  std::uint64_t frame = 0;
  Timestamp ts{};
  int linktype = 0;
  std::uint32_t caplen = 0;
  std::uint32_t wirelen = 0;
  std::size_t offset = 0;        // into Batch::bytes
  std::size_t source_index = 0;
  bool tick = false;    // no packet: sweep the flow table at `ts`
  bool report = false;  // tell the reader whether this packet reached a flow
};

struct ShardedAnalyzer::Batch {
  std::vector<Entry> entries;
  std::vector<std::uint8_t> bytes;  // copies of the packets (libpcap reuses its buffer)
  bool finish = false;              // capture end: finish every open flow after the entries
  void clear() {
    entries.clear();
    bytes.clear();
    finish = false;
  }
};

struct ShardedAnalyzer::Worker {
  std::unique_ptr<Analyzer> analyzer;
  std::thread thread;

  // Under ShardedAnalyzer::mutex_.
  std::deque<Batch> queue;
  std::vector<Batch> spare;  // processed batches, reused (their buffers stay allocated)
  std::condition_variable cv;  // queue not empty, or stop
  std::vector<PreparedConnection> posted;  // finished, not yet collected
  std::optional<Timestamp> oldest;  // oldest open flow start after the last processed batch
  Timestamp time{std::numeric_limits<std::int64_t>::min()};  // last entry processed
  std::uint64_t batches_done = 0;
  bool reached = false;  // answer for the last `report` packet
  bool done = false;     // capture end processed (or failed)
  bool stop = false;

  // Worker thread only.
  std::vector<PreparedConnection> pending;
  bool finishing = false;

  // Reader only.
  Batch filling;
  std::uint64_t batches_sent = 0;
};

ShardedAnalyzer::ShardedAnalyzer(const AnalyzerOptions& options, std::size_t threads,
                                 Prepare prepare)
    : options_(options), prepare_(std::move(prepare)) {
  const std::size_t n = std::max<std::size_t>(threads, 1);
  // The caps are totals: each analyser gets the share of its hash slots (this thread's the
  // rounding remainder), so no shard fills up while the whole would still have room.
  const std::size_t slots = kLocalSlots + kWorkerSlots * (n - 1);
  auto part = [&](std::size_t total, std::size_t i) {
    const auto worker = static_cast<std::size_t>(
        static_cast<unsigned __int128>(total) * kWorkerSlots / slots);
    return std::max<std::size_t>(1, i == 0 ? total - worker * (n - 1) : worker);
  };
  auto share = [&](std::size_t i) {
    AnalyzerOptions o = options;
    o.max_flows = part(options.max_flows, i);
    o.max_buffered_bytes = part(options.max_buffered_bytes, i);
    o.max_flows_reported = options.max_flows;
    o.sweep_on_packets = false;  // the reader decides the sweeps (see the header)
    return o;
  };
  local_ = std::make_unique<Analyzer>(share(0), [this](model::Connection&& c) {
    local_pending_.push_back(prepare_(std::move(c)));
    // At capture end, hand them over in chunks while the rest are finished, as the workers do.
    if (finishing_collect_ != nullptr && local_pending_.size() >= kFinishChunk) {
      (*finishing_release_)(this->collect(*finishing_collect_));
    }
  });
  oldest_.resize(n - 1);
  time_.assign(n - 1, Timestamp{std::numeric_limits<std::int64_t>::min()});
  for (std::size_t i = 1; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    Worker* raw = w.get();
    w->analyzer = std::make_unique<Analyzer>(share(i), [this, raw](model::Connection&& c) {
      raw->pending.push_back(prepare_(std::move(c)));
      // At capture end one worker may finish thousands of flows: hand them over in chunks, so
      // the reader can write them while the rest are finished.
      if (raw->finishing && raw->pending.size() >= kFinishChunk) {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& pc : raw->pending) {
          raw->posted.push_back(std::move(pc));
        }
        raw->pending.clear();
        raw->oldest = raw->analyzer->oldestOpenStart();
        raw->time = kEndOfTime;
        generation_.fetch_add(1, std::memory_order_release);
        reader_cv_.notify_one();
      }
    });
    workers_.push_back(std::move(w));
  }
  for (auto& w : workers_) {
    w->thread = std::thread([this, raw = w.get()] { workerLoop(*raw); });
  }
}

ShardedAnalyzer::~ShardedAnalyzer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& w : workers_) {
      w->stop = true;
      w->cv.notify_one();
    }
  }
  for (auto& w : workers_) {
    if (w->thread.joinable()) {
      w->thread.join();
    }
  }
}

void ShardedAnalyzer::workerLoop(Worker& w) {
  for (;;) {
    Batch batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      w.cv.wait(lock, [&] { return w.stop || !w.queue.empty(); });
      if (w.stop) {
        return;
      }
      batch = std::move(w.queue.front());
      w.queue.pop_front();
      reader_cv_.notify_one();  // room in the queue
    }
    bool reached = false;
    Timestamp time{std::numeric_limits<std::int64_t>::min()};
    try {
      for (const Entry& e : batch.entries) {
        if (e.tick) {
          w.analyzer->sweepAt(e.ts);
        } else {
          capture::RawPacket raw;
          raw.frame = e.frame;
          raw.ts = e.ts;
          raw.linktype = e.linktype;
          raw.caplen = e.caplen;
          raw.wirelen = e.wirelen;
          raw.bytes = ByteView(batch.bytes.data() + e.offset, e.caplen);
          raw.source_index = e.source_index;
          const bool r = w.analyzer->onPacket(raw);
          if (e.report) {
            reached = r;
          }
        }
        time = e.ts;
      }
      if (batch.finish) {
        w.finishing = true;
        w.analyzer->finish();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!worker_error_) {
        worker_error_ = std::current_exception();
      }
      w.done = true;
      ++w.batches_done;
      generation_.fetch_add(1, std::memory_order_release);
      reader_cv_.notify_one();
      return;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& pc : w.pending) {
      w.posted.push_back(std::move(pc));
    }
    w.pending.clear();
    w.oldest = w.analyzer->oldestOpenStart();
    if (batch.finish) {
      w.time = kEndOfTime;
      w.done = true;
    } else if (!batch.entries.empty()) {
      w.time = time;
    }
    w.reached = reached;
    ++w.batches_done;
    batch.clear();
    w.spare.push_back(std::move(batch));
    generation_.fetch_add(1, std::memory_order_release);
    reader_cv_.notify_one();
  }
}

std::size_t ShardedAnalyzer::shardOf(const PacketView& p) const {
  if (workers_.empty()) {
    return 0;
  }
  // Each end hashed on its own and the two combined in a fixed order: both directions agree,
  // without building and comparing the canonical key (keyOf) for every packet.
  auto end_hash = [](const capture::IpAddress& ip, std::uint16_t port) {
    std::uint64_t w[2];
    std::memcpy(w, ip.bytes.data(), sizeof w);
    return hashMix(hashMix(hashMix(1469598103934665603ull, w[0]), w[1]), port);
  };
  const std::uint64_t a = end_hash(p.src, p.src_port);
  const std::uint64_t b = end_hash(p.dst, p.dst_port);
  const std::uint64_t h = avalanche(
      hashMix(hashMix(std::min(a, b), std::max(a, b)), static_cast<std::uint64_t>(p.transport)));
  // h scaled to [0, slots) by a multiply (Lemire's "fastrange"): a 64-bit division per packet
  // was a tenth of the reader's time.
  const std::size_t slots = kLocalSlots + kWorkerSlots * workers_.size();
  const auto slot = static_cast<std::size_t>((static_cast<unsigned __int128>(h) * slots) >> 64);
  return slot < kLocalSlots ? 0 : 1 + (slot - kLocalSlots) / kWorkerSlots;
}

void ShardedAnalyzer::onPacket(const capture::RawPacket& raw) {
  if (raw.frame == 0) {
    return;  // live read timeout tick (live capture does not use threads)
  }
  ++reader_stats_.packets;
  reader_stats_.bytes += raw.caplen;
  if (reader_stats_.packets == 1) {
    reader_stats_.first_ts = raw.ts;
  }
  reader_stats_.last_ts = std::max(reader_stats_.last_ts, raw.ts);

  PacketView p;
  const DecodeStatus status = capture::decodePacket(raw.linktype, raw.bytes, raw.wirelen, p);
  const std::size_t shard = status == DecodeStatus::Ok ? shardOf(p) : 0;

  // Analyzer sweeps at the first packet reaching a flow a second (or more) after its last sweep;
  // only then does it matter whether this packet reaches a flow.
  bool tick = false;
  if (raw.ts.ns - last_tick_.ns >= kNs) {
    tick = reachesFlow(raw, status, p, shard);  // analyses or appends the packet
  } else if (shard == 0) {
    local_->onPacket(raw);
  } else {
    append(*workers_[shard - 1], raw, false, false);
  }
  if (status == DecodeStatus::Ok) {
    trackNonRdpPortFlow(p);
  }
  if (tick) {
    last_tick_ = raw.ts;
    ++sharded_stats_.sweep_ticks;
    local_->sweepAt(raw.ts);
    for (auto& w : workers_) {
      append(*w, raw, true, false);
      flush(*w);  // also keeps idle workers' published time moving
    }
  } else if (shard > 0) {
    Worker& w = *workers_[shard - 1];
    if (w.filling.entries.size() >= kBatchPackets || w.filling.bytes.size() >= kBatchBytes) {
      flush(w);
    }
  }
}

bool ShardedAnalyzer::reachesFlow(const capture::RawPacket& raw, DecodeStatus status,
                                  const PacketView& p, std::size_t shard) {
  if (shard == 0) {
    // This thread's analyser answers at once.
    return local_->onPacket(raw);
  }
  Worker& w = *workers_[shard - 1];
  bool reaches = false;
  if (status != DecodeStatus::Ok) {
    reaches = false;
  } else if (Analyzer::startsFlow(p, options_.extra_ports)) {
    reaches = true;  // an existing flow or a new one
  } else if (p.transport == Transport::Tcp &&
             (maybe_flows_overflow_ || maybe_flows_.count(keyOf(p)) > 0)) {
    // Only the worker knows whether this flow still exists: ask it, and wait.
    append(w, raw, false, true);
    flush(w);
    ++sharded_stats_.sync_waits;
    std::unique_lock<std::mutex> lock(mutex_);
    const std::uint64_t target = w.batches_sent;
    reader_cv_.wait(lock, [&] { return w.batches_done >= target || worker_error_; });
    if (worker_error_) {
      lock.unlock();
      rethrowWorkerError();
    }
    return w.reached;
  }
  append(w, raw, false, false);
  return reaches;
}

// Mirrors which TCP flows between two non-RDP ports can exist in a worker (see maybe_flows_).
// It may keep a flow the worker has already finished (harmless: the reader then asks), but
// must never drop one the worker still has.
void ShardedAnalyzer::trackNonRdpPortFlow(const PacketView& p) {
  auto rdp_port = [&](std::uint16_t port) {
    return port == kRdpPort || std::find(options_.extra_ports.begin(), options_.extra_ports.end(),
                                         port) != options_.extra_ports.end();
  };
  if (p.transport != Transport::Tcp || rdp_port(p.src_port) || rdp_port(p.dst_port) ||
      maybe_flows_overflow_) {
    return;
  }
  const bool syn = (p.flags & capture::tcpflag::kSyn) && !(p.flags & capture::tcpflag::kAck);
  const bool has_payload = !p.payload.empty() || p.payload_wire_len > p.payload.size();
  if (syn) {
    maybe_flows_.try_emplace(keyOf(p), false);  // tentative, unless already kept
  } else if (!p.payload.empty() && rdp::looksLikeRdpConnectionRequest(p.payload)) {
    maybe_flows_[keyOf(p)] = true;  // an RDP request: the flow is kept
  } else if (has_payload) {
    // A tentative flow's first bytes are not an RDP request: Analyzer finishes it.
    auto it = maybe_flows_.find(keyOf(p));
    if (it != maybe_flows_.end() && !it->second) {
      maybe_flows_.erase(it);
    }
  }
  if (maybe_flows_.size() > kMaxTrackedFlows) {
    maybe_flows_.clear();
    maybe_flows_overflow_ = true;
  }
}

void ShardedAnalyzer::append(Worker& w, const capture::RawPacket& raw, bool tick, bool report) {
  Batch& b = w.filling;
  Entry e;
  e.ts = raw.ts;
  e.tick = tick;
  if (!tick) {
    e.frame = raw.frame;
    e.linktype = raw.linktype;
    e.caplen = raw.caplen;
    e.wirelen = raw.wirelen;
    e.source_index = raw.source_index;
    e.report = report;
    e.offset = b.bytes.size();
    b.bytes.insert(b.bytes.end(), raw.bytes.begin(), raw.bytes.end());
  }
  b.entries.push_back(e);
}

void ShardedAnalyzer::flush(Worker& w) {
  if (w.filling.entries.empty() && !w.filling.finish) {
    return;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  if (w.queue.size() >= kQueueBatches) {
    ++sharded_stats_.full_waits;
    reader_cv_.wait(lock, [&] { return w.queue.size() < kQueueBatches || worker_error_; });
  }
  if (worker_error_) {
    lock.unlock();
    rethrowWorkerError();
  }
  w.queue.push_back(std::move(w.filling));
  if (!w.spare.empty()) {
    w.filling = std::move(w.spare.back());
    w.spare.pop_back();
  } else {
    w.filling = Batch{};
  }
  ++w.batches_sent;
  ++sharded_stats_.batches;
  w.cv.notify_one();
}

Timestamp ShardedAnalyzer::collect(const Collect& collect) {
  // Called after every packet: without a new post since the last call nothing changed that
  // matters (the previous watermark is still safe: flows starting since start after it), so no
  // lock.
  const std::uint64_t generation = generation_.load(std::memory_order_acquire);
  if (generation == seen_generation_ && local_pending_.empty()) {
    return watermark_;
  }
  seen_generation_ = generation;
  std::vector<std::vector<PreparedConnection>> got(workers_.size());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (worker_error_) {
      // handled below, outside the lock
    } else {
      for (std::size_t i = 0; i < workers_.size(); ++i) {
        Worker& w = *workers_[i];
        got[i].swap(w.posted);
        oldest_[i] = w.oldest;
        // A worker with nothing in flight sees no packet before the reader's next one.
        const bool idle = !finished_ && w.batches_done == w.batches_sent && w.filling.entries.empty();
        time_[i] = idle ? std::max(w.time, reader_stats_.last_ts) : w.time;
      }
    }
  }
  rethrowWorkerError();
  std::vector<PreparedConnection> local;
  local.swap(local_pending_);
  for (auto& pc : local) {
    collect(std::move(pc));
  }
  for (auto& list : got) {
    for (auto& pc : list) {
      collect(std::move(pc));
    }
  }
  // This thread's analyser has seen every packet read so far.
  Timestamp watermark = local_done_ ? kEndOfTime : reader_stats_.last_ts;
  if (const std::optional<Timestamp> oldest = local_->oldestOpenStart()) {
    watermark = std::min(watermark, *oldest);
  }
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    watermark = std::min(watermark, time_[i]);
    if (oldest_[i]) {
      watermark = std::min(watermark, *oldest_[i]);
    }
  }
  watermark_ = watermark;
  return watermark;
}

void ShardedAnalyzer::finish(const Collect& collect,
                             const std::function<void(Timestamp)>& release) {
  finished_ = true;
  for (auto& w : workers_) {
    w->filling.finish = true;
    flush(*w);
  }
  finishing_collect_ = &collect;
  finishing_release_ = &release;
  local_->finish();  // while the workers finish theirs
  finishing_collect_ = nullptr;
  finishing_release_ = nullptr;
  local_done_ = true;
  for (;;) {
    bool all_done = true;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      auto ready = [&] {
        if (worker_error_) {
          return true;
        }
        bool done = true;
        for (auto& w : workers_) {
          if (!w->posted.empty()) {
            return true;
          }
          done = done && w->done;
        }
        return done;
      };
      reader_cv_.wait(lock, ready);
      for (auto& w : workers_) {
        all_done = all_done && w->done;
      }
    }
    release(this->collect(collect));
    if (all_done) {
      // Nothing can be posted any more; one last collect picked up everything.
      return;
    }
  }
}

void ShardedAnalyzer::rethrowWorkerError() {
  std::exception_ptr e;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    e = worker_error_;
  }
  if (e) {
    std::rethrow_exception(e);
  }
}

AnalyzerStats ShardedAnalyzer::stats() const {
  AnalyzerStats s = reader_stats_;
  std::vector<const Analyzer*> analysers{local_.get()};
  for (const auto& w : workers_) {
    analysers.push_back(w->analyzer.get());
  }
  for (const Analyzer* a : analysers) {
    const AnalyzerStats& ws = a->stats();
    s.not_ip += ws.not_ip;
    s.not_tcp_udp += ws.not_tcp_udp;
    s.ip_fragments += ws.ip_fragments;
    s.unsupported_link += ws.unsupported_link;
    s.malformed += ws.malformed;
    s.truncated += ws.truncated;
    s.non_rdp_packets += ws.non_rdp_packets;
    s.connections += ws.connections;
    s.flows_evicted += ws.flows_evicted;
    s.buffer_evictions += ws.buffer_evictions;
    s.peak_flows += ws.peak_flows;
  }
  return s;
}

}  // namespace rdpscope::engine
