// Value tables for T.125 MCS as used by RDP (MS-RDPBCGR 2.2.1.3 - 2.2.1.10, 2.2.2.3).
#pragma once

#include "core/code_names.h"

namespace rdpscope::mcs {

// T.125 Result enumeration (Connect-Response result, AttachUserConfirm, ChannelJoinConfirm, ...).
CodeTable results();

// T.125 Reason enumeration (DisconnectProviderUltimatum reason).
CodeTable disconnectReasons();

// T.125 DomainMCSPDU CHOICE index (the top 6 bits of the first PER byte).
CodeTable domainPduTypes();

// T.125 connect PDU BER application tags (Connect-Initial 101 ...).
CodeTable connectPduTags();

}  // namespace rdpscope::mcs
