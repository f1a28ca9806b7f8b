// Fuzz target: SPNEGO NegTokenInit / NegTokenResp ([RFC 4178] 4.2, GSS wrapper [RFC 2743] 3.1)
// and the recursive GSS token parser (nesting-capped).
#include "credssp/spnego.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rdpscope;
  const ByteView all(data, size);
  (void)credssp::parseSpnego(all, 0);
  (void)credssp::parseGssToken(all, 0, 0);
  return 0;
}
