// Fuzz target: the TLS record layer and handshake dissector (dissectors/tls), both directions,
// through engine::Session (no keys: the record framing, handshake reassembly, ClientHello /
// ServerHello / Certificate / alert parsing). Input format: fuzz::driveSession. A first byte
// 10xxxxxx instead runs record protection on the rest as a hostile record body: peek() and
// decrypt() of every cipher mode with fixed keys.
#include <vector>

#include "fuzz_common.h"
#include "tls/tls_crypto.h"
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
  if (size > 0 && (data[0] & 0xC0) == 0x80) {
    const ByteView fragment(data + 1, size - 1);
    const std::vector<std::uint8_t> key(32, 0x11);
    const std::vector<std::uint8_t> iv(16, 0x22);
    const std::vector<std::uint8_t> mac_key(48, 0x33);
    std::unique_ptr<tls::RecordDecryptor> dec;
    switch (data[0] & 7) {
      case 0: dec = tls::RecordDecryptor::tls13(*tls::findSuite(0x1302), key); break;
      case 1: dec = tls::RecordDecryptor::tls13(*tls::findSuite(0x1303), key); break;
      case 2:
        dec = tls::RecordDecryptor::tls12(*tls::findSuite(0xC030), 0x0303, key,
                                          ByteView(iv).first(4), {}, false);
        break;
      case 3:
        dec = tls::RecordDecryptor::tls12(*tls::findSuite(0xCCA8), 0x0303, key,
                                          ByteView(iv).first(12), {}, false);
        break;
      case 4:
        dec = tls::RecordDecryptor::tls12(*tls::findSuite(0xC028), 0x0303, key, {},
                                          mac_key, (data[0] & 8) != 0);
        break;
      default:  // TLS 1.0 CBC: the IV chained from the previous record
        dec = tls::RecordDecryptor::tls12(*tls::findSuite(0x0035), 0x0301, key, iv,
                                          ByteView(mac_key).first(20), (data[0] & 8) != 0);
        break;
    }
    if (dec) {
      tls::RecordPeek peek;
      if (dec->peek(23, fragment, peek) &&
          (peek.head_len > peek.content_length || peek.head_len > peek.head.size())) {
        __builtin_trap();  // a head longer than the content it is the head of
      }
      std::vector<std::uint8_t> out;
      std::uint8_t inner = 0;
      (void)dec->decrypt(23, 0x0303, fragment, out, inner);
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
