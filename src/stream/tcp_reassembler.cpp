#include "stream/tcp_reassembler.h"

#include <algorithm>

namespace rdpscope::stream {

const char* gapReasonName(GapReason reason) noexcept {
  switch (reason) {
    case GapReason::Lost: return "lost";
    case GapReason::Snaplen: return "snaplen";
    case GapReason::BufferLimit: return "buffer_limit";
  }
  return "unknown";
}

void TcpReassembler::onSyn(std::uint32_t seq) {
  if (started_) {
    return;  // a retransmitted SYN does not move the stream
  }
  saw_syn_ = true;
  started_ = true;
  isn_ = seq + 1;
  next_ = 0;
}

std::uint64_t TcpReassembler::toOffset(std::uint32_t seq) const {
  // Place the 32-bit relative sequence in the 2^32 window closest to next_ (handles wrap).
  const std::uint32_t rel = seq - isn_;
  const std::uint64_t base = next_ & ~std::uint64_t{0xFFFFFFFF};
  std::uint64_t best = base | rel;
  const std::uint64_t window = std::uint64_t{1} << 32;
  auto dist = [this](std::uint64_t v) { return v > next_ ? v - next_ : next_ - v; };
  if (best >= window && dist(best - window) < dist(best)) {
    best -= window;
  }
  if (dist(best + window) < dist(best)) {
    best += window;
  }
  return best;
}

void TcpReassembler::onSegment(std::uint32_t seq, ByteView payload, std::uint32_t missing_tail,
                               ReassemblySink& sink) {
  if (payload.empty() && missing_tail == 0) {
    return;
  }
  if (!started_) {
    // No SYN seen (capture started mid-connection): the first data byte is offset 0.
    started_ = true;
    isn_ = seq;
    next_ = 0;
  }
  const std::uint64_t off = toOffset(seq);
  const std::uint64_t end = off + payload.size();
  if (missing_tail > 0) {
    cut_[end] = std::max<std::uint64_t>(cut_[end], missing_tail);
  }
  if (end <= next_ && !payload.empty()) {
    if (end + missing_tail <= next_) {
      ++stats_.retransmissions;
    }
    drain(sink);
    return;
  }
  if (off <= next_) {
    const std::uint64_t skip = next_ - off;
    if (skip > 0) {
      ++stats_.overlaps;
    }
    deliverInOrder(next_, payload.subspan(static_cast<std::size_t>(skip)), sink);
    drain(sink);
    return;
  }
  ++stats_.out_of_order;
  store(off, payload);
  if (buffered_bytes_ > max_bytes_ || pending_.size() > max_segments_) {
    // Bound memory: give up on the first hole.
    skipTo(pending_.begin()->first, GapReason::BufferLimit, sink);
    drain(sink);
  }
}

void TcpReassembler::store(std::uint64_t offset, ByteView payload) {
  if (payload.empty()) {
    return;
  }
  auto it = pending_.find(offset);
  if (it != pending_.end()) {
    // First data wins; keep the longer copy's tail only if it extends further.
    if (payload.size() > it->second.size()) {
      buffered_bytes_ += payload.size() - it->second.size();
      it->second.insert(it->second.end(), payload.begin() + static_cast<std::ptrdiff_t>(it->second.size()),
                        payload.end());
    } else {
      ++stats_.retransmissions;
    }
    return;
  }
  pending_.emplace(offset, std::vector<std::uint8_t>(payload.begin(), payload.end()));
  buffered_bytes_ += payload.size();
}

void TcpReassembler::deliverInOrder(std::uint64_t offset, ByteView payload, ReassemblySink& sink) {
  (void)offset;
  if (!payload.empty()) {
    sink.onStreamData(payload);
    next_ += payload.size();
  }
  // A snaplen-cut segment ends here: its missing bytes are a gap.
  auto cut = cut_.find(next_);
  if (cut != cut_.end()) {
    const std::uint64_t missing = cut->second;
    cut_.erase(cut);
    skipTo(next_ + missing, GapReason::Snaplen, sink);
  }
}

void TcpReassembler::drain(ReassemblySink& sink) {
  while (!pending_.empty()) {
    auto it = pending_.begin();
    const std::uint64_t off = it->first;
    if (off > next_) {
      break;
    }
    std::vector<std::uint8_t> data = std::move(it->second);
    pending_.erase(it);
    buffered_bytes_ -= data.size();
    const std::uint64_t end = off + data.size();
    if (end <= next_) {
      ++stats_.retransmissions;
      continue;
    }
    const std::uint64_t skip = next_ - off;
    if (skip > 0) {
      ++stats_.overlaps;
    }
    deliverInOrder(next_, ByteView(data).subspan(static_cast<std::size_t>(skip)), sink);
  }
  // Forget cut markers that are behind us.
  while (!cut_.empty() && cut_.begin()->first < next_) {
    cut_.erase(cut_.begin());
  }
}

void TcpReassembler::skipTo(std::uint64_t offset, GapReason reason, ReassemblySink& sink) {
  if (offset <= next_) {
    return;
  }
  const std::uint64_t missing = offset - next_;
  ++stats_.gaps;
  stats_.gap_bytes += missing;
  next_ = offset;
  sink.onStreamGap(missing, reason);
  drain(sink);
}

void TcpReassembler::onPeerAck(std::uint32_t ack, ReassemblySink& sink) {
  if (!started_) {
    return;
  }
  const std::uint64_t acked = toOffset(ack);
  // Only trust acks a little ahead of us that land on buffered data or within 1 MiB; a bogus
  // ack must not make us skip real data.
  if (acked <= next_ || acked - next_ > (std::uint64_t{1} << 20)) {
    return;
  }
  if (pending_.empty() || pending_.begin()->first >= acked) {
    // The receiver got bytes [next_, acked) that the capture never saw... unless they are still
    // in flight in the capture's order (ack captured before data on some taps). Only declare the
    // gap when later data is already buffered, which proves the capture skipped them.
    if (!pending_.empty()) {
      skipTo(std::min(acked, pending_.begin()->first), GapReason::Lost, sink);
    }
    return;
  }
  skipTo(pending_.begin()->first, GapReason::Lost, sink);
}

void TcpReassembler::flush(ReassemblySink& sink) {
  while (!pending_.empty()) {
    skipTo(pending_.begin()->first, GapReason::Lost, sink);
    drain(sink);
  }
  if (!cut_.empty()) {
    auto it = cut_.begin();
    if (it->first == next_) {
      skipTo(next_ + it->second, GapReason::Snaplen, sink);
    }
    cut_.clear();
  }
}

void TcpReassembler::dropBuffered(ReassemblySink& sink) {
  if (pending_.empty()) {
    return;
  }
  skipTo(pending_.begin()->first, GapReason::BufferLimit, sink);
  drain(sink);
}

}  // namespace rdpscope::stream
