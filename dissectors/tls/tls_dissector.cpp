#include "tls/tls_dissector.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "core/code_names.h"
#include "core/limits.h"
#include "engine/forwarding_context.h"
#include "engine/keystore.h"
#include "model/event_builder.h"
#include "tls/record_queue.h"
#include "tls/tls_crypto.h"
#include "tls/tls_handshake.h"
#include "tls/tls_names.h"

namespace rdpscope::tls {
namespace {

using engine::Direction;
using engine::DissectContext;
using engine::Progress;
using model::Event;
using model::Fields;
using model::Stage;

// Record layer ContentType (RFC 8446 5.1, RFC 5246 6.2.1).
constexpr std::uint8_t kChangeCipherSpec = 20;
constexpr std::uint8_t kAlert = 21;
constexpr std::uint8_t kHandshake = 22;
constexpr std::uint8_t kApplicationData = 23;
constexpr std::uint8_t kHeartbeat = 24;  // RFC 6520
constexpr std::size_t kRecordHeader = 5;  // type(1) version(2) length(2), RFC 5246 6.2.1
constexpr std::size_t kHandshakeHeader = 4;  // msg_type(1) length(3), RFC 8446 4
// Size of a TLS 1.3 encrypted alert: 2 alert bytes + 1 content type + 16-byte AEAD tag.
constexpr std::size_t kTls13AlertRecordSize = 19;
// With keys, application-data records of at least this size are counted, not decrypted, once
// the consumer only counts what follows (an RDP session past activation; --decrypt-all turns
// this off). Every PDU the diagnosis reads after activation is far smaller: Set Error Info
// ([MS-RDPBCGR] 2.2.5.1.1, ~50 bytes with headers), Deactivate All (2.2.3.1), Disconnect
// Provider Ultimatum (T.125, 9 bytes), Shutdown Request/Denied (2.2.2.2, 2.2.2.3), Save
// Session Info with logon info version 2 (2.2.10.1.1.2: 576 bytes + names, < 1.3 KB), a
// reactivation's Demand Active (2.2.1.13.1, ~0.5-1.5 KB), a TLS 1.3 KeyUpdate or
// NewSessionTicket. Records this large carry graphics updates and virtual channel data.
constexpr std::size_t kBulkRecordMin = 4096;
// Smaller records past activation are held back instead, the last kHeldRecords (kHeldBytes) of
// each direction, and decrypted only when the connection ends (FIN, RST, timeout, end of capture) or
// a non-application-data record arrives: the PDUs that explain an end (Set Error Info, Deactivate
// All, Shutdown, Disconnect Provider Ultimatum, a TLS alert) come in its last few records. An
// older record pushed out of the window is counted, not decrypted, like a large one. The first
// kDecryptAfterActive records of each direction after activation are still decrypted at once
// (Monitor Layout, an early Save Session Info). Issue 8: decryption of the bulk in between
// was most of the cost of --keylog. Of the records decrypted in both windows, those whose first
// plaintext bytes show one PDU the consumer only counts are counted from them (countFromHead).
constexpr std::size_t kHeldRecords = 16;
// And at most this many bytes of them per direction (in a RecordQueue of twice that), so that
// memory stays bounded by the number of open connections whatever the records' sizes.
constexpr std::size_t kHeldBytes = 8192;
constexpr std::size_t kDecryptAfterActive = 16;
// Of a large record held only to be passed over in order, the bytes skip() may need: the last
// ciphertext block before a MAC of at most 48 bytes (TLS 1.0 CBC chained IV).
constexpr std::size_t kSkipTail = 128;
// The transcript kept for the extended master secret (RSA key exchange only) is bounded.
constexpr std::size_t kMaxTranscript = 256 * 1024;

std::size_t idx(Direction d) { return static_cast<std::size_t>(d); }
const char* sideName(Direction d) { return d == Direction::ToServer ? "client" : "server"; }

// Marks every event of the plaintext consumer as decrypted (seen only thanks to the key log),
// and counts them: a record whose plaintext shows as events of its own is not listed again as
// "application data" (see decryptRecord).
class DecryptedContext final : public engine::ForwardingContext {
 public:
  explicit DecryptedContext(DissectContext& inner) : ForwardingContext(inner) {}
  void emit(Event&& event) override {
    ++emitted_;
    event.decrypted = true;
    inner_.emit(std::move(event));
  }
  void emitBulk(Event&& event) override {
    ++emitted_;
    event.decrypted = true;
    inner_.emitBulk(std::move(event));
  }
  void emitBulkStub(engine::BulkStub&& stub) override {
    ++emitted_;
    stub.decrypted = true;
    inner_.emitBulkStub(std::move(stub));
  }
  // Not counted: a record whose plaintext is malformed is still listed as a record.
  void anomaly(std::string_view id, Direction dir, std::uint64_t stream_offset,
               std::string detail) override {
    inner_.anomaly(id, dir, stream_offset, "in decrypted TLS stream: " + detail);
  }
  std::uint64_t emitted() const { return emitted_; }

