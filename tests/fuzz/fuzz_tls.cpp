// Fuzz target: the TLS record layer and handshake dissector (dissectors/tls), both directions,
// through engine::Session (no keys: the record framing, handshake reassembly, ClientHello /
// ServerHello / Certificate / alert parsing). Input format: fuzz::driveSession.
#include "fuzz_common.h"
#include "tls/tls_dissector.h"
#include "tls/tls_handshake.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rdpscope;
  if (size > 0 && (data[0] & 0xC0) == 0xC0) {
    // Direct handshake-body parsers on the rest of the input.
    const ByteView body(data + 1, size - 1);
    switch (data[0] & 3) {
      case 0:
        if (auto h = tls::parseClientHello(body)) {
          (void)tls::ja3Hash(*h);
          (void)tls::ja4(*h);
        }
        break;
      case 1:
        (void)tls::parseServerHello(body);
        break;
      case 2:
        if (auto list = tls::parseCertificateList(body, (data[0] & 4) != 0)) {
          for (const auto& der : *list) {
            if (auto info = tls::parseCertificate(der, 1700000000)) {
              (void)tls::certInfoToJson(*info);
            }
          }
        }
        break;
      default:
        if (auto info = tls::parseCertificate(body, 1700000000)) {
          (void)tls::certInfoToJson(*info);
        }
        break;
    }
    return 0;
  }
  fuzz::SinkDissector sink;
  engine::Session s(fuzz::fuzzConnection(), tls::makeTlsDissector(sink), {});
  fuzz::driveSession(s, data, size);
  model::Connection c = s.finish();
  (void)c;
  return 0;
}
