// The small, stable interface between the stream engine and the dissectors.
//
// The engine delivers contiguous, in-order bytes per direction (after TCP reassembly, or after
// TLS decryption) to a Dissector. The dissector answers with Progress: how many bytes it consumed
// and, if it needs a whole PDU first, how many more bytes it needs. The engine buffers the rest
// (capped) and calls again. Dissectors report what they saw through DissectContext: timeline
// events, anomalies, and the per-connection summary objects. Nothing here throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/byte_reader.h"
#include "model/connection.h"
#include "model/event.h"

namespace rdpscope::engine {

using model::Direction;

// Outcome of one onData() call (Suricata's AppLayerResult, Wireshark's desegment_len).
class Progress {
 public:
  // Handled `n` bytes; call again with the rest if any.
  static Progress consumed(std::size_t n) { return Progress(n, 0, false); }
  // Handled `n` bytes, then needs at least `needed` more bytes beyond them before progress.
  static Progress needMore(std::size_t n, std::size_t needed) { return Progress(n, needed, false); }
  // Handled `n` bytes; never call onData() for this direction again.
  static Progress stop(std::size_t n) { return Progress(n, 0, true); }

  std::size_t consumedBytes() const { return consumed_; }
  std::size_t neededBytes() const { return needed_; }
  bool stopped() const { return stop_; }

 private:
  Progress(std::size_t c, std::size_t n, bool s) : consumed_(c), needed_(n), stop_(s) {}
  std::size_t consumed_;
  std::size_t needed_;
  bool stop_;
};

enum class EndReason : std::uint8_t { Fin, Rst, Timeout, CaptureEnd };

// Secrets that unlock TLS (key log, RSA key). Implemented in src/engine; the TLS dissector asks.
class KeyStore;

// A high-volume event in compact form (no strings, no JSON). The engine counts it and, only if
// it is among the few kept in the timeline, turns it into an event: left compact
// (model::CompactBody) when its user asked for that (SessionConfig::compact_events), else
// built. body.describe must give exactly the summary and fields the event has; the engine sets
// frame and ts.
struct BulkStub {
  const char* kind = "";                // a string literal, e.g. "tls.application_data"
  std::optional<model::Stage> stage;
  model::CompactBody body;
  Direction dir = Direction::ToServer;
  bool decrypted = false;

  // The event, still compact (frame and ts are the caller's).
  model::Event compactEvent() const& { return makeCompact(model::CompactBody(body)); }
  model::Event compactEvent() && { return makeCompact(std::move(body)); }
  // The same into an event made with Event::CompactTag (frame and ts are the caller's).
  void fillCompact(model::Event& ev) && {
    fillHeader(ev);
    ev.compact = std::move(body);
  }
  // The event with its summary and fields built.
  model::Event build() const {
    model::Event ev = compactEvent();
    model::expandCompact(ev);
    return ev;
  }

