// Fuzz target: the whole per-connection RDP dissector (TPKT, X.224, MCS, GCC, RDP PDUs, the TLS
// hand-off, CredSSP) fed arbitrary bytes in both directions through engine::Session, exactly as
// the analyzer drives it. Input format: see fuzz::driveSession (fuzz_common.h).
#include "fuzz_common.h"
#include "rdp/rdp_connection_dissector.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rdpscope;
  engine::Session s(fuzz::fuzzConnection(), rdp::makeRdpConnectionDissector(), {});
  fuzz::driveSession(s, data, size);
  model::Connection c = s.finish();
  (void)c;
  return 0;
}
