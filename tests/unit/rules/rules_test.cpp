// Diagnosis rules on hand-built connections (no pcaps): every rule of rules/rdp.rules is
// triggered by at least one case below (RulesCoverage fails otherwise), the loader reports
// errors with file:line, and the facts reducer infers stages from record order.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "rules/attempts.h"
#include "rules/engine.h"
#include "rules/explain.h"
#include "rules/facts.h"
#include "rules/rule_set.h"

using rdpscope::Timestamp;
using rdpscope::model::Connection;
using rdpscope::model::Direction;
using rdpscope::model::Event;
using rdpscope::model::Fields;
using rdpscope::model::Stage;
namespace rules = rdpscope::rules;

namespace {

constexpr Direction C = Direction::ToServer;  // client -> server
constexpr Direction S = Direction::ToClient;  // server -> client

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const rules::RuleSet& defaultRules() {
  static const rules::RuleSet kRules = [] {
    auto r = rules::parseRules(readFile(std::string(RDPSCOPE_SOURCE_DIR) + "/rules/rdp.rules"),
                               "rdp.rules");
    if (!r) {
      ADD_FAILURE() << r.error();
      return rules::RuleSet{};
    }
    return *r;
  }();
  return kRules;
}

// Builds a connection event by event; each event is one frame, 10 ms after the previous one.
class Builder {
 public:
  Builder() {
    c_.client = {"10.0.0.1", 50000};
    c_.server = {"10.0.0.2", 3389};
    c_.start = Timestamp{1'700'000'000'000'000'000};
    c_.end = c_.start;
  }
  Builder& at(double seconds_from_start) {
    c_.start = Timestamp{1'700'000'000'000'000'000 + static_cast<std::int64_t>(seconds_from_start * 1e9)};
    c_.end = c_.start;
    return *this;
  }
  Builder& from(std::string ip) {
    c_.client.ip = std::move(ip);
    return *this;
  }
  Builder& ev(std::string_view kind, Direction dir, std::optional<Stage> stage,
              Fields fields = Fields::object(), bool decrypted = false) {
    Event e = Event::make(kind, stage, std::string(kind));
    e.dir = dir;
    e.frame = ++frame_;
    e.ts = Timestamp{c_.start.ns + static_cast<std::int64_t>(frame_) * 10'000'000};
    e.fields = std::move(fields);
    e.decrypted = decrypted;
    c_.end = e.ts;
    c_.events.push_back(std::move(e));
    return *this;
  }
  // --- TCP
  Builder& syn() { return ev("tcp.syn", C, Stage::Tcp, {{"seq", 1}, {"retry", false}}); }
  Builder& tcpOk() { return syn().ev("tcp.syn_ack", S, Stage::Tcp, {{"seq", 2}, {"retry", false}}); }
  // --- X.224
  Builder& cr(std::vector<std::string> protos, std::vector<std::string> flags = {}) {
    Fields f{{"cookie", "mstshash=user"}, {"routing_token", nullptr}};
    f["requested_protocols"] = protos;
    f["flags"] = flags;
    f["correlation_id"] = nullptr;
    return ev("x224.connection_request", C, Stage::Negotiation, f);
  }
  Builder& cc(const std::string& selected, std::vector<std::string> flags = {}) {
    Fields f{{"selected_protocol", selected}, {"has_negotiation", true}};
    f["flags"] = flags;
    return ev("x224.connection_confirm", S, Stage::Negotiation, f);
  }
  Builder& negFailure(const std::string& code) {
    return cr({"PROTOCOL_SSL", "PROTOCOL_HYBRID"})
        .ev("x224.neg_failure", S, Stage::Negotiation, {{"failure_code", code}});
  }
  // --- TLS
  Builder& clientHello() { return ev("tls.client_hello", C, Stage::Tls); }
  Builder& serverHello(const std::string& version = "TLS 1.2") {
    return ev("tls.server_hello", S, Stage::Tls,
              {{"version", version}, {"cipher", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}});
  }
  Builder& tlsOk() {
    return clientHello().serverHello().ev("tls.finished", C, Stage::Tls).ev("tls.finished", S,
                                                                              Stage::Tls);
  }
  Builder& alert(Direction dir, const std::string& desc, bool encrypted = false) {
    return ev("tls.alert", dir, Stage::Tls,
              {{"level", "fatal"}, {"description", desc}, {"encrypted", encrypted}});
  }
  Builder& appdata(Direction dir, int length = 100) {
    return ev("tls.application_data", dir, std::nullopt, {{"length", length}});
  }
  // Alternating CredSSP flights starting with the client.
  Builder& legs(int n) {
    for (int i = 0; i < n; ++i) {
      appdata(i % 2 == 0 ? C : S);
    }
    return *this;
  }
  Builder& nla(const std::string& selected = "PROTOCOL_HYBRID") {
    return tcpOk().cr({"PROTOCOL_SSL", "PROTOCOL_HYBRID", "PROTOCOL_HYBRID_EX"}).cc(selected).tlsOk();
  }
  Builder& tsRequest(Direction dir, int version, std::optional<std::string> error = std::nullopt) {
    Fields f{{"version", version}, {"nego_tokens", 1}, {"auth_info", nullptr},
             {"pub_key_auth", nullptr}};
    f["error_code"] = error ? Fields(*error) : Fields(nullptr);
    return ev("credssp.ts_request", dir, Stage::Nla, f, true);
  }
  Builder& credsspError(const std::string& status) {
    return nla().tsRequest(C, 6).ev("ntlm.negotiate", C, Stage::Nla, {}, true)
        .tsRequest(S, 6).tsRequest(C, 6).tsRequest(S, 6, status);
  }
  // --- Standard RDP Security sequence up to `stage`
  Builder& standardTo(Stage stage) {
    tcpOk().cr({"PROTOCOL_RDP"}).cc("PROTOCOL_RDP");
    const std::pair<Stage, const char*> seq[] = {
        {Stage::McsConnect, "mcs.connect_initial"},  {Stage::ChannelSetup, "mcs.erect_domain_request"},
        {Stage::SecurityExchange, "rdp.security_exchange"}, {Stage::ClientInfo, "rdp.client_info"},
        {Stage::Licensing, "rdp.license_request"},   {Stage::Capabilities, "rdp.demand_active"},
        {Stage::Finalization, "rdp.synchronize"},    {Stage::Active, "rdp.font_map"}};
    for (const auto& [s, kind] : seq) {
      if (s > stage) {
        break;
      }
      ev(kind, s == Stage::McsConnect || s == Stage::ChannelSetup || s == Stage::SecurityExchange ||
                       s == Stage::ClientInfo
                   ? C
                   : S,
         s);
    }
    return *this;
  }
  Builder& errorInfo(const std::string& name, int value) {
    return ev("rdp.set_error_info", S, std::nullopt,
              {{"error_info", name}, {"error_info_value", value}});
  }
  Builder& close(const std::string& how) {
    if (how == "fin_client" || how == "fin_server" || how == "rst_client" || how == "rst_server") {
      const bool client = how.find("client") != std::string::npos;
      ev(how.substr(0, 3) == "fin" ? "tcp.fin" : "tcp.rst", client ? C : S, std::nullopt,
         {{"by", client ? "client" : "server"}});
    }
    c_.tcp_end = how;
    return *this;
  }
  Builder& tls(Fields f) {
    for (auto& [k, v] : f.items()) {
      c_.tls[k] = v;
    }
    return *this;
  }
  Builder& credssp(Fields f) {
    for (auto& [k, v] : f.items()) {
      c_.credssp[k] = v;
    }
    return *this;
  }
  Builder& retransmissions(std::uint64_t n) {
    c_.dir(Direction::ToServer).retransmissions = n;
    return *this;
  }
  Builder& silentPeer(Direction talker, std::uint32_t packets, double seconds) {
    c_.unanswered_tail_from = talker;
    c_.unanswered_tail_packets = packets;
    c_.unanswered_tail_seconds = seconds;
    return *this;
  }
  Builder& synRetries(std::uint32_t n) {
    c_.syn_retries = n;
    return *this;
  }
  Builder& udp(std::uint64_t server_packets) {
    c_.transport = "udp";
    c_.tcp_end = "";
    c_.dir(Direction::ToServer).packets = 3;
    c_.dir(Direction::ToClient).packets = server_packets;
    return *this;
  }
  Builder& id(std::uint64_t i) {
    c_.id = i;
    return *this;
  }
  Connection done() const { return c_; }

