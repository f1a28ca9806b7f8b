// A first-in first-out queue of byte strings with metadata (the TLS records a direction holds
// back, see tls_dissector.cpp), bounded by a number of records and a number of bytes, whose
// bytes live in one buffer allocated on the first push: no allocation per record (issue 8: the
// held records' own vectors were a tenth of the allocations of a run with keys).
//
// Each record's bytes are contiguous in the buffer, after the newest record's or, when they do
// not fit before the buffer's end, from its start; the buffer is twice the byte limit, which
// always leaves room once the byte limit is kept and a record is at most half the limit
// (at most `max_bytes` held, and less than a record wasted at the end). fits() also says no when
// the oldest record is in the way, so a caller that pops until fits() is true never overwrites a
// record it holds.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/byte_reader.h"

namespace rdpscope::tls {

template <typename Meta>
class RecordQueue {
 public:
  RecordQueue(std::size_t max_records, std::size_t max_bytes)
      : max_records_(max_records), max_bytes_(max_bytes) {}

  bool empty() const { return count_ == 0; }
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return bytes_; }

  // Whether a record of `n` bytes can be pushed now: below the record limit, within the byte
  // limit (always, into an empty queue) and with a contiguous place for it.
  bool fits(std::size_t n) const {
    if (count_ == 0) {
      return n <= 2 * max_bytes_;
    }
    return count_ < max_records_ && bytes_ + n <= max_bytes_ && place(n) != kNone;
  }

  // Adds a record at the back. Precondition: fits(bytes.size()).
  void push(const Meta& meta, ByteView bytes) {
    if (slots_.empty()) {
      slots_.resize(max_records_);
      // Not zeroed: only written parts are read, and untouched pages cost no memory.
      buffer_ = std::make_unique_for_overwrite<std::uint8_t[]>(2 * max_bytes_);
    }
    const std::size_t at = place(bytes.size());
    Slot& s = slots_[(head_ + count_) % max_records_];
    s.meta = meta;
    s.at = at;
    s.size = bytes.size();
    std::copy(bytes.begin(), bytes.end(), buffer_.get() + at);
    ++count_;
    bytes_ += bytes.size();
  }

  const Meta& front() const { return slots_[head_].meta; }
  // The oldest record's bytes: valid until the next push (pop() keeps them).
  ByteView frontBytes() const {
    const Slot& s = slots_[head_];
    return ByteView(buffer_.get() + s.at, s.size);
  }
  void pop() {
    bytes_ -= slots_[head_].size;
    head_ = (head_ + 1) % max_records_;
    --count_;
  }

 private:
  struct Slot {
    Meta meta{};
    std::size_t at = 0;
    std::size_t size = 0;
  };
  static constexpr std::size_t kNone = ~std::size_t{0};

  // Where `n` bytes go: after the newest record, or from the start when they do not fit before
  // the end and the oldest starts far enough; kNone when the oldest is in the way (which the
  // byte limit rules out for records of at most half the buffer: kept so that no push can
  // overwrite a held record whatever the sizes).
  std::size_t place(std::size_t n) const {
    if (count_ == 0) {
      return 0;
    }
    const Slot& oldest = slots_[head_];
    const Slot& newest = slots_[(head_ + count_ - 1) % max_records_];
    const std::size_t tail = newest.at + newest.size;
    if (newest.at >= oldest.at) {  // not wrapped: free after the newest, and before the oldest
      if (tail + n <= 2 * max_bytes_) {
        return tail;
      }
      return n <= oldest.at ? 0 : kNone;
    }
    return tail + n <= oldest.at ? tail : kNone;  // wrapped: free between newest and oldest
  }

  std::size_t max_records_;
  std::size_t max_bytes_;
  std::vector<Slot> slots_;
  std::unique_ptr<std::uint8_t[]> buffer_;  // 2 * max_bytes_
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace rdpscope::tls
