// The HTML report (--format html): one self-contained file (inline CSS and JS from the embedded
// assets report.html / report.css / report.js; no network access, enforced by a CSP). Rendered
// server-side so it reads without JavaScript (mail viewers, print); the script only adds table
// sorting, the outcome filter and expand/collapse of event fields. Every wire string is
// HTML-escaped (after control characters are made visible as \xNN).
//
// DOM contract (tests/e2e/html_report.sh relies on it):
//   section.conn[data-connection-id=N][data-outcome=...]   one per connection, with a .ladder
//   .ev[data-kind=KIND][data-frame=F][data-dir=to_server|to_client]   one per timeline row
//   .ev[data-fatal="true"][data-rule=RULE]   the fatal event; contains the rule id as text
//   table#connections tr[data-connection-id][data-outcome]   the connection table
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "model/connection.h"
#include "output/summary.h"

namespace rdpscope::output {

struct HtmlOptions {
  bool redact_identities = false;
  std::string title = "rdpscope report";
};

void writeHtml(std::ostream& out, const std::vector<model::Connection>& conns,
               const Summary& summary);
void writeHtml(std::ostream& out, const std::vector<model::Connection>& conns,
               const Summary& summary, const HtmlOptions& options);

// & < > " ' escaped, invalid UTF-8 replaced, control characters shown as \xNN.
std::string htmlEscape(std::string_view in);

}  // namespace rdpscope::output
