#include "rules/engine.h"

#include <algorithm>
#include <utility>

namespace rdpscope::rules {

namespace {

// -1, 0, 1 or nullopt when the two values are not comparable.
std::optional<int> compare(const FactValue& a, const FactValue& b) {
  if (a.index() != b.index()) {
    return std::nullopt;
  }
  if (const auto* x = std::get_if<bool>(&a)) {
    const bool y = std::get<bool>(b);
    return *x == y ? 0 : (*x ? 1 : -1);
  }
  if (const auto* x = std::get_if<std::int64_t>(&a)) {
    const auto y = std::get<std::int64_t>(b);
    return *x == y ? 0 : (*x < y ? -1 : 1);
  }
  if (const auto* x = std::get_if<double>(&a)) {
    const double y = std::get<double>(b);
    return *x == y ? 0 : (*x < y ? -1 : 1);
  }
  if (const auto* x = std::get_if<std::string>(&a)) {
    const auto& y = std::get<std::string>(b);
    return *x == y ? 0 : (*x < y ? -1 : 1);
  }
  return std::nullopt;
}

bool conditionHolds(const Condition& c, const Facts& facts) {
  const Fact* f = c.fact_id != kNoFact ? facts.get(c.fact_id) : facts.get(c.fact);
  if (c.op == Op::Present) {
    return f != nullptr;
  }
  if (c.op == Op::Absent) {
    return f == nullptr;
  }
  if (f == nullptr) {
    return false;
  }
  switch (c.op) {
    case Op::Contains:
    case Op::NotContains: {
      const auto* set = std::get_if<std::vector<std::string>>(&f->value);
      const auto* want = std::get_if<std::string>(&c.values[0]);
      if (set == nullptr || want == nullptr) {
        return false;
      }
      const bool has = std::find(set->begin(), set->end(), *want) != set->end();
      return c.op == Op::Contains ? has : !has;
    }
    case Op::In:
    case Op::NotIn: {
      bool found = false;
      for (const auto& v : c.values) {
        if (compare(f->value, v) == 0) {
          found = true;
          break;
        }
      }
      return c.op == Op::In ? found : !found;
    }
    default:
      break;
  }
  auto r = compare(f->value, c.values[0]);
  if (!r) {
    return false;
  }
  switch (c.op) {
    case Op::Eq: return *r == 0;
    case Op::Ne: return *r != 0;
    case Op::Lt: return *r < 0;
    case Op::Gt: return *r > 0;
    case Op::Le: return *r <= 0;
    case Op::Ge: return *r >= 0;
    default: return false;
  }
}

std::string joinFrames(const FactFrames& frames) {
  std::string out;
  for (auto f : frames) {
    out += out.empty() ? "" : ", ";
    out += std::to_string(f);
  }
  return out;
}

}  // namespace

bool ruleMatches(const Rule& rule, const Facts& facts) {
  return std::all_of(rule.conditions.begin(), rule.conditions.end(),
                     [&](const Condition& c) { return conditionHolds(c, facts); });
}

Verdict evaluate(const Facts& facts, const RuleSet& rules) {
  Verdict v;
  v.stage_reached =
      model::stageFromName(facts.str("stage.reached").value_or("tcp")).value_or(model::Stage::Tcp);
  v.outcome = facts.str("outcome").value_or("failed");
  for (const auto& r : rules.rules) {
    if (r.kind == RuleKind::Observation) {
      if ((!r.stage || *r.stage <= v.stage_reached) && ruleMatches(r, facts)) {
        v.observations.push_back(&r);
      }
      continue;
    }
    if (v.diagnosis != nullptr) {
      continue;
    }
    if (r.stage && *r.stage != v.stage_reached) {
      continue;
    }
    if (ruleMatches(r, facts)) {
      v.diagnosis = &r;
    }
  }
  return v;
}

model::Diagnosis renderDiagnosis(const Rule& rule, const Facts& facts) {
  model::Diagnosis d;
  d.rule = rule.id;
  d.stage = rule.stage.value_or(model::stageFromName(facts.str("stage.reached").value_or("tcp"))
                                    .value_or(model::Stage::Tcp));
  d.cause = expandTemplate(rule.cause, facts);
  d.confidence = rule.confidence;
  if (rule.client) {
    // "" or "?" (a template over an absent fact): unknown, written as null.
    auto known = [](std::string s) {
      return s.empty() || s == "?" ? std::nullopt : std::optional<std::string>(std::move(s));
    };
    model::ClientError ce;
    ce.code = known(expandTemplate(rule.client->code, facts));
    ce.extended = known(expandTemplate(rule.client->extended, facts));
    ce.message = expandTemplate(rule.client->message, facts);
    d.client_error = std::move(ce);
  }
  std::vector<std::string> names = rule.evidence;
  for (const auto& n : templateFacts(rule.cause)) {
    if (std::find(names.begin(), names.end(), n) == names.end()) {
      names.push_back(n);
    }
  }
  d.evidence.reserve(names.size());
  for (auto& name : names) {
    const Fact* f = facts.get(name);
    model::Evidence& e = d.evidence.emplace_back();
    if (f == nullptr) {
      e.text = name + " absent";
    } else {
      e.value = renderValue(name, f->value);
      e.frames.assign(f->frames.begin(), f->frames.end());
      e.text = name + " = " + *e.value +
               (f->frames.empty() ? "" : " (frame " + joinFrames(f->frames) + ")");
    }
    e.fact = std::move(name);
  }
  for (const auto& fix : rule.remediation) {
    d.remediation.push_back(expandTemplate(fix, facts));
  }
  d.reference = rule.reference;
  return d;
}

void diagnose(model::Connection& conn, const RuleSet& rules) {
  const Facts facts = reduceFacts(conn);
  const Verdict v = evaluate(facts, rules);
  conn.stage_reached = v.stage_reached;
  conn.outcome = v.outcome;
  conn.diagnosis.reset();
  conn.observations.clear();
  if (v.diagnosis != nullptr) {
    conn.diagnosis = renderDiagnosis(*v.diagnosis, facts);
  }
  for (const Rule* r : v.observations) {
    conn.observations.push_back(renderDiagnosis(*r, facts));
  }
}

}  // namespace rdpscope::rules
