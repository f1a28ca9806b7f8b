// CredSSP message grammar ([MS-CSSP] 2.2.1 TSRequest, 2.2.1.2 TSCredentials). Pure parsing: the
// nego tokens are returned as views for spnego.h / ntlm.h; authInfo and pubKeyAuth are encrypted
// with the security context's session key ([MS-CSSP] 3.1.5), so only their lengths are kept.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/byte_reader.h"

namespace rdpscope::credssp {

/// Largest TSRequest the dissector will buffer: a Kerberos AP-REQ with a PAC-laden ticket can
/// reach ~12 KB (MaxTokenSize default 48 KB, [MS-KILE] 3.2.5.6 / KB 327825); 64 KiB bounds it.
inline constexpr std::size_t kMaxTsRequest = 64 * 1024;
/// negoTokens entries kept per TSRequest; real peers send exactly one.
inline constexpr std::size_t kMaxNegoTokens = 8;

struct NegoToken {
  ByteView data;            // negoToken OCTET STRING content
  std::uint32_t offset = 0; // absolute offset of data[0]
};

/// [MS-CSSP] 2.2.1 TSRequest.
struct TsRequest {
  std::int64_t version = 0;
  std::vector<NegoToken> nego_tokens;
  std::optional<std::uint32_t> auth_info_length;     // [2] authInfo, encrypted TSCredentials
  std::optional<std::uint32_t> pub_key_auth_length;  // [3] pubKeyAuth, encrypted
  std::optional<std::uint32_t> error_code;           // [4] errorCode (NTSTATUS), version >= 3
  std::optional<std::uint32_t> client_nonce_length;  // [5] clientNonce, version >= 5
};

/// [MS-CSSP] 2.2.1.2 TSCredentials (only meaningful on plaintext, which the wire never shows:
/// the password/smart-card credentials are never decoded, only credType).
struct TsCredentials {
  std::int64_t cred_type = 0;  // 1 password, 2 smart card, 6 remote guard
  std::uint32_t credentials_length = 0;
};

/// Total length of the DER TSRequest starting at data[0] (header + content) once its header is
/// complete; Truncated while the header is incomplete; Malformed when it does not start with a
/// SEQUENCE; LimitExceeded above kMaxTsRequest.
Result<std::size_t> tsRequestLength(ByteView data);

/// Parses exactly one TSRequest filling `data` (trailing bytes are Malformed).
Result<TsRequest> parseTsRequest(ByteView data, std::uint32_t base_offset = 0);

Result<TsCredentials> parseTsCredentials(ByteView data, std::uint32_t base_offset = 0);

}  // namespace rdpscope::credssp
