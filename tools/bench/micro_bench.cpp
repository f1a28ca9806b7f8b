// Micro-benchmarks of rdpscope's per-packet hot paths, on real bytes from the lab captures
// (captures/<scenario>/capture.pcap): packet decoding, flow lookup, TCP reassembly, the TLS
// record path and the RDP fast-path path of a connection in its bulk phase, the cost of a
// suppressed bulk event (built event vs. stub), and a handshake event to JSON (tree vs. recorded).
//
//   cmake -S . -B build-perf -DCMAKE_BUILD_TYPE=Release -DRDPSCOPE_BENCH=ON
//   cmake --build build-perf --target rdpscope_micro_bench -j2
//   build-perf/tools/bench/rdpscope_micro_bench
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <pcap/pcap.h>

#include <cstring>
#include <string>
#include <vector>

#include "capture/packet_decode.h"
#include "capture/packet_source.h"
#include "engine/analyzer.h"
#include "engine/session.h"
#include "model/event_builder.h"
#include "output/json_writer.h"
#include "stream/tcp_reassembler.h"

using namespace rdpscope;

namespace {

struct Frame {
  Timestamp ts;
  std::uint32_t wirelen = 0;
  std::vector<std::uint8_t> bytes;
};

std::string capturePath(const std::string& scenario) {
  return std::string(RDPSCOPE_SOURCE_DIR) + "/captures/" + scenario + "/capture.pcap";
}

std::vector<Frame> loadFrames(const std::string& scenario) {
  std::vector<Frame> out;
  auto opened = capture::openFiles({capturePath(scenario)});
  if (!opened.source) return out;
  capture::RawPacket p;
  while (opened.source->next(p)) {
    out.push_back({p.ts, p.wirelen, std::vector<std::uint8_t>(p.bytes.begin(), p.bytes.end())});
  }
  return out;
}

// Ethernet + IPv4 offsets of the TCP header in the lab captures (Ethernet, IPv4).
std::size_t tcpOffset(const Frame& f) { return 14 + static_cast<std::size_t>(f.bytes[14] & 0x0F) * 4; }
std::uint32_t rd32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
void wr32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24); p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8); p[3] = static_cast<std::uint8_t>(v);
}

class NullSink final : public stream::ReassemblySink {
 public:
  std::uint64_t bytes = 0;
  void onStreamData(ByteView data) override { bytes += data.size(); }
  void onStreamGap(std::uint64_t, stream::GapReason) override {}
};

