// Framing, X.224 and fast-path part of RdpHandler (MCS/GCC in rdp_handler_mcs.cpp, RDP PDUs in
// rdp_handler_pdus.cpp).
#include "rdp/rdp_handler.h"

#include "core/code_names.h"
#include "core/limits.h"
#include "mcs/mcs.h"
#include "model/event_builder.h"
#include "rdp/field_util.h"
#include "tpkt/parse_util.h"
#include "tpkt/tpkt.h"
#include "x224/x224.h"
#include "x224/x224_names.h"

namespace rdpscope::rdp {

using engine::Progress;

bool RdpSession::tlsSelected() const noexcept {
  // [MS-RDPBCGR] 2.2.1.2.1 / 5.4.5: PROTOCOL_SSL, HYBRID, HYBRID_EX and RDSTLS (and RDSAAD,
  // which also runs inside TLS) switch the connection to TLS right after the Confirm.
  return selected_protocol.has_value() && *selected_protocol != x224::kProtocolRdp;
}

void RdpHandler::initSummary(engine::DissectContext& ctx) {
  if (session_.summary_initialised) {
    return;
  }
  session_.summary_initialised = true;
  model::Fields& s = ctx.connection().rdp;
  model::reserveMembers(s, 22);
  for (const char* key :
       {"cookie", "requested_protocols", "selected_protocol", "security_protocol", "neg_failure",
        "result", "client_build", "client_name", "client_dig_product_id", "keyboard_layout",
        "desktop_width", "desktop_height", "color_depth", "channels", "cert_type", "cert_count",
        "cert_permanent", "encryption_level", "encryption_method", "error_info",
        "license_error", "disconnect_reason"}) {
    if (model::findMember(s, key) == nullptr) {
      model::setMember(s, key, nullptr);
    }
  }
}

void RdpHandler::enterStage(Stage stage) {
  if (!session_.furthest_stage || *session_.furthest_stage < stage) {
    session_.furthest_stage = stage;
  }
}

void RdpHandler::emit(const Pdu& pdu, model::Event&& ev) {
  ev.dir = pdu.dir;
  if (ev.stage) {
    enterStage(*ev.stage);
  }
  pdu.ctx->emit(std::move(ev));
}

bool RdpHandler::fail(const Pdu& pdu, const ParseError& e, std::string_view what) {
  reportParseError(*pdu.ctx, pdu.dir, pdu.base, e, what);
  return false;
}

void RdpHandler::markActive(Direction dir, engine::DissectContext& ctx, const char* why) {
  if (session_.active) {
    return;
  }
  session_.active = true;
  enterStage(Stage::Active);
  model::Event ev = model::Event::make("rdp.active", Stage::Active,
                                       std::string("session active (") + why + ")");
  ev.dir = dir;
  model::setMember(ev.fields, "trigger", why);
  ctx.emit(std::move(ev));
}

Progress RdpHandler::onData(const engine::StreamData& in, engine::DissectContext& ctx) {
  initSummary(ctx);
  auto frame = tpkt::nextFrame(in.data, 0);
  if (!frame) {
    if (frame.error().kind == ErrorKind::Truncated) {
      return Progress::needMore(0, in.data.size() + 1);
    }
    const ParseError& e = frame.error();
    const std::string id = std::string(e.field) == "tpkt.length" ? "tpkt.length.too_small"
                           : std::string(e.field) == "fastpath.length"
                               ? "fastpath.length.too_small"
                               : "rdp.frame.invalid_first_byte";
    ctx.anomaly(id, in.dir, in.stream_offset + e.offset,
                "byte 0x" + toHex(in.data.subspan(0, 1)) +
                    " starts neither a TPKT (0x03) nor a fast-path PDU (action 0), or its "
                    "length is impossible; dissection of this direction stops");
    return Progress::stop(0);
  }
  if (frame->total_length > in.data.size()) {
    return Progress::needMore(0, frame->total_length);
  }
  // [MS-RDPBCGR] 1.3.1.1: the server's first PDU answers the X.224 Connection Request with a
  // Connection Confirm (TPKT). Anything else there is not an RDP server (a web server, a proxy,
  // another service on the port), even when its first byte happens to parse as fast-path.
  if (in.dir == Direction::ToClient && session_.cr_seen && !session_.cc_seen &&
      frame->kind != tpkt::FrameKind::Tpkt) {
    std::string preview;
    for (std::size_t i = 0; i < in.data.size() && i < 24; ++i) {
      const auto c = in.data[i];
      preview.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '.');
    }
    ctx.anomaly("x224.response.not_rdp", in.dir, in.stream_offset,
                "the answer to the X.224 Connection Request is not a TPKT/X.224 Connection "
                "Confirm (starts with \"" + preview + "\"): the service on this port is not RDP");
    return Progress::stop(0);
  }
  const ByteView bytes = in.data.subspan(0, frame->total_length);
  Pdu pdu{in.dir, in.stream_offset, &ctx};
  bool ok = true;
  if (frame->kind == tpkt::FrameKind::Tpkt) {
    ByteReader r(bytes, 0);
    (void)r.skip(tpkt::kTpktHeaderLength, "tpkt.header");
    ok = onTpkt(pdu, r);
  } else {
    ok = onFastPath(pdu, bytes.size(), frame->fp_flags);
  }
  return ok ? Progress::consumed(frame->total_length) : Progress::stop(frame->total_length);
}