 private:
  Connection c_;
  std::uint64_t frame_ = 0;
};

struct Case {
  std::string expect;  // rule id expected as diagnosis (or observation, for obs-*)
  std::function<Connection()> build;
};

std::vector<Case> cases() {
  auto B = [] { return Builder(); };
  auto errinfo = [B](const std::string& name, int value, Stage stage = Stage::ClientInfo) {
    return [=] { return B().standardTo(stage).errorInfo(name, value).close("fin_server").done(); };
  };
  auto ntstatus = [B](const std::string& status) {
    return [=] { return B().credsspError(status).close("fin_client").done(); };
  };
  auto neg = [B](const std::string& code) {
    return [=] { return B().tcpOk().negFailure(code).close("fin_client").done(); };
  };
  return {
      {"udp-transport-established",
       [=] {
         return B().udp(2).ev("rdpeudp.syn", C, std::nullopt).ev("rdpeudp.syn_ack", S, std::nullopt)
             .done();
       }},
      {"udp-server-answered", [=] { return B().udp(5).done(); }},
      {"udp-no-answer", [=] { return B().udp(0).done(); }},
      {"legacy-client-refused-at-mcs",
       [=] {
         Fields f{{"cookie", "mstshash=root"}, {"routing_token", nullptr}};
         f["requested_protocols"] = Fields::array();
         f["requested_protocols_value"] = nullptr;
         return B().tcpOk().ev("x224.connection_request", C, Stage::Negotiation, f)
             .ev("x224.connection_confirm", S, Stage::Negotiation,
                 {{"selected_protocol", "PROTOCOL_RDP"}, {"has_negotiation", false}})
             .ev("mcs.connect_initial", C, Stage::McsConnect)
             .ev("mcs.disconnect_provider_ultimatum", S, std::nullopt,
                 {{"reason", "rn-user-requested"}, {"reason_value", 3}})
             .close("rst_server").done();
       }},
      {"capture-ended-mid-handshake",
       [=] { return B().tcpOk().cr({"PROTOCOL_SSL"}).close("capture_end").done(); }},
      {"errinfo-server-denied-connection", errinfo("ERRINFO_SERVER_DENIED_CONNECTION", 7)},
      {"errinfo-insufficient-privileges", errinfo("ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES", 9)},
      {"errinfo-fresh-credentials-required",
       errinfo("ERRINFO_SERVER_FRESH_CREDENTIALS_REQUIRED", 0xA)},
      {"errinfo-idle-timeout", errinfo("ERRINFO_IDLE_TIMEOUT", 3, Stage::Active)},
      {"errinfo-logon-timeout", errinfo("ERRINFO_LOGON_TIMEOUT", 4, Stage::Active)},
      {"errinfo-replaced-by-other-connection",
       errinfo("ERRINFO_DISCONNECTED_BY_OTHERCONNECTION", 5, Stage::Active)},
      {"errinfo-out-of-memory", errinfo("ERRINFO_OUT_OF_MEMORY", 6)},
      {"errinfo-admin-disconnect", errinfo("ERRINFO_RPC_INITIATED_DISCONNECT", 1, Stage::Active)},
      {"errinfo-admin-logoff", errinfo("ERRINFO_RPC_INITIATED_LOGOFF", 2, Stage::Active)},
      {"errinfo-logoff-by-user", errinfo("ERRINFO_LOGOFF_BY_USER", 0xC, Stage::Active)},
      {"errinfo-server-shutdown", errinfo("ERRINFO_SERVER_SHUTDOWN", 0x19, Stage::Active)},
      {"errinfo-no-license-server",
       errinfo("ERRINFO_LICENSE_NO_LICENSE_SERVER", 0x101, Stage::Licensing)},
      {"errinfo-no-license", errinfo("ERRINFO_LICENSE_NO_LICENSE", 0x102, Stage::Licensing)},
      {"errinfo-license-other", errinfo("ERRINFO_LICENSE_BAD_CLIENT_MSG", 0x103, Stage::Licensing)},
      {"errinfo-connection-broker", errinfo("ERRINFO_CB_DESTINATION_NOT_FOUND", 0x400)},
      {"errinfo-graphics-failure",
       errinfo("ERRINFO_GRAPHICSSUBSYSTEMFAILED", 0x112F, Stage::Active)},
      {"errinfo-capabilities-rejected", errinfo("ERRINFO_BADCAPABILITIES", 0x10EA, Stage::Capabilities)},
      {"errinfo-encryption-failure", errinfo("ERRINFO_DECRYPTFAILED", 0x1192)},
      {"errinfo-protocol-error", errinfo("ERRINFO_UNKNOWNPDUTYPE2", 0x10C9, Stage::Active)},
      {"errinfo-other", errinfo("ERRINFO_SERVER_WINLOGON_CRASH", 0x17, Stage::Active)},
      {"license-error-no-license-server",
       [=] {
         return B().standardTo(Stage::Licensing)
             .ev("rdp.license_error", S, Stage::Licensing,
                 {{"error_code", "ERR_NO_LICENSE_SERVER"}, {"state_transition", "ST_TOTAL_ABORT"}})
             .close("fin_server").done();
       }},
      {"license-error-invalid-client",
       [=] {
         return B().standardTo(Stage::Licensing)
             .ev("rdp.license_error", S, Stage::Licensing,
                 {{"error_code", "ERR_INVALID_CLIENT"}, {"state_transition", "ST_TOTAL_ABORT"}})
             .close("fin_server").done();
       }},
      {"license-error-client",
       [=] {
         return B().standardTo(Stage::Licensing)
             .ev("rdp.license_error", C, Stage::Licensing, {{"error_code", "ERR_NO_LICENSE"}})
             .close("fin_client").done();
       }},
      {"license-error-other",
       [=] {
         return B().standardTo(Stage::Licensing)
             .ev("rdp.license_error", S, Stage::Licensing, {{"error_code", "UNKNOWN(0x42)"}})
             .close("fin_server").done();
       }},
      {"redirected-by-broker",
       [=] {
         return B().standardTo(Stage::Licensing).ev("rdp.server_redirection", S, std::nullopt)
             .close("fin_client").done();
       }},
      {"mcs-ultimatum-from-server-handshake",
       [=] {
         return B().standardTo(Stage::ClientInfo)
             .ev("mcs.disconnect_provider_ultimatum", S, std::nullopt,
                 {{"reason", "rn-user-requested"}, {"reason_value", 3}})
             .close("fin_server").done();
       }},
      // tcp
      {"tcp-port-closed",
       [=] { return B().syn().ev("tcp.rst", S, std::nullopt, {{"by", "server"}}).close("refused").done(); }},
      {"tcp-syn-unanswered",
       [=] { return B().syn().syn().syn().synRetries(2).close("syn_unanswered").done(); }},
      {"tcp-server-closed-before-request", [=] { return B().tcpOk().close("fin_server").done(); }},
      {"tcp-client-closed-before-request", [=] { return B().tcpOk().close("fin_client").done(); }},
      {"tcp-accepted-silent", [=] { return B().tcpOk().close("timeout").done(); }},
      {"tcp-unknown", [=] { return B().syn().close("timeout").done(); }},
      // negotiation
      {"neg-ssl-required", neg("SSL_REQUIRED_BY_SERVER")},
      {"neg-ssl-not-allowed", neg("SSL_NOT_ALLOWED_BY_SERVER")},
      {"neg-cert-not-on-server", neg("SSL_CERT_NOT_ON_SERVER")},
      {"neg-inconsistent-flags", neg("INCONSISTENT_FLAGS")},
      {"neg-hybrid-required", neg("HYBRID_REQUIRED_BY_SERVER")},
      {"neg-ssl-with-user-auth-required", neg("SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER")},
      {"neg-failure-other", neg("UNKNOWN(0x9)")},
      {"neg-x224-disconnect",
       [=] {
         return B().tcpOk().cr({"PROTOCOL_SSL"})
             .ev("x224.disconnect_request", S, std::nullopt, {{"reason", "PROTOCOL_ERROR"}})
             .close("fin_server").done();
       }},
      {"neg-restricted-admin-unsupported",
       [=] {
         return B().tcpOk().cr({"PROTOCOL_SSL", "PROTOCOL_HYBRID"}, {"RESTRICTED_ADMIN_MODE_REQUIRED"})
             .cc("PROTOCOL_HYBRID", {"EXTENDED_CLIENT_DATA_SUPPORTED"}).close("fin_client").done();
       }},
      {"neg-remote-credential-guard-unsupported",
       [=] {
         return B().tcpOk()
             .cr({"PROTOCOL_SSL", "PROTOCOL_HYBRID"}, {"REDIRECTED_AUTHENTICATION_MODE_REQUIRED"})
             .cc("PROTOCOL_HYBRID", {"EXTENDED_CLIENT_DATA_SUPPORTED"}).close("fin_client").done();
       }},
      {"neg-client-refused-selection",
       [=] {
         return B().tcpOk().cr({"PROTOCOL_SSL"}).cc("PROTOCOL_RDP", {}).close("fin_client").done();
       }},
      {"neg-client-closed-after-confirm",
       [=] {
         return B().tcpOk().cr({"PROTOCOL_SSL", "PROTOCOL_HYBRID"}).cc("PROTOCOL_SSL")
             .close("fin_client").done();
       }},
      {"neg-not-an-rdp-service",
       [=] {
         return B().tcpOk().cr({"PROTOCOL_SSL"})
             .ev("anomaly", S, std::nullopt,
                 {{"id", "x224.response.not_rdp"}, {"offset", 0}, {"detail", "HTTP/1.1"}})
             .close("fin_server").done();
       }},
      {"neg-server-closed-after-request",
       [=] { return B().tcpOk().cr({"PROTOCOL_SSL"}).close("rst_server").done(); }},
      {"neg-server-silent", [=] { return B().tcpOk().cr({"PROTOCOL_SSL"}).close("fin_client").done(); }},
      {"neg-unknown",
       [=] { return B().tcpOk().cr({"PROTOCOL_SSL"}).cc("PROTOCOL_SSL").close("timeout").done(); }},
      // tls
      {"tls-version-mismatch",
       [=] {
         return B().tcpOk().cr({"PROTOCOL_SSL"}).cc("PROTOCOL_SSL").clientHello()
             .alert(S, "protocol_version").close("fin_server").done();
       }},
      {"tls-no-common-cipher",
       [=] {
         return B().tcpOk().cr({"PROTOCOL_SSL"}).cc("PROTOCOL_SSL").clientHello()
             .alert(S, "handshake_failure").close("fin_server").done();
       }},
      {"tls-cert-rejected-by-client",
       [=] {
         return B().tcpOk().cr({"PROTOCOL_SSL"}).cc("PROTOCOL_SSL").clientHello().serverHello()
             .alert(C, "unknown_ca").close("fin_client").done();
       }},
      {"tls-server-alert",
       [=] {
         return B().tcpOk().cr({"PROTOCOL_SSL"}).cc("PROTOCOL_SSL").clientHello()
             .alert(S, "internal_error").close("fin_server").done();
       }},
      {"tls-client-alert",
       [=] {
         return B().tcpOk().cr({"PROTOCOL_SSL"}).cc("PROTOCOL_SSL").clientHello().serverHello()
             .alert(C, "decode_error").close("fin_client").done();
       }},
      {"tls-server-aborted-after-client-hello",
       [=] {
         return B().tcpOk().cr({"PROTOCOL_SSL"}).cc("PROTOCOL_SSL").clientHello()
             .ev("mcs.disconnect_provider_ultimatum", S, std::nullopt,
                 {{"reason", "rn-provider-initiated"}, {"reason_value", 1}})
             .close("fin_client").done();
       }},
      {"tls-server-closed-after-client-hello",
       [=] {
         return B().tcpOk().cr({"PROTOCOL_SSL"}).cc("PROTOCOL_SSL").clientHello()
             .close("rst_server").done();
       }},
      {"tls-server-silent-after-client-hello",
       [=] {
         return B().tcpOk().cr({"PROTOCOL_SSL"}).cc("PROTOCOL_SSL").clientHello().close("timeout").done();
       }},
      {"tls-client-close-notify-after-handshake",
       [=] {
         return B().tcpOk().cr({"PROTOCOL_SSL"}).cc("PROTOCOL_SSL").tlsOk()
             .alert(C, "close_notify", true).close("fin_server").done();
       }},
      {"tls-client-closed-after-handshake",
       [=] {
         return B().tcpOk().cr({"PROTOCOL_SSL"}).cc("PROTOCOL_SSL").tlsOk().close("fin_client").done();
       }},
      {"tls-client-closed-mid-handshake",
       [=] {
         return B().tcpOk().cr({"PROTOCOL_SSL"}).cc("PROTOCOL_SSL").clientHello().serverHello()
             .close("fin_client").done();
       }},
      {"tls-server-closed-mid-handshake",
       [=] {
         return B().tcpOk().cr({"PROTOCOL_SSL"}).cc("PROTOCOL_SSL").clientHello().serverHello()
             .close("fin_server").done();
       }},
      {"tls-unknown",
       [=] {
         return B().tcpOk().cr({"PROTOCOL_SSL"}).cc("PROTOCOL_SSL").clientHello().serverHello()
             .close("timeout").done();
       }},
      // nla, decrypted
      {"nla-wrong-password", ntstatus("STATUS_LOGON_FAILURE")},
      {"nla-no-such-user", ntstatus("STATUS_NO_SUCH_USER")},
      {"nla-account-locked", ntstatus("STATUS_ACCOUNT_LOCKED_OUT")},
      {"nla-account-disabled", ntstatus("STATUS_ACCOUNT_DISABLED")},
      {"nla-account-expired", ntstatus("STATUS_ACCOUNT_EXPIRED")},
      {"nla-password-expired", ntstatus("STATUS_PASSWORD_EXPIRED")},
      {"nla-password-must-change", ntstatus("STATUS_PASSWORD_MUST_CHANGE")},
      {"nla-account-restriction", ntstatus("STATUS_INVALID_LOGON_HOURS")},
      {"nla-logon-type-not-granted", ntstatus("STATUS_LOGON_TYPE_NOT_GRANTED")},
      {"nla-no-logon-servers", ntstatus("STATUS_NO_LOGON_SERVERS")},
      {"nla-clock-skew", ntstatus("STATUS_TIME_DIFFERENCE_AT_DC")},
      {"nla-credssp-error-other", ntstatus("STATUS_SMARTCARD_LOGON_REQUIRED")},
      {"nla-kerberos-clock-skew",
       [=] {
         return B().nla().tsRequest(C, 6).ev("kerberos.krb_error", S, Stage::Nla,
                                             {{"error_code", "KRB_AP_ERR_SKEW"}}, true)
             .close("fin_client").done();
       }},
      {"nla-kerberos-unknown-spn",
       [=] {
         return B().nla().tsRequest(C, 6).ev("kerberos.krb_error", S, Stage::Nla,
                                             {{"error_code", "KDC_ERR_S_PRINCIPAL_UNKNOWN"}}, true)
             .close("fin_client").done();
       }},
      {"nla-kerberos-error-other",
       [=] {
         return B().nla().tsRequest(C, 6).ev("kerberos.krb_error", S, Stage::Nla,
                                             {{"error_code", "KRB_AP_ERR_TKT_EXPIRED"}}, true)
             .close("fin_client").done();
       }},
      {"nla-restricted-admin-needs-kerberos",
       [=] {
         return B().tcpOk().cr({"PROTOCOL_SSL", "PROTOCOL_HYBRID"}, {"RESTRICTED_ADMIN_MODE_REQUIRED"})
             .cc("PROTOCOL_HYBRID", {"RESTRICTED_ADMIN_MODE_SUPPORTED"}).tlsOk().tsRequest(C, 6)
             .ev("ntlm.negotiate", C, Stage::Nla, {}, true).tsRequest(S, 6)
             .ev("ntlm.challenge", S, Stage::Nla, {}, true).close("fin_client").done();
       }},
      {"nla-remote-guard-needs-kerberos",
       [=] {
         return B().tcpOk()
             .cr({"PROTOCOL_SSL", "PROTOCOL_HYBRID"}, {"REDIRECTED_AUTHENTICATION_MODE_REQUIRED"})
             .cc("PROTOCOL_HYBRID", {"REDIRECTED_AUTHENTICATION_MODE_SUPPORTED"}).tlsOk()
             .tsRequest(C, 6).credssp({{"mechanism", "ntlm"}}).close("fin_client").done();
       }},
      {"nla-credssp-server-too-old",
       [=] { return B().nla().tsRequest(C, 6).tsRequest(S, 3).close("fin_client").done(); }},
      {"nla-credssp-client-too-old",
       [=] { return B().nla().tsRequest(C, 3).tsRequest(S, 6).close("fin_server").done(); }},
      // nla, metadata only (no keys): record order and direction
      {"nla-server-answered-authenticate-then-closed",
       [=] { return B().nla().legs(4).alert(S, "", true).close("fin_server").done(); }},
      {"nla-client-closed-after-challenge", [=] { return B().nla().legs(2).close("fin_client").done(); }},
      {"nla-server-closed-after-negotiate", [=] { return B().nla().legs(1).close("rst_server").done(); }},
      {"nla-server-closed-after-authenticate",
       [=] { return B().nla().legs(3).close("fin_server").done(); }},
      {"nla-server-closed-after-credentials",
       [=] { return B().nla().legs(5).close("fin_server").done(); }},
      {"nla-unknown", [=] { return B().nla().legs(1).close("timeout").done(); }},
      // early_auth
      {"early-auth-access-denied",
       [=] {
         return B().nla("PROTOCOL_HYBRID_EX").legs(5)
             .ev("rdp.early_user_auth_result", S, Stage::EarlyAuth,
                 {{"result", "AUTHZ_ACCESS_DENIED"}, {"result_value", 5}}, true)
             .close("fin_server").done();
       }},
      {"early-auth-denied-inferred",
       [=] { return B().nla("PROTOCOL_HYBRID_EX").legs(6).close("fin_server").done(); }},
      {"early-auth-unknown",
       [=] { return B().nla("PROTOCOL_HYBRID_EX").legs(6).close("timeout").done(); }},
      // mcs and later (Standard RDP Security: PDUs in cleartext)
      {"mcs-connect-refused",
       [=] {
         return B().standardTo(Stage::McsConnect)
             .ev("mcs.connect_response", S, Stage::McsConnect,
                 {{"result", "rt-unspecified-failure"}, {"result_value", 14}})
             .close("fin_server").done();
       }},
      {"mcs-server-closed-after-connect-initial",
       [=] { return B().standardTo(Stage::McsConnect).close("fin_server").done(); }},
      {"mcs-unknown", [=] { return B().standardTo(Stage::McsConnect).close("timeout").done(); }},
      {"channel-join-refused",
       [=] {
         return B().standardTo(Stage::ChannelSetup)
             .ev("mcs.channel_join_confirm", S, Stage::ChannelSetup,
                 {{"result", "rt-not-admitted"}, {"channel_id", 1004}})
             .close("fin_server").done();
       }},
      {"attach-user-refused",
       [=] {
         return B().standardTo(Stage::ChannelSetup)
             .ev("mcs.attach_user_confirm", S, Stage::ChannelSetup,
                 {{"result", "rt-too-many-users"}, {"user_id", nullptr}})
             .close("fin_server").done();
       }},
      {"channel-setup-unknown",
       [=] { return B().standardTo(Stage::ChannelSetup).close("timeout").done(); }},
      {"security-exchange-server-closed",
       [=] { return B().standardTo(Stage::SecurityExchange).close("fin_server").done(); }},
      {"security-exchange-unknown",
       [=] { return B().standardTo(Stage::SecurityExchange).close("timeout").done(); }},
      {"client-info-server-closed",
       [=] { return B().standardTo(Stage::ClientInfo).close("fin_server").done(); }},
      {"client-info-unknown",
       [=] { return B().standardTo(Stage::ClientInfo).close("fin_client").done(); }},
      {"licensing-unknown",
       [=] { return B().standardTo(Stage::Licensing).close("fin_server").done(); }},
      {"capabilities-server-closed",
       [=] {
         return B().standardTo(Stage::Capabilities).ev("rdp.confirm_active", C, Stage::Capabilities)
             .close("fin_server").done();
       }},
      {"capabilities-unknown",
       [=] { return B().standardTo(Stage::Capabilities).close("timeout").done(); }},
      {"finalization-unknown",
       [=] { return B().standardTo(Stage::Finalization).close("fin_server").done(); }},
      // active
      {"active-still-running",
       [=] { return B().standardTo(Stage::Active).close("capture_end").done(); }},
      {"active-network-loss",
       [=] { return B().standardTo(Stage::Active).retransmissions(20).close("rst_server").done(); }},
      {"active-peer-went-silent",
       [=] {
         return B().standardTo(Stage::Active).silentPeer(C, 4, 6.0).close("rst_client").done();
       }},
      {"active-server-ultimatum",
       [=] {
         return B().standardTo(Stage::Active)
             .ev("mcs.disconnect_provider_ultimatum", S, std::nullopt,
                 {{"reason", "rn-provider-initiated"}, {"reason_value", 1}})
             .close("fin_server").done();
       }},
      {"active-client-closed",
       [=] { return B().standardTo(Stage::Active).close("fin_client").done(); }},
      {"active-server-reset",
       [=] { return B().standardTo(Stage::Active).close("rst_server").done(); }},
      {"active-server-closed",
       [=] { return B().standardTo(Stage::Active).close("fin_server").done(); }},
      {"active-ended", [=] { return B().standardTo(Stage::Active).close("timeout").done(); }},
      // observations
      {"obs-tls-legacy-version",
       [=] {
         return B().tcpOk().cr({"PROTOCOL_SSL"}).cc("PROTOCOL_SSL").clientHello()
             .serverHello("TLS 1.0").close("fin_client").done();
       }},
      {"obs-tls-weak-cipher",
       [=] {
         return B().nla().tls({{"cipher", "TLS_RSA_WITH_RC4_128_SHA"}}).close("fin_client").done();
       }},
      {"obs-cert-expired",
       [=] {
         return B().nla().tls({{"server_cert", {{"expired", true}, {"not_after", "2020-01-01T00:00:00Z"}}}})
             .close("fin_client").done();
       }},
      {"obs-cert-expiring-soon",
       [=] {
         // connection start is 2023-11-14 22:13:20 UTC; notAfter 10 days later
         return B().nla().tls({{"server_cert", {{"expired", false}, {"not_after", "2023-11-24 23:00:00"}}}})
             .close("fin_client").done();
       }},
      {"obs-cert-self-signed",
       [=] {
         return B().nla().tls({{"server_cert", {{"self_signed", true}}}}).close("fin_client").done();
       }},
      {"obs-standard-security",
       [=] { return B().standardTo(Stage::Active).close("fin_client").done(); }},
      {"obs-nla-not-used",
       [=] { return B().tcpOk().cr({"PROTOCOL_SSL"}).cc("PROTOCOL_SSL").tlsOk().close("fin_client").done(); }},
      {"obs-ntlm-used",
       [=] { return B().nla().tsRequest(C, 6).ev("ntlm.negotiate", C, Stage::Nla, {}, true).close("fin_client").done(); }},
      {"obs-credssp-server-version-old",
       [=] { return B().nla().tsRequest(C, 6).tsRequest(S, 4).close("fin_server").done(); }},
      {"obs-credssp-client-version-old",
       [=] { return B().nla().tsRequest(C, 4).tsRequest(S, 4).close("fin_server").done(); }},
      {"obs-many-retransmissions",
       [=] { return B().standardTo(Stage::Active).retransmissions(50).close("fin_client").done(); }},
      {"obs-syn-retransmitted",
       [=] { return B().syn().syn().synRetries(1).tcpOk().close("fin_server").done(); }},
      {"obs-stage-inferred", [=] { return B().nla().legs(3).close("fin_server").done(); }},
  };
}

bool triggers(const rules::Verdict& v, const std::string& id) {
  if (v.diagnosis != nullptr && v.diagnosis->id == id) {
    return true;
  }
  for (const auto* o : v.observations) {
    if (o->id == id) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST(RulesFile, DefaultRulesLoad) {
  const auto& rs = defaultRules();
  EXPECT_GE(rs.rules.size(), 30U);
  std::set<std::string> diagnoses;
  for (const auto& r : rs.rules) {
    if (r.kind == rules::RuleKind::Diagnosis && !r.isCatchAll()) {
      diagnoses.insert(r.id);
    }
  }
  EXPECT_GE(diagnoses.size(), 30U) << "the issue asks for at least 30 distinct causes";
}

TEST(RulesFile, EachRuleOnHandBuiltConnection) {
  const auto& rs = defaultRules();
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.expect);
    ASSERT_NE(rs.find(c.expect), nullptr) << "case names an unknown rule";
    const auto facts = rules::reduceFacts(c.build());
    const auto v = rules::evaluate(facts, rs);
    ASSERT_NE(v.diagnosis, nullptr);
    const bool is_obs = rs.find(c.expect)->kind == rules::RuleKind::Observation;
    if (is_obs) {
      EXPECT_TRUE(triggers(v, c.expect)) << "diagnosis was " << v.diagnosis->id;
    } else {
      EXPECT_EQ(v.diagnosis->id, c.expect) << "stage " << facts.str("stage.reached").value_or("?")
                                           << ", outcome " << v.outcome;
    }
  }
}

// Fails when a rule is triggered by no test case: every rule needs proof that it can fire.
TEST(RulesCoverage, EveryRuleTriggeredByACase) {
  const auto& rs = defaultRules();
  std::set<std::string> fired;
  for (const auto& c : cases()) {
    const auto v = rules::evaluate(rules::reduceFacts(c.build()), rs);
    if (v.diagnosis != nullptr) {
      fired.insert(v.diagnosis->id);
    }
    for (const auto* o : v.observations) {
      fired.insert(o->id);
    }
  }
  for (const auto& r : rs.rules) {
    EXPECT_TRUE(fired.count(r.id)) << "rule " << r.id << " (" << r.file << ":" << r.line
                                   << ") is triggered by no test case";
  }
}

TEST(RulesEngine, DiagnoseFillsConnection) {
  Connection c = Builder().tcpOk().negFailure("HYBRID_REQUIRED_BY_SERVER").close("fin_client").done();
  rules::diagnose(c, defaultRules());
  ASSERT_TRUE(c.stage_reached.has_value());
  EXPECT_EQ(*c.stage_reached, Stage::Negotiation);
  EXPECT_EQ(c.outcome, "failed");
  ASSERT_TRUE(c.diagnosis.has_value());
  EXPECT_EQ(c.diagnosis->rule, "neg-hybrid-required");
  EXPECT_EQ(c.diagnosis->confidence, "high");
  EXPECT_NE(c.diagnosis->cause.find("PROTOCOL_HYBRID"), std::string::npos) << c.diagnosis->cause;
  // Evidence names the fact and the frame of the RDP_NEG_FAILURE (frame 4).
  bool found = false;
  for (const auto& e : c.diagnosis->evidence) {
    if (e.fact == "x224.neg_failure") {
      found = true;
      EXPECT_EQ(e.frames, std::vector<std::uint64_t>{4});
      EXPECT_EQ(e.value, "HYBRID_REQUIRED_BY_SERVER");
      EXPECT_EQ(e.text, "x224.neg_failure = HYBRID_REQUIRED_BY_SERVER (frame 4)");
    }
  }
  EXPECT_TRUE(found);
  EXPECT_GE(c.diagnosis->remediation.size(), 1U);
}

TEST(RulesEngine, ClientCodeTemplateUsesErrorInfoValue) {
  Connection c = Builder().standardTo(Stage::Active).errorInfo("ERRINFO_GRAPHICSSUBSYSTEMFAILED", 0x112F)
                     .close("fin_server").done();
  rules::diagnose(c, defaultRules());
  ASSERT_TRUE(c.diagnosis.has_value());
  ASSERT_TRUE(c.diagnosis->client_error.has_value());
  EXPECT_EQ(c.diagnosis->client_error->extended, "0x112f");
  // A graphics-subsystem failure ends the session with an error: failed, although it was active.
  EXPECT_EQ(c.outcome, "failed");
}

TEST(RulesEngine, ServerDeniedConnectionIs0x904Extended0x7) {
  Connection c = Builder().standardTo(Stage::ClientInfo)
                     .errorInfo("ERRINFO_SERVER_DENIED_CONNECTION", 7).close("fin_server").done();
  rules::diagnose(c, defaultRules());
  ASSERT_TRUE(c.diagnosis.has_value());
  ASSERT_TRUE(c.diagnosis->client_error.has_value());
  EXPECT_EQ(c.diagnosis->client_error->code, "0x904");
  EXPECT_EQ(c.diagnosis->client_error->extended, "0x7");
}

// Record order of the lab's nla-success capture (TLS 1.3: the server's two NewSessionTickets
// come before the client's first CredSSP record; frames 10-24 of captures/nla-success).
TEST(RulesFacts, Tls13TicketsBeforeFirstCredsspRecordAreIgnored) {
  Builder b;
  b.nla().appdata(S, 250).appdata(S, 250)  // NewSessionTickets
      .appdata(C, 110).appdata(S, 179).appdata(C, 450).appdata(S, 112).appdata(C, 141)
      .appdata(C, 484);
  for (int i = 0; i < 80; ++i) {
    b.appdata(S, 4000);  // graphics
    if (i % 10 == 0) {
      b.appdata(C, 30);
    }
  }
  const auto facts = rules::reduceFacts(b.close("fin_client").done());
  EXPECT_EQ(facts.str("nla.inferred_step"), "complete");
  EXPECT_EQ(facts.str("stage.reached"), "active");
  EXPECT_TRUE(facts.flag("stage.inferred"));
  EXPECT_TRUE(facts.flag("active.inferred"));
  EXPECT_EQ(facts.str("outcome"), "success");
}

// Record order of the lab's nla-wrong-password capture: the client's NEGOTIATE comes before the
// tickets, which merge with the CHALLENGE flight; the server's answer to AUTHENTICATE is an
// encrypted alert (19-byte TLS 1.3 record, flagged alert_sized by the TLS dissector) and the
// server closes: an alert answers nothing, so the AUTHENTICATE counts as unanswered.
// Record shape of Zeek's rdp-to-ssl.pcap, second connection (mstsc, HYBRID, no keys): five
// CredSSP flights, the MCS exchange, then hundreds of server records of which the timeline keeps
// only the first and last few. Activation is inferred from the TLS summary's full counts.
TEST(RulesFacts, ActiveInferredFromSummaryCountsWhenBulkEventsWereSuppressed) {
  Builder b;
  b.nla().appdata(C, 80).appdata(S, 336).appdata(C, 928).appdata(S, 336).appdata(C, 160)
      .appdata(C, 464).appdata(S, 144).appdata(C, 48).appdata(S, 48);
  b.tls({{"records", {{"to_server", {{"count", 95}, {"bytes", 13712}}},
                      {"to_client", {{"count", 345}, {"bytes", 68192}}}}}});
  Connection c = b.close("fin_client").done();
  c.events_suppressed = 300;
  const auto facts = rules::reduceFacts(c);
  EXPECT_EQ(facts.str("stage.reached"), "active");
  EXPECT_TRUE(facts.flag("active.inferred"));
  // The same shape with only the kept records (no suppression) stays below the threshold.
  c.events_suppressed = 0;
  EXPECT_EQ(rules::reduceFacts(c).str("stage.reached"), "mcs_connect");
}

TEST(RulesFacts, WrongPasswordShapeWithoutKeys) {
  Builder b;
  b.nla().appdata(C, 110).appdata(S, 250).appdata(S, 250).appdata(S, 179).appdata(C, 450)
      .ev("tls.application_data", S, std::nullopt, {{"length", 19}, {"alert_sized", true}});
  Connection c = b.close("fin_server").done();
  const auto facts = rules::reduceFacts(c);
  EXPECT_EQ(facts.str("nla.inferred_step"), "authenticate");
  EXPECT_EQ(facts.str("stage.reached"), "nla");
  rules::diagnose(c, defaultRules());
  ASSERT_TRUE(c.diagnosis.has_value());
  EXPECT_EQ(c.diagnosis->rule, "nla-server-closed-after-authenticate");
  EXPECT_EQ(c.diagnosis->confidence, "medium");
}

// Standard RDP Security with encryption: slow-path PDUs after licensing are opaque, but server
// fast-path output exists only in an active session (Zeek rdp-proprietary-encryption.pcap,
// second connection).
TEST(RulesFacts, ServerFastPathOutputMeansActive) {
  Connection c = Builder().standardTo(Stage::Licensing).ev("rdp.encrypted", S, std::nullopt)
                     .ev("rdp.fastpath", S, std::nullopt, {{"length", 957}})
                     .ev("mcs.disconnect_provider_ultimatum", S, std::nullopt,
                         {{"reason", "rn-user-requested"}})
                     .close("fin_client").done();
  rules::diagnose(c, defaultRules());
  EXPECT_EQ(*c.stage_reached, Stage::Active);
  EXPECT_EQ(c.outcome, "success");
  ASSERT_TRUE(c.diagnosis.has_value());
  EXPECT_EQ(c.diagnosis->rule, "active-server-ultimatum");
}

TEST(RulesFacts, WhoClosedAndTiming) {
  Connection c = Builder().tcpOk().cr({"PROTOCOL_SSL"}).close("rst_server").done();
  const auto facts = rules::reduceFacts(c);
  EXPECT_EQ(facts.str("who_closed"), "server");
  EXPECT_EQ(facts.str("close.kind"), "rst");
  EXPECT_EQ(facts.str("last_pdu_from"), "client");
  ASSERT_NE(facts.get("time.last_client_pdu_to_close"), nullptr);
  EXPECT_NEAR(std::get<double>(facts.get("time.last_client_pdu_to_close")->value), 0.01, 1e-9);
}

TEST(RulesFacts, EveryCatalogueFactDocumented) {
  const std::string doc = readFile(std::string(RDPSCOPE_SOURCE_DIR) + "/docs/rules.md");
  ASSERT_FALSE(doc.empty());
  for (const auto& f : rules::factCatalogue()) {
    EXPECT_NE(doc.find("`" + std::string(f.name) + "`"), std::string::npos)
        << f.name << " is missing from docs/rules.md";
  }
}

TEST(RulesFacts, EveryCatalogueNameFindsItsOwnIdAndNothingElseDoes) {
  const auto catalogue = rules::factCatalogue();
  for (std::size_t i = 0; i < catalogue.size(); ++i) {
    EXPECT_EQ(rules::factId(catalogue[i].name), i) << catalogue[i].name;
    // Same length, same first and last eight bytes, one byte changed in the middle.
    std::string near(catalogue[i].name);
    if (near.size() > 16) {
      near[near.size() / 2] = near[near.size() / 2] == 'x' ? 'y' : 'x';
      EXPECT_EQ(rules::factId(near), rules::kNoFact) << near;
    }
  }
  for (const char* name : {"", "t", "tcp.en", "tcp.end.", "tls.version.x", "nonexistent.fact"}) {
    EXPECT_EQ(rules::factId(name), rules::kNoFact) << name;
  }
  // Frames: frame 0 means none, at most two are kept.
  rules::Facts facts;
  facts.set("tcp.end", std::string("rst_server"), {0, 7, 9, 11});
  ASSERT_NE(facts.get("tcp.end"), nullptr);
  EXPECT_EQ(std::vector<std::uint64_t>(facts.get("tcp.end")->frames.begin(),
                                       facts.get("tcp.end")->frames.end()),
            (std::vector<std::uint64_t>{7, 9}));
}

// ----------------------------------------------------------------------------- loader errors

namespace {
std::string catchAlls() {
  std::string s;
  for (const char* st : {"tcp", "negotiation", "tls", "nla", "early_auth", "mcs_connect",
                         "channel_setup", "security_exchange", "client_info", "licensing",
                         "capabilities", "finalization", "active"}) {
    std::string id = st;
    std::replace(id.begin(), id.end(), '_', '-');
    s += "rule all-" + id + "\n  stage " + st +
         "\n  cause \"x\"\n  confidence low\n  fix \"y\"\n  ref \"z\"\n";
  }
  return s;
}
std::string loadError(const std::string& text) {
  auto r = rules::parseRules(text, "t.rules");
  return r ? std::string("(loaded)") : r.error();
}
}  // namespace

TEST(RulesLoader, MinimalSetLoads) { EXPECT_EQ(loadError(catchAlls()), "(loaded)"); }

TEST(RulesLoader, UnknownFactNamesFileAndLine) {
  const std::string text =
      "rule a\n  stage tcp\n  when tcp.nonsense == 1\n  cause \"x\"\n  confidence low\n"
      "  fix \"y\"\n  ref \"z\"\n" + catchAlls();
  EXPECT_NE(loadError(text).find("t.rules:3: unknown fact 'tcp.nonsense'"), std::string::npos)
      << loadError(text);
}

TEST(RulesLoader, BadValue) {
  const std::string text =
      "rule a\n  stage tcp\n  when tcp.end == exploded\n  cause \"x\"\n  confidence low\n"
      "  fix \"y\"\n  ref \"z\"\n" + catchAlls();
  EXPECT_NE(loadError(text).find("t.rules:3: bad value 'exploded' for tcp.end"), std::string::npos)
      << loadError(text);
  const std::string text2 =
      "rule a\n  stage tcp\n  when tcp.syn_retries > many\n  cause \"x\"\n  confidence low\n"
      "  fix \"y\"\n  ref \"z\"\n" + catchAlls();
  EXPECT_NE(loadError(text2).find("t.rules:3:"), std::string::npos) << loadError(text2);
  const std::string text3 =
      "rule a\n  stage tcp\n  when time.duration > 30\n  cause \"x\"\n  confidence low\n"
      "  fix \"y\"\n  ref \"z\"\n" + catchAlls();
  EXPECT_NE(loadError(text3).find("t.rules:3: fact time.duration is a duration"), std::string::npos)
      << loadError(text3);
}

TEST(RulesLoader, DuplicateId) {
  const std::string text = catchAlls() + "rule all-tcp\n  stage any\n  kind observation\n"
                           "  cause \"x\"\n  confidence low\n  fix \"y\"\n  ref \"z\"\n";
  const int line = static_cast<int>(std::count(text.begin(), text.end(), '\n')) - 6;
  EXPECT_NE(loadError(text).find("t.rules:" + std::to_string(line) + ": duplicate rule id 'all-tcp'"),
            std::string::npos)
      << loadError(text);
}

TEST(RulesLoader, MissingCatchAll) {
  std::string text = catchAlls();
  const auto pos = text.find("rule all-licensing");
  ASSERT_NE(pos, std::string::npos);
  text.insert(text.find("  cause", pos), "  when tcp.end == fin_client\n");
  EXPECT_NE(loadError(text).find("stage licensing has no catch-all rule"), std::string::npos)
      << loadError(text);
}

TEST(RulesLoader, UnreachableAfterCatchAll) {
  const std::string text = catchAlls() + "rule late\n  stage tcp\n  when tcp.end == refused\n"
                           "  cause \"x\"\n  confidence low\n  fix \"y\"\n  ref \"z\"\n";
  EXPECT_NE(loadError(text).find("rule late is unreachable"), std::string::npos) << loadError(text);
}

TEST(RulesLoader, SyntaxErrors) {
  EXPECT_NE(loadError("rule a\n  stage moon\n" + catchAlls()).find("t.rules:2: unknown stage 'moon'"),
            std::string::npos);
  EXPECT_NE(loadError("rule a\n  colour red\n" + catchAlls()).find("t.rules:2: unknown keyword 'colour'"),
            std::string::npos);
  EXPECT_NE(loadError("  stage tcp\n" + catchAlls()).find("t.rules:1: 'stage' outside a rule"),
            std::string::npos);
  EXPECT_NE(loadError("rule a\n  stage tcp\n  cause \"{nope}\"\n" + catchAlls())
                .find("t.rules:3: unknown fact '{nope}' in template"),
            std::string::npos);
  EXPECT_NE(loadError("rule a\n  stage tcp\n  cause \"unterminated\n" + catchAlls())
                .find("t.rules:3: unterminated string"),
            std::string::npos);
  EXPECT_NE(loadError("rule a\n  stage tcp\n  when tcp.end contains fin\n" + catchAlls())
                .find("t.rules:3: 'contains' needs a set fact"),
            std::string::npos);
  EXPECT_NE(loadError("rule a\n  stage tcp\n  when x224.requested_protocols contains PROTOCOL_FOO\n" +
                      catchAlls())
                .find("t.rules:3: bad value 'PROTOCOL_FOO'"),
            std::string::npos);
  // Missing required fields are reported at the rule's line.
  EXPECT_NE(loadError("rule a\n  stage tcp\n  when tcp.end == refused\n" + catchAlls())
                .find("t.rules:1: rule a: missing 'cause'"),
            std::string::npos);
}

TEST(RulesTemplate, ExpandsFactsAndHex) {
  rules::Facts f;
  f.setString("tcp.end", "rst_server");
  f.setInt("rdp.error_info_value", 7);
  EXPECT_EQ(rules::expandTemplate("{tcp.end} / {rdp.error_info_value} / {rdp.error_info}", f),
            "rst_server / 0x7 / ?");
}

// ----------------------------------------------------------------------------- explain / rules

TEST(RulesExplain, ClientCodeTableLoadsAndRulesCodesAreInIt) {
  auto table = rules::parseClientCodes(
      readFile(std::string(RDPSCOPE_SOURCE_DIR) + "/rules/client_codes.tsv"), "client_codes.tsv");
  ASSERT_TRUE(table) << table.error();
  auto has = [&](const std::string& t, std::uint32_t v) {
    return std::any_of(table->begin(), table->end(),
                       [&](const rules::ClientCodeEntry& e) { return e.table == t && e.value == v; });
  };
  EXPECT_TRUE(has("disconnect", 0x904));
  EXPECT_TRUE(has("extended", 0x7));
  for (const auto& r : defaultRules().rules) {
    if (!r.client) {
      continue;
    }
    if (auto c = rules::parseClientCode(r.client->code)) {
      EXPECT_TRUE(has("disconnect", *c)) << r.id << " names client code " << r.client->code
                                         << " absent from client_codes.tsv";
    }
  }
}

TEST(RulesExplain, Explain0x904Extended0x7) {
  const std::string out = rules::explainClientCode("0x904", std::string_view("0x7"), defaultRules());
  EXPECT_NE(out.find("Socket closed"), std::string::npos) << out;
  EXPECT_NE(out.find("ERRINFO_SERVER_DENIED_CONNECTION"), std::string::npos) << out;
  EXPECT_NE(out.find("1. errinfo-server-denied-connection"), std::string::npos) << out;
  EXPECT_NE(out.find("What to capture"), std::string::npos) << out;
  // Decimal gives the same answer.
  EXPECT_EQ(rules::explainClientCode("2308", std::string_view("7"), defaultRules()), out);
}

TEST(RulesExplain, ExtendedProtocolErrorMatchesTemplateRules) {
  const std::string out = rules::explainClientCode("0x3", std::string_view("0x112f"), defaultRules());
  EXPECT_NE(out.find("errinfo-graphics-failure"), std::string::npos) << out;
}

TEST(RulesExplain, UnknownCodeSaysSo) {
  const std::string out = rules::explainClientCode("0x1234", std::nullopt, defaultRules());
  EXPECT_NE(out.find("unknown code"), std::string::npos) << out;
  EXPECT_NE(out.find("does not guess"), std::string::npos) << out;
  const std::string bad = rules::explainClientCode("zzz", std::nullopt, defaultRules());
  EXPECT_NE(bad.find("not a number"), std::string::npos);
  const std::string und = rules::explainClientCode("0xe09", std::nullopt, defaultRules());
  EXPECT_NE(und.find("NOT documented by Microsoft"), std::string::npos) << und;
}

TEST(RulesExplain, ListRulesNamesEveryRule) {
  const std::string out = rules::listRules(defaultRules());
  for (const auto& r : defaultRules().rules) {
    EXPECT_NE(out.find("\n" + r.id + "  ["), std::string::npos) << r.id;
  }
  EXPECT_NE(rules::listFacts().find("tcp.end (string)"), std::string::npos);
}

// ----------------------------------------------------------------------------- attempts

TEST(RulesAttempts, FallbackToStandardSecurityIsOneAttempt) {
  std::vector<Connection> conns;
  conns.push_back(Builder().id(1).tcpOk().negFailure("SSL_NOT_ALLOWED_BY_SERVER").close("fin_client").done());
  conns.push_back(Builder().id(2).at(0.2).standardTo(Stage::Active).close("fin_client").done());
  conns.push_back(Builder().id(3).at(100).tcpOk().close("fin_client").done());
  for (auto& c : conns) {
    rules::diagnose(c, defaultRules());
  }
  rules::groupAttempts(conns);
  EXPECT_EQ(conns[0].attempt, "A1");
  EXPECT_EQ(conns[1].attempt, "A1");
  EXPECT_EQ(conns[2].attempt, "A2");
  const auto summaries = rules::summarizeAttempts(conns);
  ASSERT_EQ(summaries.size(), 2U);
  EXPECT_NE(summaries[0].story.find("fell back from TLS to standard RDP security"), std::string::npos)
      << summaries[0].story;
  EXPECT_EQ(summaries[0].connections, (std::vector<std::uint64_t>{1, 2}));
}

TEST(RulesAttempts, SameNlaFailureTwice) {
  std::vector<Connection> conns;
  conns.push_back(Builder().id(1).nla().legs(3).alert(S, "", true).close("fin_server").done());
  conns.push_back(Builder().id(2).at(0.3).nla().legs(3).alert(S, "", true).close("fin_server").done());
  for (auto& c : conns) {
    rules::diagnose(c, defaultRules());
  }
  rules::groupAttempts(conns);
  const auto summaries = rules::summarizeAttempts(conns);
  ASSERT_EQ(summaries.size(), 1U);
  EXPECT_NE(summaries[0].story.find("the same NLA failure twice"), std::string::npos)
      << summaries[0].story;
}

TEST(RulesAttempts, DifferentClientsAreDifferentAttempts) {
  std::vector<Connection> conns;
  conns.push_back(Builder().id(1).from("10.0.0.1").tcpOk().close("fin_client").done());
  conns.push_back(Builder().id(2).from("10.0.0.9").at(0.1).tcpOk().close("fin_client").done());
  rules::groupAttempts(conns);
  EXPECT_NE(conns[0].attempt, conns[1].attempt);
}

TEST(RulesAttempts, RedirectionLinksByRoutingToken) {
  std::vector<Connection> conns;
  conns.push_back(Builder().id(1).standardTo(Stage::Licensing)
                      .ev("rdp.server_redirection", S, std::nullopt).close("fin_client").done());
  Builder b2;
  b2.id(2).at(2).tcpOk();
  Fields f{{"cookie", nullptr}, {"routing_token", "Cookie: msts=12345.15629.0000"}};
  f["requested_protocols"] = std::vector<std::string>{"PROTOCOL_SSL"};
  b2.ev("x224.connection_request", C, Stage::Negotiation, f);
  Connection c2 = b2.close("fin_client").done();
  c2.server.ip = "10.0.0.77";  // the redirection target
  conns.push_back(c2);
  rules::groupAttempts(conns);
  EXPECT_EQ(conns[0].attempt, conns[1].attempt);
}
