// TLS key derivation and record protection, on OpenSSL EVP only (no hand-written crypto):
// the TLS 1.0-1.2 PRF (EVP_KDF "TLS1-PRF", RFC 2246 5 / RFC 5246 5), TLS 1.3 HKDF-Expand-Label
// (EVP_KDF "HKDF" in EXPAND_ONLY mode, RFC 8446 7.1), and record decryption for AEAD suites
// (AES-GCM RFC 5288 / RFC 8446 5.2, ChaCha20-Poly1305 RFC 7905) and CBC + HMAC suites
// (RFC 5246 6.2.3.2, encrypt-then-MAC RFC 7366).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/byte_reader.h"

namespace rdpscope::tls {

enum class CipherMode : std::uint8_t { Gcm, ChaCha20Poly1305, Cbc };

// What record protection a cipher suite uses (IANA TLS Cipher Suites registry).
struct SuiteInfo {
  std::uint16_t id;
  CipherMode mode;
  const char* cipher;   // EVP cipher name
  std::uint8_t key_len;
  std::uint8_t fixed_iv_len;  // GCM (1.2): 4; ChaCha / TLS 1.3: 12; CBC: block size (16)
  const char* mac;      // HMAC digest for CBC suites, nullptr for AEAD
  std::uint8_t mac_len;
  const char* prf_hash;  // TLS 1.2 PRF / TLS 1.3 HKDF digest
  bool rsa_key_exchange;  // TLS_RSA_WITH_*: premaster encrypted to the server's RSA key
  bool tls13;
};

// nullptr when rdpscope cannot decrypt this suite.
const SuiteInfo* findSuite(std::uint16_t id) noexcept;

// TLS PRF (RFC 5246 5; for TLS 1.0/1.1 `digest` = "MD5-SHA1", RFC 2246 5). Returns false on
// an OpenSSL failure.
bool tlsPrf(const char* digest, ByteView secret, std::string_view label, ByteView seed,
            std::span<std::uint8_t> out);

// HKDF-Expand-Label(secret, label, context, out.size()) of RFC 8446 7.1.
bool hkdfExpandLabel(const char* digest, ByteView secret, std::string_view label,
                     ByteView context, std::span<std::uint8_t> out);

// Result of decrypting one record.
enum class DecryptStatus : std::uint8_t {
  Ok,
  BadRecordMac,  // authentication failed: wrong key (or corrupt record)
  Malformed,     // too short for the cipher's overhead, bad padding length, no content type
  Error,         // OpenSSL failure
};

// What peek() learns of a record without decrypting it whole.
struct RecordPeek {
  // Enough for the headers of an RDP slow-path PDU up to its Share Data Header: TPKT, X.224,
  // MCS Send Data, Share Control and Share Data headers ([MS-RDPBCGR] 2.2.8.1.1.1), 33 bytes.
  static constexpr std::size_t kHead = 48;
  std::array<std::uint8_t, kHead> head{};  // the first plaintext bytes of its content
  std::size_t head_len = 0;                // min(kHead, content_length)
  std::size_t content_length = 0;       // plaintext length of its content (TLS 1.3: without the
                                        // inner content type and padding)
  std::uint8_t inner_type = 0;          // content type (TLS 1.3: from TLSInnerPlaintext)
};

// Decrypts the records of one direction of one connection. Keeps the EVP contexts and the
// sequence number between records (no per-record allocation besides the output buffer growth).
class RecordDecryptor {
 public:
  virtual ~RecordDecryptor() = default;
  // TLS 1.0-1.2 with keys from the key block. `version` is the negotiated version (0x0301..).
  static std::unique_ptr<RecordDecryptor> tls12(const SuiteInfo& suite, std::uint16_t version,
                                                ByteView key, ByteView iv, ByteView mac_key,
                                                bool encrypt_then_mac);
  // TLS 1.3 from a traffic secret (keys derived with HKDF-Expand-Label "key"/"iv").
  static std::unique_ptr<RecordDecryptor> tls13(const SuiteInfo& suite, ByteView traffic_secret);

  // Decrypts `fragment` (the record body) of a record with this header. On Ok, `out` holds the
  // plaintext and `inner_type` the content type (TLS 1.3: from TLSInnerPlaintext; otherwise
  // the header's). The sequence number advances on every call, as the sender's does.
  virtual DecryptStatus decrypt(std::uint8_t content_type, std::uint16_t record_version,
                                ByteView fragment, std::vector<std::uint8_t>& out,
                                std::uint8_t& inner_type) = 0;
  // Passes over one record without decrypting it, keeping the state the next record needs:
  // the sequence number (AEAD nonce / TLS 1.3 nonce, MAC input) and, for TLS 1.0 CBC, the IV
  // chained from the record's last ciphertext block (RFC 2246 6.2.3.2). Nothing is checked:
  // a skipped record's MAC is never verified.
  virtual void skip(ByteView fragment) {
    (void)fragment;
    ++seq_;
  }
  // The first plaintext bytes of the next record, its content length and content type, from the
  // few cipher blocks that hold them (the keystream blocks of AES-GCM and ChaCha20, the first
  // and last blocks of CBC). Nothing is authenticated and the state does not move: skip()
  // or decrypt() follows. False when the record is malformed for the cipher, or when the answer
  // needs more blocks (a TLS 1.3 record with padding): decrypt it whole instead.
  virtual bool peek(std::uint8_t content_type, ByteView fragment, RecordPeek& out) {
    (void)content_type;
    (void)fragment;
    (void)out;
    return false;
  }
  // TLS 1.3 KeyUpdate (RFC 8446 4.6.3): next traffic secret, new keys, sequence back to 0.
  virtual bool keyUpdate() { return false; }
  std::uint64_t sequence() const noexcept { return seq_; }

 protected:
  std::uint64_t seq_ = 0;
};

// Key block of RFC 5246 6.3 split into the six values, for one connection.
struct KeyBlock {
  std::vector<std::uint8_t> client_mac, server_mac, client_key, server_key, client_iv, server_iv;
  ~KeyBlock();
};
// PRF(master_secret, "key expansion", server_random + client_random).
bool deriveKeyBlock(const SuiteInfo& suite, std::uint16_t version, ByteView master_secret,
                    ByteView client_random, ByteView server_random, KeyBlock& out);

// The PRF digest for a TLS 1.0-1.2 suite at `version` (MD5-SHA1 below TLS 1.2).
const char* prfDigest(const SuiteInfo& suite, std::uint16_t version) noexcept;

}  // namespace rdpscope::tls