 private:
  std::uint64_t emitted_ = 0;
};

// tls.application_data's summary and fields, from its stub (engine::BulkStub: body.value =
// record length, body.flags bit 0 = TLS 1.3 alert-sized record, bit 1 = a bulk record left
// undecrypted although keys are known, kBulkRecordMin). Described only for the records kept in
// the timeline.
constexpr std::uint32_t kStubAlertSized = 1u;
constexpr std::uint32_t kStubBulkNotDecrypted = 2u;

void describeAppData(const model::CompactBody& body, Direction /*dir*/,
                     model::EventBodySink& sink) {
  const bool alert_sized = (body.flags & kStubAlertSized) != 0;
  const bool bulk = (body.flags & kStubBulkNotDecrypted) != 0;
  sink.summary("application data, ");
  sink.summaryNumber(body.value);
  sink.summary(" bytes");
  if (bulk) {
    sink.summary(" (bulk session data: counted, not decrypted)");
  }
  sink.fieldNumber("length", body.value);
  if (alert_sized) {
    sink.fieldFlag("alert_sized", true);
  }
  if (bulk) {
    sink.fieldFlag("bulk_not_decrypted", true);
  }
}

// A ClientHello event's content, kept for its describe function: the largest handshake event
// (four name lists), written once per connection and otherwise only counted by the rules, which
// read its frame.
struct ClientHelloPayload final : model::CompactPayload {
  std::uint16_t legacy_version = 0;
  std::vector<std::uint16_t> supported_versions;
  std::vector<std::uint16_t> cipher_suites;
  std::vector<std::uint16_t> signature_algorithms;
  std::vector<std::uint16_t> groups;
  std::vector<std::uint16_t> extension_types;
  std::string sni;
  std::vector<std::string> alpn;
  std::size_t session_id_length = 0;
  bool session_ticket = false;
  std::size_t session_ticket_length = 0;
  std::string ja3;
  std::string ja4;
  std::string top_version;  // the highest version offered, for the summary
};

ClientHelloPayload makeClientHelloPayload(const ClientHello& ch) {
  ClientHelloPayload payload;
  payload.legacy_version = ch.legacy_version;
  payload.supported_versions = ch.supported_versions;
  payload.cipher_suites = ch.cipher_suites;
  payload.signature_algorithms = ch.signature_algorithms;
  payload.groups = ch.groups;
  payload.extension_types.reserve(ch.extensions.size());
  for (const auto& e : ch.extensions) {
    payload.extension_types.push_back(e.type);
  }
  payload.sni = ch.sni;
  payload.alpn = ch.alpn;
  payload.session_id_length = ch.session_id.size();
  payload.session_ticket = ch.has_session_ticket_ext;
  payload.session_ticket_length = ch.session_ticket_len;
  payload.ja3 = ja3Hash(ch);
  payload.ja4 = ja4(ch);
  std::string top = ch.supported_versions.empty() ? versionName(ch.legacy_version) : "";
  if (top.empty()) {
    std::uint16_t best = 0;
    for (auto v : ch.supported_versions) if (!isGrease(v)) best = std::max(best, v);
    top = versionName(best);
  }
  payload.top_version = std::move(top);
  return payload;
}

// Everything of a ClientHello that its payload (and so its JA3 and JA4) depends on, length-
// prefixed: equal keys, equal payloads. The random, the session id's bytes and the key shares,
// which differ at every connection, are not shown and not in it.
std::string clientHelloKey(const ClientHello& ch) {
  std::string key;
  auto u16 = [&key](std::size_t v) {
    key.push_back(static_cast<char>(v >> 8));
    key.push_back(static_cast<char>(v));
  };
  auto list = [&](const auto& values) {
    u16(values.size());
    for (auto v : values) u16(v);
  };
  auto text = [&](const std::string& t) {
    u16(t.size());
    key.append(t);
  };
  key.reserve(256);
  u16(ch.legacy_version);
  list(ch.supported_versions);
  list(ch.cipher_suites);
  list(ch.signature_algorithms);
  list(ch.groups);
  list(ch.ec_point_formats);
  u16(ch.extensions.size());
  for (const auto& e : ch.extensions) u16(e.type);
  text(ch.sni);
  u16(ch.alpn.size());
  for (const std::string& a : ch.alpn) text(a);
  u16(ch.session_id.size());
  key.push_back(ch.has_session_ticket_ext ? '\1' : '\0');
  const auto ticket = static_cast<std::uint64_t>(ch.session_ticket_len);
  key.append(reinterpret_cast<const char*>(&ticket), sizeof ticket);
  return key;
}

// A client program sends the same ClientHello to every server it connects to (but for its
// random, session id and key shares, none of them shown): its payload, fingerprints and name
// lists included, is made once per thread and shared, and the JSON writer reuses its text for a
// payload it has just written (issue 8: JA3, JA4 and the names were 5 % of a run on the
// benchmark corpus, one ClientHello per connection). Bounded: emptied when full.
std::shared_ptr<const ClientHelloPayload> clientHelloPayload(const ClientHello& ch) {
  constexpr std::size_t kMaxSeen = 64;
  thread_local std::unordered_map<std::string, std::shared_ptr<const ClientHelloPayload>> seen;
  std::string key = clientHelloKey(ch);
  if (const auto it = seen.find(key); it != seen.end()) {
    return it->second;
  }
  auto payload = std::make_shared<const ClientHelloPayload>(makeClientHelloPayload(ch));
  if (seen.size() >= kMaxSeen) {
    seen.clear();
  }
  seen.emplace(std::move(key), payload);
  return payload;
}

// Names of the first `cap` values as a list (UNKNOWN(0x..) when not in the table).
void describeNames(model::EventBodySink& sink, std::string_view key, CodeTable table,
                   const std::vector<std::uint16_t>& values, std::size_t cap = 128) {
  sink.beginList(key);
  for (std::size_t i = 0; i < values.size() && i < cap; ++i) {
    withCodeName(table, values[i], [&sink](std::string_view name) { sink.listText(name); });
  }
  sink.endList();
}

void describeClientHello(const model::CompactBody& body, Direction /*dir*/,
                         model::EventBodySink& sink) {
  const auto& ch = static_cast<const ClientHelloPayload&>(*body.payload);
  sink.summary("ClientHello up to ");
  sink.summary(ch.top_version);
  sink.summary(", ");
  sink.summaryNumber(ch.cipher_suites.size());
  sink.summary(" cipher suites");
  if (!ch.sni.empty()) {
    sink.summary(", SNI ");
    sink.summary(ch.sni);
  }
  sink.fieldText("version", versionName(ch.legacy_version));
  sink.fieldNumber("version_value", ch.legacy_version);
  describeNames(sink, "supported_versions", protocolVersions(), ch.supported_versions);
  describeNames(sink, "cipher_suites", cipherSuites(), ch.cipher_suites);
  sink.fieldNumber("cipher_suites_count", ch.cipher_suites.size());
  if (ch.sni.empty()) {
    sink.fieldNull("sni");
  } else {
    sink.fieldText("sni", ch.sni);
  }
  sink.beginList("alpn");
  for (const std::string& protocol : ch.alpn) {
    sink.listText(protocol);
  }
  sink.endList();
  describeNames(sink, "signature_algorithms", signatureSchemes(), ch.signature_algorithms);
  describeNames(sink, "groups", namedGroups(), ch.groups);
  sink.fieldNumber("session_id_length", ch.session_id_length);
  sink.fieldFlag("session_ticket", ch.session_ticket);
  sink.fieldNumber("session_ticket_length", ch.session_ticket_length);
  describeNames(sink, "extensions", extensionTypes(), ch.extension_types);
  sink.fieldText("ja3", ch.ja3);
  sink.fieldText("ja4", ch.ja4);
}

class TlsDissector final : public engine::Dissector {
 public:
  explicit TlsDissector(engine::Dissector& consumer) : pipeline_(consumer) {}

  std::string_view name() const override { return "tls"; }

  Progress onData(const engine::StreamData& in, DissectContext& ctx) override {
    initSummary(ctx);
    const ByteView data = in.data;
    DirState& ds = dirs_[idx(in.dir)];
    if (ds.cleartext) {
      pipeline_.deliver(in.dir, data, ctx);
      return Progress::consumed(data.size());
    }
    std::size_t pos = 0;
    while (data.size() - pos >= kRecordHeader) {
      ByteReader hr(data.subspan(pos, kRecordHeader));
      const std::uint8_t type = *hr.u8("tls.record.type");
      const std::uint16_t version = *hr.u16be("tls.record.version");
      const std::uint16_t length = *hr.u16be("tls.record.length");
      const std::uint64_t offset = in.stream_offset + pos;
      if (type < kChangeCipherSpec || type > kHeartbeat || (version >> 8) != 3 || (version & 0xFF) > 4) {
        if (type == 0x03 && (version >> 8) == 0x00 && !ds.delivered_plaintext) {
          // TPKT (RFC 1006: version 3, reserved 0) where a TLS record was expected: servers
          // such as xrdp send a cleartext MCS Disconnect Provider Ultimatum after a failed TLS
          // handshake. Hand the rest of this direction, undecrypted, to the RDP dissector.
          emit(ctx, in.dir, "tls.cleartext_rdp",
               std::string("cleartext RDP (TPKT) from the ") + sideName(in.dir) +
                   " where TLS records were expected",
               Fields{{"offset", offset}}, false, false);
          ds.cleartext = true;
          pipeline_.deliver(in.dir, data.subspan(pos), ctx);
          return Progress::consumed(data.size());
        }
        ctx.anomaly("tls.record.bad_header", in.dir, offset,
                    "not a TLS record header: type " + std::to_string(type) + ", version " +
                        hexCode(version) + "; dissection of this direction stops");
        finishSummary(ctx);
        return Progress::stop(pos);
      }
      if (length > limits::kMaxTlsRecord) {
        ctx.anomaly("tls.record.too_long", in.dir, offset,
                    "record length " + std::to_string(length) + " exceeds " +
                        std::to_string(limits::kMaxTlsRecord) + "; dissection of this direction stops");
        finishSummary(ctx);
        return Progress::stop(pos);
      }
      if (data.size() - pos < kRecordHeader + length) {
        return Progress::needMore(pos, kRecordHeader + length);
      }
      const ByteView fragment = data.subspan(pos + kRecordHeader, length);
      const bool ok = onRecord(in.dir, type, version, fragment, offset, ctx);
      pos += kRecordHeader + length;
      if (!ok) {
        finishSummary(ctx);
        return Progress::stop(pos);
      }
    }
    if (pos < data.size()) return Progress::needMore(pos, kRecordHeader);
    return Progress::consumed(pos);
  }

