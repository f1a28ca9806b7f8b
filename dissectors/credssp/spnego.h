// GSS-API tokens carried in CredSSP negoTokens: the RFC 2743 3.1 InitialContextToken wrapper,
// SPNEGO NegTokenInit / NegTokenResp (RFC 4178 4.2, [MS-SPNG] 2.2.1 NegTokenInit2) and Kerberos
// AP-REQ / AP-REP / KRB-ERROR (RFC 4120 5.5.1, 5.5.2, 5.9.1; RFC 4121 4.1 token ids). Only
// names, realms, types and codes are kept: tickets, authenticators, checksums and MICs are
// skipped, so no secret or replayable material can reach an output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_reader.h"
#include "credssp/ntlm.h"

namespace rdpscope::credssp {

/// Mechanism of a token, as recorded in the connection's credssp.mechanism.
enum class Mechanism : std::uint8_t { Unknown, Ntlm, Kerberos, Pku2u, Negoex, Spnego };

/// "ntlm", "kerberos", "pku2u", "negoex", "spnego", "unknown".
const char* mechanismKey(Mechanism m) noexcept;
/// Mechanism for a dotted OID (RFC 4178, RFC 4121, [MS-NLMP] 1.9, [MS-NEGOEX], PKU2U).
Mechanism mechanismFromOid(const std::string& oid) noexcept;

/// RFC 4120 5.2.2 PrincipalName.
struct KerberosPrincipal {
  std::int64_t name_type = 0;
  std::vector<std::string> names;
  std::string text() const;  // components joined by '/', e.g. "TERMSRV/host.example.com"
};

/// RFC 4120 5.10 application tags of the messages rdpscope reports.
namespace krb_msg {
inline constexpr std::uint32_t kAsReq = 10;
inline constexpr std::uint32_t kAsRep = 11;
inline constexpr std::uint32_t kTgsReq = 12;
inline constexpr std::uint32_t kTgsRep = 13;
inline constexpr std::uint32_t kApReq = 14;
inline constexpr std::uint32_t kApRep = 15;
inline constexpr std::uint32_t kError = 30;
}  // namespace krb_msg

/// One Kerberos message (only metadata is kept).
struct KerberosMessage {
  std::uint32_t msg_type = 0;  // application tag (krb_msg::*)
  bool gss_wrapped = false;    // came inside an RFC 2743 InitialContextToken
  std::string gss_oid;         // that wrapper's mechanism OID
  // AP-REQ (RFC 4120 5.5.1): ticket realm / sname / etypes, ap-options mutual-required.
  std::optional<std::string> realm;
  std::optional<KerberosPrincipal> sname;
  std::optional<std::int64_t> ticket_etype;
  std::optional<std::int64_t> enc_etype;  // authenticator (AP-REQ) or enc-part (AP-REP)
  bool mutual_required = false;
  // KRB-ERROR (RFC 4120 5.9.1).
  std::optional<std::int64_t> error_code;
  std::optional<std::string> stime;   // server time, KerberosTime "YYYYMMDDHHMMSSZ"
  std::optional<std::string> e_text;
};

struct GssToken;

/// RFC 4178 4.2.1 NegTokenInit / 4.2.2 NegTokenResp (+ [MS-SPNG] NegTokenInit2).
struct SpnegoToken {
  enum class Kind : std::uint8_t { Init, Resp };
  Kind kind = Kind::Init;
  bool gss_wrapped = false;              // inside [APPLICATION 0] with the SPNEGO OID
  std::vector<std::string> mech_types;   // dotted OIDs, in preference order (Init)
  std::optional<std::int64_t> neg_state; // Resp
  std::optional<std::string> supported_mech;  // Resp
  std::optional<std::uint32_t> inner_length;  // mechToken / responseToken length
  bool mech_list_mic = false;            // present (bytes never kept)
  std::vector<GssToken> inner;           // the parsed mechToken / responseToken (0 or 1)
};

/// What one negoToken holds.
struct GssToken {
  Mechanism mechanism = Mechanism::Unknown;
  std::string oid;  // mechanism OID of a GSS wrapper, when there is one
  std::optional<NtlmMessage> ntlm;
  std::optional<SpnegoToken> spnego;
  std::optional<KerberosMessage> kerberos;
};

/// SPNEGO token, bare NegotiationToken ([0]/[1]) or GSS-wrapped.
Result<SpnegoToken> parseSpnego(ByteView data, std::uint32_t base_offset = 0);
/// Kerberos AP-REQ / AP-REP / KRB-ERROR (and AS/TGS headers), bare or GSS-wrapped (RFC 4121
/// 4.1: OID then a 2-byte TOK_ID). Other application tags are Unsupported.
Result<KerberosMessage> parseKerberos(ByteView data, std::uint32_t base_offset = 0);
/// Any negoToken: NTLMSSP, SPNEGO, Kerberos or another GSS mechanism (then only the OID is
/// known). Bytes that match none of these yield Mechanism::Unknown, not an error.
Result<GssToken> parseGssToken(ByteView data, std::uint32_t base_offset = 0, int nesting = 0);

}  // namespace rdpscope::credssp
