// The capture-level summary every output format prints before (text, HTML) or after (JSON) the
// connections. The CLI fills the capture counters; tally() fills the per-connection counts from
// the (unfiltered) connection list, so the summary describes the whole capture even when
// --connection / --only-failed / --server narrow what is printed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/timestamp.h"
#include "model/connection.h"

namespace rdpscope::output {

struct Summary {
  std::vector<std::string> files;            // input files (empty for live capture)
  std::string interface;                     // live capture interface (empty for files)
  std::uint64_t packets = 0;                 // packets read
  std::uint64_t bytes = 0;                   // captured bytes read (caplen sum)
  std::optional<Timestamp> capture_start;    // first packet; tally() fills it when unset
  std::optional<Timestamp> capture_end;      // last packet; tally() fills it when unset
  std::optional<std::uint64_t> drops;        // live only: kernel + interface drops

  // Filled by tally():
  std::uint64_t connections = 0;
  std::map<std::string, std::uint64_t> by_outcome;        // success | failed | incomplete
  std::map<std::string, std::uint64_t> by_failure_stage;  // stage name of failed connections
  std::map<std::string, std::uint64_t> by_cause;          // diagnosis rule id of failed ones
  std::uint64_t anomalies = 0;                            // `anomaly` events over all connections

  // One line per user attempt (filled by the diagnosis layer), e.g. "attempt 1 (connections 1,
  // 2): the client fell back from TLS to standard RDP security and succeeded".
  std::vector<std::string> attempts;

  // Counts connections by outcome, failure stage and cause, anomalies, and sets
  // capture_start / capture_end from the connections when the CLI did not.
  void tally(const std::vector<model::Connection>& conns);

  // The same counts built incrementally (streaming output): add() every connection, then
  // finishTally() once; the result equals tally() over the same connections.
  void add(const model::Connection& c);
  void finishTally();

 private:
  std::optional<Timestamp> first_conn_start_;
  std::optional<Timestamp> last_conn_end_;
};

}  // namespace rdpscope::output
