// Fuzz target: GCC Conference Create Request / Response ([T.124] PER) and every client / server
// user data block parser ([MS-RDPBCGR] 2.2.1.3.x, 2.2.1.4.x, proprietary certificate 2.2.1.4.3.1).
#include "fuzz_common.h"
#include "gcc/gcc.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rdpscope;
  if (size == 0) {
    return 0;
  }
  const ByteView body(data + 1, size - 1);
  ByteReader r(body, 1);
  switch (data[0] % 14) {
    case 0: {
      if (auto cc = gcc::parseConferenceCreateRequest(r)) (void)cc;
      break;
    }
    case 1: {
      if (auto cc = gcc::parseConferenceCreateResponse(r)) (void)cc;
      break;
    }
    case 2: (void)gcc::parseClientCore(r); break;
    case 3: (void)gcc::parseClientSecurity(r); break;
    case 4: (void)gcc::parseClientNetwork(r); break;
    case 5: (void)gcc::parseClientCluster(r); break;
    case 6: (void)gcc::parseClientMonitor(r); break;
    case 7: (void)gcc::parseFlagsBlock(r, "gcc.fuzz"); break;
    case 8: (void)gcc::parseServerCore(r); break;
    case 9: (void)gcc::parseServerSecurity(r); break;
    case 10: (void)gcc::parseServerNetwork(r); break;
    case 11: (void)gcc::parseServerMessageChannel(r); break;
    default: (void)gcc::parseServerCertificate(r); break;
  }
  return 0;
}
