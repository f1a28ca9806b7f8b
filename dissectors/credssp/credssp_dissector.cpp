// CredSSP stream dissector: frames DER TSRequests out of the decrypted TLS plaintext, turns them
// into timeline events and fills the connection's `credssp` summary (docs/events.md, CredSSP
// section). Secrets never leave this file: the grammar layers (credssp.h, ntlm.h, spnego.h)
// don't even keep responses, keys, MICs or encrypted blobs — only their lengths.
#include "credssp/credssp_dissector.h"

#include <string>

#include "core/code_names.h"
#include "credssp/credssp.h"
#include "credssp/credssp_names.h"
#include "credssp/ntlm.h"
#include "credssp/spnego.h"
#include "model/event_builder.h"

namespace rdpscope::credssp {

namespace {

using engine::DissectContext;
using engine::Progress;
using engine::StreamData;
using model::Direction;
using model::Event;
using model::Fields;
using model::Stage;

constexpr const char* kRedacted = "<redacted>";

// NTSTATUS (MS-ERREF 2.3.1) first, then SSPI HRESULTs (MS-ERREF 2.1.1).
std::string statusName(std::uint32_t code) {
  if (findCode(ntStatusCodes(), code) != nullptr) {
    return codeName(ntStatusCodes(), code);
  }
  if (findCode(secStatusCodes(), code) != nullptr) {
    return codeName(secStatusCodes(), code);
  }
  return codeName(ntStatusCodes(), code);
}

std::string statusMeaning(std::uint32_t code) {
  if (findCode(secStatusCodes(), code) != nullptr) {
    return codeMeaning(secStatusCodes(), code);
  }
  return codeMeaning(ntStatusCodes(), code);
}

// The NTLM negotiate flags set in `flags`, by name, as the list "flags".
void flagList(model::EventBuilder& ev, std::uint32_t flags) {
  ev.beginList("flags");
  forEachBitName(ntlmNegotiateFlags(), flags, [&ev](std::string_view name) { ev.listText(name); });
  ev.endList();
}

std::string mechDisplay(const std::string& oid) {
  const std::string_view n = mechanismName(oid);
  return n.empty() ? oid : std::string(n);
}

Fields orNull(const std::optional<std::string>& v) { return v ? Fields(*v) : Fields(nullptr); }

// "ntlm.authenticate.user_name" -> "ntlm"; grammar field names start with their layer.
std::string thingOf(const char* field, const char* fallback) {
  const std::string f = field != nullptr ? field : "";
  for (const char* layer : {"ntlm", "spnego", "kerberos", "gss", "ts_request", "ts_credentials"}) {
    const std::string prefix = std::string(layer) + ".";
    if (f.rfind(prefix, 0) == 0) {
      return layer;
    }
  }
  return fallback;
}

std::string problemOf(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Truncated: return "truncated";
    case ErrorKind::Malformed: return "malformed";
    case ErrorKind::Unsupported: return "unsupported";
    case ErrorKind::LimitExceeded: return "too_large";
  }
  return "malformed";
}

class CredsspDissector final : public engine::Dissector {
 public:
  std::string_view name() const override { return "credssp"; }

  Progress onData(const StreamData& in, DissectContext& ctx) override {
    auto len = tsRequestLength(in.data);
    if (!len) {
      if (len.error().kind == ErrorKind::Truncated) {
        // Header incomplete: at most 6 bytes (tag + 0x84 + 4 length octets).
        return Progress::needMore(0, in.data.size() + 1);
      }
      report(ctx, in, len.error(), "ts_request");
      return Progress::stop(0);
    }
    if (*len > in.data.size()) {
      return Progress::needMore(0, *len);
    }
    ByteView pdu = in.data.first(*len);
    auto req = parseTsRequest(pdu, 0);
    if (!req) {
      // The outer TLV is complete, so anything missing inside is a lie, not a short read.
      ParseError e = req.error();
      if (e.kind == ErrorKind::Truncated) {
        e.kind = ErrorKind::Malformed;
      }
      report(ctx, in, e, "ts_request");
      return Progress::stop(*len);
    }
    const bool ok = handleRequest(*req, in, ctx);
    return ok ? Progress::consumed(*len) : Progress::stop(*len);
  }

