#include "engine/keystore.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <openssl/bio.h>
#include <openssl/pem.h>

namespace rdpscope::engine {
namespace {

constexpr std::size_t kClientRandomLen = 32;  // RFC 5246 7.4.1.2 / RFC 8446 4.1.2 Random
constexpr std::size_t kMasterSecretLen = 48;  // RFC 5246 8.1
// Key files are small; a "key log" larger than this is not one (bounds memory).
constexpr std::size_t kMaxKeyFileBytes = 256u * 1024 * 1024;

void cleanse(Secret& s) {
  if (!s.empty()) {
    OPENSSL_cleanse(s.data(), s.size());
  }
}

int hexNibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool decodeHex(std::string_view hex, Secret& out) {
  if (hex.empty() || hex.size() % 2 != 0) {
    return false;
  }
  out.resize(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hexNibble(hex[2 * i]);
    const int lo = hexNibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      cleanse(out);
      out.clear();
      return false;
    }
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return true;
}

// Splits on spaces/tabs; returns up to 4 tokens.
std::vector<std::string_view> tokens(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size() && out.size() < 4) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::string where(std::string_view source, std::size_t line_no) {
  return std::string(source) + ":" + std::to_string(line_no);
}

// Warning when a secret file can be read by other users (issue 9: permissions checked).
std::string permissionWarning(const std::string& path, const char* what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return "";
  }
  if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return std::string(what) + " '" + path + "' is readable by group/others (mode " + mode +
           "); restrict it with: chmod 600 '" + path + "'";
  }
  return "";
}

bool readFile(const std::string& path, std::string& out, std::string& error, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::string("cannot read ") + what + " '" + path + "': " + std::strerror(errno);
    return false;
  }
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0 || static_cast<std::uint64_t>(size) > kMaxKeyFileBytes) {
    error = std::string(what) + " '" + path + "' is too large or not a regular file";
    return false;
  }
  in.seekg(0, std::ios::beg);
  out.resize(static_cast<std::size_t>(size));
  if (size > 0 && !in.read(out.data(), size)) {
    error = std::string("cannot read ") + what + " '" + path + "'";
    return false;
  }
  return true;
}

// "CLIENT_TRAFFIC_SECRET_3" -> 3; false if not a decimal suffix.
bool trafficIndex(std::string_view label, std::string_view prefix, std::size_t& index) {
  if (label.substr(0, prefix.size()) != prefix || label.size() == prefix.size() ||
      label.size() > prefix.size() + 4) {
    return false;
  }
  std::size_t v = 0;
  for (char c : label.substr(prefix.size())) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  index = v;
  return true;
}

}  // namespace

KeyStore::~KeyStore() {
  for (auto& [cr, s] : sessions_) {
    cleanse(s.master_secret);
    cleanse(s.client_handshake_traffic_secret);
    cleanse(s.server_handshake_traffic_secret);
    for (auto& t : s.client_traffic_secrets) cleanse(t);
    for (auto& t : s.server_traffic_secrets) cleanse(t);
  }
}