 private:
  void fillHeader(model::Event& ev) const {
    ev.kind = kind;
    ev.stage = stage;
    ev.dir = dir;
    ev.decrypted = decrypted;
  }
  model::Event makeCompact(model::CompactBody&& b) const {
    model::Event ev{model::Event::CompactTag{}};
    fillHeader(ev);
    ev.compact = std::move(b);
    return ev;
  }
};

// What a dissector can do to the connection it is analysing. Implemented by engine::Session.
class DissectContext {
 public:
  virtual ~DissectContext() = default;
  // Adds an event to the timeline. The engine fills frame, ts and dir (from the data being
  // delivered) unless the dissector set `frame` itself; set `decrypted` is kept as given.
  virtual void emit(model::Event&& event) = 0;
  // Emits a high-volume event (one per TLS application-data record, fast-path PDU...): kept in
  // the timeline for the first few, then counted, and the last few before the end are kept.
  virtual void emitBulk(model::Event&& event) = 0;
  // A bulk event given as a stub: counted, and built (stub.make) only if it is kept, possibly
  // much later (the engine builds the kept tail at the connection's end, so `make` may read only
  // the stub). The way dissectors emit high-volume events: no strings or JSON are built for the
  // counted ones. Wrapping contexts must forward it (the default is correct but eager), and may
  // change it on the way (a direction, the decrypted flag): it is theirs.
  virtual void emitBulkStub(BulkStub&& stub) {
    emitBulk(stub.build());
  }
  // A malformed or suspicious PDU: becomes an "anomaly" event with a stable dotted id
  // ("x224.neg_rsp.bad_length"), the stream offset and a one-line detail.
  virtual void anomaly(std::string_view id, Direction dir, std::uint64_t stream_offset,
                       std::string detail) = 0;
  // The connection record: its rdp / tls / credssp summary objects are filled by dissectors.
  virtual model::Connection& connection() = 0;
  // Keys for TLS decryption; nullptr when the user gave none.
  virtual const KeyStore* keys() const = 0;
  // When true, user/domain/workstation names are replaced by "<redacted>" in outputs.
  virtual bool redactIdentities() const = 0;
  // Frame number of the packet whose bytes are being delivered now.
  virtual std::uint64_t currentFrame() const = 0;
  virtual Timestamp currentTime() const = 0;
  // Stamps what is emitted from now on with this frame and time instead of the packet being
  // read: for a layer that handles bytes it held back (TLS records decrypted when the
  // connection ends). The caller puts the previous currentFrame()/currentTime() back after.
  virtual void setStamp(std::uint64_t frame, Timestamp ts) = 0;
};

// Bytes for one direction, contiguous with the previous call's unconsumed remainder.
struct StreamData {
  Direction dir;
  std::uint64_t stream_offset;  // offset of data[0] in this direction's byte stream
  ByteView data;
};

class Dissector {
 public:
  virtual ~Dissector() = default;
  virtual std::string_view name() const = 0;
  virtual Progress onData(const StreamData& in, DissectContext& ctx) = 0;
  // `missing` bytes of direction `dir` will never arrive (loss, snaplen cut, capture start).
  // Default: the engine stops delivering that direction after reporting the gap.
  virtual bool acceptsGaps() const { return false; }
  virtual void onGap(Direction dir, std::uint64_t missing, DissectContext& ctx) {
    (void)dir; (void)missing; (void)ctx;
  }
  // False once the dissector would only count what `dir` carries next (an RDP session past
  // activation: graphics and channel data). A layer below (TLS with keys) may then leave records
  // undecrypted, hold them back and deliver only the last few when the connection ends, or offer
  // only the head of a record (countFromHead); it must call onResync() before it delivers bytes
  // after a gap it made.
  virtual bool needsEveryByte(Direction dir) const {
    (void)dir;
    return true;
  }
  // Past needsEveryByte(), a layer below may offer the first bytes of a unit of `length` bytes
  // (a TLS record's plaintext) instead of all of them: `head` starts where the unit starts.
  // Return true when they account for the whole unit: the dissector emitted what it would have
  // for all of it, and the unit is not delivered. False: nothing was emitted, and the unit is
  // delivered whole. The default takes nothing.
  virtual bool countFromHead(Direction dir, ByteView head, std::size_t length,
                             DissectContext& ctx) {
    (void)dir; (void)head; (void)length; (void)ctx;
    return false;
  }
  // Bytes of `dir` were left out on purpose (see needsEveryByte). The next delivery starts at a
  // record boundary of the layer below, which need not be a PDU boundary. Return false to stop
  // the direction instead (the default: a dissector that cannot find its framing again).
  virtual bool onResync(Direction dir, DissectContext& ctx) {
    (void)dir; (void)ctx;
    return false;
  }
  // The direction ended (FIN/RST), timed out, or the capture ended.
  virtual void onEnd(Direction dir, EndReason why, DissectContext& ctx) {
    (void)dir; (void)why; (void)ctx;
  }
};
using DissectorPtr = std::unique_ptr<Dissector>;

// Per-direction buffering driver: feeds a Dissector from a byte stream honouring Progress.
// Used by the engine for TCP payload and by the TLS dissector for decrypted plaintext.
class StreamPipeline {
 public:
  explicit StreamPipeline(Dissector& dissector) : dissector_(dissector) {}
  // Delivers new contiguous bytes of `dir`.
  void deliver(Direction dir, ByteView data, DissectContext& ctx);
  // Reports lost bytes of `dir`; stops that direction unless the dissector accepts gaps.
  void gap(Direction dir, std::uint64_t missing, DissectContext& ctx);
  void end(Direction dir, EndReason why, DissectContext& ctx);
  // Bytes of `dir` were left out on purpose: drops what was pending and asks the dissector to
  // find its framing again (Dissector::onResync); stops the direction if it cannot. Stream
  // offsets keep counting delivered bytes only.
  void resync(Direction dir, DissectContext& ctx);
  bool needsEveryByte(Direction dir) const {
    return !state(dir).stopped && dissector_.needsEveryByte(dir);
  }
  // Offers the head of a unit to the dissector (Dissector::countFromHead) when no bytes of
  // `dir` are pending, i.e. the unit starts at a PDU boundary or a resync point.
  bool countFromHead(Direction dir, ByteView head, std::size_t length, DissectContext& ctx) {
    const DirState& st = state(dir);
    return !st.stopped && !st.ended && st.pending.empty() &&
           dissector_.countFromHead(dir, head, length, ctx);
  }
  bool stopped(Direction dir) const { return state(dir).stopped; }

 private:
  struct DirState {
    std::vector<std::uint8_t> pending;  // bytes delivered but not yet consumed
    std::uint64_t offset = 0;           // stream offset of pending[0]
    std::size_t needed = 0;             // wait until pending holds this many bytes
    bool stopped = false;
    bool ended = false;
  };
  DirState& state(Direction dir) { return dirs_[static_cast<std::size_t>(dir)]; }
  const DirState& state(Direction dir) const { return dirs_[static_cast<std::size_t>(dir)]; }
  void run(Direction dir, ByteView data, DissectContext& ctx);

  Dissector& dissector_;
  DirState dirs_[2];
};

}  // namespace rdpscope::engine
