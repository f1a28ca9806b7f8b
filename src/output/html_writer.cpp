#include "output/html_writer.h"

#include <algorithm>
#include <sstream>

#include "core/embedded.h"
#include "core/text.h"
#include "output/render_common.h"

namespace rdpscope::output {
namespace {

using detail::memberText;

// Used only when the embedded template is missing (a build without assets): still valid HTML.
constexpr std::string_view kFallbackTemplate =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{{TITLE}}</title>"
    "<style>{{CSS}}</style></head><body>\n{{BODY}}\n<script>{{JS}}</script></body></html>\n";

std::string h(std::string_view s) { return htmlEscape(s); }

std::string endpoint(const model::Endpoint& e) {
  if (e.ip.find(':') != std::string::npos) {
    return "[" + e.ip + "]:" + std::to_string(e.port);
  }
  return e.ip + ":" + std::to_string(e.port);
}

std::string outcomeOf(const model::Connection& c) {
  return c.outcome.empty() ? std::string("unknown") : c.outcome;
}

// Class-safe token: [a-z0-9_-] only (stage names, outcomes are already like that).
std::string token(std::string_view s) {
  std::string out;
  for (char ch : s) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
    out.push_back(ok ? ch : '_');
  }
  return out.empty() ? std::string("none") : out;
}

std::string stageClass(const std::optional<model::Stage>& st) {
  return "st-" + (st ? token(model::stageName(*st)) : std::string("none"));
}

// Duration as a sortable number string (microseconds).
std::string micros(Timestamp a, Timestamp b) { return std::to_string((b.ns - a.ns) / 1000); }

void expandTemplate(std::ostream& out, std::string_view tpl,
                    const std::vector<std::pair<std::string_view, std::string_view>>& values) {
  std::size_t pos = 0;
  while (pos < tpl.size()) {
    const std::size_t open = tpl.find("{{", pos);
    if (open == std::string_view::npos) {
      out << tpl.substr(pos);
      break;
    }
    const std::size_t close = tpl.find("}}", open + 2);
    if (close == std::string_view::npos) {
      out << tpl.substr(pos);
      break;
    }
    out << tpl.substr(pos, open - pos);
    const std::string_view name = tpl.substr(open + 2, close - open - 2);
    bool found = false;
    for (const auto& [k, v] : values) {
      if (k == name) {
        out << v;
        found = true;
        break;
      }
    }
    if (!found) {
      out << tpl.substr(open, close + 2 - open);
    }
    pos = close + 2;
  }
}

// A style or script body must not close its element early.
std::string safeInline(std::string_view s, std::string_view closing) {
  std::string out(s);
  std::size_t pos = 0;
  while ((pos = out.find(closing, pos)) != std::string::npos) {
    out.insert(pos + 1, "\\");
    pos += closing.size() + 1;
  }
  return out;
}

std::string countsHtml(const std::map<std::string, std::uint64_t>& counts, bool outcome_badges) {
  std::vector<std::pair<std::string, std::uint64_t>> v(counts.begin(), counts.end());
  std::stable_sort(v.begin(), v.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (const auto& [name, n] : v) {
    if (outcome_badges) {
      out += "<span class=\"badge o-" + token(name) + "\">" + h(name) + " " + std::to_string(n) +
             "</span> ";
    } else {
      out += "<span class=\"count\">" + h(name) + " <b>" + std::to_string(n) + "</b></span> ";
    }
  }
  return out.empty() ? "-" : out;
}

void writeSummary(std::ostream& out, const std::vector<model::Connection>& conns,
                  const Summary& s) {
  out << "<section id=\"summary\" class=\"card\">\n<h2>Capture summary</h2>\n<dl class=\"kv\">\n";
  if (!s.files.empty()) {
    out << "<dt>Files</dt><dd>";
    for (std::size_t i = 0; i < s.files.size(); ++i) {
      out << (i == 0 ? "" : ", ") << "<code>" << h(s.files[i]) << "</code>";
    }
    out << "</dd>\n";
  }
  if (!s.interface.empty()) {
    out << "<dt>Interface</dt><dd><code>" << h(s.interface) << "</code></dd>\n";
  }
  out << "<dt>Packets</dt><dd>" << s.packets << " (" << s.bytes << " bytes)</dd>\n";
  if (s.capture_start && s.capture_end) {
    out << "<dt>Capture</dt><dd>" << h(formatUtc(*s.capture_start)) << " &ndash; "
        << h(formatUtc(*s.capture_end)) << " ("
        << h(detail::durationText(*s.capture_start, *s.capture_end)) << ")</dd>\n";
  }
  out << "<dt>Connections</dt><dd>" << s.connections;
  if (conns.size() != s.connections) {
    out << " (" << conns.size() << " in this report)";
  }
  out << "</dd>\n<dt>Outcomes</dt><dd>" << countsHtml(s.by_outcome, true) << "</dd>\n";
  if (!s.by_failure_stage.empty()) {
    out << "<dt>Failed in stage</dt><dd>" << countsHtml(s.by_failure_stage, false) << "</dd>\n";
    out << "<dt>Causes</dt><dd>" << countsHtml(s.by_cause, false) << "</dd>\n";
  }
  out << "<dt>Anomalies</dt><dd>" << s.anomalies << "</dd>\n";
  if (s.drops) {
    out << "<dt>Dropped packets</dt><dd>" << *s.drops << "</dd>\n";
  }
  out << "</dl>\n";
  if (!s.attempts.empty()) {
    out << "<h3>Attempts</h3>\n<ul class=\"attempts\">\n";
    for (const auto& a : s.attempts) {
      out << "<li>" << h(a) << "</li>\n";
    }
    out << "</ul>\n";
  }
  out << "</section>\n";
}

void writeTable(std::ostream& out, const std::vector<model::Connection>& conns) {
  std::map<std::string, std::uint64_t> outcomes;
  for (const auto& c : conns) {
    ++outcomes[outcomeOf(c)];
  }
  out << "<section id=\"overview\" class=\"card\">\n<h2>Connections</h2>\n"
         "<div class=\"filter no-print\" id=\"outcome-filter\">Show:";
  for (const auto& [name, n] : outcomes) {
    out << " <label><input type=\"checkbox\" checked data-outcome=\"" << h(token(name)) << "\"> "
        << "<span class=\"badge o-" << token(name) << "\">" << h(name) << " " << n
        << "</span></label>";
  }
  out << "</div>\n<div class=\"table-wrap\"><table id=\"connections\" class=\"sortable\">\n<thead><tr>"
         "<th data-type=\"num\">#</th><th>Start (UTC)</th><th>Client</th><th>Server</th>"
         "<th data-type=\"num\">Duration</th><th>Outcome</th><th>Stage</th><th>Cause</th>"
         "<th>Security</th><th>TLS</th><th>Auth</th></tr></thead>\n<tbody>\n";
  for (const auto& c : conns) {
    const std::string outcome = outcomeOf(c);
    const std::string stage = outcome == "failed" && c.diagnosis
                                  ? std::string(model::stageName(c.diagnosis->stage))
                                  : detail::stageText(c.stage_reached);
    out << "<tr data-connection-id=\"" << c.id << "\" data-outcome=\"" << token(outcome)
        << "\"><td data-sort=\"" << c.id << "\"><a href=\"#conn-" << c.id << "\">" << c.id
        << "</a></td><td data-sort=\"" << c.start.ns << "\">" << h(formatUtc(c.start))
        << "</td><td>" << h(endpoint(c.client)) << "</td><td>" << h(endpoint(c.server))
        << "</td><td data-sort=\"" << micros(c.start, c.end) << "\">"
        << h(detail::durationText(c.start, c.end)) << "</td><td><span class=\"badge o-"
        << token(outcome) << "\">" << h(outcome) << "</span></td><td><span class=\"stage-chip "
        << stageClass(outcome == "failed" && c.diagnosis ? std::optional(c.diagnosis->stage)
                                                         : c.stage_reached)
        << "\">" << h(stage) << "</span></td><td>";
    if (c.diagnosis && outcome != "success") {
      out << "<span class=\"rule\">" << h(c.diagnosis->rule) << "</span>";
    }
    out << "</td><td>" << h(detail::securityProtocolText(c)) << "</td><td>"
        << h(detail::tlsVersionText(c)) << "</td><td>" << h(detail::authMechanismText(c))
        << "</td></tr>\n";
  }
  out << "</tbody>\n</table></div>\n</section>\n";
}

void writeDiagnosis(std::ostream& out, const model::Diagnosis& d, std::string_view css_class,
                    std::string_view title) {
  out << "<div class=\"diagnosis " << css_class << "\" data-rule=\"" << h(d.rule) << "\">\n<h3>"
      << title << " <span class=\"rule\">" << h(d.rule) << "</span></h3>\n<dl class=\"kv\">\n"
      << "<dt>Stage</dt><dd><span class=\"stage-chip " << stageClass(d.stage) << "\">"
      << h(model::stageName(d.stage)) << "</span></dd>\n"
      << "<dt>Cause</dt><dd class=\"cause\">" << h(d.cause) << "</dd>\n";
  const std::string ce = detail::clientErrorText(d.client_error);
  if (!ce.empty()) {
    out << "<dt>Windows client</dt><dd>" << h(ce) << "</dd>\n";
  }
  out << "<dt>Confidence</dt><dd><span class=\"conf c-" << token(d.confidence) << "\">"
      << h(d.confidence.empty() ? "-" : d.confidence) << "</span></dd>\n";
  if (!d.evidence.empty()) {
    out << "<dt>Evidence</dt><dd><ul>";
    for (const auto& e : d.evidence) {
      out << "<li>" << h(detail::evidenceText(e)) << "</li>";
    }
    out << "</ul></dd>\n";
  }
  if (!d.remediation.empty()) {
    out << "<dt>Remediation</dt><dd><ol>";
    for (const auto& r : d.remediation) {
      out << "<li>" << h(detail::cut(r, 2000)) << "</li>";
    }
    out << "</ol></dd>\n";
  }
  if (!d.reference.empty()) {
    out << "<dt>Reference</dt><dd>" << h(d.reference) << "</dd>\n";
  }
  out << "</dl>\n</div>\n";
}

void writeFieldsTable(std::ostream& out, const model::Connection& c, const model::Event& ev,
                      bool redact) {
  out << "<table class=\"fields\"><tbody>";
  auto row = [&](std::string_view k, const std::string& v) {
    out << "<tr><th>" << h(k) << "</th><td>" << h(v) << "</td></tr>";
  };
  row("frame", std::to_string(ev.frame));
  row("time", formatUtc(ev.ts) + " (" + detail::relativeTime(c.start, ev.ts) + ")");
  row("direction", model::directionName(ev.dir));
  row("stage", detail::stageText(ev.stage));
  if (ev.decrypted) {
    row("decrypted", "yes");
  }
  const model::Fields fields = detail::displayFields(ev, redact);
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      row(it.key(), detail::valueText(it.value(), 400));
    }
  }
  out << "</tbody></table>";
}

