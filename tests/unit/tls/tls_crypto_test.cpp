// Known-answer tests of the TLS key derivation and record decryption (OpenSSL EVP underneath).
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include "tls/tls_crypto.h"
#include "tls_test_util.h"

namespace rdpscope::tls {
namespace {

using testing::fromHex;

// TLS 1.2 PRF (P_SHA256) test vector published on the IETF TLS WG list ("TLS 1.2 test vectors",
// 2010) and reused by the test suites of Botan, mbedTLS and others.
TEST(TlsPrf, Sha256KnownAnswer) {
  const auto secret = fromHex("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35");
  const auto seed = fromHex("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c");
  const auto expected = fromHex(
      "e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53 c2 aa b2 1d 07 c3 d4 95 32 9b 52 d4 e6 1e db 5a"
      "6b 30 17 91 e9 0d 35 c9 c9 a4 6b 4e 14 ba f9 af 0f a0 22 f7 07 7d ef 17 ab fd 37 97 c0 56 4b ab"
      "4f bc 91 66 6e 9d ef 9b 97 fc e3 4f 79 67 89 ba a4 80 82 d1 22 ee 42 c5 a7 2e 5a 51 10 ff f7 01"
      "87 34 7b 66");
  std::vector<std::uint8_t> out(100);
  ASSERT_TRUE(tlsPrf("SHA256", secret, "test label", seed, out));
  EXPECT_EQ(out, expected);
}

// RFC 8448 section 3 ("Simple 1-RTT Handshake"): traffic keys from the handshake traffic secrets.
TEST(Tls13KeySchedule, Rfc8448HandshakeTrafficKeys) {
  const auto server_hs = fromHex(
      "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38");
  const auto client_hs = fromHex(
      "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21");
  std::vector<std::uint8_t> key(16), iv(12);
  ASSERT_TRUE(hkdfExpandLabel("SHA256", server_hs, "key", {}, key));
  ASSERT_TRUE(hkdfExpandLabel("SHA256", server_hs, "iv", {}, iv));
  EXPECT_EQ(key, fromHex("3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc"));
  EXPECT_EQ(iv, fromHex("5d 31 3e b2 67 12 76 ee 13 00 0b 30"));
  ASSERT_TRUE(hkdfExpandLabel("SHA256", client_hs, "key", {}, key));
  ASSERT_TRUE(hkdfExpandLabel("SHA256", client_hs, "iv", {}, iv));
  EXPECT_EQ(key, fromHex("db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01"));
  EXPECT_EQ(iv, fromHex("5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f"));
}

// RFC 8448 section 3: the handshake traffic secrets from the handshake secret and the transcript
// hash: a label with a context, output one hash length (the HMAC path of hkdfExpandLabel).
TEST(Tls13KeySchedule, Rfc8448HandshakeTrafficSecrets) {
  const auto handshake_secret = fromHex(
      "1d c8 26 e9 36 06 aa 6f dc 0a ad c1 2f 74 1b 01 04 6a a6 b9 9f 69 1e d2 21 a9 f0 ca 04 3f be ac");
  const auto transcript = fromHex(
      "86 0c 06 ed c0 78 58 ee 8e 78 f0 e7 42 8c 58 ed d6 b4 3f 2c a3 e6 e9 5f 02 ed 06 3c f0 e1 ca d8");
  std::vector<std::uint8_t> secret(32);
  ASSERT_TRUE(hkdfExpandLabel("SHA256", handshake_secret, "c hs traffic", transcript, secret));
  EXPECT_EQ(secret, fromHex("b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96"
                            "00 74 6a 0e 27 a5 5a 21"));
  ASSERT_TRUE(hkdfExpandLabel("SHA256", handshake_secret, "s hs traffic", transcript, secret));
  EXPECT_EQ(secret, fromHex("b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d"
                            "42 be fd 59 d3 91 ad 38"));
}

// An output longer than the hash needs T(2) and T(3) (RFC 5869 2.3): OpenSSL's HKDF, not the
// one-HMAC path. Expected value from an independent HMAC-SHA256 implementation (Python's hmac).
TEST(Tls13KeySchedule, ExpandLongerThanTheHash) {
  const auto secret = fromHex(
      "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21");
  std::vector<std::uint8_t> out(80);
  ASSERT_TRUE(hkdfExpandLabel("SHA256", secret, "exporter test", {}, out));
  EXPECT_EQ(out, fromHex("84 f1 0a e3 d9 40 5c 3d d7 58 8b 96 f1 43 b0 b9 d5 af af 3e a4 1d 46 b3"
                         "1d d9 5a 38 7e 29 f6 8b bb ad 46 05 e1 13 ca e8 70 bd 92 50 a8 fa e9 52"
                         "78 e3 8b 50 4a 57 cb 56 ca 23 76 d1 75 b4 00 ce 42 48 d7 0c e5 21 de 4a"
                         "8d ec 83 e4 18 9d ec ea"));
}

// RFC 8448 section 3: "{client} send handshake record" (the client Finished, sequence 0 under
// the client handshake traffic keys) decrypts to the published Finished message.
const char* kClientFinishedRecord =
    "17 03 03 00 35 75 ec 4d c2 38 cc e6 0b 29 80 44 a7 1e 21 9c 56 cc 77 b0 51 7f e9 b9 3c 7a 4b"
    "fc 44 d8 7f 38 f8 03 38 ac 98 fc 46 de b3 84 bd 1c ae ac ab 68 67 d7 26 c4 05 46";
const char* kClientFinished =
    "14 00 00 20 a8 ec 43 6d 67 76 34 ae 52 5a c1 fc eb e1 1a 03 9e c1 76 94 fa c6 e9 85 27 b6 42 f2"
    "ed d5 ce 61";

TEST(Tls13Record, Rfc8448ClientFinishedDecrypts) {
  const auto secret = fromHex(
      "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21");
  const SuiteInfo* suite = findSuite(0x1301);
  ASSERT_NE(suite, nullptr);
  auto dec = RecordDecryptor::tls13(*suite, secret);
  ASSERT_NE(dec, nullptr);
  const auto record = fromHex(kClientFinishedRecord);
  std::vector<std::uint8_t> out;
  std::uint8_t inner = 0;
  ASSERT_EQ(dec->decrypt(record[0], 0x0303, ByteView(record).subspan(5), out, inner), DecryptStatus::Ok);
  EXPECT_EQ(inner, 22);
  EXPECT_EQ(out, fromHex(kClientFinished));
  EXPECT_EQ(dec->sequence(), 1u);
  // The same record again is sequence 1: the nonce differs and authentication fails.
  EXPECT_EQ(dec->decrypt(record[0], 0x0303, ByteView(record).subspan(5), out, inner),
            DecryptStatus::BadRecordMac);
}

TEST(Tls13Record, WrongSecretIsBadRecordMac) {
  auto secret = fromHex(
      "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 22");
  auto dec = RecordDecryptor::tls13(*findSuite(0x1301), secret);
  ASSERT_NE(dec, nullptr);
  const auto record = fromHex(kClientFinishedRecord);
  std::vector<std::uint8_t> out;
  std::uint8_t inner = 0;
  EXPECT_EQ(dec->decrypt(23, 0x0303, ByteView(record).subspan(5), out, inner), DecryptStatus::BadRecordMac);
  // Too short for the tag: malformed, not a crash.
  EXPECT_EQ(dec->decrypt(23, 0x0303, ByteView(record).subspan(5, 10), out, inner), DecryptStatus::Malformed);
}

// TLS 1.2 AES-GCM and AES-CBC-HMAC records built with OpenSSL EVP (encrypt side, test only)
// following RFC 5288 3 / RFC 5246 6.2.3.2, then decrypted by RecordDecryptor.
std::vector<std::uint8_t> gcmSeal(const std::vector<std::uint8_t>& key, const std::vector<std::uint8_t>& salt,
                                  std::uint64_t seq, std::uint8_t type, const std::vector<std::uint8_t>& pt) {
  std::uint8_t nonce[12];
  std::memcpy(nonce, salt.data(), 4);
  for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<std::uint8_t>(0xA0 + i);  // explicit
  std::uint8_t aad[13];
  for (int i = 0; i < 8; ++i) aad[i] = static_cast<std::uint8_t>(seq >> (56 - 8 * i));
  aad[8] = type; aad[9] = 3; aad[10] = 3;
  aad[11] = static_cast<std::uint8_t>(pt.size() >> 8); aad[12] = static_cast<std::uint8_t>(pt.size());
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), nullptr, key.data(), nonce);
  int n = 0;
  EVP_EncryptUpdate(c, nullptr, &n, aad, 13);
  std::vector<std::uint8_t> rec(nonce + 4, nonce + 12);
  rec.resize(8 + pt.size() + 16);
  EVP_EncryptUpdate(c, rec.data() + 8, &n, pt.data(), static_cast<int>(pt.size()));
  EVP_EncryptFinal_ex(c, rec.data() + 8 + n, &n);
  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, rec.data() + 8 + pt.size());
  EVP_CIPHER_CTX_free(c);
  return rec;
}

