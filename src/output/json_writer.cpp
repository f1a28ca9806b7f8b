#include "output/json_writer.h"

#include "core/text.h"
#include "output/render_common.h"

namespace rdpscope::output {
namespace {

model::Fields diagnosisToJson(const model::Diagnosis& d) {
  model::Fields j = model::Fields::object();
  j["rule"] = d.rule;
  j["stage"] = std::string(model::stageName(d.stage));
  j["cause"] = d.cause;
  j["confidence"] = d.confidence;
  j["client_error"] = d.client_error;
  j["evidence"] = d.evidence;
  j["remediation"] = d.remediation;
  j["reference"] = d.reference;
  return j;
}

model::Fields countersToJson(const model::Connection& c) {
  model::Fields j = model::Fields::object();
  j["to_server"] = c.dir(model::Direction::ToServer).packets;
  j["to_client"] = c.dir(model::Direction::ToClient).packets;
  return j;
}

// Identity keys inside the summary objects that --redact-identities hides.
void redactObject(model::Fields& obj) {
  static const char* kKeys[] = {"cookie", "client_name", "user", "domain", "workstation",
                                "client_address", "routing_token"};
  for (const char* key : kKeys) {
    if (obj.is_object() && obj.contains(key) && !obj[key].is_null()) {
      obj[key] = "[redacted]";
    }
  }
}

}  // namespace

model::Fields connectionToJson(const model::Connection& c, bool redact) {
  model::Fields j = model::Fields::object();
  j["schema"] = kConnectionSchema;
  j["type"] = "connection";
  j["id"] = c.id;
  j["attempt"] = c.attempt.empty() ? model::Fields(nullptr) : model::Fields(c.attempt);
  j["transport"] = c.transport;
  j["client"] = {{"ip", c.client.ip}, {"port", c.client.port}};
  j["server"] = {{"ip", c.server.ip}, {"port", c.server.port}};
  j["client_decided_by"] = c.client_decided_by;
  j["detected_by"] = c.detected_by;
  j["start"] = std::stod(formatEpoch(c.start));
  j["end"] = std::stod(formatEpoch(c.end));
  j["duration"] = secondsBetween(c.start, c.end);
  j["packets"] = countersToJson(c);
  j["bytes"] = {{"to_server", c.dir(model::Direction::ToServer).bytes},
                {"to_client", c.dir(model::Direction::ToClient).bytes}};
  j["frame_bytes"] = {{"to_server", c.dir(model::Direction::ToServer).frame_bytes},
                      {"to_client", c.dir(model::Direction::ToClient).frame_bytes}};
  model::Fields tcp = model::Fields::object();
  tcp["end"] = c.tcp_end.empty() ? model::Fields(nullptr) : model::Fields(c.tcp_end);
  tcp["syn_retries"] = c.syn_retries;
  tcp["unanswered_tail"] =
      c.unanswered_tail_from
          ? model::Fields{{"from", *c.unanswered_tail_from == model::Direction::ToServer ? "client"
                                                                                           : "server"},
                          {"packets", c.unanswered_tail_packets},
                          {"seconds", c.unanswered_tail_seconds}}
          : model::Fields(nullptr);
  for (auto d : {model::Direction::ToServer, model::Direction::ToClient}) {
    const auto& k = c.dir(d);
    tcp[model::directionName(d)] = {{"retransmissions", k.retransmissions},
                                    {"overlaps", k.overlaps},
                                    {"out_of_order", k.out_of_order},
                                    {"gap_bytes", k.gap_bytes},
                                    {"zero_windows", k.zero_windows}};
  }
  j["tcp"] = tcp;
  j["stage_reached"] = c.stage_reached ? model::Fields(std::string(model::stageName(*c.stage_reached)))
                                       : model::Fields(nullptr);
  j["outcome"] = c.outcome.empty() ? model::Fields(nullptr) : model::Fields(c.outcome);
  j["diagnosis"] = c.diagnosis ? diagnosisToJson(*c.diagnosis) : model::Fields(nullptr);
  model::Fields obs = model::Fields::array();
  for (const auto& o : c.observations) {
    obs.push_back(diagnosisToJson(o));
  }
  j["observations"] = obs;
  model::Fields rdp = c.rdp;
  model::Fields credssp = c.credssp;
  if (redact) {
    redactObject(rdp);
    redactObject(credssp);
  }
  j["rdp"] = rdp;
  j["tls"] = c.tls;
  j["credssp"] = credssp;
  if (c.transport == "udp") {
    j["udp"] = c.udp;
  }
  model::Fields notes = model::Fields::array();
  for (const auto& n : c.notes) {
    notes.push_back(sanitizeUtf8(n));
  }
  j["notes"] = notes;
  j["events_suppressed"] = c.events_suppressed;
  model::Fields events = model::Fields::array();
  for (const auto& ev : c.events) {
    model::Fields e = model::Fields::object();
    e["frame"] = ev.frame;
    e["t"] = std::stod(formatEpoch(Timestamp{ev.ts.ns - c.start.ns}));
    e["dir"] = model::directionName(ev.dir);
    e["kind"] = ev.kind;
    e["stage"] = ev.stage ? model::Fields(std::string(model::stageName(*ev.stage)))
                          : model::Fields(nullptr);
    e["decrypted"] = ev.decrypted;
    e["summary"] = sanitizeUtf8(redact ? detail::eventText(ev, true) : ev.summary);
    e["fields"] = detail::displayFields(ev, redact);
    events.push_back(std::move(e));
  }
  j["events"] = std::move(events);
  return j;
}

model::Fields summaryToJson(const Summary& s) {
  model::Fields j = model::Fields::object();
  j["schema"] = kSummarySchema;
  j["type"] = "summary";
  j["files"] = s.files;
  if (!s.interface.empty()) {
    j["interface"] = s.interface;
  }
  j["packets"] = s.packets;
  j["bytes"] = s.bytes;
  j["capture_start"] = s.capture_start ? model::Fields(std::stod(formatEpoch(*s.capture_start)))
                                       : model::Fields(nullptr);
  j["capture_end"] = s.capture_end ? model::Fields(std::stod(formatEpoch(*s.capture_end)))
                                   : model::Fields(nullptr);
  j["drops"] = s.drops ? model::Fields(*s.drops) : model::Fields(nullptr);
  j["connections"] = s.connections;
  j["by_outcome"] = s.by_outcome;
  j["by_failure_stage"] = s.by_failure_stage;
  j["by_cause"] = s.by_cause;
  j["anomalies"] = s.anomalies;
  j["attempts"] = s.attempts;
  return j;
}

void writeJsonLine(std::ostream& out, const model::Connection& conn, bool redact) {
  out << connectionToJson(conn, redact).dump(-1, ' ', false,
                                             nlohmann::json::error_handler_t::replace)
      << '\n';
}

void writeJsonSummary(std::ostream& out, const Summary& summary) {
  out << summaryToJson(summary).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
      << '\n';
}

}  // namespace rdpscope::output
