// Helpers for turning decoded wire values into event fields and anomalies, shared by the
// RDP-family stateful dissectors (dissectors/rdp, dissectors/udp). Not grammar.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/byte_reader.h"
#include "core/code_names.h"
#include "engine/dissector.h"
#include "model/event.h"

namespace rdpscope::rdp {

/// Names of every bit set in `value` (unknown bits as UNKNOWN(0x..)), as a JSON array.
model::Fields bitNames(CodeTable table, std::uint32_t value);

/// The same names given to `sink` as the list `key` (no tree built).
void bitNamesList(model::EventBodySink& sink, std::string_view key, CodeTable table,
                  std::uint32_t value);

/// "PROTOCOL_SSL|PROTOCOL_HYBRID" style string of the same bits ("none" when zero).
std::string bitNamesJoined(CodeTable table, std::uint32_t value);

/// Requested protocols as names; zero means PROTOCOL_RDP alone ([MS-RDPBCGR] 2.2.1.1.1).
model::Fields protocolNames(std::uint32_t requested);

/// Zeek's security_protocol vocabulary: the spec name without "PROTOCOL_" (RDP, SSL, HYBRID...).
std::string zeekProtocolName(std::uint32_t selected);

/// Anomaly id for a parse error: the field when it already names the problem (bad_*, *trailing*,
/// *unterminated*, *invalid*, too_*), else field + ".truncated" / ".malformed" / ".unsupported" /
/// ".limit_exceeded". `kind` is the error's original kind (before insideFrame()).
std::string anomalyId(const ParseError& e);

/// Reports a parse error of a PDU whose first byte is at `base` in the stream.
void reportParseError(engine::DissectContext& ctx, model::Direction dir, std::uint64_t base,
                      const ParseError& e, std::string_view what);

/// Printable, valid UTF-8 copy of a wire string (sanitized), capped at `max_chars` bytes.
std::string cleanString(std::string_view s, std::size_t max_chars = 256);

}  // namespace rdpscope::rdp
