// Key log parsing: good lines, comments, unknown labels, bad hex, wrong lengths (errors carry
// file:line and never a secret), misses, and the permission warning.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "engine/keystore.h"

namespace rdpscope::engine {
namespace {

const std::string kCr(64, 'a');
const std::string kMaster(96, 'b');
const std::string kSecret32(64, 'c');

TEST(KeyStore, ParsesGoodLinesCommentsAndIgnoresOtherLabels) {
  const std::string text = "# comment\n\nCLIENT_RANDOM " + kCr + " " + kMaster + "\r\n" +
                           "CLIENT_HANDSHAKE_TRAFFIC_SECRET " + std::string(64, '1') + " " + kSecret32 + "\n" +
                           "SERVER_TRAFFIC_SECRET_0 " + std::string(64, '1') + " " + std::string(96, 'd') + "\n" +
                           "CLIENT_TRAFFIC_SECRET_2 " + std::string(64, '1') + " " + kSecret32 + "\n" +
                           "EXPORTER_SECRET " + std::string(64, '1') + " zz\n" + "RSA 0011 0022\n";
  auto r = KeyStore::parseKeyLog(text, "keys.log");
  ASSERT_TRUE(r.store) << r.error;
  EXPECT_EQ(r.store->sessionCount(), 2u);
  const std::vector<std::uint8_t> cr(32, 0xaa);
  const auto* s = r.store->find(cr);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->master_secret, std::vector<std::uint8_t>(48, 0xbb));
  const std::vector<std::uint8_t> cr2(32, 0x11);
  const auto* s2 = r.store->find(cr2);
  ASSERT_NE(s2, nullptr);
  EXPECT_TRUE(s2->hasTls13Handshake());
  EXPECT_EQ(s2->server_traffic_secrets.at(0).size(), 48u);
  EXPECT_EQ(s2->client_traffic_secrets.size(), 3u);
  EXPECT_TRUE(s2->client_traffic_secrets[0].empty());
  EXPECT_TRUE(r.store->missedClientRandoms().empty());
}

TEST(KeyStore, RemembersMissedClientRandoms) {
  auto r = KeyStore::parseKeyLog("CLIENT_RANDOM " + kCr + " " + kMaster + "\n", "k");
  ASSERT_TRUE(r.store);
  const std::vector<std::uint8_t> other(32, 0x01);
  EXPECT_EQ(r.store->find(other), nullptr);
  EXPECT_EQ(r.store->find(other), nullptr);
  const auto missed = r.store->missedClientRandoms();
  ASSERT_EQ(missed.size(), 1u);
  std::string expected;
  for (int i = 0; i < 32; ++i) expected += "01";
  EXPECT_EQ(missed[0], expected);
}

TEST(KeyStore, BadLinesGiveFileAndLine) {
  struct Case {
    std::string text;
    std::string expect;
  } cases[] = {
      {"\nCLIENT_RANDOM " + kCr.substr(2) + " " + kMaster + "\n", "k.log:2: CLIENT_RANDOM: client random must be 64 hex digits"},
      {"CLIENT_RANDOM " + std::string(62, 'a') + "zz " + kMaster + "\n", "k.log:1: CLIENT_RANDOM: client random must be 64 hex digits"},
      {"CLIENT_RANDOM " + kCr + " " + kMaster.substr(2) + "\n", "k.log:1: CLIENT_RANDOM: secret has 47 bytes, expected 48"},
      {"CLIENT_RANDOM " + kCr + " " + kMaster + "0\n", "k.log:1: CLIENT_RANDOM: secret is not an even number of hex digits"},
      {"# x\n# y\nSERVER_HANDSHAKE_TRAFFIC_SECRET " + kCr + " abcd\n", "k.log:3: SERVER_HANDSHAKE_TRAFFIC_SECRET: secret has 2 bytes, expected 32 or 48"},
      {"CLIENT_RANDOM " + kCr + "\n", "k.log:1: CLIENT_RANDOM line must have 3 fields"},
      {"CLIENT_RANDOM " + kCr + " " + std::string(94, 'b') + "xy\n", "k.log:1: CLIENT_RANDOM: secret is not an even number of hex digits"},
  };
  for (const auto& c : cases) {
    auto r = KeyStore::parseKeyLog(c.text, "k.log");
    EXPECT_FALSE(r.store);
    EXPECT_EQ(r.error.substr(0, c.expect.size()), c.expect) << r.error;
    // The error never repeats the secret.
    EXPECT_EQ(r.error.find(std::string(40, 'b')), std::string::npos);
  }
}

TEST(KeyStore, LoadWarnsWhenReadableByOthersAndReportsMissingFiles) {
  const std::string path = ::testing::TempDir() + "/rdpscope_keystore_test.log";
  {
    std::ofstream f(path);
    f << "CLIENT_RANDOM " << kCr << " " << kMaster << "\n";
  }
  ::chmod(path.c_str(), 0644);
  auto r = KeyStore::load(path, "");
  ASSERT_TRUE(r.store) << r.error;
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("readable by group/others"), std::string::npos);
  ::chmod(path.c_str(), 0600);
  r = KeyStore::load(path, "");
  ASSERT_TRUE(r.store);
  EXPECT_TRUE(r.warnings.empty());
  std::remove(path.c_str());

  r = KeyStore::load("/nonexistent/keys.log", "");
  EXPECT_FALSE(r.store);
  EXPECT_NE(r.error.find("cannot read key log '/nonexistent/keys.log'"), std::string::npos);
}

TEST(KeyStore, RsaKeyMustBePemRsa) {
  KeyStore ks;
  EXPECT_NE(ks.setRsaKeyPem("not a key", "k.pem").find("not an unencrypted PEM private key"),
            std::string::npos);
  EXPECT_EQ(ks.rsaKey(), nullptr);
}

}  // namespace
}  // namespace rdpscope::engine
