// Annotated pcapng (--write-annotated FILE): the input packets, bytes and timestamps unchanged,
// with a packet comment (pcapng opt_comment, option code 1) on every packet that carries an RDP
// event (connection, stage, PDU, key fields) and the diagnosis on the fatal packet, so the story
// reads in Wireshark. The pcapng blocks (SHB, one IDB per link type, EPB) are written here
// (draft-ietf-opsawg-pcapng sections 4.1, 4.2, 4.3), little-endian, timestamps in nanoseconds
// (if_tsresol = 9).
//
// Comments are known only after analysis, so:
//   * files: writeAnnotatedPcapng() re-reads the inputs with the same merged timestamp order as
//     the analysis (capture::openFiles), so frame N is the Nth packet of that order;
//   * live: PcapngAnnotator buffers packets in a temporary file beside the output and rewrites
//     them with comments in finish().
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/byte_reader.h"
#include "core/timestamp.h"
#include "model/connection.h"

namespace rdpscope::output {

// Comments per frame number, in timeline order: one per event ("rdpscope #1 negotiation
// x224.neg_failure: ...") plus one diagnosis comment on the fatal frame. Control characters are
// escaped (\xNN) so a comment is always a single line.
std::map<std::uint64_t, std::vector<std::string>> packetComments(
    const std::vector<model::Connection>& conns);

// Low-level pcapng writer.
class PcapngWriter {
 public:
  PcapngWriter() = default;
  PcapngWriter(const PcapngWriter&) = delete;
  PcapngWriter& operator=(const PcapngWriter&) = delete;
  ~PcapngWriter();

  // Creates/truncates `path` and writes the Section Header Block. Returns an error line or "".
  std::string open(const std::string& path);
  // Writes an Enhanced Packet Block (and the link type's IDB before its first packet).
  void writePacket(int linktype, Timestamp ts, std::uint32_t wirelen, ByteView bytes,
                   const std::vector<std::string>& comments);
  // Flushes and closes. Returns an error line (e.g. disk full) or "".
  std::string close();

 private:
  void writeBlock(std::uint32_t type, const std::string& body);
  std::FILE* fp_ = nullptr;
  std::string path_;
  std::map<int, std::uint32_t> interfaces_;  // link type -> interface id
  bool failed_ = false;
};

// Re-reads `input_files` (merged by timestamp, as the analysis did) and writes `out_path` with
// the comments of `conns`. Returns an error line or "".
std::string writeAnnotatedPcapng(const std::vector<std::string>& input_files,
                                 const std::string& out_path,
                                 const std::vector<model::Connection>& conns);

// For live capture: packets are spooled to `<path>.partial` as they arrive and rewritten with
// their comments by finish(), which removes the spool file.
class PcapngAnnotator {
 public:
  // Returns the annotator, or null with `error` set (one line).
  static std::unique_ptr<PcapngAnnotator> open(const std::string& path, std::string& error);
  PcapngAnnotator(const PcapngAnnotator&) = delete;
  PcapngAnnotator& operator=(const PcapngAnnotator&) = delete;
  ~PcapngAnnotator();

  void addPacket(int linktype, Timestamp ts, std::uint32_t caplen, std::uint32_t wirelen,
                 ByteView bytes, std::uint64_t frame);
  // Writes the annotated file. Returns an error line or "".
  std::string finish(const std::vector<model::Connection>& conns);

 private:
  PcapngAnnotator() = default;
  std::string path_;
  std::string spool_path_;
  std::FILE* spool_ = nullptr;
  bool failed_ = false;
};

}  // namespace rdpscope::output
