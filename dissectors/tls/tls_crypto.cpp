#include "tls/tls_crypto.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

namespace rdpscope::tls {
namespace {

// Suites rdpscope decrypts (IANA TLS Cipher Suites registry; RFC 5288 GCM, RFC 5289 ECDHE GCM
// and SHA-256/384, RFC 7905 ChaCha20-Poly1305, RFC 5246 / 4492 CBC suites, RFC 8446 B.4).
// Columns: id, mode, EVP cipher, key, fixed IV, HMAC digest, MAC length, PRF hash, RSA kex, 1.3.
constexpr SuiteInfo kSuites[] = {
    // TLS 1.3 (RFC 8446 B.4)
    {0x1301, CipherMode::Gcm, "AES-128-GCM", 16, 12, nullptr, 0, "SHA256", false, true},
    {0x1302, CipherMode::Gcm, "AES-256-GCM", 32, 12, nullptr, 0, "SHA384", false, true},
    {0x1303, CipherMode::ChaCha20Poly1305, "ChaCha20-Poly1305", 32, 12, nullptr, 0, "SHA256", false, true},
    // AES-GCM (RFC 5288, RFC 5289)
    {0x009C, CipherMode::Gcm, "AES-128-GCM", 16, 4, nullptr, 0, "SHA256", true, false},
    {0x009D, CipherMode::Gcm, "AES-256-GCM", 32, 4, nullptr, 0, "SHA384", true, false},
    {0x009E, CipherMode::Gcm, "AES-128-GCM", 16, 4, nullptr, 0, "SHA256", false, false},
    {0x009F, CipherMode::Gcm, "AES-256-GCM", 32, 4, nullptr, 0, "SHA384", false, false},
    {0xC02B, CipherMode::Gcm, "AES-128-GCM", 16, 4, nullptr, 0, "SHA256", false, false},
    {0xC02C, CipherMode::Gcm, "AES-256-GCM", 32, 4, nullptr, 0, "SHA384", false, false},
    {0xC02F, CipherMode::Gcm, "AES-128-GCM", 16, 4, nullptr, 0, "SHA256", false, false},
    {0xC030, CipherMode::Gcm, "AES-256-GCM", 32, 4, nullptr, 0, "SHA384", false, false},
    // ChaCha20-Poly1305 (RFC 7905)
    {0xCCA8, CipherMode::ChaCha20Poly1305, "ChaCha20-Poly1305", 32, 12, nullptr, 0, "SHA256", false, false},
    {0xCCA9, CipherMode::ChaCha20Poly1305, "ChaCha20-Poly1305", 32, 12, nullptr, 0, "SHA256", false, false},
    {0xCCAA, CipherMode::ChaCha20Poly1305, "ChaCha20-Poly1305", 32, 12, nullptr, 0, "SHA256", false, false},
    // AES-CBC with HMAC-SHA1 (RFC 5246 A.5, RFC 4492 6)
    {0x002F, CipherMode::Cbc, "AES-128-CBC", 16, 16, "SHA1", 20, "SHA256", true, false},
    {0x0035, CipherMode::Cbc, "AES-256-CBC", 32, 16, "SHA1", 20, "SHA256", true, false},
    {0x0033, CipherMode::Cbc, "AES-128-CBC", 16, 16, "SHA1", 20, "SHA256", false, false},
    {0x0039, CipherMode::Cbc, "AES-256-CBC", 32, 16, "SHA1", 20, "SHA256", false, false},
    {0xC009, CipherMode::Cbc, "AES-128-CBC", 16, 16, "SHA1", 20, "SHA256", false, false},
    {0xC00A, CipherMode::Cbc, "AES-256-CBC", 32, 16, "SHA1", 20, "SHA256", false, false},
    {0xC013, CipherMode::Cbc, "AES-128-CBC", 16, 16, "SHA1", 20, "SHA256", false, false},
    {0xC014, CipherMode::Cbc, "AES-256-CBC", 32, 16, "SHA1", 20, "SHA256", false, false},
    // AES-CBC with HMAC-SHA256/384 (RFC 5246 A.5, RFC 5289)
    {0x003C, CipherMode::Cbc, "AES-128-CBC", 16, 16, "SHA256", 32, "SHA256", true, false},
    {0x003D, CipherMode::Cbc, "AES-256-CBC", 32, 16, "SHA256", 32, "SHA256", true, false},
    {0x0067, CipherMode::Cbc, "AES-128-CBC", 16, 16, "SHA256", 32, "SHA256", false, false},
    {0x006B, CipherMode::Cbc, "AES-256-CBC", 32, 16, "SHA256", 32, "SHA256", false, false},
    {0xC023, CipherMode::Cbc, "AES-128-CBC", 16, 16, "SHA256", 32, "SHA256", false, false},
    {0xC024, CipherMode::Cbc, "AES-256-CBC", 32, 16, "SHA384", 48, "SHA384", false, false},
    {0xC027, CipherMode::Cbc, "AES-128-CBC", 16, 16, "SHA256", 32, "SHA256", false, false},
    {0xC028, CipherMode::Cbc, "AES-256-CBC", 32, 16, "SHA384", 48, "SHA384", false, false},
};

constexpr std::size_t kAeadTag = 16;         // RFC 5116 / RFC 7539 tag length
constexpr std::size_t kGcmExplicitNonce = 8;  // RFC 5288 3
constexpr std::size_t kGcmFixedNonce = 4;     // RFC 5288 3: the salt; OpenSSL's "fixed field"

// HKDF-Expand-Label (hkdfExpandLabel), optionally reusing the key of the thread's last expansion.
bool expandLabel(const char* digest, ByteView secret, std::string_view label, ByteView context,
                 std::span<std::uint8_t> out, bool same_secret);

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
};
struct KdfFree {
  void operator()(EVP_KDF_CTX* c) const noexcept { EVP_KDF_CTX_free(c); }
};

EVP_KDF* fetchKdf(const char* name) {
  // Fetched once per process (EVP_KDF objects are immutable and thread-safe to share).
  if (std::strcmp(name, "TLS1-PRF") == 0) {
    static EVP_KDF* prf = EVP_KDF_fetch(nullptr, "TLS1-PRF", nullptr);
    return prf;
  }
  static EVP_KDF* hkdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  return hkdf;
}

// An HMAC context for `digest` ("SHA256" or "SHA384"), made once per thread and digest: making
// one and loading its digest costs more than the HMAC itself (issue 8).
EVP_MAC_CTX* hmacFor(const char* digest) {
  struct Cached {
    std::string digest;
    std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx;
  };
  thread_local std::vector<Cached> cache;
  for (const Cached& c : cache) {
    if (c.digest == digest) {
      return c.ctx.get();
    }
  }
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return nullptr;
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(mac));
  EVP_MAC_free(mac);
  if (!ctx) return nullptr;
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(ctx.get(), params) != 1) return nullptr;
  cache.push_back(Cached{digest, std::move(ctx)});
  return cache.back().ctx.get();
}

