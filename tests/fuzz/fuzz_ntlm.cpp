// Fuzz target: NTLM NEGOTIATE / CHALLENGE / AUTHENTICATE messages and AV pairs ([MS-NLMP] 2.2.1,
// 2.2.2.1).
#include "credssp/ntlm.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rdpscope;
  const ByteView all(data, size);
  (void)credssp::looksLikeNtlm(all);
  if (auto m = credssp::parseNtlmMessage(all, 0)) {
    if (m->challenge && m->challenge->target_info && m->challenge->target_info->timestamp) {
      (void)credssp::filetimeToIso(*m->challenge->target_info->timestamp);
    }
  }
  (void)credssp::parseAvPairs(all, 0);
  if (size >= 8) {
    std::uint64_t ft = 0;
    for (int i = 0; i < 8; ++i) ft |= static_cast<std::uint64_t>(data[i]) << (8 * i);
    (void)credssp::filetimeToIso(ft);
  }
  return 0;
}