  void onEnd(Direction dir, engine::EndReason why, DissectContext& ctx) override {
    initSummary(ctx);
    releaseAllHeld(ctx);  // the last words of both sides, before either side's end is reported
    DirState& d = dirs_[idx(dir)];
    if (tls13_ && d.last_app_len == kTls13AlertRecordSize && !d.dec) {
      ctx.connection().notes.push_back(std::string("the last TLS record from the ") + sideName(dir) +
                                       " has the size of an encrypted TLS 1.3 alert (19 bytes): "
                                       "possibly close_notify or an error alert");
    }
    pipeline_.end(dir, why, decrypted_ctx(ctx));
    finishSummary(ctx);
  }

 private:
  // An application-data record held back undecrypted, with what is needed to handle it later.
  struct HeldRecord {
    std::uint64_t frame = 0;
    Timestamp ts{};
    std::uint64_t offset = 0;
    std::uint16_t version = 0;
    std::size_t length = 0;            // of the whole fragment
    bool skip_only = false;            // large: never decrypted, only passed over in order
  };  // and its bytes in the queue: the fragment, or its last kSkipTail bytes if skip_only

  struct DirState {
    std::vector<std::uint8_t> hs_buf;    // handshake bytes not yet forming a whole message
    bool encrypted = false;              // this direction's records are protected
    bool finished = false;               // Finished seen (or, without keys, inferred)
    bool failed = false;                 // decryption failed: metadata only from now on
    bool app_keys = false;               // TLS 1.3: decryptor holds application traffic keys
    std::unique_ptr<RecordDecryptor> dec;
    std::uint64_t app_count = 0;
    std::uint64_t app_bytes = 0;
    std::size_t last_app_len = 0;
    bool cleartext = false;               // TPKT seen instead of TLS: bytes go to the consumer
    bool delivered_plaintext = false;     // decrypted bytes were handed to the consumer
    std::uint64_t bulk_skipped = 0;       // records left undecrypted (kBulkRecordMin, kHeldRecords)
    std::uint64_t header_only = 0;        // records counted from their head (countFromHead)
    bool resync_due = false;              // the consumer must resynchronise before new bytes
    std::uint64_t after_active = 0;       // records since the consumer only counts
    // Records held back (kHeldRecords, kHeldBytes); the decryptor is at the oldest.
    RecordQueue<HeldRecord> held{kHeldRecords, kHeldBytes};
  };

  // Whether keys are known but the consumer only counts what `dir` carries next, so records
  // may be held back or passed over (see kBulkRecordMin, kHeldRecords).
  bool consumerOnlyCounts(Direction dir, const DissectContext& ctx) const {
    return handshake_complete_ && ctx.keys() != nullptr && !ctx.keys()->decryptBulk() &&
           !pipeline_.needsEveryByte(dir);
  }

  // Before the consumer gets bytes of `dir` again after records were passed over (skipRecord):
  // it finds its framing again first (Dissector::onResync).
  void resyncIfDue(Direction dir, DissectContext& dctx) {
    DirState& d = dirs_[idx(dir)];
    if (d.resync_due) {
      d.resync_due = false;
      pipeline_.resync(dir, dctx);
    }
  }

  // Passes over one record without decrypting it: counted, and the consumer resynchronises.
  void skipRecord(Direction dir, ByteView fragment_or_tail, std::size_t length, DissectContext& ctx) {
    DirState& d = dirs_[idx(dir)];
    d.dec->skip(fragment_or_tail);
    ++d.bulk_skipped;
    d.resync_due = true;
    countAppData(dir, length, ctx, false, true);
  }

  // Holds a record back (see kHeldRecords); the oldest held one is passed over when full.
  void holdRecord(Direction dir, std::uint16_t version, ByteView fragment, std::uint64_t offset,
                  DissectContext& ctx) {
    DirState& d = dirs_[idx(dir)];
    const bool large = fragment.size() >= kBulkRecordMin;
    if (large && d.held.empty()) {
      skipRecord(dir, fragment, fragment.size(), ctx);  // nothing before it to keep in order
      return;
    }
    const ByteView keep = large ? fragment.last(std::min(kSkipTail, fragment.size())) : fragment;
    while (!d.held.fits(keep.size())) {
      const HeldRecord& oldest = d.held.front();
      withStamp(ctx, oldest, [&] { skipRecord(dir, d.held.frontBytes(), oldest.length, ctx); });
      d.held.pop();
    }
    HeldRecord r;
    r.frame = ctx.currentFrame();
    r.ts = ctx.currentTime();
    r.offset = offset;
    r.version = version;
    r.length = fragment.size();
    r.skip_only = large;
    d.held.push(r, keep);
  }

  // Handles the oldest held record of `dir` now, stamped with its own frame and time. False
  // when dissection of the direction must stop (as for a record handled on arrival).
  bool releaseOldestHeld(Direction dir, DissectContext& ctx) {
    DirState& d = dirs_[idx(dir)];
    const HeldRecord r = d.held.front();
    const ByteView bytes = d.held.frontBytes();  // valid until the next push: not while handled
    d.held.pop();
    bool ok = true;
    withStamp(ctx, r, [&] {
      if (!d.dec || d.failed) {
        countAppData(dir, r.length, ctx, false);  // the key stopped working on an earlier record
      } else if (r.skip_only) {
        skipRecord(dir, bytes, r.length, ctx);
      } else if (!countFromHead(dir, bytes, ctx)) {
        ok = decryptRecord(dir, kApplicationData, r.version, bytes, r.offset, ctx, true);
      }
    });
    return ok;
  }

  // Every held record of `dir`, in order; after a stop the rest are only counted.
  bool releaseHeld(Direction dir, DissectContext& ctx) {
    bool ok = true;
    while (!dirs_[idx(dir)].held.empty()) {
      if (!releaseOldestHeld(dir, ctx)) {
        ok = false;
        dirs_[idx(dir)].failed = true;  // metadata only for what remains
      }
    }
    return ok;
  }

