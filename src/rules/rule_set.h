// Rules as data: the parser and validator of the line-oriented rule language (docs/rules.md),
// and the in-memory RuleSet the engine evaluates. The default rules (rules/rdp.rules) are
// embedded in the binary; `--rules FILE` replaces them. Every error names `file:line`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "model/stage.h"
#include "rules/facts.h"

namespace rdpscope::rules {

enum class Op : std::uint8_t {
  Eq, Ne, Lt, Gt, Le, Ge, Present, Absent, In, NotIn, Contains, NotContains
};

std::string_view opName(Op op) noexcept;

struct Condition {
  std::string fact;
  FactId fact_id = kNoFact;       // fact's catalogue id, resolved when the rule is parsed
  Op op = Op::Present;
  std::vector<FactValue> values;  // one for comparisons / contains, several for in / not in
  std::string text;               // the condition as written, for `rdpscope rules`
  int line = 0;
};

struct ClientCode {
  std::string code;      // "0x904", or a template such as "{rdp.error_info_value}"; "" = unknown
  std::string extended;  // "0x7" or template; "" = unknown
  std::string message;   // what the Windows client says (may be "")
};

enum class RuleKind : std::uint8_t { Diagnosis, Observation };

struct Rule {
  std::string id;
  std::optional<model::Stage> stage;  // nullopt = "any" (only for observations and early rules)
  RuleKind kind = RuleKind::Diagnosis;
  std::vector<Condition> conditions;  // ANDed
  std::string cause;                  // template: {fact} is replaced by the fact's value
  std::optional<ClientCode> client;
  std::string confidence;             // high | medium | low
  std::vector<std::string> evidence;  // fact names; default: the facts of the conditions
  std::vector<std::string> remediation;
  std::string reference;
  std::string file;
  int line = 0;

  bool isCatchAll() const { return kind == RuleKind::Diagnosis && stage && conditions.empty(); }
};

struct RuleSet {
  std::vector<Rule> rules;  // file order = priority order
  std::string source;       // file name the rules came from ("rdp.rules (built in)" or a path)

  const Rule* find(std::string_view id) const;
};

// Parses and validates rules text. `file` is used in error messages ("file:line: message").
tl::expected<RuleSet, std::string> parseRules(std::string_view text, std::string_view file);

// The rules embedded in the binary (rules/rdp.rules).
tl::expected<RuleSet, std::string> loadDefaultRules();

// Reads and parses a rules file (for --rules FILE).
tl::expected<RuleSet, std::string> loadRulesFile(const std::string& path);

// Expands {fact} and {fact:hex} references with the facts' values ("?" when absent).
std::string expandTemplate(std::string_view tmpl, const Facts& facts);

// Fact names referenced by a template, in order.
std::vector<std::string> templateFacts(std::string_view tmpl);

}  // namespace rdpscope::rules
