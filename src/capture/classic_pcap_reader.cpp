#include "capture/classic_pcap_reader.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>

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

// Auto mode maps files from this size on: below it a few read() calls cost less than a mapping.
constexpr std::uint64_t kMapFrom = std::uint64_t{64} << 20;
// A window's offset is aligned to 2 MiB so the page cache's large folios map with few faults
// (8 per 16 MiB window instead of 40 on the benchmark machine); small test windows use pages.
constexpr std::size_t kLargeAlign = std::size_t{2} << 20;
constexpr std::size_t kMinWindow = std::size_t{1} << 20;
// Auto mode keeps the mapping when touching the first window's pages takes at most this long per
// MiB, i.e. runs faster than 20 GB/s, well above a kernel copy (~10 GB/s on the benchmark machine,
// where touching ran at 4-5 us per MiB; the fifth round's VM needed ~600 us per MiB).
constexpr std::chrono::nanoseconds kMaxTouchPerMiB{50'000};
// Mapped pages are not in the cache until touched: the next page's start is asked for ahead.
constexpr std::size_t kPrefetchAhead = 4096;

std::uint32_t bswap(std::uint32_t v) { return __builtin_bswap32(v); }

std::size_t pageSize() {
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

// The SIGBUS guard. Another process truncating the file while it is mapped makes any access
// beyond the new end raise SIGBUS. The handler maps zero pages over the rest of that window, so
// the access completes (the analyzer sees zeros, which it treats as any hostile bytes), and marks
// the window so its reader reports the file as shrunk at its next record.
struct GuardSlot {
  std::atomic<std::uintptr_t> begin{0};
  std::atomic<std::uintptr_t> end{0};
  std::atomic<bool> shrunk{false};
  std::atomic<bool> taken{false};
};
constexpr int kGuardSlots = 16;  // open readers beyond this many use read()
GuardSlot g_guard[kGuardSlots];
struct sigaction g_previous_sigbus {};
std::uintptr_t g_page_mask = 0;

void onSigbus(int sig, siginfo_t* info, void* context) {
  const auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
  for (GuardSlot& slot : g_guard) {
    const std::uintptr_t begin = slot.begin.load(std::memory_order_acquire);
    const std::uintptr_t end = slot.end.load(std::memory_order_acquire);
    if (begin != 0 && addr >= begin && addr < end) {
      // mmap is a plain system call here (not on POSIX's async-signal-safe list, but it takes no
      // lock of ours): the fault is synchronous, in the reading thread.
      const std::uintptr_t page = addr & g_page_mask;
      void* zeros = ::mmap(reinterpret_cast<void*>(page), end - page, PROT_READ,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      if (zeros != MAP_FAILED) {
        slot.shrunk.store(true, std::memory_order_release);
        return;  // the faulting load runs again and reads zeros
      }
    }
  }
  // Not one of our windows: what would have happened without this handler.
  if ((g_previous_sigbus.sa_flags & SA_SIGINFO) != 0) {
    if (g_previous_sigbus.sa_sigaction != nullptr) {
      g_previous_sigbus.sa_sigaction(sig, info, context);
      return;
    }
  } else if (g_previous_sigbus.sa_handler != SIG_DFL && g_previous_sigbus.sa_handler != SIG_IGN) {
    g_previous_sigbus.sa_handler(sig);
    return;
  }
  ::signal(SIGBUS, SIG_DFL);  // the fault repeats and ends the process as it would have
}

bool installSigbusGuard() {
  static std::once_flag once;
  static bool installed = false;
  std::call_once(once, [] {
    g_page_mask = ~(static_cast<std::uintptr_t>(pageSize()) - 1);
    struct sigaction sa {};
    sa.sa_sigaction = onSigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    installed = ::sigaction(SIGBUS, &sa, &g_previous_sigbus) == 0;
  });
  return installed;
}

int takeGuardSlot() {
  for (int i = 0; i < kGuardSlots; ++i) {
    bool expected = false;
    if (g_guard[i].taken.compare_exchange_strong(expected, true)) {
      return i;
    }
  }
  return -1;
}

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

std::unique_ptr<ClassicPcapReader> ClassicPcapReader::open(const std::string& path,
                                                           const ReaderOptions& options) {
  std::unique_ptr<ClassicPcapReader> r(new ClassicPcapReader());
  r->options_ = options;
  r->options_.window = std::max(options.window, kMinWindow);
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
  r->file_size_ = static_cast<std::uint64_t>(st.st_size);
  // The kernel reads further ahead for a file declared sequential; harmless when it is cached.
  (void)::posix_fadvise(r->fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  const bool map = options.mode == ReadMode::Map ||
                   (options.mode == ReadMode::Auto && r->file_size_ >= kMapFrom);
  if (map && installSigbusGuard() && r->mapWindow(kFileHeader)) {
    // Auto keeps the mapping only if touching the first window's pages proved cheap.
    if (options.mode == ReadMode::Auto && !r->touchingIsCheap() && !r->switchToRead()) {
      return nullptr;
    }
    return r;
  }
  r->buffer_ = std::make_unique_for_overwrite<std::uint8_t[]>(kCapacity);
  r->base_ = r->buffer_.get();
  return r;
}

ClassicPcapReader::~ClassicPcapReader() {
  unmap();
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

bool ClassicPcapReader::mapWindow(std::uint64_t pos) {
  const std::uint64_t align = options_.window >= 8 * kLargeAlign ? kLargeAlign : pageSize();
  const std::uint64_t off = pos & ~(align - 1);
  if (off >= file_size_) {
    return false;
  }
  const std::size_t valid =
      static_cast<std::size_t>(std::min<std::uint64_t>(options_.window, file_size_ - off));
  const int slot = guard_ >= 0 ? guard_ : takeGuardSlot();
  if (slot < 0) {
    return false;
  }
  void* m = ::mmap(nullptr, valid, PROT_READ, MAP_SHARED, fd_, static_cast<off_t>(off));
  if (m == MAP_FAILED) {
    if (guard_ < 0) {
      g_guard[slot].taken.store(false);
    }
    return false;
  }
  unmap(/*keep_slot=*/true);  // the previous window, once the new one exists
  guard_ = slot;
  map_ = static_cast<const std::uint8_t*>(m);
  map_len_ = (valid + pageSize() - 1) & ~(pageSize() - 1);
  const auto begin = reinterpret_cast<std::uintptr_t>(map_);
  g_guard[slot].end.store(begin + map_len_, std::memory_order_release);
  g_guard[slot].begin.store(begin, std::memory_order_release);
  base_ = map_;
  cur_ = static_cast<std::size_t>(pos - off);
  end_ = valid;
  file_pos_ = off + valid;
  return true;
}

void ClassicPcapReader::unmap(bool keep_slot) {
  if (map_ == nullptr) {
    return;
  }
  GuardSlot& slot = g_guard[guard_];
  slot.begin.store(0, std::memory_order_release);
  slot.end.store(0, std::memory_order_release);
  if (slot.shrunk.exchange(false)) {  // (cleared for the slot's next reader)
    shrunk_ = true;
  }
  ::munmap(const_cast<std::uint8_t*>(map_), map_len_);
  map_ = nullptr;
  map_len_ = 0;
  base_ = nullptr;
  if (!keep_slot) {
    slot.taken.store(false, std::memory_order_release);
    guard_ = -1;
  }
}

bool ClassicPcapReader::touchingIsCheap() const {
  const auto started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < end_; i += pageSize()) {
    (void)*static_cast<const volatile std::uint8_t*>(map_ + i);  // volatile: the load stays
  }
  const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - started;
  const double mib = static_cast<double>(end_) / static_cast<double>(1 << 20);
  return took.count() <= mib * static_cast<double>(kMaxTouchPerMiB.count());
}

bool ClassicPcapReader::switchToRead() {
  const std::uint64_t pos = offset();
  unmap();
  if (::lseek(fd_, static_cast<off_t>(pos), SEEK_SET) < 0) {
    error_ = std::string("cannot read the file: ") + std::strerror(errno);
    return false;
  }
  if (!buffer_) {
    buffer_ = std::make_unique_for_overwrite<std::uint8_t[]>(kCapacity);
  }
  base_ = buffer_.get();
  cur_ = 0;
  end_ = 0;
  file_pos_ = pos;
  eof_ = false;
  return true;
}

bool ClassicPcapReader::remap(std::size_t n) {
  const std::uint64_t pos = offset();
  if (pos + n > file_size_) {  // a capture still being written may have grown since
    struct stat st {};
    if (::fstat(fd_, &st) == 0) {
      file_size_ = static_cast<std::uint64_t>(st.st_size);
    }
  }
  if (file_pos_ >= file_size_) {
    return true;  // the window already reaches the end: next() reports what is missing
  }
  if (mapWindow(pos)) {
    return true;
  }
  return switchToRead() && refill(n);
}

bool ClassicPcapReader::refill(std::size_t n) {
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
  if (shrunk_ || (guard_ >= 0 && g_guard[guard_].shrunk.load(std::memory_order_acquire))) {
    shrunk_ = true;
    error_ = "the file shrank while it was being read";
    return -1;
  }
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
  const std::uint8_t* header = base_ + cur_;
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
  out.data = base_ + cur_ + kRecordHeader;
  cur_ += kRecordHeader + caplen;
  if (map_ != nullptr && end_ - cur_ > kPrefetchAhead) {
    // The next record's header and first bytes (its link, IP and TCP headers) while this packet
    // is analysed: reading them when it is asked for was the record loop's wait on memory
    // (-3 % wall, alternated 3 x 9-11 runs); and the page after, for its TLB entry.
    __builtin_prefetch(base_ + cur_);
    __builtin_prefetch(base_ + cur_ + 64);
    __builtin_prefetch(base_ + cur_ + kPrefetchAhead);
  }
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
