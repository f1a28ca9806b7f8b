// Fuzz target: the whole pipeline over raw capture-file bytes: libpcap file reading
// (capture::openFiles), link/IP/TCP decoding, flow table and TCP reassembly, every dissector
// (engine::Analyzer), diagnosis (rules::diagnose with the built-in rules) and JSON output.
// The input is written to a memfd and opened through /proc/self/fd/N, as a file would be.
#include <sstream>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "capture/packet_source.h"
#include "engine/analyzer.h"
#include "fuzz_common.h"
#include "output/json_writer.h"
#include "rules/engine.h"
#include "rules/rule_set.h"

namespace {
const rdpscope::rules::RuleSet& builtinRules() {
  static const rdpscope::rules::RuleSet set = [] {
    auto r = rdpscope::rules::loadDefaultRules();
    if (!r) {
      std::abort();  // the built-in rules must always parse
    }
    return std::move(*r);
  }();
  return set;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rdpscope;
  const auto& rules_set = builtinRules();
  const int fd = memfd_create("fuzz-pcap", MFD_CLOEXEC);
  if (fd < 0) {
    return 0;
  }
  std::size_t done = 0;
  while (done < size) {
    const ssize_t w = ::write(fd, data + done, size - done);
    if (w <= 0) {
      ::close(fd);
      return 0;
    }
    done += static_cast<std::size_t>(w);
  }
  ::lseek(fd, 0, SEEK_SET);
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  {
    auto opened = capture::openFiles({path});
    if (opened.source) {
      engine::AnalyzerOptions ao;
      ao.extra_ports = {3390};
      ao.max_flows = 64;                       // small caps so eviction paths run too
      ao.max_buffered_bytes = 256 * 1024;
      engine::Analyzer analyzer(ao, [&](model::Connection&& c) {
        rules::diagnose(c, rules_set);
        std::ostringstream line;
        output::writeJsonLine(line, c, false);
      });
      capture::RawPacket pkt;
      for (int i = 0; i < 100000 && opened.source->next(pkt); ++i) {
        analyzer.onPacket(pkt);
      }
      (void)opened.source->error();
      analyzer.finish();
    }
  }
  ::close(fd);
  return 0;
}
