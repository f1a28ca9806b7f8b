#include "rules/attempts.h"

#include <algorithm>
#include <map>
#include <numeric>

namespace rdpscope::rules {

namespace {

std::string fieldString(const model::Fields& f, const char* key) {
  if (!f.is_object()) {
    return "";
  }
  auto it = f.find(key);
  return it != f.end() && it->is_string() ? it->get<std::string>() : "";
}

// Routing token / correlation id from the connection's X.224 Connection Request.
void requestKeys(const model::Connection& c, std::string& token, std::string& correlation) {
  for (const auto& ev : c.events) {
    if (ev.kind == "x224.connection_request") {
      token = fieldString(ev.fields, "routing_token");
      correlation = fieldString(ev.fields, "correlation_id");
      return;
    }
  }
}

bool wasRedirected(const model::Connection& c) {
  return std::any_of(c.events.begin(), c.events.end(),
                     [](const model::Event& ev) { return ev.kind == "rdp.server_redirection"; });
}

std::string selected(const model::Connection& c) {
  for (const auto& ev : c.events) {
    if (ev.kind == "x224.connection_confirm") {
      return fieldString(ev.fields, "selected_protocol");
    }
  }
  return "";
}

std::string negFailure(const model::Connection& c) {
  for (const auto& ev : c.events) {
    if (ev.kind == "x224.neg_failure") {
      return fieldString(ev.fields, "failure_code");
    }
  }
  return "";
}

std::string protoLabel(const std::string& p) {
  if (p == "PROTOCOL_RDP") {
    return "standard RDP security";
  }
  if (p == "PROTOCOL_SSL") {
    return "TLS";
  }
  if (p == "PROTOCOL_HYBRID" || p == "PROTOCOL_HYBRID_EX") {
    return "NLA (CredSSP)";
  }
  return p.empty() ? "an unknown security protocol" : p;
}

std::string stageOf(const model::Connection& c) {
  return c.stage_reached ? std::string(model::stageName(*c.stage_reached)) : "tcp";
}

std::string story(const std::vector<const model::Connection*>& cs) {
  const model::Connection& last = *cs.back();
  const std::size_t n = cs.size();
  auto ruleOf = [](const model::Connection* c) {
    return c->diagnosis ? c->diagnosis->rule : std::string("no diagnosis");
  };
  if (n == 1) {
    if (last.outcome == "success") {
      return "one connection, reached the active session";
    }
    if (last.outcome == "incomplete") {
      return "one connection, still in " + stageOf(last) + " when the capture ended";
    }
    return "one connection, failed at " + stageOf(last) + " (" + ruleOf(&last) + ")";
  }
  const std::string count = std::to_string(n) + " connections: ";
  for (std::size_t i = 0; i + 1 < n; ++i) {
    if (wasRedirected(*cs[i])) {
      return count + "the server redirected the client and the redirected connection " +
             (last.outcome == "success" ? "succeeded"
                                        : "failed at " + stageOf(last) + " (" + ruleOf(&last) + ")");
    }
  }
  const std::string first_fail = negFailure(*cs.front());
  if (last.outcome == "success") {
    const std::string sel = selected(last);
    if (!first_fail.empty()) {
      if (sel == "PROTOCOL_RDP") {
        return count + "the client fell back from TLS to standard RDP security after " +
               first_fail + " and succeeded";
      }
      return count + "the client retried with other protocols after " + first_fail +
             " and succeeded with " + protoLabel(sel);
    }
    return count + "succeeded after " + std::to_string(n - 1) + " failed connection" +
           (n - 1 == 1 ? "" : "s") + " (first: " + ruleOf(cs.front()) + ")";
  }
  bool same = true;
  for (const auto* c : cs) {
    same = same && ruleOf(c) == ruleOf(cs.front()) && c->outcome == cs.front()->outcome;
  }
  if (same) {
    const std::string times = n == 2 ? "twice" : std::to_string(n) + " times";
    std::string stage = stageOf(*cs.front());
    if (stage == "nla") {
      stage = "NLA";
    }
    return count + "the same " + stage + " failure " + times + " (" + ruleOf(cs.front()) + ")";
  }
  if (!first_fail.empty()) {
    return count + "the client retried after " + first_fail + " and failed again at " +
           stageOf(last) + " (" + ruleOf(&last) + ")";
  }
  return count + "all failed; the last at " + stageOf(last) + " (" + ruleOf(&last) + ")";
}

}  // namespace

void groupAttempts(std::vector<model::Connection>& conns) {
  std::vector<std::size_t> order(conns.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return conns[a].start < conns[b].start;
  });
  struct Open {
    std::string attempt;
    Timestamp end;
  };
  std::map<std::string, Open> by_pair;           // client ip|server ip|port -> last attempt
  std::map<std::string, Open> redirected_by_client;  // client ip -> attempt of a redirected conn
  std::map<std::string, std::string> by_correlation;
  int next = 1;
  for (std::size_t idx : order) {
    model::Connection& c = conns[idx];
    std::string token;
    std::string correlation;
    requestKeys(c, token, correlation);
    const std::string pair =
        c.client.ip + "|" + c.server.ip + "|" + std::to_string(c.server.port) + "|" + c.transport;
    std::string attempt;
    if (!correlation.empty()) {
      if (auto it = by_correlation.find(correlation); it != by_correlation.end()) {
        attempt = it->second;
      }
    }
    if (attempt.empty() && !token.empty()) {
      if (auto it = redirected_by_client.find(c.client.ip);
          it != redirected_by_client.end() &&
          secondsBetween(it->second.end, c.start) <= kRedirectGapSeconds) {
        attempt = it->second.attempt;
      }
    }
    if (attempt.empty()) {
      if (auto it = by_pair.find(pair);
          it != by_pair.end() && secondsBetween(it->second.end, c.start) <= kAttemptGapSeconds) {
        attempt = it->second.attempt;
      }
    }
    if (attempt.empty()) {
      attempt = "A" + std::to_string(next++);
    }
    c.attempt = attempt;
    Open& o = by_pair[pair];
    o.attempt = attempt;
    o.end = std::max(o.end, c.end);
    if (!correlation.empty()) {
      by_correlation[correlation] = attempt;
    }
    if (wasRedirected(c)) {
      redirected_by_client[c.client.ip] = Open{attempt, c.end};
    }
  }
  // Renumber in output order so ids read A1, A2, ... from the top.
  std::map<std::string, std::string> renumber;
  int n = 1;
  for (const auto& c : conns) {
    if (!renumber.count(c.attempt)) {
      renumber[c.attempt] = "A" + std::to_string(n++);
    }
  }
  for (auto& c : conns) {
    c.attempt = renumber[c.attempt];
  }
}

std::vector<AttemptSummary> summarizeAttempts(const std::vector<model::Connection>& conns) {
  std::vector<AttemptSummary> out;
  std::map<std::string, std::vector<const model::Connection*>> members;
  std::vector<std::string> ids;
  for (const auto& c : conns) {
    if (c.attempt.empty()) {
      continue;
    }
    if (!members.count(c.attempt)) {
      ids.push_back(c.attempt);
    }
    members[c.attempt].push_back(&c);
  }
  for (const auto& id : ids) {
    auto cs = members[id];
    std::stable_sort(cs.begin(), cs.end(), [](const model::Connection* a, const model::Connection* b) {
      return a->start < b->start;
    });
    AttemptSummary s;
    s.id = id;
    for (const auto* c : cs) {
      s.connections.push_back(c->id);
    }
    s.client_ip = cs.front()->client.ip;
    s.server_ip = cs.front()->server.ip;
    s.outcome = cs.back()->outcome;
    s.story = story(cs);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace rdpscope::rules