 private:
  void report(DissectContext& ctx, const StreamData& in, const ParseError& e,
              const char* fallback) {
    const std::string id =
        std::string("credssp.") + thingOf(e.field, fallback) + "." + problemOf(e.kind);
    ctx.anomaly(id, in.dir, in.stream_offset + e.offset,
                std::string(errorKindName(e.kind)) + " " + e.field + " at offset " +
                    std::to_string(e.offset) + " of the TSRequest");
  }

  void emit(DissectContext& ctx, Event&& ev) {
    ev.decrypted = true;  // CredSSP is only ever seen inside TLS
    ctx.emit(std::move(ev));
  }

  std::string identity(DissectContext& ctx, const std::string& v) const {
    return ctx.redactIdentities() ? std::string(kRedacted) : v;
  }

  Fields& summary(DissectContext& ctx) {
    Fields& c = ctx.connection().credssp;
    for (const char* k : {"client_version", "server_version", "mechanism", "error_code",
                          "error_code_value", "ntlm_server_build", "ntlm_server_version",
                          "kerberos_error", "user", "domain"}) {
      if (!c.contains(k)) {
        c[k] = nullptr;
      }
    }
    return c;
  }

  bool handleRequest(const TsRequest& req, const StreamData& in, DissectContext& ctx) {
    const bool from_client = in.dir == Direction::ToServer;
    Fields& sum = summary(ctx);
    model::setMember(sum, from_client ? "client_version" : "server_version", req.version);

    model::EventBuilder ev;
    ev.set("version", req.version);
    ev.set("nego_tokens", req.nego_tokens.size());
    ev.set("auth_info", req.auth_info_length);
    ev.set("pub_key_auth", req.pub_key_auth_length);
    if (req.error_code) {
      ev.set("error_code", statusName(*req.error_code));
    } else {
      ev.fieldNull("error_code");
    }
    ev.set("error_code_value", req.error_code);
    ev.set("client_nonce", req.client_nonce_length.has_value());
    std::string s = "TSRequest v" + std::to_string(req.version) +
                    (from_client ? " from client" : " from server");
    if (!req.nego_tokens.empty()) {
      s += ", " + std::to_string(req.nego_tokens.size()) + " nego token(s)";
    }
    if (req.pub_key_auth_length) {
      s += ", pubKeyAuth";
    }
    if (req.auth_info_length) {
      s += ", authInfo (credentials)";
    }
    if (req.error_code) {
      s += ", errorCode " + statusName(*req.error_code) + " (" + hexCode(*req.error_code) +
           "): " + statusMeaning(*req.error_code);
      model::setMember(sum, "error_code", statusName(*req.error_code));
      model::setMember(sum, "error_code_value", *req.error_code);
    }
    ev.setSummary(std::move(s));
    emit(ctx, std::move(ev).build("credssp.ts_request", Stage::Nla));

    bool ok = true;
    for (const NegoToken& tok : req.nego_tokens) {
      auto parsed = parseGssToken(tok.data, tok.offset);
      if (!parsed) {
        ParseError e = parsed.error();
        if (e.kind == ErrorKind::Truncated) {
          e.kind = ErrorKind::Malformed;  // the token's OCTET STRING is complete
        }
        report(ctx, in, e, "nego_token");
        ok = false;
        break;
      }
      describeToken(*parsed, tok, in, ctx);
    }
    if (req.auth_info_length) {
      // [MS-CSSP] 3.1.5: authInfo is the TSCredentials encrypted with the negotiated security
      // context; without that session key only its presence and size are visible.
      model::EventBuilder tc;
      tc.setSummary("Client sent its credentials (TSCredentials, " +
                    std::to_string(*req.auth_info_length) + " bytes): encrypted with the " +
                    mechanismLabel() + " session key, credential type not visible");
      tc.fieldNull("cred_type");
      tc.set("encrypted", true);
      tc.set("length", *req.auth_info_length);
      emit(ctx, std::move(tc).build("credssp.ts_credentials", Stage::Nla));
    }
    return ok;
  }

