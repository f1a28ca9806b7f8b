// CredSSP (NLA) stream dissector: fed the decrypted TLS plaintext of a HYBRID / HYBRID_EX
// connection (one instance for both directions; the caller routes bytes whose PDU starts with
// 0x30, the DER SEQUENCE of a TSRequest, [MS-CSSP] 2.2.1). It frames one DER TSRequest per call,
// emits credssp.* / spnego.* / ntlm.* / kerberos.* events (stage nla) and fills the connection's
// `credssp` summary object (docs/events.md). It never outputs NTLM/Kerberos responses, session
// keys, MICs or TSCredentials contents. `early_user_auth` is left to the RDP dissector.
#pragma once

#include "engine/dissector.h"

namespace rdpscope::credssp {

/// A fresh CredSSP dissector for one connection.
engine::DissectorPtr makeCredsspDissector();

}  // namespace rdpscope::credssp
