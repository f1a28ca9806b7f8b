// Helpers shared by the human-facing writers (text, HTML, annotated pcapng): which event is the
// fatal one, how a timeline collapses long runs of bulk records, and how event fields become one
// readable line. Everything here is deterministic and returns raw (unescaped) text: each writer
// escapes for its own medium.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/timestamp.h"
#include "model/connection.h"

namespace rdpscope::output::detail {

// Bulk record kinds (encrypted application data, fast-path, RDPEUDP datagrams): many per
// connection, little meaning each, so long runs of them are collapsed in timelines.
bool isBulkKind(std::string_view kind);

// Index in conn.events of the event the connection died on, or none for connections that did not
// fail. Chosen from the diagnosis evidence: the first evidence fact with frame numbers that fall
// on timeline events (its last such frame); else the last non-bulk event.
std::optional<std::size_t> fatalEventIndex(const model::Connection& conn);
// Index of the event the diagnosis evidence points at (same choice as above, no fallback).
std::optional<std::size_t> evidenceEventIndex(const model::Connection& conn);
// For connections that did not fail (success, incomplete): the event the verdict rests on (e.g.
// the Set Error Info PDU that ended an active session), or none.
std::optional<std::size_t> verdictEventIndex(const model::Connection& conn);

// The note under a timeline for conn.events_suppressed: "<n> further events counted but not
// listed: ..." (what the count covers).
std::string suppressedEventsNote(std::uint64_t n);

// One line of a rendered timeline: a single event, or a collapsed run of bulk events.
struct TimelineRow {
  std::size_t first = 0;   // index in conn.events
  std::size_t count = 1;   // > 1 for a collapsed run
  std::uint64_t to_server = 0, to_client = 0;  // collapsed run: events per direction
  std::uint64_t bytes = 0;                     // collapsed run: sum of the `length` fields
  bool collapsed() const { return count > 1; }
};

// Runs of at least kCollapseMin bulk events (never containing the fatal event) keep their first
// kKeepHead and last kKeepTail events and collapse the middle into one row.
inline constexpr std::size_t kCollapseMin = 12;
inline constexpr std::size_t kKeepHead = 6;
inline constexpr std::size_t kKeepTail = 3;
std::vector<TimelineRow> timelineRows(const model::Connection& conn,
                                      std::optional<std::size_t> fatal);

// "+0.000123s": time since `start`, microsecond precision, integer arithmetic.
std::string relativeTime(Timestamp start, Timestamp ts);
// "0.123456s"
std::string durationText(Timestamp start, Timestamp end);

// `s` cut at `max_chars` (never inside a UTF-8 sequence) with "..." when longer.
std::string cut(std::string s, std::size_t max_chars);
// A field value as short text: strings as is, arrays joined with ",", objects as k=v lists.
// Long values are cut at `max_chars` with "...".
std::string valueText(const model::Fields& value, std::size_t max_chars = 120);
// "k=v k=v ..." for an object of fields (at most `max_fields`).
std::string fieldsText(const model::Fields& fields, std::size_t max_fields = 8);

// The key-fields text of an event: its summary, else its fields. With `redact`, identity values
// (user, domain, workstation, cookie, client name/address) become "[redacted]".
std::string eventText(const model::Event& ev, bool redact);
// The fields object of an event with identity values redacted when `redact`.
model::Fields displayFields(const model::Event& ev, bool redact);

// A string member of a JSON object, or "" when absent, null or not a scalar.
std::string memberText(const model::Fields& obj, std::string_view key);

// "0x904 / extended 0x7: message" from a diagnosis' client error ("" when it has none).
std::string clientErrorText(const std::optional<model::ClientError>& client_error);
// Evidence entry as one line ("x224.neg_failure = SSL_REQUIRED_BY_SERVER (frame 5)").
std::string evidenceText(const model::Evidence& evidence);

// Security protocol, TLS version and authentication mechanism for the connection header
// ("-" when unknown).
std::string securityProtocolText(const model::Connection& conn);
std::string tlsVersionText(const model::Connection& conn);
std::string authMechanismText(const model::Connection& conn);

std::string stageText(const std::optional<model::Stage>& stage);

}  // namespace rdpscope::output::detail