  std::string mechanismLabel() const {
    switch (mechanism_) {
      case Mechanism::Ntlm: return "NTLM";
      case Mechanism::Kerberos: return "Kerberos";
      case Mechanism::Pku2u: return "PKU2U";
      case Mechanism::Negoex: return "NEGOEX";
      default: return "security context's";
    }
  }

  void setMechanism(Mechanism m, DissectContext& ctx) {
    if (m == Mechanism::Unknown || m == Mechanism::Spnego) {
      if (mechanism_ == Mechanism::Unknown) {
        model::setMember(summary(ctx), "mechanism", mechanismKey(m));
      }
      return;
    }
    mechanism_ = m;
    model::setMember(summary(ctx), "mechanism", mechanismKey(m));
  }

  void describeToken(const GssToken& t, const NegoToken& tok, const StreamData& in,
                     DissectContext& ctx) {
    setMechanism(t.mechanism, ctx);
    if (t.ntlm) {
      describeNtlm(*t.ntlm, ctx);
    } else if (t.spnego) {
      describeSpnego(*t.spnego, tok, in, ctx);
    } else if (t.kerberos) {
      describeKerberos(*t.kerberos, ctx);
    } else {
      Event ev = Event::make("credssp.nego_token", Stage::Nla, "");
      model::setMember(ev.fields, "mechanism", mechanismKey(t.mechanism));
      model::setMember(ev.fields, "oid", t.oid.empty() ? Fields(nullptr) : Fields(t.oid));
      model::setMember(ev.fields, "length", tok.data.size());
      ev.summary = "Nego token (" + std::to_string(tok.data.size()) + " bytes), mechanism " +
                   (t.oid.empty() ? std::string("not recognised") : mechDisplay(t.oid));
      emit(ctx, std::move(ev));
    }
  }

  void describeSpnego(const SpnegoToken& s, const NegoToken& tok, const StreamData& in,
                      DissectContext& ctx) {
    if (s.kind == SpnegoToken::Kind::Init) {
      Event ev = Event::make("spnego.neg_token_init", Stage::Nla, "");
      Fields names = Fields::array();
      std::string list;
      for (const auto& oid : s.mech_types) {
        names.push_back(mechDisplay(oid));
        list += (list.empty() ? "" : ", ") + mechDisplay(oid);
      }
      model::setMember(ev.fields, "mech_types", names);
      model::setMember(ev.fields, "mech_type_oids", s.mech_types);
      model::setMember(ev.fields, "mech_token",
                       s.inner_length ? Fields(*s.inner_length) : Fields(nullptr));
      model::setMember(ev.fields, "mech_list_mic", s.mech_list_mic);
      ev.summary = "SPNEGO NegTokenInit offering " + (list.empty() ? std::string("no mechanism")
                                                                    : list);
      emit(ctx, std::move(ev));
    } else {
      Event ev = Event::make("spnego.neg_token_resp", Stage::Nla, "");
      if (s.neg_state) {
        const auto v = static_cast<std::uint32_t>(*s.neg_state);
        model::setMember(ev.fields, "neg_state", codeName(spnegoNegStates(), v));
        model::setMember(ev.fields, "neg_state_value", *s.neg_state);
      } else {
        model::setMember(ev.fields, "neg_state", nullptr);
        model::setMember(ev.fields, "neg_state_value", nullptr);
      }
      model::setMember(ev.fields, "supported_mech",
                       s.supported_mech ? Fields(mechDisplay(*s.supported_mech)) : Fields(nullptr));
      model::setMember(ev.fields, "response_token",
                       s.inner_length ? Fields(*s.inner_length) : Fields(nullptr));
      model::setMember(ev.fields, "mech_list_mic", s.mech_list_mic);
      std::string sum = "SPNEGO NegTokenResp";
      if (s.neg_state) {
        sum += " " + codeName(spnegoNegStates(), static_cast<std::uint32_t>(*s.neg_state));
      }
      if (s.supported_mech) {
        sum += ", mechanism " + mechDisplay(*s.supported_mech);
      }
      ev.summary = std::move(sum);
      emit(ctx, std::move(ev));
    }
    for (const auto& inner : s.inner) {
      describeToken(inner, tok, in, ctx);
    }
  }

