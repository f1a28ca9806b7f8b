// One analysed connection inside the engine: the Connection record being built, the dissector
// chain and its per-direction pipeline, and the DissectContext the dissectors talk to.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "engine/dissector.h"
#include "model/connection.h"

namespace rdpscope::engine {

struct SessionConfig {
  const KeyStore* keys = nullptr;
  bool redact_identities = false;
  // Compact events (model::Event::isCompact: the kept bulk events, and those a dissector emits
  // compact, such as a ClientHello) stay compact for a user that reads their fields through
  // model::pickFields and writes them with describe (the rules and the streaming JSON writer);
  // false: finish() builds them, for every other reader.
  bool compact_events = false;
};

class Session final : public DissectContext {
 public:
  Session(model::Connection connection, DissectorPtr dissector, SessionConfig config);
  // The dissector chain is made by `make` only when the first bytes, gap or end arrive: a flow
  // that never carries payload (SYN floods, port scans) costs no dissector (issue 8).
  using DissectorFactory = DissectorPtr (*)();
  struct LazyDissector {
    DissectorFactory make = nullptr;
  };
  Session(model::Connection connection, LazyDissector lazy, SessionConfig config);

  // Where the next events come from: set by the flow engine before delivering bytes.
  void setCurrent(std::uint64_t frame, Timestamp ts, Direction dir) {
    current_frame_ = frame;
    current_ts_ = ts;
    current_dir_ = dir;
  }
  void deliver(Direction dir, ByteView data);
  void gap(Direction dir, std::uint64_t missing, const char* reason);
  void end(Direction dir, EndReason why);
  // Adds an engine event (tcp.*) stamped with the current frame.
  void emitTcp(std::string_view kind, std::string summary, model::Fields fields,
               std::optional<model::Stage> stage = std::nullopt);
  // Final bookkeeping: merges kept bulk events, sorts by frame, computes relative times.
  model::Connection finish();

  // DissectContext
  void emit(model::Event&& event) override;
  void emitBulk(model::Event&& event) override;
  void emitBulkStub(BulkStub&& stub) override;
  void anomaly(std::string_view id, Direction dir, std::uint64_t stream_offset,
               std::string detail) override;
  model::Connection& connection() override { return connection_; }
  const KeyStore* keys() const override { return config_.keys; }
  bool redactIdentities() const override { return config_.redact_identities; }
  std::uint64_t currentFrame() const override { return current_frame_; }
  Timestamp currentTime() const override { return current_ts_; }
  void setStamp(std::uint64_t frame, Timestamp ts) override {
    current_frame_ = frame;
    current_ts_ = ts;
  }

 private:
  void stamp(model::Event& event) const;
  StreamPipeline* pipeline();
  void push(model::Event&& event);
  // The timeline holds limits::kMaxEventsPerConnection events, head stubs included.
  bool atEventCap() const;

  model::Connection connection_;
  DissectorPtr dissector_;
  DissectorFactory make_dissector_ = nullptr;
  std::unique_ptr<StreamPipeline> pipeline_;
  SessionConfig config_;
  std::uint64_t current_frame_ = 0;
  Timestamp current_ts_{};
  Direction current_dir_ = Direction::ToServer;
  // The suppressed bulk events of the latest frames, kept for the end: fixed slots (no
  // allocation per event); an entry holds either a built event or a stub built at finish().
  // When all are taken, the entry of the oldest frame is replaced. Events usually come in frame
  // order; a layer releasing held-back records (TLS) emits older frames late.
  struct TailEntry {
    model::Event event{model::Event::CompactTag{}};  // frame and ts always set; no field tree
                                                    // until a built event is moved in
    BulkStub stub;
    bool is_stub = false;
  };
  // The slot for a suppressed bulk event of this frame; nullptr when every kept one is later.
  TailEntry* tailSlotFor(std::uint64_t frame);
  // The kept bulk events of the connection's start that came as stubs: built only at finish(),
  // right before the rules and the writer read them. An open connection holds ~100 bytes for each
  // instead of its heap tree (peak RSS on the 2 GB benchmark corpus: 52.6 MB instead of 56-61 MB;
  // docs/performance.md, tenth round). The writer's wait on cold blocks did not measurably
  // shrink: most of it is in the handshake events, still built at their packet.
  struct HeadStub {
    BulkStub stub;
    std::uint64_t frame = 0;
    Timestamp ts{};
    std::size_t before = 0;  // connection_.events.size() when it came: its place in the timeline
  };
  std::vector<HeadStub> head_stubs_;
  // The compact event a kept stub becomes at finish(), made at the end of `timeline` (finish()
  // then builds every compact event unless SessionConfig keeps them compact).
  static void appendStubEvent(std::vector<model::Event>& timeline, BulkStub& stub,
                              std::uint64_t frame, Timestamp ts);
  std::size_t bulk_kept_ = 0;
  // bulk_kept_ when an event first showed the session active: the head then ends a little later.
  std::optional<std::size_t> bulk_kept_at_active_;
  bool headHasRoom() const;
  std::vector<TailEntry> bulk_tail_;  // allocated on first use
  // Each slot's frame and emission order (seq, for events of the same frame), apart from the
  // large entries, and the slots ordered by them (oldest first): a new event usually goes last,
  // and one of an older frame finds its place from the end. Scanning every slot for the oldest
  // once events came out of frame order cost 2 % of a run with --keylog (issue 8).
  struct TailKey {
    std::uint64_t frame = 0;
    std::uint64_t seq = 0;
  };
  std::vector<TailKey> tail_keys_;        // as bulk_tail_
  std::vector<std::uint8_t> tail_order_;  // slot indices, oldest first; tail_count_ of them
  std::size_t tail_count_ = 0;
  std::uint64_t tail_seq_ = 0;
};

}  // namespace rdpscope::engine
