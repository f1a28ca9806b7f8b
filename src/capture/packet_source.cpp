#include "capture/packet_source.h"

#include <pcap/pcap.h>
#include <poll.h>
#include <sys/stat.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <queue>

#include "capture/classic_pcap_reader.h"

namespace rdpscope::capture {
namespace {

constexpr std::size_t kReadBuffer = std::size_t{1} << 20;

// RDPSCOPE_READ=read or =map overrides how classic pcap files are read (ClassicPcapReader's
// Auto choice otherwise): for measurements, and as a way out if mapping misbehaves somewhere.
ReaderOptions readerOptions() {
  ReaderOptions options;
  if (const char* env = std::getenv("RDPSCOPE_READ"); env != nullptr) {
    if (std::strcmp(env, "read") == 0) {
      options.mode = ReadMode::Read;
    } else if (std::strcmp(env, "map") == 0) {
      options.mode = ReadMode::Map;
    }
  }
  return options;
}

Timestamp toTimestamp(const pcap_pkthdr& hdr, bool nano) {
  return Timestamp::fromParts(static_cast<std::int64_t>(hdr.ts.tv_sec),
                              static_cast<std::int64_t>(hdr.ts.tv_usec),
                              nano ? 1'000'000'000 : 1'000'000);
}

struct FileReader {
  std::string path;
  pcap_t* handle = nullptr;
  bool nano = false;
  int linktype = 0;
  std::uint64_t size = 0;
  FILE* fp = nullptr;  // owned by pcap; used only for ftell (progress)
  std::unique_ptr<ClassicPcapReader> classic;  // plain classic pcap: our reader, no libpcap handle
  // The packet read ahead for the merge.
  bool has_packet = false;
  Timestamp ts{};
  std::uint32_t caplen = 0;
  std::uint32_t wirelen = 0;
  const std::uint8_t* data = nullptr;
  std::string error;

  bool advance() {
    if (classic) {
      ClassicPcapReader::Record rec{};
      const int rc = classic->next(rec);
      has_packet = rc == 1;
      if (rc == 1) {
        ts = rec.ts;
        caplen = rec.caplen;
        wirelen = rec.wirelen;
        data = rec.data;
      } else if (rc < 0) {
        error = path + ": capture file is damaged or truncated after the last complete packet (" +
                classic->error() + "); packets before it were analysed";
      }
      return has_packet;
    }
    pcap_pkthdr* hdr = nullptr;
    const u_char* bytes = nullptr;
    const int rc = pcap_next_ex(handle, &hdr, &bytes);
    if (rc == 1) {
      has_packet = true;
      ts = toTimestamp(*hdr, nano);
      caplen = hdr->caplen;
      wirelen = hdr->len;
      data = bytes;
      return true;
    }
    has_packet = false;
    if (rc == PCAP_ERROR) {
      // libpcap reports a truncated file as an error on the last record.
      error = path + ": capture file is damaged or truncated after the last complete packet (" +
              pcap_geterr(handle) + "); packets before it were analysed";
    }
    return false;
  }
};

class FileSource final : public PacketSource {
 public:
  ~FileSource() override {
    for (auto& r : readers_) {
      if (r.handle != nullptr) {
        pcap_close(r.handle);
      }
    }
  }

  std::string open(const std::vector<std::string>& paths) {
    for (const auto& path : paths) {
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) {
        return path + ": cannot open capture file: " + std::strerror(errno);
      }
      if (S_ISDIR(st.st_mode)) {
        return path + ": is a directory, not a capture file";
      }
      if (auto classic = ClassicPcapReader::open(path, readerOptions())) {
        spdlog::debug("{}: classic pcap read through {}", path,
                      classic->mapped() ? "a mapping" : "read()");
        FileReader r;
        r.path = path;
        r.nano = classic->nanosecond();
        r.linktype = classic->linktype();
        r.size = static_cast<std::uint64_t>(st.st_size);
        r.classic = std::move(classic);
        total_ += r.size;
        readers_.push_back(std::move(r));
        continue;
      }
      char errbuf[PCAP_ERRBUF_SIZE] = {};
      // Our own FILE with a 1 MiB buffer: libpcap reads through stdio, whose default buffer
      // (st_blksize, 4 KiB) costs one read() syscall per 4 KiB of capture.
      FILE* fp = std::fopen(path.c_str(), "rb");
      if (fp == nullptr) {
        return path + ": cannot open capture file: " + std::strerror(errno);
      }
      std::setvbuf(fp, nullptr, _IOFBF, kReadBuffer);
      pcap_t* handle = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
      if (handle == nullptr) {
        std::fclose(fp);  // not taken over by libpcap on failure
        return path + ": not a readable pcap or pcapng file (" + errbuf + ")";
      }
      FileReader r;
      r.path = path;
      r.handle = handle;
      r.nano = pcap_get_tstamp_precision(handle) == PCAP_TSTAMP_PRECISION_NANO;
      r.linktype = pcap_datalink(handle);
      r.size = static_cast<std::uint64_t>(st.st_size);
      r.fp = pcap_file(handle);
      total_ += r.size;
      readers_.push_back(std::move(r));
    }
    for (auto& r : readers_) {
      r.advance();
      if (!r.error.empty() && error_.empty()) {
        error_ = r.error;
      }
    }
    return {};
  }

  bool next(RawPacket& out) override {
    // The reader that produced the previous packet moves on only now: libpcap's buffer behind
    // that packet stayed valid until this call, and every other reader's read-ahead packet lives
    // in its own pcap_t buffer. So no packet is ever copied, with one file or many.
    if (delivered_ != nullptr) {
      FileReader* r = delivered_;
      delivered_ = nullptr;
      r->advance();
      if (!r->error.empty() && error_.empty()) {
        error_ = r->error;
      }
    }
    // Merge: the reader with the earliest pending packet goes first (file order breaks ties).
    FileReader* best = nullptr;
    std::size_t best_index = 0;
    if (readers_.size() == 1) {
      if (readers_[0].has_packet) {
        best = &readers_[0];
      }
    } else {
      for (std::size_t i = 0; i < readers_.size(); ++i) {
        auto& r = readers_[i];
        if (r.has_packet && (best == nullptr || r.ts < best->ts)) {
          best = &r;
          best_index = i;
        }
      }
    }
    if (best == nullptr) {
      return false;
    }
    out.frame = ++frame_;
    out.ts = best->ts;
    out.linktype = best->linktype;
    out.caplen = best->caplen;
    out.wirelen = best->wirelen;
    out.bytes = ByteView(best->data, best->caplen);
    out.source_index = best_index;
    delivered_ = best;
    return true;
  }

  const std::string& error() const override { return error_; }

  std::uint64_t bytesRead() const override {
    std::uint64_t sum = 0;
    for (const auto& r : readers_) {
      if (!r.has_packet) {
        sum += r.size;
      } else if (r.classic) {
        sum += r.classic->offset();
      } else if (r.fp != nullptr) {
        const long pos = std::ftell(r.fp);
        sum += pos > 0 ? static_cast<std::uint64_t>(pos) : 0;
      }
    }
    return sum;
  }
  std::uint64_t bytesTotal() const override { return total_; }

 private:
  std::vector<FileReader> readers_;
  FileReader* delivered_ = nullptr;  // reader whose packet the caller holds (advanced lazily)
  std::uint64_t frame_ = 0;
  std::uint64_t total_ = 0;
  std::string error_;
};

class LiveSource final : public PacketSource {
 public:
  ~LiveSource() override {
    if (handle_ != nullptr) {
      pcap_close(handle_);
    }
  }

