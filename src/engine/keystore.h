// Secrets that unlock TLS: an NSS key log file (the SSLKEYLOGFILE format written by browsers,
// OpenSSL's SSL_CTX_set_keylog_callback, FreeRDP 3, ...) and an optional PEM RSA private key of
// the server (for TLS 1.0-1.2 RSA key exchange only). Loaded once, then read-only and shared by
// every connection; lookups are by the ClientHello's client random (public, 32 bytes).
//
// Secrets never leave this class except to the TLS dissector's key derivation: they are never
// logged, printed, or put into error messages (errors name the file, line and label only).
//
// Lookups are inline so the dissectors library does not need to link the engine library
// (dependency direction dissectors <- engine); only load()/parse live in keystore.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/byte_reader.h"

namespace rdpscope::engine {

using Secret = std::vector<std::uint8_t>;

// The secrets of one TLS session as the key log names them (NSS key log format).
struct TlsSessionSecrets {
  Secret master_secret;                     // CLIENT_RANDOM (TLS 1.0-1.2), 48 bytes
  Secret client_handshake_traffic_secret;   // TLS 1.3
  Secret server_handshake_traffic_secret;   // TLS 1.3
  std::vector<Secret> client_traffic_secrets;  // CLIENT_TRAFFIC_SECRET_N at index N
  std::vector<Secret> server_traffic_secrets;  // SERVER_TRAFFIC_SECRET_N at index N

  bool hasTls12() const noexcept { return !master_secret.empty(); }
  bool hasTls13Handshake() const noexcept {
    return !client_handshake_traffic_secret.empty() || !server_handshake_traffic_secret.empty();
  }
  bool hasTls13Application() const noexcept {
    return (!client_traffic_secrets.empty() && !client_traffic_secrets[0].empty()) ||
           (!server_traffic_secrets.empty() && !server_traffic_secrets[0].empty());
  }
};

class KeyStore;

// Result of KeyStore::load / parseKeyLog: `store` is null when `error` says why (one line).
struct KeyStoreLoad {
  std::unique_ptr<KeyStore> store;
  std::string error;
  std::vector<std::string> warnings;  // e.g. key file readable by group/others
};

class KeyStore {
 public:
  KeyStore() = default;
  ~KeyStore();
  KeyStore(const KeyStore&) = delete;
  KeyStore& operator=(const KeyStore&) = delete;

  // Loads the key log (may be empty: none) and the PEM RSA private key (may be empty: none).
  // Errors name the file and line, never a secret. Warns when a file is group/world readable.
  static KeyStoreLoad load(const std::string& keylog_path, const std::string& rsa_key_path);
  // Parses key log text (for tests and load()). `source` names it in messages ("keys.log").
  static KeyStoreLoad parseKeyLog(std::string_view text, std::string_view source);
  // Parses a PEM private key (RSA) into this store; returns an error message or "".
  std::string setRsaKeyPem(std::string_view pem, std::string_view source);

  // Secrets for the session with this client random, or nullptr. A miss is remembered so the
  // user can be told which client randoms the key log lacked (see missedClientRandoms()).
  const TlsSessionSecrets* find(ByteView client_random) const {
    const std::string key(client_random.begin(), client_random.end());
    auto it = sessions_.find(key);
    if (it != sessions_.end()) {
      return &it->second;
    }
    std::lock_guard<std::mutex> lock(missed_mutex_);
    if (missed_.size() < kMaxMissedRemembered) {
      missed_.insert(toHex(client_random, 32));
    }
    return nullptr;
  }
  // Client randoms (hex) looked up but absent from the key log, sorted. Client randoms are
  // public (sent in clear in the ClientHello), so they may be printed.
  std::vector<std::string> missedClientRandoms() const {
    std::lock_guard<std::mutex> lock(missed_mutex_);
    return {missed_.begin(), missed_.end()};
  }
  // The server's RSA private key (borrowed; owned by the store) or nullptr.
  EVP_PKEY* rsaKey() const noexcept { return rsa_key_.get(); }
  std::size_t sessionCount() const noexcept { return sessions_.size(); }
  // What to decrypt (a policy, not a secret). By default large TLS records of a session past
  // activation are counted, not decrypted: they carry graphics and channel data the diagnosis
  // never reads (issue 8). `--decrypt-all` sets this to decrypt every record.
  bool decryptBulk() const noexcept { return decrypt_bulk_; }
  void setDecryptBulk(bool on) noexcept { decrypt_bulk_ = on; }
  bool empty() const noexcept { return sessions_.empty() && !rsa_key_; }

 private:
  static constexpr std::size_t kMaxMissedRemembered = 1000;
  struct PkeyFree {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
  };

  std::unordered_map<std::string, TlsSessionSecrets> sessions_;  // key: client random bytes
  std::unique_ptr<EVP_PKEY, PkeyFree> rsa_key_;
  mutable std::mutex missed_mutex_;
  mutable std::set<std::string> missed_;
  bool decrypt_bulk_ = false;
};

}  // namespace rdpscope::engine