  // Both directions' held records in capture order (the connection ends).
  void releaseAllHeld(DissectContext& ctx) {
    for (;;) {
      const DirState& a = dirs_[0];
      const DirState& b = dirs_[1];
      const bool take_a = !a.held.empty() &&
                          (b.held.empty() || a.held.front().frame <= b.held.front().frame);
      if (take_a) {
        releaseOldestHeld(static_cast<Direction>(0), ctx);
      } else if (!b.held.empty()) {
        releaseOldestHeld(static_cast<Direction>(1), ctx);
      } else {
        return;
      }
    }
  }

  template <typename Fn>
  static void withStamp(DissectContext& ctx, const HeldRecord& r, Fn&& fn) {
    const std::uint64_t frame = ctx.currentFrame();
    const Timestamp ts = ctx.currentTime();
    ctx.setStamp(r.frame, r.ts);
    fn();
    ctx.setStamp(frame, ts);
  }

  // A record past activation that is to be decrypted (one of the first after activation, or a
  // held one at the end): counted from the head of its plaintext instead when those bytes start
  // one PDU that fills the record and that the consumer only counts (Dissector::countFromHead:
  // a fast-path PDU, virtual channel data, a graphics update). RecordDecryptor::peek reads the
  // few cipher blocks that hold the head and the content type; the rest is neither decrypted nor
  // authenticated, and the consumer shows the same event it would for the whole record. False
  // when the record must be decrypted whole (a PDU the diagnosis reads, several PDUs or part of
  // one, a TLS 1.3 alert or KeyUpdate, a padded record).
  bool countFromHead(Direction dir, ByteView fragment, DissectContext& ctx) {
    DirState& d = dirs_[idx(dir)];
    RecordPeek peek;
    if (!d.dec->peek(kApplicationData, fragment, peek) || peek.inner_type != kApplicationData) {
      return false;
    }
    DecryptedContext& dctx = decrypted_ctx(ctx);
    resyncIfDue(dir, dctx);
    if (!pipeline_.countFromHead(dir, ByteView(peek.head.data(), peek.head_len),
                                 peek.content_length, dctx)) {
      return false;
    }
    d.dec->skip(fragment);
    ++d.header_only;
    countOnly(dir, fragment.size(), ctx);  // shown as the consumer's event, as if decrypted
    return true;
  }

  DecryptedContext& decrypted_ctx(DissectContext& ctx) {
    if (!dctx_ || dctx_for_ != &ctx) {
      dctx_for_ = &ctx;
      dctx_ = std::make_unique<DecryptedContext>(ctx);
    }
    return *dctx_;
  }

  void initSummary(DissectContext& ctx) {
    if (summary_init_) return;
    summary_init_ = true;
    Fields& t = ctx.connection().tls;
    model::reserveMembers(t, 12);
    for (const char* k : {"version", "cipher", "alert", "alert_from", "server_cert", "ja3", "ja4", "sni"}) {
      if (model::findMember(t, k) == nullptr) model::setMember(t, k, nullptr);
    }
    model::setMember(t, "decrypted", false);
    model::setMember(t, "handshake_complete", false);
    writeRecordCounts(ctx);
  }

  void writeRecordCounts(DissectContext& ctx) {
    Fields& t = ctx.connection().tls;
    Fields rec = Fields::object();
    for (Direction d : {Direction::ToServer, Direction::ToClient}) {
      // bulk_skipped: records counted but left undecrypted although keys were known;
      // header_only: records counted from the first bytes of their plaintext (countFromHead).
      // Members set one by one: an initializer list copies every value and checks its shape.
      Fields counts = Fields::object();
      model::reserveMembers(counts, 4);
      model::setMember(counts, "count", dirs_[idx(d)].app_count);
      model::setMember(counts, "bytes", dirs_[idx(d)].app_bytes);
      model::setMember(counts, "bulk_skipped", dirs_[idx(d)].bulk_skipped);
      model::setMember(counts, "header_only", dirs_[idx(d)].header_only);
      model::setMember(rec, model::directionName(d), std::move(counts));
    }
    model::setMember(t, "records", std::move(rec));
  }

  void finishSummary(DissectContext& ctx) {
    writeRecordCounts(ctx);
    Fields& t = ctx.connection().tls;
    model::setMember(t, "decrypted", decrypted_any_);
    model::setMember(t, "handshake_complete", handshake_complete_);
  }

  void emit(DissectContext& ctx, Direction dir, std::string_view kind, std::string summary,
            Fields fields, bool decrypted, bool handshake_stage = true) {
    Event ev = Event::make(kind, handshake_stage ? std::optional<Stage>(Stage::Tls) : std::nullopt,
                           std::move(summary));
    ev.dir = dir;
    ev.decrypted = decrypted;
    ev.fields = std::move(fields);
    ctx.emit(std::move(ev));
  }
  // The same for an event recorded by `b` (model::EventBuilder), summary included.
  void emit(DissectContext& ctx, Direction dir, const char* kind, model::EventBuilder&& b,
            bool decrypted, bool handshake_stage = true) {
    Event ev = std::move(b).build(kind, handshake_stage ? std::optional<Stage>(Stage::Tls)
                                                        : std::nullopt);
    ev.dir = dir;
    ev.decrypted = decrypted;
    ctx.emit(std::move(ev));
  }
  // An event whose only field is the message or record length.
  void emitLength(DissectContext& ctx, Direction dir, const char* kind, std::string_view summary,
                  std::size_t length, bool decrypted, bool handshake_stage = true) {
    model::EventBuilder b;
    b.summary(summary);
    b.set("length", length);
    emit(ctx, dir, kind, std::move(b), decrypted, handshake_stage);
  }

