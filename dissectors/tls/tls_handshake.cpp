#include "tls/tls_handshake.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <list>
#include <memory>
#include <string_view>
#include <unordered_map>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/code_names.h"
#include "core/text.h"
#include "tls/tls_names.h"

namespace rdpscope::tls {

const std::array<std::uint8_t, 32> kHelloRetryRequestRandom = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

namespace {

// Reads `uint16 list<..>` of u16 values (cipher suites, groups, signature schemes).
Result<std::vector<std::uint16_t>> u16List(ByteReader& r, std::size_t len_bytes, const char* field) {
  std::size_t len = 0;
  if (len_bytes == 1) {
    RDPSCOPE_TRY(auto l, r.u8(field));
    len = l;
  } else {
    RDPSCOPE_TRY(auto l, r.u16be(field));
    len = l;
  }
  if (len % 2 != 0) return r.malformed(field);
  RDPSCOPE_TRY(auto sub, r.sub(len, field));
  std::vector<std::uint16_t> out;
  out.reserve(len / 2);
  while (!sub.empty()) {
    RDPSCOPE_TRY(auto v, sub.u16be(field));
    out.push_back(v);
  }
  return out;
}

Result<std::vector<Extension>> parseExtensions(ByteReader& r) {
  std::vector<Extension> out;
  if (r.empty()) return out;  // extensions are optional before TLS 1.3 (RFC 5246 7.4.1.2)
  RDPSCOPE_TRY(auto len, r.u16be("tls.hello.extensions_length"));
  RDPSCOPE_TRY(auto ext, r.sub(len, "tls.hello.extensions"));
  while (!ext.empty()) {
    Extension e;
    RDPSCOPE_TRY(e.type, ext.u16be("tls.extension.type"));
    RDPSCOPE_TRY(auto elen, ext.u16be("tls.extension.length"));
    RDPSCOPE_TRY(e.data, ext.bytes(elen, "tls.extension.data"));
    out.push_back(e);
  }
  return out;
}

std::string wireString(ByteView raw) {
  return sanitizeUtf8(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
}

// RFC 7301 3.1: ProtocolNameList.
Result<std::vector<std::string>> parseAlpn(ByteView data) {
  ByteReader r(data);
  RDPSCOPE_TRY(auto len, r.u16be("tls.alpn.length"));
  RDPSCOPE_TRY(auto list, r.sub(len, "tls.alpn.list"));
  std::vector<std::string> out;
  while (!list.empty()) {
    RDPSCOPE_TRY(auto n, list.u8("tls.alpn.name_length"));
    RDPSCOPE_TRY(auto name, list.bytes(n, "tls.alpn.name"));
    out.push_back(std::string(reinterpret_cast<const char*>(name.data()), name.size()));
  }
  return out;
}

Result<void> decodeClientExtensions(ClientHello& ch) {
  for (const auto& e : ch.extensions) {
    ByteReader r(e.data);
    switch (e.type) {
      case kExtServerName: {  // RFC 6066 3: ServerNameList
        if (e.data.empty()) break;  // a server's empty echo; never in a ClientHello but harmless
        RDPSCOPE_TRY(auto len, r.u16be("tls.sni.list_length"));
        RDPSCOPE_TRY(auto list, r.sub(len, "tls.sni.list"));
        while (!list.empty()) {
          RDPSCOPE_TRY(auto type, list.u8("tls.sni.name_type"));
          RDPSCOPE_TRY(auto nlen, list.u16be("tls.sni.name_length"));
          RDPSCOPE_TRY(auto name, list.bytes(nlen, "tls.sni.name"));
          if (type == 0 && ch.sni.empty()) ch.sni = wireString(name);
        }
        break;
      }
      case kExtSupportedGroups: {
        RDPSCOPE_TRY(ch.groups, u16List(r, 2, "tls.supported_groups"));
        break;
      }
      case kExtEcPointFormats: {  // RFC 8422 5.1.2
        RDPSCOPE_TRY(auto n, r.u8("tls.ec_point_formats.length"));
        RDPSCOPE_TRY(auto f, r.bytes(n, "tls.ec_point_formats"));
        ch.ec_point_formats.assign(f.begin(), f.end());
        break;
      }
      case kExtSignatureAlgorithms: {
        RDPSCOPE_TRY(ch.signature_algorithms, u16List(r, 2, "tls.signature_algorithms"));
        break;
      }
      case kExtAlpn: {
        RDPSCOPE_TRY(ch.alpn, parseAlpn(e.data));
        break;
      }
      case kExtSupportedVersions: {  // RFC 8446 4.2.1: ClientHello form, 1-byte length
        RDPSCOPE_TRY(ch.supported_versions, u16List(r, 1, "tls.supported_versions"));
        break;
      }
      case kExtSessionTicket:
        ch.has_session_ticket_ext = true;
        ch.session_ticket_len = e.data.size();
        break;
      case kExtEncryptThenMac: ch.encrypt_then_mac = true; break;
      case kExtExtendedMasterSecret: ch.extended_master_secret = true; break;
      default: break;
    }
  }
  return {};
}

std::string hex4(std::uint16_t v) {
  // By hand: JA4 formats every cipher suite and extension of every ClientHello (~45 per hello),
  // and snprintf cost ~2 % of a run.
  constexpr char kDigits[] = "0123456789abcdef";
  return {kDigits[(v >> 12) & 0xF], kDigits[(v >> 8) & 0xF], kDigits[(v >> 4) & 0xF], kDigits[v & 0xF]};
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

// `md_alg` is fetched once per algorithm (sha256Hex, md5Hex): an OpenSSL 3 fetch per digest
// costs more than hashing a ClientHello. Fetched algorithms are immutable and thread-safe. The
// digest context is kept per thread too: EVP_Digest makes and frees one (and its provider
// context) per call, three times the cost of hashing a ClientHello (issue 8).
std::string digestHex(const EVP_MD* md_alg, ByteView data) {
  thread_local const std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (md_alg == nullptr || !ctx) return "";
  if (EVP_DigestInit_ex2(ctx.get(), md_alg, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), md, &len) != 1) {
    return "";
  }
  return toHex(ByteView(md, len), len);
}

struct X509Free {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct BioFree {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};

std::string nameToString(const X509_NAME* name) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || name == nullptr) return "";
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  if (n <= 0 || data == nullptr) return "";
  return sanitizeUtf8(std::string_view(data, static_cast<std::size_t>(n)));
}

bool timeOf(const ASN1_TIME* t, std::int64_t& epoch, std::string& iso) {
  if (t == nullptr) return false;
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return false;
  epoch = static_cast<std::int64_t>(timegm(&tm));
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  iso = buf;
  return true;
}

}  // namespace

Result<ClientHello> parseClientHello(ByteView body) {
  ByteReader r(body);
  ClientHello ch;
  RDPSCOPE_TRY(ch.legacy_version, r.u16be("tls.client_hello.version"));
  RDPSCOPE_TRY(auto random, r.bytes(32, "tls.client_hello.random"));
  std::copy(random.begin(), random.end(), ch.random.begin());
  RDPSCOPE_TRY(auto sid_len, r.u8("tls.client_hello.session_id_length"));
  if (sid_len > 32) return r.malformed("tls.client_hello.session_id_length");
  RDPSCOPE_TRY(ch.session_id, r.bytes(sid_len, "tls.client_hello.session_id"));
  RDPSCOPE_TRY(ch.cipher_suites, u16List(r, 2, "tls.client_hello.cipher_suites"));
  RDPSCOPE_TRY(auto comp_len, r.u8("tls.client_hello.compression_length"));
  RDPSCOPE_TRY(auto comp, r.bytes(comp_len, "tls.client_hello.compression_methods"));
  ch.compression_methods.assign(comp.begin(), comp.end());
  RDPSCOPE_TRY(ch.extensions, parseExtensions(r));
  if (auto end = r.expectEnd("tls.client_hello.trailing"); !end) return tl::unexpected(end.error());
  if (auto dec = decodeClientExtensions(ch); !dec) return tl::unexpected(dec.error());
  return ch;
}

Result<ServerHello> parseServerHello(ByteView body) {
  ByteReader r(body);
  ServerHello sh;
  RDPSCOPE_TRY(sh.legacy_version, r.u16be("tls.server_hello.version"));
  RDPSCOPE_TRY(auto random, r.bytes(32, "tls.server_hello.random"));
  std::copy(random.begin(), random.end(), sh.random.begin());
  sh.hello_retry_request = sh.random == kHelloRetryRequestRandom;
  RDPSCOPE_TRY(auto sid_len, r.u8("tls.server_hello.session_id_length"));
  if (sid_len > 32) return r.malformed("tls.server_hello.session_id_length");
  RDPSCOPE_TRY(sh.session_id, r.bytes(sid_len, "tls.server_hello.session_id"));
  RDPSCOPE_TRY(sh.cipher_suite, r.u16be("tls.server_hello.cipher_suite"));
  RDPSCOPE_TRY(sh.compression, r.u8("tls.server_hello.compression_method"));
  RDPSCOPE_TRY(sh.extensions, parseExtensions(r));
  if (!r.empty()) return r.malformed("tls.server_hello.trailing");
  for (const auto& e : sh.extensions) {
    ByteReader er(e.data);
    switch (e.type) {
      case kExtSupportedVersions: {  // RFC 8446 4.2.1: ServerHello form, one version
        RDPSCOPE_TRY(sh.selected_version, er.u16be("tls.server_hello.supported_version"));
        break;
      }
      case kExtKeyShare: {  // RFC 8446 4.2.8: KeyShareEntry (SH) or selected_group (HRR)
        RDPSCOPE_TRY(sh.key_share_group, er.u16be("tls.server_hello.key_share_group"));
        break;
      }
      case kExtAlpn: {
        RDPSCOPE_TRY(auto names, parseAlpn(e.data));
        if (!names.empty()) sh.alpn = wireString(ByteView(
            reinterpret_cast<const std::uint8_t*>(names[0].data()), names[0].size()));
        break;
      }
      case kExtEncryptThenMac: sh.encrypt_then_mac = true; break;
      case kExtExtendedMasterSecret: sh.extended_master_secret = true; break;
      default: break;
    }
  }
  return sh;
}

Result<std::vector<ByteView>> parseCertificateList(ByteView body, bool tls13) {
  ByteReader r(body);
  if (tls13) {  // RFC 8446 4.4.2: opaque certificate_request_context<0..2^8-1>
    RDPSCOPE_TRY(auto ctx_len, r.u8("tls.certificate.context_length"));
    if (auto s = r.skip(ctx_len, "tls.certificate.context"); !s) return tl::unexpected(s.error());
  }
  RDPSCOPE_TRY(auto list_len, r.u24be("tls.certificate.list_length"));
  RDPSCOPE_TRY(auto list, r.sub(list_len, "tls.certificate.list"));
  if (!r.empty()) return r.malformed("tls.certificate.trailing");
  std::vector<ByteView> out;
  while (!list.empty()) {
    RDPSCOPE_TRY(auto len, list.u24be("tls.certificate.cert_length"));
    if (len == 0) return list.malformed("tls.certificate.cert_length");
    RDPSCOPE_TRY(auto der, list.bytes(len, "tls.certificate.cert"));
    out.push_back(der);
    if (tls13) {
      RDPSCOPE_TRY(auto ext_len, list.u16be("tls.certificate.extensions_length"));
      if (auto s = list.skip(ext_len, "tls.certificate.extensions"); !s) return tl::unexpected(s.error());
    }
  }
  return out;
}

namespace {

Result<CertInfo> decodeCertificate(ByteView der);

// Servers present the same certificate to every client, so a capture of many connections
// decodes the same DER again and again; OpenSSL 3's decoding (d2i, public-key decoder setup,
// the self-signature check) costs ~0.1 ms each. A per-thread cache keyed by the exact DER bytes
// keeps the result for the most recently seen certificates (a site's servers); only the
// capture-time fields are recomputed per use.
class CertificateCache {
 public:
  Result<CertInfo> lookupOrDecode(ByteView der) {
    const std::string_view key(reinterpret_cast<const char*>(der.data()), der.size());
    if (auto it = index_.find(key); it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);  // most recent first
      return it->second->info;
    }
    auto decoded = decodeCertificate(der);
    if (!decoded || der.size() > kMaxCachedDer) return decoded;  // failures are rare: not kept
    if (lru_.size() == kEntries) {
      index_.erase(std::string_view(lru_.back().der));
      lru_.pop_back();
    }
    lru_.push_front(Entry{std::string(key), *decoded});
    index_.emplace(std::string_view(lru_.front().der), lru_.begin());
    return decoded;
  }

