// Value tables the RDP dissector needs beyond dissectors/rdp/rdp_names.h: the short labels of
// the connection summary (the vocabulary of Zeek's rdp.log, so pipelines map it easily),
// keyboard layouts and client builds. Data only.
#pragma once

#include <cstdint>
#include <string>

#include "core/code_names.h"

namespace rdpscope::rdp {

/// Keyboard layout / language identifiers (Microsoft KLID / LCID, [MS-RDPBCGR] 2.2.1.3.2
/// keyboardLayout; names from Microsoft's "Windows language pack default values" list).
CodeTable keyboardLayouts();

/// Name of a keyboard layout: the exact KLID if known, else the language of its low 16 bits
/// with the full value ("Thai (layout 0x0004041e)"), else UNKNOWN(0x...).
std::string keyboardLayoutName(std::uint32_t klid);

/// Client build numbers of Microsoft's Remote Desktop client -> "RDP x.y".
CodeTable clientBuilds();
/// "RDP 8.1" for known builds, else "build <n>".
std::string clientBuildName(std::uint32_t build);

/// Summary labels (rdp.log vocabulary): encryption method "40bit" / "128bit" / "56bit" / "FIPS"
/// / "None"; level "None" / "Low" / "Client compatible" / "High" / "FIPS".
CodeTable encryptionMethodLabels();
CodeTable encryptionLevelLabels();
/// highColorDepth -> "4bit".."24bit"; requested depth is "32bit" when earlyCapabilityFlags has
/// RNS_UD_CS_WANT_32BPP_SESSION.
CodeTable highColorDepthLabels();

/// T.124 8.7 ConferenceCreateResponse result -> "Success", "User rejected", ...
CodeTable gccResults();

/// [MS-RDPBCGR] 2.2.1.3.5 cluster flags; 2.2.1.3.4.1 channel options; 2.2.1.3.6 monitor flags.
CodeTable clusterFlags();
CodeTable channelOptions();

}  // namespace rdpscope::rdp