  // Returns false when dissection of this direction must stop.
  bool onRecord(Direction dir, std::uint8_t type, std::uint16_t version, ByteView fragment,
                std::uint64_t offset, DissectContext& ctx) {
    DirState& d = dirs_[idx(dir)];
    // Held records come first: the decryptor and the consumer see records in order.
    if (type != kApplicationData && !d.held.empty() && !releaseHeld(dir, ctx)) return false;
    switch (type) {
      case kChangeCipherSpec:
        // RFC 5246 7.1: one byte of value 1. In TLS 1.3 a middlebox-compatibility no-op
        // (RFC 8446 D.4) that is never protected.
        {
          model::EventBuilder b;
          b.summary("ChangeCipherSpec from ");
          b.summary(sideName(dir));
          emit(ctx, dir, "tls.change_cipher_spec", std::move(b), false);
        }
        if (!tls13_) {
          d.encrypted = true;
          d.hs_buf.clear();
          startTls12Decryption(dir, ctx);
        }
        return true;
      case kAlert:
        if (fragment.size() == 2 && !(d.encrypted && d.dec)) {
          return onAlert(dir, fragment, offset, false, false, ctx);
        }
        if (d.encrypted || tls13_) {
          if (d.dec && !d.failed) return decryptRecord(dir, type, version, fragment, offset, ctx);
          // TLS 1.2: the content type is visible, the description is not.
          Fields f{{"level", nullptr}, {"description", "encrypted"}, {"description_value", nullptr},
                   {"encrypted", true}};
          emit(ctx, dir, "tls.alert", std::string("encrypted alert from ") + sideName(dir),
               std::move(f), false, !handshake_complete_);
          if (summary_encrypted_alert_from_.empty()) {
            summary_encrypted_alert_from_ = sideName(dir);
            model::setMember(ctx.connection().tls, "encrypted_alert_from",
                             summary_encrypted_alert_from_);
          }
          return true;
        }
        ctx.anomaly("tls.alert.bad_length", dir, offset,
                    "plaintext alert record of " + std::to_string(fragment.size()) + " bytes (expected 2)");
        return false;
      case kHandshake:
        if (d.encrypted) {
          if (d.dec && !d.failed) return decryptRecord(dir, type, version, fragment, offset, ctx);
          // TLS 1.2: the Finished message after ChangeCipherSpec.
          emit(ctx, dir, "tls.encrypted_handshake",
               std::string("encrypted handshake message from ") + sideName(dir) + " (" +
                   std::to_string(fragment.size()) + " bytes)",
               Fields{{"length", fragment.size()}}, false);
          markFinished(dir, ctx);
          return true;
        }
        return onHandshakeBytes(dir, fragment, offset, false, ctx);
      case kApplicationData: {
        // TLS 1.3: the server's protected records before the client's first one are its
        // handshake flight (EncryptedExtensions .. Finished); the client's first protected
        // record is its Finished (RFC 8446 2, figure 1). Decided the same way with or without
        // keys, so record counts (and the facts built on them) do not depend on the key log.
        bool flight = false;
        if (tls13_ && d.encrypted && !tls13_client_protected_seen_) {
          flight = true;
          if (dir == Direction::ToServer) {
            tls13_client_protected_seen_ = true;
            markFinished(Direction::ToServer, ctx);
            markFinished(Direction::ToClient, ctx);
          }
        }
        if (d.dec && !d.failed) {
          if (!flight && consumerOnlyCounts(dir, ctx)) {
            const bool early = d.after_active < kDecryptAfterActive;
            ++d.after_active;
            if (!early || fragment.size() >= kBulkRecordMin) {
              holdRecord(dir, version, fragment, offset, ctx);
              return true;
            }
          }
          if (!d.held.empty() && !releaseHeld(dir, ctx)) return false;  // keep the order
          if (!flight && consumerOnlyCounts(dir, ctx) && countFromHead(dir, fragment, ctx)) {
            return true;
          }
          return decryptRecord(dir, type, version, fragment, offset, ctx, !flight);
        }
        if (flight) {
          emit(ctx, dir, "tls.encrypted_handshake",
               std::string("encrypted handshake record from ") + sideName(dir) + " (" +
                   std::to_string(fragment.size()) + " bytes)",
               Fields{{"length", fragment.size()}}, false);
          return true;
        }
        countAppData(dir, fragment.size(), ctx, false);
        return true;
      }
      default:  // kHeartbeat (RFC 6520): neither handshake nor data; recorded, not decoded
        emit(ctx, dir, "tls.heartbeat", std::string("heartbeat record from ") + sideName(dir),
             Fields{{"length", fragment.size()}}, false, false);
        return true;
    }
  }

  void countAppData(Direction dir, std::size_t length, DissectContext& ctx, bool decrypted,
                    bool bulk_not_decrypted = false) {
    countOnly(dir, length, ctx);
    engine::BulkStub stub;
    stub.kind = "tls.application_data";
    stub.body.describe = &describeAppData;
    stub.body.value = length;
    stub.body.flags =
        (tls13_ && !decrypted && length == kTls13AlertRecordSize) ? kStubAlertSized : 0u;
    if (bulk_not_decrypted) {
      stub.body.flags |= kStubBulkNotDecrypted;
    }
    stub.dir = dir;
    stub.decrypted = decrypted;
    ctx.emitBulkStub(std::move(stub));  // built only if kept in the timeline
    // The `records` counts are written once by finishSummary() (onEnd always runs; nothing reads
    // them before the end): no rebuild of the JSON object while counting (issue 8).
  }

  // Counts a protected record whose content is not application data (TLS 1.3 post-handshake
  // messages, alerts) in the summary only: the same record counts without keys.
  void countOnly(Direction dir, std::size_t length, DissectContext& ctx) {
    (void)ctx;  // counts only: written at the end by finishSummary()
    DirState& d = dirs_[idx(dir)];
    ++d.app_count;
    d.app_bytes += length;
    d.last_app_len = length;
  }

  bool decryptRecord(Direction dir, std::uint8_t type, std::uint16_t version, ByteView fragment,
                     std::uint64_t offset, DissectContext& ctx, bool count_as_app = false) {
    DirState& d = dirs_[idx(dir)];
    std::uint8_t inner = type;
    const DecryptStatus st = d.dec->decrypt(type, version, fragment, plain_, inner);
    if (st != DecryptStatus::Ok) {
      d.failed = true;
      d.dec.reset();
      if (!reported_bad_mac_) {
        reported_bad_mac_ = true;
        if (tls13_ && d.bulk_skipped > 0 && st == DecryptStatus::BadRecordMac) {
          // A TLS 1.3 KeyUpdate (RFC 8446 4.6.3) among the records passed over would change the
          // keys unseen; the key log was right for the records before.
          ctx.anomaly("tls.decrypt.lost_after_skip", dir, offset,
                      "record does not authenticate after " + std::to_string(d.bulk_skipped) +
                          " records were counted without decryption (a TLS 1.3 KeyUpdate among "
                          "them changes the keys); --decrypt-all decrypts every record");
          ctx.connection().notes.push_back(
              "decryption lost its place after records were counted without decryption");
        } else {
          ctx.anomaly("tls.decrypt.bad_record_mac", dir, offset,
                      st == DecryptStatus::BadRecordMac
                          ? "record does not authenticate with the key from the key log: wrong key"
                          : "record cannot be decrypted (malformed for the negotiated cipher)");
          ctx.connection().notes.push_back("key does not authenticate records");
        }
      }
      emit(ctx, dir, "tls.decrypt_failed",
           std::string("cannot decrypt record from ") + sideName(dir) + ": " +
               (st == DecryptStatus::BadRecordMac ? "bad record MAC" : "malformed record"),
           Fields{{"length", fragment.size()},
                  {"reason", st == DecryptStatus::BadRecordMac ? "bad_record_mac" : "malformed"}},
           false, !handshake_complete_);
      // Metadata-only from now on: count the record like any other protected record.
      if (count_as_app) countAppData(dir, fragment.size(), ctx, false);
      return true;
    }
    if (!decrypted_any_) {
      decrypted_any_ = true;
      model::setMember(ctx.connection().tls, "decrypted", true);
    }
    if (count_as_app && inner != kApplicationData) countOnly(dir, fragment.size(), ctx);
    switch (inner) {
      case kHandshake: {
        // Plaintext may be reused by the handshake parser: copy out first.
        std::vector<std::uint8_t> hs(plain_.begin(), plain_.end());
        return onHandshakeBytes(dir, hs, offset, true, ctx);
      }
      case kAlert:
        return onAlert(dir, plain_, offset, true, true, ctx);
      case kApplicationData: {
        // Also inside the flight (0.5-RTT data). The record is listed as "application data" only
        // when its plaintext shows as no event of its own (part of a PDU, or nothing the
        // consumer reports): otherwise the timeline would list each decrypted PDU twice. It is
        // counted either way.
        DecryptedContext& dctx = decrypted_ctx(ctx);
        const std::uint64_t emitted_before = dctx.emitted();
        if (!plain_.empty()) {
          d.delivered_plaintext = true;
          resyncIfDue(dir, dctx);
          pipeline_.deliver(dir, plain_, dctx);
        }
        if (dctx.emitted() == emitted_before) {
          countAppData(dir, fragment.size(), ctx, true);
        } else {
          countOnly(dir, fragment.size(), ctx);
        }
        return true;
      }
      case kChangeCipherSpec:
      default:
        ctx.anomaly("tls.record.bad_inner_type", dir, offset,
                    "decrypted record has content type " + std::to_string(inner));
        return true;
    }
  }