 private:
  static constexpr std::size_t kEntries = 512;            // distinct server certificates kept
  static constexpr std::size_t kMaxCachedDer = 8 * 1024;  // bounds the cache at ~5 MiB
  struct Entry {
    std::string der;
    CertInfo info;
  };
  std::list<Entry> lru_;  // most recently used first; list nodes keep `der` at a fixed address
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;  // views into lru_
};

}  // namespace

Result<CertInfo> parseCertificate(ByteView der, std::int64_t now_epoch) {
  thread_local CertificateCache cache;
  auto info = cache.lookupOrDecode(der);
  if (!info) return info;
  info->expired = !info->not_after.empty() && now_epoch > info->not_after_epoch;
  info->not_yet_valid = !info->not_before.empty() && now_epoch < info->not_before_epoch;
  return info;
}

namespace {

Result<CertInfo> decodeCertificate(ByteView der) {
  if (der.size() > 0x7FFFFFFF) return parseError(ErrorKind::LimitExceeded, 0, "tls.certificate.der");
  const unsigned char* p = der.data();
  std::unique_ptr<X509, X509Free> x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x) return parseError(ErrorKind::Malformed, 0, "tls.certificate.der");
  CertInfo info;
  info.subject = nameToString(X509_get_subject_name(x.get()));
  info.issuer = nameToString(X509_get_issuer_name(x.get()));
  if (const ASN1_INTEGER* serial = X509_get0_serialNumber(x.get())) {
    if (BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr)) {
      if (char* hex = BN_bn2hex(bn)) {
        info.serial = hex;
        OPENSSL_free(hex);
      }
      BN_free(bn);
    }
  }
  timeOf(X509_get0_notBefore(x.get()), info.not_before_epoch, info.not_before);
  timeOf(X509_get0_notAfter(x.get()), info.not_after_epoch, info.not_after);
  info.self_signed = X509_self_signed(x.get(), 1) == 1;
  if (EVP_PKEY* key = X509_get0_pubkey(x.get())) {
    const char* type = nullptr;
    switch (EVP_PKEY_get_base_id(key)) {
      case EVP_PKEY_RSA: type = "RSA"; break;
      case EVP_PKEY_RSA_PSS: type = "RSA-PSS"; break;
      case EVP_PKEY_EC: type = "EC"; break;
      case EVP_PKEY_DSA: type = "DSA"; break;
      case EVP_PKEY_ED25519: type = "Ed25519"; break;
      case EVP_PKEY_ED448: type = "Ed448"; break;
      default: type = nullptr; break;
    }
    info.key_type = type != nullptr ? type : "unknown";
    info.key_bits = EVP_PKEY_get_bits(key);
  }
  const int sig_nid = X509_get_signature_nid(x.get());
  if (const char* ln = OBJ_nid2ln(sig_nid)) info.signature_algorithm = ln;
  if (auto* names = static_cast<GENERAL_NAMES*>(
          X509_get_ext_d2i(x.get(), NID_subject_alt_name, nullptr, nullptr))) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names) && i < 100; ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
      if (gn->type == GEN_DNS) {
        const ASN1_STRING* s = gn->d.dNSName;
        info.san.push_back("DNS:" + wireString(ByteView(ASN1_STRING_get0_data(s),
                                                         static_cast<std::size_t>(ASN1_STRING_length(s)))));
      } else if (gn->type == GEN_IPADD) {
        const ASN1_OCTET_STRING* ip = gn->d.iPAddress;
        const unsigned char* b = ASN1_STRING_get0_data(ip);
        const int n = ASN1_STRING_length(ip);
        char buf[64];
        if (n == 4) {
          std::snprintf(buf, sizeof buf, "IP:%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
          info.san.emplace_back(buf);
        } else {
          info.san.push_back("IP:" + toHex(ByteView(b, static_cast<std::size_t>(std::max(n, 0))), 16));
        }
      } else if (gn->type == GEN_EMAIL) {
        const ASN1_STRING* s = gn->d.rfc822Name;
        info.san.push_back("email:" + wireString(ByteView(ASN1_STRING_get0_data(s),
                                                           static_cast<std::size_t>(ASN1_STRING_length(s)))));
      }
    }
    GENERAL_NAMES_free(names);
  }
  const std::uint32_t flags = X509_get_extension_flags(x.get());
  info.has_eku = (flags & EXFLAG_XKUSAGE) != 0;
  info.server_auth_eku = info.has_eku && (X509_get_extended_key_usage(x.get()) & XKU_SSL_SERVER) != 0;
  info.sha256 = sha256Hex(der);
  return info;
}

}  // namespace

