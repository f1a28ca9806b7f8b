#include "rules/facts.h"

#include <algorithm>
#include <array>
#include <set>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <unordered_map>

namespace rdpscope::rules {

using model::Connection;
using model::Direction;
using model::Event;
using model::Fields;
using model::Stage;

namespace {

const std::vector<std::string_view> kStages = {
    "tcp",          "negotiation",  "tls",       "nla",          "early_auth",
    "mcs_connect",  "channel_setup", "security_exchange", "client_info", "licensing",
    "capabilities", "finalization", "active"};
const std::vector<std::string_view> kTcpEnds = {"fin_client", "fin_server", "rst_client",
                                                "rst_server", "syn_unanswered", "refused",
                                                "timeout",    "capture_end"};
const std::vector<std::string_view> kProtocols = {"PROTOCOL_RDP",    "PROTOCOL_SSL",
                                                  "PROTOCOL_HYBRID", "PROTOCOL_RDSTLS",
                                                  "PROTOCOL_HYBRID_EX", "PROTOCOL_RDSAAD"};
const std::vector<std::string_view> kNegFailures = {
    "SSL_REQUIRED_BY_SERVER", "SSL_NOT_ALLOWED_BY_SERVER", "SSL_CERT_NOT_ON_SERVER",
    "INCONSISTENT_FLAGS",     "HYBRID_REQUIRED_BY_SERVER", "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER"};
const std::vector<std::string_view> kNlaSteps = {
    "not_started", "negotiate", "challenge",        "authenticate",
    "pubkey_auth", "credentials", "early_auth_result", "complete"};

// The catalogue. Keep in sync with docs/rules.md (a unit test checks that every name appears there).
const std::vector<FactDef>& catalogue() {
  static const std::vector<FactDef> kFacts = {
      // --- stage and outcome
      {"stage.reached", FactType::String,
       "Last handshake stage entered: the most advanced stage of any event, or inferred from "
       "metadata (see stage.inferred)", kStages},
      {"stage.inferred", FactType::Bool,
       "stage.reached was inferred from TLS record metadata, not seen in a decoded PDU", {}},
      {"outcome", FactType::String,
       "success (reached active and not ended by an error: a failing Set Error Info, a licensing "
       "error or network loss make it failed), failed, or incomplete (capture ended mid-handshake "
       "with no sign of failure)", {"success", "failed", "incomplete"}},
      // --- transport
      {"transport", FactType::String, "tcp, or udp for a UDP 3389 (RDPEUDP) flow", {"tcp", "udp"}},
      {"udp.server_answered", FactType::Bool,
       "UDP flow: the server sent at least one datagram back", {}},
      {"rdpeudp.syn_ack", FactType::Bool, "UDP flow: an RDPEUDP SYN-ACK from the server was decoded",
       {}},
      // --- TCP
      {"tcp.end", FactType::String, "How the TCP connection ended (JSON tcp.end)", kTcpEnds},
      {"tcp.syn_retries", FactType::Int, "Number of retransmitted SYNs", {}},
      {"tcp.unanswered_tail.from", FactType::String,
       "Side that kept sending packets (data, retransmissions, keep-alives) after the other side's "
       "last packet", {"client", "server"}},
      {"tcp.unanswered_tail.packets", FactType::Int,
       "Packets sent by that side after the other side fell silent", {}},
      {"tcp.unanswered_tail.seconds", FactType::Duration,
       "Time between the first and last of those unanswered packets", {}},
      {"tcp.retransmissions", FactType::Int, "Retransmitted segments, both directions", {}},
      {"tcp.gap_bytes", FactType::Int, "Bytes never seen (lost or cut), both directions", {}},
      {"tcp.handshake_complete", FactType::Bool, "The server answered the SYN with a SYN-ACK", {}},
      {"tcp.payload.to_server.bytes", FactType::Int, "TCP payload bytes client -> server", {}},
      {"tcp.payload.to_client.bytes", FactType::Int, "TCP payload bytes server -> client", {}},
      {"who_closed", FactType::String,
       "Side that closed first (FIN or RST): client, server, or none (timeout / capture end)",
       {"client", "server", "none"}},
      {"close.kind", FactType::String, "First closing segment: fin, rst, or none",
       {"fin", "rst", "none"}},
      {"last_pdu_from", FactType::String,
       "Sender of the last protocol data (PDU or TLS record) before the close",
       {"client", "server"}},
      // --- X.224 negotiation
      {"x224.request_seen", FactType::Bool, "X.224 Connection Request seen", {}},
      {"x224.confirm_seen", FactType::Bool,
       "X.224 Connection Confirm seen (with RDP_NEG_RSP, RDP_NEG_FAILURE, or none)", {}},
      {"x224.neg_request_present", FactType::Bool,
       "The Connection Request carried an RDP_NEG_REQ", {}},
      {"x224.requested_protocols", FactType::Set,
       "requestedProtocols of RDP_NEG_REQ by name (PROTOCOL_RDP when none)", kProtocols},
      {"x224.request_flags", FactType::Set, "RDP_NEG_REQ flags by name", {}},
      {"x224.selected_protocol", FactType::String,
       "selectedProtocol of RDP_NEG_RSP (PROTOCOL_RDP when the CC has no negotiation data)",
       kProtocols},
      {"x224.confirm_flags", FactType::Set, "RDP_NEG_RSP flags by name", {}},
      {"x224.neg_failure", FactType::String, "RDP_NEG_FAILURE failureCode by name", kNegFailures},
      {"x224.routing_token", FactType::Bool, "The Connection Request carried a routing token", {}},
      {"x224.cookie", FactType::String, "The mstshash cookie of the Connection Request", {}},
      {"x224.correlation_id", FactType::String, "RDP_NEG_CORRELATION_INFO correlationId", {}},
      {"x224.disconnect_request", FactType::Bool, "An X.224 Disconnect Request or Error was seen",
       {}},
      // --- TLS
      {"tls.client_hello", FactType::Bool, "TLS ClientHello seen", {}},
      {"tls.server_hello", FactType::Bool, "TLS ServerHello (or HelloRetryRequest) seen", {}},
      {"tls.version", FactType::String, "Negotiated TLS version (as the TLS dissector names it)",
       {}},
      {"tls.version_legacy", FactType::Bool, "Negotiated TLS version is SSL 3, TLS 1.0 or 1.1",
       {}},
      {"tls.cipher", FactType::String, "Negotiated cipher suite name", {}},
      {"tls.cipher_weak", FactType::Bool,
       "Negotiated suite uses RC4, 3DES, DES, NULL, EXPORT or anonymous key exchange", {}},
      {"tls.certificate_seen", FactType::Bool, "A server Certificate message was seen", {}},
      {"tls.alert", FactType::String,
       "Description of the first fatal (else first) TLS alert; 'encrypted' when only the record "
       "was visible", {}},
      {"tls.alert_from", FactType::String, "Sender of that alert", {"client", "server"}},
      {"tls.alert_level", FactType::String, "Level of that alert", {"warning", "fatal", "unknown"}},
      {"tls.alert_encrypted", FactType::Bool, "That alert was encrypted (seen as a record only)",
       {}},
      {"tls.handshake_complete", FactType::Bool, "Both sides finished the TLS handshake", {}},
      {"tls.cert_expired", FactType::Bool, "Server certificate expired at capture time", {}},
      {"tls.cert_not_yet_valid", FactType::Bool, "Server certificate not yet valid at capture time",
       {}},
      {"tls.cert_self_signed", FactType::Bool, "Server certificate is self-signed", {}},
      {"tls.cert_expires_in_days", FactType::Int,
       "Days from the connection start to the certificate's notAfter (negative when expired)", {}},
      {"tls.appdata.to_server.count", FactType::Int, "Application-data records client -> server",
       {}},
      {"tls.appdata.to_server.bytes", FactType::Int, "Application-data bytes client -> server",
       {}},
      {"tls.appdata.to_client.count", FactType::Int, "Application-data records server -> client",
       {}},
      {"tls.appdata.to_client.bytes", FactType::Int, "Application-data bytes server -> client",
       {}},
      {"tls.decrypted", FactType::Bool, "TLS records of this connection were decrypted", {}},
      // --- CredSSP / NLA
      {"credssp.error_code", FactType::String, "TSRequest errorCode (NTSTATUS name)", {}},
      {"credssp.client_version", FactType::Int, "TSRequest version sent by the client", {}},
      {"credssp.server_version", FactType::Int, "TSRequest version sent by the server", {}},
      {"credssp.mechanism", FactType::String, "Authentication mechanism: ntlm, kerberos, ...", {}},
      {"credssp.server_pub_key_auth", FactType::Bool,
       "The server returned pubKeyAuth (it accepted the client's authentication)", {}},
      {"credssp.credentials_sent", FactType::Bool, "The client sent TSCredentials (authInfo)", {}},
      {"ntlm.messages_seen", FactType::Int, "NTLM messages decoded (NEGOTIATE, CHALLENGE, ...)",
       {}},
      {"ntlm.last_message", FactType::String, "Last NTLM message decoded",
       {"negotiate", "challenge", "authenticate"}},
      {"kerberos.error", FactType::String, "KRB-ERROR code name seen inside SPNEGO", {}},
      {"nla.inferred_step", FactType::String,
       "CredSSP step reached, inferred from the order and direction of TLS records after the "
       "handshake: negotiate (client's first token unanswered), challenge (server answered it), "
       "authenticate (client sent AUTHENTICATE+pubKeyAuth), pubkey_auth (server answered that), "
       "credentials (client sent TSCredentials), early_auth_result (HYBRID_EX: server answered "
       "again), complete (traffic went on)", kNlaSteps},
      {"nla.client_legs", FactType::Int, "Client flights of TLS records after the handshake", {}},
      {"nla.server_legs", FactType::Int, "Server flights of TLS records after the handshake", {}},
      {"nla.last_server_leg_alert", FactType::Bool,
       "The server's last flight ended with an (encrypted) TLS alert", {}},
      {"early_auth.result", FactType::String, "Early User Authorization Result by name", {}},
      // --- MCS / RDP
      {"mcs.connect_result", FactType::String, "MCS Connect-Response result (rt-...)", {}},
      {"mcs.attach_user_result", FactType::String, "Attach User Confirm result (rt-...)", {}},
      {"mcs.channel_join_failed", FactType::Bool, "A Channel Join Confirm had a non-success result",
       {}},
      {"mcs.disconnect_reason", FactType::String,
       "Reason of an MCS Disconnect Provider Ultimatum (rn-...)", {}},
      {"mcs.disconnect_from", FactType::String, "Sender of that ultimatum", {"client", "server"}},
      {"rdp.error_info", FactType::String, "errorInfo of the last Set Error Info PDU (ERRINFO_*)",
       {}},
      {"rdp.error_info_value", FactType::Int, "Its numeric value", {}},
      {"rdp.license_error", FactType::String,
       "dwErrorCode of the last licensing Error Message (STATUS_VALID_CLIENT is success)", {}},
      {"rdp.license_state_transition", FactType::String, "Its dwStateTransition", {}},
      {"rdp.security_protocol", FactType::String,
       "Security protocol in Zeek's naming: RDP, SSL, HYBRID, HYBRID_EX, RDSTLS, RDSAAD", {}},
      {"rdp.standard_security", FactType::Bool, "Standard RDP Security (no TLS) is in use", {}},
      {"rdp.encryption_level", FactType::String, "Server encryption level (standard security)", {}},
      {"rdp.encryption_method", FactType::String, "Server encryption method (standard security)",
       {}},
      {"rdp.redirected", FactType::Bool, "A Server Redirection PDU was seen", {}},
      {"rdp.deactivate_all", FactType::Bool, "A Deactivate All PDU was seen", {}},
      {"rdp.logon_error", FactType::String, "Save Session Info logon error notification", {}},
      {"rdp.client_info_seen", FactType::Bool, "Client Info PDU seen (decoded or encrypted)", {}},
      {"rdp.demand_active_seen", FactType::Bool, "Demand Active PDU seen", {}},
      {"rdp.shutdown_request", FactType::Bool, "Client sent a Shutdown Request PDU", {}},
      // --- time
      {"time.duration", FactType::Duration, "Connection duration (first to last packet)", {}},
      {"time.last_server_pdu_to_close", FactType::Duration,
       "Time from the server's last PDU/record to the first FIN/RST (or capture end)", {}},
      {"time.last_client_pdu_to_close", FactType::Duration,
       "Time from the client's last PDU/record to the first FIN/RST (or capture end)", {}},
      {"rdp.fastpath_output", FactType::Bool,
       "The server sent fast-path output, which exists only once the session is active "
       "([MS-RDPBCGR] 2.2.9.1.2)", {}},
      {"active.inferred", FactType::Bool,
       "Sustained server -> client traffic after the connection sequence: a session was "
       "probably active although no decoded PDU proves it", {}},
      {"anomalies", FactType::Set, "Anomaly ids reported by the dissectors", {}},
  };
  return kFacts;
}

// Readers of one field value (null when absent), then of an object's member, then of an
// event's field whichever form the event has (a compact event's is read from its described body,
// model::memberOf, without building its tree).
std::optional<std::string> strOf(const Fields* it) {
  if (it == nullptr || it->is_null()) {
    return std::nullopt;
  }
  if (it->is_string()) {
    return it->get<std::string>();
  }
  if (it->is_number_integer() || it->is_number_unsigned()) {
    return std::to_string(it->get<std::int64_t>());
  }
  if (it->is_boolean()) {
    return it->get<bool>() ? "true" : "false";
  }
  return std::nullopt;
}

std::optional<std::int64_t> intOf(const Fields* it) {
  if (it == nullptr) {
    return std::nullopt;
  }
  if (it->is_number_unsigned()) {
    auto v = it->get<std::uint64_t>();
    return v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
               ? std::numeric_limits<std::int64_t>::max()
               : static_cast<std::int64_t>(v);
  }
  if (it->is_number_integer()) {
    return it->get<std::int64_t>();
  }
  if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    std::string_view sv = s;
    int base = 10;
    if (sv.size() > 2 && sv[0] == '0' && (sv[1] == 'x' || sv[1] == 'X')) {
      sv.remove_prefix(2);
      base = 16;
    }
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(sv.data(), sv.data() + sv.size(), v, base);
    if (ec == std::errc() && ptr == sv.data() + sv.size() && !sv.empty()) {
      return v;
    }
  }
  return std::nullopt;
}

std::optional<bool> boolOf(const Fields* it) {
  if (it == nullptr || !it->is_boolean()) {
    return std::nullopt;
  }
  return it->get<bool>();
}

// True when the value holds something: true, a non-zero number or a non-empty string/array
// (CredSSP fields such as pub_key_auth carry a length, or null when absent).
bool presentOf(const Fields* it) {
  if (it == nullptr || it->is_null()) {
    return false;
  }
  if (it->is_boolean()) {
    return it->get<bool>();
  }
  if (it->is_number()) {
    return it->get<double>() != 0.0;
  }
  if (it->is_string() || it->is_array() || it->is_object()) {
    return !it->empty() && !(it->is_string() && it->get_ref<const std::string&>().empty());
  }
  return true;
}

std::vector<std::string> stringsOf(const Fields* it) {
  std::vector<std::string> out;
  if (it == nullptr) {
    return out;
  }
  if (it->is_array()) {
    for (const auto& v : *it) {
      if (v.is_string()) {
        out.push_back(v.get<std::string>());
      }
    }
  } else if (it->is_string()) {
    out.push_back(it->get<std::string>());
  }
  return out;
}

std::optional<std::string> fieldStr(const Fields& f, const char* key) {
  return strOf(model::findMember(f, key));
}
std::optional<std::int64_t> fieldInt(const Fields& f, const char* key) {
  return intOf(model::findMember(f, key));
}
std::optional<bool> fieldBool(const Fields& f, const char* key) {
  return boolOf(model::findMember(f, key));
}
bool fieldPresent(const Fields& f, const char* key) {
  return presentOf(model::findMember(f, key));
}
std::vector<std::string> fieldStrings(const Fields& f, const char* key) {
  return stringsOf(model::findMember(f, key));
}

// Reads field `key` of an event with `read` (one of the value readers above).
template <class Read>
auto eventField(const Event& ev, const char* key, Read read) {
  if (!ev.isCompact()) {
    return read(model::findMember(ev.fields, key));
  }
  const std::optional<Fields> member = model::memberOf(ev, key);
  return read(member ? &*member : nullptr);
}
std::optional<std::string> fieldStr(const Event& ev, const char* key) {
  return eventField(ev, key, strOf);
}
std::optional<std::int64_t> fieldInt(const Event& ev, const char* key) {
  return eventField(ev, key, intOf);
}
std::optional<bool> fieldBool(const Event& ev, const char* key) {
  return eventField(ev, key, boolOf);
}
std::vector<std::string> fieldStrings(const Event& ev, const char* key) {
  return eventField(ev, key, stringsOf);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

inline bool startsWith(std::string_view s, std::string_view p) { return s.starts_with(p); }

const char* side(Direction d) { return d == Direction::ToServer ? "client" : "server"; }

// Days since 1970-01-01 for a civil date (H. Hinnant's algorithm).
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// notAfter as epoch seconds: accepts a number (epoch) or "YYYY-MM-DD[T ]HH:MM:SS..." (UTC).
std::optional<std::int64_t> parseTime(const Fields& f, const char* key) {
  if (auto n = fieldInt(f, key)) {
    return n;
  }
  auto s = fieldStr(f, key);
  if (!s) {
    return std::nullopt;
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (std::sscanf(s->c_str(), "%d-%d-%d%*c%d:%d:%d", &y, &mo, &d, &h, &mi, &se) < 3) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) {
    return std::nullopt;
  }
  return daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
         h * 3600 + mi * 60 + se;
}

// The event kinds reduceFacts acts on. Each event's kind string is classified once (one hash
// lookup) instead of being compared against every name of the dispatch chain: with ~50 names per
// event those string compares were most of the reducer's time.
enum class EvKind : std::uint8_t {
  Other,
  TcpSyn, TcpSynAck, TcpFin, TcpRst, TcpOther,  // TcpOther: any other "tcp." kind
  Anomaly, EventsSuppressed,
  X224Request, X224Confirm, X224NegFailure, X224Disconnect,  // Disconnect: disconnect_request, error
  TlsClientHello, TlsServerHello, TlsHelloRetry, TlsCertificate, TlsFinished, TlsChangeCipherSpec,
  TlsAlert, TlsAppData,
  CredsspTsRequest, CredsspTsCredentials,
  Ntlm,                          // any "ntlm." kind
  Kerberos, KerberosKrbError,    // any "kerberos." kind; kerberos.krb_error
  EarlyAuthResult, McsConnectResponse, McsAttachUserConfirm, McsChannelJoinConfirm,
  McsDisconnectUltimatum, SetErrorInfo, LicenseError, ServerRedirection, DeactivateAll,
  SaveSessionInfo, ClientInfo, DemandActive, FastPath, RdpeudpSynAck, ShutdownRequest,
};

EvKind classify(std::string_view kind) {
  static constexpr std::pair<std::string_view, EvKind> kNames[] = {
      {"tcp.syn", EvKind::TcpSyn},
      {"tcp.syn_ack", EvKind::TcpSynAck},
      {"tcp.fin", EvKind::TcpFin},
      {"tcp.rst", EvKind::TcpRst},
      {"anomaly", EvKind::Anomaly},
      {"events.suppressed", EvKind::EventsSuppressed},
      {"x224.connection_request", EvKind::X224Request},
      {"x224.connection_confirm", EvKind::X224Confirm},
      {"x224.neg_failure", EvKind::X224NegFailure},
      {"x224.disconnect_request", EvKind::X224Disconnect},
      {"x224.error", EvKind::X224Disconnect},
      {"tls.client_hello", EvKind::TlsClientHello},
      {"tls.server_hello", EvKind::TlsServerHello},
      {"tls.hello_retry_request", EvKind::TlsHelloRetry},
      {"tls.certificate", EvKind::TlsCertificate},
      {"tls.finished", EvKind::TlsFinished},
      {"tls.change_cipher_spec", EvKind::TlsChangeCipherSpec},
      {"tls.alert", EvKind::TlsAlert},
      {"tls.application_data", EvKind::TlsAppData},
      {"credssp.ts_request", EvKind::CredsspTsRequest},
      {"credssp.ts_credentials", EvKind::CredsspTsCredentials},
      {"kerberos.krb_error", EvKind::KerberosKrbError},
      {"rdp.early_user_auth_result", EvKind::EarlyAuthResult},
      {"mcs.connect_response", EvKind::McsConnectResponse},
      {"mcs.attach_user_confirm", EvKind::McsAttachUserConfirm},
      {"mcs.channel_join_confirm", EvKind::McsChannelJoinConfirm},
      {"mcs.disconnect_provider_ultimatum", EvKind::McsDisconnectUltimatum},
      {"rdp.set_error_info", EvKind::SetErrorInfo},
      {"rdp.license_error", EvKind::LicenseError},
      {"rdp.server_redirection", EvKind::ServerRedirection},
      {"rdp.deactivate_all", EvKind::DeactivateAll},
      {"rdp.save_session_info", EvKind::SaveSessionInfo},
      {"rdp.client_info", EvKind::ClientInfo},
      {"rdp.demand_active", EvKind::DemandActive},
      {"rdp.fastpath", EvKind::FastPath},
      {"rdpeudp.syn_ack", EvKind::RdpeudpSynAck},
      {"rdp.shutdown_request", EvKind::ShutdownRequest},
  };
  // Asked for every event of every connection: names bucketed by length, so a lookup compares
  // the few names of the same length (at most a handful) instead of hashing the kind.
  static const auto kByLength = [] {
    std::array<std::vector<std::pair<std::string_view, EvKind>>, 48> t;
    for (const auto& entry : kNames) {
      t.at(entry.first.size()).push_back(entry);
    }
    return t;
  }();
  if (kind.size() < kByLength.size()) {
    for (const auto& [name, k] : kByLength[kind.size()]) {
      if (name == kind) {
        return k;
      }
    }
  }
  if (startsWith(kind, "tcp.")) {
    return EvKind::TcpOther;
  }
  if (startsWith(kind, "ntlm.")) {
    return EvKind::Ntlm;
  }
  if (startsWith(kind, "kerberos.")) {
    return EvKind::Kerberos;
  }
  return EvKind::Other;
}

bool isTcpKind(EvKind k) {
  return k == EvKind::TcpSyn || k == EvKind::TcpSynAck || k == EvKind::TcpFin ||
         k == EvKind::TcpRst || k == EvKind::TcpOther;
}

// A "PDU" for timing purposes: any event that carries protocol data (not TCP control, not
// anomalies or bookkeeping).
// TLS alerts (close_notify included) and records of exactly an alert's size close a connection;
// they carry no protocol data, so "who spoke last" ignores them.
bool isPdu(EvKind k, bool alert_sized_record) {
  if (isTcpKind(k) || k == EvKind::Anomaly || k == EvKind::EventsSuppressed ||
      k == EvKind::TlsAlert) {
    return false;
  }
  return !(k == EvKind::TlsAppData && alert_sized_record);
}

// A tls.application_data event's record length and alert-size mark, read in one pass: kept
// records are usually compact events (model::Event::isCompact).
struct AppDataRecord {
  std::uint64_t length = 0;
  bool alert_sized = false;
};

AppDataRecord appDataRecord(const Event& ev) {
  std::array<model::FieldPick, 2> picks = {model::FieldPick{"length", {}, {}},
                                           model::FieldPick{"alert_sized", {}, {}}};
  model::pickFields(ev, picks);
  AppDataRecord r;
  if (picks[0].number) {
    r.length = *picks[0].number;
  } else if (!ev.isCompact()) {  // a built event from elsewhere: any integer form
    r.length = static_cast<std::uint64_t>(
        std::max<std::int64_t>(fieldInt(ev.fields, "length").value_or(0), 0));
  }
  r.alert_sized = picks[1].flag.value_or(false);
  return r;
}

// One TLS record after the handshake, as the inference sees it.
struct Record {
  Direction dir;
  std::uint64_t frame;
  std::uint64_t bytes;
  bool alert;
  // Stands for a decrypted record listed only as the PDUs it carried (the TLS dissector lists a
  // decrypted record as application data only when its plaintext shows as no event): one per
  // frame and direction, its size unknown (0).
  bool decoded = false;
};

struct Leg {
  Direction dir;
  std::uint64_t first_frame;
  std::uint64_t last_frame;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  bool ends_with_alert = false;
};

// Minimum sustained server -> client traffic after the connection sequence for "active
// (inferred)". The whole sequence from MCS Connect Response to Font Map is a bounded number of
// server PDUs ([MS-RDPBCGR] 1.3.1.1: connect response, attach/join confirms for at most 31 static
// channels + I/O + user + message channels, licensing, Demand Active, 4 finalization PDUs); a
// flow well beyond that is graphics output of an active session. By size: over TLS the server's
// part of that sequence is small (the server security data is empty; the largest PDUs are the
// license request with its certificate, ~3 KB, and Demand Active, < 1 KB), so 16 KiB of server
// records after the MCS point is already graphics (a first screen update is tens of KB).
constexpr std::uint64_t kActiveMinServerRecords = 64;
// "The peer fell silent": at least 3 unanswered packets over at least 2 s. Linux and Windows
// retransmit within ~0.2-1 s and keep-alive probes come seconds apart, while a normal close
// leaves at most a FIN/ACK or two unanswered within milliseconds.
constexpr std::uint32_t kSilentPeerMinPackets = 3;
constexpr double kSilentPeerMinSeconds = 2.0;
constexpr std::uint64_t kActiveMinServerBytes = 16 * 1024;

}  // namespace

std::string_view factTypeName(FactType type) noexcept {
  switch (type) {
    case FactType::Bool: return "bool";
    case FactType::Int: return "int";
    case FactType::String: return "string";
    case FactType::Duration: return "duration";
    case FactType::Set: return "set";
  }
  return "?";
}

std::span<const FactDef> factCatalogue() { return catalogue(); }

namespace {
// Catalogue names are dotted words sharing prefixes ("tls.", "rdp.x224."): their length and
// their first and last eight bytes tell them apart, so hashing one is two loads and a multiply.
// std::hash read every byte, and factId() was 1.5 % of a run's instructions (issue 8).
std::uint64_t nameHash(std::string_view s) noexcept {
  std::uint64_t head = 0;
  std::uint64_t tail = 0;
  const std::size_t n = s.size();
  if (n >= 8) {
    std::memcpy(&head, s.data(), 8);
    std::memcpy(&tail, s.data() + n - 8, 8);
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      head |= std::uint64_t{static_cast<unsigned char>(s[i])} << (8 * i);
    }
  }
  std::uint64_t h = (head ^ (tail * 0x9E3779B97F4A7C15ULL) ^ n) * 0xBF58476D1CE4E5B9ULL;
  return h ^ (h >> 31);
}

// Open addressing, linear probing, at most a quarter full: the catalogue's ids by nameHash.
struct FactIndex {
  std::vector<FactId> slots;
  std::uint64_t mask = 0;
  FactIndex() {
    const auto& defs = catalogue();
    std::size_t size = 16;
    while (size < 4 * defs.size()) {
      size *= 2;
    }
    slots.assign(size, kNoFact);
    mask = size - 1;
    for (std::size_t i = 0; i < defs.size(); ++i) {
      std::uint64_t at = nameHash(defs[i].name) & mask;
      while (slots[at] != kNoFact) {
        at = (at + 1) & mask;
      }
      slots[at] = static_cast<FactId>(i);
    }
  }
};
}  // namespace