bool RdpHandler::onTpkt(const Pdu& pdu, ByteReader r) {
  auto code = x224::peekTpduCode(r);
  if (!code) {
    return fail(pdu, insideFrame(code.error()), "X.224 TPDU");
  }
  switch (*code & 0xF0) {
    case x224::kTpduCr:
      return onConnectionRequest(pdu, r);
    case x224::kTpduCc:
      return onConnectionConfirm(pdu, r);
    case x224::kTpduDr:
      return onDisconnectRequest(pdu, r);
    case x224::kTpduEr:
      return onErrorTpdu(pdu, r);
    case x224::kTpduDt: {
      auto dt = x224::parseData(r);
      if (!dt) {
        return fail(pdu, dt.error(), "X.224 Data TPDU");
      }
      ByteReader user(dt->user_data, dt->user_data_offset);
      return onMcs(pdu, user);
    }
    default:
      pdu.ctx->anomaly("x224.tpdu.unknown_code", pdu.dir, pdu.base + r.offset() + 1,
                       "X.224 TPDU code " + hexCode(*code) +
                           " is not one RDP uses (CR, CC, DR, DT, ER); dissection stops");
      return false;
  }
}

bool RdpHandler::onConnectionRequest(const Pdu& pdu, ByteReader r) {
  auto cr = x224::parseConnectionRequest(r);
  if (!cr) {
    return fail(pdu, cr.error(), "X.224 Connection Request");
  }
  session_.cr_seen = true;
  engine::DissectContext& ctx = *pdu.ctx;
  const bool redact = ctx.redactIdentities();
  model::EventBuilder ev;
  std::string summary = "X.224 Connection Request";
  model::Fields& s = ctx.connection().rdp;
  if (cr->cookie) {
    const std::string cookie = redact ? "<redacted>" : cleanString(*cr->cookie);
    ev.set("cookie", cookie);
    model::setMember(s, "cookie", cookie);
    summary += ", cookie \"" + cookie + "\"";
  } else {
    ev.fieldNull("cookie");
  }
  if (cr->routing_token) {
    const std::string token = cleanString(*cr->routing_token);
    ev.set("routing_token", token);
    model::setMember(s, "routing_token", token);
    summary += ", routing token";
  } else {
    ev.fieldNull("routing_token");
  }
  if (cr->neg) {
    session_.requested_protocols = cr->neg->requested_protocols;
    model::Fields requested = protocolNames(cr->neg->requested_protocols);
    ev.set("requested_protocols", requested);
    ev.set("requested_protocols_value", cr->neg->requested_protocols);
    bitNamesList(ev, "flags", x224::negReqFlags(), cr->neg->flags);
    ev.set("flags_value", cr->neg->flags);
    if (cr->neg->correlation_id) {
      ev.set("correlation_id", toHex(ByteView(*cr->neg->correlation_id), 16));
    } else {
      ev.fieldNull("correlation_id");
    }
    model::setMember(s, "requested_protocols", std::move(requested));
    summary += ", requests " + (cr->neg->requested_protocols == 0
                                    ? std::string("PROTOCOL_RDP")
                                    : bitNamesJoined(x224::protocols(),
                                                     cr->neg->requested_protocols));
  } else {
    // [MS-RDPBCGR] 2.2.1.1: without RDP_NEG_REQ the client can only do standard RDP security.
    session_.requested_protocols = 0;
    model::Fields requested = protocolNames(0);
    ev.set("requested_protocols", requested);
    ev.set("requested_protocols_value", 0);
    ev.setList("flags", {});
    ev.fieldNull("correlation_id");
    ev.set("has_negotiation", false);
    model::setMember(s, "requested_protocols", std::move(requested));
    summary += ", no negotiation request (standard RDP security only)";
  }
  ev.setSummary(std::move(summary));
  emit(pdu, std::move(ev).build("x224.connection_request", Stage::Negotiation));
  return true;
}

