// Value tables for the RDP UDP transport (MS-RDPEUDP, MS-RDPEUDP2).
#pragma once

#include "core/code_names.h"

namespace rdpscope::rdpeudp {

// RDPUDP_FEC_HEADER uFlags bits (MS-RDPEUDP 2.2.2.1).
CodeTable headerFlags();

// RDPUDP_SYNDATAEX_PAYLOAD uUdpVer (MS-RDPEUDP 2.2.2.9).
CodeTable protocolVersions();

// RDPUDP_SYNDATAEX_PAYLOAD uSynExFlags bits (MS-RDPEUDP 2.2.2.9).
CodeTable synExFlags();

// ACK vector element state, top 2 bits of each element (MS-RDPEUDP 2.2.1.1).
CodeTable ackVectorStates();

}  // namespace rdpscope::rdpeudp
