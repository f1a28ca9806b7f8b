// parseCertificate keeps decoded certificates in a per-thread cache (issue 8): a cached result
// must be the same as a fresh decode, with the capture-time fields judged at each call.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tls/tls_handshake.h"

namespace rdpscope::tls {
namespace {

// A self-signed certificate valid for [not_before, not_after] (epoch seconds), as DER.
std::vector<std::uint8_t> makeCertificate(const char* cn, long not_before, long not_after) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), X509_free);
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 4242);
  ASN1_TIME_set(X509_getm_notBefore(x.get()), not_before);
  ASN1_TIME_set(X509_getm_notAfter(x.get()), not_after);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509_set_pubkey(x.get(), key.get());
  X509_sign(x.get(), key.get(), EVP_sha256());
  unsigned char* der = nullptr;
  const int len = i2d_X509(x.get(), &der);
  std::vector<std::uint8_t> out(der, der + len);
  OPENSSL_free(der);
  return out;
}

TEST(CertificateCache, CachedResultEqualsFreshDecodeAndTimeFieldsFollowTheCall) {
  const long start = 1'700'000'000;
  const auto der = makeCertificate("server.example", start, start + 86'400);
  auto valid = parseCertificate(der, start + 10);
  ASSERT_TRUE(valid);
  EXPECT_EQ(valid->subject, "CN=server.example");
  EXPECT_TRUE(valid->self_signed);
  EXPECT_EQ(valid->key_type, "EC");
  EXPECT_FALSE(valid->expired);
  EXPECT_FALSE(valid->not_yet_valid);
  // Served from the cache: same certificate, judged at other capture times.
  auto later = parseCertificate(der, start + 2 * 86'400);
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->expired);
  EXPECT_FALSE(later->not_yet_valid);
  auto earlier = parseCertificate(der, start - 1);
  ASSERT_TRUE(earlier);
  EXPECT_TRUE(earlier->not_yet_valid);
  EXPECT_EQ(certInfoToJson(*later).dump(), [&] {
    auto copy = *valid;
    copy.expired = true;
    return certInfoToJson(copy).dump();
  }());
}

TEST(CertificateCache, DistinctCertificatesAndDamagedBytesAreNotConfused) {
  const auto a = makeCertificate("a.example", 1'700'000'000, 1'800'000'000);
  const auto b = makeCertificate("b.example", 1'700'000'000, 1'800'000'000);
  for (int round = 0; round < 2; ++round) {  // the second round is served from the cache
    EXPECT_EQ(parseCertificate(a, 1'750'000'000)->subject, "CN=a.example");
    EXPECT_EQ(parseCertificate(b, 1'750'000'000)->subject, "CN=b.example");
  }
  auto damaged = a;
  damaged.resize(damaged.size() / 2);
  EXPECT_FALSE(parseCertificate(damaged, 1'750'000'000));
  EXPECT_FALSE(parseCertificate(damaged, 1'750'000'000));  // failures are never cached
}

TEST(CertificateCache, ManyCertificatesEvictOldOnesAndStillDecodeCorrectly) {
  // More distinct certificates than the cache holds: the first ones are decoded again.
  std::vector<std::vector<std::uint8_t>> certs;
  for (int i = 0; i < 600; ++i) {
    const std::string cn = "host" + std::to_string(i) + ".example";
    certs.push_back(makeCertificate(cn.c_str(), 1'700'000'000, 1'800'000'000));
  }
  for (int round = 0; round < 2; ++round) {
    for (std::size_t i = 0; i < certs.size(); ++i) {
      auto info = parseCertificate(certs[i], 1'750'000'000);
      ASSERT_TRUE(info);
      EXPECT_EQ(info->subject, "CN=host" + std::to_string(i) + ".example");
    }
  }
}

}  // namespace
}  // namespace rdpscope::tls
