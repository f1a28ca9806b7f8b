#include "rdp/rdp_probe.h"

#include "tpkt/tpkt.h"
#include "x224/x224.h"

namespace rdpscope::rdp {

bool looksLikeRdpConnectionRequest(rdpscope::ByteView first_client_bytes) {
  ByteReader r(first_client_bytes);
  auto version = r.u8("tpkt.version");
  auto reserved = r.u8("tpkt.reserved");
  auto length = r.u16be("tpkt.length");
  auto li = r.u8("x224.length_indicator");
  auto code = r.u8("x224.code");
  if (!version || !reserved || !length || !li || !code) {
    return false;
  }
  // RFC 1006 TPKT v3; X.224 CR (13.3); LI must fit in the TPKT: LI = length - 5 for RDP.
  return *version == tpkt::kTpktVersion && *reserved == 0 && *length >= 11 &&
         (*code & 0xF0) == x224::kTpduCr && *li >= 6 && std::size_t{*li} + 5 <= *length;
}

}  // namespace rdpscope::rdp
