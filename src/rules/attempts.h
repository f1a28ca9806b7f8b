// Attempts: one user attempt often spans several TCP connections (a client retrying with fewer
// protocols after RDP_NEG_FAILURE, reconnecting once after a close, following a Server
// Redirection PDU). Connections from one client to one server that follow each other closely,
// or that are linked by a routing token / correlation id, share an attempt id ("A1", "A2", ...).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
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

// Incremental grouping for streaming output: feed connections in output order (start time, then
// 5-tuple; after diagnose()) and each gets its attempt id at once. State is bounded by the
// connections of the last kRedirectGapSeconds (pairs, redirected clients) and kCorrelationGapSeconds
// (correlation ids), plus one small record per attempt of more than one connection (their story
// lines go into the summary). groupAttempts() below is this class over the time-sorted vector.
inline constexpr double kCorrelationGapSeconds = 600.0;

class AttemptGrouper {
 public:
  // Sets c.attempt ("A1", "A2"... numbered in the order attempts first appear).
  void add(model::Connection& c);
  // Attempts of more than one connection (all when `all`), in id order, without `connections`
  // (only their count in `count`). Call after the last add().
  struct Line {
    std::string id;
    std::uint64_t count = 0;
    std::string client_ip;
    std::string server_ip;
    std::string outcome;
    std::string story;
  };
  std::vector<Line> lines() const;
  std::size_t tracked() const { return attempts_.size(); }

  // Compact facts about an attempt's members, enough for its story (see attempts.cpp).
  struct Story {
    std::uint64_t n = 0;
    std::string client_ip, server_ip;
    std::string first_rule, first_outcome, first_stage, first_neg_failure;
    std::string last_rule, last_outcome, last_stage, last_selected;
    bool last_redirected = false;
    bool redirected_before_last = false;
    bool same = true;  // every member has the first's rule and outcome
    void add(const model::Connection& c);
    std::string text() const;
  };

 private:
  struct Ref {
    std::uint64_t attempt = 0;
    Timestamp end;
  };
  struct Attempt {
    Story story;
    std::uint32_t refs = 0;  // map entries below pointing here
  };
  void ref(std::uint64_t a);
  void unref(std::uint64_t a);
  void set(std::unordered_map<std::string, Ref>& m, const std::string& key, Ref r);
  void sweep(Timestamp now);

  std::unordered_map<std::string, Ref> by_pair_;                // client|server|port|transport
  std::unordered_map<std::string, Ref> redirected_by_client_;   // client ip
  std::unordered_map<std::string, Ref> by_correlation_;         // correlation id
  std::map<std::uint64_t, Attempt> attempts_;  // live (referenced) or of > 1 connection
  std::uint64_t next_ = 1;
  std::uint64_t adds_since_sweep_ = 0;
};

// Sets Connection::attempt on every connection. Run after diagnose() so summaries can use the
// verdicts. Connections keep their order.
void groupAttempts(std::vector<model::Connection>& conns);

// One summary per attempt (in order of first connection), from the attempt ids already set.
std::vector<AttemptSummary> summarizeAttempts(const std::vector<model::Connection>& conns);

}  // namespace rdpscope::rules
