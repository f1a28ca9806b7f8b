#include "rules/rule_set.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "core/embedded.h"

namespace rdpscope::rules {

namespace {

struct Error {
  int line;
  std::string message;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

// Splits a line into tokens: bare words, "quoted strings" (with \" and \\ escapes) and the
// punctuation [ ] , as separate tokens.
struct Token {
  std::string text;
  bool quoted = false;
};

tl::expected<std::vector<Token>, std::string> tokenize(std::string_view line) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '#') {
      break;  // comment to end of line
    }
    if (c == '[' || c == ']' || c == ',') {
      out.push_back(Token{std::string(1, c), false});
      ++i;
      continue;
    }
    if (c == '"') {
      std::string s;
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '\\' && i + 1 < line.size()) {
          s += line[i + 1];
          i += 2;
          continue;
        }
        if (line[i] == '"') {
          closed = true;
          ++i;
          break;
        }
        s += line[i++];
      }
      if (!closed) {
        return tl::unexpected(std::string("unterminated string"));
      }
      out.push_back(Token{std::move(s), true});
      continue;
    }
    std::string s;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i])) &&
           line[i] != '[' && line[i] != ']' && line[i] != ',' && line[i] != '"') {
      s += line[i++];
    }
    out.push_back(Token{std::move(s), false});
  }
  return out;
}

std::optional<std::int64_t> parseInt(std::string_view s) {
  bool neg = false;
  if (!s.empty() && s[0] == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  if (s.empty()) {
    return std::nullopt;
  }
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return std::nullopt;
  }
  return neg ? -v : v;
}

// "30s", "1.5s", "500ms", "2m", "1h" -> seconds.
std::optional<double> parseDuration(std::string_view s) {
  double mult = 1.0;
  std::string_view num = s;
  if (s.size() > 2 && s.substr(s.size() - 2) == "ms") {
    mult = 0.001;
    num = s.substr(0, s.size() - 2);
  } else if (!s.empty() && (s.back() == 's' || s.back() == 'm' || s.back() == 'h')) {
    mult = s.back() == 's' ? 1.0 : s.back() == 'm' ? 60.0 : 3600.0;
    num = s.substr(0, s.size() - 1);
  } else {
    return std::nullopt;  // a unit is required: "30" is ambiguous
  }
  if (num.empty()) {
    return std::nullopt;
  }
  std::string tmp(num);
  char* end = nullptr;
  double v = std::strtod(tmp.c_str(), &end);
  if (end != tmp.c_str() + tmp.size() || v < 0) {
    return std::nullopt;
  }
  return v * mult;
}

bool validToken(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '(' || c == ')' ||
           c == ':' || c == '/';
  });
}

// Converts a literal to the fact's type, checking the value domain.
tl::expected<FactValue, std::string> parseValue(const FactDef& def, const Token& tok) {
  const std::string& s = tok.text;
  switch (def.type) {
    case FactType::Bool:
      if (s == "true") {
        return FactValue{true};
      }
      if (s == "false") {
        return FactValue{false};
      }
      return tl::unexpected("fact " + std::string(def.name) + " is a bool: expected true or false, got '" + s + "'");
    case FactType::Int: {
      auto v = parseInt(s);
      if (!v) {
        return tl::unexpected("fact " + std::string(def.name) + " is an int: bad value '" + s + "'");
      }
      return FactValue{*v};
    }
    case FactType::Duration: {
      auto v = parseDuration(s);
      if (!v) {
        return tl::unexpected("fact " + std::string(def.name) +
                              " is a duration: expected e.g. 500ms, 30s, 2m; got '" + s + "'");
      }
      return FactValue{*v};
    }
    case FactType::String:
    case FactType::Set: {
      if (!def.domain.empty()) {
        if (std::find(def.domain.begin(), def.domain.end(), s) == def.domain.end()) {
          std::string allowed;
          for (auto d : def.domain) {
            allowed += allowed.empty() ? "" : ", ";
            allowed += d;
          }
          return tl::unexpected("bad value '" + s + "' for " + std::string(def.name) +
                                " (allowed: " + allowed + ")");
        }
      } else if (!tok.quoted && !validToken(s)) {
        return tl::unexpected("bad value '" + s + "' for " + std::string(def.name));
      }
      return FactValue{s};
    }
  }
  return tl::unexpected(std::string("unsupported fact type"));
}

