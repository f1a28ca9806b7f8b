// Checks for the wire-code value tables (dissectors/*/*_names.cpp).
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/code_names.h"
#include "credssp/credssp_names.h"
#include "mcs/mcs_names.h"
#include "rdp/rdp_names.h"
#include "tls/tls_names.h"
#include "udp/rdpeudp_names.h"
#include "x224/x224_names.h"

namespace rdpscope {
namespace {

struct NamedTable {
  std::string_view label;
  CodeTable table;
};

std::vector<NamedTable> allTables() {
  return {
      {"x224::negFailureCodes", x224::negFailureCodes()},
      {"x224::protocols", x224::protocols()},
      {"x224::negReqFlags", x224::negReqFlags()},
      {"x224::negRspFlags", x224::negRspFlags()},
      {"x224::negTypes", x224::negTypes()},
      {"x224::tpduCodes", x224::tpduCodes()},
      {"x224::disconnectReasons", x224::disconnectReasons()},
      {"mcs::results", mcs::results()},
      {"mcs::disconnectReasons", mcs::disconnectReasons()},
      {"mcs::domainPduTypes", mcs::domainPduTypes()},
      {"mcs::connectPduTags", mcs::connectPduTags()},
      {"rdp::errorInfoCodes", rdp::errorInfoCodes()},
      {"rdp::licenseMsgTypes", rdp::licenseMsgTypes()},
      {"rdp::licenseErrorCodes", rdp::licenseErrorCodes()},
      {"rdp::licenseStateTransitions", rdp::licenseStateTransitions()},
      {"rdp::shareControlPduTypes", rdp::shareControlPduTypes()},
      {"rdp::shareDataPduTypes", rdp::shareDataPduTypes()},
      {"rdp::controlActions", rdp::controlActions()},
      {"rdp::saveSessionInfoTypes", rdp::saveSessionInfoTypes()},
      {"rdp::logonErrorTypes", rdp::logonErrorTypes()},
      {"rdp::logonErrorData", rdp::logonErrorData()},
      {"rdp::capabilitySetTypes", rdp::capabilitySetTypes()},
      {"rdp::gccUserDataTypes", rdp::gccUserDataTypes()},
      {"rdp::rdpVersions", rdp::rdpVersions()},
      {"rdp::encryptionMethods", rdp::encryptionMethods()},
      {"rdp::encryptionLevels", rdp::encryptionLevels()},
      {"rdp::colorDepths", rdp::colorDepths()},
      {"rdp::highColorDepths", rdp::highColorDepths()},
      {"rdp::supportedColorDepths", rdp::supportedColorDepths()},
      {"rdp::keyboardTypes", rdp::keyboardTypes()},
      {"rdp::connectionTypes", rdp::connectionTypes()},
      {"rdp::clientEarlyCapabilityFlags", rdp::clientEarlyCapabilityFlags()},
      {"rdp::serverEarlyCapabilityFlags", rdp::serverEarlyCapabilityFlags()},
      {"rdp::securityHeaderFlags", rdp::securityHeaderFlags()},
      {"rdp::clientInfoFlags", rdp::clientInfoFlags()},
      {"rdp::certChainVersions", rdp::certChainVersions()},
      {"tls::alertDescriptions", tls::alertDescriptions()},
      {"tls::alertLevels", tls::alertLevels()},
      {"tls::contentTypes", tls::contentTypes()},
      {"tls::handshakeTypes", tls::handshakeTypes()},
      {"tls::protocolVersions", tls::protocolVersions()},
      {"tls::cipherSuites", tls::cipherSuites()},
      {"tls::extensionTypes", tls::extensionTypes()},
      {"tls::namedGroups", tls::namedGroups()},
      {"tls::signatureSchemes", tls::signatureSchemes()},
      {"credssp::ntStatusCodes", credssp::ntStatusCodes()},
      {"credssp::secStatusCodes", credssp::secStatusCodes()},
      {"credssp::credTypes", credssp::credTypes()},
      {"credssp::ntlmNegotiateFlags", credssp::ntlmNegotiateFlags()},
      {"credssp::ntlmAvIds", credssp::ntlmAvIds()},
      {"credssp::ntlmAvFlags", credssp::ntlmAvFlags()},
      {"credssp::ntlmMessageTypes", credssp::ntlmMessageTypes()},
      {"credssp::kerberosErrorCodes", credssp::kerberosErrorCodes()},
      {"credssp::kerberosMessageTypes", credssp::kerberosMessageTypes()},
      {"credssp::kerberosEncTypes", credssp::kerberosEncTypes()},
      {"credssp::spnegoNegStates", credssp::spnegoNegStates()},
      {"credssp::earlyUserAuthResults", credssp::earlyUserAuthResults()},
      {"rdpeudp::headerFlags", rdpeudp::headerFlags()},
      {"rdpeudp::protocolVersions", rdpeudp::protocolVersions()},
      {"rdpeudp::synExFlags", rdpeudp::synExFlags()},
      {"rdpeudp::ackVectorStates", rdpeudp::ackVectorStates()},
  };
}

// Walks every table: not empty, no duplicate codes, every entry has a name and a meaning.
TEST(NamesTables, EveryTableIsWellFormed) {
  for (const auto& [label, table] : allTables()) {
    SCOPED_TRACE(std::string(label));
    EXPECT_FALSE(table.empty());
    std::set<std::uint32_t> seen;
    for (const auto& entry : table) {
      EXPECT_TRUE(seen.insert(entry.code).second) << "duplicate code " << hexCode(entry.code);
      EXPECT_FALSE(entry.name.empty()) << "empty name for " << hexCode(entry.code);
      EXPECT_FALSE(entry.meaning.empty()) << "empty meaning for " << hexCode(entry.code);
      EXPECT_LE(entry.meaning.size(), 100u) << entry.name;
    }
  }
}

TEST(NamesTables, UnknownCodesPrintAsUnknown) {
  EXPECT_EQ(codeName(x224::negFailureCodes(), 0x99), "UNKNOWN(0x99)");
  EXPECT_EQ(codeName(mcs::results(), 16), "UNKNOWN(0x10)");
  EXPECT_EQ(codeName(rdp::errorInfoCodes(), 0x8), "UNKNOWN(0x8)");
  EXPECT_EQ(codeName(tls::cipherSuites(), 0x0047), "UNKNOWN(0x47)");
  EXPECT_EQ(codeName(credssp::ntStatusCodes(), 0xC0DEC0DE), "UNKNOWN(0xc0dec0de)");
  EXPECT_EQ(codeName(rdpeudp::headerFlags(), 0x2000), "UNKNOWN(0x2000)");
  EXPECT_EQ(codeMeaning(tls::alertDescriptions(), 255), "unknown code 0xff");
}

// findCode() searches large tables by binary search on a sorted index: it must return exactly the
// entry a front-to-back scan returns (the first of equal codes), for every table and every code
// in it, for codes just around them, and for a synthetic table with duplicates.
TEST(NamesTables, LookupAgreesWithAScanOnEveryTable) {
  auto scan = [](CodeTable t, std::uint32_t c) -> const CodeName* {
    for (const auto& e : t) if (e.code == c) return &e;
    return nullptr;
  };
  std::size_t large = 0;
  for (const auto& nt : allTables()) {
    large += nt.table.size() > 32 ? 1 : 0;
    for (const auto& e : nt.table) {
      for (const std::uint32_t c : {e.code, e.code - 1, e.code + 1}) {
        ASSERT_EQ(findCode(nt.table, c), scan(nt.table, c)) << nt.label << " code " << c;
      }
    }
    ASSERT_EQ(findCode(nt.table, 0xFFFFFFFFu), scan(nt.table, 0xFFFFFFFFu)) << nt.label;
  }
  EXPECT_GT(large, 0u);  // the binary-search path is exercised
  std::vector<CodeName> dup;
  for (std::uint32_t i = 0; i < 100; ++i) dup.push_back({(i * 37) % 50, i % 2 ? "odd" : "even", ""});
  const CodeTable t(dup);
  for (std::uint32_t c = 0; c < 60; ++c) EXPECT_EQ(findCode(t, c), scan(t, c)) << c;
}

TEST(X224Names, KnownCodes) {
  EXPECT_EQ(codeName(x224::negFailureCodes(), 1), "SSL_REQUIRED_BY_SERVER");
  EXPECT_EQ(codeName(x224::negFailureCodes(), 2), "SSL_NOT_ALLOWED_BY_SERVER");
  EXPECT_EQ(codeName(x224::negFailureCodes(), 5), "HYBRID_REQUIRED_BY_SERVER");
  EXPECT_EQ(codeName(x224::negFailureCodes(), 6), "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER");
  EXPECT_EQ(codeName(x224::protocols(), 0), "PROTOCOL_RDP");
  EXPECT_EQ(codeName(x224::protocols(), 8), "PROTOCOL_HYBRID_EX");
  EXPECT_EQ(codeName(x224::protocols(), 0x10), "PROTOCOL_RDSAAD");
  EXPECT_EQ(codeName(x224::negReqFlags(), 0x08), "CORRELATION_INFO_PRESENT");
  EXPECT_EQ(codeName(x224::negRspFlags(), 0x10), "REDIRECTED_AUTHENTICATION_MODE_SUPPORTED");
  EXPECT_EQ(codeName(x224::tpduCodes(), 0xD0), "CC");
}

TEST(McsNames, KnownCodes) {
  EXPECT_EQ(codeName(mcs::results(), 0), "rt-successful");
  EXPECT_EQ(codeName(mcs::results(), 14), "rt-unspecified-failure");
  EXPECT_EQ(codeName(mcs::disconnectReasons(), 1), "rn-provider-initiated");
  EXPECT_EQ(codeName(mcs::disconnectReasons(), 3), "rn-user-requested");
  EXPECT_EQ(codeName(mcs::domainPduTypes(), 8), "disconnectProviderUltimatum");
  EXPECT_EQ(codeName(mcs::domainPduTypes(), 15), "channelJoinConfirm");
  EXPECT_EQ(codeName(mcs::domainPduTypes(), 26), "sendDataIndication");
  EXPECT_EQ(codeName(mcs::connectPduTags(), 101), "Connect-Initial");
}

TEST(RdpNames, ErrorInfo) {
  const auto table = rdp::errorInfoCodes();
  EXPECT_EQ(codeName(table, 0x1), "ERRINFO_RPC_INITIATED_DISCONNECT");
  EXPECT_EQ(codeName(table, 0x9), "ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES");
  EXPECT_EQ(codeName(table, 0xC), "ERRINFO_LOGOFF_BY_USER");
  EXPECT_EQ(codeName(table, 0x1A), "ERRINFO_SERVER_REBOOT");
  EXPECT_EQ(codeName(table, 0x101), "ERRINFO_LICENSE_NO_LICENSE_SERVER");
  EXPECT_EQ(codeName(table, 0x10A), "ERRINFO_LICENSE_NO_REMOTE_CONNECTIONS");
  EXPECT_EQ(codeName(table, 0x410), "ERRINFO_CB_CONNECTION_ERROR_INVALID_SETTINGS");
  EXPECT_EQ(codeName(table, 0x10C9), "ERRINFO_UNKNOWNPDUTYPE2");
  EXPECT_EQ(codeName(table, 0x112F), "ERRINFO_GRAPHICSSUBSYSTEMFAILED");
  EXPECT_EQ(codeName(table, 0x1195), "ERRINFO_DECRYPTFAILED2");
  // Gaps the spec leaves on purpose.
  EXPECT_EQ(findCode(table, 0x10CC), nullptr);
  EXPECT_EQ(findCode(table, 0x401), nullptr);
}

TEST(RdpNames, LicensingAndShareHeaders) {
  EXPECT_EQ(codeName(rdp::licenseMsgTypes(), 0x01), "LICENSE_REQUEST");
  EXPECT_EQ(codeName(rdp::licenseMsgTypes(), 0xFF), "ERROR_ALERT");
  EXPECT_EQ(codeName(rdp::licenseErrorCodes(), 7), "STATUS_VALID_CLIENT");
  EXPECT_EQ(codeName(rdp::licenseErrorCodes(), 8), "ERR_INVALID_CLIENT");
  EXPECT_EQ(codeName(rdp::licenseStateTransitions(), 2), "ST_NO_TRANSITION");
  EXPECT_EQ(codeName(rdp::shareControlPduTypes(), 7), "PDUTYPE_DATAPDU");
  EXPECT_EQ(codeName(rdp::shareControlPduTypes(), 0xA), "PDUTYPE_SERVER_REDIR_PKT");
  EXPECT_EQ(codeName(rdp::shareDataPduTypes(), 47), "PDUTYPE2_SET_ERROR_INFO_PDU");
  EXPECT_EQ(codeName(rdp::shareDataPduTypes(), 40), "PDUTYPE2_FONTMAP");
  EXPECT_EQ(codeName(rdp::controlActions(), 4), "CTRLACTION_COOPERATE");
  EXPECT_EQ(codeName(rdp::saveSessionInfoTypes(), 3), "INFOTYPE_LOGON_EXTENDED_INFO");
  EXPECT_EQ(codeName(rdp::logonErrorData(), 0), "LOGON_FAILED_BAD_PASSWORD");
  EXPECT_EQ(codeName(rdp::logonErrorTypes(), 0xFFFFFFFE), "LOGON_MSG_SESSION_CONTINUE");
}

TEST(RdpNames, ConnectionSettings) {
  EXPECT_EQ(codeName(rdp::capabilitySetTypes(), 1), "CAPSTYPE_GENERAL");
  EXPECT_EQ(codeName(rdp::capabilitySetTypes(), 0x1D), "CAPSETTYPE_BITMAP_CODECS");
  EXPECT_EQ(codeName(rdp::gccUserDataTypes(), 0xC001), "CS_CORE");
  EXPECT_EQ(codeName(rdp::gccUserDataTypes(), 0x0C08), "SC_MULTITRANSPORT");
  EXPECT_EQ(codeName(rdp::encryptionMethods(), 0x10), "ENCRYPTION_METHOD_FIPS");
  EXPECT_EQ(codeName(rdp::encryptionLevels(), 4), "ENCRYPTION_LEVEL_FIPS");
  EXPECT_EQ(codeName(rdp::colorDepths(), 0xCA01), "RNS_UD_COLOR_8BPP");
  EXPECT_EQ(codeName(rdp::clientEarlyCapabilityFlags(), 1), "RNS_UD_CS_SUPPORT_ERRINFO_PDU");
  EXPECT_EQ(codeName(rdp::securityHeaderFlags(), 0x80), "SEC_LICENSE_PKT");
  EXPECT_EQ(codeName(rdp::clientInfoFlags(), 0x8000), "INFO_RAIL");
  EXPECT_EQ(codeName(rdp::certChainVersions(), 2), "CERT_CHAIN_VERSION_2");
  EXPECT_EQ(codeName(rdp::rdpVersions(), 0x00080004), "RDP_VERSION_5_PLUS");
}

TEST(TlsNames, KnownCodes) {
  EXPECT_EQ(codeName(tls::alertDescriptions(), 40), "handshake_failure");
  EXPECT_EQ(codeName(tls::alertDescriptions(), 80), "internal_error");
  EXPECT_EQ(codeName(tls::alertDescriptions(), 116), "certificate_required");
  EXPECT_EQ(codeName(tls::alertLevels(), 2), "fatal");
  EXPECT_EQ(codeName(tls::contentTypes(), 21), "alert");
  EXPECT_EQ(codeName(tls::handshakeTypes(), 8), "encrypted_extensions");
  EXPECT_EQ(codeName(tls::handshakeTypes(), 254), "message_hash");
  EXPECT_EQ(codeName(tls::protocolVersions(), 0x0301), "TLS 1.0");
  EXPECT_EQ(codeName(tls::protocolVersions(), 0x0304), "TLS 1.3");
  EXPECT_EQ(codeName(tls::cipherSuites(), 0xC030), "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
  EXPECT_EQ(codeName(tls::cipherSuites(), 0x1301), "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(codeName(tls::cipherSuites(), 0x00FF), "TLS_EMPTY_RENEGOTIATION_INFO_SCSV");
  EXPECT_EQ(codeName(tls::cipherSuites(), 0x3A3A), "GREASE");
  EXPECT_EQ(codeName(tls::extensionTypes(), 43), "supported_versions");
  EXPECT_EQ(codeName(tls::extensionTypes(), 0xFF01), "renegotiation_info");
  EXPECT_EQ(codeName(tls::namedGroups(), 29), "x25519");
  EXPECT_EQ(codeName(tls::signatureSchemes(), 0x0804), "rsa_pss_rsae_sha256");
}

TEST(TlsNames, CipherSuiteRegistryIsLarge) {
  // Every IANA assignment plus GREASE and a few historical non-IANA code points.
  EXPECT_GE(tls::cipherSuites().size(), 350u);
}

TEST(TlsNames, Grease) {
  for (std::uint32_t hi = 0x0A; hi <= 0xFA; hi += 0x10) {
    const auto value = static_cast<std::uint16_t>(hi << 8 | hi);
    EXPECT_TRUE(tls::isGrease(value)) << hexCode(value);
    EXPECT_EQ(codeName(tls::cipherSuites(), value), "GREASE");
  }
  EXPECT_FALSE(tls::isGrease(0x0A1A));
  EXPECT_FALSE(tls::isGrease(0x0B0B));
  EXPECT_FALSE(tls::isGrease(0xC030));
  EXPECT_FALSE(tls::isGrease(0x0000));
}

TEST(CredsspNames, StatusCodes) {
  EXPECT_EQ(codeName(credssp::ntStatusCodes(), 0xC000006D), "STATUS_LOGON_FAILURE");
  EXPECT_EQ(codeName(credssp::ntStatusCodes(), 0xC0000234), "STATUS_ACCOUNT_LOCKED_OUT");
  EXPECT_EQ(codeName(credssp::ntStatusCodes(), 0xC000015B), "STATUS_LOGON_TYPE_NOT_GRANTED");
  EXPECT_EQ(codeName(credssp::ntStatusCodes(), 0xC0000388), "STATUS_DOWNGRADE_DETECTED");
  EXPECT_EQ(codeName(credssp::secStatusCodes(), 0x8009030C), "SEC_E_LOGON_DENIED");
  EXPECT_EQ(codeName(credssp::secStatusCodes(), 0x80090324), "SEC_E_TIME_SKEW");
  EXPECT_EQ(codeName(credssp::secStatusCodes(), 0x80090302), "SEC_E_UNSUPPORTED_FUNCTION");
  EXPECT_EQ(codeName(credssp::earlyUserAuthResults(), 5), "AUTHZ_ACCESS_DENIED");
}

TEST(CredsspNames, NtlmKerberosSpnego) {
  EXPECT_EQ(codeName(credssp::ntlmNegotiateFlags(), 0x80000000), "NTLMSSP_NEGOTIATE_56");
  EXPECT_EQ(codeName(credssp::ntlmNegotiateFlags(), 0x00080000),
            "NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY");
  EXPECT_EQ(credssp::ntlmNegotiateFlags().size(), 32u);  // one entry per bit
  EXPECT_EQ(codeName(credssp::ntlmAvIds(), 9), "MsvAvTargetName");
  EXPECT_EQ(codeName(credssp::ntlmAvIds(), 10), "MsvAvChannelBindings");
  EXPECT_EQ(codeName(credssp::ntlmMessageTypes(), 3), "NtLmAuthenticate");
  EXPECT_EQ(codeName(credssp::kerberosErrorCodes(), 24), "KDC_ERR_PREAUTH_FAILED");
  EXPECT_EQ(codeName(credssp::kerberosErrorCodes(), 37), "KRB_AP_ERR_SKEW");
  EXPECT_EQ(codeName(credssp::kerberosErrorCodes(), 68), "KDC_ERR_WRONG_REALM");
  EXPECT_EQ(codeName(credssp::kerberosMessageTypes(), 30), "KRB_ERROR");
  EXPECT_EQ(codeName(credssp::kerberosEncTypes(), 23), "rc4-hmac");
  EXPECT_EQ(codeName(credssp::spnegoNegStates(), 2), "reject");
  EXPECT_EQ(codeName(credssp::credTypes(), 6), "TSRemoteGuardCreds");
}

TEST(CredsspNames, MechanismOids) {
  EXPECT_EQ(credssp::mechanismName("1.3.6.1.4.1.311.2.2.10"), "NTLM");
  EXPECT_EQ(credssp::mechanismName("1.2.840.113554.1.2.2"), "Kerberos");
  EXPECT_EQ(credssp::mechanismName("1.2.840.48018.1.2.2"), "MS Kerberos (legacy OID)");
  EXPECT_EQ(credssp::mechanismName("1.3.6.1.5.2.7"), "PKU2U");
  EXPECT_EQ(credssp::mechanismName("1.3.6.1.4.1.311.2.2.30"), "NEGOEX");
  EXPECT_EQ(credssp::mechanismName("1.3.6.1.5.5.2"), "SPNEGO");
  EXPECT_TRUE(credssp::mechanismName("1.2.3.4").empty());
  EXPECT_TRUE(credssp::mechanismName("").empty());
}

TEST(RdpeudpNames, KnownCodes) {
  EXPECT_EQ(codeName(rdpeudp::headerFlags(), 0x0001), "RDPUDP_FLAG_SYN");
  EXPECT_EQ(codeName(rdpeudp::headerFlags(), 0x0800), "RDPUDP_FLAG_CORRELATION_ID");
  EXPECT_EQ(codeName(rdpeudp::headerFlags(), 0x1000), "RDPUDP_FLAG_SYNEX");
  EXPECT_EQ(codeName(rdpeudp::protocolVersions(), 0x0101), "RDPUDP_PROTOCOL_VERSION_3");
}

}  // namespace
}  // namespace rdpscope