  void describeNtlm(const NtlmMessage& m, DissectContext& ctx) {
    if (m.negotiate) {
      const NtlmNegotiate& n = *m.negotiate;
      model::EventBuilder ev;
      ev.setSummary("NTLM NEGOTIATE");
      flagList(ev, n.flags);
      ev.set("flags_value", n.flags);
      ev.set("domain",
                       n.domain ? Fields(identity(ctx, *n.domain)) : Fields(nullptr));
      ev.set("workstation",
                       n.workstation ? Fields(identity(ctx, *n.workstation)) : Fields(nullptr));
      ev.set("client_version",
                       n.version ? Fields(n.version->text()) : Fields(nullptr));
      if (n.version) {
        ev.summary(" (client OS " + n.version->text() + ")");
      }
      emit(ctx, std::move(ev).build("ntlm.negotiate", Stage::Nla));
    } else if (m.challenge) {
      const NtlmChallenge& c = *m.challenge;
      model::EventBuilder ev;
      ev.set("target_name", c.target_name);
      const NtlmTargetInfo empty;
      const NtlmTargetInfo& ti = c.target_info ? *c.target_info : empty;
      ev.set("netbios_domain", orNull(ti.netbios_domain));
      ev.set("netbios_computer", orNull(ti.netbios_computer));
      ev.set("dns_domain", orNull(ti.dns_domain));
      ev.set("dns_computer", orNull(ti.dns_computer));
      ev.set("dns_tree", orNull(ti.dns_tree));
      ev.set("timestamp",
                       ti.timestamp ? Fields(filetimeToIso(*ti.timestamp)) : Fields(nullptr));
      ev.set("server_version",
                       c.version ? Fields(c.version->text()) : Fields(nullptr));
      ev.set("server_build",
                       c.version ? Fields(c.version->build) : Fields(nullptr));
      flagList(ev, c.flags);
      ev.set("flags_value", c.flags);
      Fields av = Fields::array();
      for (auto id : ti.av_ids) {
        av.push_back(codeName(ntlmAvIds(), id));
      }
      ev.set("av_pairs", av);
      std::string sum = "NTLM CHALLENGE from " +
                        (ti.dns_computer ? *ti.dns_computer
                                         : (c.target_name.empty() ? std::string("server")
                                                                  : c.target_name));
      if (c.version) {
        sum += ", server OS " + c.version->text();
        Fields& s = summary(ctx);
        model::setMember(s, "ntlm_server_build", c.version->build);
        model::setMember(s, "ntlm_server_version", c.version->text());
      }
      ev.setSummary(std::move(sum));
      emit(ctx, std::move(ev).build("ntlm.challenge", Stage::Nla));
    } else if (m.authenticate) {
      const NtlmAuthenticate& a = *m.authenticate;
      model::EventBuilder ev;
      const std::string user = identity(ctx, a.user);
      const std::string domain = identity(ctx, a.domain);
      ev.set("user", user);
      ev.set("domain", domain);
      ev.set("workstation", identity(ctx, a.workstation));
      ev.set("ntlm_version",
                       a.anonymous ? "anonymous" : (a.ntlm_v2 ? "v2" : "v1"));
      ev.set("mic", a.mic_present);
      ev.set("nt_response_length", a.nt_response_length);
      ev.set("lm_response_length", a.lm_response_length);
      ev.set("session_key", a.session_key_length > 0);
      const NtlmTargetInfo* ti = a.client_target_info ? &*a.client_target_info : nullptr;
      ev.set("target_spn",
                       ti != nullptr ? orNull(ti->target_name) : Fields(nullptr));
      ev.set("channel_bindings", ti != nullptr && ti->channel_bindings);
      flagList(ev, a.flags);
      ev.set("flags_value", a.flags);
      ev.set("client_version",
                       a.version ? Fields(a.version->text()) : Fields(nullptr));
      ev.setSummary("NTLM AUTHENTICATE as " +
                   (domain.empty() ? user : domain + "\\" + user) + " (" +
                   (a.anonymous ? std::string("anonymous") : (a.ntlm_v2 ? "NTLMv2" : "NTLMv1")) +
                   (a.mic_present ? ", MIC" : "") + ")");
      Fields& s = summary(ctx);
      model::setMember(s, "user", user);
      model::setMember(s, "domain", domain);
      emit(ctx, std::move(ev).build("ntlm.authenticate", Stage::Nla));
    }
  }

