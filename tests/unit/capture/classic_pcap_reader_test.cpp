// The classic-pcap reader (issue 8) must deliver exactly what libpcap delivers: same
// records, timestamps, lengths and bytes on every lab capture, the same verdict on damaged files,
// through read() and through a mapping alike (small windows, so records straddle them), and it
// must leave anything it does not take (pcapng, other link types) to libpcap. A file truncated
// while mapped ends with an error, not SIGBUS.
#include <gtest/gtest.h>

#include <pcap/pcap.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "capture/classic_pcap_reader.h"
#include "capture/packet_source.h"

namespace rdpscope::capture {
namespace {

namespace fs = std::filesystem;

// Both ways of reading; the mapping with 1 MiB windows (the smallest) so that files of a few MB
// cross several of them.
const ReaderOptions kModes[] = {{ReadMode::Read, std::size_t{16} << 20},
                                {ReadMode::Map, std::size_t{1} << 20}};
const char* nameOf(const ReaderOptions& o) { return o.mode == ReadMode::Read ? "read()" : "mapping"; }

std::vector<std::uint8_t> readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

fs::path writeTemp(const std::string& name, const std::vector<std::uint8_t>& bytes) {
  const fs::path p = fs::temp_directory_path() / ("rdpscope_classic_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return p;
}

// Every record via libpcap (nanosecond precision, as FileSource asks) and via ClassicPcapReader.
std::size_t expectSameAsLibpcap(const fs::path& path, const ReaderOptions& options) {
  SCOPED_TRACE(nameOf(options));
  auto reader = ClassicPcapReader::open(path.string(), options);
  EXPECT_NE(reader, nullptr) << path;
  if (!reader) return 0;
  EXPECT_EQ(reader->mapped(), options.mode == ReadMode::Map);
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  EXPECT_NE(p, nullptr) << errbuf;
  if (p == nullptr) return 0;
  EXPECT_EQ(reader->linktype(), pcap_datalink(p));
  std::size_t n = 0;
  for (;;) {
    pcap_pkthdr* hdr = nullptr;
    const u_char* bytes = nullptr;
    const int rc = pcap_next_ex(p, &hdr, &bytes);
    ClassicPcapReader::Record rec{};
    const int mrc = reader->next(rec);
    if (rc != 1) {
      EXPECT_EQ(mrc, rc == PCAP_ERROR_BREAK ? 0 : -1) << path << " after " << n << " records";
      break;
    }
    EXPECT_EQ(mrc, 1) << path << " record " << n << ": " << reader->error();
    if (mrc != 1 || rec.caplen != hdr->caplen) {
      ADD_FAILURE() << path << " record " << n << " differs";
      break;
    }
    EXPECT_EQ(rec.ts, Timestamp::fromParts(hdr->ts.tv_sec, hdr->ts.tv_usec, 1'000'000'000));
    EXPECT_EQ(rec.wirelen, hdr->len);
    EXPECT_EQ(std::memcmp(rec.data, bytes, hdr->caplen), 0);
    ++n;
  }
  pcap_close(p);
  return n;
}

// The same through both ways of reading; the number of records (equal in both, or a failure).
std::size_t expectSameAsLibpcap(const fs::path& path) {
  const std::size_t by_read = expectSameAsLibpcap(path, kModes[0]);
  EXPECT_EQ(expectSameAsLibpcap(path, kModes[1]), by_read) << path;
  return by_read;
}

TEST(ClassicPcapReader, EveryLabCaptureReadsAsLibpcapReadsIt) {
  std::size_t files = 0;
  for (const auto& dir : fs::directory_iterator(fs::path(RDPSCOPE_SOURCE_DIR) / "captures")) {
    const fs::path pcap = dir.path() / "capture.pcap";
    if (fs::exists(pcap)) {
      EXPECT_GT(expectSameAsLibpcap(pcap), 0u);
      ++files;
    }
  }
  EXPECT_GE(files, 40u);
}

TEST(ClassicPcapReader, ByteSwappedFileReadsTheSame) {
  // The same capture rewritten in the other byte order (magic, header fields, record headers).
  auto bytes = readFile(fs::path(RDPSCOPE_SOURCE_DIR) / "captures/tls12-success/capture.pcap");
  ASSERT_GE(bytes.size(), 24u);
  auto swap32 = [&](std::size_t at) { std::reverse(bytes.begin() + at, bytes.begin() + at + 4); };
  auto swap16 = [&](std::size_t at) { std::reverse(bytes.begin() + at, bytes.begin() + at + 2); };
  swap32(0); swap16(4); swap16(6); swap32(8); swap32(12); swap32(16); swap32(20);
  std::size_t pos = 24;
  while (pos + 16 <= bytes.size()) {
    std::uint32_t caplen = 0;
    std::memcpy(&caplen, &bytes[pos + 8], 4);  // still little-endian here
    swap32(pos); swap32(pos + 4); swap32(pos + 8); swap32(pos + 12);
    pos += 16 + caplen;
  }
  const fs::path p = writeTemp("swapped.pcap", bytes);
  EXPECT_GT(expectSameAsLibpcap(p), 0u);
  fs::remove(p);
}

TEST(ClassicPcapReader, TruncatedFilesEndWithAnErrorAfterTheLastWholeRecord) {
  const auto bytes = readFile(fs::path(RDPSCOPE_SOURCE_DIR) / "captures/tls12-success/capture.pcap");
  for (std::size_t cut : {bytes.size() - 1, bytes.size() - 20, std::size_t{24 + 8}, std::size_t{24 + 16 + 3}}) {
    const fs::path p = writeTemp("cut.pcap", std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + static_cast<long>(cut)));
    expectSameAsLibpcap(p);  // same records, then an error where libpcap has one
    auto opened = openFiles({p.string()});
    ASSERT_NE(opened.source, nullptr);
    RawPacket pkt;
    while (opened.source->next(pkt)) {
    }
    EXPECT_NE(opened.source->error().find("truncated"), std::string::npos) << opened.source->error();
    fs::remove(p);
  }
}

TEST(ClassicPcapReader, RecordsAcrossBufferRefillsReadAsLibpcapReadsThem) {
  // ~3 MB of records whose sizes vary from empty to libpcap's maximum (262144), so records start,
  // end and straddle every position of the reader's 256 KiB refills; then the same file cut in the
  // middle of a maximum-size record.
  std::vector<std::uint8_t> bytes = {0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                     0, 0, 4, 0, 1, 0, 0, 0};  // snaplen 262144, Ethernet
  std::uint32_t seed = 12345;
  auto rnd = [&] { seed = seed * 1103515245u + 12345u; return seed >> 8; };
  auto put32 = [&](std::uint32_t v) { for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<std::uint8_t>(v >> (8 * i))); };
  std::size_t records = 0;
  std::size_t max_record_at = 0;
  while (bytes.size() < (std::size_t{3} << 20)) {
    std::uint32_t caplen = rnd() % 1500;
    if (records % 97 == 5) caplen = 262144;
    if (records % 89 == 7) caplen = 0;
    if (caplen == 262144 && max_record_at == 0) max_record_at = bytes.size();
    put32(1700000000u + static_cast<std::uint32_t>(records));
    put32(static_cast<std::uint32_t>(records * 7) % 1000000u);
    put32(caplen);
    put32(caplen + 4);
    for (std::uint32_t i = 0; i < caplen; ++i) bytes.push_back(static_cast<std::uint8_t>(rnd()));
    ++records;
  }
  const fs::path p = writeTemp("refills.pcap", bytes);
  EXPECT_EQ(expectSameAsLibpcap(p), records);
  for (const ReaderOptions& mode : kModes) {
    auto reader = ClassicPcapReader::open(p.string(), mode);
    ASSERT_NE(reader, nullptr);
    ClassicPcapReader::Record rec{};
    while (reader->next(rec) == 1) {
    }
    EXPECT_EQ(reader->offset(), bytes.size()) << nameOf(mode);  // progress reaches the end
  }
  fs::remove(p);

  ASSERT_GT(max_record_at, 0u);
  const std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(max_record_at + 16 + 100000));
  const fs::path q = writeTemp("refills-cut.pcap", cut);
  expectSameAsLibpcap(q);  // the records before it, then the same error verdict as libpcap
  fs::remove(q);
}

// 3 MB of records of up to 1,500 bytes, every byte of each record's data equal to its index.
std::vector<std::uint8_t> numberedRecords(std::size_t size) {
  std::vector<std::uint8_t> bytes = {0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                     0, 0, 4, 0, 1, 0, 0, 0};
  auto put32 = [&](std::uint32_t v) { for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<std::uint8_t>(v >> (8 * i))); };
  for (std::uint32_t n = 0; bytes.size() < size; ++n) {
    const std::uint32_t caplen = 60 + (n * 37) % 1440;
    put32(1700000000u + n);
    put32(0);
    put32(caplen);
    put32(caplen);
    bytes.insert(bytes.end(), caplen, static_cast<std::uint8_t>(n % 251 + 1));
  }
  return bytes;
}

TEST(ClassicPcapReader, FileTruncatedWhileMappedEndsWithAnErrorNotSigbus) {
  // Another program truncates the file while the reader has a window of it mapped: the pages
  // beyond the new end vanish, and touching them raises SIGBUS. The reader must end with an error
  // naming the cause, having handed out zeros at worst, and must not die.
  const auto bytes = numberedRecords(std::size_t{3} << 20);
  for (const std::size_t cut_at : {std::size_t{200'000}, std::size_t{200'000 + 5}}) {
    const fs::path p = writeTemp("shrinks.pcap", bytes);
    auto reader = ClassicPcapReader::open(p.string(), kModes[1]);
    ASSERT_NE(reader, nullptr);
    ASSERT_TRUE(reader->mapped());
    ClassicPcapReader::Record rec{};
    std::size_t good = 0;
    while (reader->offset() < 100'000 && reader->next(rec) == 1) {
      ++good;
    }
    ASSERT_EQ(::truncate(p.c_str(), static_cast<off_t>(cut_at)), 0);
    int rc = 1;
    std::size_t after = 0;
    std::uint64_t sum = 0;
    while (after < 10'000 && (rc = reader->next(rec)) == 1) {
      for (std::uint32_t i = 0; i < rec.caplen; ++i) {
        sum += rec.data[i];  // touches every handed-out byte, as the analyzer may
      }
      ++after;
    }
    EXPECT_EQ(rc, -1) << "after " << good + after << " records";
    EXPECT_NE(reader->error().find("shrank"), std::string::npos) << reader->error();
    EXPECT_GT(sum, 0u);
    fs::remove(p);
  }
}

TEST(ClassicPcapReader, AutoModeReadsSmallFilesWithRead) {
  const auto bytes = numberedRecords(std::size_t{2} << 20);
  const fs::path p = writeTemp("small.pcap", bytes);
  auto reader = ClassicPcapReader::open(p.string());
  ASSERT_NE(reader, nullptr);
  EXPECT_FALSE(reader->mapped());  // below 64 MiB a mapping does not pay
  fs::remove(p);
}

TEST(ClassicPcapReader, LeavesOtherFormatsToLibpcap) {
  // pcapng section header block, a bogus file, and a LINKTYPE_RAW (101) pcap.
  const std::vector<std::uint8_t> pcapng = {0x0A, 0x0D, 0x0D, 0x0A, 0x1C, 0, 0, 0, 0x4D, 0x3C, 0x2B, 0x1A,
                                            1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                            0x1C, 0, 0, 0};
  const fs::path a = writeTemp("a.pcapng", pcapng);
  EXPECT_EQ(ClassicPcapReader::open(a.string()), nullptr);
  auto raw = readFile(fs::path(RDPSCOPE_SOURCE_DIR) / "captures/tls12-success/capture.pcap");
  raw[20] = 101;
  raw[21] = raw[22] = raw[23] = 0;
  const fs::path b = writeTemp("raw.pcap", raw);
  EXPECT_EQ(ClassicPcapReader::open(b.string()), nullptr);
  const fs::path c = writeTemp("short.pcap", {0xD4, 0xC3, 0xB2, 0xA1});
  EXPECT_EQ(ClassicPcapReader::open(c.string()), nullptr);
  EXPECT_EQ(ClassicPcapReader::open("/nonexistent/file.pcap"), nullptr);
  for (const auto& p : {a, b, c}) fs::remove(p);
}

}  // namespace
}  // namespace rdpscope::capture