tl::expected<Condition, std::string> parseCondition(const std::vector<Token>& toks,
                                                    std::size_t start) {
  if (start >= toks.size()) {
    return tl::unexpected(std::string("'when' needs a condition: FACT OP [VALUE]"));
  }
  Condition c;
  c.fact = toks[start].text;
  const FactDef* def = findFact(c.fact);
  if (def == nullptr) {
    return tl::unexpected("unknown fact '" + c.fact + "'");
  }
  c.fact_id = factId(c.fact);
  if (start + 1 >= toks.size()) {
    return tl::unexpected("missing operator after '" + c.fact + "'");
  }
  std::string op = toks[start + 1].text;
  std::size_t vi = start + 2;
  if (op == "not" && vi < toks.size() && (toks[vi].text == "in" || toks[vi].text == "contains")) {
    op = "not " + toks[vi].text;
    ++vi;
  }
  for (std::size_t i = start; i < toks.size(); ++i) {
    c.text += (i == start ? "" : " ");
    c.text += toks[i].quoted ? "\"" + toks[i].text + "\"" : toks[i].text;
  }
  auto expectEnd = [&](std::size_t at) -> tl::expected<void, std::string> {
    if (at != toks.size()) {
      return tl::unexpected("unexpected '" + toks[at].text + "' after condition");
    }
    return {};
  };
  if (op == "present" || op == "absent") {
    c.op = op == "present" ? Op::Present : Op::Absent;
    if (auto e = expectEnd(vi); !e) {
      return tl::unexpected(e.error());
    }
    return c;
  }
  if (op == "in" || op == "not in") {
    c.op = op == "in" ? Op::In : Op::NotIn;
    if (def->type == FactType::Set || def->type == FactType::Bool) {
      return tl::unexpected("'" + op + "' is not allowed on " + std::string(factTypeName(def->type)) +
                            " fact " + c.fact);
    }
    if (vi >= toks.size() || toks[vi].text != "[" || toks[vi].quoted) {
      return tl::unexpected(std::string("'in' needs a list: in [A, B]"));
    }
    ++vi;
    bool closed = false;
    while (vi < toks.size()) {
      if (!toks[vi].quoted && toks[vi].text == "]") {
        closed = true;
        ++vi;
        break;
      }
      if (!toks[vi].quoted && toks[vi].text == ",") {
        ++vi;
        continue;
      }
      auto v = parseValue(*def, toks[vi]);
      if (!v) {
        return tl::unexpected(v.error());
      }
      c.values.push_back(*v);
      ++vi;
    }
    if (!closed || c.values.empty()) {
      return tl::unexpected(std::string("unterminated or empty list"));
    }
    if (auto e = expectEnd(vi); !e) {
      return tl::unexpected(e.error());
    }
    return c;
  }
  if (op == "contains" || op == "not contains") {
    if (def->type != FactType::Set) {
      return tl::unexpected("'" + op + "' needs a set fact; " + c.fact + " is " +
                            std::string(factTypeName(def->type)));
    }
    c.op = op == "contains" ? Op::Contains : Op::NotContains;
  } else if (op == "==" || op == "!=") {
    c.op = op == "==" ? Op::Eq : Op::Ne;
    if (def->type == FactType::Set) {
      return tl::unexpected("use 'contains' on set fact " + c.fact);
    }
  } else if (op == "<" || op == ">" || op == "<=" || op == ">=") {
    if (def->type != FactType::Int && def->type != FactType::Duration) {
      return tl::unexpected("'" + op + "' needs an int or duration fact; " + c.fact + " is " +
                            std::string(factTypeName(def->type)));
    }
    c.op = op == "<" ? Op::Lt : op == ">" ? Op::Gt : op == "<=" ? Op::Le : Op::Ge;
  } else {
    return tl::unexpected("unknown operator '" + op +
                          "' (use ==, !=, <, >, <=, >=, present, absent, in, not in, contains, not contains)");
  }
  if (vi >= toks.size()) {
    return tl::unexpected("missing value after '" + op + "'");
  }
  auto v = parseValue(*def, toks[vi]);
  if (!v) {
    return tl::unexpected(v.error());
  }
  c.values.push_back(*v);
  if (auto e = expectEnd(vi + 1); !e) {
    return tl::unexpected(e.error());
  }
  return c;
}

