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
      token = fieldString(model::fieldsOf(ev), "routing_token");
      correlation = fieldString(model::fieldsOf(ev), "correlation_id");
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
      return fieldString(model::fieldsOf(ev), "selected_protocol");
    }
  }
  return "";
}

std::string negFailure(const model::Connection& c) {
  for (const auto& ev : c.events) {
    if (ev.kind == "x224.neg_failure") {
      return fieldString(model::fieldsOf(ev), "failure_code");
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

std::string ruleOf(const model::Connection& c) {
  return c.diagnosis ? c.diagnosis->rule : std::string("no diagnosis");
}

}  // namespace

void AttemptGrouper::Story::add(const model::Connection& c) {
  const std::string rule = ruleOf(c);
  if (n == 0) {
    client_ip = c.client.ip;
    server_ip = c.server.ip;
    first_rule = rule;
    first_outcome = c.outcome;
    first_stage = stageOf(c);
    first_neg_failure = negFailure(c);
  } else {
    redirected_before_last = redirected_before_last || last_redirected;
    same = same && rule == first_rule && c.outcome == first_outcome;
  }
  last_rule = rule;
  last_outcome = c.outcome;
  last_stage = stageOf(c);
  last_selected = selected(c);
  last_redirected = wasRedirected(c);
  ++n;
}

std::string AttemptGrouper::Story::text() const {
  if (n == 1) {
    if (last_outcome == "success") {
      return "one connection, reached the active session";
    }
    if (last_outcome == "incomplete") {
      return "one connection, still in " + last_stage + " when the capture ended";
    }
    return "one connection, failed at " + last_stage + " (" + last_rule + ")";
  }
  const std::string count = std::to_string(n) + " connections: ";
  if (redirected_before_last) {
    return count + "the server redirected the client and the redirected connection " +
           (last_outcome == "success" ? "succeeded"
                                      : "failed at " + last_stage + " (" + last_rule + ")");
  }
  const std::string& first_fail = first_neg_failure;
  if (last_outcome == "success") {
    const std::string& sel = last_selected;
    if (!first_fail.empty()) {
      if (sel == "PROTOCOL_RDP") {
        return count + "the client fell back from TLS to standard RDP security after " +
               first_fail + " and succeeded";
      }
      return count + "the client retried with other protocols after " + first_fail +
             " and succeeded with " + protoLabel(sel);
    }
    return count + "succeeded after " + std::to_string(n - 1) + " failed connection" +
           (n - 1 == 1 ? "" : "s") + " (first: " + first_rule + ")";
  }
  if (same) {
    const std::string times = n == 2 ? "twice" : std::to_string(n) + " times";
    std::string stage = first_stage;
    if (stage == "nla") {
      stage = "NLA";
    }
    return count + "the same " + stage + " failure " + times + " (" + first_rule + ")";
  }
  if (!first_fail.empty()) {
    return count + "the client retried after " + first_fail + " and failed again at " +
           last_stage + " (" + last_rule + ")";
  }
  return count + "all failed; the last at " + last_stage + " (" + last_rule + ")";
}

void AttemptGrouper::ref(std::uint64_t a) { ++attempts_[a].refs; }

void AttemptGrouper::unref(std::uint64_t a) {
  auto it = attempts_.find(a);
  if (it == attempts_.end()) {
    return;
  }
  if (it->second.refs > 0) {
    --it->second.refs;
  }
  if (it->second.refs == 0 && it->second.story.n <= 1) {
    attempts_.erase(it);  // can no longer grow, and a one-connection attempt has no line
  }
}

void AttemptGrouper::set(std::unordered_map<std::string, Ref>& m, const std::string& key, Ref r) {
  auto [it, inserted] = m.try_emplace(key, r);
  if (inserted) {
    ref(r.attempt);
    return;
  }
  if (it->second.attempt != r.attempt) {
    ref(r.attempt);
    const std::uint64_t old = it->second.attempt;
    it->second = r;
    unref(old);
  } else {
    it->second = r;
  }
}

// Drops map entries no later connection can match: connections come in start order, so once
// `now` is past an entry's end by more than its window, every later start is too.
void AttemptGrouper::sweep(Timestamp now) {
  auto drop = [&](std::unordered_map<std::string, Ref>& m, double window) {
    for (auto it = m.begin(); it != m.end();) {
      if (secondsBetween(it->second.end, now) > window) {
        const std::uint64_t a = it->second.attempt;
        it = m.erase(it);
        unref(a);
      } else {
        ++it;
      }
    }
  };
  drop(by_pair_, kAttemptGapSeconds);
  drop(redirected_by_client_, kRedirectGapSeconds);
  drop(by_correlation_, kCorrelationGapSeconds);
}

void AttemptGrouper::add(model::Connection& c) {
  const std::size_t live = by_pair_.size() + redirected_by_client_.size() + by_correlation_.size();
  if (++adds_since_sweep_ >= std::max<std::size_t>(1024, live)) {
    adds_since_sweep_ = 0;
    sweep(c.start);
  }
  std::string token;
  std::string correlation;
  requestKeys(c, token, correlation);
  std::string pair;
  pair.reserve(c.client.ip.size() + c.server.ip.size() + 12);
  pair.append(c.client.ip).append("|").append(c.server.ip).append("|")
      .append(std::to_string(c.server.port)).append("|").append(c.transport);
  std::uint64_t attempt = 0;
  if (!correlation.empty()) {
    if (auto it = by_correlation_.find(correlation); it != by_correlation_.end() &&
        secondsBetween(it->second.end, c.start) <= kCorrelationGapSeconds) {
      attempt = it->second.attempt;
    }
  }
  if (attempt == 0 && !token.empty()) {
    if (auto it = redirected_by_client_.find(c.client.ip);
        it != redirected_by_client_.end() &&
        secondsBetween(it->second.end, c.start) <= kRedirectGapSeconds) {
      attempt = it->second.attempt;
    }
  }
  auto pit = by_pair_.find(pair);
  if (attempt == 0) {
    if (pit != by_pair_.end() && secondsBetween(pit->second.end, c.start) <= kAttemptGapSeconds) {
      attempt = pit->second.attempt;
    }
  }
  if (attempt == 0) {
    attempt = next_++;
  }
  c.attempt = "A" + std::to_string(attempt);
  // Hold a reference while updating the maps, so the record survives the unref of an old entry.
  ref(attempt);
  attempts_[attempt].story.add(c);
  const Timestamp pair_end = pit != by_pair_.end() ? std::max(pit->second.end, c.end) : c.end;
  set(by_pair_, pair, Ref{attempt, pair_end});
  if (!correlation.empty()) {
    auto cit = by_correlation_.find(correlation);
    set(by_correlation_, correlation,
        Ref{attempt, cit != by_correlation_.end() ? std::max(cit->second.end, c.end) : c.end});
  }
  if (wasRedirected(c)) {
    set(redirected_by_client_, c.client.ip, Ref{attempt, c.end});
  }
  unref(attempt);
}

std::vector<AttemptGrouper::Line> AttemptGrouper::lines() const {
  std::vector<Line> out;
  for (const auto& [id, a] : attempts_) {
    if (a.story.n > 1) {
      out.push_back(Line{"A" + std::to_string(id), a.story.n, a.story.client_ip,
                         a.story.server_ip, a.story.last_outcome, a.story.text()});
    }
  }
  return out;
}

void groupAttempts(std::vector<model::Connection>& conns) {
  std::vector<std::size_t> order(conns.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return conns[a].start < conns[b].start;
  });
  AttemptGrouper grouper;
  for (std::size_t idx : order) {
    grouper.add(conns[idx]);
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
    AttemptGrouper::Story st;
    AttemptSummary s;
    s.id = id;
    for (const auto* c : cs) {
      s.connections.push_back(c->id);
      st.add(*c);
    }
    s.client_ip = cs.front()->client.ip;
    s.server_ip = cs.front()->server.ip;
    s.outcome = cs.back()->outcome;
    s.story = st.text();
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace rdpscope::rules