  std::string open(const LiveOptions& o) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    handle_ = pcap_create(o.interface.c_str(), errbuf);
    if (handle_ == nullptr) {
      return "cannot open interface '" + o.interface + "': " + errbuf;
    }
    pcap_set_snaplen(handle_, o.snaplen);
    pcap_set_promisc(handle_, o.promiscuous ? 1 : 0);
    pcap_set_buffer_size(handle_, o.buffer_size_mb * 1024 * 1024);
    pcap_set_immediate_mode(handle_, o.immediate ? 1 : 0);
    pcap_set_timeout(handle_, 200);
    pcap_set_tstamp_precision(handle_, PCAP_TSTAMP_PRECISION_NANO);
    const int rc = pcap_activate(handle_);
    if (rc < 0) {
      std::string why = pcap_geterr(handle_);
      if (rc == PCAP_ERROR_PERM_DENIED) {
        return "no permission to capture on '" + o.interface +
               "': run as root or grant the binary CAP_NET_RAW,CAP_NET_ADMIN "
               "(setcap cap_net_raw,cap_net_admin=eip rdpscope)";
      }
      if (rc == PCAP_ERROR_NO_SUCH_DEVICE) {
        return "no such interface '" + o.interface + "' (list interfaces with: ip link)";
      }
      return "cannot capture on '" + o.interface + "': " + why;
    }
    nano_ = pcap_get_tstamp_precision(handle_) == PCAP_TSTAMP_PRECISION_NANO;
    linktype_ = pcap_datalink(handle_);
    if (pcap_setnonblock(handle_, 1, errbuf) == 0) {
      fd_ = pcap_get_selectable_fd(handle_);
    }
    const std::string filter = o.filter.empty() ? defaultLiveFilter({}) : o.filter;
    bpf_program prog{};
    if (pcap_compile(handle_, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      return "invalid capture filter '" + filter + "': " + pcap_geterr(handle_);
    }
    const int set = pcap_setfilter(handle_, &prog);
    pcap_freecode(&prog);
    if (set != 0) {
      return "cannot apply capture filter: " + std::string(pcap_geterr(handle_));
    }
    return {};
  }

