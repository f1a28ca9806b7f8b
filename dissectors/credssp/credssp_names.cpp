#include "credssp/credssp_names.h"

#include <array>

namespace rdpscope::credssp {
namespace {

// MS-ERREF 2.3.1 NTSTATUS Values: the logon / authentication subset that CredSSP servers put in
// TSRequest.errorCode (MS-CSSP 2.2.1) and that Windows reports for failed logons.
constexpr CodeName kNtStatusCodes[] = {
    {0x00000000, "STATUS_SUCCESS", "Success"},
    {0xC0000001, "STATUS_UNSUCCESSFUL", "Operation failed (unspecified)"},
    {0xC0000002, "STATUS_NOT_IMPLEMENTED", "Requested operation not implemented"},
    {0xC000000D, "STATUS_INVALID_PARAMETER", "Invalid parameter"},
    {0xC0000022, "STATUS_ACCESS_DENIED", "Access denied"},
    {0xC0000023, "STATUS_BUFFER_TOO_SMALL", "Buffer too small"},
    {0xC0000044, "STATUS_QUOTA_EXCEEDED", "Quota exceeded"},
    {0xC000005E, "STATUS_NO_LOGON_SERVERS", "No domain controller available to service the logon"},
    {0xC000005F, "STATUS_NO_SUCH_LOGON_SESSION", "Logon session does not exist"},
    {0xC0000061, "STATUS_PRIVILEGE_NOT_HELD", "A required privilege is not held"},
    {0xC0000064, "STATUS_NO_SUCH_USER", "Account does not exist"},
    {0xC000006A, "STATUS_WRONG_PASSWORD",
     "Wrong password (usually reported as STATUS_LOGON_FAILURE)"},
    {0xC000006B, "STATUS_ILL_FORMED_PASSWORD", "Password is ill-formed"},
    {0xC000006C, "STATUS_PASSWORD_RESTRICTION", "Password update violates password policy"},
    {0xC000006D, "STATUS_LOGON_FAILURE", "Logon failed: unknown user name or bad password"},
    {0xC000006E, "STATUS_ACCOUNT_RESTRICTION",
     "Account restriction (blank password, Protected Users, policy)"},
    {0xC000006F, "STATUS_INVALID_LOGON_HOURS", "Logon outside the account's allowed hours"},
    {0xC0000070, "STATUS_INVALID_WORKSTATION",
     "Account not allowed to log on from this workstation"},
    {0xC0000071, "STATUS_PASSWORD_EXPIRED", "Password has expired"},
    {0xC0000072, "STATUS_ACCOUNT_DISABLED", "Account is disabled"},
    {0xC000009A, "STATUS_INSUFFICIENT_RESOURCES", "Insufficient system resources"},
    {0xC00000A7, "STATUS_BAD_VALIDATION_CLASS",
     "Authentication information not recognised by the package"},
    {0xC00000BB, "STATUS_NOT_SUPPORTED", "Request not supported"},
    {0xC00000DA, "STATUS_CANT_ACCESS_DOMAIN_INFO", "Domain information could not be accessed"},
    {0xC00000DF, "STATUS_NO_SUCH_DOMAIN", "Domain does not exist or cannot be contacted"},
    {0xC00000E5, "STATUS_INTERNAL_ERROR", "Internal error"},
    {0xC00000FE, "STATUS_NO_SUCH_PACKAGE", "Security package not recognised by the LSA"},
    {0xC0000133, "STATUS_TIME_DIFFERENCE_AT_DC",
     "Clock skew between this machine and the domain controller"},
    {0xC0000155, "STATUS_LOGON_NOT_GRANTED", "Logon request not granted"},
    {0xC000015B, "STATUS_LOGON_TYPE_NOT_GRANTED",
     "User not granted the requested logon type (network logon for NLA)"},
    {0xC000018C, "STATUS_TRUSTED_DOMAIN_FAILURE",
     "Trust relationship with the trusted domain failed"},
    {0xC000018D, "STATUS_TRUSTED_RELATIONSHIP_FAILURE",
     "Trust relationship between workstation and domain failed"},
    {0xC0000190, "STATUS_TRUST_FAILURE", "Network logon failed: trust failure"},
    {0xC0000192, "STATUS_NETLOGON_NOT_STARTED", "Netlogon service not started"},
    {0xC0000193, "STATUS_ACCOUNT_EXPIRED", "Account has expired"},
    {0xC0000196, "STATUS_REMOTE_SESSION_LIMIT", "Remote session limit reached"},
    {0xC0000198, "STATUS_NOLOGON_INTERDOMAIN_TRUST_ACCOUNT",
     "Interdomain trust account cannot log on"},
    {0xC0000199, "STATUS_NOLOGON_WORKSTATION_TRUST_ACCOUNT",
     "Workstation trust account cannot log on"},
    {0xC000019A, "STATUS_NOLOGON_SERVER_TRUST_ACCOUNT", "Server trust account cannot log on"},
    {0xC0000203, "STATUS_USER_SESSION_DELETED", "Remote user session was deleted"},
    {0xC0000224, "STATUS_PASSWORD_MUST_CHANGE", "User must change the password before first logon"},
    {0xC0000234, "STATUS_ACCOUNT_LOCKED_OUT", "Account is locked out"},
    {0xC0000259, "STATUS_LICENSE_QUOTA_EXCEEDED", "Service licence quota exceeded"},
    {0xC00002C3, "STATUS_MUTUAL_AUTHENTICATION_FAILED",
     "Mutual authentication failed (server password out of date at DC)"},
    {0xC00002F9, "STATUS_PKINIT_NAME_MISMATCH",
     "PKINIT: client certificate name does not match the user"},
    {0xC00002FA, "STATUS_SMARTCARD_LOGON_REQUIRED", "Account requires smart card logon"},
    {0xC00002FB, "STATUS_KDC_INVALID_REQUEST", "Invalid request sent to the KDC"},
    {0xC00002FC, "STATUS_KDC_UNABLE_TO_REFER", "KDC could not generate a referral"},
    {0xC00002FD, "STATUS_KDC_UNKNOWN_ETYPE", "Kerberos encryption type not supported by the KDC"},
    {0xC0000320, "STATUS_PKINIT_FAILURE", "Kerberos PKINIT (smart card) failure"},
    {0xC0000321, "STATUS_SMARTCARD_SUBSYSTEM_FAILURE", "Smart card subsystem failure"},
    {0xC0000322, "STATUS_NO_KERB_KEY", "No Kerberos key available"},
    {0xC0000380, "STATUS_SMARTCARD_WRONG_PIN", "Incorrect smart card PIN"},
    {0xC0000381, "STATUS_SMARTCARD_CARD_BLOCKED", "Smart card is blocked"},
    {0xC0000382, "STATUS_SMARTCARD_CARD_NOT_AUTHENTICATED",
     "No PIN was presented to the smart card"},
    {0xC0000383, "STATUS_SMARTCARD_NO_CARD", "No smart card available"},
    {0xC0000384, "STATUS_SMARTCARD_NO_KEY_CONTAINER", "Smart card key container not found"},
    {0xC0000385, "STATUS_SMARTCARD_NO_CERTIFICATE", "Smart card certificate not found"},
    {0xC0000386, "STATUS_SMARTCARD_NO_KEYSET", "Smart card keyset not found"},
    {0xC0000387, "STATUS_SMARTCARD_IO_ERROR", "Smart card communication error"},
    {0xC0000388, "STATUS_DOWNGRADE_DETECTED", "Authentication downgrade detected (SPNEGO)"},
    {0xC0000389, "STATUS_SMARTCARD_CERT_REVOKED", "Smart card certificate revoked"},
    {0xC000038A, "STATUS_ISSUING_CA_UNTRUSTED", "Untrusted CA in the smart card certificate chain"},
    {0xC000038B, "STATUS_REVOCATION_OFFLINE_C",
     "Revocation status of the smart card certificate unavailable"},
    {0xC000038C, "STATUS_PKINIT_CLIENT_FAILURE", "Smart card certificate not trusted"},
    {0xC000038D, "STATUS_SMARTCARD_CERT_EXPIRED", "Smart card certificate expired"},
    {0xC0000408, "STATUS_USER2USER_REQUIRED", "Kerberos user-to-user authentication required"},
    {0xC000040E, "STATUS_KDC_CERT_EXPIRED", "KDC certificate expired"},
    {0xC000040F, "STATUS_KDC_CERT_REVOKED", "KDC certificate revoked"},
    {0xC0000413, "STATUS_AUTHENTICATION_FIREWALL_FAILED",
     "Not allowed to authenticate to this machine (selective auth)"},
};

// MS-ERREF 2.1.1 HRESULT Values: SSPI SEC_E_* errors and SEC_I_* informational codes, as
// returned by InitializeSecurityContext / AcceptSecurityContext and shown by mstsc.
constexpr CodeName kSecStatusCodes[] = {
    {0x00000000, "SEC_E_OK", "Success"},
    {0x00090312, "SEC_I_CONTINUE_NEEDED", "More tokens must be exchanged (not an error)"},
    {0x00090313, "SEC_I_COMPLETE_NEEDED", "CompleteAuthToken must be called (not an error)"},
    {0x00090314, "SEC_I_COMPLETE_AND_CONTINUE", "Complete and continue (not an error)"},
    {0x80090300, "SEC_E_INSUFFICIENT_MEMORY", "Not enough memory"},
    {0x80090301, "SEC_E_INVALID_HANDLE", "Invalid handle"},
    {0x80090302, "SEC_E_UNSUPPORTED_FUNCTION",
     "Function not supported (mstsc: CredSSP encryption oracle dialog)"},
    {0x80090303, "SEC_E_TARGET_UNKNOWN", "Target unknown or unreachable (e.g. SPN not found)"},
    {0x80090304, "SEC_E_INTERNAL_ERROR", "Internal error (mstsc: LSA cannot be contacted)"},
    {0x80090305, "SEC_E_SECPKG_NOT_FOUND", "Security package not found"},
    {0x80090306, "SEC_E_NOT_OWNER", "Caller is not the owner of the credentials"},
    {0x80090307, "SEC_E_CANNOT_INSTALL", "Security package failed to initialise"},
    {0x80090308, "SEC_E_INVALID_TOKEN", "Token supplied to the function is invalid"},
    {0x80090309, "SEC_E_CANNOT_PACK", "Security package cannot marshal the logon buffer"},
    {0x8009030A, "SEC_E_QOP_NOT_SUPPORTED", "Per-message quality of protection not supported"},
    {0x8009030B, "SEC_E_NO_IMPERSONATION", "Security context does not allow impersonation"},
    {0x8009030C, "SEC_E_LOGON_DENIED", "Logon attempt failed"},
    {0x8009030D, "SEC_E_UNKNOWN_CREDENTIALS",
     "Credentials not recognised (also Schannel private key access failure)"},
    {0x8009030E, "SEC_E_NO_CREDENTIALS", "No credentials available in the security package"},
    {0x8009030F, "SEC_E_MESSAGE_ALTERED", "Message or signature altered (integrity check failed)"},
    {0x80090310, "SEC_E_OUT_OF_SEQUENCE", "Message received out of sequence"},
    {0x80090311, "SEC_E_NO_AUTHENTICATING_AUTHORITY",
     "No authority (domain controller) could be contacted"},
    {0x80090316, "SEC_E_BAD_PKGID", "Requested security package does not exist"},
    {0x80090317, "SEC_E_CONTEXT_EXPIRED", "Security context has expired"},
    {0x80090318, "SEC_E_INCOMPLETE_MESSAGE", "Incomplete message supplied"},
    {0x80090320, "SEC_E_INCOMPLETE_CREDENTIALS",
     "Credentials incomplete and could not be verified"},
    {0x80090321, "SEC_E_BUFFER_TOO_SMALL", "Buffer too small"},
    {0x80090322, "SEC_E_WRONG_PRINCIPAL",
     "Kerberos ticket for the wrong principal (SPN / DNS alias problem)"},
    {0x80090324, "SEC_E_TIME_SKEW", "Clock skew between client and server too large"},
    {0x80090325, "SEC_E_UNTRUSTED_ROOT", "Certificate chain issued by an untrusted authority"},
    {0x80090326, "SEC_E_ILLEGAL_MESSAGE",
     "Illegal TLS message received (often version / cipher mismatch)"},
    {0x80090327, "SEC_E_CERT_UNKNOWN", "Unknown error processing the certificate"},
    {0x80090328, "SEC_E_CERT_EXPIRED", "Received certificate has expired"},
    {0x80090329, "SEC_E_ENCRYPT_FAILURE", "Encryption failed"},
    {0x80090330, "SEC_E_DECRYPT_FAILURE", "Decryption failed"},
    {0x80090331, "SEC_E_ALGORITHM_MISMATCH", "No common algorithm (TLS: no common cipher suite)"},
    {0x80090332, "SEC_E_SECURITY_QOS_FAILED",
     "Requested security quality of service not available"},
    {0x80090333, "SEC_E_UNFINISHED_CONTEXT_DELETED",
     "Context deleted before the handshake completed"},
    {0x80090334, "SEC_E_NO_TGT_REPLY", "Kerberos user-to-user: no TGT reply"},
    {0x80090335, "SEC_E_NO_IP_ADDRESSES", "No IP addresses available for the Kerberos ticket"},
    {0x80090336, "SEC_E_WRONG_CREDENTIAL_HANDLE", "Wrong credential handle"},
    {0x80090337, "SEC_E_CRYPTO_SYSTEM_INVALID", "Crypto system or checksum function invalid"},
    {0x80090338, "SEC_E_MAX_REFERRALS_EXCEEDED", "Maximum Kerberos referrals exceeded"},
    {0x80090339, "SEC_E_MUST_BE_KDC", "Local machine must be a KDC"},
    {0x8009033A, "SEC_E_STRONG_CRYPTO_NOT_SUPPORTED", "Other end requires strong cryptography"},
    {0x8009033B, "SEC_E_TOO_MANY_PRINCIPALS", "KDC reply contained more than one principal name"},
    {0x8009033C, "SEC_E_NO_PA_DATA", "Expected Kerberos pre-authentication data not found"},
    {0x8009033D, "SEC_E_PKINIT_NAME_MISMATCH",
     "Client certificate name does not match the user name"},
    {0x8009033E, "SEC_E_SMARTCARD_LOGON_REQUIRED", "Smart card logon is required"},
    {0x8009033F, "SEC_E_SHUTDOWN_IN_PROGRESS", "System shutdown in progress"},
    {0x80090340, "SEC_E_KDC_INVALID_REQUEST", "Invalid request sent to the KDC"},
    {0x80090341, "SEC_E_KDC_UNABLE_TO_REFER", "KDC could not generate a referral"},
    {0x80090342, "SEC_E_KDC_UNKNOWN_ETYPE", "Kerberos encryption type not supported by the KDC"},
    {0x80090343, "SEC_E_UNSUPPORTED_PREAUTH", "Unsupported Kerberos pre-authentication mechanism"},
    {0x80090345, "SEC_E_DELEGATION_REQUIRED", "Delegation (forwardable ticket) required"},
    {0x80090346, "SEC_E_BAD_BINDINGS", "Channel bindings mismatch (TLS-terminating proxy?)"},
    {0x80090347, "SEC_E_MULTIPLE_ACCOUNTS", "Certificate maps to more than one account"},
    {0x80090348, "SEC_E_NO_KERB_KEY", "No Kerberos key available"},
    {0x80090349, "SEC_E_CERT_WRONG_USAGE", "Certificate not valid for the requested usage"},
    {0x80090350, "SEC_E_DOWNGRADE_DETECTED", "Downgrade detected; system may be under attack"},
    {0x80090351, "SEC_E_SMARTCARD_CERT_REVOKED", "Smart card certificate revoked"},
    {0x80090352, "SEC_E_ISSUING_CA_UNTRUSTED", "Untrusted CA in the smart card certificate chain"},
    {0x80090353, "SEC_E_REVOCATION_OFFLINE_C",
     "Revocation status of the smart card certificate unavailable"},
    {0x80090354, "SEC_E_PKINIT_CLIENT_FAILURE", "Smart card certificate not trusted"},
    {0x80090355, "SEC_E_SMARTCARD_CERT_EXPIRED", "Smart card certificate expired"},
    {0x80090356, "SEC_E_NO_S4U_PROT_SUPPORT", "Kerberos S4U protocol not supported"},
    {0x80090357, "SEC_E_CROSSREALM_DELEGATION_FAILURE", "Cross-realm delegation failure"},
    {0x80090358, "SEC_E_REVOCATION_OFFLINE_KDC",
     "Revocation status of the KDC certificate unavailable"},
    {0x80090359, "SEC_E_ISSUING_CA_UNTRUSTED_KDC", "Untrusted CA in the KDC certificate chain"},
    {0x8009035A, "SEC_E_KDC_CERT_EXPIRED", "KDC certificate expired"},
    {0x8009035B, "SEC_E_KDC_CERT_REVOKED", "KDC certificate revoked"},
    {0x8009035D, "SEC_E_INVALID_PARAMETER", "Invalid parameter"},
    {0x8009035E, "SEC_E_DELEGATION_POLICY",
     "Client delegation policy does not allow credentials to this target"},
    {0x8009035F, "SEC_E_POLICY_NLTM_ONLY",
     "Only NTLM possible but policy requires mutual authentication"},
    {0x80090361, "SEC_E_NO_CONTEXT", "Requested security context does not exist"},
    {0x80090362, "SEC_E_PKU2U_CERT_FAILURE", "PKU2U certificate failure"},
    {0x80090363, "SEC_E_MUTUAL_AUTH_FAILED",
     "Server identity could not be verified (mutual auth failed)"},
    {0x80090365, "SEC_E_ONLY_HTTPS_ALLOWED", "Only HTTPS is allowed"},
    {0x80090367, "SEC_E_APPLICATION_PROTOCOL_MISMATCH", "No common ALPN application protocol"},
};

// MS-CSSP 2.2.1.2 TSCredentials, credType.
constexpr CodeName kCredTypes[] = {
    {1, "TSPasswordCreds", "User name, domain and password are delegated"},
    {2, "TSSmartCardCreds", "Smart card PIN and card information are delegated"},
    {6, "TSRemoteGuardCreds", "Remote Credential Guard: no reusable credentials delegated"},
};

// MS-NLMP 2.2.2.5 NEGOTIATE, one entry per bit (letter in the spec's bit diagram in brackets).
constexpr CodeName kNtlmNegotiateFlags[] = {
    {0x00000001, "NTLMSSP_NEGOTIATE_UNICODE", "[A] Unicode character set"},
    {0x00000002, "NTLM_NEGOTIATE_OEM", "[B] OEM character set"},
    {0x00000004, "NTLMSSP_REQUEST_TARGET", "[C] TargetName must be supplied in the CHALLENGE"},
    {0x00000008, "r10", "Reserved; must be zero"},
    {0x00000010, "NTLMSSP_NEGOTIATE_SIGN", "[D] Session key for message signatures requested"},
    {0x00000020, "NTLMSSP_NEGOTIATE_SEAL", "[E] Session key for message confidentiality requested"},
    {0x00000040, "NTLMSSP_NEGOTIATE_DATAGRAM", "[F] Connectionless authentication"},
    {0x00000080, "NTLMSSP_NEGOTIATE_LM_KEY", "[G] LAN Manager session key computation"},
    {0x00000100, "r9", "Reserved; must be zero"},
    {0x00000200, "NTLMSSP_NEGOTIATE_NTLM", "[H] NTLM v1 session security"},
    {0x00000400, "r8", "Reserved; must be zero"},
    {0x00000800, "J", "[J] Anonymous connection; MS-NLMP gives this bit no symbolic name"},
    {0x00001000, "NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED", "[K] Domain name is supplied"},
    {0x00002000, "NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED", "[L] Workstation name is supplied"},
    {0x00004000, "r7", "Reserved; must be zero"},
    {0x00008000, "NTLMSSP_NEGOTIATE_ALWAYS_SIGN", "[M] Always sign, even without SIGN/SEAL"},
    {0x00010000, "NTLMSSP_TARGET_TYPE_DOMAIN", "[N] TargetName is a domain name"},
    {0x00020000, "NTLMSSP_TARGET_TYPE_SERVER", "[O] TargetName is a server name"},
    {0x00040000, "r6", "Reserved; must be zero"},
    {0x00080000, "NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY",
     "[P] NTLM v2 session security (extended session security)"},
    {0x00100000, "NTLMSSP_NEGOTIATE_IDENTIFY", "[Q] Identify-level token requested"},
    {0x00200000, "r5", "Reserved; must be zero"},
    {0x00400000, "NTLMSSP_REQUEST_NON_NT_SESSION_KEY", "[R] LMOWF session key requested"},
    {0x00800000, "NTLMSSP_NEGOTIATE_TARGET_INFO", "[S] TargetInfo (AV pairs) is present"},
    {0x01000000, "r4", "Reserved; must be zero"},
    {0x02000000, "NTLMSSP_NEGOTIATE_VERSION", "[T] Version field is present"},
    {0x04000000, "r3", "Reserved; must be zero"},
    {0x08000000, "r2", "Reserved; must be zero"},
    {0x10000000, "r1", "Reserved; must be zero"},
    {0x20000000, "NTLMSSP_NEGOTIATE_128", "[U] 128-bit session key"},
    {0x40000000, "NTLMSSP_NEGOTIATE_KEY_EXCH", "[V] Explicit key exchange"},
    {0x80000000, "NTLMSSP_NEGOTIATE_56", "[W] 56-bit encryption"},
};

// MS-NLMP 2.2.2.1 AV_PAIR, AvId.
constexpr CodeName kNtlmAvIds[] = {
    {0x0000, "MsvAvEOL", "End of the AV pair list"},
    {0x0001, "MsvAvNbComputerName", "Server NetBIOS computer name"},
    {0x0002, "MsvAvNbDomainName", "Server NetBIOS domain name"},
    {0x0003, "MsvAvDnsComputerName", "Server computer FQDN"},
    {0x0004, "MsvAvDnsDomainName", "Server domain FQDN"},
    {0x0005, "MsvAvDnsTreeName", "Forest FQDN"},
    {0x0006, "MsvAvFlags", "Flags (constrained auth, MIC present, untrusted SPN)"},
    {0x0007, "MsvAvTimestamp", "Server local time (FILETIME)"},
    {0x0008, "MsvAvSingleHost", "Single_Host_Data structure"},
    {0x0009, "MsvAvTargetName", "SPN of the target server (e.g. TERMSRV/host)"},
    {0x000A, "MsvAvChannelBindings", "MD5 hash of the TLS channel bindings"},
};

// MS-NLMP 2.2.2.1 AV_PAIR, MsvAvFlags bits (the spec names them only by meaning).
constexpr CodeName kNtlmAvFlags[] = {
    {0x00000001, "AV_FLAG_CONSTRAINED", "Account authentication is constrained; name not in spec"},
    {0x00000002, "AV_FLAG_MIC_PRESENT", "AUTHENTICATE carries a MIC; name not in spec"},
    {0x00000004, "AV_FLAG_UNTRUSTED_SPN",
     "MsvAvTargetName SPN came from an untrusted source; name not in spec"},
};

// MS-NLMP 2.2.1 NTLM messages, MessageType.
constexpr CodeName kNtlmMessageTypes[] = {
    {0x00000001, "NtLmNegotiate", "NEGOTIATE_MESSAGE (client)"},
    {0x00000002, "NtLmChallenge", "CHALLENGE_MESSAGE (server)"},
    {0x00000003, "NtLmAuthenticate", "AUTHENTICATE_MESSAGE (client)"},
};

// RFC 4120 section 7.5.9 Error Codes; 77-81 from RFC 4556 (PKINIT), 90-93 from RFC 6113 (FAST).
constexpr CodeName kKerberosErrorCodes[] = {
    {0, "KDC_ERR_NONE", "No error"},
    {1, "KDC_ERR_NAME_EXP", "Client's entry in the database has expired"},
    {2, "KDC_ERR_SERVICE_EXP", "Server's entry in the database has expired"},
    {3, "KDC_ERR_BAD_PVNO", "Requested protocol version number not supported"},
    {4, "KDC_ERR_C_OLD_MAST_KVNO", "Client's key encrypted in an old master key"},
    {5, "KDC_ERR_S_OLD_MAST_KVNO", "Server's key encrypted in an old master key"},
    {6, "KDC_ERR_C_PRINCIPAL_UNKNOWN", "Client not found in the Kerberos database (unknown user)"},
    {7, "KDC_ERR_S_PRINCIPAL_UNKNOWN",
     "Server not found in the database (no SPN, e.g. TERMSRV/<ip>)"},
    {8, "KDC_ERR_PRINCIPAL_NOT_UNIQUE",
     "Multiple principal entries in the database (duplicate SPN)"},
    {9, "KDC_ERR_NULL_KEY", "The client or server has a null key"},
    {10, "KDC_ERR_CANNOT_POSTDATE", "Ticket not eligible for postdating"},
    {11, "KDC_ERR_NEVER_VALID", "Requested start time is later than end time"},
    {12, "KDC_ERR_POLICY", "KDC policy rejects the request (logon hours, workstation, ...)"},
    {13, "KDC_ERR_BADOPTION", "KDC cannot accommodate the requested option"},
    {14, "KDC_ERR_ETYPE_NOSUPP", "KDC has no support for the encryption type"},
    {15, "KDC_ERR_SUMTYPE_NOSUPP", "KDC has no support for the checksum type"},
    {16, "KDC_ERR_PADATA_TYPE_NOSUPP", "KDC has no support for the padata type"},
    {17, "KDC_ERR_TRTYPE_NOSUPP", "KDC has no support for the transited type"},
    {18, "KDC_ERR_CLIENT_REVOKED", "Client's credentials revoked (disabled, locked out, expired)"},
    {19, "KDC_ERR_SERVICE_REVOKED", "Credentials for the server have been revoked"},
    {20, "KDC_ERR_TGT_REVOKED", "TGT has been revoked"},
    {21, "KDC_ERR_CLIENT_NOTYET", "Client not yet valid; try again later"},
    {22, "KDC_ERR_SERVICE_NOTYET", "Server not yet valid; try again later"},
    {23, "KDC_ERR_KEY_EXPIRED", "Password has expired; change it to reset"},
    {24, "KDC_ERR_PREAUTH_FAILED", "Pre-authentication information invalid (wrong password)"},
    {25, "KDC_ERR_PREAUTH_REQUIRED", "Additional pre-authentication required (normal first step)"},
    {26, "KDC_ERR_SERVER_NOMATCH", "Requested server and ticket don't match"},
    {27, "KDC_ERR_MUST_USE_USER2USER", "Server principal valid for user-to-user only"},
    {28, "KDC_ERR_PATH_NOT_ACCEPTED", "KDC policy rejects the transited path"},
    {29, "KDC_ERR_SVC_UNAVAILABLE", "A service is not available"},
    {31, "KRB_AP_ERR_BAD_INTEGRITY", "Integrity check on a decrypted field failed"},
    {32, "KRB_AP_ERR_TKT_EXPIRED", "Ticket expired"},
    {33, "KRB_AP_ERR_TKT_NYV", "Ticket not yet valid"},
    {34, "KRB_AP_ERR_REPEAT", "Request is a replay"},
    {35, "KRB_AP_ERR_NOT_US", "The ticket isn't for us"},
    {36, "KRB_AP_ERR_BADMATCH", "Ticket and authenticator don't match"},
    {37, "KRB_AP_ERR_SKEW", "Clock skew too great"},
    {38, "KRB_AP_ERR_BADADDR", "Incorrect net address"},
    {39, "KRB_AP_ERR_BADVERSION", "Protocol version mismatch"},
    {40, "KRB_AP_ERR_MSG_TYPE", "Invalid msg type"},
    {41, "KRB_AP_ERR_MODIFIED",
     "Message stream modified (wrong key: duplicate SPN, stale password)"},
    {42, "KRB_AP_ERR_BADORDER", "Message out of order"},
    {44, "KRB_AP_ERR_BADKEYVER", "Specified version of key is not available"},
    {45, "KRB_AP_ERR_NOKEY", "Service key not available"},
    {46, "KRB_AP_ERR_MUT_FAIL", "Mutual authentication failed"},
    {47, "KRB_AP_ERR_BADDIRECTION", "Incorrect message direction"},
    {48, "KRB_AP_ERR_METHOD", "Alternative authentication method required"},
    {49, "KRB_AP_ERR_BADSEQ", "Incorrect sequence number in message"},
    {50, "KRB_AP_ERR_INAPP_CKSUM", "Inappropriate type of checksum in message"},
    {51, "KRB_AP_PATH_NOT_ACCEPTED", "Policy rejects transited path"},
    {52, "KRB_ERR_RESPONSE_TOO_BIG", "Response too big for UDP; retry with TCP"},
    {60, "KRB_ERR_GENERIC", "Generic error (description in e-text)"},
    {61, "KRB_ERR_FIELD_TOOLONG", "Field is too long for this implementation"},
    {62, "KDC_ERROR_CLIENT_NOT_TRUSTED", "PKINIT: client certificate not trusted"},
    {63, "KDC_ERROR_KDC_NOT_TRUSTED", "PKINIT: KDC not trusted"},
    {64, "KDC_ERROR_INVALID_SIG", "PKINIT: invalid signature"},
    {65, "KDC_ERR_KEY_TOO_WEAK", "PKINIT: key too weak"},
    {66, "KDC_ERR_CERTIFICATE_MISMATCH", "PKINIT: certificate mismatch"},
    {67, "KRB_AP_ERR_NO_TGT", "No TGT available to validate USER-TO-USER"},
    {68, "KDC_ERR_WRONG_REALM", "Wrong realm (referral to another realm)"},
    {69, "KRB_AP_ERR_USER_TO_USER_REQUIRED", "Ticket must be for USER-TO-USER"},
    {70, "KDC_ERR_CANT_VERIFY_CERTIFICATE", "PKINIT: cannot verify certificate"},
    {71, "KDC_ERR_INVALID_CERTIFICATE", "PKINIT: invalid certificate"},
    {72, "KDC_ERR_REVOKED_CERTIFICATE", "PKINIT: revoked certificate"},
    {73, "KDC_ERR_REVOCATION_STATUS_UNKNOWN", "PKINIT: revocation status unknown"},
    {74, "KDC_ERR_REVOCATION_STATUS_UNAVAILABLE", "PKINIT: revocation status unavailable"},
    {75, "KDC_ERR_CLIENT_NAME_MISMATCH", "PKINIT: client name mismatch"},
    {76, "KDC_ERR_KDC_NAME_MISMATCH", "PKINIT: KDC name mismatch"},
    {77, "KDC_ERR_INCONSISTENT_KEY_PURPOSE", "PKINIT: inconsistent key purpose (RFC 4556)"},
    {78, "KDC_ERR_DIGEST_IN_CERT_NOT_ACCEPTED",
     "PKINIT: certificate digest not accepted (RFC 4556)"},
    {79, "KDC_ERR_PA_CHECKSUM_MUST_BE_INCLUDED", "PKINIT: paChecksum must be included (RFC 4556)"},
    {80, "KDC_ERR_DIGEST_IN_SIGNED_DATA_NOT_ACCEPTED",
     "PKINIT: signed-data digest not accepted (RFC 4556)"},
    {81, "KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED",
     "PKINIT: public key encryption not supported (RFC 4556)"},
    {90, "KDC_ERR_PREAUTH_EXPIRED", "Pre-authentication data expired (RFC 6113)"},
    {91, "KDC_ERR_MORE_PREAUTH_DATA_REQUIRED", "More pre-authentication data required (RFC 6113)"},
    {92, "KDC_ERR_PREAUTH_BAD_AUTHENTICATION_SET", "Bad pre-authentication set (RFC 6113)"},
    {93, "KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS", "Unknown critical FAST options (RFC 6113)"},
};

// RFC 4120 section 7.5.7 Kerberos Message Types.
constexpr CodeName kKerberosMessageTypes[] = {
    {10, "KRB_AS_REQ", "AS-REQ: request for an initial ticket (TGT)"},
    {11, "KRB_AS_REP", "AS-REP: response to AS-REQ"},
    {12, "KRB_TGS_REQ", "TGS-REQ: request for a service ticket"},
    {13, "KRB_TGS_REP", "TGS-REP: response to TGS-REQ"},
    {14, "KRB_AP_REQ", "AP-REQ: application request (ticket + authenticator)"},
    {15, "KRB_AP_REP", "AP-REP: application reply (mutual authentication)"},
    {16, "KRB_RESERVED16", "Reserved for user-to-user krb_tgt_request"},
    {17, "KRB_RESERVED17", "Reserved for user-to-user krb_tgt_reply"},
    {20, "KRB_SAFE", "KRB-SAFE: integrity-protected application message"},
    {21, "KRB_PRIV", "KRB-PRIV: encrypted application message"},
    {22, "KRB_CRED", "KRB-CRED: credential forwarding message"},
    {30, "KRB_ERROR", "KRB-ERROR: error response"},
};

// IANA Kerberos Encryption Type Numbers (RFC 3961 8, RFC 3962, RFC 4757, RFC 6803, RFC 8009).
constexpr CodeName kKerberosEncTypes[] = {
    {1, "des-cbc-crc", "DES-CBC-CRC (deprecated, RFC 6649)"},
    {2, "des-cbc-md4", "DES-CBC-MD4 (deprecated, RFC 6649)"},
    {3, "des-cbc-md5", "DES-CBC-MD5 (deprecated, RFC 6649)"},
    {5, "des3-cbc-md5", "Triple DES with MD5 (deprecated)"},
    {7, "des3-cbc-sha1", "Triple DES with SHA-1 (deprecated)"},
    {16, "des3-cbc-sha1-kd", "Triple DES with SHA-1, key derivation (deprecated, RFC 8429)"},
    {17, "aes128-cts-hmac-sha1-96", "AES-128 CTS with HMAC-SHA1-96 (RFC 3962)"},
    {18, "aes256-cts-hmac-sha1-96", "AES-256 CTS with HMAC-SHA1-96 (RFC 3962)"},
    {19, "aes128-cts-hmac-sha256-128", "AES-128 CTS with HMAC-SHA256-128 (RFC 8009)"},
    {20, "aes256-cts-hmac-sha384-192", "AES-256 CTS with HMAC-SHA384-192 (RFC 8009)"},
    {23, "rc4-hmac", "RC4-HMAC, NT hash key (RFC 4757; deprecated by RFC 8429)"},
    {24, "rc4-hmac-exp", "RC4-HMAC export variant (RFC 4757; deprecated)"},
    {25, "camellia128-cts-cmac", "Camellia-128 CTS with CMAC (RFC 6803)"},
    {26, "camellia256-cts-cmac", "Camellia-256 CTS with CMAC (RFC 6803)"},
};

// RFC 4178 section 4.2.2 NegTokenResp, negState.
constexpr CodeName kSpnegoNegStates[] = {
    {0, "accept-completed", "Negotiation completed successfully"},
    {1, "accept-incomplete", "More tokens are needed"},
    {2, "reject", "Negotiation rejected (no common mechanism or authentication failed)"},
    {3, "request-mic", "Acceptor requests a mechListMIC from the initiator"},
};

// MS-RDPBCGR 2.2.10.2 Early User Authorization Result PDU, authorizationResult.
constexpr CodeName kEarlyUserAuthResults[] = {
    {0x00000000, "AUTHZ_SUCCESS", "User has permission to access the server"},
    {0x00000005, "AUTHZ_ACCESS_DENIED",
     "User lacks permission (not in Remote Desktop Users / no RDS logon right)"},
};

struct OidName {
  std::string_view oid;
  std::string_view name;
};

// GSS-API mechanism OIDs: RFC 4178 (SPNEGO), RFC 4121 / RFC 1964 (Kerberos), MS-KILE 3.1.5.1
// (legacy MS Kerberos OID), MS-NLMP 1.9 (NTLM), MS-NEGOEX 1.9 (NEGOEX),
// draft-zhu-pku2u (PKU2U).
constexpr std::array<OidName, 7> kMechanisms = {{
    {"1.3.6.1.5.5.2", "SPNEGO"},
    {"1.2.840.113554.1.2.2", "Kerberos"},
    {"1.2.840.48018.1.2.2", "MS Kerberos (legacy OID)"},
    {"1.2.840.113554.1.2.2.3", "Kerberos user-to-user"},
    {"1.3.6.1.4.1.311.2.2.10", "NTLM"},
    {"1.3.6.1.4.1.311.2.2.30", "NEGOEX"},
    {"1.3.6.1.5.2.7", "PKU2U"},
}};

}  // namespace

CodeTable ntStatusCodes() { return kNtStatusCodes; }
CodeTable secStatusCodes() { return kSecStatusCodes; }
CodeTable credTypes() { return kCredTypes; }
CodeTable ntlmNegotiateFlags() { return kNtlmNegotiateFlags; }
CodeTable ntlmAvIds() { return kNtlmAvIds; }
CodeTable ntlmAvFlags() { return kNtlmAvFlags; }
CodeTable ntlmMessageTypes() { return kNtlmMessageTypes; }
CodeTable kerberosErrorCodes() { return kKerberosErrorCodes; }
CodeTable kerberosMessageTypes() { return kKerberosMessageTypes; }
CodeTable kerberosEncTypes() { return kKerberosEncTypes; }
CodeTable spnegoNegStates() { return kSpnegoNegStates; }
CodeTable earlyUserAuthResults() { return kEarlyUserAuthResults; }

std::string_view mechanismName(std::string_view dotted_oid) {
  for (const auto& mech : kMechanisms) {
    if (mech.oid == dotted_oid) {
      return mech.name;
    }
  }
  return {};
}

}  // namespace rdpscope::credssp
