// Value tables for CredSSP / NLA and the authentication protocols it carries: NTSTATUS and SSPI
// status codes (MS-ERREF), NTLM (MS-NLMP), Kerberos (RFC 4120), SPNEGO (RFC 4178), the RDP
// Early User Authorization Result (MS-RDPBCGR) and GSS-API mechanism OIDs.
#pragma once

#include <string_view>

#include "core/code_names.h"

namespace rdpscope::credssp {

// NTSTATUS values seen in TSRequest.errorCode and Windows logon failures (MS-ERREF 2.3.1).
CodeTable ntStatusCodes();

// SSPI SEC_E_* / SEC_I_* HRESULTs (MS-ERREF 2.1.1).
CodeTable secStatusCodes();

// TSCredentials.credType (MS-CSSP 2.2.1.2).
CodeTable credTypes();

// NTLM NEGOTIATE flags, one entry per bit (MS-NLMP 2.2.2.5).
CodeTable ntlmNegotiateFlags();

// NTLM AV_PAIR AvId (MS-NLMP 2.2.2.1).
CodeTable ntlmAvIds();

// NTLM MsvAvFlags bits (MS-NLMP 2.2.2.1).
CodeTable ntlmAvFlags();

// NTLM MessageType (MS-NLMP 2.2.1).
CodeTable ntlmMessageTypes();

// Kerberos error-code (RFC 4120 7.5.9, plus RFC 4556 and RFC 6113 additions).
CodeTable kerberosErrorCodes();

// Kerberos msg-type (RFC 4120 7.5.7).
CodeTable kerberosMessageTypes();

// Kerberos encryption types (RFC 3961, RFC 3962, RFC 4757, RFC 8009; IANA registry).
CodeTable kerberosEncTypes();

// SPNEGO NegTokenResp negState (RFC 4178 4.2.2).
CodeTable spnegoNegStates();

// Early User Authorization Result PDU authorizationResult (MS-RDPBCGR 2.2.10.2).
CodeTable earlyUserAuthResults();

// Human name of a GSS-API / SPNEGO mechanism OID in dotted form ("1.2.840.113554.1.2.2" ->
// "Kerberos"); empty when the OID is not known.
std::string_view mechanismName(std::string_view dotted_oid);

}  // namespace rdpscope::credssp
