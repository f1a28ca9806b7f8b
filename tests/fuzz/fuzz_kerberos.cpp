// Fuzz target: Kerberos AP-REQ / AP-REP / KRB-ERROR / AS / TGS ([RFC 4120] 5, DER) with or
// without the GSS-API wrapper ([RFC 4121] 4.1).
#include "credssp/spnego.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rdpscope;
  if (auto k = credssp::parseKerberos(ByteView(data, size), 0)) {
    if (k->sname) (void)k->sname->text();
  }
  return 0;
}
