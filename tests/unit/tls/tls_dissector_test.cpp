// The TLS dissector on real captures: Zeek's rdp-to-ssl / rdp-no-cookie-mstshash (handshake,
// certificate, compared with Zeek's ssl.log baselines) and the project's lab captures with their
// key logs (decryption end to end; reference: tshark -o tls.keylog_file:keys.log).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "tls/tls_dissector.h"
#include "tls/tls_handshake.h"
#include "tls_test_util.h"

namespace rdpscope::tls {
namespace {

using testing::CollectingDissector;
using testing::RecordingContext;
using testing::readConnections;
using testing::runTls;

const std::string kZeek = std::string(RDPSCOPE_SHARED_DIR) + "/captures/zeek/";
const std::string kLab = std::string(RDPSCOPE_SOURCE_DIR) + "/captures/";

bool exists(const std::string& p) { return std::filesystem::exists(p); }

struct Run {
  RecordingContext ctx;
  CollectingDissector consumer;
  engine::DissectorPtr tls;
};

std::unique_ptr<Run> analyse(const testing::TcpConn& conn, const engine::KeyStore* keys = nullptr,
                             bool stubs = false) {
  auto r = std::make_unique<Run>();
  r->ctx.key_store = keys;
  r->ctx.use_stubs = stubs;
  r->tls = makeTlsDissector(r->consumer);
  runTls(conn, *r->tls, r->ctx);
  r->ctx.buildHeldStubs();
  return r;
}

// The same with compact events left compact (as for the streaming JSON writer).
std::unique_ptr<Run> analyseCompact(const testing::TcpConn& conn) {
  auto r = std::make_unique<Run>();
  r->ctx.keep_compact = true;
  r->tls = makeTlsDissector(r->consumer);
  runTls(conn, *r->tls, r->ctx);
  return r;
}

// rdp-to-ssl.pcap, TCP stream 0: Windows Server 2008 R2, TLS 1.0, frames 8-11 (ClientHello,
// ServerHello+Certificate+ServerHelloDone, ClientKeyExchange+CCS+Finished, CCS+Finished).
// Zeek baselines/rdp-to-ssl.ssl.log: TLSv10, TLS_RSA_WITH_AES_128_CBC_SHA, established,
// cert fp a5b05d2a..., subject = issuer = CN=WIN2K8R2.awakecoding.ath.cx.
TEST(TlsDissector, ZeekRdpToSslHandshakeAndCertificate) {
  if (!exists(kZeek + "rdp-to-ssl.pcap")) GTEST_SKIP() << "shared captures absent";
  auto conns = readConnections(kZeek + "rdp-to-ssl.pcap");
  ASSERT_GE(conns.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    auto r = analyse(conns[i]);
    const auto& t = r->ctx.conn.tls;
    EXPECT_TRUE(r->ctx.anomalies.empty()) << r->ctx.anomalies[0];
    EXPECT_EQ(t["version"], "TLS 1.0");
    EXPECT_EQ(t["cipher"], "TLS_RSA_WITH_AES_128_CBC_SHA");
    EXPECT_EQ(t["handshake_complete"], true);
    ASSERT_TRUE(t["server_cert"].is_object());
    EXPECT_EQ(t["server_cert"]["subject"], "CN=WIN2K8R2.awakecoding.ath.cx");
    EXPECT_EQ(t["server_cert"]["issuer"], "CN=WIN2K8R2.awakecoding.ath.cx");
    EXPECT_EQ(t["server_cert"]["sha256"], "a5b05d2ae076130aa41060f53ecd72bdf864ea0179250e927549c94d5ab2499a");
    EXPECT_EQ(t["server_cert"]["self_signed"], true);
    EXPECT_EQ(t["server_cert"]["key_type"], "RSA");
    EXPECT_EQ(t["sni"], "192.168.1.150");  // Zeek: server_name 192.168.1.150
    EXPECT_TRUE(t["ja4"].get<std::string>().starts_with("t10d")) << t["ja4"];
    EXPECT_EQ(r->ctx.byKind("tls.client_hello").size(), 1u);
    EXPECT_EQ(r->ctx.byKind("tls.server_hello_done").size(), 1u);
    EXPECT_EQ(r->ctx.byKind("tls.client_key_exchange").size(), 1u);
    EXPECT_EQ(r->ctx.byKind("tls.change_cipher_spec").size(), 2u);
    EXPECT_EQ(r->ctx.byKind("tls.encrypted_handshake").size(), 2u);
    EXPECT_GT(t["records"]["to_server"]["count"].get<int>(), 0);
    EXPECT_GT(t["records"]["to_client"]["bytes"].get<int>(), 0);
  }
}

// rdp-no-cookie-mstshash.pcap: TLS 1.2; Zeek baselines/rdp-no-cookie-msthash.ssl.log:
// TLSv12, TLS_RSA_WITH_AES_256_GCM_SHA384, cert fp 2f24fa5e..., CN=CLK-456040-D.one.phoenix.gov.
TEST(TlsDissector, ZeekNoCookieTls12) {
  if (!exists(kZeek + "rdp-no-cookie-mstshash.pcap")) GTEST_SKIP() << "shared captures absent";
  auto conns = readConnections(kZeek + "rdp-no-cookie-mstshash.pcap");
  ASSERT_GE(conns.size(), 1u);
  auto r = analyse(conns[0]);
  const auto& t = r->ctx.conn.tls;
  EXPECT_TRUE(r->ctx.anomalies.empty());
  EXPECT_EQ(t["version"], "TLS 1.2");
  EXPECT_EQ(t["cipher"], "TLS_RSA_WITH_AES_256_GCM_SHA384");
  EXPECT_EQ(t["server_cert"]["subject"], "CN=CLK-456040-D.one.phoenix.gov");
  EXPECT_EQ(t["server_cert"]["issuer"], "CN=CLK-456040-D.one.phoenix.gov");
  EXPECT_EQ(t["server_cert"]["sha256"], "2f24fa5efe1c62447b32aa41af38c4176d03a62ca9c3c8d491946ed283b86cca");
  EXPECT_EQ(t["handshake_complete"], true);
}

// Every prefix of the TLS bytes of a real connection: need-more or events, never a crash, and
// no anomaly (a prefix is just an incomplete stream).
TEST(TlsDissector, TruncationSweepOverRealHandshake) {
  if (!exists(kZeek + "rdp-to-ssl.pcap")) GTEST_SKIP() << "shared captures absent";
  auto conns = readConnections(kZeek + "rdp-to-ssl.pcap");
  ASSERT_FALSE(conns.empty());
  // Concatenate the server's TLS bytes (after the X.224 Confirm) and feed each prefix.
  std::vector<std::uint8_t> server;
  bool first = true;
  for (const auto& sg : conns[0].segments) {
    if (sg.dir != engine::Direction::ToClient) continue;
    if (first) { first = false; continue; }  // X.224 Connection Confirm
    server.insert(server.end(), sg.data.begin(), sg.data.end());
  }
  ASSERT_GT(server.size(), 500u);
  const std::size_t limit = std::min<std::size_t>(server.size(), 2000);
  for (std::size_t n = 0; n <= limit; n += (n < 300 ? 1 : 7)) {
    RecordingContext ctx;
    CollectingDissector consumer;
    auto tls = makeTlsDissector(consumer);
    engine::StreamPipeline pipe(*tls);
    pipe.deliver(engine::Direction::ToClient, ByteView(server.data(), n), ctx);
    for (const auto& a : ctx.anomalies) ADD_FAILURE() << "prefix " << n << ": " << a;
  }
  // Byte-at-a-time delivery gives the same events as one delivery.
  RecordingContext whole, bytewise;
  CollectingDissector c1, c2;
  auto t1 = makeTlsDissector(c1);
  auto t2 = makeTlsDissector(c2);
  engine::StreamPipeline p1(*t1), p2(*t2);
  p1.deliver(engine::Direction::ToClient, server, whole);
  for (std::size_t i = 0; i < server.size(); ++i) p2.deliver(engine::Direction::ToClient, ByteView(&server[i], 1), bytewise);
  ASSERT_EQ(whole.conn.events.size(), bytewise.conn.events.size());
  for (std::size_t i = 0; i < whole.conn.events.size(); ++i) {
    EXPECT_EQ(whole.conn.events[i].kind, bytewise.conn.events[i].kind);
    EXPECT_EQ(whole.conn.events[i].fields, bytewise.conn.events[i].fields);
  }
}

// A client program sends the same ClientHello to every server but for its random, session id
// and key shares: the dissector makes its payload (fingerprints and name lists) once and shares
// it. A ClientHello that differs in anything shown (here one byte of the server name) gets its
// own, with its own values.
TEST(TlsDissector, IdenticalClientHellosShareOnePayload) {
  const std::string cap = kLab + "tls13-success/capture.pcap";
  if (!exists(cap)) GTEST_SKIP() << "no lab capture";
  auto conns = readConnections(cap);
  ASSERT_FALSE(conns.empty());
  auto helloOf = [](const auto& r) -> const model::Event& {
    const auto hellos = r.ctx.byKind("tls.client_hello");
    EXPECT_EQ(hellos.size(), 1u);
    return *hellos.at(0);
  };
  auto first = analyseCompact(conns[0]);
  auto again = analyseCompact(conns[0]);
  const model::Event& a = helloOf(*first);
  const model::Event& b = helloOf(*again);
  ASSERT_NE(a.compact.payload, nullptr);
  EXPECT_EQ(a.compact.payload.get(), b.compact.payload.get());
  EXPECT_EQ(first->ctx.conn.tls["ja4"], again->ctx.conn.tls["ja4"]);

  // The server name "127.0.0.1" in the client's first TLS bytes becomes "127.0.0.2".
  testing::TcpConn changed = conns[0];
  bool edited = false;
  for (auto& sg : changed.segments) {
    if (sg.dir != engine::Direction::ToServer || edited) continue;
    const std::string sni = "127.0.0.1";
    auto it = std::search(sg.data.begin(), sg.data.end(), sni.begin(), sni.end());
    if (it != sg.data.end() && sg.data[0] == 0x16) {  // a TLS handshake record
      *(it + static_cast<std::ptrdiff_t>(sni.size()) - 1) = '2';
      edited = true;
    }
  }
  ASSERT_TRUE(edited) << "no server name in the ClientHello";
  auto other = analyseCompact(changed);
  const model::Event& c = helloOf(*other);
  EXPECT_NE(c.compact.payload.get(), a.compact.payload.get());
  EXPECT_EQ(other->ctx.conn.tls["sni"], "127.0.0.2");
  EXPECT_EQ(first->ctx.conn.tls["sni"], "127.0.0.1");
  model::Event built_a = a;
  model::Event built_c = c;
  model::expandCompact(built_a);
  model::expandCompact(built_c);
  EXPECT_EQ(built_a.fields["sni"], "127.0.0.1");
  EXPECT_EQ(built_c.fields["sni"], "127.0.0.2");
  EXPECT_EQ(built_a.fields["ja4"], built_c.fields["ja4"]);  // JA4 shows only that there is one
}

TEST(TlsDissector, BadHeaderIsAnomalyAndStops) {
  RecordingContext ctx;
  CollectingDissector consumer;
  auto tls = makeTlsDissector(consumer);
  engine::StreamPipeline pipe(*tls);
  const std::vector<std::uint8_t> junk = {0x47, 0x45, 0x54, 0x20, 0x2f, 0x20};  // "GET / "
  pipe.deliver(engine::Direction::ToServer, junk, ctx);
  ASSERT_EQ(ctx.anomalies.size(), 1u);
  EXPECT_EQ(ctx.anomalies[0], "tls.record.bad_header");
  EXPECT_TRUE(pipe.stopped(engine::Direction::ToServer));
  // A lying length beyond the cap.
  RecordingContext ctx2;
  auto tls2 = makeTlsDissector(consumer);
  engine::StreamPipeline pipe2(*tls2);
  const std::vector<std::uint8_t> big = {0x17, 0x03, 0x03, 0xFF, 0xFF};
  pipe2.deliver(engine::Direction::ToServer, big, ctx2);
  ASSERT_EQ(ctx2.anomalies.size(), 1u);
  EXPECT_EQ(ctx2.anomalies[0], "tls.record.too_long");
}

TEST(TlsDissector, HandshakeBodyTruncationSweep) {
  if (!exists(kZeek + "rdp-no-cookie-mstshash.pcap")) GTEST_SKIP() << "shared captures absent";
  auto conns = readConnections(kZeek + "rdp-no-cookie-mstshash.pcap");
  // The client's ClientHello record: first client segment after the X.224 Connection Request.
  std::vector<std::uint8_t> hello;
  int seen = 0;
  for (const auto& sg : conns[0].segments) {
    if (sg.dir == engine::Direction::ToServer && ++seen == 2) { hello = sg.data; break; }
  }
  ASSERT_GT(hello.size(), 9u);
  ASSERT_EQ(hello[0], 22);
  ASSERT_EQ(hello[5], 1);
  const ByteView body = ByteView(hello).subspan(9);
  ASSERT_TRUE(parseClientHello(body).has_value());
  // Every prefix is an error, except the one ending right before the (optional, RFC 5246
  // 7.4.1.2) extensions block, which is a valid extension-less ClientHello.
  for (std::size_t n = 0; n < body.size(); ++n) {
    auto p = parseClientHello(body.first(n));
    if (p) {
      EXPECT_TRUE(p->extensions.empty()) << n;
    }
  }
  // The server's ServerHello (first server segment after the X.224 Confirm): same sweep.
  std::vector<std::uint8_t> server;
  seen = 0;
  for (const auto& sg : conns[0].segments) {
    if (sg.dir == engine::Direction::ToClient && ++seen == 2) { server = sg.data; break; }
  }
  ASSERT_GT(server.size(), 9u);
  ASSERT_EQ(server[5], 2);
  const std::size_t sh_len = (std::size_t{server[6]} << 16) | (std::size_t{server[7]} << 8) | server[8];
  const ByteView sh = ByteView(server).subspan(9, sh_len);
  auto parsed = parseServerHello(sh);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->cipher_suite, 0x009D);
  for (std::size_t n = 0; n < sh.size(); ++n) {
    auto p = parseServerHello(sh.first(n));
    if (p) {
      EXPECT_TRUE(p->extensions.empty()) << n;
    }
  }
}

// JA4 / JA3 against a published example (browserleaks output for Chrome 143: ja4_r raw string
// and ja3_text with their hashes).
TEST(Fingerprints, Ja4HashPartsAndJa3Md5) {
  EXPECT_EQ(ja4TruncatedHash("002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9"),
            "8daaf6152771");
  EXPECT_EQ(ja4TruncatedHash("0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,fe0d,ff01_"
                             "0403,0804,0401,0503,0805,0501,0806,0601"),
            "d8a2da3f94cd");
  const std::string ja3 =
      "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
      "45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0";
  EXPECT_EQ(md5Hex(ByteView(reinterpret_cast<const std::uint8_t*>(ja3.data()), ja3.size())),
            "98487aa16281980e7d1120d399efb6a4");
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Lab captures: decryption end to end with the key log the lab wrote (tshark decrypts the same).
void expectDecrypts(const std::string& scenario, const char* version) {
  const std::string dir = kLab + scenario + "/";
  if (!exists(dir + "capture.pcap") || !exists(dir + "keys.log")) GTEST_SKIP() << scenario << " absent";
  auto loaded = engine::KeyStore::parseKeyLog(slurp(dir + "keys.log"), "keys.log");
  ASSERT_TRUE(loaded.store) << loaded.error;
  auto conns = readConnections(dir + "capture.pcap");
  ASSERT_FALSE(conns.empty());
  auto r = analyse(conns[0], loaded.store.get());
  const auto& t = r->ctx.conn.tls;
  for (const auto& a : r->ctx.anomalies) ADD_FAILURE() << a;
  EXPECT_EQ(t["version"], version);
  EXPECT_EQ(t["decrypted"], true);
  EXPECT_EQ(t["handshake_complete"], true);
  // SSL-only RDP: the first decrypted client bytes are the TPKT of the MCS Connect Initial,
  // and the server answers with TPKT too ([MS-RDPBCGR] 1.3.1.1).
  const auto& cs = r->consumer.bytes[0];
  const auto& sc = r->consumer.bytes[1];
  ASSERT_GT(cs.size(), 4u);
  ASSERT_GT(sc.size(), 4u);
  EXPECT_EQ(cs[0], 0x03);
  EXPECT_EQ(sc[0], 0x03);
  EXPECT_TRUE(r->ctx.conn.notes.empty()) << r->ctx.conn.notes[0];
  // Decrypted application records were counted and marked.
  bool any_decrypted_app = false;
  for (const auto* e : r->ctx.byKind("tls.application_data")) any_decrypted_app |= e->decrypted;
  EXPECT_TRUE(any_decrypted_app);
  // No secret of the key log appears in anything the dissector produced.
  std::string dump;
  for (const auto& e : r->ctx.conn.events) dump += e.summary + e.fields.dump();
  dump += t.dump();
  std::istringstream lines(slurp(dir + "keys.log"));
  std::string label, cr, secret;
  while (lines >> label >> cr >> secret) {
    EXPECT_EQ(dump.find(secret), std::string::npos) << label;
  }

  // Wrong key: flip the secrets => bad_record_mac once, note, metadata analysis continues.
  std::string bad = slurp(dir + "keys.log");
  for (std::size_t i = 0; i + 1 < bad.size(); ++i) {
    if (bad[i] == ' ' && i + 66 < bad.size() && bad[i + 65] == ' ') {  // start of a secret field
      char& c = bad[i + 66];
      c = c == '0' ? '1' : '0';
    }
  }
  auto wrong = engine::KeyStore::parseKeyLog(bad, "bad.log");
  ASSERT_TRUE(wrong.store);
  auto w = analyse(conns[0], wrong.store.get());
  EXPECT_EQ(std::count(w->ctx.anomalies.begin(), w->ctx.anomalies.end(), "tls.decrypt.bad_record_mac"), 1);
  EXPECT_FALSE(w->ctx.byKind("tls.decrypt_failed").empty());
  EXPECT_NE(std::find(w->ctx.conn.notes.begin(), w->ctx.conn.notes.end(), "key does not authenticate records"),
            w->ctx.conn.notes.end());
  EXPECT_EQ(w->ctx.conn.tls["version"], version);
  EXPECT_GT(w->ctx.conn.tls["records"]["to_client"]["count"].get<int>(), 0);

  // No key for the session: a note naming the client random; nothing decrypted.
  auto none = engine::KeyStore::parseKeyLog("CLIENT_RANDOM " + std::string(64, '0') + " " +
                                                std::string(96, '1') + "\n", "other.log");
  auto n = analyse(conns[0], none.store.get());
  ASSERT_FALSE(n->ctx.conn.notes.empty());
  EXPECT_EQ(n->ctx.conn.notes[0].rfind("no key for this session (client random ", 0), 0u);
  EXPECT_EQ(n->ctx.conn.tls["decrypted"], false);
  EXPECT_EQ(none.store->missedClientRandoms().size(), 1u);

  // Bulk stubs built only after the whole connection (as the engine builds its kept tail) yield
  // the same events as stubs built at once.
  auto stubbed = analyse(conns[0], loaded.store.get(), true);
  ASSERT_EQ(stubbed->ctx.conn.events.size(), r->ctx.conn.events.size());
  for (std::size_t i = 0; i < stubbed->ctx.conn.events.size(); ++i) {
    EXPECT_EQ(stubbed->ctx.conn.events[i].kind, r->ctx.conn.events[i].kind);
    EXPECT_EQ(stubbed->ctx.conn.events[i].fields, r->ctx.conn.events[i].fields);
    EXPECT_EQ(stubbed->ctx.conn.events[i].decrypted, r->ctx.conn.events[i].decrypted);
  }

  // Without keys at all: same records counted as with keys.
  auto plain = analyse(conns[0]);
  EXPECT_EQ(plain->ctx.conn.tls["records"], t["records"]);
  std::printf("%s records %s\n", scenario.c_str(), t["records"].dump().c_str());
  EXPECT_EQ(plain->ctx.conn.tls["handshake_complete"], true);
}

TEST(TlsDecryption, LabTls12Success) { expectDecrypts("tls12-success", "TLS 1.2"); }
TEST(TlsDecryption, LabTls13Success) { expectDecrypts("tls13-success", "TLS 1.3"); }

// A consumer that needs every byte only for its first `needed` deliveries of each direction and
// then only counts (as an RDP session past activation does); records every delivery with the
// frame the context stamps it with. With `take_heads`, it also takes every record offered by its
// head (countFromHead) whose first byte is not a TPKT's, and records the head and length.
class CountingAfter final : public engine::Dissector {
 public:
  struct Delivery {
    std::uint64_t frame;
    std::vector<std::uint8_t> bytes;
    bool operator==(const Delivery&) const = default;
  };
  struct Head {
    std::uint64_t frame;
    std::vector<std::uint8_t> head;
    std::size_t length;
  };
  explicit CountingAfter(std::size_t needed, bool take_heads = false)
      : needed_(needed), take_heads_(take_heads) {}
  bool countFromHead(engine::Direction dir, ByteView head, std::size_t length,
                     engine::DissectContext& ctx) override {
    if (!take_heads_ || head.empty() || head[0] == 0x03) return false;
    heads[static_cast<std::size_t>(dir)].push_back(
        {ctx.currentFrame(), {head.begin(), head.end()}, length});
    return true;
  }
  std::string_view name() const override { return "counting-after"; }
  engine::Progress onData(const engine::StreamData& in, engine::DissectContext& ctx) override {
    got[static_cast<std::size_t>(in.dir)].push_back({ctx.currentFrame(), {in.data.begin(), in.data.end()}});
    return engine::Progress::consumed(in.data.size());
  }
  bool needsEveryByte(engine::Direction dir) const override {
    return got[static_cast<std::size_t>(dir)].size() < needed_;
  }
  bool onResync(engine::Direction dir, engine::DissectContext&) override {
    ++resyncs[static_cast<std::size_t>(dir)];
    return true;
  }
  std::vector<Delivery> got[2];
  std::vector<Head> heads[2];
  std::size_t resyncs[2] = {0, 0};

 private:
  std::size_t needed_;
  bool take_heads_;
};

// Issue 8: once the consumer only counts, records are held back and only the last few of each
// direction are decrypted when the connection ends; the ones pushed out are counted. What is
// decrypted must be exactly what full decryption gives for those records, stamped with the
// frame the record came in, in order; the last record of each direction must be among them.
void expectHeldRecordsDecryptAtTheEnd(const std::string& scenario, bool take_heads) {
  const std::string dir = kLab + scenario + "/";
  if (!exists(dir + "capture.pcap") || !exists(dir + "keys.log")) GTEST_SKIP() << "no lab capture";
  auto loaded = engine::KeyStore::parseKeyLog(slurp(dir + "keys.log"), "keys.log");
  ASSERT_TRUE(loaded.store);
  const auto conns = readConnections(dir + "capture.pcap");
  ASSERT_FALSE(conns.empty());
  // runTls ends both directions (CaptureEnd) after the last segment: the held records go then.
  auto run = [&](CountingAfter& consumer, RecordingContext& ctx) {
    ctx.key_store = loaded.store.get();
    auto tls = makeTlsDissector(consumer);
    runTls(conns[0], *tls, ctx);
  };
  CountingAfter all(SIZE_MAX);
  RecordingContext all_ctx;
  run(all, all_ctx);
  CountingAfter some(3, take_heads);
  RecordingContext some_ctx;
  run(some, some_ctx);
  std::size_t heads_total = 0;
  std::uint64_t skipped_total = 0;
  for (const engine::Direction d : {engine::Direction::ToServer, engine::Direction::ToClient}) {
    const std::size_t di = static_cast<std::size_t>(d);
    const auto& ref = all.got[di];
    const auto& got = some.got[di];
    ASSERT_FALSE(ref.empty());
    // A subsequence of full decryption: same bytes, same frame, same order.
    std::size_t j = 0;
    for (const auto& g : got) {
      while (j < ref.size() && !(ref[j] == g)) ++j;
      ASSERT_LT(j, ref.size()) << scenario << " dir " << di << ": a delivery full decryption does not have";
      ++j;
    }
    // A record counted from its head: the head is the start of that record's plaintext and the
    // length its length, as full decryption has them.
    for (const auto& h : some.heads[di]) {
      const bool found = std::any_of(ref.begin(), ref.end(), [&](const auto& r) {
        return r.frame == h.frame && r.bytes.size() == h.length && h.head.size() <= h.length &&
               std::equal(h.head.begin(), h.head.end(), r.bytes.begin());
      });
      EXPECT_TRUE(found) << scenario << " dir " << di << ": a head full decryption does not have";
    }
    const std::size_t heads = some.heads[di].size();
    heads_total += heads;
    const auto& rec = some_ctx.conn.tls["records"][model::directionName(d)];
    EXPECT_EQ(rec["header_only"].get<std::uint64_t>(), heads);
    const bool last_as_head = !some.heads[di].empty() &&
                              some.heads[di].back().frame >= got.back().frame &&
                              some.heads[di].back().length == ref.back().bytes.size();
    EXPECT_TRUE(got.back() == ref.back() || last_as_head)
        << scenario << " dir " << di << ": the last record was neither decrypted nor counted";
    const auto skipped = rec["bulk_skipped"].get<std::uint64_t>();
    EXPECT_EQ(got.size() + heads + skipped, ref.size()) << scenario << " dir " << di;
    EXPECT_EQ(some_ctx.conn.tls["records"][model::directionName(d)]["count"],
              all_ctx.conn.tls["records"][model::directionName(d)]["count"]);
    if (skipped > 0) {
      EXPECT_GT(some.resyncs[di], 0u);
    }
    skipped_total += skipped;
  }
  EXPECT_GT(skipped_total, 0u) << scenario << ": nothing was held back and pushed out";
  if (take_heads) {
    EXPECT_GT(heads_total, 0u) << scenario << ": no record was counted from its head";
  }
  EXPECT_TRUE(some_ctx.anomalies.empty()) << some_ctx.anomalies.front();
}

// A consumer that reports an event for each delivery beginning with a TPKT header (a slow-path
// PDU) and nothing for the rest.
class TpktReporter final : public engine::Dissector {
 public:
  std::string_view name() const override { return "tpkt-reporter"; }
  engine::Progress onData(const engine::StreamData& in, engine::DissectContext& ctx) override {
    if (!in.data.empty() && in.data[0] == 0x03) {
      ctx.emit(model::Event::make("test.pdu", std::nullopt, "pdu"));
    }
    return engine::Progress::consumed(in.data.size());
  }
};

// A decrypted record is listed as application data only when its plaintext showed as no event
// of its own; it is counted either way.
TEST(TlsDecryption, DecryptedRecordListedOnlyWhenItsPlaintextShowsNoEvent) {
  const std::string dir = kLab + "tls13-success/";
  if (!exists(dir + "capture.pcap") || !exists(dir + "keys.log")) GTEST_SKIP() << "no lab capture";
  auto loaded = engine::KeyStore::parseKeyLog(slurp(dir + "keys.log"), "keys.log");
  ASSERT_TRUE(loaded.store);
  const auto conns = readConnections(dir + "capture.pcap");
  ASSERT_FALSE(conns.empty());
  RecordingContext ctx;
  ctx.key_store = loaded.store.get();
  TpktReporter consumer;
  auto tls = makeTlsDissector(consumer);
  runTls(conns[0], *tls, ctx);
  ctx.buildHeldStubs();
  std::set<std::pair<std::uint64_t, int>> pdus;
  for (const auto* e : ctx.byKind("test.pdu")) {
    EXPECT_TRUE(e->decrypted);
    pdus.emplace(e->frame, static_cast<int>(e->dir));
  }
  ASSERT_FALSE(pdus.empty());
  std::size_t listed = 0;
  for (const auto* e : ctx.byKind("tls.application_data")) {
    if (!e->decrypted) continue;
    ++listed;
    EXPECT_EQ(pdus.count({e->frame, static_cast<int>(e->dir)}), 0u) << "frame " << e->frame;
  }
  EXPECT_GT(listed, 0u);  // the fast-path records: no event from this consumer
  // Counted all the same: as many records as without keys.
  RecordingContext plain;
  CollectingDissector sink;
  auto tls_plain = makeTlsDissector(sink);
  runTls(conns[0], *tls_plain, plain);
  EXPECT_EQ(ctx.conn.tls["records"], plain.conn.tls["records"]);
}

TEST(TlsDecryption, HeldRecordsDecryptAtTheEndTls12) {
  expectHeldRecordsDecryptAtTheEnd("tls12-success", false);
}
TEST(TlsDecryption, HeldRecordsDecryptAtTheEndTls13) {
  expectHeldRecordsDecryptAtTheEnd("tls13-success", false);
}
// The same with records counted from their head where the consumer can (RecordDecryptor::peek,
// Dissector::countFromHead): what it is given is what full decryption gives.
TEST(TlsDecryption, RecordsCountedFromTheirHeadTls12) {
  expectHeldRecordsDecryptAtTheEnd("tls12-success", true);
}
TEST(TlsDecryption, RecordsCountedFromTheirHeadTls13) {
  expectHeldRecordsDecryptAtTheEnd("tls13-success", true);
}

}  // namespace
}  // namespace rdpscope::tls

