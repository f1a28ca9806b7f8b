// Fast reader for classic pcap files (the libpcap savefile format, pcap-savefile(5)). The file is
// read with plain read() calls into one reusable buffer of a few hundred KiB, so the bytes just
// copied by the kernel are still in the CPU cache when the analyzer touches them, and each record
// is handed out where it lies in that buffer. libpcap's stdio path costs two copies and two
// fread() calls per record; mapping the file (the reader's previous design) cost a page-table
// populate and unmap per window and a cache miss on every record header (issue 8,
// docs/performance.md). Only the plain format is taken here (both byte orders, micro- and
// nanosecond magic, link types whose LINKTYPE_ value equals the DLT_ value libpcap would report);
// pcapng and anything unusual return nullptr from open() and go through libpcap. Record checks
// follow libpcap 1.10's sf-pcap.c so both paths agree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/timestamp.h"

namespace rdpscope::capture {

class ClassicPcapReader {
 public:
  // nullptr when the file is not a plain classic pcap this reader takes (caller falls back).
  static std::unique_ptr<ClassicPcapReader> open(const std::string& path);
  ~ClassicPcapReader();
  ClassicPcapReader(const ClassicPcapReader&) = delete;
  ClassicPcapReader& operator=(const ClassicPcapReader&) = delete;

  struct Record {
    Timestamp ts;
    std::uint32_t caplen;
    std::uint32_t wirelen;
    const std::uint8_t* data;  // valid until the next call to next()
  };
  // 1 = a record, 0 = clean end of file, -1 = damaged, truncated or unreadable (see error()).
  int next(Record& out);
  const std::string& error() const { return error_; }
  int linktype() const { return linktype_; }
  bool nanosecond() const { return nano_; }
  // File offset of the next record (progress).
  std::uint64_t offset() const { return file_pos_ - (end_ - cur_); }

 private:
  ClassicPcapReader() = default;
  // Makes at least n unread bytes available at cur_ unless the file ends first; false only when
  // read() fails (error_ set). Moves the unread tail to the front of the buffer first.
  bool fill(std::size_t n);
  std::uint32_t u32(const std::uint8_t* p) const;

  int fd_ = -1;
  std::unique_ptr<std::uint8_t[]> buffer_;
  std::size_t cur_ = 0;        // next unread byte in buffer_
  std::size_t end_ = 0;        // one past the last valid byte in buffer_
  std::uint64_t file_pos_ = 0;  // file offset of buffer_[end_]
  bool eof_ = false;
  bool swapped_ = false;
  bool nano_ = false;
  int linktype_ = 0;
  std::uint32_t snaplen_ = 0;
  std::string error_;
};

}  // namespace rdpscope::capture