bool RdpHandler::onConnectionConfirm(const Pdu& pdu, ByteReader r) {
  auto cc = x224::parseConnectionConfirm(r);
  if (!cc) {
    return fail(pdu, cc.error(), "X.224 Connection Confirm");
  }
  session_.cc_seen = true;
  engine::DissectContext& ctx = *pdu.ctx;
  model::Fields& s = ctx.connection().rdp;
  if (cc->failure) {
    session_.neg_failed = true;
    const std::uint32_t code = cc->failure->failure_code;
    const std::string failure = codeName(x224::negFailureCodes(), code);
    model::EventBuilder ev;
    ev.setSummary("RDP Negotiation Failure: " + failure + " (" +
                  codeMeaning(x224::negFailureCodes(), code) + ")");
    ev.set("failure_code", failure);
    ev.set("failure_code_value", code);
    model::setMember(s, "neg_failure", failure);
    model::setMember(s, "result", failure);  // Zeek: rdp.log result = failure code name
    emit(pdu, std::move(ev).build("x224.neg_failure", Stage::Negotiation));
    return true;
  }
  model::EventBuilder ev;
  std::uint32_t selected = x224::kProtocolRdp;
  if (cc->rsp) {
    selected = cc->rsp->selected_protocol;
  }
  const std::string selected_name = codeName(x224::protocols(), selected);
  ev.set("selected_protocol", selected_name);
  ev.set("selected_protocol_value", selected);
  if (cc->rsp) {
    bitNamesList(ev, "flags", x224::negRspFlags(), cc->rsp->flags);
    ev.set("flags_value", cc->rsp->flags);
    ev.set("has_negotiation", true);
    ev.setSummary("X.224 Connection Confirm, selected " + selected_name);
  } else {
    ev.setList("flags", {});
    ev.set("has_negotiation", false);
    ev.setSummary("X.224 Connection Confirm without negotiation data (standard RDP security)");
  }
  session_.selected_protocol = selected;
  model::setMember(s, "selected_protocol", selected_name);
  model::setMember(s, "security_protocol", zeekProtocolName(selected));
  emit(pdu, std::move(ev).build("x224.connection_confirm", Stage::Negotiation));
  if (session_.tlsSelected() && s["result"].is_null()) {
    model::setMember(s, "result",
                     "encrypted");  // Zeek: rdp_begin_encryption sets result "encrypted"
  }
  return true;
}

bool RdpHandler::onDisconnectRequest(const Pdu& pdu, ByteReader r) {
  auto dr = x224::parseDisconnectRequest(r);
  if (!dr) {
    return fail(pdu, dr.error(), "X.224 Disconnect Request");
  }
  model::Event ev = model::Event::make(
      "x224.disconnect_request", std::nullopt,
      "X.224 Disconnect Request: " + codeName(x224::disconnectReasons(), dr->reason));
  model::setMember(ev.fields, "reason", codeName(x224::disconnectReasons(), dr->reason));
  model::setMember(ev.fields, "reason_value", dr->reason);
  emit(pdu, std::move(ev));
  return true;
}

bool RdpHandler::onErrorTpdu(const Pdu& pdu, ByteReader r) {
  auto er = x224::parseErrorTpdu(r);
  if (!er) {
    return fail(pdu, er.error(), "X.224 TPDU Error");
  }
  // X.224 13.12.3 reject cause: 0 not specified, 1 invalid parameter code, 2 invalid TPDU type,
  // 3 invalid parameter value.
  static constexpr const char* kCauses[] = {"REASON_NOT_SPECIFIED", "INVALID_PARAMETER_CODE",
                                            "INVALID_TPDU_TYPE", "INVALID_PARAMETER_VALUE"};
  const std::string cause = er->reject_cause < 4 ? kCauses[er->reject_cause]
                                                 : "UNKNOWN(" + hexCode(er->reject_cause) + ")";
  model::Event ev = model::Event::make("x224.error", std::nullopt, "X.224 TPDU Error: " + cause);
  model::setMember(ev.fields, "reason", cause);
  model::setMember(ev.fields, "reason_value", er->reject_cause);
  emit(pdu, std::move(ev));
  return true;
}