// A cipher by name, fetched once per process and name (a fetch per decryptor was a tenth of the
// cost of making one). Fetched algorithms are immutable and thread-safe; the few suites' ciphers
// live until the process ends, as fetchKdf's do: the registry is never destroyed, so they stay
// reachable (freeing them from a static destructor could run after OpenSSL's own cleanup).
EVP_CIPHER* fetchCipher(const char* name) {
  static std::mutex mutex;
  static auto* const fetched = new std::vector<std::pair<std::string, EVP_CIPHER*>>();
  const std::lock_guard<std::mutex> lock(mutex);
  for (const auto& [n, cipher] : *fetched) {
    if (n == name) {
      return cipher;
    }
  }
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
  if (cipher != nullptr) {
    fetched->emplace_back(name, cipher);
  }
  return cipher;
}

void putU64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<std::uint8_t>(v & 0xFF);
    v >>= 8;
  }
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};

// AEAD record protection: AES-GCM (TLS 1.2 explicit nonce, or TLS 1.3 XOR nonce) and
// ChaCha20-Poly1305 (XOR nonce in both versions).
class AeadDecryptor final : public RecordDecryptor {
 public:
  AeadDecryptor(bool tls13, bool explicit_nonce) : tls13_(tls13), explicit_nonce_(explicit_nonce) {}
  ~AeadDecryptor() override {
    OPENSSL_cleanse(iv_.data(), iv_.size());
    OPENSSL_cleanse(key_.data(), key_.size());
    OPENSSL_cleanse(secret_.data(), secret_.size());
  }

