// Fuzz target: the diagnosis rules file parser (src/rules/rule_set.h parseRules) and template
// expansion of every parsed cause.
#include <string_view>

#include "fuzz_common.h"
#include "rules/rule_set.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rdpscope;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto set = rules::parseRules(text, "fuzz.rules");
  if (set) {
    rules::Facts facts;
    for (const auto& r : set->rules) {
      (void)rules::expandTemplate(r.cause, facts);
      (void)rules::templateFacts(r.cause);
    }
  }
  (void)rules::templateFacts(text);
  return 0;
}