tl::expected<void, std::string> checkTemplate(std::string_view tmpl) {
  std::size_t i = 0;
  while ((i = tmpl.find('{', i)) != std::string_view::npos) {
    auto end = tmpl.find('}', i);
    if (end == std::string_view::npos) {
      return tl::unexpected(std::string("unclosed '{' in template"));
    }
    std::string_view ref = tmpl.substr(i + 1, end - i - 1);
    auto colon = ref.find(':');
    std::string_view name = ref.substr(0, colon);
    if (findFact(name) == nullptr) {
      return tl::unexpected("unknown fact '{" + std::string(name) + "}' in template");
    }
    if (colon != std::string_view::npos && ref.substr(colon + 1) != "hex") {
      return tl::unexpected("unknown format '" + std::string(ref.substr(colon + 1)) +
                            "' in template (only :hex)");
    }
    i = end + 1;
  }
  return {};
}

bool validCode(std::string_view s) {
  if (s == "-") {
    return true;
  }
  if (!s.empty() && s.front() == '{') {
    return checkTemplate(s).has_value();
  }
  return parseInt(s).has_value();
}

std::string normalizeCode(std::string_view s) {
  if (s == "-") {
    return "";
  }
  if (auto v = parseInt(s)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(*v));
    return buf;
  }
  return std::string(s);
}

}  // namespace

std::string_view opName(Op op) noexcept {
  switch (op) {
    case Op::Eq: return "==";
    case Op::Ne: return "!=";
    case Op::Lt: return "<";
    case Op::Gt: return ">";
    case Op::Le: return "<=";
    case Op::Ge: return ">=";
    case Op::Present: return "present";
    case Op::Absent: return "absent";
    case Op::In: return "in";
    case Op::NotIn: return "not in";
    case Op::Contains: return "contains";
    case Op::NotContains: return "not contains";
  }
  return "?";
}

const Rule* RuleSet::find(std::string_view id) const {
  for (const auto& r : rules) {
    if (r.id == id) {
      return &r;
    }
  }
  return nullptr;
}

