// `rdpscope explain CODE [--extended CODE]` and `rdpscope rules`: answers without a capture.
// The Windows client code table is data (rules/client_codes.tsv, embedded); likely causes come
// from the rule catalogue (rules whose `client` line names the code).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "rules/rule_set.h"

namespace rdpscope::rules {

struct ClientCodeEntry {
  std::string table;    // disconnect | extended
  std::uint32_t value = 0;
  std::string name;
  std::string meaning;
  std::string stage;    // rdpscope stage name or "any"
  std::string status;   // documented | derived | undocumented
  std::string source;
  int line = 0;
};

// Parses the TSV table; errors name file:line.
tl::expected<std::vector<ClientCodeEntry>, std::string> parseClientCodes(std::string_view text,
                                                                         std::string_view file);
// The embedded rules/client_codes.tsv (empty on a build problem).
const std::vector<ClientCodeEntry>& clientCodes();

// "0x904", "0X904", "2308" -> 2308; nullopt when not a number.
std::optional<std::uint32_t> parseClientCode(std::string_view text);

// The answer for `rdpscope explain CODE [--extended EXT]` (multi-line text).
std::string explainClientCode(std::string_view code, std::optional<std::string_view> extended,
                              const RuleSet& rules);

// `rdpscope rules`: every rule with stage, kind, confidence, client codes, conditions and cause.
std::string listRules(const RuleSet& rules);

// `rdpscope rules --facts`: the fact catalogue.
std::string listFacts();

}  // namespace rdpscope::rules
