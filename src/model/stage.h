// The handshake stages every RDP connection moves through, in order ([MS-RDPBCGR] 1.3.1.1).
// The names are part of the JSON contract and the rule language.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace rdpscope::model {

enum class Stage : std::uint8_t {
  Tcp,
  Negotiation,       // X.224 Connection Request / Confirm
  Tls,               // TLS handshake (SSL, HYBRID, HYBRID_EX, RDSTLS)
  Nla,               // CredSSP (HYBRID, HYBRID_EX)
  EarlyAuth,         // Early User Authorization Result (HYBRID_EX)
  McsConnect,        // MCS Connect-Initial / Connect-Response with GCC blocks
  ChannelSetup,      // Erect Domain, Attach User, Channel Joins
  SecurityExchange,  // standard RDP security only
  ClientInfo,
  Licensing,
  Capabilities,      // Demand Active / Confirm Active
  Finalization,      // Synchronize, Control, Font List / Map
  Active,
};

inline constexpr int kStageCount = 13;

std::string_view stageName(Stage stage) noexcept;
std::optional<Stage> stageFromName(std::string_view name) noexcept;

}  // namespace rdpscope::model
