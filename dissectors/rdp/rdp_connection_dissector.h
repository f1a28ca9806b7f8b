// The per-TCP-connection RDP dissector (one instance for both directions): frames TPKT and
// fast-path PDUs, dissects the cleartext connection sequence through RdpHandler and hands every
// later byte to a TLS dissector once the X.224 Connection Confirm selects a TLS-based protocol
// (or when a direction starts with a TLS record, e.g. a capture that starts mid-connection).
// The TLS dissector's plaintext goes to PostTlsDissector, which shares RdpHandler's state.
#pragma once

#include "engine/dissector.h"

namespace rdpscope::rdp {

/// A fresh dissector for one TCP connection on an RDP port.
engine::DissectorPtr makeRdpConnectionDissector();

}  // namespace rdpscope::rdp
