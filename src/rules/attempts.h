// Attempts: one user attempt often spans several TCP connections (a client retrying with fewer
// protocols after RDP_NEG_FAILURE, reconnecting once after a close, following a Server
// Redirection PDU). Connections from one client to one server that follow each other closely,
// or that are linked by a routing token / correlation id, share an attempt id ("A1", "A2", ...).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/connection.h"

namespace rdpscope::rules {

// A connection starting at most this long after the previous one of the same client and server
// ended belongs to the same attempt (FreeRDP retries at once; mstsc's auto-reconnect and
// protocol fallbacks follow within a second or two).
inline constexpr double kAttemptGapSeconds = 5.0;
// A connection carrying a routing token belongs to the attempt of a redirected connection of the
// same client that ended at most this long before ([MS-RDPBCGR] 3.1.5.1: redirection).
inline constexpr double kRedirectGapSeconds = 60.0;

struct AttemptSummary {
  std::string id;                          // "A1"
  std::vector<std::uint64_t> connections;  // Connection::id values, in time order
  std::string client_ip;
  std::string server_ip;
  std::string outcome;                     // outcome of the last connection
  std::string story;                       // one line for humans
};

// Sets Connection::attempt on every connection. Run after diagnose() so summaries can use the
// verdicts. Connections keep their order.
void groupAttempts(std::vector<model::Connection>& conns);

// One summary per attempt (in order of first connection), from the attempt ids already set.
std::vector<AttemptSummary> summarizeAttempts(const std::vector<model::Connection>& conns);

}  // namespace rdpscope::rules
