#include "rules/explain.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <sstream>

#include "core/code_names.h"
#include "core/embedded.h"
#include "rdp/rdp_names.h"
#include "rules/engine.h"

namespace rdpscope::rules {

namespace {

std::vector<std::string_view> splitTabs(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (true) {
    auto tab = line.find('\t', pos);
    out.push_back(line.substr(pos, tab == std::string_view::npos ? std::string_view::npos
                                                                 : tab - pos));
    if (tab == std::string_view::npos) {
      break;
    }
    pos = tab + 1;
  }
  return out;
}

std::string hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%X", v);
  return buf;
}

const ClientCodeEntry* findEntry(std::string_view table, std::uint32_t v) {
  for (const auto& e : clientCodes()) {
    if (e.table == table && e.value == v) {
      return &e;
    }
  }
  return nullptr;
}

// What to capture to confirm a failure at `stage`.
std::string captureAdvice(std::string_view stage) {
  static const std::pair<std::string_view, std::string_view> kAdvice[] = {
      {"tcp",
       "Capture on the client with the filter 'tcp port 3389' (or the custom port) while "
       "connecting: rdpscope shows whether the SYN is answered, refused (RST) or dropped. Capture "
       "on the server too to tell a firewall on the path from the host itself."},
      {"negotiation",
       "Capture 'tcp port 3389' on either side: the X.224 Connection Request/Confirm are "
       "cleartext, so rdpscope reads the requested and selected protocols and any "
       "RDP_NEG_FAILURE without keys."},
      {"tls",
       "Capture 'tcp port 3389': TLS 1.2 hellos, certificate and handshake alerts are cleartext; "
       "with TLS 1.3 only the hellos are. Check the server's System log for Schannel events "
       "36870/36871/36874/36888."},
      {"nla",
       "Capture 'tcp port 3389' (and 'port 88' for Kerberos). Without keys rdpscope infers the "
       "CredSSP step from the record order; for the exact NTSTATUS give it a TLS key log "
       "(--keylog: FreeRDP 3 /tls-secrets-file, or an SSLKEYLOGFILE-capable client). Windows "
       "clients cannot export TLS keys: use the server's Security log (event 4625) instead."},
      {"early_auth",
       "Capture 'tcp port 3389' with a TLS key log to read the Early User Authorization Result; "
       "without keys rdpscope still sees the server's result record and who closed."},
      {"licensing",
       "Capture 'tcp port 3389' with a TLS key log (or a Standard RDP Security lab session) to "
       "read the licensing Error Message and Set Error Info; check RD Licensing Diagnoser on "
       "the server."},
      {"active",
       "Capture 'tcp port 3389' until the disconnect happens; with a TLS key log rdpscope reads "
       "the Set Error Info PDU that carries the extended code."},
  };
  for (const auto& [s, a] : kAdvice) {
    if (s == stage) {
      return std::string(a);
    }
  }
  return "Capture 'tcp port 3389' from before the connection attempt until the error appears, "
         "ideally with a TLS key log (--keylog); rdpscope then names the stage and the PDU where "
         "the connection died.";
}

// Does `rule`'s client line name this code pair? 3 = code and extended, 2 = extended only,
// 1 = code only, 0 = no.
int matchScore(const Rule& rule, std::optional<std::uint32_t> code,
               std::optional<std::uint32_t> ext) {
  if (!rule.client) {
    return 0;
  }
  auto literal = [](const std::string& s) -> std::optional<std::uint32_t> {
    return parseClientCode(s);
  };
  bool code_match = false;
  bool code_conflict = false;
  if (code) {
    auto rc = literal(rule.client->code);
    code_match = rc && *rc == *code;
    code_conflict = rc && *rc != *code;
  }
  bool ext_match = false;
  bool ext_conflict = false;
  if (ext) {
    if (auto re = literal(rule.client->extended)) {
      ext_match = *re == *ext;
      ext_conflict = !ext_match;
    } else if (rule.client->extended.find("rdp.error_info_value") != std::string::npos) {
      // The extended code is the Set Error Info value: does this rule accept that value?
      Facts facts;
      facts.setInt("rdp.error_info_value", *ext);
      facts.setString("rdp.error_info", codeName(rdp::errorInfoCodes(), *ext));
      ext_match = std::all_of(rule.conditions.begin(), rule.conditions.end(),
                              [&](const Condition& c) {
                                if (c.fact != "rdp.error_info" && c.fact != "rdp.error_info_value") {
                                  return true;
                                }
                                Rule one;
                                one.conditions.push_back(c);
                                return ruleMatches(one, facts);
                              });
      ext_conflict = !ext_match;
    }
  }
  if (code_conflict && !ext_match) {
    return 0;
  }
  if (ext_conflict) {
    return 0;
  }
  if (code_match && ext_match) {
    return 3;
  }
  if (ext_match) {
    return 2;
  }
  if (code_match && !ext) {
    return 2;
  }
  if (code_match) {
    return 1;
  }
  return 0;
}

int confidenceRank(const std::string& c) { return c == "high" ? 0 : c == "medium" ? 1 : 2; }

void describe(std::ostringstream& out, const char* label, std::string_view table,
              std::uint32_t v) {
  out << label << " " << hex(v) << " (" << v << "): ";
  const ClientCodeEntry* e = findEntry(table, v);
  if (e != nullptr) {
    out << e->name << " - " << e->meaning << "\n";
    if (e->status == "undocumented") {
      out << "  NOT documented by Microsoft; seen in the wild (" << e->source
          << "). The meaning above is a hypothesis, not a fact.\n";
    } else {
      out << "  Source: " << e->source << (e->status == "derived" ? " (partly inferred)" : "")
          << "\n";
    }
    out << "  Stage: " << e->stage << "\n";
  } else if (table == "extended" && v >= 0x1000 && v <= 0x7FFF) {
    out << "in the documented protocol-error range (exDiscReasonProtocolRangeStart..End).\n";
  } else if (table == "extended" && findCode(rdp::errorInfoCodes(), v) == nullptr) {
    out << "unknown code: Microsoft documents no such extended reason and rdpscope has no rule "
           "for it.\n";
  } else if (table == "disconnect") {
    out << "unknown code: Microsoft documents no such disconnect reason and rdpscope has no "
           "rule for it. Check the client's event log (Microsoft-Windows-TerminalServices-"
           "RDPClient/Operational, events 1026 and 1033).\n";
  }
  if (table == "extended") {
    if (const CodeName* ei = findCode(rdp::errorInfoCodes(), v)) {
      out << "  Same value as the Set Error Info errorInfo " << ei->name << " ([MS-RDPBCGR] "
          << "2.2.5.1.1): " << ei->meaning
          << ". The extended code is (by inference, not documented as such) the errorInfo the "
             "server sent before closing.\n";
    }
  }
}

}  // namespace