FactId factId(std::string_view name) noexcept {
  static const FactIndex kIndex;
  const auto& defs = catalogue();
  for (std::uint64_t at = nameHash(name) & kIndex.mask;; at = (at + 1) & kIndex.mask) {
    const FactId id = kIndex.slots[at];
    if (id == kNoFact || defs[id].name == name) {
      return id;
    }
  }
}

const FactDef* findFact(std::string_view name) noexcept {
  const FactId id = factId(name);
  return id == kNoFact ? nullptr : &catalogue()[id];
}

Facts::Facts() : known_(catalogue().size()) {}

void Facts::set(std::string_view name, FactValue value, FactFrames frames) {
  if (const FactId id = factId(name); id != kNoFact) {
    known_[id] = Fact{std::move(value), std::move(frames)};
    return;
  }
  auto it = other_.lower_bound(name);
  if (it == other_.end() || it->first != name) {
    it = other_.emplace_hint(it, std::string(name), Fact{});
  }
  it->second = Fact{std::move(value), std::move(frames)};
}

namespace {
FactFrames oneFrame(std::uint64_t frame) { return FactFrames{frame}; }  // none for frame 0
}  // namespace

void Facts::setBool(std::string_view name, bool v, std::uint64_t frame) {
  set(name, v, oneFrame(frame));
}
void Facts::setInt(std::string_view name, std::int64_t v, std::uint64_t frame) {
  set(name, v, oneFrame(frame));
}
void Facts::setString(std::string_view name, std::string v, std::uint64_t frame) {
  set(name, std::move(v), oneFrame(frame));
}
void Facts::setDuration(std::string_view name, double seconds, std::uint64_t frame) {
  set(name, seconds, oneFrame(frame));
}
void Facts::setSet(std::string_view name, std::vector<std::string> v, std::uint64_t frame) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  set(name, std::move(v), oneFrame(frame));
}
void Facts::erase(std::string_view name) {
  if (const FactId id = factId(name); id != kNoFact) {
    known_[id].reset();
    return;
  }
  auto it = other_.find(name);
  if (it != other_.end()) {
    other_.erase(it);
  }
}

