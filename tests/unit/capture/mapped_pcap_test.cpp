// The zero-copy classic-pcap reader (issue 8) must deliver exactly what libpcap delivers: same
// records, timestamps, lengths and bytes on every lab capture, the same verdict on damaged files,
// and it must leave anything it does not take (pcapng, other link types) to libpcap.
#include <gtest/gtest.h>

#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>
#include <unistd.h>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "capture/mapped_pcap.h"
#include "capture/packet_source.h"

namespace rdpscope::capture {
namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

fs::path writeTemp(const std::string& name, const std::vector<std::uint8_t>& bytes) {
  const fs::path p = fs::temp_directory_path() / ("rdpscope_mapped_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return p;
}

// Every record via libpcap (nanosecond precision, as FileSource asks) and via MappedPcap.
std::size_t expectSameAsLibpcap(const fs::path& path) {
  auto mapped = MappedPcap::open(path.string());
  EXPECT_NE(mapped, nullptr) << path;
  if (!mapped) return 0;
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  EXPECT_NE(p, nullptr) << errbuf;
  if (p == nullptr) return 0;
  EXPECT_EQ(mapped->linktype(), pcap_datalink(p));
  std::size_t n = 0;
  for (;;) {
    pcap_pkthdr* hdr = nullptr;
    const u_char* bytes = nullptr;
    const int rc = pcap_next_ex(p, &hdr, &bytes);
    MappedPcap::Record rec{};
    const int mrc = mapped->next(rec);
    if (rc != 1) {
      EXPECT_EQ(mrc, rc == PCAP_ERROR_BREAK ? 0 : -1) << path << " after " << n << " records";
      break;
    }
    EXPECT_EQ(mrc, 1) << path << " record " << n << ": " << mapped->error();
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

TEST(MappedPcap, EveryLabCaptureReadsAsLibpcapReadsIt) {
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

TEST(MappedPcap, ByteSwappedFileReadsTheSame) {
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

TEST(MappedPcap, TruncatedFilesEndWithAnErrorAfterTheLastWholeRecord) {
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

TEST(MappedPcap, LeavesOtherFormatsToLibpcap) {
  // pcapng section header block, a bogus file, and a LINKTYPE_RAW (101) pcap.
  const std::vector<std::uint8_t> pcapng = {0x0A, 0x0D, 0x0D, 0x0A, 0x1C, 0, 0, 0, 0x4D, 0x3C, 0x2B, 0x1A,
                                            1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                            0x1C, 0, 0, 0};
  const fs::path a = writeTemp("a.pcapng", pcapng);
  EXPECT_EQ(MappedPcap::open(a.string()), nullptr);
  auto raw = readFile(fs::path(RDPSCOPE_SOURCE_DIR) / "captures/tls12-success/capture.pcap");
  raw[20] = 101;
  raw[21] = raw[22] = raw[23] = 0;
  const fs::path b = writeTemp("raw.pcap", raw);
  EXPECT_EQ(MappedPcap::open(b.string()), nullptr);
  const fs::path c = writeTemp("short.pcap", {0xD4, 0xC3, 0xB2, 0xA1});
  EXPECT_EQ(MappedPcap::open(c.string()), nullptr);
  EXPECT_EQ(MappedPcap::open("/nonexistent/file.pcap"), nullptr);
  for (const auto& p : {a, b, c}) fs::remove(p);
}

}  // namespace
}  // namespace rdpscope::capture
