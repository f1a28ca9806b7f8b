#include "output/text_writer.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>

#include "core/text.h"
#include "output/render_common.h"

namespace rdpscope::output {
namespace {

using detail::memberText;

// ANSI SGR sequences; empty strings when colour is off.
struct Palette {
  const char* reset = "";
  const char* bold = "";
  const char* dim = "";
  const char* red = "";
  const char* green = "";
  const char* yellow = "";
  const char* cyan = "";
  const char* magenta = "";

  static Palette make(bool color) {
    Palette p;
    if (color) {
      p.reset = "\x1b[0m";
      p.bold = "\x1b[1m";
      p.dim = "\x1b[2m";
      p.red = "\x1b[31m";
      p.green = "\x1b[32m";
      p.yellow = "\x1b[33m";
      p.cyan = "\x1b[36m";
      p.magenta = "\x1b[35m";
    }
    return p;
  }
};

std::string esc(std::string_view s) { return escapeForTerminal(s); }

std::string padRight(std::string s, std::size_t width) {
  if (s.size() < width) {
    s.append(width - s.size(), ' ');
  }
  return s;
}

std::string padLeft(std::string s, std::size_t width) {
  if (s.size() < width) {
    s.insert(0, width - s.size(), ' ');
  }
  return s;
}

const char* outcomeColor(const Palette& p, std::string_view outcome) {
  if (outcome == "success") {
    return p.green;
  }
  if (outcome == "failed") {
    return p.red;
  }
  return p.yellow;
}

std::string endpoint(const model::Endpoint& e) {
  // IPv6 addresses in brackets so the port stays readable.
  if (e.ip.find(':') != std::string::npos) {
    return "[" + esc(e.ip) + "]:" + std::to_string(e.port);
  }
  return esc(e.ip) + ":" + std::to_string(e.port);
}

std::string failureStage(const model::Connection& c) {
  if (c.diagnosis) {
    return std::string(model::stageName(c.diagnosis->stage));
  }
  return detail::stageText(c.stage_reached);
}

// "3 success, 1 failed" sorted by count (descending) then name: deterministic.
std::string countsText(const std::map<std::string, std::uint64_t>& counts) {
  std::vector<std::pair<std::string, std::uint64_t>> v(counts.begin(), counts.end());
  std::stable_sort(v.begin(), v.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (const auto& [name, n] : v) {
    if (!out.empty()) {
      out += ", ";
    }
    out += esc(name) + " " + std::to_string(n);
  }
  return out.empty() ? "-" : out;
}

void writeSummary(std::ostream& out, const std::vector<model::Connection>& conns,
                  const Summary& s, const Palette& p) {
  out << p.bold << "== rdpscope summary ==" << p.reset << "\n";
  if (!s.files.empty()) {
    out << "files        ";
    for (std::size_t i = 0; i < s.files.size(); ++i) {
      out << (i == 0 ? "" : ", ") << esc(s.files[i]);
    }
    out << "\n";
  }
  if (!s.interface.empty()) {
    out << "interface    " << esc(s.interface) << "\n";
  }
  out << "packets      " << s.packets << " (" << s.bytes << " bytes)\n";
  if (s.capture_start && s.capture_end) {
    out << "capture      " << formatUtc(*s.capture_start) << " .. " << formatUtc(*s.capture_end)
        << " (" << detail::durationText(*s.capture_start, *s.capture_end) << ")\n";
  }
  out << "connections  " << s.connections;
  if (conns.size() != s.connections) {
    out << " (" << conns.size() << " shown)";
  }
  out << "\n";
  out << "outcomes     " << countsText(s.by_outcome) << "\n";
  if (!s.by_failure_stage.empty()) {
    out << "failed in    " << countsText(s.by_failure_stage) << "\n";
    out << "causes       " << countsText(s.by_cause) << "\n";
  }
  out << "anomalies    " << s.anomalies << "\n";
  if (s.drops) {
    out << "drops        " << *s.drops << "\n";
  }
  if (!s.attempts.empty()) {
    out << "attempts\n";
    for (const auto& a : s.attempts) {
      out << "  - " << esc(a) << "\n";
    }
  }
  out << "\n";
}

void writeEventLine(std::ostream& out, const model::Connection& c, const model::Event& ev,
                    bool fatal, bool verdict, const TextOptions& o, const Palette& p) {
  const bool anomaly = ev.kind == "anomaly";
  const bool noise = !ev.stage && !anomaly;
  std::string line = padLeft(std::to_string(ev.frame), 7) + "  " +
                     padRight(detail::relativeTime(c.start, ev.ts), 12) + " " +
                     (ev.dir == model::Direction::ToServer ? "->" : "<-") + "  " +
                     padRight(detail::stageText(ev.stage), 17) + " ";
  const char* color = fatal ? p.red : anomaly ? p.yellow : noise ? p.dim : "";
  out << color;
  if (fatal) {
    out << p.bold;
  }
  out << line;
  if (anomaly) {
    out << "!! anomaly " << esc(memberText(ev.fields, "id"));
    const std::string detail_text = memberText(ev.fields, "detail");
    if (!detail_text.empty()) {
      out << ": " << esc(detail_text);
    }
    const std::string offset = memberText(ev.fields, "offset");
    if (!offset.empty()) {
      out << " (offset " << esc(offset) << ")";
    }
  } else {
    out << esc(ev.kind);
    if (ev.decrypted) {
      out << (*color != '\0' ? "" : p.cyan) << " [dec]" << (*color != '\0' ? "" : p.reset);
    }
    const std::string text = detail::eventText(ev, o.redact_identities);
    if (!text.empty()) {
      out << "  " << esc(text);
    }
  }
  if (fatal) {
    out << "  <<< fatal";
  } else if (verdict) {
    out << "  <<< verdict";
  }
  out << (*color != '\0' || fatal ? p.reset : "") << "\n";
}

void writeCollapsedLine(std::ostream& out, const model::Connection& c,
                        const detail::TimelineRow& row, const Palette& p) {
  const auto& first = c.events[row.first];
  const auto& last = c.events[row.first + row.count - 1];
  out << p.dim << padLeft("...", 7) << "  " << padRight(detail::relativeTime(c.start, first.ts), 12)
      << " ..  " << padRight(detail::stageText(first.stage), 17) << " " << row.count
      << " more bulk records (" << row.to_server << " ->, " << row.to_client << " <-";
  if (row.bytes > 0) {
    out << ", " << row.bytes << " bytes";
  }
  out << "), frames " << first.frame << ".." << last.frame << " until "
      << detail::relativeTime(c.start, last.ts) << p.reset << "\n";
}

void writeDiagnosisBlock(std::ostream& out, const model::Diagnosis& d, const char* title,
                         const Palette& p, const char* color) {
  out << color << p.bold << title << p.reset << "\n";
  out << "  rule        " << esc(d.rule) << "\n";
  out << "  stage       " << model::stageName(d.stage) << "\n";
  out << "  cause       " << color << esc(d.cause) << p.reset << "\n";
  const std::string ce = detail::clientErrorText(d.client_error);
  if (!ce.empty()) {
    out << "  client      " << esc(ce) << "\n";
  }
  out << "  confidence  " << esc(d.confidence.empty() ? "-" : d.confidence) << "\n";
  if (!d.evidence.empty()) {
    out << "  evidence\n";
    for (const auto& e : d.evidence) {
      out << "    - " << esc(detail::evidenceText(e)) << "\n";
    }
  }
  if (!d.remediation.empty()) {
    out << "  remediation\n";
    std::size_t n = 0;
    for (const auto& r : d.remediation) {
      out << "    " << ++n << ". " << esc(detail::cut(r, 1000)) << "\n";
    }
  }
  if (!d.reference.empty()) {
    out << "  reference   " << esc(d.reference) << "\n";
  }
}

void writeConnection(std::ostream& out, const model::Connection& c, const TextOptions& o,
                     const Palette& p) {
  out << p.bold << "== Connection " << c.id << ": " << endpoint(c.client) << " -> "
      << endpoint(c.server) << " (" << esc(c.transport) << ") ==" << p.reset << "\n";
  out << "start        " << formatUtc(c.start) << "   duration "
      << detail::durationText(c.start, c.end) << "   first frame " << c.first_frame << "\n";
  const std::string outcome = c.outcome.empty() ? "unknown" : c.outcome;
  out << "outcome      " << outcomeColor(p, outcome) << p.bold << outcome << p.reset;
  if (outcome == "failed") {
    out << " in " << failureStage(c);
  } else {
    out << " (reached " << detail::stageText(c.stage_reached) << ")";
  }
  out << "\n";
  out << "security     " << esc(detail::securityProtocolText(c)) << "   tls "
      << esc(detail::tlsVersionText(c)) << "   auth " << esc(detail::authMechanismText(c))
      << "\n";
  const auto& ts = c.dir(model::Direction::ToServer);
  const auto& tc = c.dir(model::Direction::ToClient);
  out << "traffic      -> " << ts.packets << " packets " << ts.bytes << " bytes, <- " << tc.packets
      << " packets " << tc.bytes << " bytes; tcp end " << esc(c.tcp_end) << "\n";
  if (!c.attempt.empty()) {
    out << "attempt      " << esc(c.attempt) << "\n";
  }

  out << "\ntimeline\n";
  out << p.dim << "  frame  time         dir stage             event" << p.reset << "\n";
  const auto fatal = detail::fatalEventIndex(c);
  const auto verdict = detail::verdictEventIndex(c);
  for (const auto& row : detail::timelineRows(c, fatal ? fatal : verdict)) {
    if (row.collapsed()) {
      writeCollapsedLine(out, c, row, p);
    } else {
      writeEventLine(out, c, c.events[row.first], fatal && *fatal == row.first,
                     verdict && *verdict == row.first, o, p);
    }
  }
  if (c.events.empty()) {
    out << "  (no events)\n";
  }
  if (c.events_suppressed > 0) {
    out << "  (" << detail::suppressedEventsNote(c.events_suppressed) << ")\n";
  }

  if (c.diagnosis) {
    out << "\n";
    writeDiagnosisBlock(out, *c.diagnosis, "diagnosis", p,
                        outcome == "failed" ? p.red : outcome == "success" ? p.green : p.yellow);
  }
  if (!c.observations.empty()) {
    out << "\n" << p.bold << "observations" << p.reset << "\n";
    for (const auto& ob : c.observations) {
      out << "  - " << p.magenta << esc(ob.cause) << p.reset << " [" << esc(ob.rule) << ", "
          << esc(ob.confidence.empty() ? "-" : ob.confidence) << "]\n";
      for (const auto& e : ob.evidence) {
        out << "      " << esc(detail::evidenceText(e)) << "\n";
      }
    }
  }
  if (!c.notes.empty()) {
    out << "\n" << p.bold << "notes" << p.reset << "\n";
    for (const auto& n : c.notes) {
      out << "  - " << esc(n) << "\n";
    }
  }
  out << "\n";
}

}  // namespace

std::string briefLine(const model::Connection& c, const TextOptions& o) {
  const Palette p = Palette::make(o.color);
  const std::string outcome = c.outcome.empty() ? "unknown" : c.outcome;
  std::string line = "#" + std::to_string(c.id) + "  " + formatUtc(c.start) + "  " +
                     endpoint(c.client) + " -> " + endpoint(c.server) + "  " +
                     detail::durationText(c.start, c.end) + "  " + outcomeColor(p, outcome) +
                     outcome + p.reset + "  ";
  if (outcome == "failed") {
    line += failureStage(c);
    if (c.diagnosis) {
      line += "  " + esc(c.diagnosis->rule) + ": " + esc(c.diagnosis->cause);
      const auto& client_error = c.diagnosis->client_error;
      const std::string ce = client_error ? client_error->code.value_or("") : std::string();
      if (!ce.empty()) {
        const std::string ext = client_error->extended.value_or("");
        line += " [" + esc(ce) + (ext.empty() ? "" : " / " + esc(ext)) + "]";
      }
    }
  } else {
    line += detail::stageText(c.stage_reached) + "  " + esc(detail::securityProtocolText(c));
  }
  return line;
}

void writeText(std::ostream& out, const std::vector<model::Connection>& conns,
               const Summary& summary, const TextOptions& options) {
  const Palette p = Palette::make(options.color);
  if (conns.size() != 1) {
    writeSummary(out, conns, summary, p);
  }
  if (options.brief) {
    for (const auto& c : conns) {
      out << briefLine(c, options) << "\n";
    }
    return;
  }
  for (const auto& c : conns) {
    writeConnection(out, c, options, p);
  }
}

}  // namespace rdpscope::output
