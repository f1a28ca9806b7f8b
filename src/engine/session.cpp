#include "engine/session.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/limits.h"
#include "core/text.h"

namespace rdpscope::engine {
namespace {
// Bulk events (application data records, fast-path PDUs) kept at the start of a connection and
// before its end: the handshake rhythm and the last words before a close are what diagnosis needs.
constexpr std::size_t kBulkHead = 48;
constexpr std::size_t kBulkTail = 16;
// Once the session is known to be active (the RDP layer saw the end of the connection sequence,
// in clear or decrypted), the handshake is over: this many more bulk events at the start show
// the session working; the rest are counted, and the tail still keeps the last ones.
constexpr std::size_t kBulkHeadAfterActive = 16;
}  // namespace

Session::Session(model::Connection connection, DissectorPtr dissector, SessionConfig config)
    : connection_(std::move(connection)), dissector_(std::move(dissector)), config_(config) {
  if (dissector_) {
    pipeline_ = std::make_unique<StreamPipeline>(*dissector_);
  }
}

Session::Session(model::Connection connection, LazyDissector lazy, SessionConfig config)
    : connection_(std::move(connection)), make_dissector_(lazy.make), config_(config) {}

StreamPipeline* Session::pipeline() {
  if (!pipeline_ && make_dissector_ != nullptr) {
    dissector_ = make_dissector_();
    make_dissector_ = nullptr;
    if (dissector_) {
      pipeline_ = std::make_unique<StreamPipeline>(*dissector_);
    }
  }
  return pipeline_.get();
}

void Session::stamp(model::Event& event) const {
  if (event.frame == 0) {
    event.frame = current_frame_;
    event.ts = current_ts_;
  }
}

bool Session::atEventCap() const {
  return connection_.events.size() + head_stubs_.size() >= limits::kMaxEventsPerConnection;
}

void Session::push(model::Event&& event) {
  if (atEventCap()) {
    ++connection_.events_suppressed;
    return;
  }
  connection_.events.push_back(std::move(event));
}

void Session::emit(model::Event&& event) {
  stamp(event);
  if (event.stage == model::Stage::Active && !bulk_kept_at_active_) {
    bulk_kept_at_active_ = bulk_kept_;
  }
  push(std::move(event));
}

bool Session::headHasRoom() const {
  const std::size_t limit =
      bulk_kept_at_active_ ? std::min(kBulkHead, *bulk_kept_at_active_ + kBulkHeadAfterActive)
                           : kBulkHead;
  return bulk_kept_ < limit;
}

Session::TailEntry* Session::tailSlotFor(std::uint64_t frame) {
  static_assert(kBulkTail <= 256, "tail_order_ holds slot indices as bytes");
  if (bulk_tail_.empty()) {
    bulk_tail_.resize(kBulkTail);
    tail_keys_.resize(kBulkTail);
    tail_order_.resize(kBulkTail);
  }
  std::size_t index = 0;
  std::size_t pos = 0;  // where the slot goes in tail_order_ before it finds its place
  if (tail_count_ < kBulkTail) {
    index = tail_count_;
    pos = tail_count_++;
  } else {
    index = tail_order_[0];  // the oldest
    if (frame < tail_keys_[index].frame) {
      return nullptr;  // older than everything kept
    }
    std::memmove(tail_order_.data(), tail_order_.data() + 1, kBulkTail - 1);
    pos = kBulkTail - 1;
  }
  // After every slot of an earlier or the same frame (those came first).
  while (pos > 0 && tail_keys_[tail_order_[pos - 1]].frame > frame) {
    tail_order_[pos] = tail_order_[pos - 1];
    --pos;
  }
  tail_order_[pos] = static_cast<std::uint8_t>(index);
  tail_keys_[index] = TailKey{frame, tail_seq_++};
  return &bulk_tail_[index];
}

void Session::emitBulk(model::Event&& event) {
  stamp(event);
  if (headHasRoom()) {
    ++bulk_kept_;
    push(std::move(event));
    return;
  }
  ++connection_.events_suppressed;
  if (TailEntry* slot = tailSlotFor(event.frame)) {
    slot->event = std::move(event);
    slot->is_stub = false;
  }
}

void Session::emitBulkStub(BulkStub&& stub) {
  if (headHasRoom()) {
    ++bulk_kept_;
    if (atEventCap()) {
      ++connection_.events_suppressed;  // as push() does
      return;
    }
    head_stubs_.push_back(
        HeadStub{std::move(stub), current_frame_, current_ts_, connection_.events.size()});
    return;
  }
  ++connection_.events_suppressed;
  if (TailEntry* slot = tailSlotFor(current_frame_)) {
    slot->stub = std::move(stub);
    slot->is_stub = true;
    // Only the stamp is needed until finish(); keep the slot's old event storage for reuse.
    slot->event.frame = current_frame_;
    slot->event.ts = current_ts_;
  }
}

void Session::anomaly(std::string_view id, Direction dir, std::uint64_t stream_offset,
                      std::string detail) {
  model::Event ev;
  ev.kind = "anomaly";
  ev.dir = dir;
  ev.summary = std::string(id) + ": " + sanitizeUtf8(detail);
  model::setMember(ev.fields, "id", std::string(id));
  model::setMember(ev.fields, "offset", stream_offset);
  model::setMember(ev.fields, "detail", sanitizeUtf8(detail));
  stamp(ev);
  push(std::move(ev));
}

void Session::emitTcp(std::string_view kind, std::string summary, model::Fields fields,
                      std::optional<model::Stage> stage) {
  model::Event ev;
  ev.kind = kind;
  ev.summary = std::move(summary);
  ev.fields = std::move(fields);
  ev.stage = stage;
  ev.dir = current_dir_;
  stamp(ev);
  push(std::move(ev));
}

void Session::deliver(Direction dir, ByteView data) {
  if (StreamPipeline* p = pipeline()) {
    p->deliver(dir, data, *this);
  }
}

void Session::gap(Direction dir, std::uint64_t missing, const char* reason) {
  model::Fields f;
  model::setMember(f, "missing", missing);
  model::setMember(f, "reason", reason);
  model::Event ev;
  ev.kind = "tcp.gap";
  ev.dir = dir;
  ev.summary = std::to_string(missing) + " bytes never captured (" + reason + ")";
  ev.fields = std::move(f);
  stamp(ev);
  push(std::move(ev));
  if (StreamPipeline* p = pipeline()) {
    p->gap(dir, missing, *this);
  }
}

void Session::end(Direction dir, EndReason why) {
  // Made here too if nothing came before: the dissector's onEnd() sees every connection.
  if (StreamPipeline* p = pipeline()) {
    p->end(dir, why, *this);
  }
}

// The event of a kept stub, made in place at the end of the timeline (no temporary to move).
void Session::appendStubEvent(std::vector<model::Event>& timeline, BulkStub& stub,
                              std::uint64_t frame, Timestamp ts) {
  model::Event& ev = timeline.emplace_back(model::Event::CompactTag{});
  std::move(stub).fillCompact(ev);
  ev.frame = frame;
  ev.ts = ts;
}

model::Connection Session::finish() {
  // The kept tail in emission order (the sort below then orders by frame, keeping that order
  // within a frame).
  std::vector<std::size_t> kept(tail_count_);
  for (std::size_t i = 0; i < tail_count_; ++i) {
    kept[i] = i;
  }
  std::sort(kept.begin(), kept.end(),
            [this](std::size_t a, std::size_t b) { return tail_keys_[a].seq < tail_keys_[b].seq; });
  // The timeline sized once: the events as emitted with each kept head stub where it came
  // (before the events emitted after it), then the kept tail and the suppressed-events count.
  // Each event is moved at most once; growing the vector on the way moved every event again.
  auto& events = connection_.events;
  const std::size_t total = events.size() + head_stubs_.size() + kept.size() +
                            (connection_.events_suppressed > 0 ? 1 : 0);
  if (head_stubs_.empty()) {
    events.reserve(total);
  } else {
    std::vector<model::Event> timeline;
    timeline.reserve(total);
    std::size_t next = 0;
    for (HeadStub& h : head_stubs_) {
      for (; next < h.before && next < events.size(); ++next) {
        timeline.push_back(std::move(events[next]));
      }
      appendStubEvent(timeline, h.stub, h.frame, h.ts);
    }
    for (; next < events.size(); ++next) {
      timeline.push_back(std::move(events[next]));
    }
    events = std::move(timeline);
    head_stubs_.clear();
    head_stubs_.shrink_to_fit();
  }
  for (const std::size_t i : kept) {
    TailEntry& e = bulk_tail_[i];
    if (e.is_stub) {
      appendStubEvent(events, e.stub, e.event.frame, e.event.ts);
    } else {
      events.push_back(std::move(e.event));
    }
  }
  bulk_tail_.clear();
  bulk_tail_.shrink_to_fit();
  tail_keys_.clear();
  tail_keys_.shrink_to_fit();
  tail_order_.clear();
  tail_order_.shrink_to_fit();
  tail_count_ = 0;
  if (connection_.events_suppressed > 0) {
    model::Event& ev = events.emplace_back();
    ev.kind = "events.suppressed";
    ev.summary = std::to_string(connection_.events_suppressed) +
                 " high-volume events (application data, fast-path) counted but not listed";
    model::setMember(ev.fields, "count", connection_.events_suppressed);
    ev.frame = current_frame_;
    ev.ts = current_ts_;
  }
  // Stable order by frame. Sorting positions and moving each event once: a stable_sort of the
  // events themselves moved every event (strings, field trees) log n times.
  if (!std::is_sorted(events.begin(), events.end(),
                      [](const model::Event& a, const model::Event& b) { return a.frame < b.frame; })) {
    std::vector<std::uint32_t> order(events.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) {
      order[i] = i;
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return events[a].frame < events[b].frame; });
    std::vector<model::Event> sorted;
    sorted.reserve(events.size());
    for (const std::uint32_t i : order) {
      sorted.push_back(std::move(events[i]));
    }
    events = std::move(sorted);
  }
  if (!config_.compact_events) {
    // Every compact event: the kept bulk ones and those a dissector emitted (a ClientHello).
    for (model::Event& ev : events) {
      model::expandCompact(ev);
    }
  }
  return std::move(connection_);
}

}  // namespace rdpscope::engine