  bool onAlert(Direction dir, ByteView body, std::uint64_t offset, bool encrypted, bool decrypted,
               DissectContext& ctx) {
    // RFC 5246 7.2 / RFC 8446 6: struct { AlertLevel level; AlertDescription description; }
    if (body.size() != 2) {
      ctx.anomaly("tls.alert.bad_length", dir, offset,
                  "alert of " + std::to_string(body.size()) + " bytes (expected 2)");
      return false;
    }
    const std::uint8_t level = body[0];
    const std::uint8_t desc = body[1];
    const std::string desc_name = codeName(alertDescriptions(), desc);
    const std::string level_name = codeName(alertLevels(), level);
    model::EventBuilder b;
    b.setSummary(level_name + " alert " + desc_name + " from " + sideName(dir));
    b.set("level", level_name);
    b.set("description", desc_name);
    b.set("description_value", desc);
    b.set("encrypted", encrypted);
    emit(ctx, dir, "tls.alert", std::move(b), decrypted, !handshake_complete_);
    // Summary: the first fatal alert wins over any earlier warning (e.g. close_notify).
    const bool fatal = level == 2;
    if (!summary_alert_set_ || (fatal && !summary_alert_fatal_)) {
      summary_alert_set_ = true;
      summary_alert_fatal_ = fatal;
      model::setMember(ctx.connection().tls, "alert", desc_name);
      model::setMember(ctx.connection().tls, "alert_from", sideName(dir));
    }
    return true;
  }

  bool onHandshakeBytes(Direction dir, ByteView bytes, std::uint64_t offset, bool decrypted,
                        DissectContext& ctx) {
    DirState& d = dirs_[idx(dir)];
    d.hs_buf.insert(d.hs_buf.end(), bytes.begin(), bytes.end());
    std::size_t pos = 0;
    bool ok = true;
    while (d.hs_buf.size() - pos >= kHandshakeHeader) {
      const std::uint8_t msg_type = d.hs_buf[pos];
      const std::size_t len = (std::size_t{d.hs_buf[pos + 1]} << 16) |
                              (std::size_t{d.hs_buf[pos + 2]} << 8) | std::size_t{d.hs_buf[pos + 3]};
      if (len > limits::kMaxTlsHandshakeMessage) {
        ctx.anomaly("tls.handshake.too_long", dir, offset,
                    "handshake message of " + std::to_string(len) + " bytes exceeds " +
                        std::to_string(limits::kMaxTlsHandshakeMessage));
        ok = false;
        break;
      }
      if (d.hs_buf.size() - pos < kHandshakeHeader + len) break;
      const ByteView msg(d.hs_buf.data() + pos, kHandshakeHeader + len);
      ok = onHandshakeMessage(dir, msg_type, msg.subspan(kHandshakeHeader), msg, offset, decrypted, ctx);
      pos += kHandshakeHeader + len;
      if (!ok) break;
    }
    if (!ok) {
      d.hs_buf.clear();
      return false;
    }
    d.hs_buf.erase(d.hs_buf.begin(), d.hs_buf.begin() + static_cast<std::ptrdiff_t>(pos));
    return true;
  }

  void addTranscript(ByteView msg) {
    if (!keep_transcript_) return;
    if (transcript_.size() + msg.size() > kMaxTranscript) {
      keep_transcript_ = false;
      transcript_.clear();
      return;
    }
    transcript_.insert(transcript_.end(), msg.begin(), msg.end());
  }

