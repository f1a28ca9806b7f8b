// Hand-built connections for the output writer tests (no captures needed). Values mirror what the
// lab captures produce (captures/ssl-required, captures/tls12-success) so goldens read naturally.
#pragma once

#include <string>
#include <vector>

#include "model/connection.h"
#include "output/summary.h"

namespace rdpscope::output::testing {

inline Timestamp at(std::int64_t sec, std::int64_t usec) {
  return Timestamp{sec * 1'000'000'000 + usec * 1000};
}

inline model::Event ev(std::uint64_t frame, Timestamp ts, model::Direction dir,
                       std::string_view kind,
                       std::optional<model::Stage> stage, std::string summary,
                       model::Fields fields = model::Fields::object(), bool decrypted = false) {
  model::Event e = model::Event::make(kind, stage, std::move(summary));
  e.frame = frame;
  e.ts = ts;
  e.dir = dir;
  e.fields = std::move(fields);
  e.decrypted = decrypted;
  return e;
}

// A negotiation failure: the server requires TLS, the client offered standard security only.
inline model::Connection failedNegotiation() {
  using model::Direction;
  using model::Stage;
  model::Connection c;
  c.id = 1;
  c.client = {"127.0.0.1", 50000};
  c.server = {"127.0.0.1", 3389};
  c.start = at(1700000000, 100000);
  c.end = at(1700000000, 103500);
  c.first_frame = 1;
  c.tcp_end = "fin_server";
  c.dir(Direction::ToServer) = {5, 19, 0, 0, 0, 0, 0};
  c.dir(Direction::ToClient) = {4, 19, 0, 0, 0, 0, 0};
  c.events.push_back(ev(1, at(1700000000, 100000), Direction::ToServer, "tcp.syn", Stage::Tcp, "",
                        {{"seq", 1234}, {"retry", false}}));
  c.events.push_back(ev(2, at(1700000000, 100050), Direction::ToClient, "tcp.syn_ack", Stage::Tcp,
                        "", {{"seq", 99}, {"retry", false}}));
  c.events.push_back(ev(4, at(1700000000, 100400), Direction::ToServer, "x224.connection_request",
                        Stage::Negotiation, "Connection Request cookie=mstshash=alice",
                        {{"cookie", "mstshash=alice"},
                         {"requested_protocols", model::Fields::array({"PROTOCOL_RDP"})}}));
  c.events.push_back(ev(6, at(1700000000, 101200), Direction::ToClient, "x224.neg_failure",
                        Stage::Negotiation, "RDP_NEG_FAILURE SSL_REQUIRED_BY_SERVER",
                        {{"failure_code", "SSL_REQUIRED_BY_SERVER"}, {"failure_code_value", 1}}));
  c.events.push_back(ev(8, at(1700000000, 103500), Direction::ToClient, "tcp.fin", std::nullopt,
                        "", {{"by", "server"}}));
  c.stage_reached = Stage::Negotiation;
  c.outcome = "failed";
  model::Diagnosis d;
  d.rule = "neg.ssl_required";
  d.stage = Stage::Negotiation;
  d.cause = "The server requires TLS but the client offered only standard RDP security.";
  d.confidence = "high";
  d.client_error = model::ClientError{"0x904", "0x7", "example message"};
  d.evidence = {{"x224.neg_failure", "SSL_REQUIRED_BY_SERVER", {6},
                 "x224.neg_failure = SSL_REQUIRED_BY_SERVER (frame 6)"},
                {"tcp.end", "fin_server", {8}, "tcp.end = fin_server (frame 8)"}};
  d.remediation = {"Enable TLS on the client.", "Or lower the server's security layer."};
  d.reference = "[MS-RDPBCGR] 2.2.1.2.2";
  c.diagnosis = d;
  return c;
}

// A TLS 1.2 session that reaches `active`, with decrypted PDUs and a long bulk run.
inline model::Connection successfulTls() {
  using model::Direction;
  using model::Stage;
  model::Connection c;
  c.id = 2;
  c.client = {"10.0.0.5", 50100};
  c.server = {"10.0.0.9", 3389};
  c.start = at(1700000001, 0);
  c.end = at(1700000003, 500000);
  c.first_frame = 10;
  c.tcp_end = "capture_end";
  c.rdp = {{"security_protocol", "SSL"}};
  c.tls = {{"version", "TLS 1.2"}, {"cipher", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}};
  std::uint64_t f = 10;
  auto t = [&](std::int64_t usec) { return at(1700000001, usec); };
  c.events.push_back(ev(f++, t(0), Direction::ToServer, "x224.connection_request",
                        Stage::Negotiation, "Connection Request requested=SSL"));
  c.events.push_back(ev(f++, t(300), Direction::ToClient, "x224.connection_confirm",
                        Stage::Negotiation, "Connection Confirm selected=PROTOCOL_SSL"));
  c.events.push_back(ev(f++, t(500), Direction::ToServer, "tls.client_hello", Stage::Tls,
                        "ClientHello TLS 1.2"));
  c.events.push_back(ev(f++, t(900), Direction::ToClient, "tls.server_hello", Stage::Tls,
                        "ServerHello TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"));
  c.events.push_back(ev(f++, t(2000), Direction::ToServer, "mcs.connect_initial",
                        Stage::McsConnect, "Connect-Initial", model::Fields::object(), true));
  c.events.push_back(ev(f++, t(2600), Direction::ToClient, "mcs.connect_response",
                        Stage::McsConnect, "Connect-Response rt-successful",
                        {{"result", "rt-successful"}, {"result_value", 0}}, true));
  c.events.push_back(ev(f++, t(9000), Direction::ToClient, "rdp.font_map", Stage::Finalization,
                        "Font Map", model::Fields::object(), true));
  for (int i = 0; i < 20; ++i) {
    c.events.push_back(ev(f++, t(10000 + i * 1000),
                          i % 3 == 0 ? Direction::ToServer : Direction::ToClient, "rdp.fastpath",
                          Stage::Active, "", {{"length", 100 + i}}, true));
  }
  c.stage_reached = Stage::Active;
  c.outcome = "success";
  model::Diagnosis ob;
  ob.rule = "obs.tls.self_signed";
  ob.stage = Stage::Tls;
  ob.cause = "The server certificate is self-signed.";
  ob.confidence = "high";
  c.observations.push_back(ob);
  return c;
}

// Wire strings an attacker controls: markup, ANSI escapes and invalid UTF-8.
inline model::Connection hostileStrings() {
  using model::Direction;
  using model::Stage;
  model::Connection c;
  c.id = 3;
  c.client = {"192.0.2.1", 1234};
  c.server = {"192.0.2.2", 3389};
  c.start = at(1700000005, 0);
  c.end = at(1700000005, 1000);
  const std::string nasty = "<script>alert(1)</script>\x1b[31mRED\xff\xfe</b>";
  c.rdp = {{"security_protocol", nasty}};
  c.events.push_back(ev(30, at(1700000005, 0), Direction::ToServer, "x224.connection_request",
                        Stage::Negotiation, "Connection Request cookie=" + nasty,
                        {{"cookie", nasty}}));
  c.events.push_back(ev(31, at(1700000005, 500), Direction::ToClient, "anomaly", std::nullopt, "",
                        {{"id", "x224.neg_rsp.bad_length"}, {"offset", 11}, {"detail", nasty}}));
  c.stage_reached = Stage::Negotiation;
  c.outcome = "failed";
  model::Diagnosis d;
  d.rule = "neg.catch_all";
  d.stage = Stage::Negotiation;
  d.cause = "Negotiation failed; cookie " + nasty;
  d.confidence = "low";
  c.diagnosis = d;
  c.notes.push_back("note " + nasty);
  return c;
}

inline Summary summaryFor(const std::vector<model::Connection>& conns) {
  Summary s;
  s.files = {"capture.pcap"};
  s.packets = 40;
  s.bytes = 5000;
  s.tally(conns);
  s.attempts = {"attempt 1 (connection 1): negotiation failure"};
  return s;
}

}  // namespace rdpscope::output::testing