void BM_DecodePacket(benchmark::State& state) {
  const auto frames = loadFrames("tls13-success");
  if (frames.empty()) { state.SkipWithError("captures/tls13-success missing"); return; }
  std::size_t i = 0;
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    const Frame& f = frames[i];
    capture::PacketView v;
    benchmark::DoNotOptimize(capture::decodePacket(1, ByteView(f.bytes), f.wirelen, v));
    bytes += f.bytes.size();
    if (++i == frames.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_DecodePacket);

// Decode + flow lookup + counters: pure ACKs spread over N open connections (the template is a
// real client ACK of tls13-success with the client port rewritten per flow).
void BM_FlowLookup(benchmark::State& state) {
  const auto frames = loadFrames("tls13-success");
  if (frames.size() < 3) { state.SkipWithError("captures/tls13-success missing"); return; }
  const std::size_t flows = static_cast<std::size_t>(state.range(0));
  engine::AnalyzerOptions opt;
  opt.max_flows = flows * 2;
  engine::Analyzer analyzer(opt, [](model::Connection&&) {});
  std::vector<std::vector<std::uint8_t>> acks;
  const Frame& syn = frames[0];  // client SYN opens each flow
  const Frame& ack = frames[2];  // client ACK
  std::uint64_t frame_no = 0;
  for (std::size_t k = 0; k < flows; ++k) {
    for (const Frame* f : {&syn, &ack}) {
      auto b = f->bytes;
      const std::size_t t = tcpOffset(*f);
      b[t] = static_cast<std::uint8_t>((1024 + k) >> 8);
      b[t + 1] = static_cast<std::uint8_t>(1024 + k);
      b[29] = static_cast<std::uint8_t>(k >> 8);  // source IP 127.0.x.y: spread the hash
      if (f == &syn) {
        capture::RawPacket rp{++frame_no, f->ts, 1, static_cast<std::uint32_t>(b.size()), f->wirelen, ByteView(b), 0};
        analyzer.onPacket(rp);
      } else {
        acks.push_back(std::move(b));
      }
    }
  }
  std::size_t i = 0;
  for (auto _ : state) {
    capture::RawPacket rp{++frame_no, ack.ts, 1, static_cast<std::uint32_t>(acks[i].size()), ack.wirelen, ByteView(acks[i]), 0};
    analyzer.onPacket(rp);
    if (++i == acks.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_FlowLookup)->Arg(10)->Arg(1000)->Arg(100000);

// In-order reassembly of 1448-byte segments (the common case), and every second pair swapped.
void BM_ReassemblyInOrder(benchmark::State& state) {
  std::vector<std::uint8_t> payload(1448, 0xAB);
  const bool swap = state.range(0) != 0;
  for (auto _ : state) {
    state.PauseTiming();
    stream::TcpReassembler r(1 << 20, 1024);
    NullSink sink;
    r.onSyn(1000);
    state.ResumeTiming();
    const std::uint32_t n = 1000;
    for (std::uint32_t k = 0; k < n; k += 2) {
      const std::uint32_t a = 1001 + k * 1448;
      const std::uint32_t b = a + 1448;
      if (swap) {
        r.onSegment(b, ByteView(payload), 0, sink);
        r.onSegment(a, ByteView(payload), 0, sink);
      } else {
        r.onSegment(a, ByteView(payload), 0, sink);
        r.onSegment(b, ByteView(payload), 0, sink);
      }
    }
    benchmark::DoNotOptimize(sink.bytes);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 1000);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 1000 * 1448);
}
BENCHMARK(BM_ReassemblyInOrder)->Arg(0)->Arg(1);

// The bulk phase of one real connection: the scenario's packets up to `block_end` are analysed
// once (handshake), then the block [block_begin, block_end) (whole TLS records / fast-path PDUs
// in both directions, as tools/bench/gen_corpus.py chooses it) is replayed with advancing
// sequence numbers. Measures decode + flow + reassembly + the dissector chain per packet.
void bulkPath(benchmark::State& state, const char* scenario, std::size_t block_begin, std::size_t block_end) {
  auto frames = loadFrames(scenario);
  if (frames.size() < block_end) { state.SkipWithError("capture missing or changed"); return; }
  std::uint64_t anomalies = 0;
  std::uint64_t connections = 0;
  engine::AnalyzerOptions opt;
  engine::Analyzer analyzer(opt, [&](model::Connection&& c) {
    ++connections;
    for (const auto& e : c.events) anomalies += e.kind == "anomaly";
  });
  // Client port of the connection (SYN source port) tells the directions apart.
  const std::size_t t0 = tcpOffset(frames[0]);
  const std::uint16_t client_port = static_cast<std::uint16_t>((frames[0].bytes[t0] << 8) | frames[0].bytes[t0 + 1]);
  std::uint64_t block_bytes[2] = {0, 0};
  std::uint64_t frame_no = 0;
  Timestamp last{};
  for (std::size_t q = 0; q < block_end; ++q) {
    const Frame& f = frames[q];
    capture::RawPacket rp{++frame_no, f.ts, 1, static_cast<std::uint32_t>(f.bytes.size()), f.wirelen, ByteView(f.bytes), 0};
    analyzer.onPacket(rp);
    last = f.ts;
    if (q >= block_begin) {
      const std::size_t t = tcpOffset(f);
      const std::size_t ihl = t - 14;
      const std::size_t total = (std::size_t{f.bytes[16]} << 8) | f.bytes[17];
      const std::size_t doff = static_cast<std::size_t>(f.bytes[t + 12] >> 4) * 4;
      const std::uint16_t sport = static_cast<std::uint16_t>((f.bytes[t] << 8) | f.bytes[t + 1]);
      block_bytes[sport == client_port ? 0 : 1] += total - ihl - doff;
    }
  }
  std::uint64_t rep = 0;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    ++rep;
    for (std::size_t q = block_begin; q < block_end; ++q) {
      Frame& f = frames[q];
      const std::size_t t = tcpOffset(f);
      const std::uint16_t sport = static_cast<std::uint16_t>((f.bytes[t] << 8) | f.bytes[t + 1]);
      const int self = sport == client_port ? 0 : 1;
      // Shift this copy by one more block in each direction (seq of the sender, ack of the peer).
      wr32(&f.bytes[t + 4], rd32(&f.bytes[t + 4]) + static_cast<std::uint32_t>(block_bytes[self]));
      if (f.bytes[t + 13] & 0x10) {
        wr32(&f.bytes[t + 8], rd32(&f.bytes[t + 8]) + static_cast<std::uint32_t>(block_bytes[1 - self]));
      }
      last.ns += 1000;
      capture::RawPacket rp{++frame_no, last, 1, static_cast<std::uint32_t>(f.bytes.size()), f.wirelen, ByteView(f.bytes), 0};
      analyzer.onPacket(rp);
      ++packets;
      bytes += f.bytes.size();
    }
  }
  analyzer.finish();
  state.SetItemsProcessed(static_cast<std::int64_t>(packets));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["anomalies"] = static_cast<double>(anomalies);
  state.counters["connections"] = static_cast<double>(connections);
}

// TLS 1.3 application-data records without keys (xrdp login screen output), blocks as chosen by
// gen_corpus.py for tls13-success and tls12-success.
void BM_TlsRecordPath_Tls13(benchmark::State& s) { bulkPath(s, "tls13-success", 69, 139); }
void BM_TlsRecordPath_Tls12(benchmark::State& s) { bulkPath(s, "tls12-success", 61, 123); }
// Cleartext fast-path output PDUs (Standard RDP Security without encryption): the RDP
// dissector's fast-path path; and FIPS-encrypted slow/fast-path PDUs.
void BM_RdpFastPath_NoEncryption(benchmark::State& s) { bulkPath(s, "rdp-security-noencryption", 54, 106); }
void BM_RdpFastPath_Fips(benchmark::State& s) { bulkPath(s, "rdp-security-success", 64, 129); }
BENCHMARK(BM_TlsRecordPath_Tls13);
BENCHMARK(BM_TlsRecordPath_Tls12);
BENCHMARK(BM_RdpFastPath_NoEncryption);
BENCHMARK(BM_RdpFastPath_Fips);

// A suppressed bulk event: built and handed to emitBulk() versus given as a stub
// (DissectContext::emitBulkStub(), what dissectors do).
void describeAppData(const model::CompactBody& body, model::Direction /*dir*/,
                     model::EventBodySink& sink) {
  sink.summary("application data, ");
  sink.summaryNumber(body.value);
  sink.summary(" bytes");
  sink.fieldNumber("length", body.value);
}

engine::BulkStub appDataStub(std::uint64_t length) {
  engine::BulkStub stub;
  stub.kind = "tls.application_data";
  stub.body.describe = &describeAppData;
  stub.body.value = length;
  stub.dir = model::Direction::ToClient;
  return stub;
}

void BM_SuppressedBulkEvent_Built(benchmark::State& state) {
  engine::Session s(model::Connection{}, nullptr, {});
  std::uint64_t frame = 0;
  for (auto _ : state) {
    s.setCurrent(++frame, Timestamp{static_cast<std::int64_t>(frame)}, model::Direction::ToClient);
    s.emitBulk(appDataStub(1234).build());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_SuppressedBulkEvent_Built);

void BM_SuppressedBulkEvent_Stub(benchmark::State& state) {
  engine::Session s(model::Connection{}, nullptr, {});
  std::uint64_t frame = 0;
  for (auto _ : state) {
    s.setCurrent(++frame, Timestamp{static_cast<std::int64_t>(frame)}, model::Direction::ToClient);
    engine::DissectContext& ctx = s;
    ctx.emitBulkStub(appDataStub(1234));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_SuppressedBulkEvent_Stub);

// A connection's kept bulk events (48 + 16 application-data records) from finish() to its JSON
// text: built events (summary string and field tree, then written and freed) versus compact ones
// written by their describe function (SessionConfig::compact_events, the streaming JSON path).
void keptBulkEventsToJson(benchmark::State& state, bool compact) {
  for (auto _ : state) {
    engine::SessionConfig config;
    config.compact_events = compact;
    engine::Session s(model::Connection{}, nullptr, config);
    for (std::uint64_t frame = 1; frame <= 200; ++frame) {
      s.setCurrent(frame, Timestamp{static_cast<std::int64_t>(frame) * 1000},
                   model::Direction::ToClient);
      s.emitBulkStub(appDataStub(1000 + frame));
    }
    model::Connection c = s.finish();
    const std::string_view out = output::connectionJsonTailView(c, false);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * (48 + 16));
}
void BM_KeptBulkEventsToJson_Built(benchmark::State& s) { keptBulkEventsToJson(s, false); }
void BM_KeptBulkEventsToJson_Compact(benchmark::State& s) { keptBulkEventsToJson(s, true); }
BENCHMARK(BM_KeptBulkEventsToJson_Built);
BENCHMARK(BM_KeptBulkEventsToJson_Compact);

// A handshake event (an MCS Channel Join Confirm's summary and four fields) from its dissector to
// its JSON text and freed: as a field tree filled with setMember, recorded by model::EventBuilder
// with a different record each time (the writer makes its text), and recorded with the same
// record each time (the writer copies the text it kept for it, as for the same PDU of many
// connections). 32 events per connection.
model::Event joinConfirm(bool recorded, std::uint32_t channel) {
  const std::string result = "rt-successful";
  if (!recorded) {
    model::Event ev = model::Event::make("mcs.channel_join_confirm", model::Stage::ChannelSetup,
                                         "MCS Channel Join Confirm " + std::to_string(channel) +
                                             ": " + result);
    model::setMember(ev.fields, "result", result);
    model::setMember(ev.fields, "result_value", 0);
    model::setMember(ev.fields, "channel_id", channel);
    model::setMember(ev.fields, "requested_channel_id", channel);
    return ev;
  }
  model::EventBuilder b;
  b.summary("MCS Channel Join Confirm ");
  b.summaryNumber(channel);
  b.summary(": ");
  b.summary(result);
  b.set("result", result);
  b.set("result_value", 0);
  b.set("channel_id", channel);
  b.set("requested_channel_id", channel);
  return std::move(b).build("mcs.channel_join_confirm", model::Stage::ChannelSetup);
}

void handshakeEventsToJson(benchmark::State& state, bool recorded, bool repeated) {
  std::uint32_t next = 0;
  for (auto _ : state) {
    model::Connection c;
    c.events.reserve(32);
    for (std::uint32_t i = 0; i < 32; ++i) {
      c.events.push_back(joinConfirm(recorded, repeated ? 1003 + i : 100000 + next++));
      c.events.back().frame = i + 1;
    }
    const std::string_view out = output::connectionJsonTailView(c, false);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 32);
}
void BM_HandshakeEventsToJson_Tree(benchmark::State& s) { handshakeEventsToJson(s, false, false); }
void BM_HandshakeEventsToJson_Recorded(benchmark::State& s) {
  handshakeEventsToJson(s, true, false);
}
void BM_HandshakeEventsToJson_RecordedRepeated(benchmark::State& s) {
  handshakeEventsToJson(s, true, true);
}
BENCHMARK(BM_HandshakeEventsToJson_Tree);
BENCHMARK(BM_HandshakeEventsToJson_Recorded);
BENCHMARK(BM_HandshakeEventsToJson_RecordedRepeated);

// Heap bytes per finished connection kept in memory (what a caller holding finished connections
// pays): every connection of `scenario` replayed `copies` times with distinct client ports,
// collected in a vector; heap growth (mallinfo2) / connections.
void connectionBytes(benchmark::State& state, const char* scenario) {
  const auto frames = loadFrames(scenario);
  if (frames.empty()) { state.SkipWithError("capture missing"); return; }
  const std::size_t copies = 2000;
  for (auto _ : state) {
    std::vector<model::Connection> kept;
    kept.reserve(copies * 4);
    malloc_trim(0);
    const std::size_t before = mallinfo2().uordblks;
    {
      engine::Analyzer analyzer(engine::AnalyzerOptions{}, [&](model::Connection&& c) { kept.push_back(std::move(c)); });
      std::uint64_t frame_no = 0;
      for (std::size_t k = 0; k < copies; ++k) {
        for (const Frame& f : frames) {
          auto b = f.bytes;
          b[28] = static_cast<std::uint8_t>(k >> 8);  // client and server address 127.0.x.y per copy
          b[29] = static_cast<std::uint8_t>(k);
          b[32] = static_cast<std::uint8_t>(k >> 8);
          b[33] = static_cast<std::uint8_t>(k);
          capture::RawPacket rp{++frame_no, f.ts, 1, static_cast<std::uint32_t>(b.size()), f.wirelen, ByteView(b), 0};
          analyzer.onPacket(rp);
        }
      }
      analyzer.finish();
    }
    const std::size_t after = mallinfo2().uordblks;
    state.counters["connections"] = static_cast<double>(kept.size());
    state.counters["heap_bytes_per_connection"] =
        static_cast<double>(after - before) / static_cast<double>(kept.size());
    state.counters["sizeof_Connection"] = static_cast<double>(sizeof(model::Connection));
  }
}
void BM_ConnectionBytes_SynOnly(benchmark::State& s) { connectionBytes(s, "syn-unanswered"); }
void BM_ConnectionBytes_Tls13Success(benchmark::State& s) { connectionBytes(s, "tls13-success"); }
BENCHMARK(BM_ConnectionBytes_SynOnly)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConnectionBytes_Tls13Success)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