  void describeKerberos(const KerberosMessage& k, DissectContext& ctx) {
    const std::string sname = k.sname ? k.sname->text() : std::string();
    const std::string spn =
        k.sname ? (k.realm ? sname + "@" + *k.realm : sname) : std::string();
    auto etypeName = [](const std::optional<std::int64_t>& e) {
      return e ? Fields(codeName(kerberosEncTypes(), static_cast<std::uint32_t>(*e)))
               : Fields(nullptr);
    };
    if (k.msg_type == krb_msg::kApReq) {
      Event ev = Event::make("kerberos.ap_req", Stage::Nla, "Kerberos AP-REQ for " + spn);
      model::setMember(ev.fields, "sname", sname);
      model::setMember(ev.fields, "realm", orNull(k.realm));
      model::setMember(ev.fields, "ticket_etype", etypeName(k.ticket_etype));
      model::setMember(ev.fields, "authenticator_etype", etypeName(k.enc_etype));
      model::setMember(ev.fields, "mutual_required", k.mutual_required);
      emit(ctx, std::move(ev));
    } else if (k.msg_type == krb_msg::kApRep) {
      Event ev = Event::make("kerberos.ap_rep", Stage::Nla, "Kerberos AP-REP (server accepted)");
      model::setMember(ev.fields, "enc_etype", etypeName(k.enc_etype));
      emit(ctx, std::move(ev));
    } else if (k.msg_type == krb_msg::kError) {
      const auto code = static_cast<std::uint32_t>(k.error_code.value_or(0));
      Event ev = Event::make("kerberos.krb_error", Stage::Nla,
                             "Kerberos KRB-ERROR " + codeName(kerberosErrorCodes(), code) + " (" +
                                 codeMeaning(kerberosErrorCodes(), code) + ") for " + spn);
      model::setMember(ev.fields, "error_code", codeName(kerberosErrorCodes(), code));
      model::setMember(ev.fields, "error_code_value", k.error_code.value_or(0));
      model::setMember(ev.fields, "sname", sname);
      model::setMember(ev.fields, "realm", orNull(k.realm));
      model::setMember(ev.fields, "stime", orNull(k.stime));
      model::setMember(ev.fields, "e_text", orNull(k.e_text));
      model::setMember(summary(ctx), "kerberos_error", codeName(kerberosErrorCodes(), code));
      emit(ctx, std::move(ev));
    } else {
      Event ev = Event::make("kerberos.message", Stage::Nla,
                             "Kerberos " + codeName(kerberosMessageTypes(), k.msg_type));
      model::setMember(ev.fields, "msg_type", codeName(kerberosMessageTypes(), k.msg_type));
      model::setMember(ev.fields, "msg_type_value", k.msg_type);
      emit(ctx, std::move(ev));
    }
  }

  Mechanism mechanism_ = Mechanism::Unknown;
};

}  // namespace

engine::DissectorPtr makeCredsspDissector() { return std::make_unique<CredsspDissector>(); }

}  // namespace rdpscope::credssp
