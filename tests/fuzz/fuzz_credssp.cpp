// Fuzz target: CredSSP TSRequest / TSCredentials ([MS-CSSP] 2.2.1, DER) and the length probe
// the dissector uses to frame them.
#include "credssp/credssp.h"
#include "credssp/spnego.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rdpscope;
  const ByteView all(data, size);
  (void)credssp::tsRequestLength(all);
  if (auto req = credssp::parseTsRequest(all, 0)) {
    for (const auto& t : req->nego_tokens) {
      (void)credssp::parseGssToken(t.data, t.offset, 0);
    }
  }
  (void)credssp::parseTsCredentials(all, 0);
  return 0;
}