std::optional<std::uint32_t> parseClientCode(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  if (text.empty()) {
    return std::nullopt;
  }
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc() || p != text.data() + text.size()) {
    return std::nullopt;
  }
  return v;
}

tl::expected<std::vector<ClientCodeEntry>, std::string> parseClientCodes(std::string_view text,
                                                                         std::string_view file) {
  std::vector<ClientCodeEntry> out;
  int lineno = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++lineno;
    if (line.empty() || line.front() == '#') {
      continue;
    }
    auto cols = splitTabs(line);
    auto err = [&](const std::string& m) {
      return tl::unexpected(std::string(file) + ":" + std::to_string(lineno) + ": " + m);
    };
    if (cols.size() != 7) {
      return err("expected 7 tab-separated columns, got " + std::to_string(cols.size()));
    }
    ClientCodeEntry e;
    e.table = std::string(cols[0]);
    if (e.table != "disconnect" && e.table != "extended") {
      return err("table must be disconnect or extended");
    }
    auto v = parseClientCode(cols[1]);
    if (!v) {
      return err("bad code '" + std::string(cols[1]) + "'");
    }
    e.value = *v;
    e.name = std::string(cols[2]);
    e.meaning = std::string(cols[3]);
    e.stage = std::string(cols[4]);
    if (e.stage != "any" && !model::stageFromName(e.stage)) {
      return err("unknown stage '" + e.stage + "'");
    }
    e.status = std::string(cols[5]);
    if (e.status != "documented" && e.status != "derived" && e.status != "undocumented") {
      return err("status must be documented, derived or undocumented");
    }
    e.source = std::string(cols[6]);
    if (e.source.empty()) {
      return err("every row needs a source");
    }
    e.line = lineno;
    out.push_back(std::move(e));
  }
  return out;
}

const std::vector<ClientCodeEntry>& clientCodes() {
  static const std::vector<ClientCodeEntry> kCodes = [] {
    auto r = parseClientCodes(embedded::file("client_codes.tsv"), "client_codes.tsv");
    return r ? *r : std::vector<ClientCodeEntry>{};
  }();
  return kCodes;
}

