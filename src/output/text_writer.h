// The terminal view (--format text, the default): a capture summary when there are several
// connections, then per connection a header, the annotated timeline, the diagnosis block and the
// observations. Plain ASCII decoration unless colour is asked for; every wire string goes through
// escapeForTerminal. Deterministic: golden tests diff it byte for byte.
#pragma once

#include <ostream>
#include <vector>

#include "model/connection.h"
#include "output/summary.h"

namespace rdpscope::output {

struct TextOptions {
  bool color = false;              // ANSI colours (the CLI decides: --color auto|always|never)
  bool brief = false;              // one line per connection
  bool redact_identities = false;  // hide user, domain, workstation, cookie, client name
};

void writeText(std::ostream& out, const std::vector<model::Connection>& conns,
               const Summary& summary, const TextOptions& options);

// The one-line form used by --brief (and by live mode's status lines), without newline.
std::string briefLine(const model::Connection& conn, const TextOptions& options);

}  // namespace rdpscope::output