TEST(Tls12Record, AesGcmRoundTripAndTamper) {
  const auto key = fromHex("000102030405060708090a0b0c0d0e0f");
  const auto salt = fromHex("01020304");
  const std::vector<std::uint8_t> pt = {0x03, 0x00, 0x00, 0x08, 1, 2, 3, 4};
  auto dec = RecordDecryptor::tls12(*findSuite(0xC02F), 0x0303, key, salt, {}, false);
  ASSERT_NE(dec, nullptr);
  std::vector<std::uint8_t> out;
  std::uint8_t inner = 0;
  for (std::uint64_t seq = 0; seq < 3; ++seq) {
    auto rec = gcmSeal(key, salt, seq, 23, pt);
    ASSERT_EQ(dec->decrypt(23, 0x0303, rec, out, inner), DecryptStatus::Ok) << seq;
    EXPECT_EQ(out, pt);
  }
  auto rec = gcmSeal(key, salt, 3, 23, pt);
  rec[10] ^= 1;
  EXPECT_EQ(dec->decrypt(23, 0x0303, rec, out, inner), DecryptStatus::BadRecordMac);
}

// AES-128-CBC + HMAC-SHA1, MAC-then-encrypt (RFC 5246 6.2.3.2; TLS 1.0 chains the IV from the
// previous record, RFC 2246 6.2.3.2, so `explicit_iv` false leaves it out of the record).
std::vector<std::uint8_t> cbcSeal(const std::vector<std::uint8_t>& key, const std::vector<std::uint8_t>& mac_key,
                                  const std::vector<std::uint8_t>& iv, std::uint64_t seq, std::uint16_t version,
                                  const std::vector<std::uint8_t>& pt, bool explicit_iv) {
  // MAC = HMAC-SHA1(seq || type 23 || version || len || content)
  std::vector<std::uint8_t> mac_in;
  for (int i = 0; i < 8; ++i) mac_in.push_back(static_cast<std::uint8_t>(seq >> (56 - 8 * i)));
  mac_in.insert(mac_in.end(), {23, static_cast<std::uint8_t>(version >> 8), static_cast<std::uint8_t>(version),
                               static_cast<std::uint8_t>(pt.size() >> 8), static_cast<std::uint8_t>(pt.size())});
  mac_in.insert(mac_in.end(), pt.begin(), pt.end());
  unsigned char mac[20];
  std::size_t mac_len = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA1", nullptr, mac_key.data(), mac_key.size(), mac_in.data(),
            mac_in.size(), mac, sizeof mac, &mac_len);
  std::vector<std::uint8_t> block(pt);
  block.insert(block.end(), mac, mac + 20);
  const std::size_t pad = 16 - (block.size() + 1) % 16;
  block.insert(block.end(), pad + 1, static_cast<std::uint8_t>(pad));
  std::vector<std::uint8_t> rec;
  if (explicit_iv) rec = iv;
  const std::size_t head = rec.size();
  rec.resize(head + block.size());
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(c, EVP_aes_128_cbc(), nullptr, key.data(), iv.data());
  EVP_CIPHER_CTX_set_padding(c, 0);
  int n = 0;
  EVP_EncryptUpdate(c, rec.data() + head, &n, block.data(), static_cast<int>(block.size()));
  EVP_CIPHER_CTX_free(c);
  return rec;
}