std::string explainClientCode(std::string_view code, std::optional<std::string_view> extended,
                              const RuleSet& rules) {
  std::ostringstream out;
  auto c = parseClientCode(code);
  std::optional<std::uint32_t> x;
  if (!c) {
    out << "'" << code << "' is not a number: give the code as shown by the client, in hex "
        << "(0x904) or decimal (2308).\n";
    return out.str();
  }
  if (extended) {
    x = parseClientCode(*extended);
    if (!x) {
      out << "'" << *extended << "' is not a number: give the extended code in hex (0x7) or "
          << "decimal.\n";
      return out.str();
    }
  }
  describe(out, "Error code", "disconnect", *c);
  if (x) {
    describe(out, "Extended error code", "extended", *x);
  }

  struct Ranked {
    const Rule* rule;
    int score;
  };
  std::vector<Ranked> ranked;
  for (const auto& r : rules.rules) {
    if (r.kind != RuleKind::Diagnosis) {
      continue;
    }
    int s = matchScore(r, c, x);
    if (s > 0) {
      ranked.push_back({&r, s});
    }
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) {
    if (a.score != b.score) {
      return a.score > b.score;
    }
    return confidenceRank(a.rule->confidence) < confidenceRank(b.rule->confidence);
  });
  std::string advice_stage;
  if (const ClientCodeEntry* e = findEntry("disconnect", *c); e && e->stage != "any") {
    advice_stage = e->stage;
  }
  if (x) {
    if (const ClientCodeEntry* e = findEntry("extended", *x); e && e->stage != "any") {
      advice_stage = e->stage;
    }
  }
  out << "\n";
  if (ranked.empty()) {
    out << "Likely causes: none in the rule catalogue (" << rules.source
        << ") names this code, so rdpscope does not guess. A capture of the failing connection "
           "will show the stage and the cause.\n";
  } else {
    out << "Likely causes (rule catalogue " << rules.source << ", best match first):\n";
    std::size_t n = 0;
    for (const auto& r : ranked) {
      if (++n > 8) {
        break;
      }
      // Expand what the codes tell (the Set Error Info value); name the other facts.
      Facts known;
      if (x) {
        known.setInt("rdp.error_info_value", *x);
        known.setString("rdp.error_info", codeName(rdp::errorInfoCodes(), *x));
      }
      for (const auto& name : templateFacts(r.rule->cause)) {
        if (!known.has(name)) {
          known.setString(name, "<" + name + ">");
        }
      }
      std::string cause = expandTemplate(r.rule->cause, known);
      const std::string stage = r.rule->stage ? std::string(model::stageName(*r.rule->stage))
                                              : std::string("any stage");
      if (advice_stage.empty() && r.rule->stage) {
        advice_stage = stage;
      }
      out << "  " << n << ". " << r.rule->id << " [" << stage << ", confidence "
          << r.rule->confidence << "]\n";
      out << "     " << cause << "\n";
      for (const auto& fix : r.rule->remediation) {
        for (const auto& name : templateFacts(fix)) {
          if (!known.has(name)) {
            known.setString(name, "<" + name + ">");
          }
        }
        out << "     - " << expandTemplate(fix, known) << "\n";
      }
    }
  }
  out << "\nWhat to capture to confirm:\n  " << captureAdvice(advice_stage) << "\n";
  out << "  Then run: rdpscope analyze capture.pcap [--keylog keys.log]\n";
  return out.str();
}

std::string listRules(const RuleSet& rules) {
  std::ostringstream out;
  std::size_t diag = 0;
  for (const auto& r : rules.rules) {
    diag += r.kind == RuleKind::Diagnosis ? 1 : 0;
  }
  out << rules.source << ": " << rules.rules.size() << " rules (" << diag << " diagnoses, "
      << rules.rules.size() - diag << " observations)\n";
  for (const auto& r : rules.rules) {
    const std::string stage =
        r.stage ? std::string(model::stageName(*r.stage)) : std::string("any");
    out << "\n" << r.id << "  [" << stage << ", "
        << (r.kind == RuleKind::Diagnosis ? (r.isCatchAll() ? "catch-all" : "diagnosis")
                                          : "observation")
        << ", " << r.confidence << "]";
    if (r.client) {
      out << "  client " << (r.client->code.empty() ? "-" : r.client->code) << " / "
          << (r.client->extended.empty() ? "-" : r.client->extended);
    }
    out << "\n";
    for (const auto& c : r.conditions) {
      out << "  when " << c.text << "\n";
    }
    out << "  cause " << r.cause << "\n";
    out << "  ref   " << r.reference << "\n";
  }
  return out.str();
}

std::string listFacts() {
  std::ostringstream out;
  for (const auto& f : factCatalogue()) {
    out << f.name << " (" << factTypeName(f.type) << "): " << f.meaning;
    if (!f.domain.empty()) {
      out << " [";
      for (std::size_t i = 0; i < f.domain.size(); ++i) {
        out << (i ? ", " : "") << f.domain[i];
      }
      out << "]";
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace rdpscope::rules
