// Fuzz target: the whole per-connection RDP dissector (TPKT, X.224, MCS, GCC, RDP PDUs, the TLS
// hand-off, CredSSP) fed arbitrary bytes in both directions through engine::Session, exactly as
// the analyzer drives it. Input format: see fuzz::driveSession (fuzz_common.h). A first byte
// 0xFE instead offers the rest as the head of a decrypted record to an active session
// (RdpHandler::countFromHead, which only has the first bytes of a PDU).
#include "fuzz_common.h"
#include "rdp/rdp_connection_dissector.h"
#include "rdp/rdp_handler.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rdpscope;
  if (size >= 3 && data[0] == 0xFE) {
    rdp::RdpHandler handler;
    handler.session().active = true;
    handler.session().selected_protocol = 1;  // PROTOCOL_SSL
    if ((data[1] & 1) != 0) {
      handler.session().message_channel = 1008;
    }
    const std::size_t length = data[2] * 64 + (size - 3);  // the PDU's length, possibly longer
    engine::Session s(fuzz::fuzzConnection(), rdp::makeRdpConnectionDissector(), {});
    (void)handler.countFromHead(engine::Direction::ToClient, ByteView(data + 3, size - 3), length,
                                s);
    model::Connection c = s.finish();
    (void)c;
    return 0;
  }
  engine::Session s(fuzz::fuzzConnection(), rdp::makeRdpConnectionDissector(), {});
  fuzz::driveSession(s, data, size);
  model::Connection c = s.finish();
  (void)c;
  return 0;
}