const Fact* Facts::get(std::string_view name) const {
  if (const FactId id = factId(name); id != kNoFact) {
    return get(id);
  }
  auto it = other_.find(name);
  return it == other_.end() ? nullptr : &it->second;
}

const Fact* Facts::get(FactId id) const {
  return id < known_.size() && known_[id] ? &*known_[id] : nullptr;
}

std::optional<std::string> Facts::str(std::string_view name) const {
  const Fact* f = get(name);
  if (f == nullptr) {
    return std::nullopt;
  }
  if (const auto* s = std::get_if<std::string>(&f->value)) {
    return *s;
  }
  return renderValue(name, f->value);
}

std::optional<std::int64_t> Facts::integer(std::string_view name) const {
  const Fact* f = get(name);
  if (f == nullptr) {
    return std::nullopt;
  }
  if (const auto* i = std::get_if<std::int64_t>(&f->value)) {
    return *i;
  }
  return std::nullopt;
}

bool Facts::flag(std::string_view name) const {
  const Fact* f = get(name);
  if (f == nullptr) {
    return false;
  }
  const auto* b = std::get_if<bool>(&f->value);
  return b != nullptr && *b;
}

std::string renderValue(std::string_view fact_name, const FactValue& value) {
  struct Visitor {
    std::string_view name;
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t i) const {
      if (name.size() > 6 && name.substr(name.size() - 6) == "_value" && i >= 0) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(i));
        return buf;
      }
      return std::to_string(i);
    }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(double d) const {
      char buf[48];
      std::snprintf(buf, sizeof buf, "%.3fs", d);
      return buf;
    }
    std::string operator()(const std::vector<std::string>& v) const {
      std::string out;
      for (const auto& s : v) {
        if (!out.empty()) {
          out += ",";
        }
        out += s;
      }
      return out.empty() ? "(none)" : out;
    }
  };
  return std::visit(Visitor{fact_name}, value);
}