tl::expected<RuleSet, std::string> parseRules(std::string_view text, std::string_view file) {
  RuleSet set;
  set.source = std::string(file);
  std::vector<Error> errors;
  auto fail = [&](int line, std::string msg) { errors.push_back(Error{line, std::move(msg)}); };

  Rule* cur = nullptr;
  std::set<std::string> seen_keys;
  int lineno = 0;
  std::size_t pos = 0;
  auto finishRule = [&]() {
    if (cur == nullptr) {
      return;
    }
    if (!seen_keys.count("stage")) {
      fail(cur->line, "rule " + cur->id + ": missing 'stage'");
    }
    if (cur->cause.empty()) {
      fail(cur->line, "rule " + cur->id + ": missing 'cause'");
    }
    if (cur->confidence.empty()) {
      fail(cur->line, "rule " + cur->id + ": missing 'confidence'");
    }
    if (cur->remediation.empty()) {
      fail(cur->line, "rule " + cur->id + ": needs at least one 'fix'");
    }
    if (cur->reference.empty()) {
      fail(cur->line, "rule " + cur->id + ": missing 'ref'");
    }
    if (!cur->stage && cur->kind == RuleKind::Diagnosis && cur->conditions.empty()) {
      fail(cur->line, "rule " + cur->id + ": a 'stage any' diagnosis rule needs conditions");
    }
    if (cur->evidence.empty()) {
      for (const auto& c : cur->conditions) {
        if (std::find(cur->evidence.begin(), cur->evidence.end(), c.fact) == cur->evidence.end()) {
          cur->evidence.push_back(c.fact);
        }
      }
    }
    cur = nullptr;
  };

  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    std::string_view raw =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++lineno;
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    auto toks_r = tokenize(line);
    if (!toks_r) {
      fail(lineno, toks_r.error());
      continue;
    }
    const auto& toks = *toks_r;
    if (toks.empty()) {
      continue;
    }
    const std::string& key = toks[0].text;
    if (key == "rule") {
      finishRule();
      if (toks.size() != 2 || toks[1].quoted) {
        fail(lineno, "expected 'rule ID'");
        continue;
      }
      const std::string& id = toks[1].text;
      bool kebab = !id.empty() && std::all_of(id.begin(), id.end(), [](unsigned char c) {
        return std::islower(c) || std::isdigit(c) || c == '-';
      });
      if (!kebab) {
        fail(lineno, "rule id '" + id + "' must be kebab-case (a-z, 0-9, -)");
      }
      if (const Rule* dup = set.find(id)) {
        fail(lineno, "duplicate rule id '" + id + "' (first defined at line " +
                         std::to_string(dup->line) + ")");
      }
      set.rules.push_back(Rule{});
      cur = &set.rules.back();
      cur->id = id;
      cur->file = std::string(file);
      cur->line = lineno;
      seen_keys.clear();
      continue;
    }
    if (cur == nullptr) {
      fail(lineno, "'" + key + "' outside a rule (start one with 'rule ID')");
      continue;
    }
    static const std::set<std::string> kSingle = {"stage", "kind", "cause", "client",
                                                  "confidence", "ref"};
    if (kSingle.count(key) && seen_keys.count(key)) {
      fail(lineno, "rule " + cur->id + ": duplicate '" + key + "'");
      continue;
    }
    seen_keys.insert(key);
    auto oneString = [&](std::string& out) {
      if (toks.size() != 2 || !toks[1].quoted) {
        fail(lineno, "'" + key + "' takes one \"quoted string\"");
        return;
      }
      if (auto e = checkTemplate(toks[1].text); !e) {
        fail(lineno, e.error());
        return;
      }
      out = toks[1].text;
    };
    if (key == "stage") {
      if (toks.size() != 2) {
        fail(lineno, "expected 'stage NAME'");
        continue;
      }
      if (toks[1].text == "any") {
        cur->stage = std::nullopt;
      } else if (auto s = model::stageFromName(toks[1].text)) {
        cur->stage = s;
      } else {
        fail(lineno, "unknown stage '" + toks[1].text + "'");
      }
    } else if (key == "kind") {
      if (toks.size() == 2 && toks[1].text == "diagnosis") {
        cur->kind = RuleKind::Diagnosis;
      } else if (toks.size() == 2 && toks[1].text == "observation") {
        cur->kind = RuleKind::Observation;
      } else {
        fail(lineno, "expected 'kind diagnosis' or 'kind observation'");
      }
    } else if (key == "when") {
      auto c = parseCondition(toks, 1);
      if (!c) {
        fail(lineno, c.error());
        continue;
      }
      c->line = lineno;
      cur->conditions.push_back(std::move(*c));
    } else if (key == "cause") {
      oneString(cur->cause);
    } else if (key == "fix") {
      std::string s;
      oneString(s);
      if (!s.empty()) {
        cur->remediation.push_back(std::move(s));
      }
    } else if (key == "ref") {
      oneString(cur->reference);
    } else if (key == "confidence") {
      if (toks.size() != 2 ||
          (toks[1].text != "high" && toks[1].text != "medium" && toks[1].text != "low")) {
        fail(lineno, "expected 'confidence high|medium|low'");
        continue;
      }
      cur->confidence = toks[1].text;
    } else if (key == "client") {
      // client CODE EXTENDED ["message"]   (CODE/EXTENDED: hex, decimal, '-' or a {template})
      if (toks.size() < 3 || toks.size() > 4 || toks[1].quoted || toks[2].quoted ||
          (toks.size() == 4 && !toks[3].quoted)) {
        fail(lineno, "expected 'client CODE EXTENDED \"message\"' (use - for unknown)");
        continue;
      }
      if (!validCode(toks[1].text) || !validCode(toks[2].text)) {
        fail(lineno, "bad client code '" + toks[1].text + " " + toks[2].text +
                         "' (hex 0x.., decimal, -, or {fact})");
        continue;
      }
      ClientCode cc{normalizeCode(toks[1].text), normalizeCode(toks[2].text),
                    toks.size() == 4 ? toks[3].text : ""};
      if (auto e = checkTemplate(cc.message); !e) {
        fail(lineno, e.error());
        continue;
      }
      cur->client = cc;
    } else if (key == "evidence") {
      if (toks.size() < 2) {
        fail(lineno, "expected 'evidence FACT [FACT...]'");
        continue;
      }
      for (std::size_t i = 1; i < toks.size(); ++i) {
        if (findFact(toks[i].text) == nullptr) {
          fail(lineno, "unknown fact '" + toks[i].text + "' in evidence");
        } else {
          cur->evidence.push_back(toks[i].text);
        }
      }
    } else {
      fail(lineno, "unknown keyword '" + key +
                       "' (rule, stage, kind, when, cause, client, confidence, evidence, fix, ref)");
    }
  }
  finishRule();

  // Whole-set checks: a catch-all per stage, nothing unreachable after it.
  for (int s = 0; s < model::kStageCount; ++s) {
    const auto stage = static_cast<model::Stage>(s);
    const Rule* catch_all = nullptr;
    for (const auto& r : set.rules) {
      if (r.kind != RuleKind::Diagnosis || r.stage != stage) {
        continue;
      }
      if (catch_all != nullptr) {
        fail(r.line, "rule " + r.id + " is unreachable: catch-all " + catch_all->id +
                         " (line " + std::to_string(catch_all->line) + ") of stage " +
                         std::string(model::stageName(stage)) + " comes first");
        continue;
      }
      if (r.isCatchAll()) {
        catch_all = &r;
      }
    }
    if (catch_all == nullptr) {
      fail(lineno, "stage " + std::string(model::stageName(stage)) +
                       " has no catch-all rule (a diagnosis rule of that stage without 'when')");
    }
  }

  if (!errors.empty()) {
    std::stable_sort(errors.begin(), errors.end(),
                     [](const Error& a, const Error& b) { return a.line < b.line; });
    std::string msg;
    for (const auto& e : errors) {
      msg += std::string(file) + ":" + std::to_string(e.line) + ": " + e.message + "\n";
    }
    msg.pop_back();
    return tl::unexpected(msg);
  }
  return set;
}

