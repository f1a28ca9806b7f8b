#include "x224/x224_names.h"

namespace rdpscope::x224 {
namespace {

// MS-RDPBCGR 2.2.1.2.2 RDP Negotiation Failure (RDP_NEG_FAILURE), failureCode.
constexpr CodeName kNegFailureCodes[] = {
    {0x00000001, "SSL_REQUIRED_BY_SERVER",
     "Server requires Enhanced RDP Security (TLS or CredSSP); client offered too little"},
    {0x00000002, "SSL_NOT_ALLOWED_BY_SERVER",
     "Server is configured for Standard RDP Security only; TLS/CredSSP refused"},
    {0x00000003, "SSL_CERT_NOT_ON_SERVER", "Server has no certificate to use for TLS"},
    {0x00000004, "INCONSISTENT_FLAGS", "Inconsistent flags in the client's RDP_NEG_REQ"},
    {0x00000005, "HYBRID_REQUIRED_BY_SERVER",
     "Server requires CredSSP (NLA); client did not offer PROTOCOL_HYBRID"},
    {0x00000006, "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER",
     "Server requires TLS with user authentication (client certificate)"},
};

// MS-RDPBCGR 2.2.1.1.1 RDP_NEG_REQ.requestedProtocols and 2.2.1.2.1 RDP_NEG_RSP.selectedProtocol.
constexpr CodeName kProtocols[] = {
    {0x00000000, "PROTOCOL_RDP", "Standard RDP Security (RC4/FIPS, no TLS)"},
    {0x00000001, "PROTOCOL_SSL", "TLS (Enhanced RDP Security without NLA)"},
    {0x00000002, "PROTOCOL_HYBRID", "CredSSP (NLA) over TLS"},
    {0x00000004, "PROTOCOL_RDSTLS", "RDSTLS (reconnect after server redirection)"},
    {0x00000008, "PROTOCOL_HYBRID_EX",
     "CredSSP over TLS followed by an Early User Authorization Result PDU"},
    {0x00000010, "PROTOCOL_RDSAAD", "RDS AAD Auth (Microsoft Entra ID sign-in)"},
};

// MS-RDPBCGR 2.2.1.1.1 RDP Negotiation Request (RDP_NEG_REQ), flags.
constexpr CodeName kNegReqFlags[] = {
    {0x01, "RESTRICTED_ADMIN_MODE_REQUIRED",
     "Client requires Restricted Admin mode (no credentials delegated)"},
    {0x02, "REDIRECTED_AUTHENTICATION_MODE_REQUIRED",
     "Client requires Remote Credential Guard (redirected authentication)"},
    {0x08, "CORRELATION_INFO_PRESENT", "An RDP_NEG_CORRELATION_INFO structure follows"},
};

// MS-RDPBCGR 2.2.1.2.1 RDP Negotiation Response (RDP_NEG_RSP), flags.
constexpr CodeName kNegRspFlags[] = {
    {0x01, "EXTENDED_CLIENT_DATA_SUPPORTED", "Server supports Extended Client Data Blocks"},
    {0x02, "DYNVC_GFX_PROTOCOL_SUPPORTED",
     "Server supports the Graphics Pipeline extension (MS-RDPEGFX)"},
    {0x04, "NEGRSP_FLAG_RESERVED", "Reserved; ignored"},
    {0x08, "RESTRICTED_ADMIN_MODE_SUPPORTED", "Server supports Restricted Admin mode"},
    {0x10, "REDIRECTED_AUTHENTICATION_MODE_SUPPORTED",
     "Server supports Remote Credential Guard (redirected authentication)"},
};

// MS-RDPBCGR 2.2.1.1.1, 2.2.1.1.2, 2.2.1.2.1 and 2.2.1.2.2: the type field of each structure.
constexpr CodeName kNegTypes[] = {
    {0x01, "TYPE_RDP_NEG_REQ", "RDP Negotiation Request (client)"},
    {0x02, "TYPE_RDP_NEG_RSP", "RDP Negotiation Response (server)"},
    {0x03, "TYPE_RDP_NEG_FAILURE", "RDP Negotiation Failure (server)"},
    {0x06, "TYPE_RDP_CORRELATION_INFO", "RDP Correlation Info (client, 16-byte correlation ID)"},
};

// ITU-T X.224 (ISO 8073) section 13, TPDU code (high nibble); the class 0 subset used by RDP
// (MS-RDPBCGR 2.2.1.1, 2.2.1.2, 2.2.2.x) plus ER.
constexpr CodeName kTpduCodes[] = {
    {0xE0, "CR", "Connection Request"},
    {0xD0, "CC", "Connection Confirm"},
    {0x80, "DR", "Disconnect Request"},
    {0xF0, "DT", "Data"},
    {0x70, "ER", "TPDU Error"},
};

// ITU-T X.224 (ISO 8073) section 13.5.3, DR TPDU reason field. X.224 gives descriptions only;
// the symbolic names are descriptive, not from the standard.
constexpr CodeName kDisconnectReasons[] = {
    {0x00, "REASON_NOT_SPECIFIED", "Reason not specified"},
    {0x01, "CONGESTION_AT_TSAP", "Congestion at TSAP"},
    {0x02, "SESSION_ENTITY_NOT_ATTACHED", "Session entity not attached to TSAP"},
    {0x03, "ADDRESS_UNKNOWN", "Address unknown"},
    {0x80, "NORMAL_DISCONNECT", "Normal disconnect initiated by the session entity"},
    {0x81, "REMOTE_CONGESTION_AT_CONNECT", "Remote transport entity congestion at connect time"},
    {0x82, "CONNECTION_NEGOTIATION_FAILED", "Connection negotiation failed"},
    {0x83, "DUPLICATE_SOURCE_REFERENCE", "Duplicate source reference for the same NSAP pair"},
    {0x84, "MISMATCHED_REFERENCES", "Mismatched references"},
    {0x85, "PROTOCOL_ERROR", "Protocol error"},
    {0x87, "REFERENCE_OVERFLOW", "Reference overflow"},
    {0x88, "CONNECTION_REQUEST_REFUSED", "Connection request refused on this network connection"},
    {0x8A, "HEADER_OR_PARAMETER_LENGTH_INVALID", "Header or parameter length invalid"},
};

}  // namespace

CodeTable negFailureCodes() { return kNegFailureCodes; }
CodeTable protocols() { return kProtocols; }
CodeTable negReqFlags() { return kNegReqFlags; }
CodeTable negRspFlags() { return kNegRspFlags; }
CodeTable negTypes() { return kNegTypes; }
CodeTable tpduCodes() { return kTpduCodes; }
CodeTable disconnectReasons() { return kDisconnectReasons; }

}  // namespace rdpscope::x224
