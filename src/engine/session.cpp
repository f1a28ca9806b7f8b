#include "engine/session.h"

#include <algorithm>

#include "core/limits.h"
#include "core/text.h"

namespace rdpscope::engine {
namespace {
// Bulk events (application data records, fast-path PDUs) kept at the start of a connection and
// before its end: the handshake rhythm and the last words before a close are what diagnosis needs.
constexpr std::size_t kBulkHead = 48;
constexpr std::size_t kBulkTail = 16;
}  // namespace

Session::Session(model::Connection connection, DissectorPtr dissector, SessionConfig config)
    : connection_(std::move(connection)), dissector_(std::move(dissector)), config_(config) {
  if (dissector_) {
    pipeline_ = std::make_unique<StreamPipeline>(*dissector_);
  }
}

void Session::stamp(model::Event& event) const {
  if (event.frame == 0) {
    event.frame = current_frame_;
    event.ts = current_ts_;
  }
}

void Session::push(model::Event event) {
  if (connection_.events.size() >= limits::kMaxEventsPerConnection) {
    ++connection_.events_suppressed;
    return;
  }
  connection_.events.push_back(std::move(event));
}

void Session::emit(model::Event event) {
  stamp(event);
  push(std::move(event));
}

void Session::emitBulk(model::Event event) {
  stamp(event);
  if (bulk_kept_ < kBulkHead) {
    ++bulk_kept_;
    push(std::move(event));
    return;
  }
  ++connection_.events_suppressed;
  bulk_tail_.push_back(std::move(event));
  if (bulk_tail_.size() > kBulkTail) {
    bulk_tail_.pop_front();
  }
}

void Session::anomaly(std::string_view id, Direction dir, std::uint64_t stream_offset,
                      std::string detail) {
  model::Event ev;
  ev.kind = "anomaly";
  ev.dir = dir;
  ev.summary = std::string(id) + ": " + sanitizeUtf8(detail);
  ev.fields["id"] = std::string(id);
  ev.fields["offset"] = stream_offset;
  ev.fields["detail"] = sanitizeUtf8(detail);
  stamp(ev);
  push(std::move(ev));
}

void Session::emitTcp(std::string kind, std::string summary, model::Fields fields,
                      std::optional<model::Stage> stage) {
  model::Event ev;
  ev.kind = std::move(kind);
  ev.summary = std::move(summary);
  ev.fields = std::move(fields);
  ev.stage = stage;
  ev.dir = current_dir_;
  stamp(ev);
  push(std::move(ev));
}

void Session::deliver(Direction dir, ByteView data) {
  if (pipeline_) {
    pipeline_->deliver(dir, data, *this);
  }
}

void Session::gap(Direction dir, std::uint64_t missing, const char* reason) {
  model::Fields f;
  f["missing"] = missing;
  f["reason"] = reason;
  model::Event ev;
  ev.kind = "tcp.gap";
  ev.dir = dir;
  ev.summary = std::to_string(missing) + " bytes never captured (" + reason + ")";
  ev.fields = std::move(f);
  stamp(ev);
  push(std::move(ev));
  if (pipeline_) {
    pipeline_->gap(dir, missing, *this);
  }
}

void Session::end(Direction dir, EndReason why) {
  if (pipeline_) {
    pipeline_->end(dir, why, *this);
  }
}

model::Connection Session::finish() {
  for (auto& ev : bulk_tail_) {
    connection_.events.push_back(std::move(ev));
  }
  bulk_tail_.clear();
  if (connection_.events_suppressed > 0) {
    model::Event ev;
    ev.kind = "events.suppressed";
    ev.summary = std::to_string(connection_.events_suppressed) +
                 " high-volume events (application data, fast-path) counted but not listed";
    ev.fields["count"] = connection_.events_suppressed;
    ev.frame = current_frame_;
    ev.ts = current_ts_;
    connection_.events.push_back(std::move(ev));
  }
  std::stable_sort(connection_.events.begin(), connection_.events.end(),
                   [](const model::Event& a, const model::Event& b) { return a.frame < b.frame; });
  return std::move(connection_);
}

}  // namespace rdpscope::engine