  bool onHandshakeMessage(Direction dir, std::uint8_t type, ByteView body, ByteView whole,
                          std::uint64_t offset, bool decrypted, DissectContext& ctx) {
    Fields& summary = ctx.connection().tls;
    auto bad = [&](const ParseError& e, const char* what) {
      ctx.anomaly(std::string("tls.") + what + ".malformed", dir, offset + e.offset,
                  std::string(errorKindName(e.kind)) + " at " + e.field);
      return false;
    };
    switch (type) {
      case kHsClientHello: {
        auto ch = parseClientHello(body);
        if (!ch) return bad(ch.error(), "client_hello");
        client_random_ = ch->random;
        have_client_random_ = true;
        client_etm_ = ch->encrypt_then_mac;
        const EVP_PKEY* rsa = ctx.keys() != nullptr ? ctx.keys()->rsaKey() : nullptr;
        keep_transcript_ = rsa != nullptr;
        transcript_.clear();
        addTranscript(whole);
        std::shared_ptr<const ClientHelloPayload> payload = clientHelloPayload(*ch);
        model::setMember(summary, "ja3", payload->ja3);
        model::setMember(summary, "ja4", payload->ja4);
        model::setMember(summary, "sni", ch->sni.empty() ? Fields(nullptr) : Fields(ch->sni));
        // Compact (model::CompactBody): described only when written; the engine builds it for
        // readers other than the streaming JSON writer.
        Event ev{Event::CompactTag{}};
        ev.kind = "tls.client_hello";
        ev.stage = Stage::Tls;
        ev.dir = dir;
        ev.decrypted = decrypted;
        ev.compact.describe = &describeClientHello;
        ev.compact.payload = std::move(payload);
        ctx.emit(std::move(ev));
        return true;
      }
      case kHsServerHello: {
        auto sh = parseServerHello(body);
        if (!sh) return bad(sh.error(), "server_hello");
        if (sh->hello_retry_request) {
          Fields f{{"cipher", cipherName(sh->cipher_suite)}, {"cipher_value", sh->cipher_suite},
                   {"selected_group", sh->key_share_group != 0
                                          ? Fields(codeName(namedGroups(), sh->key_share_group))
                                          : Fields(nullptr)}};
          emit(ctx, dir, "tls.hello_retry_request", "HelloRetryRequest", std::move(f), decrypted);
          return true;
        }
        addTranscript(whole);
        server_random_ = sh->random;
        suite_id_ = sh->cipher_suite;
        version_ = sh->version();
        tls13_ = version_ == 0x0304;
        etm_ = client_etm_ && sh->encrypt_then_mac;
        ems_ = sh->extended_master_secret;
        model::EventBuilder f;
        f.setSummary("ServerHello: " + versionName(version_) + ", " + cipherName(sh->cipher_suite));
        f.set("version", versionName(version_));
        f.set("version_value", version_);
        f.set("legacy_version", versionName(sh->legacy_version));
        f.set("cipher", cipherName(sh->cipher_suite));
        f.set("cipher_value", sh->cipher_suite);
        f.set("compression", sh->compression);
        f.set("session_id_length", sh->session_id.size());
        std::vector<std::uint16_t> ext_types;
        for (const auto& e : sh->extensions) ext_types.push_back(e.type);
        describeNames(f, "extensions", extensionTypes(), ext_types);
        if (sh->alpn.empty()) {
          f.fieldNull("alpn");
        } else {
          f.set("alpn", sh->alpn);
        }
        if (sh->key_share_group != 0)
          f.set("key_share_group", codeName(namedGroups(), sh->key_share_group));
        f.set("encrypt_then_mac", etm_);
        f.set("extended_master_secret", ems_);
        model::setMember(summary, "version", versionName(version_));
        model::setMember(summary, "cipher", cipherName(sh->cipher_suite));
        emit(ctx, dir, "tls.server_hello", std::move(f), decrypted);
        lookupKeys(ctx);
        if (tls13_) {
          // RFC 8446 2: everything after the ServerHello is protected, in both directions.
          dirs_[0].encrypted = dirs_[1].encrypted = true;
          startTls13Decryption(ctx);
        }
        return true;
      }
      case kHsCertificate: {
        auto certs = parseCertificateList(body, tls13_);
        if (!certs) return bad(certs.error(), "certificate");
        Fields list = Fields::array();
        const std::int64_t now = ctx.currentTime().ns / 1'000'000'000;
        for (std::size_t i = 0; i < certs->size(); ++i) {
          auto info = parseCertificate((*certs)[i], now);
          if (!info) {
            ctx.anomaly("tls.certificate.bad_der", dir, offset,
                        "certificate " + std::to_string(i) + " of the chain is not valid DER X.509");
            list.push_back(nullptr);
            continue;
          }
          Fields cj = certInfoToJson(*info);
          if (i == 0 && dir == Direction::ToClient) model::setMember(summary, "server_cert", cj);
          list.push_back(std::move(cj));
        }
        std::string s = "Certificate from " + std::string(sideName(dir)) + ": " +
                        std::to_string(certs->size()) + " certificate(s)";
        if (!list.empty() && list[0].is_object()) s += ", " + list[0]["subject"].get<std::string>();
        addTranscript(whole);
        emit(ctx, dir, "tls.certificate", std::move(s),
             Fields{{"count", certs->size()}, {"certificates", std::move(list)}}, decrypted);
        return true;
      }
      case kHsServerKeyExchange: {
        addTranscript(whole);
        Fields f{{"length", body.size()}};
        // RFC 8422 5.4: ServerECDHParams { ECCurveType curve_type = named_curve(3); NamedCurve }
        if (body.size() >= 3 && body[0] == 3) {
          const std::uint16_t group = static_cast<std::uint16_t>((body[1] << 8) | body[2]);
          model::setMember(f, "group", codeName(namedGroups(), group));
        }
        emit(ctx, dir, "tls.server_key_exchange", "ServerKeyExchange", std::move(f), decrypted);
        return true;
      }
      case kHsCertificateRequest:
        addTranscript(whole);
        emitLength(ctx, dir, "tls.certificate_request",
                   "CertificateRequest: the server asks for a client certificate", body.size(),
                   decrypted);
        return true;
      case kHsServerHelloDone:
        addTranscript(whole);
        {
          model::EventBuilder b;
          b.summary("ServerHelloDone");
          emit(ctx, dir, "tls.server_hello_done", std::move(b), decrypted);
        }
        return true;
      case kHsClientKeyExchange: {
        addTranscript(whole);
        emitLength(ctx, dir, "tls.client_key_exchange", "ClientKeyExchange", body.size(),
                   decrypted);
        rsaPremaster(body, ctx);
        return true;
      }
      case kHsCertificateVerify:
        addTranscript(whole);
        emitLength(ctx, dir, "tls.certificate_verify",
                   std::string("CertificateVerify from ") + sideName(dir), body.size(), decrypted);
        return true;
      case kHsFinished:
        emitLength(ctx, dir, "tls.finished", std::string("Finished from ") + sideName(dir),
                   body.size(), decrypted);
        markFinished(dir, ctx);
        if (tls13_) switchToApplicationKeys(dir, ctx);
        return true;
      case kHsNewSessionTicket: {
        model::EventBuilder f;
        f.summary("NewSessionTicket");
        f.set("length", body.size());
        if (body.size() >= 4) {
          f.set("lifetime", (std::uint32_t{body[0]} << 24) | (std::uint32_t{body[1]} << 16) |
                                (std::uint32_t{body[2]} << 8) | std::uint32_t{body[3]});
        }
        emit(ctx, dir, "tls.new_session_ticket", std::move(f), decrypted, !handshake_complete_);
        return true;
      }
      case kHsEncryptedExtensions:
        emitLength(ctx, dir, "tls.encrypted_extensions", "EncryptedExtensions", body.size(),
                   decrypted);
        return true;
      case kHsKeyUpdate: {
        // RFC 8446 4.6.3: the sender's next records use the next traffic secret.
        emit(ctx, dir, "tls.key_update", std::string("KeyUpdate from ") + sideName(dir),
             Fields{{"update_requested", !body.empty() && body[0] == 1}}, decrypted, false);
        DirState& d = dirs_[idx(dir)];
        if (d.dec && !d.dec->keyUpdate()) d.dec.reset();
        return true;
      }
      default:
        emit(ctx, dir, "tls.handshake_other",
             "handshake message " + codeName(handshakeTypes(), type),
             Fields{{"type", codeName(handshakeTypes(), type)}, {"type_value", type},
                    {"length", body.size()}},
             decrypted);
        return true;
    }
  }

  void markFinished(Direction dir, DissectContext& ctx) {
    dirs_[idx(dir)].finished = true;
    if (!handshake_complete_ && dirs_[0].finished && dirs_[1].finished) {
      handshake_complete_ = true;
      model::setMember(ctx.connection().tls, "handshake_complete", true);
    }
  }

  // Key lookup once per connection, at the ServerHello.
  void lookupKeys(DissectContext& ctx) {
    const engine::KeyStore* keys = ctx.keys();
    if (keys == nullptr || looked_up_ || !have_client_random_) return;
    looked_up_ = true;
    suite_ = findSuite(suite_id_);
    secrets_ = keys->find(ByteView(client_random_));
    const bool rsa_path = secrets_ == nullptr && keys->rsaKey() != nullptr && suite_ != nullptr &&
                          suite_->rsa_key_exchange && !tls13_;
    if (secrets_ == nullptr && !rsa_path) {
      ctx.connection().notes.push_back("no key for this session (client random " +
                                       toHex(ByteView(client_random_), 32) + ")");
      return;
    }
    if (suite_ == nullptr) {
      ctx.connection().notes.push_back("cipher suite " + cipherName(suite_id_) +
                                       " cannot be decrypted by rdpscope");
    }
  }