TEST(Tls12Record, AesCbcHmacSha1MacThenEncrypt) {
  const auto key = fromHex("000102030405060708090a0b0c0d0e0f");
  const auto mac_key = fromHex("1111111111111111111111111111111111111111");
  const std::vector<std::uint8_t> pt = {'h', 'e', 'l', 'l', 'o'};
  const auto iv = fromHex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  const auto rec = cbcSeal(key, mac_key, iv, 0, 0x0303, pt, true);

  auto dec = RecordDecryptor::tls12(*findSuite(0x002F), 0x0303, key, {}, mac_key, false);
  ASSERT_NE(dec, nullptr);
  std::vector<std::uint8_t> out;
  std::uint8_t inner = 0;
  ASSERT_EQ(dec->decrypt(23, 0x0303, rec, out, inner), DecryptStatus::Ok);
  EXPECT_EQ(out, pt);
  auto wrong = RecordDecryptor::tls12(*findSuite(0x002F), 0x0303, key, {}, fromHex("22"), false);
  EXPECT_EQ(wrong->decrypt(23, 0x0303, rec, out, inner), DecryptStatus::BadRecordMac);
}

// skip() (issue 8: bulk records counted, not decrypted) must leave the decryptor exactly where
// decrypting the record would: the next record authenticates, and it would not without skip().
TEST(RecordSkip, AesGcmNextRecordDecryptsAfterSkip) {
  const auto key = fromHex("000102030405060708090a0b0c0d0e0f");
  const auto salt = fromHex("01020304");
  const std::vector<std::uint8_t> pt = {0x03, 0x00, 0x00, 0x08, 1, 2, 3, 4};
  const auto rec0 = gcmSeal(key, salt, 0, 23, pt);
  const auto rec1 = gcmSeal(key, salt, 1, 23, pt);
  std::vector<std::uint8_t> out;
  std::uint8_t inner = 0;
  auto dec = RecordDecryptor::tls12(*findSuite(0xC02F), 0x0303, key, salt, {}, false);
  dec->skip(rec0);
  ASSERT_EQ(dec->decrypt(23, 0x0303, rec1, out, inner), DecryptStatus::Ok);
  EXPECT_EQ(out, pt);
  auto unskipped = RecordDecryptor::tls12(*findSuite(0xC02F), 0x0303, key, salt, {}, false);
  EXPECT_EQ(unskipped->decrypt(23, 0x0303, rec1, out, inner), DecryptStatus::BadRecordMac);
}

