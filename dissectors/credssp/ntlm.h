// NTLMSSP message grammar ([MS-NLMP] 2.2.1.1 NEGOTIATE, 2.2.1.2 CHALLENGE, 2.2.1.3 AUTHENTICATE).
// Pure parsing over untrusted bytes: identity and metadata only. By design these structs never
// hold the LM/NT challenge responses, the server challenge, the encrypted session key or the MIC
// — only their lengths and presence — so nothing downstream can print them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_reader.h"

namespace rdpscope::credssp {

/// [MS-NLMP] 2.2.1: "NTLMSSP\0".
inline constexpr std::uint8_t kNtlmSignature[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

/// [MS-NLMP] 2.2.1 MessageType.
enum class NtlmMessageType : std::uint32_t {
  Negotiate = 1,
  Challenge = 2,
  Authenticate = 3,
};

/// [MS-NLMP] 2.2.2.5 NEGOTIATE flags used by the parser itself.
namespace ntlm_flag {
inline constexpr std::uint32_t kUnicode = 0x00000001;        // NTLMSSP_NEGOTIATE_UNICODE
inline constexpr std::uint32_t kTargetInfo = 0x00800000;     // NTLMSSP_NEGOTIATE_TARGET_INFO
inline constexpr std::uint32_t kVersion = 0x02000000;        // NTLMSSP_NEGOTIATE_VERSION
}  // namespace ntlm_flag

/// [MS-NLMP] 2.2.2.1 AV_PAIR AvId values.
namespace av_id {
inline constexpr std::uint16_t kEol = 0;
inline constexpr std::uint16_t kNbComputerName = 1;
inline constexpr std::uint16_t kNbDomainName = 2;
inline constexpr std::uint16_t kDnsComputerName = 3;
inline constexpr std::uint16_t kDnsDomainName = 4;
inline constexpr std::uint16_t kDnsTreeName = 5;
inline constexpr std::uint16_t kFlags = 6;
inline constexpr std::uint16_t kTimestamp = 7;
inline constexpr std::uint16_t kSingleHost = 8;
inline constexpr std::uint16_t kTargetName = 9;
inline constexpr std::uint16_t kChannelBindings = 10;
}  // namespace av_id

/// [MS-NLMP] 2.2.2.1 MsvAvFlags bit 0x2: the AUTHENTICATE message carries a MIC.
inline constexpr std::uint32_t kMsvAvFlagMicPresent = 0x00000002;

/// [MS-NLMP] 2.2.2.10 VERSION.
struct NtlmVersion {
  std::uint8_t major = 0;
  std::uint8_t minor = 0;
  std::uint16_t build = 0;
  std::uint8_t ntlm_revision = 0;  // NTLMSSP_REVISION_W2K3 = 0x0F
  std::string text() const;        // "10.0.19041"
};

/// [MS-NLMP] 2.2.2.1 AV_PAIR list (target info), names decoded from UTF-16LE.
struct NtlmTargetInfo {
  std::vector<std::uint16_t> av_ids;  // in wire order, MsvAvEOL excluded
  std::optional<std::string> netbios_computer;
  std::optional<std::string> netbios_domain;
  std::optional<std::string> dns_computer;
  std::optional<std::string> dns_domain;
  std::optional<std::string> dns_tree;
  std::optional<std::uint32_t> flags;      // MsvAvFlags
  std::optional<std::uint64_t> timestamp;  // MsvAvTimestamp, FILETIME (100 ns since 1601)
  std::optional<std::string> target_name;  // MsvAvTargetName (SPN, e.g. TERMSRV/host)
  bool channel_bindings = false;           // MsvAvChannelBindings present (value not kept)
};

/// [MS-NLMP] 2.2.1.1 NEGOTIATE_MESSAGE.
struct NtlmNegotiate {
  std::uint32_t flags = 0;
  std::optional<std::string> domain;       // OEM, when NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED
  std::optional<std::string> workstation;  // OEM
  std::optional<NtlmVersion> version;
};

/// [MS-NLMP] 2.2.1.2 CHALLENGE_MESSAGE (ServerChallenge deliberately not kept).
struct NtlmChallenge {
  std::uint32_t flags = 0;
  std::string target_name;
  std::optional<NtlmTargetInfo> target_info;
  std::optional<NtlmVersion> version;
};

/// [MS-NLMP] 2.2.1.3 AUTHENTICATE_MESSAGE (responses, session key and MIC not kept).
struct NtlmAuthenticate {
  std::uint32_t flags = 0;
  std::string user;
  std::string domain;
  std::string workstation;
  std::uint16_t lm_response_length = 0;
  std::uint16_t nt_response_length = 0;
  std::uint16_t session_key_length = 0;
  bool anonymous = false;  // NtChallengeResponse empty (and LM empty or one zero byte), 3.3
  bool ntlm_v2 = false;    // NtChallengeResponse longer than 24 bytes ([MS-NLMP] 3.3.1 vs 3.3.2)
  bool mic_present = false;  // MsvAvFlags & 0x2 in the NTLMv2 client challenge's AV pairs
  std::optional<NtlmTargetInfo> client_target_info;  // AV pairs of NTLMv2_CLIENT_CHALLENGE
  std::optional<NtlmVersion> version;
};

struct NtlmMessage {
  NtlmMessageType type = NtlmMessageType::Negotiate;
  std::optional<NtlmNegotiate> negotiate;
  std::optional<NtlmChallenge> challenge;
  std::optional<NtlmAuthenticate> authenticate;
};

/// True when `data` starts with the NTLMSSP signature.
bool looksLikeNtlm(ByteView data) noexcept;

/// Parses one NTLMSSP message. `base_offset` is the absolute offset of data[0] for errors.
/// Errors name the field ("ntlm.authenticate.user_name"); out-of-bounds payload references are
/// Malformed, a message shorter than its fixed header is Truncated.
Result<NtlmMessage> parseNtlmMessage(ByteView data, std::uint32_t base_offset = 0);

/// Parses an AV_PAIR list ([MS-NLMP] 2.2.2.1); the list must end with MsvAvEOL.
Result<NtlmTargetInfo> parseAvPairs(ByteView data, std::uint32_t base_offset = 0);

/// Converts a FILETIME to ISO 8601 UTC ("2024-11-25T13:40:02Z"), or "" when out of range.
std::string filetimeToIso(std::uint64_t filetime);

}  // namespace rdpscope::credssp
