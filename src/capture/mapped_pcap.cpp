#include "capture/mapped_pcap.h"

#include <fcntl.h>
#include <sys/mman.h>
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
// Bytes mapped at once: resident memory added by reading, and one mmap/munmap per window.
constexpr std::size_t kWindow = std::size_t{16} << 20;
// Software prefetch: each record asks for the bytes kPrefetchAhead past it, kPrefetchSpan long
// (about as many bytes as an average record, so the stream stays ahead of the reader).
constexpr std::size_t kPrefetchAhead = 4096;
constexpr std::size_t kPrefetchSpan = 640;

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

std::unique_ptr<MappedPcap> MappedPcap::open(const std::string& path) {
  std::unique_ptr<MappedPcap> r(new MappedPcap());
  r->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (r->fd_ < 0) {
    return nullptr;
  }
  struct stat st {};
  if (::fstat(r->fd_, &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) < kFileHeader) {
    return nullptr;
  }
  r->size_ = static_cast<std::size_t>(st.st_size);
  if (!r->ensure(0, kFileHeader)) {
    return nullptr;
  }
  const std::uint32_t magic = r->u32(0);
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
  std::memcpy(&v_major, r->at(4), 2);
  std::memcpy(&v_minor, r->at(6), 2);
  if (r->swapped_) {
    v_major = __builtin_bswap16(v_major);
    v_minor = __builtin_bswap16(v_minor);
  }
  if (v_major != 2 || v_minor != 4) {
    return nullptr;
  }
  r->snaplen_ = r->u32(16);
  const std::uint32_t linktype = r->u32(20);
  if (!sameAsDlt(linktype)) {  // also rejects FCS/flag bits in the upper half
    return nullptr;
  }
  r->linktype_ = static_cast<int>(linktype);
  r->pos_ = kFileHeader;
  return r;
}

MappedPcap::~MappedPcap() {
  if (window_ != nullptr) {
    ::munmap(const_cast<std::uint8_t*>(window_), window_len_);
  }
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

bool MappedPcap::ensure(std::size_t offset, std::size_t n) {
  if (window_ != nullptr && offset >= window_start_ && offset + n <= window_start_ + window_len_) {
    return true;
  }
  if (window_ != nullptr) {
    ::munmap(const_cast<std::uint8_t*>(window_), window_len_);
    window_ = nullptr;
  }
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  window_start_ = offset / page * page;
  window_len_ = std::min(size_ - window_start_, std::max(kWindow, offset + n - window_start_));
  void* map = ::mmap(nullptr, window_len_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd_,
                     static_cast<off_t>(window_start_));
  if (map == MAP_FAILED) {
    return false;
  }
  window_ = static_cast<const std::uint8_t*>(map);
  return true;
}

std::uint32_t MappedPcap::u32(std::size_t offset) const {
  std::uint32_t v = 0;
  std::memcpy(&v, at(offset), 4);
  return swapped_ ? bswap(v) : v;
}

int MappedPcap::next(Record& out) {
  const std::size_t left = size_ - pos_;
  if (left == 0) {
    return 0;
  }
  if (left < kRecordHeader) {
    error_ = "truncated dump file; tried to read " + std::to_string(kRecordHeader) +
             " header bytes, only got " + std::to_string(left);
    return -1;
  }
  if (!ensure(pos_, kRecordHeader)) {
    error_ = std::string("cannot map the file: ") + std::strerror(errno);
    return -1;
  }
  const std::uint32_t sec = u32(pos_);
  const std::uint32_t frac = u32(pos_ + 4);
  std::uint32_t caplen = u32(pos_ + 8);
  const std::uint32_t wirelen = u32(pos_ + 12);
  if (caplen > kMaximumSnaplen) {
    error_ = "invalid packet capture length " + std::to_string(caplen) + ", bigger than maximum of " +
             std::to_string(kMaximumSnaplen);
    return -1;
  }
  const std::size_t body = pos_ + kRecordHeader;
  if (size_ - body < caplen) {
    error_ = "truncated dump file; tried to read " + std::to_string(caplen) +
             " captured bytes, only got " + std::to_string(size_ - body);
    return -1;
  }
  if (!ensure(pos_, kRecordHeader + caplen)) {
    error_ = std::string("cannot map the file: ") + std::strerror(errno);
    return -1;
  }
  pos_ = body + caplen;
  // The file streams through once, so every record is a cache miss when first touched; ask for
  // the bytes a few records ahead now (the mapping is prefaulted, so this never faults).
  if (pos_ + kPrefetchAhead + kPrefetchSpan <= window_start_ + window_len_) {
    for (std::size_t off = 0; off < kPrefetchSpan; off += 64) {
      __builtin_prefetch(at(pos_ + kPrefetchAhead + off));
    }
  }
  // As libpcap: a record longer than the file's snapshot length is cut to it.
  if (snaplen_ != 0 && caplen > snaplen_) {
    caplen = snaplen_;
  }
  out.ts = Timestamp::fromParts(static_cast<std::int64_t>(sec), static_cast<std::int64_t>(frac),
                                nano_ ? 1'000'000'000 : 1'000'000);
  out.caplen = caplen;
  out.wirelen = wirelen;
  out.data = at(body);
  return 1;
}

}  // namespace rdpscope::capture
