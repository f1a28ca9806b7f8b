// Replays every kept fuzz regression input (tests/fuzz/regressions/<target>/*) through the same
// entry points the libFuzzer targets use, in the normal (non-fuzz) build: a fixed crash stays
// fixed even where clang/libFuzzer is not available. Also runs the committed hostile captures
// (captures/hostile/*.pcap) and every truncation of one through the whole-pipeline entry point.
// Issue 9. With RDPSCOPE_SANITIZE=ON this is the ASan/UBSan replay.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

// Each target's LLVMFuzzerTestOneInput, renamed so that all can live in this one binary.
#define LLVMFuzzerTestOneInput rdpscope_fuzz_rdp_connection
#include "../../fuzz/fuzz_rdp_connection.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput rdpscope_fuzz_tpkt_x224
#include "../../fuzz/fuzz_tpkt_x224.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput rdpscope_fuzz_mcs
#include "../../fuzz/fuzz_mcs.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput rdpscope_fuzz_gcc
#include "../../fuzz/fuzz_gcc.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput rdpscope_fuzz_tls
#include "../../fuzz/fuzz_tls.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput rdpscope_fuzz_credssp
#include "../../fuzz/fuzz_credssp.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput rdpscope_fuzz_spnego
#include "../../fuzz/fuzz_spnego.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput rdpscope_fuzz_ntlm
#include "../../fuzz/fuzz_ntlm.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput rdpscope_fuzz_kerberos
#include "../../fuzz/fuzz_kerberos.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput rdpscope_fuzz_licensing
#include "../../fuzz/fuzz_licensing.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput rdpscope_fuzz_rules
#include "../../fuzz/fuzz_rules.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput rdpscope_fuzz_keylog
#include "../../fuzz/fuzz_keylog.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput rdpscope_fuzz_pcap_pipeline
#include "../../fuzz/fuzz_pcap_pipeline.cpp"
#undef LLVMFuzzerTestOneInput

namespace {

namespace fs = std::filesystem;
using Entry = int (*)(const std::uint8_t*, std::size_t);

struct Target {
  const char* name;
  Entry entry;
};

const Target kTargets[] = {
    {"fuzz_rdp_connection", rdpscope_fuzz_rdp_connection},
    {"fuzz_tpkt_x224", rdpscope_fuzz_tpkt_x224},
    {"fuzz_mcs", rdpscope_fuzz_mcs},
    {"fuzz_gcc", rdpscope_fuzz_gcc},
    {"fuzz_tls", rdpscope_fuzz_tls},
    {"fuzz_credssp", rdpscope_fuzz_credssp},
    {"fuzz_spnego", rdpscope_fuzz_spnego},
    {"fuzz_ntlm", rdpscope_fuzz_ntlm},
    {"fuzz_kerberos", rdpscope_fuzz_kerberos},
    {"fuzz_licensing", rdpscope_fuzz_licensing},
    {"fuzz_rules", rdpscope_fuzz_rules},
    {"fuzz_keylog", rdpscope_fuzz_keylog},
    {"fuzz_pcap_pipeline", rdpscope_fuzz_pcap_pipeline},
};

std::vector<std::uint8_t> readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<fs::path> filesIn(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().filename().string()[0] != '.') {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

class FuzzRegressions : public ::testing::TestWithParam<Target> {};

TEST_P(FuzzRegressions, EveryKeptInputRunsCleanly) {
  const Target t = GetParam();
  const fs::path dir = fs::path(RDPSCOPE_SOURCE_DIR) / "tests" / "fuzz" / "regressions" / t.name;
  std::size_t n = 0;
  for (const auto& f : filesIn(dir)) {
    SCOPED_TRACE(f.string());
    const auto bytes = readFile(f);
    EXPECT_EQ(t.entry(bytes.data(), bytes.size()), 0);
    ++n;
  }
  // Empty and one-byte inputs must be harmless for every target.
  const std::uint8_t one[1] = {0xff};
  EXPECT_EQ(t.entry(one, 0), 0);
  EXPECT_EQ(t.entry(one, 1), 0);
  RecordProperty("inputs", static_cast<int>(n));
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzRegressions, ::testing::ValuesIn(kTargets),
                         [](const ::testing::TestParamInfo<Target>& info) {
                           return std::string(info.param.name);
                         });

TEST(HostileCaptures, WholePipelineOnEveryCommittedFile) {
  const fs::path dir = fs::path(RDPSCOPE_SOURCE_DIR) / "captures" / "hostile";
  const auto files = filesIn(dir);
  if (files.empty()) {
    GTEST_SKIP() << "no " << dir;
  }
  for (const auto& f : files) {
    if (f.extension() != ".pcap") {
      continue;
    }
    SCOPED_TRACE(f.string());
    const auto bytes = readFile(f);
    EXPECT_EQ(rdpscope_fuzz_pcap_pipeline(bytes.data(), bytes.size()), 0);
  }
}

// Every prefix of a small lab capture (every cut: record boundaries and mid-record).
TEST(HostileCaptures, EveryTruncationOfALabCapture) {
  const fs::path f = fs::path(RDPSCOPE_SOURCE_DIR) / "captures" / "accepted-then-closed" / "capture.pcap";
  if (!fs::exists(f)) {
    GTEST_SKIP() << "no " << f;
  }
  const auto bytes = readFile(f);
  for (std::size_t n = 0; n <= bytes.size(); ++n) {
    EXPECT_EQ(rdpscope_fuzz_pcap_pipeline(bytes.data(), n), 0);
  }
}

}  // namespace