  bool init(const SuiteInfo& suite, ByteView key, ByteView iv) {
    suite_ = &suite;
    gcm_fixed_nonce_ = false;
    if (iv.size() > iv_.size()) return false;
    std::memcpy(iv_.data(), iv.data(), iv.size());
    iv_len_ = iv.size();
    if (key.size() > key_.size()) return false;
    std::memcpy(key_.data(), key.data(), key.size());  // for the keystream context (peek)
    key_len_ = key.size();
    keystream_.reset();
    cipher_ = fetchCipher(suite.cipher);
    ctx_.reset(EVP_CIPHER_CTX_new());
    if (cipher_ == nullptr || !ctx_) return false;
    if (EVP_DecryptInit_ex(ctx_.get(), cipher_, nullptr, nullptr, nullptr) != 1) return false;
    if (EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr) != 1) return false;
    if (key.size() != static_cast<std::size_t>(EVP_CIPHER_CTX_get_key_length(ctx_.get()))) return false;
    if (EVP_DecryptInit_ex(ctx_.get(), nullptr, nullptr, key.data(), nullptr) != 1) return false;
    // AES-GCM: the nonce's first 4 bytes are the same for every record (the TLS 1.2 salt, RFC
    // 5288 3; TLS 1.3's iv before the sequence number is XORed in, RFC 8446 5.3), so they are
    // given once as the "fixed field" and each record sets only the other 8 (the provider's
    // TLS1_SET_IV_INV), with its tag in the same call: a third of the cost of a record,
    // against a DecryptInit with the whole nonce (OpenSSL 3.0 queries the IV length each time)
    // and a separate tag ctrl (issue 8). Other AEADs, or a provider without it, take the
    // general path.
    if (suite.mode == CipherMode::Gcm && iv_len_ >= kGcmFixedNonce) {
      OSSL_PARAM fixed[] = {OSSL_PARAM_construct_octet_string(
                                OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED, iv_.data(), kGcmFixedNonce),
                            OSSL_PARAM_construct_end()};
      gcm_fixed_nonce_ = EVP_CIPHER_CTX_set_params(ctx_.get(), fixed) == 1;
    }
    return true;
  }
  bool initTls13(const SuiteInfo& suite, ByteView secret) {
    secret_.assign(secret.begin(), secret.end());
    std::array<std::uint8_t, 32> key{};
    std::array<std::uint8_t, 12> iv{};
    const ByteView none{};
    const bool ok = expandLabel(suite.prf_hash, secret, "key", none,
                                std::span<std::uint8_t>(key.data(), suite.key_len), false) &&
                    expandLabel(suite.prf_hash, secret, "iv", none, iv, true) &&
                    init(suite, ByteView(key.data(), suite.key_len), iv);
    OPENSSL_cleanse(key.data(), key.size());
    OPENSSL_cleanse(iv.data(), iv.size());
    return ok;
  }

  bool keyUpdate() override {
    if (!tls13_ || secret_.empty()) return false;
    std::vector<std::uint8_t> next(secret_.size());
    if (!hkdfExpandLabel(suite_->prf_hash, secret_, "traffic upd", ByteView{}, next)) return false;
    OPENSSL_cleanse(secret_.data(), secret_.size());
    const bool ok = initTls13(*suite_, next);
    OPENSSL_cleanse(next.data(), next.size());
    seq_ = 0;
    return ok;
  }

  DecryptStatus decrypt(std::uint8_t content_type, std::uint16_t record_version, ByteView fragment,
                        std::vector<std::uint8_t>& out, std::uint8_t& inner_type) override {
    const std::uint64_t seq = seq_++;
    if (!wellFormed(fragment)) return DecryptStatus::Malformed;
    std::array<std::uint8_t, 12> nonce = nonceOf(fragment, seq);
    const ByteView body = explicit_nonce_ ? fragment.subspan(kGcmExplicitNonce) : fragment;
    const std::size_t ct_len = body.size() - kAeadTag;
    std::array<std::uint8_t, 13> aad{};
    std::size_t aad_len = 0;
    if (tls13_) {
      // RFC 8446 5.2: additional_data = the record header.
      aad[0] = content_type;
      aad[1] = static_cast<std::uint8_t>(record_version >> 8);
      aad[2] = static_cast<std::uint8_t>(record_version);
      aad[3] = static_cast<std::uint8_t>(fragment.size() >> 8);
      aad[4] = static_cast<std::uint8_t>(fragment.size());
      aad_len = 5;
    } else {
      // RFC 5246 6.2.3.3: seq_num + type + version + length (of the plaintext).
      putU64(aad.data(), seq);
      aad[8] = content_type;
      aad[9] = static_cast<std::uint8_t>(record_version >> 8);
      aad[10] = static_cast<std::uint8_t>(record_version);
      aad[11] = static_cast<std::uint8_t>(ct_len >> 8);
      aad[12] = static_cast<std::uint8_t>(ct_len);
      aad_len = 13;
    }
    out.resize(ct_len);
    int outl = 0;
    EVP_CIPHER_CTX* c = ctx_.get();
    std::uint8_t* tag = const_cast<std::uint8_t*>(body.data() + ct_len);
    if (gcm_fixed_nonce_) {
      OSSL_PARAM nonce_and_tag[] = {
          OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV,
                                            nonce.data() + kGcmFixedNonce,
                                            nonce.size() - kGcmFixedNonce),
          OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, kAeadTag),
          OSSL_PARAM_construct_end()};
      if (EVP_CIPHER_CTX_set_params(c, nonce_and_tag) != 1) return DecryptStatus::Error;
    } else if (EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, nonce.data()) != 1) {
      return DecryptStatus::Error;
    }
    if (EVP_DecryptUpdate(c, nullptr, &outl, aad.data(), static_cast<int>(aad_len)) != 1 ||
        EVP_DecryptUpdate(c, out.data(), &outl, body.data(), static_cast<int>(ct_len)) != 1 ||
        (!gcm_fixed_nonce_ && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG,
                                                  static_cast<int>(kAeadTag), tag) != 1)) {
      return DecryptStatus::Error;
    }
    int finl = 0;
    if (EVP_DecryptFinal_ex(c, out.data() + outl, &finl) <= 0) {
      out.clear();
      return DecryptStatus::BadRecordMac;
    }
    if (tls13_) {
      // RFC 8446 5.2 TLSInnerPlaintext: content || ContentType || zeros.
      while (!out.empty() && out.back() == 0) out.pop_back();
      if (out.empty()) return DecryptStatus::Malformed;
      inner_type = out.back();
      out.pop_back();
    } else {
      inner_type = content_type;
    }
    return DecryptStatus::Ok;
  }

  bool peek(std::uint8_t content_type, ByteView fragment, RecordPeek& out) override {
    if (!wellFormed(fragment)) return false;
    const std::array<std::uint8_t, 12> nonce = nonceOf(fragment, seq_);
    const ByteView body = explicit_nonce_ ? fragment.subspan(kGcmExplicitNonce) : fragment;
    const ByteView ct = body.first(body.size() - kAeadTag);
    std::array<std::uint8_t, RecordPeek::kHead> first{};
    const std::size_t first_len = std::min(first.size(), ct.size());
    // TLS 1.3 (RFC 8446 5.2 TLSInnerPlaintext: content || ContentType || zeros): without padding
    // the type is the last byte; a zero there is padding, and finding the type needs more blocks.
    if (tls13_ && ct.empty()) return false;
    std::uint8_t last = 0;
    const bool last_apart = tls13_ && ct.size() > first_len;
    const Piece pieces[] = {{0, ct.first(first_len), first.data()},
                            {ct.size() - 1, last_apart ? ct.last(1) : ByteView{}, &last}};
    if (!xorKeystream(nonce, pieces)) return false;
    out.inner_type = content_type;
    out.content_length = ct.size();
    if (tls13_) {
      if (!last_apart) last = first[ct.size() - 1];
      if (last == 0) return false;
      out.inner_type = last;
      out.content_length = ct.size() - 1;
    }
    out.head_len = std::min(first_len, out.content_length);
    std::memcpy(out.head.data(), first.data(), out.head_len);
    return true;
  }

 private:
  bool wellFormed(ByteView fragment) const {
    const std::size_t overhead = kAeadTag + (explicit_nonce_ ? kGcmExplicitNonce : 0);
    return fragment.size() >= overhead && fragment.size() <= 0xFFFF;
  }

  std::array<std::uint8_t, 12> nonceOf(ByteView fragment, std::uint64_t seq) const {
    std::array<std::uint8_t, 12> nonce{};
    if (explicit_nonce_) {
      // RFC 5288 3: nonce = salt (4, implicit) || explicit nonce (8, in the record).
      std::memcpy(nonce.data(), iv_.data(), 4);
      std::memcpy(nonce.data() + 4, fragment.data(), kGcmExplicitNonce);
    } else {
      // RFC 8446 5.3 / RFC 7905 2: nonce = iv XOR left-padded sequence number.
      std::memcpy(nonce.data(), iv_.data(), 12);
      std::array<std::uint8_t, 8> s{};
      putU64(s.data(), seq);
      for (std::size_t i = 0; i < 8; ++i) nonce[4 + i] ^= s[i];
    }
    return nonce;
  }

  // Ciphertext bytes `in` at plaintext offset `offset`, to be XORed into `out`.
  struct Piece {
    std::size_t offset;
    ByteView in;
    std::uint8_t* out;
  };

  // XORs each piece (at most 64 bytes) with the keystream the AEAD uses there: AES-GCM's counter
  // mode from J0 + 1 with a 96-bit nonce (NIST SP 800-38D 7.2: the first data block is counter
  // 2), ChaCha20 from block counter 1 (RFC 8439 2.8). The keystream comes from a second EVP
  // context with the same key (AES-ECB of the counter blocks, all in one call, or ChaCha20 with
  // the counter and nonce as its IV), made the first time it is needed.
  bool xorKeystream(const std::array<std::uint8_t, 12>& nonce, std::span<const Piece> pieces) {
    constexpr std::size_t kMaxPiece = 64;
    constexpr std::size_t kMaxBlocks = 8;  // of AES: two pieces of up to 64 bytes
    const bool gcm = suite_->mode == CipherMode::Gcm;
    if (!keystream_ && !makeKeystreamContext(gcm)) return false;
    EVP_CIPHER_CTX* c = keystream_.get();
    int outl = 0;
    if (gcm) {
      std::array<std::uint8_t, 16 * kMaxBlocks> counters{};
      std::array<std::uint8_t, 16 * kMaxBlocks> ks{};
      std::array<std::size_t, 2> first_block_at{};  // where each piece's first block is in ks
      std::size_t blocks = 0;
      if (pieces.size() > first_block_at.size()) return false;
      for (std::size_t p = 0; p < pieces.size(); ++p) {
        const Piece& piece = pieces[p];
        if (piece.in.empty()) continue;
        if (piece.in.size() > kMaxPiece) return false;
        first_block_at[p] = blocks;
        const std::size_t last_block = (piece.offset + piece.in.size() - 1) / 16;
        for (std::size_t b = piece.offset / 16; b <= last_block; ++b) {
          std::uint8_t* ctr = counters.data() + 16 * blocks++;
          std::memcpy(ctr, nonce.data(), nonce.size());
          const auto n = static_cast<std::uint32_t>(2 + b);
          for (int i = 0; i < 4; ++i) ctr[12 + i] = static_cast<std::uint8_t>(n >> (24 - 8 * i));
        }
      }
      const int len = static_cast<int>(16 * blocks);
      if (blocks > 0 &&
          (EVP_EncryptUpdate(c, ks.data(), &outl, counters.data(), len) != 1 || outl != len)) {
        return false;
      }
      for (std::size_t p = 0; p < pieces.size(); ++p) {
        const Piece& piece = pieces[p];
        const std::uint8_t* k = ks.data() + 16 * first_block_at[p] + piece.offset % 16;
        for (std::size_t i = 0; i < piece.in.size(); ++i) piece.out[i] = piece.in[i] ^ k[i];
      }
      return true;
    }
    for (const Piece& piece : pieces) {
      if (piece.in.empty()) continue;
      if (piece.in.size() > kMaxPiece) return false;
      const std::size_t first_block = piece.offset / 64;
      const std::size_t blocks = (piece.offset + piece.in.size() - 1) / 64 - first_block + 1;
      std::array<std::uint8_t, 16> iv{};  // OpenSSL's ChaCha20 IV: counter (LE32) || nonce
      const auto n = static_cast<std::uint32_t>(1 + first_block);
      for (int i = 0; i < 4; ++i) iv[i] = static_cast<std::uint8_t>(n >> (8 * i));
      std::memcpy(iv.data() + 4, nonce.data(), nonce.size());
      const std::array<std::uint8_t, 2 * kMaxPiece> zeros{};
      std::array<std::uint8_t, 2 * kMaxPiece> ks{};
      const int len = static_cast<int>(64 * blocks);
      if (EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, iv.data()) != 1 ||
          EVP_EncryptUpdate(c, ks.data(), &outl, zeros.data(), len) != 1 || outl != len) {
        return false;
      }
      const std::uint8_t* k = ks.data() + piece.offset % 64;
      for (std::size_t i = 0; i < piece.in.size(); ++i) piece.out[i] = piece.in[i] ^ k[i];
    }
    return true;
  }

  bool makeKeystreamContext(bool gcm) {
    const char* name = !gcm ? "ChaCha20" : key_len_ == 16 ? "AES-128-ECB" : "AES-256-ECB";
    EVP_CIPHER* cipher = fetchCipher(name);
    std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> c(EVP_CIPHER_CTX_new());
    if (cipher == nullptr || !c || (gcm && key_len_ != 16 && key_len_ != 32) ||
        EVP_EncryptInit_ex(c.get(), cipher, nullptr, key_.data(), nullptr) != 1) {
      return false;
    }
    EVP_CIPHER_CTX_set_padding(c.get(), 0);
    keystream_ = std::move(c);
    return true;
  }

  bool tls13_;
  bool explicit_nonce_;
  const SuiteInfo* suite_ = nullptr;
  std::array<std::uint8_t, 12> iv_{};
  std::size_t iv_len_ = 0;
  std::array<std::uint8_t, 32> key_{};
  std::size_t key_len_ = 0;
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> keystream_;  // for peek(), see xorKeystream
  std::vector<std::uint8_t> secret_;
  bool gcm_fixed_nonce_ = false;  // the nonce's fixed field is set (AES-GCM, see init())
  EVP_CIPHER* cipher_ = nullptr;  // fetchCipher's, shared
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx_;
};