namespace rdpscope::tls {
namespace {

// Every lab capture that has a key log: each TLS connection decrypts without a MAC failure or a
// framing anomaly (the lab's key logs are complete; tshark decrypts the same sessions).
TEST(TlsDecryption, AllLabCapturesWithKeyLogs) {
  if (!exists(kLab)) GTEST_SKIP() << "no lab captures";
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kLab)) {
    const std::string dir = entry.path().string() + "/";
    if (!exists(dir + "keys.log") || !exists(dir + "capture.pcap")) continue;
    auto loaded = engine::KeyStore::parseKeyLog(slurp(dir + "keys.log"), "keys.log");
    ASSERT_TRUE(loaded.store) << dir << ": " << loaded.error;
    const std::uint16_t port = entry.path().filename() == "tls-nonstandard-port" ? 13389 : 3389;
    for (const auto& conn : readConnections(dir + "capture.pcap", port)) {
      auto r = analyse(conn, loaded.store.get());
      const auto& t = r->ctx.conn.tls;
      if (t.empty() || t["version"].is_null()) continue;  // no TLS handshake in this connection
      ++checked;
      for (const auto& a : r->ctx.anomalies) {
        EXPECT_NE(a, "tls.decrypt.bad_record_mac") << dir << " " << conn.client;
        EXPECT_NE(a.rfind("tls.record", 0), 0u) << dir << " " << conn.client << " " << a;
      }
      std::printf("%-40s %s %s decrypted=%s complete=%s alert=%s notes=%zu\n",
                  entry.path().filename().c_str(), t["version"].dump().c_str(), t["cipher"].dump().c_str(),
                  t["decrypted"].dump().c_str(), t["handshake_complete"].dump().c_str(),
                  t["alert"].dump().c_str(), r->ctx.conn.notes.size());
      for (const auto& n : r->ctx.conn.notes) std::printf("    note: %s\n", n.c_str());
    }
  }
  EXPECT_GT(checked, 0);
}

