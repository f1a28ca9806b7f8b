// Fuzz target: TPKT / fast-path framing ([T.123] 8, [MS-RDPBCGR] 2.2.9.1.2) and the X.224 TPDU
// parsers ([X.224] 13, [MS-RDPBCGR] 2.2.1.1 / 2.2.1.2) on arbitrary bytes.
#include "fuzz_common.h"
#include "tpkt/tpkt.h"
#include "x224/x224.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rdpscope;
  ByteView all(data, size);
  // Frame the whole input as a stream of TPKT / fast-path frames.
  std::size_t pos = 0;
  for (int guard = 0; pos < all.size() && guard < 4096; ++guard) {
    auto f = tpkt::nextFrame(all.subspan(pos), static_cast<std::uint32_t>(pos));
    if (!f || f->total_length == 0 || f->total_length > all.size() - pos) {
      break;
    }
    pos += f->total_length;
  }
  (void)tpkt::looksLikeTlsRecord(all);
  // Every X.224 parser on the input after the first byte (the selector).
  if (size == 0) {
    return 0;
  }
  ByteReader r(all.subspan(1), 1);
  (void)x224::peekTpduCode(r);
  switch (data[0] % 5) {
    case 0: (void)x224::parseConnectionRequest(r); break;
    case 1: (void)x224::parseConnectionConfirm(r); break;
    case 2: (void)x224::parseDisconnectRequest(r); break;
    case 3: (void)x224::parseErrorTpdu(r); break;
    default: (void)x224::parseData(r); break;
  }
  return 0;
}