// AES-CBC + HMAC, MAC-then-encrypt (RFC 5246 6.2.3.2) or encrypt-then-MAC (RFC 7366).
class CbcDecryptor final : public RecordDecryptor {
 public:
  ~CbcDecryptor() override { OPENSSL_cleanse(iv_.data(), iv_.size()); }

  bool init(const SuiteInfo& suite, std::uint16_t version, ByteView key, ByteView iv,
            ByteView mac_key, bool etm) {
    suite_ = &suite;
    version_ = version;
    etm_ = etm;
    implicit_iv_ = version <= 0x0301;  // TLS 1.0: IV chained from the previous record
    iv_.fill(0);
    if (!iv.empty()) {  // TLS 1.1+ carries the IV per record: the key block gives none
      std::memcpy(iv_.data(), iv.data(), std::min(iv.size(), iv_.size()));
    }
    cipher_ = fetchCipher(suite.cipher);
    ctx_.reset(EVP_CIPHER_CTX_new());
    if (cipher_ == nullptr || !ctx_) return false;
    if (EVP_DecryptInit_ex(ctx_.get(), cipher_, nullptr, key.data(), nullptr) != 1) return false;
    EVP_CIPHER_CTX_set_padding(ctx_.get(), 0);
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) return false;
    mac_ctx_.reset(EVP_MAC_CTX_new(mac));
    EVP_MAC_free(mac);
    if (!mac_ctx_) return false;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(suite.mac), 0),
        OSSL_PARAM_construct_end()};
    return EVP_MAC_init(mac_ctx_.get(), mac_key.data(), mac_key.size(), params) == 1;
  }

  void skip(ByteView fragment) override {
    ++seq_;
    constexpr std::size_t kBlock = 16;
    if (!implicit_iv_) return;
    // The next record's IV is this record's last ciphertext block (before an encrypt-then-MAC
    // tag, RFC 7366 3).
    ByteView enc = fragment;
    if (etm_) enc = enc.size() >= suite_->mac_len ? enc.first(enc.size() - suite_->mac_len) : ByteView{};
    if (enc.size() >= kBlock) std::memcpy(iv_.data(), enc.data() + enc.size() - kBlock, kBlock);
  }

  bool peek(std::uint8_t content_type, ByteView fragment, RecordPeek& out) override {
    // The first plaintext block, and the last one for the padding length (RFC 5246 6.2.3.2):
    // each is the block cipher's decryption of a ciphertext block XOR the block before it.
    constexpr std::size_t kBlock = 16;
    ByteView enc = fragment;
    if (etm_) {
      if (enc.size() < suite_->mac_len) return false;
      enc = enc.first(enc.size() - suite_->mac_len);
    }
    const std::uint8_t* iv = iv_.data();
    if (!implicit_iv_) {
      if (enc.size() < kBlock) return false;
      iv = enc.data();
      enc = enc.subspan(kBlock);
    }
    if (enc.empty() || enc.size() % kBlock != 0) return false;
    std::array<std::uint8_t, RecordPeek::kHead> first{};
    std::array<std::uint8_t, kBlock> last{};
    const std::size_t first_len = std::min(first.size(), enc.size());
    if (!decryptBlocks(iv, enc.first(first_len), first.data())) return false;
    if (enc.size() == first_len) {
      std::memcpy(last.data(), first.data() + first_len - kBlock, kBlock);
    } else if (!decryptBlocks(enc.data() + enc.size() - 2 * kBlock, enc.last(kBlock),
                              last.data())) {
      return false;
    }
    const std::size_t trailer = std::size_t{last[kBlock - 1]} + 1 + (etm_ ? 0 : suite_->mac_len);
    if (trailer > enc.size()) return false;
    out.inner_type = content_type;
    out.content_length = enc.size() - trailer;
    out.head_len = std::min(first_len, out.content_length);
    std::memcpy(out.head.data(), first.data(), out.head_len);
    return true;
  }

  DecryptStatus decrypt(std::uint8_t content_type, std::uint16_t record_version, ByteView fragment,
                        std::vector<std::uint8_t>& out, std::uint8_t& inner_type) override {
    const std::uint64_t seq = seq_++;
    inner_type = content_type;
    constexpr std::size_t kBlock = 16;
    const std::size_t mac_len = suite_->mac_len;
    ByteView enc = fragment;
    if (etm_) {
      if (enc.size() < mac_len) return DecryptStatus::Malformed;
      const ByteView mac = enc.subspan(enc.size() - mac_len);
      enc = enc.first(enc.size() - mac_len);
      // RFC 7366 3: MAC(seq || type || version || length || IV || ciphertext).
      if (!checkMac(seq, content_type, record_version, enc, ByteView{}, mac)) {
        return DecryptStatus::BadRecordMac;
      }
    }
    std::array<std::uint8_t, kBlock> iv{};
    if (implicit_iv_) {
      std::memcpy(iv.data(), iv_.data(), kBlock);
    } else {
      if (enc.size() < kBlock) return DecryptStatus::Malformed;
      std::memcpy(iv.data(), enc.data(), kBlock);
      enc = enc.subspan(kBlock);
    }
    if (enc.empty() || enc.size() % kBlock != 0) return DecryptStatus::Malformed;
    if (implicit_iv_) std::memcpy(iv_.data(), enc.data() + enc.size() - kBlock, kBlock);
    out.resize(enc.size());
    int outl = 0;
    if (EVP_DecryptInit_ex(ctx_.get(), nullptr, nullptr, nullptr, iv.data()) != 1 ||
        EVP_DecryptUpdate(ctx_.get(), out.data(), &outl, enc.data(), static_cast<int>(enc.size())) != 1) {
      return DecryptStatus::Error;
    }
    // Strip padding: the last byte is padding_length, preceded by that many bytes of its value.
    const std::size_t pad = out.back();
    if (pad + 1 > out.size()) return DecryptStatus::BadRecordMac;
    for (std::size_t i = out.size() - pad - 1; i < out.size(); ++i) {
      if (out[i] != pad) return DecryptStatus::BadRecordMac;
    }
    out.resize(out.size() - pad - 1);
    if (etm_) return DecryptStatus::Ok;
    if (out.size() < mac_len) return DecryptStatus::BadRecordMac;
    const std::size_t content_len = out.size() - mac_len;
    std::array<std::uint8_t, 64> mac_copy{};
    std::memcpy(mac_copy.data(), out.data() + content_len, mac_len);
    out.resize(content_len);
    if (!checkMac(seq, content_type, record_version, out, ByteView{}, ByteView(mac_copy.data(), mac_len))) {
      return DecryptStatus::BadRecordMac;
    }
    return DecryptStatus::Ok;
  }

 private:
  // Whole CBC blocks `in` decrypted from `iv` on.
  bool decryptBlocks(const std::uint8_t* iv, ByteView in, std::uint8_t* out) {
    int outl = 0;
    const int len = static_cast<int>(in.size());
    return EVP_DecryptInit_ex(ctx_.get(), nullptr, nullptr, nullptr, iv) == 1 &&
           EVP_DecryptUpdate(ctx_.get(), out, &outl, in.data(), len) == 1 && outl == len;
  }

  bool checkMac(std::uint64_t seq, std::uint8_t type, std::uint16_t version, ByteView data,
                ByteView extra, ByteView expected) {
    std::array<std::uint8_t, 13> hdr{};
    putU64(hdr.data(), seq);
    hdr[8] = type;
    hdr[9] = static_cast<std::uint8_t>(version >> 8);
    hdr[10] = static_cast<std::uint8_t>(version);
    const std::size_t len = data.size() + extra.size();
    hdr[11] = static_cast<std::uint8_t>(len >> 8);
    hdr[12] = static_cast<std::uint8_t>(len);
    std::array<std::uint8_t, EVP_MAX_MD_SIZE> got{};
    std::size_t got_len = 0;
    EVP_MAC_CTX* m = mac_ctx_.get();
    if (EVP_MAC_init(m, nullptr, 0, nullptr) != 1 || EVP_MAC_update(m, hdr.data(), hdr.size()) != 1 ||
        EVP_MAC_update(m, data.data(), data.size()) != 1 ||
        (!extra.empty() && EVP_MAC_update(m, extra.data(), extra.size()) != 1) ||
        EVP_MAC_final(m, got.data(), &got_len, got.size()) != 1) {
      return false;
    }
    return got_len == expected.size() && CRYPTO_memcmp(got.data(), expected.data(), got_len) == 0;
  }

  const SuiteInfo* suite_ = nullptr;
  std::uint16_t version_ = 0;
  bool etm_ = false;
  bool implicit_iv_ = false;
  std::array<std::uint8_t, 16> iv_{};
  EVP_CIPHER* cipher_ = nullptr;  // fetchCipher's, shared
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx_;
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> mac_ctx_;
};

}  // namespace