void writeLadder(std::ostream& out, const model::Connection& c, const HtmlOptions& o) {
  const auto fatal = detail::fatalEventIndex(c);
  const auto verdict = detail::verdictEventIndex(c);
  out << "<div class=\"ladder\">\n<div class=\"lrow lhead\"><div class=\"meta\">frame / time</div>"
         "<div class=\"band\">stage</div><div class=\"lanes\"><span class=\"lane-c\">Client<br><code>"
      << h(endpoint(c.client)) << "</code></span><span class=\"lane-s\">Server<br><code>"
      << h(endpoint(c.server)) << "</code></span></div><div class=\"note\"></div></div>\n";
  std::optional<model::Stage> prev_stage;
  bool first_row = true;
  std::uint64_t prev_frame = 0;
  for (const auto& row : detail::timelineRows(c, fatal ? fatal : verdict)) {
    const model::Event& ev = c.events[row.first];
    const bool is_fatal = fatal && *fatal == row.first;
    const bool is_verdict = verdict && *verdict == row.first;
    const bool new_band = first_row || ev.stage != prev_stage;
    first_row = false;
    prev_stage = ev.stage;
    const char* dir_class = ev.dir == model::Direction::ToServer ? "to-server" : "to-client";
    out << "<div class=\"lrow ev " << stageClass(ev.stage) << " " << dir_class;
    if (row.collapsed()) {
      out << " collapsed\" data-kind=\"" << h(ev.kind) << "\" data-count=\"" << row.count
          << "\" data-frame=\"" << ev.frame << "\" data-dir=\"" << model::directionName(ev.dir)
          << "\">";
      const auto& last = c.events[row.first + row.count - 1];
      prev_frame = last.frame;
      out << "<div class=\"meta\">" << ev.frame << "&ndash;" << last.frame << " <span>"
          << h(detail::relativeTime(c.start, ev.ts)) << "</span></div><div class=\"band\">"
          << (new_band ? h(detail::stageText(ev.stage)) : std::string()) << "</div>"
          << "<div class=\"lanes\"><div class=\"bulk\">&hellip; " << row.count
          << " more bulk records (" << row.to_server << " &rarr;, " << row.to_client
          << " &larr;" << (row.bytes > 0 ? ", " + std::to_string(row.bytes) + " bytes" : "")
          << ") until " << h(detail::relativeTime(c.start, last.ts))
          << " &hellip;</div></div><div class=\"note\"></div></div>\n";
      continue;
    }
    const bool anomaly = ev.kind == "anomaly";
    const std::string text = detail::eventText(ev, o.redact_identities);
    std::string label = anomaly ? "anomaly " + memberText(ev.fields, "id") : std::string(ev.kind);
    out << (is_fatal ? " fatal" : "") << (is_verdict ? " verdict" : "")
        << (anomaly ? " anomaly" : "")
        << (ev.decrypted ? " decrypted" : "") << "\" data-kind=\"" << h(ev.kind)
        << "\" data-frame=\"" << ev.frame << "\" data-dir=\"" << model::directionName(ev.dir)
        << "\"";
    if (is_fatal) {
      out << " data-fatal=\"true\" data-rule=\"" << h(c.diagnosis ? c.diagnosis->rule : "")
          << "\"";
    } else if (is_verdict) {
      out << " data-verdict=\"true\" data-rule=\"" << h(c.diagnosis->rule) << "\"";
    }
    out << " title=\"" << h(text) << "\">";
    // Several PDUs of one frame (e.g. the GCC blocks of a Connect-Initial): frame and time once.
    if (ev.frame != prev_frame || ev.frame == 0) {
      out << "<div class=\"meta\">" << ev.frame << " <span>"
          << h(detail::relativeTime(c.start, ev.ts)) << "</span></div>";
    } else {
      out << "<div class=\"meta same-frame\">&#8243;</div>";
    }
    prev_frame = ev.frame;
    out << "<div class=\"band\">"
        << (new_band ? h(detail::stageText(ev.stage)) : std::string()) << "</div>"
        << "<div class=\"lanes\"><details class=\"arrow\"><summary><span class=\"head\">"
        << "<span class=\"kind\">" << h(label) << "</span>"
        << (ev.decrypted ? " <span class=\"dec\">decrypted</span>" : "")
        << " <span class=\"text\">" << h(text) << "</span></span><span class=\"line\">"
        << "</span></summary>";
    writeFieldsTable(out, c, ev, o.redact_identities);
    out << "</details></div><div class=\"note\">";
    if ((is_fatal || is_verdict) && c.diagnosis) {
      const auto& d = *c.diagnosis;
      out << "<div class=\"diag-note" << (is_verdict ? " verdict-note" : "")
          << "\"><b class=\"rule\">" << h(d.rule) << "</b><p>" << h(d.cause)
          << "</p>";
      const std::string ce = detail::clientErrorText(d.client_error);
      if (!ce.empty()) {
        out << "<p class=\"ce\">Windows client: " << h(ce) << "</p>";
      }
      out << "<p class=\"conf\">confidence " << h(d.confidence) << "</p></div>";
    } else if (is_fatal) {
      out << "<div class=\"diag-note\"><b>fatal step</b></div>";
    }
    out << "</div></div>\n";
  }
  if (c.events.empty()) {
    out << "<p class=\"empty\">No events.</p>\n";
  }
  out << "</div>\n";
  if (c.events_suppressed > 0) {
    out << "<p class=\"note-small\">" << h(detail::suppressedEventsNote(c.events_suppressed))
        << ".</p>\n";
  }
}