// Every lab capture without keys: no framing anomaly, and failures show up as plaintext alerts.
TEST(TlsDissector, AllLabCapturesWithoutKeys) {
  if (!exists(kLab)) GTEST_SKIP() << "no lab captures";
  for (const auto& entry : std::filesystem::directory_iterator(kLab)) {
    const std::string dir = entry.path().string() + "/";
    if (!exists(dir + "capture.pcap")) continue;
    const std::uint16_t port = entry.path().filename() == "tls-nonstandard-port" ? 13389 : 3389;
    for (const auto& conn : readConnections(dir + "capture.pcap", port)) {
      auto r = analyse(conn);
      const auto& t = r->ctx.conn.tls;
      if (t.empty() || t["ja4"].is_null()) continue;  // no ClientHello: not a TLS connection
      for (const auto& a : r->ctx.anomalies) {
        EXPECT_NE(a.rfind("tls.", 0), 0u) << dir << " " << conn.client << " " << a;
      }
      std::printf("%-40s %s %s complete=%s alert=%s from=%s ja4=%s\n", entry.path().filename().c_str(),
                  t["version"].dump().c_str(), t["cipher"].dump().c_str(),
                  t["handshake_complete"].dump().c_str(), t["alert"].dump().c_str(),
                  t["alert_from"].dump().c_str(), t["ja4"].dump().c_str());
    }
  }
}

}  // namespace
}  // namespace rdpscope::tls