const SuiteInfo* findSuite(std::uint16_t id) noexcept {
  for (const auto& s : kSuites) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

const char* prfDigest(const SuiteInfo& suite, std::uint16_t version) noexcept {
  return version < 0x0303 ? "MD5-SHA1" : suite.prf_hash;
}

bool tlsPrf(const char* digest, ByteView secret, std::string_view label, ByteView seed,
            std::span<std::uint8_t> out) {
  EVP_KDF* kdf = fetchKdf("TLS1-PRF");
  if (kdf == nullptr) return false;
  std::unique_ptr<EVP_KDF_CTX, KdfFree> ctx(EVP_KDF_CTX_new(kdf));
  if (!ctx) return false;
  std::vector<std::uint8_t> full_seed(label.begin(), label.end());
  full_seed.insert(full_seed.end(), seed.begin(), seed.end());
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET,
                                        const_cast<std::uint8_t*>(secret.data()), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, full_seed.data(), full_seed.size()),
      OSSL_PARAM_construct_end()};
  return EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) == 1;
}

bool hkdfExpandLabel(const char* digest, ByteView secret, std::string_view label,
                     ByteView context, std::span<std::uint8_t> out) {
  return expandLabel(digest, secret, label, context, out, false);
}

namespace {
// same_secret: the thread's last expansion with this digest used the same secret, so the HMAC
// context still holds its key schedule (EVP_MAC_init with no key reuses it): two of the
// compression-function calls of each expansion.
bool expandLabel(const char* digest, ByteView secret, std::string_view label, ByteView context,
                 std::span<std::uint8_t> out, bool same_secret) {
  // RFC 8446 7.1: struct { uint16 length; opaque label<7..255> = "tls13 " + Label;
  //                        opaque context<0..255>; } HkdfLabel;
  static constexpr std::string_view kPrefix = "tls13 ";
  if (out.size() > 0xFFFF || kPrefix.size() + label.size() > 255 || context.size() > 255) {
    return false;
  }
  std::array<std::uint8_t, 2 + 1 + 255 + 1 + 255> info{};
  std::size_t n = 0;
  info[n++] = static_cast<std::uint8_t>(out.size() >> 8);
  info[n++] = static_cast<std::uint8_t>(out.size());
  info[n++] = static_cast<std::uint8_t>(kPrefix.size() + label.size());
  for (char c : kPrefix) info[n++] = static_cast<std::uint8_t>(c);
  for (char c : label) info[n++] = static_cast<std::uint8_t>(c);
  info[n++] = static_cast<std::uint8_t>(context.size());
  if (!context.empty()) {
    std::memcpy(info.data() + n, context.data(), context.size());
    n += context.size();
  }

  // RFC 5869 2.3 HKDF-Expand: OKM is the first L bytes of T(1) | T(2) | ..., where
  // T(1) = HMAC-Hash(PRK, info | 0x01). Every TLS 1.3 label expansion (keys, IVs, the next
  // traffic secret) asks for at most one hash length, so T(1) is all of it: one HMAC on a context
  // kept per thread, a fifth of the cost of a KDF context made per derivation (issue 8).
  // Longer outputs take OpenSSL's HKDF below. Both are checked against RFC 8448.
  if (EVP_MAC_CTX* hmac = hmacFor(digest); hmac != nullptr) {
    const bool keyed = same_secret ? EVP_MAC_init(hmac, nullptr, 0, nullptr) == 1
                                   : EVP_MAC_init(hmac, secret.data(), secret.size(), nullptr) == 1;
    if (!keyed) return false;
    if (out.size() <= EVP_MAC_CTX_get_mac_size(hmac)) {
      static constexpr std::uint8_t kFirstBlock = 0x01;
      std::array<std::uint8_t, EVP_MAX_MD_SIZE> t1{};
      std::size_t t1_len = 0;
      const bool ok = EVP_MAC_update(hmac, info.data(), n) == 1 &&
                      EVP_MAC_update(hmac, &kFirstBlock, 1) == 1 &&
                      EVP_MAC_final(hmac, t1.data(), &t1_len, t1.size()) == 1 &&
                      t1_len >= out.size();
      if (ok) {
        std::memcpy(out.data(), t1.data(), out.size());
      }
      OPENSSL_cleanse(t1.data(), t1.size());
      return ok;
    }
  }
  EVP_KDF* kdf = fetchKdf("HKDF");
  if (kdf == nullptr) return false;
  std::unique_ptr<EVP_KDF_CTX, KdfFree> ctx(EVP_KDF_CTX_new(kdf));
  if (!ctx) return false;
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                        const_cast<std::uint8_t*>(secret.data()), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), n),
      OSSL_PARAM_construct_end()};
  return EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) == 1;
}
}  // namespace

