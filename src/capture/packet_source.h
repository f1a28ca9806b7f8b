// Packet sources over libpcap: saved files (pcap and pcapng, several merged in timestamp order)
// and live interfaces. The rest of rdpscope sees only RawPacket; it never calls libpcap.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/byte_reader.h"
#include "core/timestamp.h"

namespace rdpscope::capture {

struct RawPacket {
  std::uint64_t frame = 0;   // 1-based across the (merged) input
  Timestamp ts{};
  int linktype = 0;          // DLT_* of the source
  std::uint32_t caplen = 0;
  std::uint32_t wirelen = 0;
  ByteView bytes;            // valid until the next call to next()
  std::size_t source_index = 0;  // which input file
};

struct LiveOptions {
  std::string interface;
  std::string filter;        // BPF; empty = the default RDP filter
  int snaplen = 262144;
  bool promiscuous = true;
  int buffer_size_mb = 16;
  bool immediate = true;
};

struct CaptureStats {
  std::uint64_t received = 0;
  std::uint64_t dropped = 0;        // by the kernel (buffer full)
  std::uint64_t if_dropped = 0;     // by the interface/driver
  bool available = false;
};

class PacketSource {
 public:
  virtual ~PacketSource() = default;
  // Next packet; false at the end (or on a read error: see error()).
  virtual bool next(RawPacket& out) = 0;
  // A one-line, actionable error when reading stopped early; empty otherwise.
  virtual const std::string& error() const = 0;
  virtual CaptureStats stats() const { return {}; }
  // Interrupts a blocking live read (safe from a signal handler).
  virtual void breakLoop() {}
  // Bytes of input consumed so far and total (files only; for the progress bar).
  virtual std::uint64_t bytesRead() const { return 0; }
  virtual std::uint64_t bytesTotal() const { return 0; }
};

struct OpenResult {
  std::unique_ptr<PacketSource> source;
  std::string error;  // one line naming the problem and what to do
};

// Opens saved capture files; packets of several files are merged by timestamp.
OpenResult openFiles(const std::vector<std::string>& paths);
// Opens a live interface with a BPF filter.
OpenResult openLive(const LiveOptions& options);

// The default live filter: RDP's port plus anything starting like TPKT + X.224 CR on any port.
std::string defaultLiveFilter(const std::vector<std::uint16_t>& extra_ports);

}  // namespace rdpscope::capture