TEST(RecordSkip, Tls10CbcKeepsTheChainedIv) {
  const auto key = fromHex("000102030405060708090a0b0c0d0e0f");
  const auto mac_key = fromHex("1111111111111111111111111111111111111111");
  const auto iv0 = fromHex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  const std::vector<std::uint8_t> pt0(40, 0x5A);
  const std::vector<std::uint8_t> pt1 = {'n', 'e', 'x', 't'};
  const auto rec0 = cbcSeal(key, mac_key, iv0, 0, 0x0301, pt0, false);
  // TLS 1.0: the next record's IV is the last ciphertext block of this one.
  const std::vector<std::uint8_t> iv1(rec0.end() - 16, rec0.end());
  const auto rec1 = cbcSeal(key, mac_key, iv1, 1, 0x0301, pt1, false);
  std::vector<std::uint8_t> out;
  std::uint8_t inner = 0;
  auto dec = RecordDecryptor::tls12(*findSuite(0x002F), 0x0301, key, iv0, mac_key, false);
  ASSERT_NE(dec, nullptr);
  dec->skip(rec0);
  ASSERT_EQ(dec->decrypt(23, 0x0301, rec1, out, inner), DecryptStatus::Ok);
  EXPECT_EQ(out, pt1);
  // Skipping with the sequence number only (no IV chaining) breaks the next record.
  auto no_chain = RecordDecryptor::tls12(*findSuite(0x002F), 0x0301, key, iv0, mac_key, false);
  no_chain->skip(ByteView{});
  EXPECT_EQ(no_chain->decrypt(23, 0x0301, rec1, out, inner), DecryptStatus::BadRecordMac);
}