KeyStoreLoad KeyStore::parseKeyLog(std::string_view text, std::string_view source) {
  KeyStoreLoad result;
  auto store = std::make_unique<KeyStore>();
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto tok = tokens(line);
    if (tok.empty() || tok[0].front() == '#') {
      continue;  // blank line or comment (NSS key log format allows '#' comments)
    }
    const std::string_view label = tok[0];
    enum class Kind { Master, Chts, Shts, Cts, Sts, Ignored } kind = Kind::Ignored;
    std::size_t index = 0;
    if (label == "CLIENT_RANDOM") kind = Kind::Master;
    else if (label == "CLIENT_HANDSHAKE_TRAFFIC_SECRET") kind = Kind::Chts;
    else if (label == "SERVER_HANDSHAKE_TRAFFIC_SECRET") kind = Kind::Shts;
    else if (trafficIndex(label, "CLIENT_TRAFFIC_SECRET_", index)) kind = Kind::Cts;
    else if (trafficIndex(label, "SERVER_TRAFFIC_SECRET_", index)) kind = Kind::Sts;
    if (kind == Kind::Ignored) {
      // EXPORTER_SECRET, EARLY_EXPORTER_SECRET, CLIENT_EARLY_TRAFFIC_SECRET, RSA, ... : not
      // needed to read RDP sessions; ignored.
      continue;
    }
    if (tok.size() != 3) {
      result.error = where(source, line_no) + ": " + std::string(label) +
                     " line must have 3 fields (label, client random, secret), found " +
                     std::to_string(tok.size() > 3 ? 4 : tok.size()) + (tok.size() > 3 ? "+" : "");
      return result;
    }
    Secret client_random;
    if (!decodeHex(tok[1], client_random) || client_random.size() != kClientRandomLen) {
      result.error = where(source, line_no) + ": " + std::string(label) +
                     ": client random must be 64 hex digits (32 bytes), found " +
                     std::to_string(tok[1].size()) + " characters" +
                     (client_random.empty() && !tok[1].empty() && tok[1].size() % 2 == 0
                          ? " with a non-hex digit"
                          : "");
      return result;
    }
    Secret secret;
    if (!decodeHex(tok[2], secret)) {
      result.error = where(source, line_no) + ": " + std::string(label) +
                     ": secret is not an even number of hex digits (" +
                     std::to_string(tok[2].size()) + " characters)";
      return result;
    }
    // Lengths: master secret 48 (RFC 5246 8.1); TLS 1.3 secrets are Hash.length: 32 (SHA-256)
    // or 48 (SHA-384) (RFC 8446 7.1).
    if (kind == Kind::Master ? secret.size() != kMasterSecretLen
                             : (secret.size() != 32 && secret.size() != 48)) {
      const std::size_t got = secret.size();
      cleanse(secret);
      result.error = where(source, line_no) + ": " + std::string(label) + ": secret has " +
                     std::to_string(got) + " bytes, expected " +
                     (kind == Kind::Master ? "48" : "32 or 48");
      return result;
    }
    auto& s = store->sessions_[std::string(client_random.begin(), client_random.end())];
    switch (kind) {
      case Kind::Master: cleanse(s.master_secret); s.master_secret = std::move(secret); break;
      case Kind::Chts:
        cleanse(s.client_handshake_traffic_secret);
        s.client_handshake_traffic_secret = std::move(secret);
        break;
      case Kind::Shts:
        cleanse(s.server_handshake_traffic_secret);
        s.server_handshake_traffic_secret = std::move(secret);
        break;
      case Kind::Cts:
      case Kind::Sts: {
        auto& v = kind == Kind::Cts ? s.client_traffic_secrets : s.server_traffic_secrets;
        if (v.size() <= index) v.resize(index + 1);
        cleanse(v[index]);
        v[index] = std::move(secret);
        break;
      }
      case Kind::Ignored: break;
    }
  }
  result.store = std::move(store);
  return result;
}

std::string KeyStore::setRsaKeyPem(std::string_view pem, std::string_view source) {
  if (pem.size() > static_cast<std::size_t>(INT32_MAX)) {
    return "RSA key '" + std::string(source) + "' is too large";
  }
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) {
    return "cannot read RSA key '" + std::string(source) + "': out of memory";
  }
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) {
    return "cannot read RSA key '" + std::string(source) +
           "': not an unencrypted PEM private key (expected -----BEGIN PRIVATE KEY----- or "
           "-----BEGIN RSA PRIVATE KEY-----)";
  }
  if (EVP_PKEY_is_a(key, "RSA") != 1) {
    EVP_PKEY_free(key);
    return "RSA key '" + std::string(source) +
           "' is not an RSA key (only RSA key exchange can be decrypted with a server key)";
  }
  rsa_key_.reset(key);
  return "";
}

KeyStoreLoad KeyStore::load(const std::string& keylog_path, const std::string& rsa_key_path) {
  KeyStoreLoad result;
  std::vector<std::string> warnings;
  std::unique_ptr<KeyStore> store;
  if (!keylog_path.empty()) {
    std::string text;
    std::string error;
    if (!readFile(keylog_path, text, error, "key log")) {
      result.error = error;
      return result;
    }
    if (auto w = permissionWarning(keylog_path, "key log"); !w.empty()) warnings.push_back(w);
    KeyStoreLoad parsed = parseKeyLog(text, keylog_path);
    OPENSSL_cleanse(text.data(), text.size());
    if (!parsed.store) {
      result.error = "bad key log: " + parsed.error;
      return result;
    }
    store = std::move(parsed.store);
    if (store->sessionCount() == 0) {
      warnings.push_back("key log '" + keylog_path +
                         "' holds no CLIENT_RANDOM or TLS 1.3 traffic secret lines");
    }
  } else {
    store = std::make_unique<KeyStore>();
  }
  if (!rsa_key_path.empty()) {
    std::string pem;
    std::string error;
    if (!readFile(rsa_key_path, pem, error, "RSA key")) {
      result.error = error;
      return result;
    }
    if (auto w = permissionWarning(rsa_key_path, "RSA key"); !w.empty()) warnings.push_back(w);
    error = store->setRsaKeyPem(pem, rsa_key_path);
    OPENSSL_cleanse(pem.data(), pem.size());
    if (!error.empty()) {
      result.error = error;
      return result;
    }
  }
  result.store = std::move(store);
  result.warnings = std::move(warnings);
  return result;
}

}  // namespace rdpscope::engine
