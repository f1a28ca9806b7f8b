#include "engine/ordered_emitter.h"

#include <algorithm>
#include <tuple>

namespace rdpscope::engine {
namespace {

auto orderKey(const model::Connection& c) {
  return std::tie(c.start.ns, c.client.ip, c.client.port, c.server.ip, c.server.port, c.transport);
}

}  // namespace

bool connectionOrderLess(const model::Connection& a, const model::Connection& b) {
  return orderKey(a) < orderKey(b);
}

bool OrderedEmitter::Later::operator()(const Slot& a, const Slot& b) const {
  // std::push_heap builds a max-heap for "less"; "later" makes the earliest the top.
  if (a.start_ns != b.start_ns) {
    return b.start_ns < a.start_ns;
  }
  const auto ka = orderKey(a.held->conn);
  const auto kb = orderKey(b.held->conn);
  if (ka != kb) {
    return kb < ka;
  }
  return a.seq > b.seq;
}

OrderedEmitter::OrderedEmitter(Sink sink, std::size_t max_held)
    : sink_([s = std::move(sink)](model::Connection&& c, std::string&&) { s(std::move(c)); }),
      max_held_(max_held == 0 ? 1 : max_held) {}

OrderedEmitter::OrderedEmitter(PayloadSink sink, std::size_t max_held)
    : sink_(std::move(sink)), max_held_(max_held == 0 ? 1 : max_held) {}

void OrderedEmitter::push(model::Connection&& conn, std::string payload) {
  ++stats_.pushed;
  if (have_last_ && orderKey(conn) < std::tie(last_start_.ns, last_client_ip_, last_client_port_,
                                              last_server_ip_, last_server_port_, last_transport_)) {
    // Something sorting after it is already out: keep the output complete, release now.
    ++stats_.late;
    ++stats_.released;
    sink_(std::move(conn), std::move(payload));
    return;
  }
  const std::int64_t start_ns = conn.start.ns;
  auto entry = std::make_unique<Held>(Held{std::move(conn), std::move(payload)});
  heap_.push_back(Slot{start_ns, next_seq_++, std::move(entry)});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  stats_.peak_held = std::max(stats_.peak_held, heap_.size());
  while (heap_.size() > max_held_) {
    ++stats_.forced;
    popOne();
  }
}

void OrderedEmitter::popOne() {
  std::pop_heap(heap_.begin(), heap_.end(), Later{});
  const std::unique_ptr<Held> held = std::move(heap_.back().held);
  heap_.pop_back();
  model::Connection conn = std::move(held->conn);
  std::string payload = std::move(held->payload);
  have_last_ = true;
  last_start_ = conn.start;
  last_client_ip_ = conn.client.ip;
  last_client_port_ = conn.client.port;
  last_server_ip_ = conn.server.ip;
  last_server_port_ = conn.server.port;
  last_transport_ = conn.transport;
  ++stats_.released;
  sink_(std::move(conn), std::move(payload));
}

void OrderedEmitter::release(std::optional<Timestamp> oldest_open_start, Timestamp now) {
  const Timestamp watermark =
      oldest_open_start.has_value() ? std::min(*oldest_open_start, now) : now;
  while (!heap_.empty() && heap_.front().start_ns < watermark.ns) {
    popOne();
  }
}

void OrderedEmitter::flush() {
  while (!heap_.empty()) {
    popOne();
  }
}

}  // namespace rdpscope::engine
