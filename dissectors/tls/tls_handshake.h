// Parsers for TLS handshake message bodies (RFC 5246 7.4, RFC 8446 4) and the client
// fingerprints JA3 (Salesforce) and JA4 (FoxIO). Pure functions over untrusted bytes: every read
// goes through ByteReader; a body that contradicts itself is a ParseError, never a crash.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/byte_reader.h"
#include "model/event.h"

namespace rdpscope::tls {

// HandshakeType (RFC 8446 4, RFC 5246 7.4).
inline constexpr std::uint8_t kHsHelloRequest = 0;
inline constexpr std::uint8_t kHsClientHello = 1;
inline constexpr std::uint8_t kHsServerHello = 2;
inline constexpr std::uint8_t kHsNewSessionTicket = 4;
inline constexpr std::uint8_t kHsEndOfEarlyData = 5;
inline constexpr std::uint8_t kHsEncryptedExtensions = 8;
inline constexpr std::uint8_t kHsCertificate = 11;
inline constexpr std::uint8_t kHsServerKeyExchange = 12;
inline constexpr std::uint8_t kHsCertificateRequest = 13;
inline constexpr std::uint8_t kHsServerHelloDone = 14;
inline constexpr std::uint8_t kHsCertificateVerify = 15;
inline constexpr std::uint8_t kHsClientKeyExchange = 16;
inline constexpr std::uint8_t kHsFinished = 20;
inline constexpr std::uint8_t kHsKeyUpdate = 24;

// ExtensionType values used here (IANA TLS ExtensionType registry).
inline constexpr std::uint16_t kExtServerName = 0x0000;           // RFC 6066 3
inline constexpr std::uint16_t kExtSupportedGroups = 0x000A;      // RFC 8422 5.1.1 / RFC 8446
inline constexpr std::uint16_t kExtEcPointFormats = 0x000B;       // RFC 8422 5.1.2
inline constexpr std::uint16_t kExtSignatureAlgorithms = 0x000D;  // RFC 8446 4.2.3
inline constexpr std::uint16_t kExtAlpn = 0x0010;                 // RFC 7301
inline constexpr std::uint16_t kExtEncryptThenMac = 0x0016;       // RFC 7366
inline constexpr std::uint16_t kExtExtendedMasterSecret = 0x0017; // RFC 7627
inline constexpr std::uint16_t kExtSessionTicket = 0x0023;        // RFC 5077
inline constexpr std::uint16_t kExtSupportedVersions = 0x002B;    // RFC 8446 4.2.1
inline constexpr std::uint16_t kExtKeyShare = 0x0033;             // RFC 8446 4.2.8

// RFC 8446 4.1.3: the ServerHello.random of a HelloRetryRequest is SHA-256("HelloRetryRequest").
extern const std::array<std::uint8_t, 32> kHelloRetryRequestRandom;

struct Extension {
  std::uint16_t type = 0;
  ByteView data;
};

// RFC 8446 4.1.2 / RFC 5246 7.4.1.2.
struct ClientHello {
  std::uint16_t legacy_version = 0;
  std::array<std::uint8_t, 32> random{};
  ByteView session_id;
  std::vector<std::uint16_t> cipher_suites;
  std::vector<std::uint8_t> compression_methods;
  std::vector<Extension> extensions;  // in wire order
  // Decoded extensions
  std::string sni;                       // host_name of server_name, sanitized
  std::vector<std::string> alpn;         // protocol names, sanitized
  std::vector<std::uint16_t> supported_versions;
  std::vector<std::uint16_t> groups;
  std::vector<std::uint8_t> ec_point_formats;
  std::vector<std::uint16_t> signature_algorithms;
  bool has_session_ticket_ext = false;
  std::size_t session_ticket_len = 0;
  bool encrypt_then_mac = false;
  bool extended_master_secret = false;
};

// RFC 8446 4.1.3 / RFC 5246 7.4.1.3 (also HelloRetryRequest).
struct ServerHello {
  std::uint16_t legacy_version = 0;
  std::array<std::uint8_t, 32> random{};
  ByteView session_id;
  std::uint16_t cipher_suite = 0;
  std::uint8_t compression = 0;
  std::vector<Extension> extensions;
  std::uint16_t selected_version = 0;  // supported_versions extension, 0 when absent
  std::uint16_t key_share_group = 0;
  std::string alpn;
  bool encrypt_then_mac = false;
  bool extended_master_secret = false;
  bool hello_retry_request = false;
  // The negotiated version: supported_versions when present, else legacy_version.
  std::uint16_t version() const noexcept { return selected_version != 0 ? selected_version : legacy_version; }
};

Result<ClientHello> parseClientHello(ByteView body);
Result<ServerHello> parseServerHello(ByteView body);

// Certificate message (RFC 5246 7.4.2; TLS 1.3 adds a request context and per-entry
// extensions, RFC 8446 4.4.2). Returns the DER certificates in order (leaf first).
Result<std::vector<ByteView>> parseCertificateList(ByteView body, bool tls13);

// What rdpscope reports about one X.509 certificate (parsed with OpenSSL d2i_X509).
struct CertInfo {
  std::string subject;    // RFC 2253 one-line form, sanitized
  std::string issuer;
  std::string serial;     // hex, upper case
  std::string not_before;  // ISO 8601 UTC "2024-01-02T03:04:05Z"
  std::string not_after;
  std::int64_t not_before_epoch = 0;
  std::int64_t not_after_epoch = 0;
  bool expired = false;        // at capture time
  bool not_yet_valid = false;  // at capture time
  bool self_signed = false;    // issuer == subject and the signature verifies with its own key
  std::string key_type;        // RSA, EC, Ed25519, ...
  int key_bits = 0;
  std::string signature_algorithm;  // e.g. sha256WithRSAEncryption
  std::vector<std::string> san;     // DNS:..., IP:...
  bool server_auth_eku = false;     // EKU absent counts as "any purpose" => true
  bool has_eku = false;
  std::string sha256;               // fingerprint, lower-case hex of the DER
};
// `now_epoch`: capture time (seconds) for expired / not_yet_valid.
Result<CertInfo> parseCertificate(ByteView der, std::int64_t now_epoch);
model::Fields certInfoToJson(const CertInfo& info);

// JA3: "SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats" (GREASE removed)
// and its MD5 (salesforce/ja3).
std::string ja3String(const ClientHello& hello);
std::string ja3Hash(const ClientHello& hello);
// JA4 (FoxIO JA4 technical details): t<ver><d|i><nn ciphers><nn exts><alpn>_<hash>_<hash>.
std::string ja4(const ClientHello& hello);
// The two truncated SHA-256 parts of JA4 from their raw strings (exposed for tests).
std::string ja4TruncatedHash(std::string_view raw);

// Lower-case hex SHA-256 / MD5 via EVP (empty string on failure).
std::string sha256Hex(ByteView data);
std::string md5Hex(ByteView data);

// "TLS 1.2", "TLS 1.3", "SSL 3.0"..., or "UNKNOWN(0x....)" (the tls.version summary form).
std::string versionName(std::uint16_t version);
// Cipher suite name from the shared table (UNKNOWN(0x..) when absent).
std::string cipherName(std::uint16_t suite);

}  // namespace rdpscope::tls