void writeConnection(std::ostream& out, const model::Connection& c, const HtmlOptions& o) {
  const std::string outcome = outcomeOf(c);
  out << "<section class=\"conn card\" id=\"conn-" << c.id << "\" data-connection-id=\"" << c.id
      << "\" data-outcome=\"" << token(outcome) << "\">\n<h2>Connection " << c.id << ": "
      << h(endpoint(c.client)) << " &rarr; " << h(endpoint(c.server)) << " <span class=\"badge o-"
      << token(outcome) << "\">" << h(outcome) << "</span></h2>\n<dl class=\"kv meta-grid\">"
      << "<dt>Start</dt><dd>" << h(formatUtc(c.start)) << "</dd>"
      << "<dt>Duration</dt><dd>" << h(detail::durationText(c.start, c.end)) << "</dd>"
      << "<dt>Stage reached</dt><dd>" << h(detail::stageText(c.stage_reached)) << "</dd>"
      << "<dt>Security</dt><dd>" << h(detail::securityProtocolText(c)) << "</dd>"
      << "<dt>TLS</dt><dd>" << h(detail::tlsVersionText(c)) << "</dd>"
      << "<dt>Auth</dt><dd>" << h(detail::authMechanismText(c)) << "</dd>"
      << "<dt>TCP end</dt><dd>" << h(c.tcp_end) << "</dd>";
  const auto& ts = c.dir(model::Direction::ToServer);
  const auto& tc = c.dir(model::Direction::ToClient);
  out << "<dt>Traffic</dt><dd>&rarr; " << ts.packets << " pkts / " << ts.bytes << " B, &larr; "
      << tc.packets << " pkts / " << tc.bytes << " B</dd>";
  if (!c.attempt.empty()) {
    out << "<dt>Attempt</dt><dd>" << h(c.attempt) << "</dd>";
  }
  out << "</dl>\n";
  if (c.diagnosis) {
    writeDiagnosis(out, *c.diagnosis, "o-" + token(outcome),
                   outcome == "success" ? "Verdict" : "Diagnosis");
  }
  out << "<div class=\"ladder-tools no-print\"><button type=\"button\" class=\"expand-all\">"
         "expand all fields</button></div>\n";
  writeLadder(out, c, o);
  if (!c.observations.empty()) {
    out << "<div class=\"observations\"><h3>Observations</h3><ul>";
    for (const auto& ob : c.observations) {
      out << "<li><span class=\"rule\">" << h(ob.rule) << "</span> " << h(ob.cause)
          << " <span class=\"conf c-" << token(ob.confidence) << "\">" << h(ob.confidence)
          << "</span></li>";
    }
    out << "</ul></div>\n";
  }
  if (!c.notes.empty()) {
    out << "<div class=\"notes\"><h3>Notes</h3><ul>";
    for (const auto& n : c.notes) {
      out << "<li>" << h(n) << "</li>";
    }
    out << "</ul></div>\n";
  }
  out << "</section>\n";
}

}  // namespace

