// Zero-copy reader for classic pcap files (the libpcap savefile format, pcap-savefile(5)): the
// file is mapped into memory a window at a time (prefaulted in one system call, so resident
// memory stays at one window whatever the file size) and each record is handed out where it
// lies. On the 2 GB
// benchmark corpus libpcap's stdio path spent ~25% of the run in read() and two copies of
// every byte (kernel -> stdio buffer -> libpcap buffer). Only the plain format is taken here
// (both byte orders, micro- and nanosecond magic, link types whose LINKTYPE_ value equals the
// DLT_ value libpcap would report); pcapng and anything unusual return nullptr from open() and
// go through libpcap. Record checks follow libpcap 1.10's sf-pcap.c so both paths agree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/timestamp.h"

namespace rdpscope::capture {

class MappedPcap {
 public:
  // nullptr when the file is not a plain classic pcap this reader takes (caller falls back).
  static std::unique_ptr<MappedPcap> open(const std::string& path);
  ~MappedPcap();
  MappedPcap(const MappedPcap&) = delete;
  MappedPcap& operator=(const MappedPcap&) = delete;

  struct Record {
    Timestamp ts;
    std::uint32_t caplen;
    std::uint32_t wirelen;
    const std::uint8_t* data;  // valid until the next call to next()
  };
  // 1 = a record, 0 = clean end of file, -1 = damaged or truncated (see error()).
  int next(Record& out);
  const std::string& error() const { return error_; }
  int linktype() const { return linktype_; }
  bool nanosecond() const { return nano_; }
  std::uint64_t offset() const { return pos_; }
  std::uint64_t size() const { return size_; }

 private:
  MappedPcap() = default;
  // Maps the window holding file bytes [offset, offset + n); false if the system refuses.
  bool ensure(std::size_t offset, std::size_t n);
  const std::uint8_t* at(std::size_t offset) const { return window_ + (offset - window_start_); }
  std::uint32_t u32(std::size_t offset) const;

  int fd_ = -1;
  std::size_t size_ = 0;     // of the file
  std::size_t pos_ = 0;      // file offset of the next record
  const std::uint8_t* window_ = nullptr;
  std::size_t window_start_ = 0;  // file offset of window_[0] (page aligned)
  std::size_t window_len_ = 0;
  bool swapped_ = false;
  bool nano_ = false;
  int linktype_ = 0;
  std::uint32_t snaplen_ = 0;
  std::string error_;
};

}  // namespace rdpscope::capture
