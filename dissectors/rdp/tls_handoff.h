// Where the RDP dissector gets its TLS dissector from. Kept in one place so the switch from the
// local stub to dissectors/tls (rdpscope::tls::makeTlsDissector) is a one-line change.
#pragma once

#include "engine/dissector.h"

namespace rdpscope::rdp {

/// A TLS dissector for one connection that hands decrypted plaintext to `plaintext_consumer`.
engine::DissectorPtr makeTlsForRdp(engine::Dissector& plaintext_consumer);

/// A CredSSP dissector (one TSRequest per call), or a stub while dissectors/credssp is missing.
engine::DissectorPtr makeCredsspForRdp();

}  // namespace rdpscope::rdp