  bool next(RawPacket& out) override {
    while (true) {
      pcap_pkthdr* hdr = nullptr;
      const u_char* bytes = nullptr;
      const int rc = pcap_next_ex(handle_, &hdr, &bytes);
      if (rc == 1) {
        out.frame = ++frame_;
        out.ts = toTimestamp(*hdr, nano_);
        out.linktype = linktype_;
        out.caplen = hdr->caplen;
        out.wirelen = hdr->len;
        out.bytes = ByteView(bytes, hdr->caplen);
        out.source_index = 0;
        return true;
      }
      if (rc == 0) {
        // Nothing buffered (non-blocking handle): wait up to 200 ms for the socket, then give
        // the caller a chance to check --duration and Ctrl-C. libpcap's own read timeout does
        // not fire on an idle interface in immediate mode, so we poll ourselves.
        if (fd_ >= 0) {
          pollfd pfd{fd_, POLLIN, 0};
          ::poll(&pfd, 1, 200);
        }
        out.caplen = 0;
        out.bytes = {};
        out.frame = 0;
        return true;
      }
      if (rc == PCAP_ERROR_BREAK) {
        return false;
      }
      error_ = std::string("capture stopped: ") + pcap_geterr(handle_);
      return false;
    }
  }

  const std::string& error() const override { return error_; }
  void breakLoop() override { pcap_breakloop(handle_); }

  CaptureStats stats() const override {
    pcap_stat st{};
    CaptureStats out;
    if (pcap_stats(handle_, &st) == 0) {
      out.received = st.ps_recv;
      out.dropped = st.ps_drop;
      out.if_dropped = st.ps_ifdrop;
      out.available = true;
    }
    return out;
  }

 private:
  pcap_t* handle_ = nullptr;
  int fd_ = -1;  // selectable descriptor of the non-blocking handle, -1 when unavailable
  bool nano_ = false;
  int linktype_ = 0;
  std::uint64_t frame_ = 0;
  std::string error_;
};

}  // namespace

OpenResult openFiles(const std::vector<std::string>& paths) {
  auto source = std::make_unique<FileSource>();
  std::string err = source->open(paths);
  if (!err.empty()) {
    return {nullptr, err};
  }
  return {std::move(source), {}};
}

OpenResult openLive(const LiveOptions& options) {
  auto source = std::make_unique<LiveSource>();
  std::string err = source->open(options);
  if (!err.empty()) {
    return {nullptr, err};
  }
  return {std::move(source), {}};
}

std::string defaultLiveFilter(const std::vector<std::uint16_t>& extra_ports) {
  // Port 3389 (TCP and UDP), extra ports, and on any port a TCP payload starting with TPKT
  // version 3 whose X.224 TPDU code is Connection Request (0xE0) or Confirm (0xD0), plus every
  // SYN/FIN/RST so connections on unknown ports can still be followed after detection.
  std::string f = "tcp port 3389 or udp port 3389";
  for (auto p : extra_ports) {
    f += " or tcp port " + std::to_string(p) + " or udp port " + std::to_string(p);
  }
  f += " or (tcp and (tcp[tcpflags] & (tcp-syn|tcp-fin|tcp-rst) != 0))";
  f += " or (tcp and tcp[((tcp[12:1] & 0xf0) >> 2):1] = 3 and "
       "(tcp[((tcp[12:1] & 0xf0) >> 2) + 5:1] & 0xf0 = 0xe0 or "
       "tcp[((tcp[12:1] & 0xf0) >> 2) + 5:1] & 0xf0 = 0xd0))";
  return f;
}

}  // namespace rdpscope::capture