model::Fields certInfoToJson(const CertInfo& c) {
  model::Fields f = model::Fields::object();
  model::setMember(f, "subject", c.subject);
  model::setMember(f, "issuer", c.issuer);
  model::setMember(f, "serial", c.serial);
  model::setMember(f, "not_before", c.not_before);
  model::setMember(f, "not_after", c.not_after);
  model::setMember(f, "expired", c.expired);
  model::setMember(f, "not_yet_valid", c.not_yet_valid);
  model::setMember(f, "self_signed", c.self_signed);
  model::setMember(f, "key_type", c.key_type);
  model::setMember(f, "key_bits", c.key_bits);
  model::setMember(f, "signature_algorithm", c.signature_algorithm);
  model::setMember(f, "san", c.san);
  // null: the certificate has no EKU extension (valid for any purpose).
  model::setMember(f, "server_auth_eku",
                   c.has_eku ? model::Fields(c.server_auth_eku) : model::Fields(nullptr));
  model::setMember(f, "sha256", c.sha256);
  return f;
}

std::string sha256Hex(ByteView data) {
  static const EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return digestHex(sha256, data);
}
std::string md5Hex(ByteView data) {
  static const EVP_MD* const md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  return digestHex(md5, data);
}

std::string ja3String(const ClientHello& ch) {
  std::string s = std::to_string(ch.legacy_version) + ",";
  auto join = [&s](const auto& values) {
    bool first = true;
    for (auto v : values) {
      if (isGrease(static_cast<std::uint16_t>(v))) continue;
      if (!first) s += '-';
      s += std::to_string(v);
      first = false;
    }
  };
  join(ch.cipher_suites);
  s += ',';
  std::vector<std::uint16_t> ext;
  ext.reserve(ch.extensions.size());
  for (const auto& e : ch.extensions) ext.push_back(e.type);
  join(ext);
  s += ',';
  join(ch.groups);
  s += ',';
  bool first = true;  // point formats are 8-bit: no GREASE filtering
  for (auto f : ch.ec_point_formats) {
    if (!first) s += '-';
    s += std::to_string(f);
    first = false;
  }
  return s;
}

