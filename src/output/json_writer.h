// JSON Lines output: one object per connection (schema "rdpscope.connection/1", documented in
// docs/json-schema.md), then one summary object (schema "rdpscope.summary/1").
#pragma once

#include <ostream>
#include <vector>

#include "model/connection.h"
#include "output/summary.h"

namespace rdpscope::output {

inline constexpr const char* kConnectionSchema = "rdpscope.connection/1";
inline constexpr const char* kSummarySchema = "rdpscope.summary/1";

// The connection as the JSON contract's object. With `redact`, identity values (user, domain,
// workstation, cookie, client name) are replaced by "[redacted]".
model::Fields connectionToJson(const model::Connection& conn, bool redact);
model::Fields summaryToJson(const Summary& summary);

// One line per connection.
void writeJsonLine(std::ostream& out, const model::Connection& conn, bool redact);
void writeJsonSummary(std::ostream& out, const Summary& summary);

}  // namespace rdpscope::output