  void rsaPremaster(ByteView body, DissectContext& ctx) {
    const engine::KeyStore* keys = ctx.keys();
    if (keys == nullptr || keys->rsaKey() == nullptr || secrets_ != nullptr || suite_ == nullptr ||
        !suite_->rsa_key_exchange || tls13_ || !master_.empty()) {
      return;
    }
    // RFC 5246 7.4.7.1: EncryptedPreMasterSecret, with a 2-byte length since TLS 1.0.
    ByteReader r(body);
    auto len = r.u16be("tls.client_key_exchange.length");
    if (!len) return;
    auto enc = r.bytes(*len, "tls.client_key_exchange.encrypted_premaster");
    if (!enc) return;
    EVP_PKEY_CTX* pctx = EVP_PKEY_CTX_new(keys->rsaKey(), nullptr);
    if (pctx == nullptr) return;
    std::array<std::uint8_t, 1024> pms{};
    std::size_t pms_len = pms.size();
    const bool ok = EVP_PKEY_decrypt_init(pctx) == 1 &&
                    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
                    EVP_PKEY_decrypt(pctx, pms.data(), &pms_len, enc->data(), enc->size()) == 1 &&
                    pms_len == 48;
    EVP_PKEY_CTX_free(pctx);
    if (!ok) {
      OPENSSL_cleanse(pms.data(), pms.size());
      ctx.connection().notes.push_back("the RSA key does not decrypt this session's premaster secret");
      return;
    }
    master_.resize(48);
    bool derived = false;
    if (ems_ && keep_transcript_) {
      // RFC 7627 4: master = PRF(pms, "extended master secret", session_hash).
      std::array<std::uint8_t, EVP_MAX_MD_SIZE * 2> hash{};
      std::size_t hash_len = 0;
      auto digest = [&](const char* name, std::uint8_t* out) {
        unsigned int n = 0;
        EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
        const bool good = md != nullptr &&
                          EVP_Digest(transcript_.data(), transcript_.size(), out, &n, md, nullptr) == 1;
        EVP_MD_free(md);
        return good ? n : 0u;
      };
      if (version_ >= 0x0303) {
        hash_len = digest(suite_->prf_hash, hash.data());
      } else {
        const unsigned m = digest("MD5", hash.data());
        hash_len = m + digest("SHA1", hash.data() + m);
      }
      derived = hash_len > 0 && tlsPrf(prfDigest(*suite_, version_), ByteView(pms.data(), 48),
                                       "extended master secret", ByteView(hash.data(), hash_len), master_);
    } else if (!ems_) {
      std::array<std::uint8_t, 64> seed{};
      std::memcpy(seed.data(), client_random_.data(), 32);
      std::memcpy(seed.data() + 32, server_random_.data(), 32);
      derived = tlsPrf(prfDigest(*suite_, version_), ByteView(pms.data(), 48), "master secret", seed, master_);
    }
    OPENSSL_cleanse(pms.data(), pms.size());
    if (!derived) {
      OPENSSL_cleanse(master_.data(), master_.size());
      master_.clear();
    }
  }

  void startTls12Decryption(Direction dir, DissectContext& ctx) {
    if (suite_ == nullptr || suite_->tls13 || !looked_up_) return;
    ByteView master;
    if (secrets_ != nullptr && secrets_->hasTls12()) {
      master = secrets_->master_secret;
    } else if (!master_.empty()) {
      master = master_;
    } else {
      if (secrets_ != nullptr && !noted_missing_secret_) {
        noted_missing_secret_ = true;
        ctx.connection().notes.push_back("the key log has no CLIENT_RANDOM line for this TLS " +
                                         versionName(version_) + " session (client random " +
                                         toHex(ByteView(client_random_), 32) + ")");
      }
      return;
    }
    if (!key_block_) {
      key_block_ = std::make_unique<KeyBlock>();
      if (!deriveKeyBlock(*suite_, version_, master, client_random_, server_random_, *key_block_)) {
        key_block_.reset();
        return;
      }
    }
    const bool client = dir == Direction::ToServer;
    const KeyBlock& kb = *key_block_;
    dirs_[idx(dir)].dec = RecordDecryptor::tls12(*suite_, version_, client ? kb.client_key : kb.server_key,
                                                 client ? kb.client_iv : kb.server_iv,
                                                 client ? kb.client_mac : kb.server_mac, etm_);
  }

  void startTls13Decryption(DissectContext& ctx) {
    if (suite_ == nullptr || secrets_ == nullptr) return;
    if (!secrets_->hasTls13Handshake()) {
      ctx.connection().notes.push_back(
          "the key log has no TLS 1.3 handshake traffic secrets for this session (client random " +
          toHex(ByteView(client_random_), 32) + ")");
      return;
    }
    if (!secrets_->client_handshake_traffic_secret.empty()) {
      dirs_[idx(Direction::ToServer)].dec =
          RecordDecryptor::tls13(*suite_, secrets_->client_handshake_traffic_secret);
    }
    if (!secrets_->server_handshake_traffic_secret.empty()) {
      dirs_[idx(Direction::ToClient)].dec =
          RecordDecryptor::tls13(*suite_, secrets_->server_handshake_traffic_secret);
    }
  }

  void switchToApplicationKeys(Direction dir, DissectContext& ctx) {
    DirState& d = dirs_[idx(dir)];
    if (d.app_keys || suite_ == nullptr || secrets_ == nullptr) return;
    d.app_keys = true;
    const auto& list = dir == Direction::ToServer ? secrets_->client_traffic_secrets
                                                  : secrets_->server_traffic_secrets;
    if (list.empty() || list[0].empty()) {
      d.dec.reset();
      ctx.connection().notes.push_back(std::string("the key log has no ") +
                                       (dir == Direction::ToServer ? "CLIENT" : "SERVER") +
                                       "_TRAFFIC_SECRET_0 for this session");
      return;
    }
    d.dec = RecordDecryptor::tls13(*suite_, list[0]);
  }

  engine::StreamPipeline pipeline_;
  DissectContext* dctx_for_ = nullptr;
  std::unique_ptr<DecryptedContext> dctx_;
  DirState dirs_[2];
  std::vector<std::uint8_t> plain_;  // reused decryption output buffer
  bool summary_init_ = false;
  bool summary_alert_set_ = false;
  bool summary_alert_fatal_ = false;
  std::string summary_encrypted_alert_from_;
  bool handshake_complete_ = false;
  bool tls13_client_protected_seen_ = false;
  bool decrypted_any_ = false;
  bool reported_bad_mac_ = false;
  bool noted_missing_secret_ = false;
  // Negotiated parameters.
  std::array<std::uint8_t, 32> client_random_{};
  std::array<std::uint8_t, 32> server_random_{};
  bool have_client_random_ = false;
  bool client_etm_ = false;
  bool etm_ = false;
  bool ems_ = false;
  std::uint16_t suite_id_ = 0;
  std::uint16_t version_ = 0;
  bool tls13_ = false;
  // Keys.
  bool looked_up_ = false;
  const SuiteInfo* suite_ = nullptr;
  const engine::TlsSessionSecrets* secrets_ = nullptr;
  std::vector<std::uint8_t> master_;  // from --rsa-key only
  std::unique_ptr<KeyBlock> key_block_;
  bool keep_transcript_ = false;
  std::vector<std::uint8_t> transcript_;

 public:
  ~TlsDissector() override {
    if (!master_.empty()) OPENSSL_cleanse(master_.data(), master_.size());
    if (!plain_.empty()) OPENSSL_cleanse(plain_.data(), plain_.size());
  }
};

}  // namespace

bool looksLikeTlsRecord(ByteView data) noexcept {
  return data.size() >= 3 && data[0] >= kChangeCipherSpec && data[0] <= kHeartbeat && data[1] == 3 &&
         data[2] <= 4;
}

engine::DissectorPtr makeTlsDissector(engine::Dissector& plaintext_consumer) {
  return std::make_unique<TlsDissector>(plaintext_consumer);
}

}  // namespace rdpscope::tls