std::string htmlEscape(std::string_view in) {
  const std::string safe = escapeForTerminal(in);
  std::string out;
  out.reserve(safe.size() + safe.size() / 8);
  for (char ch : safe) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(ch);
    }
  }
  return out;
}

void writeHtml(std::ostream& out, const std::vector<model::Connection>& conns,
               const Summary& summary) {
  writeHtml(out, conns, summary, HtmlOptions{});
}

void writeHtml(std::ostream& out, const std::vector<model::Connection>& conns,
               const Summary& summary, const HtmlOptions& options) {
  std::ostringstream body;
  body << "<header><h1>" << h(options.title) << "</h1><p class=\"sub\">Generated by rdpscope. "
       << "Click a PDU in a ladder to see its fields; click a column header to sort.</p></header>\n"
       << "<main>\n";
  writeSummary(body, conns, summary);
  writeTable(body, conns);
  for (const auto& c : conns) {
    writeConnection(body, c, options);
  }
  if (conns.empty()) {
    body << "<p class=\"empty\">No RDP connections in this capture.</p>\n";
  }
  body << "</main>\n";

  std::string_view tpl = embedded::file("report.html");
  if (tpl.empty()) {
    tpl = kFallbackTemplate;
  }
  const std::string css = safeInline(embedded::file("report.css"), "</style");
  const std::string js = safeInline(embedded::file("report.js"), "</script");
  const std::string title = h(options.title);
  const std::string body_str = body.str();
  expandTemplate(out, tpl,
                 {{"TITLE", title}, {"CSS", css}, {"JS", js}, {"BODY", body_str}});
}

}  // namespace rdpscope::output
