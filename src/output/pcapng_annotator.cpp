#include "output/pcapng_annotator.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "capture/packet_source.h"
#include "core/text.h"
#include "output/render_common.h"

namespace rdpscope::output {
namespace {

// pcapng block types and option codes (draft-ietf-opsawg-pcapng sections 4.1-4.3, 3.5).
constexpr std::uint32_t kSectionHeaderBlock = 0x0A0D0D0A;
constexpr std::uint32_t kInterfaceDescriptionBlock = 0x00000001;
constexpr std::uint32_t kEnhancedPacketBlock = 0x00000006;
constexpr std::uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr std::uint16_t kOptEndOfOpt = 0;
constexpr std::uint16_t kOptComment = 1;
constexpr std::uint16_t kShbUserAppl = 4;
constexpr std::uint16_t kIfTsresol = 9;
// Option values are at most 65535 bytes (16-bit length); comments are cut well below.
constexpr std::size_t kMaxCommentBytes = 4000;
constexpr std::size_t kMaxCommentsPerFrame = 64;
// A spooled live packet larger than this is not one we wrote (libpcap's maximum snaplen).
constexpr std::uint32_t kMaxSpoolCaplen = 262144;

void put16(std::string& b, std::uint16_t v) {
  b.push_back(static_cast<char>(v & 0xFF));
  b.push_back(static_cast<char>(v >> 8));
}
void put32(std::string& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    b.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
}
void put64(std::string& b, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    b.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
}
void pad4(std::string& b) {
  while (b.size() % 4 != 0) {
    b.push_back('\0');
  }
}
void putOption(std::string& b, std::uint16_t code, std::string_view value) {
  put16(b, code);
  put16(b, static_cast<std::uint16_t>(value.size()));
  b.append(value);
  pad4(b);
}

std::string oneLine(std::string_view s) {
  return detail::cut(escapeForTerminal(s), kMaxCommentBytes);
}

std::string eventComment(const model::Connection& c, const model::Event& ev) {
  std::string s = "rdpscope #" + std::to_string(c.id) + " " + detail::stageText(ev.stage) + " ";
  if (ev.kind == "anomaly") {
    s += "anomaly " + detail::memberText(ev.fields, "id");
    const std::string d = detail::memberText(ev.fields, "detail");
    if (!d.empty()) {
      s += ": " + d;
    }
    return oneLine(s);
  }
  s += ev.kind;
  if (ev.decrypted) {
    s += " [dec]";
  }
  const std::string text = detail::eventText(ev, false);
  if (!text.empty()) {
    s += ": " + text;
  }
  return oneLine(s);
}

std::string diagnosisComment(const model::Connection& c, bool fatal) {
  const auto& d = *c.diagnosis;
  std::string s = "rdpscope #" + std::to_string(c.id) + (fatal ? " DIAGNOSIS " : " VERDICT ") +
                  d.rule + " (outcome " + (c.outcome.empty() ? "unknown" : c.outcome) + ", stage " +
                  std::string(model::stageName(d.stage)) + ", confidence " + d.confidence +
                  "): " + d.cause;
  const std::string ce = detail::clientErrorText(d.client_error);
  if (!ce.empty()) {
    s += " [Windows client " + ce + "]";
  }
  return oneLine(s);
}

}  // namespace

std::map<std::uint64_t, std::vector<std::string>> packetComments(
    const std::vector<model::Connection>& conns) {
  std::map<std::uint64_t, std::vector<std::string>> out;
  for (const auto& c : conns) {
    const auto fatal = detail::fatalEventIndex(c);
    const auto verdict = detail::verdictEventIndex(c);
    for (std::size_t i = 0; i < c.events.size(); ++i) {
      const auto& ev = c.events[i];
      if (ev.frame == 0) {
        continue;
      }
      auto& list = out[ev.frame];
      if (list.size() < kMaxCommentsPerFrame) {
        list.push_back(eventComment(c, ev));
      } else if (list.size() == kMaxCommentsPerFrame) {
        list.push_back("rdpscope: further events on this packet not shown");
      }
      if (c.diagnosis && ((fatal && *fatal == i) || (verdict && *verdict == i))) {
        list.push_back(diagnosisComment(c, fatal.has_value()));
      }
    }
  }
  return out;
}

PcapngWriter::~PcapngWriter() {
  if (fp_ != nullptr) {
    std::fclose(fp_);
  }
}

std::string PcapngWriter::open(const std::string& path) {
  path_ = path;
  fp_ = std::fopen(path.c_str(), "wb");
  if (fp_ == nullptr) {
    return path + ": cannot create annotated capture: " + std::strerror(errno);
  }
  // Section Header Block (4.1): byte-order magic, version 1.0, section length unknown (-1).
  std::string body;
  put32(body, kByteOrderMagic);
  put16(body, 1);
  put16(body, 0);
  put64(body, ~std::uint64_t{0});
  putOption(body, kShbUserAppl, "rdpscope");
  put16(body, kOptEndOfOpt);
  put16(body, 0);
  writeBlock(kSectionHeaderBlock, body);
  return {};
}

void PcapngWriter::writeBlock(std::uint32_t type, const std::string& body) {
  if (fp_ == nullptr || failed_) {
    return;
  }
  // Block: type, total length, body (padded to 32 bits), total length again.
  std::string block;
  const auto total = static_cast<std::uint32_t>(12 + body.size());
  put32(block, type);
  put32(block, total);
  block += body;
  put32(block, total);
  if (std::fwrite(block.data(), 1, block.size(), fp_) != block.size()) {
    failed_ = true;
  }
}

void PcapngWriter::writePacket(int linktype, Timestamp ts, std::uint32_t wirelen, ByteView bytes,
                               const std::vector<std::string>& comments) {
  auto it = interfaces_.find(linktype);
  if (it == interfaces_.end()) {
    // Interface Description Block (4.2): link type, snaplen 0 (no limit), nanosecond stamps.
    std::string idb;
    put16(idb, static_cast<std::uint16_t>(linktype));
    put16(idb, 0);
    put32(idb, 0);
    const char tsresol = 9;
    putOption(idb, kIfTsresol, std::string_view(&tsresol, 1));
    put16(idb, kOptEndOfOpt);
    put16(idb, 0);
    writeBlock(kInterfaceDescriptionBlock, idb);
    it = interfaces_.emplace(linktype, static_cast<std::uint32_t>(interfaces_.size())).first;
  }
  // Enhanced Packet Block (4.3).
  const auto ns = static_cast<std::uint64_t>(ts.ns < 0 ? 0 : ts.ns);
  std::string epb;
  put32(epb, it->second);
  put32(epb, static_cast<std::uint32_t>(ns >> 32));
  put32(epb, static_cast<std::uint32_t>(ns & 0xFFFFFFFFu));
  put32(epb, static_cast<std::uint32_t>(bytes.size()));
  put32(epb, wirelen);
  epb.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  pad4(epb);
  if (!comments.empty()) {
    for (const auto& c : comments) {
      putOption(epb, kOptComment, c.size() > 65535 ? std::string_view(c).substr(0, 65535) : c);
    }
    put16(epb, kOptEndOfOpt);
    put16(epb, 0);
  }
  writeBlock(kEnhancedPacketBlock, epb);
}

std::string PcapngWriter::close() {
  if (fp_ == nullptr) {
    return {};
  }
  const bool flush_ok = std::fflush(fp_) == 0;
  const bool close_ok = std::fclose(fp_) == 0;
  fp_ = nullptr;
  if (failed_ || !flush_ok || !close_ok) {
    return path_ + ": writing the annotated capture failed (disk full?)";
  }
  return {};
}

std::string writeAnnotatedPcapng(const std::vector<std::string>& input_files,
                                 const std::string& out_path,
                                 const std::vector<model::Connection>& conns) {
  auto opened = capture::openFiles(input_files);
  if (!opened.source) {
    return opened.error.empty() ? "cannot re-open the input files" : opened.error;
  }
  const auto comments = packetComments(conns);
  PcapngWriter writer;
  if (std::string err = writer.open(out_path); !err.empty()) {
    return err;
  }
  static const std::vector<std::string> kNone;
  capture::RawPacket pkt;
  while (opened.source->next(pkt)) {
    const auto it = comments.find(pkt.frame);
    writer.writePacket(pkt.linktype, pkt.ts, pkt.wirelen, pkt.bytes,
                       it == comments.end() ? kNone : it->second);
  }
  return writer.close();
}

// Spool record (our own temporary file, native byte order): frame u64, ts i64, linktype i32,
// caplen u32, wirelen u32, then caplen bytes.
std::unique_ptr<PcapngAnnotator> PcapngAnnotator::open(const std::string& path,
                                                       std::string& error) {
  std::unique_ptr<PcapngAnnotator> a(new PcapngAnnotator());
  a->path_ = path;
  a->spool_path_ = path + ".partial";
  a->spool_ = std::fopen(a->spool_path_.c_str(), "w+b");
  if (a->spool_ == nullptr) {
    error = a->spool_path_ + ": cannot create the annotated capture's spool file: " +
            std::strerror(errno);
    return nullptr;
  }
  // Make sure the final file can be created before capturing for minutes.
  std::FILE* probe = std::fopen(path.c_str(), "wb");
  if (probe == nullptr) {
    error = path + ": cannot create annotated capture: " + std::strerror(errno);
    std::fclose(a->spool_);
    a->spool_ = nullptr;
    std::remove(a->spool_path_.c_str());
    return nullptr;
  }
  std::fclose(probe);
  return a;
}

PcapngAnnotator::~PcapngAnnotator() {
  if (spool_ != nullptr) {
    std::fclose(spool_);
    std::remove(spool_path_.c_str());
  }
}

void PcapngAnnotator::addPacket(int linktype, Timestamp ts, std::uint32_t caplen,
                                std::uint32_t wirelen, ByteView bytes, std::uint64_t frame) {
  if (spool_ == nullptr || failed_) {
    return;
  }
  const auto len = static_cast<std::uint32_t>(std::min<std::size_t>(
      {static_cast<std::size_t>(caplen), bytes.size(), std::size_t{kMaxSpoolCaplen}}));
  const std::int32_t lt = linktype;
  bool ok = std::fwrite(&frame, sizeof frame, 1, spool_) == 1 &&
            std::fwrite(&ts.ns, sizeof ts.ns, 1, spool_) == 1 &&
            std::fwrite(&lt, sizeof lt, 1, spool_) == 1 &&
            std::fwrite(&len, sizeof len, 1, spool_) == 1 &&
            std::fwrite(&wirelen, sizeof wirelen, 1, spool_) == 1 &&
            (len == 0 || std::fwrite(bytes.data(), 1, len, spool_) == len);
  if (!ok) {
    failed_ = true;
  }
}

std::string PcapngAnnotator::finish(const std::vector<model::Connection>& conns) {
  if (spool_ == nullptr) {
    return path_ + ": annotated capture already written";
  }
  std::string error;
  if (failed_ || std::fflush(spool_) != 0) {
    error = spool_path_ + ": writing the spool file failed (disk full?)";
  }
  const auto comments = packetComments(conns);
  PcapngWriter writer;
  if (error.empty()) {
    error = writer.open(path_);
  }
  if (error.empty()) {
    std::rewind(spool_);
    std::vector<std::uint8_t> buf;
    static const std::vector<std::string> kNone;
    for (;;) {
      std::uint64_t frame = 0;
      std::int64_t ns = 0;
      std::int32_t lt = 0;
      std::uint32_t len = 0, wirelen = 0;
      if (std::fread(&frame, sizeof frame, 1, spool_) != 1) {
        break;
      }
      if (std::fread(&ns, sizeof ns, 1, spool_) != 1 || std::fread(&lt, sizeof lt, 1, spool_) != 1 ||
          std::fread(&len, sizeof len, 1, spool_) != 1 ||
          std::fread(&wirelen, sizeof wirelen, 1, spool_) != 1 || len > kMaxSpoolCaplen) {
        error = spool_path_ + ": spool file is damaged";
        break;
      }
      buf.resize(len);
      if (len > 0 && std::fread(buf.data(), 1, len, spool_) != len) {
        error = spool_path_ + ": spool file is damaged";
        break;
      }
      const auto it = comments.find(frame);
      writer.writePacket(lt, Timestamp{ns}, wirelen, ByteView(buf.data(), buf.size()),
                         it == comments.end() ? kNone : it->second);
    }
    std::string close_error = writer.close();
    if (error.empty()) {
      error = std::move(close_error);
    }
  }
  std::fclose(spool_);
  spool_ = nullptr;
  std::remove(spool_path_.c_str());
  return error;
}

}  // namespace rdpscope::output