Facts reduceFacts(const Connection& conn) {
  Facts facts;
  const auto& evs = conn.events;

  // ---------------------------------------------------------------- TCP
  std::uint64_t syn_ack_frame = 0;
  std::uint64_t syn_frame = 0;
  const Event* close_ev = nullptr;
  // kinds[i] is the class of evs[i]: every loop below dispatches on it.
  std::vector<EvKind> kinds;
  kinds.reserve(evs.size());
  for (const auto& ev : evs) {
    kinds.push_back(classify(ev.kind));
  }
  for (std::size_t i = 0; i < evs.size(); ++i) {
    const EvKind k = kinds[i];
    if (k == EvKind::TcpSynAck && syn_ack_frame == 0) {
      syn_ack_frame = evs[i].frame;
    } else if (k == EvKind::TcpSyn && syn_frame == 0) {
      syn_frame = evs[i].frame;
    } else if ((k == EvKind::TcpFin || k == EvKind::TcpRst) && close_ev == nullptr) {
      close_ev = &evs[i];
    }
  }
  const auto& cs = conn.dir(Direction::ToServer);
  const auto& sc = conn.dir(Direction::ToClient);
  facts.setString("transport", conn.transport == "udp" ? "udp" : "tcp", conn.first_frame);
  if (conn.transport == "udp") {
    facts.setBool("udp.server_answered", conn.dir(Direction::ToClient).packets > 0);
  }
  facts.setString("tcp.end", conn.tcp_end, close_ev != nullptr ? close_ev->frame : 0);
  facts.setInt("tcp.syn_retries", conn.syn_retries, syn_frame);
  if (conn.unanswered_tail_from) {
    facts.setString("tcp.unanswered_tail.from", side(*conn.unanswered_tail_from));
    facts.setInt("tcp.unanswered_tail.packets", conn.unanswered_tail_packets);
    facts.setDuration("tcp.unanswered_tail.seconds", conn.unanswered_tail_seconds);
  }
  facts.setInt("tcp.retransmissions",
               static_cast<std::int64_t>(cs.retransmissions + sc.retransmissions));
  facts.setInt("tcp.gap_bytes", static_cast<std::int64_t>(cs.gap_bytes + sc.gap_bytes));
  facts.setInt("tcp.payload.to_server.bytes", static_cast<std::int64_t>(cs.bytes));
  facts.setInt("tcp.payload.to_client.bytes", static_cast<std::int64_t>(sc.bytes));
  const bool refused = conn.tcp_end == "refused" || conn.tcp_end == "syn_unanswered";
  const bool handshake =
      !refused && (syn_ack_frame != 0 || (syn_frame == 0 && (cs.bytes > 0 || sc.bytes > 0)));
  facts.setBool("tcp.handshake_complete", handshake, syn_ack_frame);

  std::string who = "none";
  std::string kind = "none";
  if (conn.tcp_end == "fin_client" || conn.tcp_end == "rst_client") {
    who = "client";
  } else if (conn.tcp_end == "fin_server" || conn.tcp_end == "rst_server" ||
             conn.tcp_end == "refused") {
    who = "server";
  }
  if (startsWith(conn.tcp_end, "fin")) {
    kind = "fin";
  } else if (startsWith(conn.tcp_end, "rst") || conn.tcp_end == "refused") {
    kind = "rst";
  }
  if (close_ev != nullptr && who == "none") {
    // tcp_end says capture_end/timeout but a FIN/RST was seen: trust the event.
    if (auto by = fieldStr(*close_ev, "by")) {
      who = *by == "server" ? "server" : "client";
    } else {
      who = side(close_ev->dir);
    }
    kind = close_ev->kind == "tcp.fin" ? "fin" : "rst";
  }
  facts.setString("who_closed", who, close_ev != nullptr ? close_ev->frame : 0);
  facts.setString("close.kind", kind, close_ev != nullptr ? close_ev->frame : 0);

  // ---------------------------------------------------------------- timeline scan
  std::optional<Stage> max_stage;
  std::uint64_t max_stage_frame = 0;
  std::vector<std::string> anomalies;
  std::uint64_t first_anomaly_frame = 0;
  bool decrypted_seen = false;

  const Event* last_pdu_before_close[2] = {nullptr, nullptr};
  const Event* last_pdu_overall = nullptr;

  // TLS
  const Event* client_hello = nullptr;
  const Event* server_hello = nullptr;
  const Event* alert_ev = nullptr;
  bool alert_is_fatal = false;
  bool finished[2] = {false, false};
  bool ccs[2] = {false, false};
  std::uint64_t appdata_count[2] = {0, 0};
  std::uint64_t appdata_bytes[2] = {0, 0};
  std::vector<Record> records;  // application data + encrypted alerts, in order
  // CredSSP
  std::optional<std::string> credssp_error;
  std::uint64_t credssp_error_frame = 0;
  std::optional<std::int64_t> credssp_version[2];
  std::uint64_t credssp_version_frame[2] = {0, 0};
  bool server_pub_key_auth = false;
  std::uint64_t server_pub_key_auth_frame = 0;
  bool credentials_sent = false;
  std::uint64_t credentials_frame = 0;
  std::int64_t ntlm_count = 0;
  std::string ntlm_last;
  std::uint64_t ntlm_last_frame = 0;
  bool kerberos_seen = false;
  std::optional<std::string> krb_error;
  std::uint64_t krb_error_frame = 0;

  // A decrypted TLS 1.3 record whose inner content is an alert shows as an application-data
  // record plus a tls.alert event of the same frame and direction: the record is the alert.
  std::set<std::pair<std::uint64_t, std::size_t>> alert_records;
  for (std::size_t i = 0; i < evs.size(); ++i) {
    if (kinds[i] == EvKind::TlsAlert) {
      alert_records.emplace(evs[i].frame, static_cast<std::size_t>(evs[i].dir));
    }
  }
  auto isAlertRecord = [&alert_records](const Event& ev, EvKind k) {
    return k == EvKind::TlsAppData && !alert_records.empty() &&
           alert_records.count({ev.frame, static_cast<std::size_t>(ev.dir)}) > 0;
  };

  bool client_hello_so_far = false;
  for (std::size_t i = 0; i < evs.size(); ++i) {
    const Event& ev = evs[i];
    const EvKind k = kinds[i];
    const auto d = static_cast<std::size_t>(ev.dir);
    if (k == EvKind::TlsClientHello) {
      client_hello_so_far = true;
    }
    // A server TLS alert before any ClientHello (a server whose TLS accept failed on the client's
    // close or on garbage) does not mean the client entered the TLS stage.
    const bool premature_alert = k == EvKind::TlsAlert && !client_hello_so_far;
    if (ev.stage && !premature_alert && (!max_stage || *ev.stage > *max_stage)) {
      max_stage = ev.stage;
      max_stage_frame = ev.frame;
    }
    if (ev.decrypted) {
      decrypted_seen = true;
    }
    if (ev.decrypted && k != EvKind::Anomaly && k != EvKind::EventsSuppressed &&
        !startsWith(ev.kind, "tls.")) {
      // A PDU from a decrypted record: the record, once per frame and direction.
      if (records.empty() || !records.back().decoded || records.back().frame != ev.frame ||
          records.back().dir != ev.dir) {
        records.push_back(Record{ev.dir, ev.frame, 0, false, true});
      }
    }
    const AppDataRecord app = k == EvKind::TlsAppData ? appDataRecord(ev) : AppDataRecord{};
    if (isPdu(k, app.alert_sized) && !isAlertRecord(ev, k)) {
      last_pdu_overall = &ev;
      if (close_ev == nullptr || ev.frame <= close_ev->frame) {
        last_pdu_before_close[d] = &ev;
      }
    }
    switch (k) {
      case EvKind::Anomaly:
        if (auto id = fieldStr(ev, "id")) {
          anomalies.push_back(*id);
          if (first_anomaly_frame == 0) {
            first_anomaly_frame = ev.frame;
          }
        }
        break;
      case EvKind::X224Request:
        if (!facts.has("x224.request_seen")) {
          facts.setBool("x224.request_seen", true, ev.frame);
          const Fields& f = model::fieldsOf(ev);  // several fields: one tree for a compact event
          auto protos = fieldStrings(f, "requested_protocols");
          auto value = fieldInt(f, "requested_protocols_value");
          // has_negotiation when the dissector says so; else a requestedProtocols value or names.
          bool has_neg =
              fieldBool(f, "has_negotiation").value_or(!protos.empty() || value.has_value());
          facts.setBool("x224.neg_request_present", has_neg, ev.frame);
          if (protos.empty()) {
            protos.push_back("PROTOCOL_RDP");
          }
          facts.setSet("x224.requested_protocols", protos, ev.frame);
          facts.setSet("x224.request_flags", fieldStrings(f, "flags"), ev.frame);
          auto token = fieldStr(f, "routing_token");
          facts.setBool("x224.routing_token", token.has_value() && !token->empty(), ev.frame);
          if (auto c = fieldStr(f, "cookie")) {
            facts.setString("x224.cookie", *c, ev.frame);
          }
          if (auto c = fieldStr(f, "correlation_id")) {
            facts.setString("x224.correlation_id", *c, ev.frame);
          }
        }
        break;
      case EvKind::X224Confirm:
        facts.setBool("x224.confirm_seen", true, ev.frame);
        facts.setString("x224.selected_protocol",
                        fieldStr(ev, "selected_protocol").value_or("PROTOCOL_RDP"),
                        ev.frame);
        facts.setSet("x224.confirm_flags", fieldStrings(ev, "flags"), ev.frame);
        break;
      case EvKind::X224NegFailure:
        facts.setBool("x224.confirm_seen", true, ev.frame);
        facts.setString("x224.neg_failure",
                        fieldStr(ev, "failure_code").value_or("UNKNOWN"), ev.frame);
        break;
      case EvKind::X224Disconnect:
        facts.setBool("x224.disconnect_request", true, ev.frame);
        break;
      case EvKind::TlsClientHello:
        if (client_hello == nullptr) {
          client_hello = &ev;
        }
        break;
      case EvKind::TlsServerHello:
        server_hello = &ev;  // a ServerHello wins over an earlier HelloRetryRequest
        break;
      case EvKind::TlsHelloRetry:
        if (server_hello == nullptr) {
          server_hello = &ev;
        }
        break;
      case EvKind::TlsCertificate:
        facts.setBool("tls.certificate_seen", true, ev.frame);
        break;
      case EvKind::TlsFinished:
        finished[d] = true;
        break;
      case EvKind::TlsChangeCipherSpec:
        ccs[d] = true;
        break;
      case EvKind::TlsAlert: {
        auto level = fieldStr(ev, "level").value_or("unknown");
        bool enc = fieldBool(ev, "encrypted").value_or(false);
        bool fatal = level == "fatal" || level == "2";
        if (alert_ev == nullptr || (fatal && !alert_is_fatal)) {
          alert_ev = &ev;
          alert_is_fatal = fatal;
        }
        if (enc || ev.decrypted) {
          // A protected alert is a flight of its own in the post-handshake record order.
          records.push_back(Record{ev.dir, ev.frame, 0, true});
        }
        break;
      }
      case EvKind::TlsAppData: {
        appdata_count[d]++;
        appdata_bytes[d] += app.length;
        // TLS 1.3 hides alerts in application-data records; the TLS dissector marks records of
        // exactly an encrypted alert's size (RFC 8446 5.2: 2 + 1 + 16 bytes).
        records.push_back(Record{ev.dir, ev.frame, app.length,
                                 app.alert_sized || isAlertRecord(ev, k)});
        break;
      }
      case EvKind::CredsspTsRequest: {
        const Fields& f = model::fieldsOf(ev);  // several fields: one tree for a compact event
        if (auto v = fieldInt(f, "version"); v && !credssp_version[d]) {
          credssp_version[d] = v;
          credssp_version_frame[d] = ev.frame;
        }
        if (auto e = fieldStr(f, "error_code"); e && !credssp_error) {
          credssp_error = e;
          credssp_error_frame = ev.frame;
        }
        if (ev.dir == Direction::ToClient && fieldPresent(f, "pub_key_auth") &&
            !server_pub_key_auth) {
          server_pub_key_auth = true;
          server_pub_key_auth_frame = ev.frame;
        }
        if (ev.dir == Direction::ToServer && fieldPresent(f, "auth_info") && !credentials_sent) {
          credentials_sent = true;
          credentials_frame = ev.frame;
        }
        break;
      }
      case EvKind::CredsspTsCredentials:
        if (!credentials_sent) {
          credentials_sent = true;
          credentials_frame = ev.frame;
        }
        break;
      case EvKind::Ntlm:
        ntlm_count++;
        ntlm_last = ev.kind.substr(5);
        ntlm_last_frame = ev.frame;
        break;
      case EvKind::Kerberos:
      case EvKind::KerberosKrbError:
        kerberos_seen = true;
        if (k == EvKind::KerberosKrbError && !krb_error) {
          krb_error = fieldStr(ev, "error_code").value_or("UNKNOWN");
          krb_error_frame = ev.frame;
        }
        break;
      case EvKind::EarlyAuthResult:
        facts.setString("early_auth.result", fieldStr(ev, "result").value_or("UNKNOWN"),
                        ev.frame);
        break;
      case EvKind::McsConnectResponse:
        facts.setString("mcs.connect_result", fieldStr(ev, "result").value_or("UNKNOWN"),
                        ev.frame);
        break;
      case EvKind::McsAttachUserConfirm:
        facts.setString("mcs.attach_user_result",
                        fieldStr(ev, "result").value_or("UNKNOWN"), ev.frame);
        break;
      case EvKind::McsChannelJoinConfirm: {
        auto r = fieldStr(ev, "result");
        if (r && *r != "rt-successful" && !facts.flag("mcs.channel_join_failed")) {
          facts.setBool("mcs.channel_join_failed", true, ev.frame);
        }
        break;
      }
      case EvKind::McsDisconnectUltimatum:
        if (!facts.has("mcs.disconnect_reason")) {
          facts.setString("mcs.disconnect_reason",
                          fieldStr(ev, "reason").value_or("UNKNOWN"), ev.frame);
          facts.setString("mcs.disconnect_from", side(ev.dir), ev.frame);
        }
        break;
      case EvKind::SetErrorInfo: {
        auto name = fieldStr(ev, "error_info").value_or("UNKNOWN");
        auto value = fieldInt(ev, "error_info_value");
        if (name != "ERRINFO_NONE" && value.value_or(1) != 0) {
          facts.setString("rdp.error_info", name, ev.frame);
          if (value) {
            facts.setInt("rdp.error_info_value", *value, ev.frame);
          }
        }
        break;
      }
      case EvKind::LicenseError:
        facts.setString("rdp.license_error",
                        fieldStr(ev, "error_code").value_or("UNKNOWN"), ev.frame);
        if (auto st = fieldStr(ev, "state_transition")) {
          facts.setString("rdp.license_state_transition", *st, ev.frame);
        }
        break;
      case EvKind::ServerRedirection:
        facts.setBool("rdp.redirected", true, ev.frame);
        break;
      case EvKind::DeactivateAll:
        facts.setBool("rdp.deactivate_all", true, ev.frame);
        break;
      case EvKind::SaveSessionInfo:
        if (auto le = fieldStr(ev, "logon_error")) {
          facts.setString("rdp.logon_error", *le, ev.frame);
        }
        break;
      case EvKind::ClientInfo:
        facts.setBool("rdp.client_info_seen", true, ev.frame);
        break;
      case EvKind::DemandActive:
        facts.setBool("rdp.demand_active_seen", true, ev.frame);
        break;
      case EvKind::FastPath:
        // Only server fast-path output proves an active session ([MS-RDPBCGR] 2.2.9.1.2).
        if (ev.dir == Direction::ToClient && !facts.has("rdp.fastpath_output")) {
          facts.setBool("rdp.fastpath_output", true, ev.frame);
        }
        break;
      case EvKind::RdpeudpSynAck:
        facts.setBool("rdpeudp.syn_ack", true, ev.frame);
        break;
      case EvKind::ShutdownRequest:
        facts.setBool("rdp.shutdown_request", true, ev.frame);
        break;
      case EvKind::Other:
      case EvKind::TcpSyn:
      case EvKind::TcpSynAck:
      case EvKind::TcpFin:
      case EvKind::TcpRst:
      case EvKind::TcpOther:
      case EvKind::EventsSuppressed:
        break;
    }
  }

  if (!facts.has("x224.request_seen")) {
    facts.setBool("x224.request_seen", false);
  }
  if (!facts.has("x224.confirm_seen")) {
    facts.setBool("x224.confirm_seen", false);
  }
  facts.setSet("anomalies", anomalies, first_anomaly_frame);

  // ---------------------------------------------------------------- TLS summary
  const Fields& tls = conn.tls;
  facts.setBool("tls.client_hello", client_hello != nullptr,
                client_hello ? client_hello->frame : 0);
  facts.setBool("tls.server_hello", server_hello != nullptr,
                server_hello ? server_hello->frame : 0);
  const std::uint64_t sh_frame = server_hello ? server_hello->frame : 0;
  std::optional<std::string> version = fieldStr(tls, "version");
  if (!version && server_hello) {
    version = fieldStr(*server_hello, "version");
  }
  if (version) {
    facts.setString("tls.version", *version, sh_frame);
    std::string v = lower(*version);
    bool legacy = v.find("1.0") != std::string::npos || v.find("1.1") != std::string::npos ||
                  v.find("ssl") != std::string::npos || v == "tlsv1" || v == "tls1";
    facts.setBool("tls.version_legacy", legacy, sh_frame);
  }
  std::optional<std::string> cipher = fieldStr(tls, "cipher");
  if (!cipher && server_hello) {
    cipher = fieldStr(*server_hello, "cipher");
  }
  if (cipher) {
    facts.setString("tls.cipher", *cipher, sh_frame);
    const std::string c = *cipher;
    bool weak = c.find("RC4") != std::string::npos || c.find("3DES") != std::string::npos ||
                c.find("_DES_") != std::string::npos || c.find("NULL") != std::string::npos ||
                c.find("EXPORT") != std::string::npos || c.find("_anon_") != std::string::npos;
    facts.setBool("tls.cipher_weak", weak, sh_frame);
  }
  if (alert_ev != nullptr) {
    // `encrypted` says the alert travelled encrypted; when it was decrypted its description is
    // known and wins. Only an undecrypted alert is "encrypted".
    bool enc = fieldBool(*alert_ev, "encrypted").value_or(false);
    const auto described = fieldStr(*alert_ev, "description");
    std::string desc = described ? *described : enc ? "encrypted" : "unknown";
    facts.setString("tls.alert", desc, alert_ev->frame);
    facts.setString("tls.alert_from", side(alert_ev->dir), alert_ev->frame);
    auto level = fieldStr(*alert_ev, "level").value_or("unknown");
    if (level == "2") {
      level = "fatal";
    } else if (level == "1") {
      level = "warning";
    }
    if (level != "fatal" && level != "warning") {
      level = "unknown";
    }
    facts.setString("tls.alert_level", level, alert_ev->frame);
    facts.setBool("tls.alert_encrypted", enc, alert_ev->frame);
  }
  std::optional<bool> hs_complete = fieldBool(tls, "handshake_complete");
  const bool any_tls = client_hello != nullptr || server_hello != nullptr;
  if (!hs_complete && any_tls) {
    hs_complete = (finished[0] && finished[1]) || (ccs[0] && ccs[1]) ||
                  (server_hello != nullptr && appdata_count[0] > 0 && appdata_count[1] > 0);
  }
  if (hs_complete) {
    facts.setBool("tls.handshake_complete", *hs_complete);
  }
  if (const auto it = tls.find("server_cert"); it != tls.end() && it->is_object()) {
    const Fields& cert = *it;
    if (auto e = fieldBool(cert, "expired")) {
      facts.setBool("tls.cert_expired", *e);
    }
    if (auto e = fieldBool(cert, "not_yet_valid")) {
      facts.setBool("tls.cert_not_yet_valid", *e);
    }
    if (auto s = fieldBool(cert, "self_signed")) {
      facts.setBool("tls.cert_self_signed", *s);
    }
    if (auto na = parseTime(cert, "not_after")) {
      const std::int64_t start_s = conn.start.ns / 1'000'000'000;
      const std::int64_t diff = *na - start_s;
      facts.setInt("tls.cert_expires_in_days", diff >= 0 ? diff / 86400 : -((-diff + 86399) / 86400));
    }
  }
  // Record summary from the TLS dissector wins over counting events (events may be capped).
  std::uint64_t rec_count[2] = {appdata_count[0], appdata_count[1]};
  std::uint64_t rec_bytes[2] = {appdata_bytes[0], appdata_bytes[1]};
  if (const auto it = tls.find("records"); it != tls.end() && it->is_object()) {
    const char* names[2] = {"to_server", "to_client"};
    for (std::size_t i = 0; i < 2; ++i) {
      if (auto d = it->find(names[i]); d != it->end()) {
        if (auto c = fieldInt(*d, "count")) {
          rec_count[i] = static_cast<std::uint64_t>(std::max<std::int64_t>(*c, 0));
        }
        if (auto b = fieldInt(*d, "bytes")) {
          rec_bytes[i] = static_cast<std::uint64_t>(std::max<std::int64_t>(*b, 0));
        }
      }
    }
  }
  if (any_tls || rec_count[0] + rec_count[1] > 0) {
    facts.setInt("tls.appdata.to_server.count", static_cast<std::int64_t>(rec_count[0]));
    facts.setInt("tls.appdata.to_server.bytes", static_cast<std::int64_t>(rec_bytes[0]));
    facts.setInt("tls.appdata.to_client.count", static_cast<std::int64_t>(rec_count[1]));
    facts.setInt("tls.appdata.to_client.bytes", static_cast<std::int64_t>(rec_bytes[1]));
  }
  facts.setBool("tls.decrypted", fieldBool(tls, "decrypted").value_or(decrypted_seen));

  // ---------------------------------------------------------------- CredSSP summary
  const Fields& cred = conn.credssp;
  if (!credssp_error) {
    credssp_error = fieldStr(cred, "error_code");
  }
  if (credssp_error) {
    facts.setString("credssp.error_code", *credssp_error, credssp_error_frame);
  }
  const char* vnames[2] = {"credssp.client_version", "credssp.server_version"};
  const char* vkeys[2] = {"client_version", "server_version"};
  for (std::size_t i = 0; i < 2; ++i) {
    auto v = credssp_version[i] ? credssp_version[i] : fieldInt(cred, vkeys[i]);
    if (v) {
      facts.setInt(vnames[i], *v, credssp_version_frame[i]);
    }
  }
  std::optional<std::string> mech = fieldStr(cred, "mechanism");
  if (!mech) {
    if (ntlm_count > 0) {
      mech = "ntlm";
    } else if (kerberos_seen) {
      mech = "kerberos";
    }
  }
  if (mech) {
    facts.setString("credssp.mechanism", lower(*mech));
  }
  if (server_pub_key_auth) {
    facts.setBool("credssp.server_pub_key_auth", true, server_pub_key_auth_frame);
  }
  if (credentials_sent) {
    facts.setBool("credssp.credentials_sent", true, credentials_frame);
  }
  facts.setInt("ntlm.messages_seen", ntlm_count, ntlm_last_frame);
  if (!ntlm_last.empty()) {
    facts.setString("ntlm.last_message", ntlm_last, ntlm_last_frame);
  }
  if (krb_error) {
    facts.setString("kerberos.error", *krb_error, krb_error_frame);
  }
  if (!facts.has("early_auth.result")) {
    if (auto r = fieldStr(cred, "early_user_auth")) {
      facts.setString("early_auth.result", *r);
    }
  }

  // ---------------------------------------------------------------- RDP summary
  const Fields& rdp = conn.rdp;
  std::string selected = facts.str("x224.selected_protocol").value_or("");
  if (auto sp = fieldStr(rdp, "security_protocol")) {
    facts.setString("rdp.security_protocol", *sp);
  } else if (!selected.empty()) {
    facts.setString("rdp.security_protocol",
                    startsWith(selected, "PROTOCOL_") ? selected.substr(9) : selected);
  }
  const bool standard = selected == "PROTOCOL_RDP";
  if (facts.flag("x224.confirm_seen") && !facts.has("x224.neg_failure")) {
    facts.setBool("rdp.standard_security", standard,
                  facts.get("x224.selected_protocol")->frames.empty()
                      ? 0
                      : facts.get("x224.selected_protocol")->frames[0]);
  }
  if (auto v = fieldStr(rdp, "encryption_level")) {
    facts.setString("rdp.encryption_level", *v);
  }
  if (auto v = fieldStr(rdp, "encryption_method")) {
    facts.setString("rdp.encryption_method", *v);
  }
  for (const char* b : {"rdp.redirected", "rdp.deactivate_all", "rdp.client_info_seen",
                        "rdp.demand_active_seen", "rdp.shutdown_request",
                        "mcs.channel_join_failed"}) {
    if (!facts.has(b)) {
      facts.setBool(b, false);
    }
  }
  if (!facts.has("rdp.error_info")) {
    if (auto v = fieldStr(rdp, "error_info"); v && *v != "ERRINFO_NONE") {
      facts.setString("rdp.error_info", *v);
    }
  }
  if (!facts.has("rdp.license_error")) {
    if (auto v = fieldStr(rdp, "license_error")) {
      facts.setString("rdp.license_error", *v);
    }
  }
  if (!facts.has("mcs.disconnect_reason")) {
    if (auto v = fieldStr(rdp, "disconnect_reason")) {
      facts.setString("mcs.disconnect_reason", *v);
    }
  }

  // ---------------------------------------------------------------- time
  facts.setDuration("time.duration", secondsBetween(conn.start, conn.end));
  const Timestamp close_ts = close_ev != nullptr ? close_ev->ts : conn.end;
  const std::uint64_t close_frame = close_ev != nullptr ? close_ev->frame : 0;
  const char* tnames[2] = {"time.last_client_pdu_to_close", "time.last_server_pdu_to_close"};
  for (std::size_t i = 0; i < 2; ++i) {
    if (const Event* ev = last_pdu_before_close[i]) {
      facts.set(tnames[i], std::max(0.0, secondsBetween(ev->ts, close_ts)),
                {ev->frame, close_frame});
    }
  }
  {
    const Event* a = last_pdu_before_close[0];
    const Event* b = last_pdu_before_close[1];
    const Event* last = nullptr;
    if (a && b) {
      last = a->frame > b->frame ? a : b;
    } else {
      last = a ? a : b;
    }
    if (last == nullptr) {
      last = last_pdu_overall;
    }
    if (last != nullptr) {
      facts.setString("last_pdu_from", side(last->dir), last->frame);
    }
  }

  // ---------------------------------------------------------------- stage inference
  Stage stage = Stage::Tcp;
  std::uint64_t stage_frame = syn_frame;
  bool inferred = false;
  if (max_stage) {
    stage = *max_stage;
    stage_frame = max_stage_frame;
  }
  auto raise = [&](Stage s, std::uint64_t frame) {
    if (s > stage) {
      stage = s;
      stage_frame = frame;
      inferred = true;
    }
  };
  if (facts.flag("x224.request_seen")) {
    raise(Stage::Negotiation, facts.get("x224.request_seen")->frames.empty()
                                  ? 0
                                  : facts.get("x224.request_seen")->frames[0]);
    inferred = false;
  }
  if (any_tls) {
    if (stage < Stage::Tls) {
      stage = Stage::Tls;
      stage_frame = client_hello ? client_hello->frame : sh_frame;
    }
  }

  const bool hybrid = selected == "PROTOCOL_HYBRID" || selected == "PROTOCOL_HYBRID_EX";
  const bool hybrid_ex = selected == "PROTOCOL_HYBRID_EX";
  const bool auth_layer = hybrid || selected == "PROTOCOL_RDSTLS" || selected == "PROTOCOL_RDSAAD";
  std::uint64_t mcs_point_index = records.size();  // first record index of the MCS phase
  if (hs_complete.value_or(false)) {
    // Group the post-handshake records into flights ("legs"). Server records before the
    // client's first record cannot answer anything: they are TLS 1.3 NewSessionTickets.
    std::vector<Leg> legs;
    std::vector<std::size_t> leg_start_index;
    bool client_started = false;
    bool last_alert_from_server_after_client = false;
    for (std::size_t i = 0; i < records.size(); ++i) {
      const Record& r = records[i];
      if (!client_started && r.dir == Direction::ToClient) {
        continue;
      }
      if (r.alert) {
        // An alert (close_notify, or an alert-sized final record) carries no protocol data: it
        // ends a flight, it never answers one.
        if (!legs.empty() && legs.back().dir == r.dir) {
          legs.back().ends_with_alert = true;
        } else if (!legs.empty() && r.dir == Direction::ToClient) {
          last_alert_from_server_after_client = true;
        }
        continue;
      }
      client_started = true;
      if (legs.empty() || legs.back().dir != r.dir) {
        legs.push_back(Leg{r.dir, r.frame, r.frame, 0, 0, false});
        leg_start_index.push_back(i);
      }
      Leg& leg = legs.back();
      leg.last_frame = r.frame;
      leg.records++;
      leg.bytes += r.bytes;
      leg.ends_with_alert = r.alert;
    }
    std::int64_t client_legs = 0;
    std::int64_t server_legs = 0;
    bool last_server_alert = last_alert_from_server_after_client;
    for (const auto& l : legs) {
      if (l.dir == Direction::ToServer) {
        client_legs++;
      } else {
        server_legs++;
        last_server_alert = l.ends_with_alert;
      }
    }
    if (hybrid) {
      // [MS-CSSP] 3.1.5: client token, server token, client AUTHENTICATE+pubKeyAuth, server
      // pubKeyAuth, client TSCredentials; HYBRID_EX adds the server's Early User Authorization
      // Result ([MS-RDPBCGR] 2.2.10.2). Kerberos has the same five flights (AP-REQ/AP-REP).
      static constexpr const char* kSteps[] = {"not_started", "negotiate",  "challenge",
                                               "authenticate", "pubkey_auth", "credentials"};
      const std::size_t n = legs.size();
      std::string step;
      std::uint64_t step_frame = n > 0 ? legs[n - 1].first_frame : 0;
      const std::size_t done = hybrid_ex ? 7 : 6;
      if (n < 6) {
        step = kSteps[n];
      } else if (hybrid_ex && n == 6) {
        step = "early_auth_result";
      } else {
        step = "complete";
        step_frame = legs[done - 1].first_frame;
      }
      facts.setString("nla.inferred_step", step, step_frame);
      facts.setInt("nla.client_legs", client_legs);
      facts.setInt("nla.server_legs", server_legs);
      facts.setBool("nla.last_server_leg_alert", last_server_alert);
      if (n >= 1) {
        raise(Stage::Nla, legs[0].first_frame);
      }
      if (hybrid_ex && n >= 6) {
        raise(Stage::EarlyAuth, legs[5].first_frame);
      }
      if (n >= done) {
        raise(Stage::McsConnect, legs[done - 1].first_frame);
        mcs_point_index = leg_start_index[done - 1];
      }
    } else if (auth_layer) {
      if (!legs.empty()) {
        raise(Stage::Nla, legs[0].first_frame);
      }
    } else if (!legs.empty()) {
      // PROTOCOL_SSL: the client's first record is the MCS Connect Initial.
      raise(Stage::McsConnect, legs[0].first_frame);
      mcs_point_index = leg_start_index[0];
    }
  }
  // Server fast-path output is only sent to an active session ([MS-RDPBCGR] 2.2.9.1.2, after
  // the capability exchange enabled it): proof of `active` even when slow-path PDUs are encrypted.
  if (const Fact* fp = facts.get("rdp.fastpath_output"); fp != nullptr) {
    raise(Stage::Active, fp->frames.empty() ? 0 : fp->frames[0]);
  }
  // Active (inferred): sustained server traffic after the MCS phase started.
  bool active_inferred = false;
  if (stage >= Stage::McsConnect && stage < Stage::Active) {
    std::uint64_t srv_records = 0;
    std::uint64_t srv_bytes = 0;
    std::uint64_t frame = 0;
    for (std::size_t i = mcs_point_index; i < records.size(); ++i) {
      if (records[i].dir == Direction::ToClient) {
        srv_records++;
        srv_bytes += records[i].bytes;
        if (frame == 0 && (srv_records >= kActiveMinServerRecords ||
                           srv_bytes >= kActiveMinServerBytes)) {
          frame = records[i].frame;
        }
      }
    }
    if (frame == 0 && !records.empty() && conn.events_suppressed > 0) {
      // The timeline keeps only the first and last bulk records; the TLS summary counts them
      // all. Server records after the MCS point = all server records - those before it.
      std::uint64_t before_records = 0;
      std::uint64_t before_bytes = 0;
      for (std::size_t i = 0; i < mcs_point_index && i < records.size(); ++i) {
        if (records[i].dir == Direction::ToClient) {
          before_records++;
          before_bytes += records[i].bytes;
        }
      }
      const auto total = [&](const char* key) -> std::uint64_t {
        const auto& recs = conn.tls.is_object() ? conn.tls.value("records", model::Fields()) : model::Fields();
        if (!recs.is_object() || !recs.contains("to_client") || !recs["to_client"].contains(key)) {
          return 0;
        }
        const auto& v = recs["to_client"][key];
        return v.is_number_integer() && v.get<std::int64_t>() > 0
                   ? static_cast<std::uint64_t>(v.get<std::int64_t>())
                   : 0;
      };
      const std::uint64_t all_records = total("count");
      const std::uint64_t all_bytes = total("bytes");
      if ((all_records > before_records &&
           all_records - before_records >= kActiveMinServerRecords) ||
          (all_bytes > before_bytes && all_bytes - before_bytes >= kActiveMinServerBytes)) {
        frame = records.back().frame;
      }
    }
    if (frame != 0) {
      raise(Stage::Active, frame);
      active_inferred = true;
    }
  }
  facts.setBool("active.inferred", active_inferred);
  facts.setString("stage.reached", std::string(model::stageName(stage)), stage_frame);
  facts.setBool("stage.inferred", inferred);

  // ---------------------------------------------------------------- outcome
  std::string outcome;
  if (conn.transport == "udp") {
    // A UDP side transport: "success" means the server answered (the RDPEUDP handshake).
    outcome = facts.flag("udp.server_answered") || facts.flag("rdpeudp.syn_ack") ? "success"
                                                                                 : "failed";
  } else if (stage == Stage::Active) {
    // Reaching the active session is success unless the session was then ended by an error the
    // user sees as a failure: a Set Error Info outside the normal endings (logoff, disconnect by
    // user or admin, idle limit: [MS-RDPBCGR] 2.2.5.1.1), a licensing error, or the network path
    // dying (retransmissions, then a reset or timeout).
    static const char* kNormalEndings[] = {
        "ERRINFO_NONE", "ERRINFO_RPC_INITIATED_DISCONNECT", "ERRINFO_RPC_INITIATED_LOGOFF",
        "ERRINFO_IDLE_TIMEOUT", "ERRINFO_RPC_INITIATED_DISCONNECT_BYUSER",
        "ERRINFO_LOGOFF_BY_USER"};
    const std::string info = facts.str("rdp.error_info").value_or("");
    const bool error_info_failure =
        !info.empty() && std::find(std::begin(kNormalEndings), std::end(kNormalEndings), info) ==
                             std::end(kNormalEndings);
    const bool license_failure =
        facts.has("rdp.license_error") &&
        facts.str("rdp.license_error").value_or("") != "STATUS_VALID_CLIENT";
    // A side that keeps sending into silence for seconds (retransmissions, keep-alive probes)
    // before a reset or timeout: the path died, whatever TCP's retransmission count shows.
    const bool peer_silent = conn.unanswered_tail_packets >= kSilentPeerMinPackets &&
                             conn.unanswered_tail_seconds >= kSilentPeerMinSeconds;
    const bool network_loss =
        (conn.tcp_end == "timeout" || conn.tcp_end == "rst_client" ||
         conn.tcp_end == "rst_server") &&
        (facts.integer("tcp.retransmissions").value_or(0) >= 3 || peer_silent);
    outcome = error_info_failure || license_failure || network_loss ? "failed" : "success";
  } else {
    const bool failure_sign =
        facts.has("x224.neg_failure") || facts.flag("x224.disconnect_request") ||
        (alert_ev != nullptr && alert_is_fatal) || facts.has("credssp.error_code") ||
        facts.has("kerberos.error") || facts.has("rdp.error_info") ||
        facts.has("mcs.disconnect_reason") ||
        (facts.has("rdp.license_error") &&
         facts.str("rdp.license_error").value_or("") != "STATUS_VALID_CLIENT") ||
        (facts.has("early_auth.result") &&
         lower(facts.str("early_auth.result").value_or("")).find("success") ==
             std::string::npos) ||
        (facts.has("mcs.connect_result") &&
         facts.str("mcs.connect_result").value_or("") != "rt-successful");
    if (conn.tcp_end == "capture_end" && !failure_sign) {
      outcome = "incomplete";
    } else {
      outcome = "failed";
    }
  }
  facts.setString("outcome", outcome);
  return facts;
}

}  // namespace rdpscope::rules
