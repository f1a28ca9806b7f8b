// Value tables for the X.224 / RDP negotiation layer (MS-RDPBCGR 2.2.1.1 - 2.2.1.2, X.224).
#pragma once

#include "core/code_names.h"

namespace rdpscope::x224 {

// RDP_NEG_FAILURE.failureCode (MS-RDPBCGR 2.2.1.2.2).
CodeTable negFailureCodes();

// requestedProtocols / selectedProtocol bit values (MS-RDPBCGR 2.2.1.1.1, 2.2.1.2.1).
// PROTOCOL_RDP is 0 (no bits set); every other entry is a single bit.
CodeTable protocols();

// RDP_NEG_REQ.flags bits (MS-RDPBCGR 2.2.1.1.1).
CodeTable negReqFlags();

// RDP_NEG_RSP.flags bits (MS-RDPBCGR 2.2.1.2.1).
CodeTable negRspFlags();

// Negotiation structure type byte (MS-RDPBCGR 2.2.1.1.1, 2.2.1.1.2, 2.2.1.2.1, 2.2.1.2.2).
CodeTable negTypes();

// X.224 class 0 TPDU codes (high nibble of the code byte; X.224 section 13).
CodeTable tpduCodes();

// X.224 Disconnect Request reason (X.224 / ISO 8073 section 13.5.3).
CodeTable disconnectReasons();

}  // namespace rdpscope::x224
