// ShardedAnalyzer (--threads N): the same connections as one Analyzer, in particular when a
// flow's idle timeout is decided by packets of OTHER flows (which live in other workers).
// Synthetic Ethernet/IPv4/TCP packets.
#include "engine/sharded_analyzer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <thread>
#include <vector>

namespace rdpscope::engine {
namespace {

constexpr std::int64_t kS = 1'000'000'000;

struct Pkt {
  std::vector<std::uint8_t> bytes;
  std::int64_t ts_ns = 0;
};

// Ethernet + IPv4 + TCP (no options), 10.0.0.<c>:<cport> -> 10.0.1.1:<sport> or back.
Pkt tcp(std::int64_t ts_ns, std::uint8_t client, std::uint16_t cport, std::uint16_t sport,
        bool to_server, std::uint8_t flags, std::uint32_t seq, std::vector<std::uint8_t> payload = {}) {
  std::vector<std::uint8_t> b(14, 0);
  b[12] = 0x08;  // IPv4
  const std::size_t ip_len = 20 + 20 + payload.size();
  const std::uint8_t src[4] = {10, 0, 0, client};
  const std::uint8_t dst[4] = {10, 0, 1, 1};
  const std::uint8_t* s = to_server ? src : dst;
  const std::uint8_t* d = to_server ? dst : src;
  b.insert(b.end(), {0x45, 0, static_cast<std::uint8_t>(ip_len >> 8), static_cast<std::uint8_t>(ip_len),
                     0, 0, 0x40, 0, 64, 6, 0, 0});
  b.insert(b.end(), s, s + 4);
  b.insert(b.end(), d, d + 4);
  const std::uint16_t sp = to_server ? cport : sport;
  const std::uint16_t dp = to_server ? sport : cport;
  b.insert(b.end(), {static_cast<std::uint8_t>(sp >> 8), static_cast<std::uint8_t>(sp),
                     static_cast<std::uint8_t>(dp >> 8), static_cast<std::uint8_t>(dp),
                     static_cast<std::uint8_t>(seq >> 24), static_cast<std::uint8_t>(seq >> 16),
                     static_cast<std::uint8_t>(seq >> 8), static_cast<std::uint8_t>(seq),
                     0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0});
  b.insert(b.end(), payload.begin(), payload.end());
  return Pkt{std::move(b), ts_ns};
}

constexpr std::uint8_t kSyn = 0x02;
constexpr std::uint8_t kAck = 0x10;
constexpr std::uint8_t kPsh = 0x08;

// TPKT + X.224 Connection Request (no cookie): what starts an RDP flow on any port.
std::vector<std::uint8_t> x224Request() {
  return {0x03, 0x00, 0x00, 0x0b, 0x06, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00};
}

using Row = std::tuple<std::int64_t, std::string, std::uint16_t, std::uint16_t, std::uint64_t,
                       std::string, std::uint64_t>;
Row row(const model::Connection& c) {
  return {c.start.ns, c.client.ip, c.client.port, c.server.port, c.first_frame, c.tcp_end,
          c.counters[0].packets + c.counters[1].packets};
}

std::vector<capture::RawPacket> raws(const std::vector<Pkt>& pkts) {
  std::vector<capture::RawPacket> out;
  for (std::size_t i = 0; i < pkts.size(); ++i) {
    capture::RawPacket r;
    r.frame = i + 1;
    r.ts = Timestamp{pkts[i].ts_ns};
    r.linktype = 1;  // Ethernet
    r.caplen = r.wirelen = static_cast<std::uint32_t>(pkts[i].bytes.size());
    r.bytes = ByteView(pkts[i].bytes.data(), pkts[i].bytes.size());
    out.push_back(r);
  }
  return out;
}

AnalyzerOptions options() {
  AnalyzerOptions o;
  o.idle_timeout_seconds = 10;
  return o;
}

// Each finished connection through `view`, in the order they come, from one Analyzer...
template <typename View>
auto analyzeSingle(const std::vector<Pkt>& pkts, View view, const AnalyzerOptions& o = options(),
                   AnalyzerStats* stats = nullptr) {
  std::vector<decltype(view(model::Connection{}))> out;
  Analyzer a(o, [&](model::Connection&& c) { out.push_back(view(c)); });
  for (const auto& r : raws(pkts)) {
    a.onPacket(r);
  }
  a.finish();
  if (stats != nullptr) {
    *stats = a.stats();
  }
  return out;
}

// ... and from `threads` analysers.
template <typename View>
auto analyzeSharded(const std::vector<Pkt>& pkts, std::size_t threads, View view,
                    const AnalyzerOptions& o = options(), AnalyzerStats* stats = nullptr) {
  std::vector<decltype(view(model::Connection{}))> out;
  ShardedAnalyzer a(o, threads, [](model::Connection&& c) {
    return PreparedConnection{std::move(c), {}};
  });
  auto collect = [&](PreparedConnection&& pc) { out.push_back(view(pc.conn)); };
  for (const auto& r : raws(pkts)) {
    a.onPacket(r);
    a.collect(collect);
  }
  a.finish(collect, [](Timestamp) {});
  if (stats != nullptr) {
    *stats = a.stats();
  }
  return out;
}

std::vector<Row> single(const std::vector<Pkt>& pkts) {
  auto rows = analyzeSingle(pkts, row);
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::vector<Row> sharded(const std::vector<Pkt>& pkts, std::size_t threads) {
  auto rows = analyzeSharded(pkts, threads, row);
  std::sort(rows.begin(), rows.end());
  return rows;
}

// Flow 1 (client .1) goes quiet; other flows keep the capture going past its idle timeout; then
// flow 1 sends again. One Analyzer finishes it by timeout at the other flows' packets, so the
// late packet starts a second connection. Workers must do the same whichever flows they own.
TEST(ShardedAnalyzer, IdleTimeoutDecidedByOtherFlowsPackets) {
  std::vector<Pkt> pkts;
  pkts.push_back(tcp(1 * kS, 1, 40001, 3389, true, kSyn, 100));
  pkts.push_back(tcp(1 * kS + 1000, 1, 40001, 3389, false, kSyn | kAck, 500));
  for (std::uint8_t c = 2; c < 18; ++c) {  // many flows: some land in other workers
    for (std::int64_t t = 2; t < 30; t += 2) {
      pkts.push_back(tcp(t * kS + c, c, 40000 + c, 3389, true, kAck, 1000 + static_cast<std::uint32_t>(t)));
    }
  }
  std::stable_sort(pkts.begin(), pkts.end(), [](const Pkt& a, const Pkt& b) { return a.ts_ns < b.ts_ns; });
  pkts.push_back(tcp(30 * kS, 1, 40001, 3389, true, kAck, 101));
  const auto expected = single(pkts);
  const auto flow1 = std::count_if(expected.begin(), expected.end(),
                                   [](const Row& r) { return std::get<2>(r) == 40001; });
  ASSERT_EQ(flow1, 2);  // the scenario does what it says
  EXPECT_EQ(sharded(pkts, 1), expected);  // the reader's analyser alone
  EXPECT_EQ(sharded(pkts, 2), expected);
  EXPECT_EQ(sharded(pkts, 3), expected);
  EXPECT_EQ(sharded(pkts, 5), expected);
}

// The sweep happens at a packet of an RDP flow between two non-RDP ports (started by an X.224
// request on port 5000): only the analyser that owns it knows that packet reaches a flow, so the
// reader asks it (and waits, if a worker owns it). Flow 2's client port varies so that both
// owners, the reader's own analyser and a worker, are met.
TEST(ShardedAnalyzer, SweepAtPacketOfNonRdpPortFlow) {
  bool owned_by_reader = false;
  bool owned_by_worker = false;
  for (std::uint16_t port2 = 40002; port2 < 40010; ++port2) {
    std::vector<Pkt> pkts;
    pkts.push_back(tcp(1 * kS, 1, 40001, 3389, true, kSyn, 100));      // flow 1, RDP port
    pkts.push_back(tcp(1 * kS + 10, 2, port2, 5000, true, kSyn, 700));  // flow 2, port 5000
    pkts.push_back(tcp(1 * kS + 20, 2, port2, 5000, false, kSyn | kAck, 900));
    pkts.push_back(tcp(1 * kS + 30, 2, port2, 5000, true, kAck | kPsh, 701, x224Request()));
    // Flow 2 keeps talking (plain ACKs: on their own they start nothing) past flow 1's 130 s
    // unanswered-SYN limit and 10 s idle limit; flow 1 then retries.
    for (std::int64_t t = 2; t < 20; ++t) {
      pkts.push_back(tcp(t * kS + 500'000'000, 2, port2, 5000, false, kAck, 901));
    }
    pkts.push_back(tcp(19 * kS + 600'000'000, 1, 40001, 3389, true, kAck, 101));
    const auto expected = single(pkts);
    const auto flow1 = std::count_if(expected.begin(), expected.end(),
                                     [](const Row& r) { return std::get<2>(r) == 40001; });
    ASSERT_EQ(flow1, 2);
    for (std::size_t n : {2, 3, 4}) {
      EXPECT_EQ(sharded(pkts, n), expected) << n << " threads, flow 2 from port " << port2;
      ShardedAnalyzer probe(options(), n, [](model::Connection&& c) {
        return PreparedConnection{std::move(c), {}};
      });
      capture::PacketView view;
      ASSERT_EQ(capture::decodePacket(1, ByteView(pkts[1].bytes.data(), pkts[1].bytes.size()),
                                      static_cast<std::uint32_t>(pkts[1].bytes.size()), view),
                capture::DecodeStatus::Ok);
      (probe.shardOf(view) == 0 ? owned_by_reader : owned_by_worker) = true;
    }
  }
  EXPECT_TRUE(owned_by_reader);
  EXPECT_TRUE(owned_by_worker);
}

// --max-flows is a total: split across the analysers as their shares of the flow hash (the
// reading thread's is half a worker's), so none fills up while one Analyzer would still have room
// and nothing is evicted that one Analyzer keeps. (Split evenly, the workers' shares fill up here.
// With this few flows an analyser can still get more than its share: with 4 threads two flows
// are evicted; the documented difference at the caps.)
TEST(ShardedAnalyzer, FlowCapSplitFollowsTheShares) {
  std::vector<Pkt> pkts;
  for (std::uint8_t c = 1; c <= 40; ++c) {  // 40 unanswered SYNs, all open at the end
    pkts.push_back(tcp(kS + c, c, static_cast<std::uint16_t>(40000 + c), 3389, true, kSyn, 100));
  }
  AnalyzerOptions o = options();
  o.max_flows = 44;
  AnalyzerStats stats;
  auto expected = analyzeSingle(pkts, row, o, &stats);
  ASSERT_EQ(stats.flows_evicted, 0u);
  std::sort(expected.begin(), expected.end());
  for (std::size_t n : {2, 3}) {
    auto got = analyzeSharded(pkts, n, row, o, &stats);
    EXPECT_EQ(stats.flows_evicted, 0u) << n << " threads";
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, expected) << n << " threads";
  }
}

// At capture end the reading thread finishes its own flows while the workers finish theirs, and
// hands its connections over in chunks (as the workers do): with thousands of flows open at the
// end, they are not all held at once before the first can be written.
TEST(ShardedAnalyzer, ReaderFinishesItsFlowsInChunks) {
  std::vector<Pkt> pkts;
  for (std::uint32_t i = 0; i < 3000; ++i) {  // unanswered SYNs, all open at the end
    pkts.push_back(tcp(kS + i, static_cast<std::uint8_t>(1 + i % 250),
                       static_cast<std::uint16_t>(20000 + i), 3389, true, kSyn, 100));
  }
  const auto reader = std::this_thread::get_id();
  ShardedAnalyzer sa(options(), 2, [reader](model::Connection&& c) {
    // The payload says which thread prepared the connection.
    return PreparedConnection{std::move(c), std::this_thread::get_id() == reader ? "r" : "w"};
  });
  std::size_t from_reader = 0;
  std::size_t since_release = 0;
  std::size_t most_between_releases = 0;
  auto collect = [&](PreparedConnection&& pc) {
    if (pc.payload == "r") {
      ++from_reader;
      ++since_release;
    }
  };
  for (const auto& r : raws(pkts)) {
    sa.onPacket(r);
    sa.collect(collect);
  }
  ASSERT_EQ(from_reader, 0u);  // nothing finished before the end
  sa.finish(collect, [&](Timestamp) {
    most_between_releases = std::max(most_between_releases, since_release);
    since_release = 0;
  });
  EXPECT_GT(from_reader, 600u);  // the reader's share, about a third
  EXPECT_LE(most_between_releases, 256u);
}

// The capture's clock set back inside a connection (Analyzer::noteClockStep): one note, with the
// frame and the size of the first step of 1 ms or more; smaller steps (queues stamping packets a
// little out of order) and later steps add nothing. The same with workers.
TEST(Analyzer, CaptureClockGoingBackIsNotedOnceWithItsFrame) {
  std::vector<Pkt> pkts;
  pkts.push_back(tcp(5 * kS, 1, 40001, 3389, true, kSyn, 100));
  pkts.push_back(tcp(5 * kS + 1'000'000, 1, 40001, 3389, false, kSyn | kAck, 500));
  pkts.push_back(tcp(5 * kS + 2'000'000, 1, 40001, 3389, true, kAck, 101));
  pkts.push_back(tcp(5 * kS + 1'500'000, 1, 40001, 3389, false, kAck, 501));  // 0.5 ms back
  pkts.push_back(tcp(2 * kS, 1, 40001, 3389, true, kAck, 101));               // 3.0015 s back
  pkts.push_back(tcp(1 * kS, 1, 40001, 3389, false, kAck, 501));              // 1 s back again
  auto notesOf = [](const model::Connection& c) {
    std::vector<std::string> out;
    for (const auto& n : c.notes) {
      if (n.find("time goes back") != std::string::npos) {
        out.push_back(n.substr(0, n.find(':')));
      }
    }
    return out;
  };
  const std::vector<std::vector<std::string>> want = {
      {"the capture's time goes back 3.001500 s at frame 5"}};
  EXPECT_EQ(analyzeSingle(pkts, notesOf), want);
  EXPECT_EQ(analyzeSharded(pkts, 2, notesOf), want);
}

}  // namespace
}  // namespace rdpscope::engine
