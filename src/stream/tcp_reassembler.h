// Per-direction TCP reassembly: turns segments (in any order, duplicated, overlapping) into
// contiguous in-order bytes plus explicit gaps. Pure: no packets, no flows, no dissectors.
//
// Policy: the first copy of a byte wins (retransmitted or overlapping bytes that disagree are
// counted, not delivered). Out-of-order data is buffered under a byte and segment cap; when a cap
// is hit, or the peer acknowledges bytes the capture never saw, the hole is declared a gap and
// delivery continues after it. Sequence numbers are unwrapped to 64-bit stream offsets.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "core/byte_reader.h"

namespace rdpscope::stream {

enum class GapReason : std::uint8_t {
  Lost,            // bytes never captured (loss, or the capture missed them)
  Snaplen,         // packet cut by the capture's snaplen
  BufferLimit,     // out-of-order cap hit: hole skipped to bound memory
};

const char* gapReasonName(GapReason reason) noexcept;

class ReassemblySink {
 public:
  virtual ~ReassemblySink() = default;
  virtual void onStreamData(ByteView data) = 0;
  virtual void onStreamGap(std::uint64_t missing, GapReason reason) = 0;
};

struct ReassemblyStats {
  std::uint64_t retransmissions = 0;  // segments entirely made of bytes already seen
  std::uint64_t overlaps = 0;         // segments partly overlapping bytes already seen
  std::uint64_t conflicts = 0;        // overlapping bytes that differ from the first copy
  std::uint64_t out_of_order = 0;     // segments buffered ahead of a hole
  std::uint64_t gap_bytes = 0;
  std::uint64_t gaps = 0;
};

class TcpReassembler {
 public:
  TcpReassembler(std::size_t max_buffered_bytes, std::size_t max_buffered_segments)
      : max_bytes_(max_buffered_bytes), max_segments_(max_buffered_segments) {}

  // The SYN's sequence number: data starts at isn + 1.
  void onSyn(std::uint32_t seq);
  // A segment's payload. `missing_tail` = bytes of this segment on the wire but not captured.
  void onSegment(std::uint32_t seq, ByteView payload, std::uint32_t missing_tail,
                 ReassemblySink& sink);
  // The other direction acknowledged up to `ack`: bytes before it exist even if never captured.
  void onPeerAck(std::uint32_t ack, ReassemblySink& sink);
  // End of stream (FIN/RST/timeout/capture end): deliver what is buffered, holes as gaps.
  void flush(ReassemblySink& sink);

  bool started() const { return started_; }
  bool sawSyn() const { return saw_syn_; }
  std::uint64_t deliveredOffset() const { return next_; }
  std::size_t bufferedBytes() const { return buffered_bytes_; }
  const ReassemblyStats& stats() const { return stats_; }
  // Releases buffered data (memory pressure eviction); counted as a gap at flush.
  void dropBuffered(ReassemblySink& sink);

 private:
  std::uint64_t toOffset(std::uint32_t seq) const;
  void deliverInOrder(std::uint64_t offset, ByteView payload, ReassemblySink& sink);
  void drain(ReassemblySink& sink);
  void skipTo(std::uint64_t offset, GapReason reason, ReassemblySink& sink);
  void store(std::uint64_t offset, ByteView payload);

  std::size_t max_bytes_;
  std::size_t max_segments_;
  bool started_ = false;
  bool saw_syn_ = false;
  std::uint32_t isn_ = 0;       // sequence number of stream offset 0
  std::uint64_t next_ = 0;      // next expected stream offset
  std::map<std::uint64_t, std::vector<std::uint8_t>> pending_;  // offset -> bytes (ahead of next_)
  std::map<std::uint64_t, std::uint64_t> cut_;  // offset -> snaplen-missing bytes after it
  std::size_t buffered_bytes_ = 0;
  ReassemblyStats stats_;
};

}  // namespace rdpscope::stream