tl::expected<RuleSet, std::string> loadDefaultRules() {
  std::string_view text = embedded::file("rdp.rules");
  if (text.empty()) {
    return tl::unexpected(std::string("rdp.rules: not embedded in this binary (build problem)"));
  }
  auto set = parseRules(text, "rdp.rules");
  if (set) {
    set->source = "rdp.rules (built in)";
  }
  return set;
}

tl::expected<RuleSet, std::string> loadRulesFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return tl::unexpected(path + ": cannot open rules file");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parseRules(ss.str(), path);
}

std::vector<std::string> templateFacts(std::string_view tmpl) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while ((i = tmpl.find('{', i)) != std::string_view::npos) {
    auto end = tmpl.find('}', i);
    if (end == std::string_view::npos) {
      break;
    }
    std::string_view ref = tmpl.substr(i + 1, end - i - 1);
    out.emplace_back(ref.substr(0, ref.find(':')));
    i = end + 1;
  }
  return out;
}

std::string expandTemplate(std::string_view tmpl, const Facts& facts) {
  std::string out;
  std::size_t i = 0;
  while (i < tmpl.size()) {
    auto open = tmpl.find('{', i);
    if (open == std::string_view::npos) {
      out += tmpl.substr(i);
      break;
    }
    out += tmpl.substr(i, open - i);
    auto end = tmpl.find('}', open);
    if (end == std::string_view::npos) {
      out += tmpl.substr(open);
      break;
    }
    std::string_view ref = tmpl.substr(open + 1, end - open - 1);
    auto colon = ref.find(':');
    std::string_view name = ref.substr(0, colon);
    const Fact* f = facts.get(name);
    if (f == nullptr) {
      out += "?";
    } else if (colon != std::string_view::npos && std::holds_alternative<std::int64_t>(f->value)) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%llx",
                    static_cast<unsigned long long>(std::get<std::int64_t>(f->value)));
      out += buf;
    } else {
      out += renderValue(name, f->value);
    }
    i = end + 1;
  }
  return out;
}

}  // namespace rdpscope::rules
