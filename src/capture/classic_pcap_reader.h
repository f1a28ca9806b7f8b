// Fast reader for classic pcap files (the libpcap savefile format, pcap-savefile(5)). Records are
// handed out where they lie, from one of two sources:
//   - read(): plain read() calls into one reusable buffer of a few hundred KiB, so the bytes the
//     kernel just copied are still in the CPU cache when the analyzer touches them;
//   - a mapping: the file mapped in windows of 16 MiB, so the kernel copies nothing. On a kernel
//     that maps the page cache's large folios whole (~8 faults per window here) this saves most
//     of the kernel's copy (14 % of a run without keys, docs/performance.md, thirteenth round); on
//     one with 4-64 KiB faults under paravirtualised paging it cost 3-4x what read() costs (fifth
//     round). So ReadMode::Auto maps a large file, times touching the first window's pages, and
//     goes back to read() when that is slower than a page-cache copy would be.
// A file truncated while mapped would kill the process with SIGBUS; a handler replaces the pages
// that vanished with zero pages and the reader then reports the file as shrunk (see next()).
// Only the plain format is taken here (both byte orders, micro- and nanosecond magic, link types
// whose LINKTYPE_ value equals the DLT_ value libpcap would report); pcapng and anything unusual
// return nullptr from open() and go through libpcap. Record checks follow libpcap 1.10's
// sf-pcap.c so both paths agree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/timestamp.h"

namespace rdpscope::capture {

enum class ReadMode {
  Auto,  // a mapping for files of 64 MiB or more when touching its pages proves cheap, else read()
  Read,  // read() only
  Map,   // a mapping whatever the size (read() only if mapping fails)
};

struct ReaderOptions {
  ReadMode mode = ReadMode::Auto;
  // Bytes per mapped window (tests use smaller ones to cross window boundaries). At least 1 MiB:
  // a window must hold its alignment slack plus the largest record.
  std::size_t window = std::size_t{16} << 20;
};

class ClassicPcapReader {
 public:
  // nullptr when the file is not a plain classic pcap this reader takes (caller falls back).
  static std::unique_ptr<ClassicPcapReader> open(const std::string& path,
                                                 const ReaderOptions& options = {});
  ~ClassicPcapReader();
  ClassicPcapReader(const ClassicPcapReader&) = delete;
  ClassicPcapReader& operator=(const ClassicPcapReader&) = delete;

  struct Record {
    Timestamp ts;
    std::uint32_t caplen;
    std::uint32_t wirelen;
    const std::uint8_t* data;  // valid until the next call to next()
  };
  // 1 = a record, 0 = clean end of file, -1 = damaged, truncated, unreadable or shrunk while
  // mapped (see error()).
  int next(Record& out);
  const std::string& error() const { return error_; }
  int linktype() const { return linktype_; }
  bool nanosecond() const { return nano_; }
  // File offset of the next record (progress).
  std::uint64_t offset() const { return file_pos_ - (end_ - cur_); }
  // Whether records currently come from a mapping (false: read()).
  bool mapped() const { return map_ != nullptr; }

 private:
  ClassicPcapReader() = default;
  // Makes at least n unread bytes available at cur_ unless the file ends first; false only when
  // the file cannot be read (error_ set).
  bool fill(std::size_t n) { return end_ - cur_ >= n || (map_ != nullptr ? remap(n) : refill(n)); }
  // read(): moves the unread tail to the front of the buffer, then reads after it.
  bool refill(std::size_t n);
  // Mapping: maps the window that starts at the aligned offset of cur_ (growing the known file
  // size first if the file grew). Falls back to read() if mmap() fails.
  bool remap(std::size_t n);
  // Maps the window holding file offset pos; false if mmap() fails (nothing changed then).
  bool mapWindow(std::uint64_t pos);
  // Unmaps the window; its guard slot stays this reader's with keep_slot (a window replaced).
  void unmap(bool keep_slot = false);
  // From a mapping to read(): the next read() starts at the cursor's file offset.
  bool switchToRead();
  // Auto mode, first window: whether touching its pages ran at page-cache copy speed.
  bool touchingIsCheap() const;
  std::uint32_t u32(const std::uint8_t* p) const;

  int fd_ = -1;
  // The bytes records are handed out from: buffer_ (read()) or the mapped window.
  const std::uint8_t* base_ = nullptr;
  std::unique_ptr<std::uint8_t[]> buffer_;  // allocated on the first read()
  std::size_t cur_ = 0;         // next unread byte in base_
  std::size_t end_ = 0;         // one past the last valid byte in base_
  std::uint64_t file_pos_ = 0;  // file offset of base_[end_]
  // Mapping state.
  ReaderOptions options_;
  std::uint64_t file_size_ = 0;       // as last seen by fstat()
  const std::uint8_t* map_ = nullptr;  // the window (nullptr: read() mode)
  std::size_t map_len_ = 0;            // bytes mapped, whole pages
  int guard_ = -1;                     // the window's slot in the SIGBUS guard table
  bool shrunk_ = false;  // the SIGBUS guard replaced vanished pages of a window
  bool eof_ = false;
  bool swapped_ = false;
  bool nano_ = false;
  int linktype_ = 0;
  std::uint32_t snaplen_ = 0;
  std::string error_;
};

}  // namespace rdpscope::capture