std::string ja3Hash(const ClientHello& ch) {
  const std::string s = ja3String(ch);
  return md5Hex(ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

std::string ja4TruncatedHash(std::string_view raw) {
  if (raw.empty()) return "000000000000";
  return sha256Hex(ByteView(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size())).substr(0, 12);
}

std::string ja4(const ClientHello& ch) {
  // Version: highest non-GREASE supported_versions value, else the legacy version.
  std::uint16_t version = 0;
  for (auto v : ch.supported_versions) {
    if (!isGrease(v)) version = std::max(version, v);
  }
  if (version == 0) version = ch.legacy_version;
  std::string ver;
  switch (version) {
    case 0x0304: ver = "13"; break;
    case 0x0303: ver = "12"; break;
    case 0x0302: ver = "11"; break;
    case 0x0301: ver = "10"; break;
    case 0x0300: ver = "s3"; break;
    case 0x0002: ver = "s2"; break;
    default: ver = "00"; break;
  }
  std::vector<std::uint16_t> ciphers;
  for (auto c : ch.cipher_suites) {
    if (!isGrease(c)) ciphers.push_back(c);
  }
  std::vector<std::uint16_t> exts;
  std::size_t ext_count = 0;
  for (const auto& e : ch.extensions) {
    if (isGrease(e.type)) continue;
    ++ext_count;
    if (e.type != kExtServerName && e.type != kExtAlpn) exts.push_back(e.type);
  }
  bool has_sni = false;
  for (const auto& e : ch.extensions) has_sni = has_sni || e.type == kExtServerName;
  std::string alpn = "00";
  if (!ch.alpn.empty() && !ch.alpn[0].empty()) {
    const std::string& a = ch.alpn[0];
    const auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
    if (alnum(a.front()) && alnum(a.back())) {
      alpn = std::string{a.front(), a.back()};
    } else {
      // Non-alphanumeric: first and last characters of the hex of the whole value.
      static constexpr char kHex[] = "0123456789abcdef";
      alpn = std::string{kHex[(static_cast<unsigned char>(a.front()) >> 4) & 0xF],
                         kHex[static_cast<unsigned char>(a.back()) & 0xF]};
    }
  }
  char counts[8];
  std::snprintf(counts, sizeof counts, "%02zu%02zu", std::min<std::size_t>(ciphers.size(), 99),
                std::min<std::size_t>(ext_count, 99));
  std::string a = std::string("t") + ver + (has_sni ? "d" : "i") + counts + alpn;

  std::sort(ciphers.begin(), ciphers.end());
  std::string b_raw;
  for (std::size_t i = 0; i < ciphers.size(); ++i) {
    if (i > 0) b_raw += ',';
    b_raw += hex4(ciphers[i]);
  }
  std::sort(exts.begin(), exts.end());
  std::string c_raw;
  for (std::size_t i = 0; i < exts.size(); ++i) {
    if (i > 0) c_raw += ',';
    c_raw += hex4(exts[i]);
  }
  std::string sigs;
  for (auto s : ch.signature_algorithms) {
    if (isGrease(s)) continue;
    if (!sigs.empty()) sigs += ',';
    sigs += hex4(s);
  }
  if (!sigs.empty() && !c_raw.empty()) c_raw += "_" + sigs;
  return a + "_" + ja4TruncatedHash(b_raw) + "_" + ja4TruncatedHash(c_raw);
}

std::string versionName(std::uint16_t version) {
  if (findCode(protocolVersions(), version) != nullptr) return codeName(protocolVersions(), version);
  char buf[24];
  std::snprintf(buf, sizeof buf, "UNKNOWN(0x%04x)", version);
  return buf;
}

std::string cipherName(std::uint16_t suite) { return codeName(cipherSuites(), suite); }

}  // namespace rdpscope::tls
