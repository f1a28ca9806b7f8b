// Fuzz target: MCS ([T.125] BER connect PDUs, PER domain PDUs; [MS-RDPBCGR] 2.2.1.3-2.2.1.9), the
// generic BER reader ([X.690] 8.1, depth-capped) and the PER primitives ([X.691]).
#include "asn1/ber.h"
#include "fuzz_common.h"
#include "mcs/mcs.h"
#include "per/per.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rdpscope;
  if (size == 0) {
    return 0;
  }
  const ByteView body(data + 1, size - 1);
  (void)mcs::isConnectPdu(body);
  ByteReader r(body, 1);
  switch (data[0] % 8) {
    case 0: (void)mcs::parseConnectInitial(r); break;
    case 1: (void)mcs::parseConnectResponse(r); break;
    case 2: {
      ByteReader header(body, 1);
      (void)mcs::parseSendDataHeader(header);
      for (int i = 0; i < 64 && r.remaining() > 0; ++i) {
        if (!mcs::parseDomainPdu(r)) break;
      }
      break;
    }
    case 3:
      for (int i = 0; i < 256 && r.remaining() > 0; ++i) {
        if (!asn1::readTlv(r, 0)) break;
      }
      break;
    case 4: (void)asn1::readInteger(r, 0); (void)asn1::readOctetString(r, 0); break;
    case 5: (void)per::readLength(r, "f"); (void)per::readInteger(r, "f");
            (void)per::readObjectIdentifier(r, "f"); break;
    case 6: (void)per::readOctetString(r, 4, "f"); (void)per::readNumericString(r, 1, "f");
            (void)per::readInteger16(r, 1001, "f"); break;
    default: {
      // Connect-Initial then, if it parsed, treat the rest as domain PDUs (a real client stream).
      if (mcs::parseConnectInitial(r)) {
        for (int i = 0; i < 64 && r.remaining() > 0; ++i) {
          if (!mcs::parseDomainPdu(r)) break;
        }
      }
    }
  }
  return 0;
}
