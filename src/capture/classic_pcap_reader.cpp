#include "capture/classic_pcap_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace rdpscope::capture {
namespace {

constexpr std::size_t kFileHeader = 24;    // magic, version, thiszone, sigfigs, snaplen, linktype
constexpr std::size_t kRecordHeader = 16;  // ts_sec, ts_frac, caplen, len
constexpr std::uint32_t kMagicMicro = 0xA1B2C3D4;
constexpr std::uint32_t kMagicNano = 0xA1B23C4D;
// libpcap's MAXIMUM_SNAPLEN: a larger caplen is a damaged file (sf-pcap.c).
constexpr std::uint32_t kMaximumSnaplen = 262144;
// Bytes asked of each read(): small enough that what the kernel just copied is still in L2 when
// the analyzer reads it, large enough that system calls do not count (8,000 per 2 GB).
constexpr std::size_t kChunk = std::size_t{256} << 10;
// Room for one chunk after the unread part of the largest possible record.
constexpr std::size_t kCapacity = kChunk + kRecordHeader + kMaximumSnaplen;

std::uint32_t bswap(std::uint32_t v) { return __builtin_bswap32(v); }

// LINKTYPE_ values equal to the DLT_ value libpcap reports on Linux for them (pcap-linktype(7)):
// NULL, EN10MB, LOOP, LINUX_SLL, IPV4, IPV6, LINUX_SLL2. Others (e.g. LINKTYPE_RAW 101 ->
// DLT_RAW 12) are mapped by libpcap, so those files take the libpcap path.
bool sameAsDlt(std::uint32_t linktype) {
  switch (linktype) {
    case 0: case 1: case 108: case 113: case 228: case 229: case 276:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::unique_ptr<ClassicPcapReader> ClassicPcapReader::open(const std::string& path) {
  std::unique_ptr<ClassicPcapReader> r(new ClassicPcapReader());
  r->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (r->fd_ < 0) {
    return nullptr;
  }
  struct stat st {};
  if (::fstat(r->fd_, &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) < kFileHeader) {
    return nullptr;
  }
  // Only the 24-byte header is read before deciding, so a pcapng file costs one small read.
  std::uint8_t header[kFileHeader];
  if (::pread(r->fd_, header, kFileHeader, 0) != static_cast<ssize_t>(kFileHeader)) {
    return nullptr;
  }
  std::uint32_t magic = 0;
  std::memcpy(&magic, header, 4);
  if (magic == kMagicMicro || magic == kMagicNano) {
    r->nano_ = magic == kMagicNano;
  } else if (bswap(magic) == kMagicMicro || bswap(magic) == kMagicNano) {
    r->swapped_ = true;
    r->nano_ = bswap(magic) == kMagicNano;
  } else {
    return nullptr;  // pcapng, modified pcap, or not a capture: libpcap decides
  }
  // Version 2.4 only (two u16 in the file's byte order).
  std::uint16_t v_major = 0;
  std::uint16_t v_minor = 0;
  std::memcpy(&v_major, header + 4, 2);
  std::memcpy(&v_minor, header + 6, 2);
  if (r->swapped_) {
    v_major = __builtin_bswap16(v_major);
    v_minor = __builtin_bswap16(v_minor);
  }
  if (v_major != 2 || v_minor != 4) {
    return nullptr;
  }
  r->snaplen_ = r->u32(header + 16);
  const std::uint32_t linktype = r->u32(header + 20);
  if (!sameAsDlt(linktype)) {  // also rejects FCS/flag bits in the upper half
    return nullptr;
  }
  r->linktype_ = static_cast<int>(linktype);
  if (::lseek(r->fd_, static_cast<off_t>(kFileHeader), SEEK_SET) < 0) {
    return nullptr;
  }
  r->file_pos_ = kFileHeader;
  // The kernel reads further ahead for a file declared sequential; harmless when it is cached.
  (void)::posix_fadvise(r->fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  r->buffer_ = std::make_unique_for_overwrite<std::uint8_t[]>(kCapacity);
  return r;
}

ClassicPcapReader::~ClassicPcapReader() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

bool ClassicPcapReader::fill(std::size_t n) {
  if (end_ - cur_ >= n) {
    return true;
  }
  if (cur_ > 0) {  // keep the unread part of a record: at most kRecordHeader + kMaximumSnaplen
    std::memmove(buffer_.get(), buffer_.get() + cur_, end_ - cur_);
    end_ -= cur_;
    cur_ = 0;
  }
  while (end_ < n && !eof_) {
    const std::size_t want = std::min(kCapacity - end_, std::max(kChunk, n - end_));
    const ssize_t got = ::read(fd_, buffer_.get() + end_, want);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      error_ = std::string("cannot read the file: ") + std::strerror(errno);
      return false;
    }
    if (got == 0) {
      eof_ = true;
      break;
    }
    end_ += static_cast<std::size_t>(got);
    file_pos_ += static_cast<std::uint64_t>(got);
  }
  return true;
}

std::uint32_t ClassicPcapReader::u32(const std::uint8_t* p) const {
  std::uint32_t v = 0;
  std::memcpy(&v, p, 4);
  return swapped_ ? bswap(v) : v;
}

int ClassicPcapReader::next(Record& out) {
  if (!fill(kRecordHeader)) {
    return -1;
  }
  std::size_t left = end_ - cur_;
  if (left == 0) {
    return 0;
  }
  if (left < kRecordHeader) {
    error_ = "truncated dump file; tried to read " + std::to_string(kRecordHeader) +
             " header bytes, only got " + std::to_string(left);
    return -1;
  }
  const std::uint8_t* header = buffer_.get() + cur_;
  const std::uint32_t sec = u32(header);
  const std::uint32_t frac = u32(header + 4);
  std::uint32_t caplen = u32(header + 8);
  const std::uint32_t wirelen = u32(header + 12);
  if (caplen > kMaximumSnaplen) {
    error_ = "invalid packet capture length " + std::to_string(caplen) + ", bigger than maximum of " +
             std::to_string(kMaximumSnaplen);
    return -1;
  }
  if (!fill(kRecordHeader + caplen)) {  // may move the buffer's contents: take pointers after
    return -1;
  }
  left = end_ - cur_;
  if (left - kRecordHeader < caplen) {
    error_ = "truncated dump file; tried to read " + std::to_string(caplen) +
             " captured bytes, only got " + std::to_string(left - kRecordHeader);
    return -1;
  }
  out.data = buffer_.get() + cur_ + kRecordHeader;
  cur_ += kRecordHeader + caplen;
  // As libpcap: a record longer than the file's snapshot length is cut to it.
  if (snaplen_ != 0 && caplen > snaplen_) {
    caplen = snaplen_;
  }
  out.ts = Timestamp::fromParts(static_cast<std::int64_t>(sec), static_cast<std::int64_t>(frac),
                                nano_ ? 1'000'000'000 : 1'000'000);
  out.caplen = caplen;
  out.wirelen = wirelen;
  return 1;
}

}  // namespace rdpscope::capture