KeyBlock::~KeyBlock() {
  for (auto* v : {&client_mac, &server_mac, &client_key, &server_key, &client_iv, &server_iv}) {
    if (!v->empty()) OPENSSL_cleanse(v->data(), v->size());
  }
}

bool deriveKeyBlock(const SuiteInfo& suite, std::uint16_t version, ByteView master_secret,
                    ByteView client_random, ByteView server_random, KeyBlock& out) {
  const std::size_t mac = suite.mac_len;
  const std::size_t key = suite.key_len;
  const std::size_t iv = suite.fixed_iv_len;
  std::vector<std::uint8_t> block(2 * (mac + key + iv));
  std::vector<std::uint8_t> seed(server_random.begin(), server_random.end());
  seed.insert(seed.end(), client_random.begin(), client_random.end());
  if (!tlsPrf(prfDigest(suite, version), master_secret, "key expansion", seed, block)) {
    return false;
  }
  // RFC 5246 6.3: client MAC, server MAC, client key, server key, client IV, server IV.
  std::size_t p = 0;
  auto take = [&](std::vector<std::uint8_t>& v, std::size_t n) {
    v.assign(block.begin() + static_cast<std::ptrdiff_t>(p),
             block.begin() + static_cast<std::ptrdiff_t>(p + n));
    p += n;
  };
  take(out.client_mac, mac);
  take(out.server_mac, mac);
  take(out.client_key, key);
  take(out.server_key, key);
  take(out.client_iv, iv);
  take(out.server_iv, iv);
  OPENSSL_cleanse(block.data(), block.size());
  return true;
}

std::unique_ptr<RecordDecryptor> RecordDecryptor::tls12(const SuiteInfo& suite, std::uint16_t version,
                                                        ByteView key, ByteView iv, ByteView mac_key,
                                                        bool encrypt_then_mac) {
  if (suite.tls13) return nullptr;
  if (suite.mode == CipherMode::Cbc) {
    auto d = std::make_unique<CbcDecryptor>();
    if (!d->init(suite, version, key, iv, mac_key, encrypt_then_mac)) return nullptr;
    return d;
  }
  auto d = std::make_unique<AeadDecryptor>(false, suite.mode == CipherMode::Gcm);
  if (!d->init(suite, key, iv)) return nullptr;
  return d;
}

std::unique_ptr<RecordDecryptor> RecordDecryptor::tls13(const SuiteInfo& suite, ByteView traffic_secret) {
  if (!suite.tls13) return nullptr;
  auto d = std::make_unique<AeadDecryptor>(true, false);
  if (!d->initTls13(suite, traffic_secret)) return nullptr;
  return d;
}

}  // namespace rdpscope::tls