namespace {

// A bulk fast-path PDU's summary and fields (engine::BulkStub: body.value = PDU length,
// body.flags = fpOutputHeader flags). Described only for the PDUs kept in the timeline.
void describeFastPath(const model::CompactBody& body, Direction dir, model::EventBodySink& sink) {
  const bool encrypted = (body.flags & tpkt::kFastPathOutputEncrypted) != 0;
  sink.summary(dir == Direction::ToServer ? "fast-path input, " : "fast-path output, ");
  sink.summaryNumber(body.value);
  sink.summary(" bytes");
  if (encrypted) {
    sink.summary(", encrypted");
  }
  sink.fieldNumber("length", body.value);
  sink.fieldFlag("encrypted", encrypted);
  sink.fieldNumber("flags_value", body.flags & 0x3);
}

}  // namespace

bool RdpHandler::onFastPath(const Pdu& pdu, std::size_t length, std::uint8_t fp_flags) {
  // [MS-RDPBCGR] 2.2.8.1.2 (client input) / 2.2.9.1.2 (server output): counted, not decoded.
  if (pdu.dir == Direction::ToClient &&
      (session_.finalization_seen || session_.demand_active_seen || session_.client_info_seen ||
       session_.tlsSelected())) {
    // The server sends fast-path output only once the session is up ([MS-RDPBCGR] 1.3.1.1).
    markActive(pdu.dir, *pdu.ctx, "fast-path output");
  }
  engine::BulkStub stub;
  stub.kind = "rdp.fastpath";
  if (session_.active) {
    stub.stage = Stage::Active;
  }
  stub.body.describe = &describeFastPath;
  stub.body.value = length;
  stub.body.flags = fp_flags;
  stub.dir = pdu.dir;
  pdu.ctx->emitBulkStub(std::move(stub));  // built only if kept in the timeline
  return true;
}

bool RdpHandler::countFromHead(Direction dir, ByteView head, std::size_t length,
                               engine::DissectContext& ctx) {
  if (!session_.active || session_.standardEncryption()) {
    return false;
  }
  auto frame = tpkt::nextFrame(head, 0);
  if (!frame || frame->total_length != length) {
    return false;
  }
  initSummary(ctx);
  const Pdu pdu{dir, 0, &ctx};  // nothing here reports an anomaly: the offset is not needed
  if (frame->kind == tpkt::FrameKind::FastPath) {
    return onFastPath(pdu, length, frame->fp_flags);
  }
  // TPKT, X.224 Data TPDU, MCS Send Data: all three headers fit in the head.
  ByteReader r(head, 0);
  if (!r.skip(tpkt::kTpktHeaderLength, "tpkt.header")) {
    return false;
  }
  auto dt = x224::parseData(r);
  if (!dt || mcs::isConnectPdu(dt->user_data)) {
    return false;
  }
  ByteReader user(dt->user_data, dt->user_data_offset);
  auto sd = mcs::parseSendDataHeader(user);
  if (!sd || sd->user_data_offset + std::size_t{sd->user_data_length} != length) {
    return false;
  }
  const auto channel = static_cast<std::uint16_t>(sd->channel_id);
  if (session_.message_channel && *session_.message_channel == channel) {
    return false;
  }
  if (channel == session_.io_channel) {
    return countIoFromHead(pdu, user, sd->user_data_length);
  }
  countChannelData(pdu, channel, sd->user_data_length, std::nullopt);
  return true;
}

Progress RdpHandler::onEarlyUserAuth(const engine::StreamData& in, engine::DissectContext& ctx) {
  initSummary(ctx);
  ByteReader r(in.data, 0);
  auto v = r.u32le("rdp.early_user_auth.result");
  if (!v) {
    return Progress::needMore(0, 4);
  }
  // [MS-RDPBCGR] 2.2.10.2: authorizationResult ACCESS_GRANTED 0x0, ACCESS_DENIED 0x5.
  const std::string name = *v == 0   ? "ACCESS_GRANTED"
                           : *v == 5 ? "ACCESS_DENIED"
                                     : "UNKNOWN(" + hexCode(*v) + ")";
  model::Event ev = model::Event::make("rdp.early_user_auth_result", Stage::EarlyAuth,
                                       "Early User Authorization Result: " + name);
  ev.dir = in.dir;
  model::setMember(ev.fields, "result", name);
  model::setMember(ev.fields, "result_value", *v);
  enterStage(Stage::EarlyAuth);
  ctx.emit(std::move(ev));
  model::setMember(ctx.connection().credssp, "early_user_auth", name);
  return Progress::consumed(4);
}

}  // namespace rdpscope::rdp
