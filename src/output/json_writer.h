// JSON Lines output: one object per connection (schema "rdpscope.connection/1", documented in
// docs/json-schema.md), then one summary object (schema "rdpscope.summary/1").
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "model/connection.h"
#include "output/summary.h"

namespace rdpscope::output {

inline constexpr const char* kConnectionSchema = "rdpscope.connection/1";
inline constexpr const char* kSummarySchema = "rdpscope.summary/1";

model::Fields summaryToJson(const Summary& summary);

// One line per connection.
void writeJsonLine(std::ostream& out, const model::Connection& conn, bool redact);
// Streaming: the connection's line without its first members (schema, type, id, attempt), built
// before the id and attempt are known; writeJsonLineTail() writes the whole line, byte for byte
// what writeJsonLine() writes for the connection with that id and attempt.
std::string connectionJsonTail(const model::Connection& conn, bool redact);
// The same text in this thread's line buffer, valid until the thread's next call of a function
// here: for a caller that copies it once or writes it out (most of it goes to a temporary file).
std::string_view connectionJsonTailView(const model::Connection& conn, bool redact);
// For a caller's text buffer kept from one connection to the next (as the writer keeps its own
// line buffer): freed once one huge connection has grown it past 4 MiB, so it does not pin that
// memory for the rest of the run.
void releaseLargeBuffer(std::string& buf);
void writeJsonLineTail(std::ostream& out, std::uint64_t id, const std::string& attempt,
                       std::string_view tail);
// What writeJsonLineTail() writes before the tail: for a caller that writes the tail (and the
// final '\n') some other way.
void writeJsonLineHead(std::ostream& out, std::uint64_t id, const std::string& attempt);
void writeJsonSummary(std::ostream& out, const Summary& summary);

}  // namespace rdpscope::output
