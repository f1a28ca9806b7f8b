// Detection of RDP on any port from the first client bytes (foundation issue, "RDP detection").
#pragma once

#include "core/byte_reader.h"

namespace rdpscope::rdp {

/// True when the bytes start with a TPKT version 3 header whose X.224 TPDU is a Connection
/// Request (code 0xE0): [MS-RDPBCGR] 2.2.1.1. Needs at least 6 bytes.
bool looksLikeRdpConnectionRequest(rdpscope::ByteView first_client_bytes);

}  // namespace rdpscope::rdp