// A TLS 1.3 record sealed with the traffic secret's key and iv (RFC 8446 5.2-5.3): `inner` is
// TLSInnerPlaintext (content || type || zeros); the header is the AEAD's additional data.
std::vector<std::uint8_t> tls13Seal(const SuiteInfo& suite, const std::vector<std::uint8_t>& secret,
                                    std::uint64_t seq, const std::vector<std::uint8_t>& inner) {
  std::vector<std::uint8_t> key(suite.key_len);
  std::vector<std::uint8_t> iv(12);
  EXPECT_TRUE(hkdfExpandLabel(suite.prf_hash, secret, "key", {}, key));
  EXPECT_TRUE(hkdfExpandLabel(suite.prf_hash, secret, "iv", {}, iv));
  for (int i = 0; i < 8; ++i) iv[4 + i] ^= static_cast<std::uint8_t>(seq >> (56 - 8 * i));
  const std::size_t len = inner.size() + 16;
  const std::uint8_t aad[5] = {23, 3, 3, static_cast<std::uint8_t>(len >> 8),
                               static_cast<std::uint8_t>(len)};
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, suite.cipher, nullptr);
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(c, cipher, nullptr, key.data(), iv.data());
  int n = 0;
  EVP_EncryptUpdate(c, nullptr, &n, aad, 5);
  std::vector<std::uint8_t> rec(len);
  EVP_EncryptUpdate(c, rec.data(), &n, inner.data(), static_cast<int>(inner.size()));
  EVP_EncryptFinal_ex(c, rec.data() + n, &n);
  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, rec.data() + inner.size());
  EVP_CIPHER_CTX_free(c);
  EVP_CIPHER_free(cipher);
  return rec;
}

// What peek() says of a record must be what decrypt() gives for it: the first bytes, the content
// length and type. And peek() leaves the decryptor where it was.
void expectPeekAgrees(RecordDecryptor& peeker, RecordDecryptor& decryptor, ByteView rec,
                      const std::string& what, std::uint16_t version = 0x0303) {
  RecordPeek peek;
  ASSERT_TRUE(peeker.peek(23, rec, peek)) << what;
  std::vector<std::uint8_t> out;
  std::uint8_t inner = 0;
  ASSERT_EQ(decryptor.decrypt(23, version, rec, out, inner), DecryptStatus::Ok) << what;
  EXPECT_EQ(peek.inner_type, inner) << what;
  EXPECT_EQ(peek.content_length, out.size()) << what;
  ASSERT_EQ(peek.head_len, std::min(RecordPeek::kHead, out.size())) << what;
  EXPECT_EQ(std::vector<std::uint8_t>(peek.head.begin(), peek.head.begin() + peek.head_len),
            std::vector<std::uint8_t>(out.begin(), out.begin() + peek.head_len))
      << what;
}

std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t first) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(first + 7 * i);
  return v;
}

TEST(RecordPeek, Tls13AesGcmAndChaChaAgreeWithDecryption) {
  const std::vector<std::uint8_t> secret(32, 0x5C);
  for (const std::uint16_t id :
       {std::uint16_t{0x1301}, std::uint16_t{0x1302}, std::uint16_t{0x1303}}) {
    const SuiteInfo& suite = *findSuite(id);
    auto peeker = RecordDecryptor::tls13(suite, secret);
    auto decryptor = RecordDecryptor::tls13(suite, secret);
    ASSERT_TRUE(peeker && decryptor);
    // Sizes around the block boundaries of both ciphers (16, 64), then 23 (application data)
    // and 21 (alert) as the inner type.
    std::uint64_t seq = 0;
    for (const std::size_t n : {0, 1, 3, 15, 16, 17, 47, 48, 49, 63, 64, 65, 300, 4000}) {
      for (const std::uint8_t type : {std::uint8_t{23}, std::uint8_t{21}}) {
        auto inner = pattern(n, static_cast<std::uint8_t>(n));
        inner.push_back(type);
        const auto rec = tls13Seal(suite, secret, seq, inner);
        const std::string what = suite.cipher + (" len " + std::to_string(n));
        expectPeekAgrees(*peeker, *decryptor, rec, what);
        EXPECT_EQ(peeker->sequence(), seq) << "peek moved the sequence number";
        peeker->skip(rec);
        ++seq;
      }
    }
    // Padding after the type: the type is not in the last block, so peek declines.
    auto padded = pattern(20, 1);
    padded.push_back(23);
    padded.insert(padded.end(), 5, 0);
    RecordPeek peek;
    EXPECT_FALSE(peeker->peek(23, tls13Seal(suite, secret, seq, padded), peek));
    // Too short for the tag: declined, not a crash.
    EXPECT_FALSE(peeker->peek(23, std::vector<std::uint8_t>(10, 0), peek));
  }
}

