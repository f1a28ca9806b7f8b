// The diagnosis engine: facts -> stage reached, outcome, the diagnosis (first matching rule of
// the stage the connection died in, file order = priority) and observations (every matching
// observation rule). Deterministic: same facts and rules, same verdict.
#pragma once

#include <string>
#include <vector>

#include "model/connection.h"
#include "rules/facts.h"
#include "rules/rule_set.h"

namespace rdpscope::rules {

struct Verdict {
  model::Stage stage_reached = model::Stage::Tcp;
  std::string outcome;                    // success | failed | incomplete
  const Rule* diagnosis = nullptr;        // never null when the rule set validated
  std::vector<const Rule*> observations;
};

// True when every condition of `rule` holds on `facts`. Comparisons on an absent fact are false
// (including !=, in and not in); use `absent` to test for absence.
bool ruleMatches(const Rule& rule, const Facts& facts);

Verdict evaluate(const Facts& facts, const RuleSet& rules);

// The diagnosis object of the JSON contract for `rule` on `facts` (templates expanded, evidence
// with frame numbers).
model::Diagnosis renderDiagnosis(const Rule& rule, const Facts& facts);

// Reduces, evaluates and fills conn.{stage_reached, outcome, diagnosis, observations}.
void diagnose(model::Connection& conn, const RuleSet& rules);

}  // namespace rdpscope::rules
