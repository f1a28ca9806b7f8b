// Fuzz target: the NSS key-log parser (src/engine/keystore.h KeyStore::parseKeyLog) and the
// lookup of a client random taken from the input.
#include <string_view>

#include "engine/keystore.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rdpscope;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto loaded = engine::KeyStore::parseKeyLog(text, "fuzz.keys");
  if (loaded.store && size >= 32) {
    (void)loaded.store->find(ByteView(data, 32));
    (void)loaded.store->missedClientRandoms();
  }
  if (loaded.store && size > 0 && data[0] == '-') {
    (void)loaded.store->setRsaKeyPem(text, "fuzz.pem");  // PEM private key (RSA key exchange)
  }
  return 0;
}
