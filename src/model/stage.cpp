#include "model/stage.h"

#include <array>

namespace rdpscope::model {
namespace {
constexpr std::array<std::string_view, kStageCount> kNames = {
    "tcp",          "negotiation",  "tls",       "nla",          "early_auth",
    "mcs_connect",  "channel_setup", "security_exchange", "client_info", "licensing",
    "capabilities", "finalization", "active"};
}  // namespace

std::string_view stageName(Stage stage) noexcept {
  return kNames[static_cast<std::size_t>(stage)];
}

std::optional<Stage> stageFromName(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) {
      return static_cast<Stage>(i);
    }
  }
  return std::nullopt;
}

}  // namespace rdpscope::model