TEST(RecordPeek, Tls12AesGcmAgreesWithDecryption) {
  const auto key = fromHex("000102030405060708090a0b0c0d0e0f");
  const auto salt = fromHex("01020304");
  auto peeker = RecordDecryptor::tls12(*findSuite(0xC02F), 0x0303, key, salt, {}, false);
  auto decryptor = RecordDecryptor::tls12(*findSuite(0xC02F), 0x0303, key, salt, {}, false);
  std::uint64_t seq = 0;
  for (const std::size_t n : {0, 2, 16, 33, 1500}) {
    const auto rec = gcmSeal(key, salt, seq++, 23, pattern(n, 0x44));
    expectPeekAgrees(*peeker, *decryptor, rec, "len " + std::to_string(n));
    peeker->skip(rec);
  }
}

TEST(RecordPeek, CbcAgreesWithDecryption) {
  const auto key = fromHex("000102030405060708090a0b0c0d0e0f");
  const auto mac_key = fromHex("1111111111111111111111111111111111111111");
  const auto iv = fromHex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  // TLS 1.2: explicit IV per record.
  auto peeker = RecordDecryptor::tls12(*findSuite(0x002F), 0x0303, key, {}, mac_key, false);
  auto decryptor = RecordDecryptor::tls12(*findSuite(0x002F), 0x0303, key, {}, mac_key, false);
  std::uint64_t seq = 0;
  for (const std::size_t n : {0, 5, 11, 12, 27, 28, 44, 60, 76, 700}) {
    const auto rec = cbcSeal(key, mac_key, iv, seq++, 0x0303, pattern(n, 0x10), true);
    expectPeekAgrees(*peeker, *decryptor, rec, "TLS 1.2 len " + std::to_string(n));
    peeker->skip(rec);
  }
  // TLS 1.0: the IV is chained from the previous record, which skip() keeps.
  auto peeker10 = RecordDecryptor::tls12(*findSuite(0x002F), 0x0301, key, iv, mac_key, false);
  auto decryptor10 = RecordDecryptor::tls12(*findSuite(0x002F), 0x0301, key, iv, mac_key, false);
  std::vector<std::uint8_t> chained = iv;
  for (std::uint64_t s = 0; s < 3; ++s) {
    const auto rec = cbcSeal(key, mac_key, chained, s, 0x0301, pattern(40 + 9 * s, 0x22), false);
    expectPeekAgrees(*peeker10, *decryptor10, rec, "TLS 1.0 record " + std::to_string(s), 0x0301);
    peeker10->skip(rec);
    chained.assign(rec.end() - 16, rec.end());
  }
}

TEST(Tls12KeyBlock, SplitsInRfc5246Order) {
  const auto master = std::vector<std::uint8_t>(48, 0x42);
  const auto cr = std::vector<std::uint8_t>(32, 1);
  const auto sr = std::vector<std::uint8_t>(32, 2);
  KeyBlock kb;
  ASSERT_TRUE(deriveKeyBlock(*findSuite(0xC030), 0x0303, master, cr, sr, kb));
  std::vector<std::uint8_t> full(2 * (32 + 4));
  std::vector<std::uint8_t> seed(sr);
  seed.insert(seed.end(), cr.begin(), cr.end());
  ASSERT_TRUE(tlsPrf("SHA384", master, "key expansion", seed, full));
  EXPECT_EQ(kb.client_key, std::vector<std::uint8_t>(full.begin(), full.begin() + 32));
  EXPECT_EQ(kb.server_key, std::vector<std::uint8_t>(full.begin() + 32, full.begin() + 64));
  EXPECT_EQ(kb.client_iv, std::vector<std::uint8_t>(full.begin() + 64, full.begin() + 68));
  EXPECT_TRUE(kb.client_mac.empty());
}

}  // namespace
}  // namespace rdpscope::tls
