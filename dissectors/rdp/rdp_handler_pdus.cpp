// RDP PDUs on the MCS I/O channel ([MS-RDPBCGR] 2.2.1.10 - 2.2.1.22, 2.2.3, 2.2.5, 2.2.10,
// 2.2.13, 2.2.2.1-2): security header, Security Exchange, Client Info (password never decoded),
// licensing, capability exchange, finalization, error / session-info / redirection PDUs.
// Standard-RDP-security encrypted payloads are recorded as header + size only.
#include "core/code_names.h"
#include "core/text.h"
#include "model/event_builder.h"
#include "rdp/field_util.h"
#include "rdp/rdp_handler.h"
#include "rdp/rdp_names.h"
#include "tpkt/parse_util.h"

namespace rdpscope::rdp {

namespace {

// [MS-RDPBCGR] 2.2.8.1.1.2.1 Basic Security Header flags.
constexpr std::uint16_t kSecExchangePkt = 0x0001;
constexpr std::uint16_t kSecTransportReq = 0x0002;
constexpr std::uint16_t kSecTransportRsp = 0x0004;
constexpr std::uint16_t kSecEncrypt = 0x0008;
constexpr std::uint16_t kSecInfoPkt = 0x0040;
constexpr std::uint16_t kSecLicensePkt = 0x0080;
constexpr std::uint16_t kSecRedirectionPkt = 0x0400;
constexpr std::uint16_t kSecAutodetectReq = 0x1000;
constexpr std::uint16_t kSecAutodetectRsp = 0x2000;
constexpr std::uint16_t kSecHeartbeat = 0x4000;

// [MS-RDPBCGR] 2.2.8.1.1.1.1 Share Control Header pduType (low 4 bits).
constexpr std::uint16_t kPduDemandActive = 0x1;
constexpr std::uint16_t kPduConfirmActive = 0x3;
constexpr std::uint16_t kPduDeactivateAll = 0x6;
constexpr std::uint16_t kPduData = 0x7;
constexpr std::uint16_t kPduServerRedir = 0xA;
// TS_PROTOCOL_VERSION in the high 12 bits of pduType.
constexpr std::uint16_t kProtocolVersion = 0x0010;

// [MS-RDPBCGR] 2.2.8.1.1.1.2 Share Data Header pduType2.
constexpr std::uint8_t kPdu2Update = 2;
constexpr std::uint8_t kPdu2Control = 20;
constexpr std::uint8_t kPdu2Pointer = 27;
constexpr std::uint8_t kPdu2Input = 28;
constexpr std::uint8_t kPdu2Synchronize = 31;
constexpr std::uint8_t kPdu2ShutdownRequest = 36;
constexpr std::uint8_t kPdu2ShutdownDenied = 37;
constexpr std::uint8_t kPdu2SaveSessionInfo = 38;
constexpr std::uint8_t kPdu2FontList = 39;
constexpr std::uint8_t kPdu2FontMap = 40;
constexpr std::uint8_t kPdu2PersistentList = 43;
constexpr std::uint8_t kPdu2SetErrorInfo = 47;
// [MS-RDPBCGR] 2.2.8.1.1.1.2 compressedType PACKET_COMPRESSED.
constexpr std::uint8_t kPacketCompressed = 0x20;

// [MS-RDPBCGR] 2.2.1.12.1.1 licensing bMsgType values.
constexpr std::uint8_t kLicRequest = 0x01;
constexpr std::uint8_t kLicNewLicense = 0x03;
constexpr std::uint8_t kLicUpgradeLicense = 0x04;
constexpr std::uint8_t kLicErrorAlert = 0xFF;
// [MS-RDPBCGR] 2.2.1.12.1.3 STATUS_VALID_CLIENT: licensing succeeded (or was skipped).
constexpr std::uint32_t kStatusValidClient = 0x00000007;

// [MS-RDPBCGR] 2.2.1.11.1.1 INFO_UNICODE.
constexpr std::uint32_t kInfoUnicode = 0x00000010;
constexpr std::uint32_t kInfoCompression = 0x00000080;  // INFO_COMPRESSION

const char* licenseKind(std::uint8_t type) {
  switch (type) {
    case 0x01: return "rdp.license_request";
    case 0x02: return "rdp.license_platform_challenge";
    case 0x03: return "rdp.license_new_license";
    case 0x04: return "rdp.license_upgrade";
    case 0x12: return "rdp.license_info";
    case 0x13: return "rdp.license_new_license_request";
    case 0x15: return "rdp.license_challenge_response";
    case 0xFF: return "rdp.license_error";
    default: return "rdp.license_unknown";
  }
}

// [MS-RDPBCGR] 2.2.1.11.1.1: a string field of cb bytes plus its terminator (2 bytes for
// Unicode, 1 for ANSI).
Result<std::string> infoString(ByteReader& r, std::uint16_t cb, bool unicode, const char* field) {
  const std::size_t term = unicode ? 2 : 1;
  RDPSCOPE_TRY(const ByteView raw, r.bytes(std::size_t{cb} + term, field));
  if (unicode) {
    return utf16leToUtf8(raw.subspan(0, cb));
  }
  return sanitizeUtf8(std::string(raw.begin(), raw.begin() + cb));
}

// Share control header recognition for the PDUs sent without a security header (TLS /
// no-encryption): totalLength equals the PDU size (0x8000 marks a flow PDU) and pduType carries
// TS_PROTOCOL_VERSION ([MS-RDPBCGR] 2.2.8.1.1.1.1).
bool looksLikeShareControl(ByteView b) {
  if (b.size() < 4) {
    return false;
  }
  const std::uint16_t total = static_cast<std::uint16_t>(b[0] | (b[1] << 8));
  const std::uint16_t type = static_cast<std::uint16_t>(b[2] | (b[3] << 8));
  if (total == 0x8000) {
    return true;
  }
  return total == b.size() && (type & 0xFFF0) == kProtocolVersion;
}

}  // namespace

namespace {

// A bulk slow-path data PDU (graphics, pointer, input, or bulk-compressed): its summary and
// fields, described only when the engine keeps it (engine::BulkStub: body.value = bytes after the
// Share Data Header; body.flags bits 0-7 = pduType2, bit 8 = bulk-compressed, not decoded).
constexpr std::uint32_t kStubCompressed = 1u << 8;

void describeBulkDataPdu(const model::CompactBody& body, Direction /*dir*/,
                         model::EventBodySink& sink) {
  const auto type2 = static_cast<std::uint8_t>(body.flags & 0xFF);
  const std::string type_name = codeName(shareDataPduTypes(), type2);
  sink.summary(type_name);
  if ((body.flags & kStubCompressed) != 0) {
    sink.summary(" (bulk-compressed, not decoded)");
    sink.fieldText("type", type_name);
    sink.fieldFlag("compressed", true);
  } else {
    sink.fieldText("type", type_name);
    sink.fieldNumber("type_value", type2);
  }
  sink.fieldNumber("length", body.value);
}

// A bulk channel-data PDU's summary and fields, described only when the engine keeps it
// (engine::BulkStub): body.value bits 0-31 = payload length, bits 32-47 = security header flags;
// body.flags bits 0-15 = channel id, bit 16 = message channel, bit 17 = user channel, bit 18 = a
// security header was read; body.text = the channel's name from the GCC channel list.
constexpr std::uint32_t kStubMessageChannel = 1u << 16;
constexpr std::uint32_t kStubUserChannel = 1u << 17;
constexpr std::uint32_t kStubHasSecurityFlags = 1u << 18;

void describeChannelData(const model::CompactBody& body, Direction /*dir*/,
                         model::EventBodySink& sink) {
  const auto channel_id = static_cast<std::uint16_t>(body.flags & 0xFFFF);
  const bool message = (body.flags & kStubMessageChannel) != 0;
  const bool user = (body.flags & kStubUserChannel) != 0;
  const std::uint64_t length = body.value & 0xFFFFFFFF;
  const std::string& name = body.text;
  sink.summary("channel ");
  sink.summaryNumber(channel_id);
  if (!name.empty()) {
    sink.summary(" (");
    sink.summary(name);
    sink.summary(")");
  } else if (message) {
    sink.summary(" (message channel)");
  } else if (user) {
    sink.summary(" (user channel)");
  }
  sink.summary(", ");
  sink.summaryNumber(length);
  sink.summary(" bytes");
  sink.fieldNumber("channel_id", channel_id);
  sink.fieldText("channel", !name.empty() ? std::string_view(name)
                            : message     ? std::string_view("message")
                            : user        ? std::string_view("user")
                                          : std::string_view("unknown"));
  sink.fieldNumber("length", length);
  if ((body.flags & kStubHasSecurityFlags) != 0) {
    const auto flags = static_cast<std::uint16_t>(body.value >> 32);
    bitNamesList(sink, "security_flags", securityHeaderFlags(), flags);
    sink.fieldFlag("encrypted", (flags & kSecEncrypt) != 0);
  }
}

// Standard RDP Security ciphertext on the I/O channel ("rdp.encrypted", one per PDU of an
// encrypted session): summary and fields, described only when the engine keeps it
// (engine::BulkStub: body.value = ciphertext bytes | security header flags << 32; body.flags =
// kStubLicensingPdu for SEC_LICENSE_PKT).
constexpr std::uint32_t kStubLicensingPdu = 1u;

void describeEncryptedPdu(const model::CompactBody& body, Direction /*dir*/,
                          model::EventBodySink& sink) {
  const std::uint64_t length = body.value & 0xFFFFFFFFu;
  const auto flags = static_cast<std::uint16_t>(body.value >> 32);
  const bool licensing = (body.flags & kStubLicensingPdu) != 0;
  sink.summary(licensing ? "encrypted licensing PDU, " : "encrypted PDU, ");
  sink.summaryNumber(length);
  sink.summary(" bytes of ciphertext");
  sink.fieldNumber("length", length);
  bitNamesList(sink, "security_flags", securityHeaderFlags(), flags);
  sink.fieldNumber("security_flags_value", flags);
}

}  // namespace

bool RdpHandler::onChannelData(const Pdu& pdu, std::uint16_t channel_id, ByteReader r) {
  if (channel_id == session_.io_channel) {
    return onIoChannel(pdu, r);
  }
  // Virtual channels and the message channel: counted, not decoded.
  const bool message = session_.message_channel && *session_.message_channel == channel_id;
  std::optional<std::uint16_t> security_flags;
  const std::size_t length = r.remaining();
  if (message || session_.standardEncryption()) {
    auto flags = r.rest().size() >= 2 ? r.u16le("rdp.sec.flags") : Result<std::uint16_t>(0);
    if (flags) {
      security_flags = *flags;
    }
  }
  countChannelData(pdu, channel_id, length, security_flags);
  return true;
}

void RdpHandler::countChannelData(const Pdu& pdu, std::uint16_t channel_id, std::size_t length,
                                  std::optional<std::uint16_t> security_flags) {
  engine::BulkStub stub;
  stub.kind = "rdp.channel_data";
  stub.body.describe = &describeChannelData;
  stub.dir = pdu.dir;
  for (std::size_t i = 0; i < session_.channel_ids.size(); ++i) {
    if (session_.channel_ids[i] == channel_id && i < session_.channel_names.size()) {
      stub.body.text = session_.channel_names[i];
    }
  }
  const bool message = session_.message_channel && *session_.message_channel == channel_id;
  const bool user = session_.user_id && *session_.user_id == channel_id;
  stub.body.value = length;
  stub.body.flags = std::uint32_t{channel_id} | (message ? kStubMessageChannel : 0u) |
                    (user ? kStubUserChannel : 0u);
  if (security_flags) {
    stub.body.flags |= kStubHasSecurityFlags;
    stub.body.value |= std::uint64_t{*security_flags} << 32;
  }
  pdu.ctx->emitBulkStub(std::move(stub));  // built only if kept in the timeline
}

bool RdpHandler::onIoChannel(const Pdu& pdu, ByteReader r) {
  engine::DissectContext& ctx = *pdu.ctx;
  const bool std_enc = session_.standardEncryption();
  if (!std_enc && looksLikeShareControl(r.rest())) {
    return onShareControl(pdu, r);
  }
  // [MS-RDPBCGR] 2.2.8.1.1.2: a security header precedes the payload.
  const std::uint32_t sec_offset = r.offset();
  auto flags_r = r.u16le("rdp.sec.flags");
  auto flags_hi_r = r.u16le("rdp.sec.flags_hi");
  if (!flags_r || !flags_hi_r) {
    return fail(pdu, insideFrame(flags_r ? flags_hi_r.error() : flags_r.error()),
                "security header");
  }
  const std::uint16_t flags = *flags_r;
  if ((flags & kSecEncrypt) != 0) {
    // Non-FIPS header: 8-byte dataSignature; FIPS: length(2) version(1) padlen(1) + signature.
    const std::size_t extra = session_.encryption_method == 0x10 ? 12 : 8;
    auto skipped = r.skip(extra, "rdp.sec.data_signature");
    if (!skipped) {
      return fail(pdu, insideFrame(skipped.error()), "security header");
    }
    if ((flags & kSecInfoPkt) != 0) {
      session_.client_info_seen = true;
      model::EventBuilder ev;
      ev.summary("Client Info PDU (encrypted, standard RDP security)");
      ev.set("encrypted", true);
      ev.set("length", r.remaining());
      emit(pdu, std::move(ev).build("rdp.client_info", Stage::ClientInfo));
      return true;
    }
    const bool licensing = (flags & kSecLicensePkt) != 0;
    if (licensing) {
      enterStage(Stage::Licensing);
    }
    engine::BulkStub stub;
    stub.kind = "rdp.encrypted";
    if (licensing) {
      stub.stage = Stage::Licensing;
    }
    stub.body.describe = &describeEncryptedPdu;
    stub.dir = pdu.dir;
    stub.body.value = std::uint64_t{static_cast<std::uint32_t>(r.remaining())} |
                      (std::uint64_t{flags} << 32);
    stub.body.flags = licensing ? kStubLicensingPdu : 0u;
    ctx.emitBulkStub(std::move(stub));  // built only if kept in the timeline
    return true;
  }
  (void)sec_offset;
  if ((flags & kSecExchangePkt) != 0) {
    return onSecurityExchange(pdu, r);
  }
  if ((flags & kSecInfoPkt) != 0) {
    return onClientInfo(pdu, r);
  }
  if ((flags & kSecLicensePkt) != 0) {
    return onLicensing(pdu, r);
  }
  if ((flags & kSecRedirectionPkt) != 0) {
    // [MS-RDPBCGR] 2.2.13.2.1: standard security redirection; the packet follows the header.
    return onServerRedirection(pdu, r, false);
  }
  if ((flags & (kSecAutodetectReq | kSecAutodetectRsp | kSecHeartbeat | kSecTransportReq |
                kSecTransportRsp)) != 0) {
    model::EventBuilder b;
    b.summary("auto-detect / heartbeat / multitransport PDU");
    bitNamesList(b, "security_flags", securityHeaderFlags(), flags);
    b.set("length", r.remaining());
    model::Event ev = std::move(b).build("rdp.channel_data", std::nullopt);
    ev.dir = pdu.dir;
    ctx.emitBulk(std::move(ev));
    return true;
  }
  // Standard security without SEC_ENCRYPT (e.g. ENCRYPTION_LEVEL_LOW server-to-client): the
  // share control PDU follows the basic header.
  return onShareControl(pdu, r);
}

bool RdpHandler::onSecurityExchange(const Pdu& pdu, ByteReader r) {
  // [MS-RDPBCGR] 2.2.1.10.1 TS_SECURITY_PACKET: length, encryptedClientRandom.
  auto len = r.u32le("rdp.security_exchange.length");
  if (!len) {
    return fail(pdu, insideFrame(len.error()), "Security Exchange PDU");
  }
  if (*len > r.remaining()) {
    return fail(pdu, ParseError{ErrorKind::Malformed, r.offset() - 4,
                                "rdp.security_exchange.bad_length"},
                "Security Exchange PDU");
  }
  session_.security_exchange_seen = true;
  model::EventBuilder ev;
  ev.setSummary("Security Exchange PDU (encrypted client random, " + std::to_string(*len) +
                " bytes)");
  ev.set("encrypted_client_random_length", *len);
  emit(pdu, std::move(ev).build("rdp.security_exchange", Stage::SecurityExchange));
  return true;
}

bool RdpHandler::onClientInfo(const Pdu& pdu, ByteReader r) {
  engine::DissectContext& ctx = *pdu.ctx;
  const bool redact = ctx.redactIdentities();
  // [MS-RDPBCGR] 2.2.1.11.1.1 TS_INFO_PACKET.
  std::string shown_user;  // the user and domain as the event shows them
  std::string shown_domain;
  auto parse = [&]() -> Result<model::Event> {
    model::EventBuilder ev;
    RDPSCOPE_TRY(const std::uint32_t code_page, r.u32le("rdp.client_info.code_page"));
    RDPSCOPE_TRY(const std::uint32_t flags, r.u32le("rdp.client_info.flags"));
    RDPSCOPE_TRY(const std::uint16_t cb_domain, r.u16le("rdp.client_info.cb_domain"));
    RDPSCOPE_TRY(const std::uint16_t cb_user, r.u16le("rdp.client_info.cb_user_name"));
    RDPSCOPE_TRY(const std::uint16_t cb_password, r.u16le("rdp.client_info.cb_password"));
    RDPSCOPE_TRY(const std::uint16_t cb_shell, r.u16le("rdp.client_info.cb_alternate_shell"));
    RDPSCOPE_TRY(const std::uint16_t cb_dir, r.u16le("rdp.client_info.cb_working_dir"));
    const bool unicode = (flags & kInfoUnicode) != 0;
    RDPSCOPE_TRY(const std::string domain, infoString(r, cb_domain, unicode, "rdp.client_info.domain"));
    RDPSCOPE_TRY(const std::string user, infoString(r, cb_user, unicode, "rdp.client_info.user_name"));
    // The password is skipped as raw bytes: it is never decoded, copied or output.
    RDPSCOPE_CHECK(r.skip(std::size_t{cb_password} + (unicode ? 2 : 1), "rdp.client_info.password"));
    RDPSCOPE_TRY(const std::string shell, infoString(r, cb_shell, unicode, "rdp.client_info.alternate_shell"));
    RDPSCOPE_TRY(const std::string dir, infoString(r, cb_dir, unicode, "rdp.client_info.working_dir"));
    ev.set("code_page", code_page);
    // [MS-RDPBCGR] 2.2.1.11.1.1: bits 9-12 (CompressionTypeMask 0x1E00) are not flags but the
    // highest bulk compression type the client supports (0 = 8K, 1 = 64K, 2 = RDP 6.0, 3 = 6.1).
    constexpr std::uint32_t kCompressionTypeMask = 0x00001E00;
    bitNamesList(ev, "flags", clientInfoFlags(), flags & ~kCompressionTypeMask);
    ev.set("flags_value", flags);
    if ((flags & kInfoCompression) != 0) {
      ev.set("compression_type", (flags & kCompressionTypeMask) >> 9);
    }
    shown_domain = redact ? "<redacted>" : cleanString(domain);
    shown_user = redact ? "<redacted>" : cleanString(user);
    ev.set("domain", shown_domain);
    ev.set("user", shown_user);
    ev.set("password_present", cb_password > 0);
    ev.set("alternate_shell", cleanString(shell));
    ev.set("working_dir", cleanString(dir));
    // [MS-RDPBCGR] 2.2.1.11.1.1.1 TS_EXTENDED_INFO_PACKET (RDP 5.0 and later; optional).
    if (r.remaining() >= 4) {
      RDPSCOPE_TRY(const std::uint16_t family, r.u16le("rdp.client_info.client_address_family"));
      RDPSCOPE_TRY(const std::uint16_t cb_addr, r.u16le("rdp.client_info.cb_client_address"));
      RDPSCOPE_TRY(const ByteView addr, r.bytes(cb_addr, "rdp.client_info.client_address"));
      ev.set("client_address_family", family == 2      ? "AF_INET"
                                      : family == 0x17 ? "AF_INET6"
                                                       : hexCode(family));
      ev.set("client_address", cleanString(utf16leToUtf8(addr)));
      if (r.remaining() >= 2) {
        RDPSCOPE_TRY(const std::uint16_t cb_cdir, r.u16le("rdp.client_info.cb_client_dir"));
        RDPSCOPE_TRY(const ByteView cdir, r.bytes(cb_cdir, "rdp.client_info.client_dir"));
        ev.set("client_dir", cleanString(utf16leToUtf8(cdir)));
      }
      if (r.remaining() >= 172) {
        // [MS-RDPBCGR] 2.2.1.11.1.1.1.1 TS_TIME_ZONE_INFORMATION (172 bytes).
        RDPSCOPE_TRY(const std::uint32_t bias, r.u32le("rdp.client_info.tz_bias"));
        RDPSCOPE_TRY(const ByteView std_name, r.bytes(64, "rdp.client_info.tz_standard_name"));
        RDPSCOPE_CHECK(r.skip(172 - 68, "rdp.client_info.tz_rest"));
        ev.set("time_zone", cleanString(utf16leToUtf8(std_name)));
        ev.set("time_zone_bias_minutes", static_cast<std::int32_t>(bias));
      }
      if (r.remaining() >= 8) {
        RDPSCOPE_TRY(const std::uint32_t session_id, r.u32le("rdp.client_info.client_session_id"));
        RDPSCOPE_TRY(const std::uint32_t perf, r.u32le("rdp.client_info.performance_flags"));
        ev.set("client_session_id", session_id);
        ev.set("performance_flags_value", perf);
      }
      if (r.remaining() >= 2) {
        RDPSCOPE_TRY(const std::uint16_t cb_cookie, r.u16le("rdp.client_info.cb_auto_reconnect_cookie"));
        ev.set("auto_reconnect_cookie_present", cb_cookie > 0);
        // The cookie itself (ARC_CS_PRIVATE_PACKET) is a credential: skipped, never output.
      }
    }
    ev.setSummary("Client Info PDU: user \"" + shown_user + "\", domain \"" + shown_domain + "\"");
    return std::move(ev).build("rdp.client_info", Stage::ClientInfo);
  };
  auto ev = parse();
  if (!ev) {
    return fail(pdu, insideFrame(ev.error()), "Client Info PDU");
  }
  session_.client_info_seen = true;
  model::Fields& s = ctx.connection().rdp;
  model::setMember(s, "user", shown_user);
  model::setMember(s, "domain", shown_domain);
  emit(pdu, std::move(*ev));
  return true;
}

bool RdpHandler::onLicensing(const Pdu& pdu, ByteReader r) {
  // [MS-RDPBCGR] 2.2.1.12.1.1 LICENSE_PREAMBLE: bMsgType, flags, wMsgSize.
  auto type = r.u8("rdp.license.msg_type");
  auto flags = r.u8("rdp.license.flags");
  auto size = r.u16le("rdp.license.msg_size");
  if (!type || !flags || !size) {
    return fail(pdu, insideFrame(!type ? type.error() : !flags ? flags.error() : size.error()),
                "licensing PDU");
  }
  engine::DissectContext& ctx = *pdu.ctx;
  const std::string type_name = codeName(licenseMsgTypes(), *type);
  model::EventBuilder ev;
  ev.setSummary("Licensing: " + type_name);
  ev.set("msg_type", type_name);
  ev.set("msg_type_value", *type);
  ev.set("version", *flags & 0x0F);
  ev.set("extended_error_msg_supported", (*flags & 0x80) != 0);
  ev.set("msg_size", *size);
  if (*type == kLicErrorAlert) {
    // [MS-RDPBCGR] 2.2.1.12.1.3 LICENSE_ERROR_MESSAGE.
    auto code = r.u32le("rdp.license_error.error_code");
    auto trans = r.u32le("rdp.license_error.state_transition");
    if (!code || !trans) {
      return fail(pdu, insideFrame(!code ? code.error() : trans.error()), "License Error Message");
    }
    const std::string code_name = codeName(licenseErrorCodes(), *code);
    const std::string trans_name = codeName(licenseStateTransitions(), *trans);
    ev.set("error_code", code_name);
    ev.set("error_code_value", *code);
    ev.set("state_transition", trans_name);
    ev.set("state_transition_value", *trans);
    if (*code == kStatusValidClient) {
      session_.licensing_done = true;
      ev.setSummary("License Error Message: STATUS_VALID_CLIENT (licensing complete)");
    } else {
      ev.setSummary("License Error Message: " + code_name + " (" +
                    codeMeaning(licenseErrorCodes(), *code) + "), " + trans_name);
      model::setMember(ctx.connection().rdp, "license_error", code_name);
    }
  } else if (*type == kLicNewLicense || *type == kLicUpgradeLicense) {
    session_.licensing_done = true;
  } else if (*type == kLicRequest) {
    // Server License Request ([MS-RDPBCGR] 2.2.1.12 / [MS-RDPELE] 2.2.2.1): contents not needed.
  }
  emit(pdu, std::move(ev).build(licenseKind(*type), Stage::Licensing));
  return true;
}

bool RdpHandler::onShareControl(const Pdu& pdu, ByteReader r) {
  // [MS-RDPBCGR] 2.2.8.1.1.1.1 TS_SHARECONTROLHEADER.
  auto total = r.u16le("rdp.share_control.total_length");
  if (!total) {
    return fail(pdu, insideFrame(total.error()), "Share Control Header");
  }
  if (*total == 0x8000) {
    return true;  // [MS-RDPBCGR] 2.2.8.1.1.1.1: flow control PDU (8 bytes), ignored
  }
  auto type = r.u16le("rdp.share_control.pdu_type");
  if (!type) {
    return fail(pdu, insideFrame(type.error()), "Share Control Header");
  }
  std::uint16_t source = 0;
  if (r.remaining() >= 2) {
    source = *r.u16le("rdp.share_control.pdu_source");
  }
  engine::DissectContext& ctx = *pdu.ctx;
  const std::uint16_t t = static_cast<std::uint16_t>(*type & 0x0F);
  switch (t) {
    case kPduDemandActive:
    case kPduConfirmActive: {
      const bool demand = t == kPduDemandActive;
      // One capability set as the event shows it (a few decoded fields for some types).
      struct CapabilitySet {
        std::uint16_t type = 0;
        std::uint16_t length = 0;
        std::uint16_t values[3] = {0, 0, 0};
        std::size_t orders_supported = 0;
        bool decoded = false;
      };
      auto parse = [&]() -> Result<model::Event> {
        // [MS-RDPBCGR] 2.2.1.13.1.1 TS_DEMAND_ACTIVE_PDU / 2.2.1.13.2.1 TS_CONFIRM_ACTIVE_PDU.
        model::EventBuilder ev;
        RDPSCOPE_TRY(const std::uint32_t share_id, r.u32le("rdp.active.share_id"));
        if (!demand) {
          RDPSCOPE_TRY(const std::uint16_t originator, r.u16le("rdp.active.originator_id"));
          ev.set("originator_id", originator);
        }
        RDPSCOPE_TRY(const std::uint16_t len_src, r.u16le("rdp.active.length_source_descriptor"));
        RDPSCOPE_TRY(const std::uint16_t len_caps, r.u16le("rdp.active.length_combined_capabilities"));
        RDPSCOPE_TRY(const ByteView src, r.bytes(len_src, "rdp.active.source_descriptor"));
        RDPSCOPE_TRY(ByteReader caps, r.sub(len_caps, "rdp.active.capabilities"));
        RDPSCOPE_TRY(const std::uint16_t count, caps.u16le("rdp.active.number_capabilities"));
        RDPSCOPE_CHECK(caps.skip(2, "rdp.active.pad2octets"));
        std::vector<CapabilitySet> sets;
        sets.reserve(std::min<std::size_t>(count, 64));
        for (std::uint16_t i = 0; i < count; ++i) {
          CapabilitySet& one = sets.emplace_back();
          RDPSCOPE_TRY(const std::uint16_t ctype, caps.u16le("rdp.capability.type"));
          RDPSCOPE_TRY(const std::uint16_t clen, caps.u16le("rdp.capability.length"));
          if (clen < 4) {
            return parseError(ErrorKind::Malformed, caps.offset() - 2, "rdp.capability.bad_length");
          }
          RDPSCOPE_TRY(ByteReader body, caps.sub(clen - 4u, "rdp.capability.data"));
          one.type = ctype;
          one.length = clen;
          if (ctype == 1 && body.remaining() >= 22) {
            // [MS-RDPBCGR] 2.2.7.1.1 TS_GENERAL_CAPABILITYSET.
            RDPSCOPE_TRY(one.values[0], body.u16le("rdp.capability.general.os_major"));
            RDPSCOPE_TRY(one.values[1], body.u16le("rdp.capability.general.os_minor"));
            RDPSCOPE_CHECK(body.skip(6, "rdp.capability.general.skip"));
            RDPSCOPE_TRY(one.values[2], body.u16le("rdp.capability.general.extra_flags"));
            one.decoded = true;
          } else if (ctype == 2 && body.remaining() >= 14) {
            // [MS-RDPBCGR] 2.2.7.1.2 TS_BITMAP_CAPABILITYSET.
            RDPSCOPE_TRY(one.values[0], body.u16le("rdp.capability.bitmap.bpp"));
            RDPSCOPE_CHECK(body.skip(6, "rdp.capability.bitmap.receive"));
            RDPSCOPE_TRY(one.values[1], body.u16le("rdp.capability.bitmap.width"));
            RDPSCOPE_TRY(one.values[2], body.u16le("rdp.capability.bitmap.height"));
            one.decoded = true;
          } else if (ctype == 3 && body.remaining() >= 68) {
            // [MS-RDPBCGR] 2.2.7.1.3 TS_ORDER_CAPABILITYSET.
            RDPSCOPE_CHECK(body.skip(30, "rdp.capability.order.skip"));
            RDPSCOPE_TRY(one.values[0], body.u16le("rdp.capability.order.flags"));
            RDPSCOPE_TRY(const ByteView support, body.bytes(32, "rdp.capability.order.support"));
            for (const std::uint8_t b : support) {
              one.orders_supported += b != 0 ? 1u : 0u;
            }
            one.decoded = true;
          }
        }
        session_.share_id = share_id;
        ev.set("share_id", share_id);
        ev.set("source_descriptor", cleanString(std::string(src.begin(), src.end()), 64));
        ev.set("capability_count", count);
        ev.beginArray("capability_sets");
        for (const CapabilitySet& one : sets) {
          ev.beginObject("");
          withCodeName(capabilitySetTypes(), one.type,
                       [&ev](std::string_view name) { ev.set("type", name); });
          ev.set("type_value", one.type);
          ev.set("length", one.length);
          if (one.decoded && one.type == 1) {
            ev.set("os_major_type", one.values[0]);
            ev.set("os_minor_type", one.values[1]);
            ev.set("extra_flags_value", one.values[2]);
          } else if (one.decoded && one.type == 2) {
            ev.set("preferred_bits_per_pixel", one.values[0]);
            ev.set("desktop_width", one.values[1]);
            ev.set("desktop_height", one.values[2]);
          } else if (one.decoded && one.type == 3) {
            ev.set("order_flags_value", one.values[0]);
            ev.set("orders_supported", one.orders_supported);
          }
          ev.endObject();
        }
        ev.endArray();
        ev.setSummary(std::string(demand ? "Demand Active PDU" : "Confirm Active PDU") + ", " +
                      std::to_string(count) + " capability sets");
        return std::move(ev).build(demand ? "rdp.demand_active" : "rdp.confirm_active",
                                   Stage::Capabilities);
      };
      auto ev = parse();
      if (!ev) {
        return fail(pdu, insideFrame(ev.error()), demand ? "Demand Active PDU" : "Confirm Active PDU");
      }
      if (demand) {
        session_.demand_active_seen = true;
      }
      emit(pdu, std::move(*ev));
      return true;
    }
    case kPduDeactivateAll: {
      model::EventBuilder ev;
      ev.summary("Deactivate All PDU (the server ends the active share)");
      if (r.remaining() >= 4) {
        ev.set("share_id", *r.u32le("rdp.deactivate_all.share_id"));
      }
      emit(pdu, std::move(ev).build("rdp.deactivate_all", std::nullopt));
      return true;
    }
    case kPduData:
      return onShareData(pdu, r, source);
    case kPduServerRedir:
      // [MS-RDPBCGR] 2.2.13.3.1: pad2Octets then RDP_SERVER_REDIRECTION_PACKET.
      return onServerRedirection(pdu, r, true);
    default: {
      const std::string type_name = codeName(shareControlPduTypes(), t);
      model::EventBuilder ev;
      ev.setSummary("Share Control PDU " + type_name);
      ev.set("pdu_type", type_name);
      ev.set("pdu_type_value", t);
      (void)ctx;
      emit(pdu, std::move(ev).build("rdp.share_control", std::nullopt));
      return true;
    }
  }
}

namespace {

// [MS-RDPBCGR] 2.2.8.1.1.1.2 TS_SHAREDATAHEADER: the two fields that decide how a Share Data
// PDU is handled.
struct ShareDataHeader {
  std::uint8_t type2 = 0;
  std::uint8_t compressed_type = 0;
};

Result<ShareDataHeader> parseShareDataHeader(ByteReader& r) {
  ShareDataHeader h;
  RDPSCOPE_CHECK(r.skip(4, "rdp.share_data.share_id"));
  RDPSCOPE_CHECK(r.skip(1, "rdp.share_data.pad1"));
  RDPSCOPE_CHECK(r.skip(1, "rdp.share_data.stream_id"));
  RDPSCOPE_CHECK(r.skip(2, "rdp.share_data.uncompressed_length"));
  RDPSCOPE_TRY(h.type2, r.u8("rdp.share_data.pdu_type2"));
  RDPSCOPE_TRY(h.compressed_type, r.u8("rdp.share_data.compressed_type"));
  RDPSCOPE_CHECK(r.skip(2, "rdp.share_data.compressed_length"));
  return h;
}

}  // namespace

bool RdpHandler::countBulkDataPdu(const Pdu& pdu, std::uint8_t type2, std::uint8_t compressed_type,
                                  std::size_t length) {
  const bool compressed = (compressed_type & kPacketCompressed) != 0;
  const bool bulk =
      compressed || type2 == kPdu2Update || type2 == kPdu2Pointer || type2 == kPdu2Input;
  if (!bulk) {
    return false;
  }
  // Graphics, pointer and input data, and anything bulk-compressed: high volume, counted.
  if (type2 == kPdu2Update && pdu.dir == Direction::ToClient && session_.demand_active_seen) {
    markActive(pdu.dir, *pdu.ctx, "graphics update");
  }
  engine::BulkStub stub;
  stub.kind = "rdp.data_pdu";
  stub.body.describe = &describeBulkDataPdu;
  stub.body.value = length;
  stub.body.flags = std::uint32_t{type2} | (compressed ? kStubCompressed : 0u);
  stub.dir = pdu.dir;
  pdu.ctx->emitBulkStub(std::move(stub));  // built only if kept in the timeline
  return true;
}

bool RdpHandler::countIoFromHead(const Pdu& pdu, ByteReader r, std::size_t length) {
  // A Share Control Header that spans the whole payload (as looksLikeShareControl wants) of a
  // Share Data PDU (onShareControl), then the Share Data Header of one that is only counted.
  const std::uint32_t start = r.offset();
  auto total = r.u16le("rdp.share_control.total_length");
  auto type = total ? r.u16le("rdp.share_control.pdu_type") : Result<std::uint16_t>(0);
  auto source = type ? r.u16le("rdp.share_control.pdu_source") : Result<std::uint16_t>(0);
  if (!total || !type || !source || *total != length || (*type & 0xFFF0) != kProtocolVersion ||
      (*type & 0x0F) != kPduData) {
    return false;
  }
  auto hdr = parseShareDataHeader(r);
  const std::size_t header = r.offset() - start;
  return hdr && header <= length &&
         countBulkDataPdu(pdu, hdr->type2, hdr->compressed_type, length - header);
}

bool RdpHandler::onShareData(const Pdu& pdu, ByteReader r, std::uint16_t pdu_source) {
  auto hdr = parseShareDataHeader(r);
  if (!hdr) {
    return fail(pdu, insideFrame(hdr.error()), "Share Data Header");
  }
  (void)pdu_source;
  engine::DissectContext& ctx = *pdu.ctx;
  const auto [type2, compressed_type] = *hdr;
  if (countBulkDataPdu(pdu, type2, compressed_type, r.remaining())) {
    return true;
  }
  const std::string type_name = codeName(shareDataPduTypes(), type2);
  // An event with a summary and no fields.
  auto simple = [](const char* kind, std::optional<Stage> stage, std::string_view summary) {
    model::EventBuilder ev;
    ev.summary(summary);
    return std::move(ev).build(kind, stage);
  };
  switch (type2) {
    case kPdu2Synchronize: {
      // [MS-RDPBCGR] 2.2.1.14.1 TS_SYNCHRONIZE_PDU: messageType, targetUser.
      model::EventBuilder ev;
      ev.summary("Synchronize PDU");
      if (r.remaining() >= 4) {
        (void)r.u16le("rdp.synchronize.message_type");
        ev.set("target_user", *r.u16le("rdp.synchronize.target_user"));
      }
      session_.finalization_seen = true;
      emit(pdu, std::move(ev).build("rdp.synchronize", Stage::Finalization));
      return true;
    }
    case kPdu2Control: {
      // [MS-RDPBCGR] 2.2.1.15.1 TS_CONTROL_PDU: action, grantId, controlId.
      auto action = r.u16le("rdp.control.action");
      if (!action) {
        return fail(pdu, insideFrame(action.error()), "Control PDU");
      }
      const std::string name = codeName(controlActions(), *action);
      model::EventBuilder ev;
      ev.summary("Control PDU: ");
      ev.summary(name);
      ev.set("action", name);
      ev.set("action_value", *action);
      if (r.remaining() >= 6) {
        ev.set("grant_id", *r.u16le("rdp.control.grant_id"));
        ev.set("control_id", *r.u32le("rdp.control.control_id"));
      }
      session_.finalization_seen = true;
      emit(pdu, std::move(ev).build("rdp.control", Stage::Finalization));
      return true;
    }
    case kPdu2FontList:
      session_.finalization_seen = true;
      emit(pdu, simple("rdp.font_list", Stage::Finalization, "Font List PDU"));
      return true;
    case kPdu2PersistentList:
      session_.finalization_seen = true;
      emit(pdu, simple("rdp.persistent_key_list", Stage::Finalization,
                       "Persistent Key List PDU"));
      return true;
    case kPdu2FontMap:
      session_.finalization_seen = true;
      emit(pdu, simple("rdp.font_map", Stage::Finalization,
                       "Font Map PDU (last PDU of the connection sequence)"));
      markActive(pdu.dir, ctx, "Font Map PDU");
      return true;
    case kPdu2SetErrorInfo: {
      // [MS-RDPBCGR] 2.2.5.1.1 TS_SET_ERROR_INFO_PDU: errorInfo.
      auto info = r.u32le("rdp.set_error_info.error_info");
      if (!info) {
        return fail(pdu, insideFrame(info.error()), "Set Error Info PDU");
      }
      const std::string name = codeName(errorInfoCodes(), *info);
      // Sent at any point of the sequence: it belongs to the stage the connection is in.
      model::EventBuilder ev;
      ev.setSummary("Set Error Info PDU: " + name + " (" + codeMeaning(errorInfoCodes(), *info) +
                    ")");
      ev.set("error_info", name);
      ev.set("error_info_value", *info);
      if (*info != 0) {  // ERRINFO_NONE clears a previous error
        model::setMember(ctx.connection().rdp, "error_info", name);
      }
      emit(pdu, std::move(ev).build("rdp.set_error_info", session_.furthest_stage));
      return true;
    }
    case kPdu2SaveSessionInfo:
      return onSaveSessionInfo(pdu, r);
    case kPdu2ShutdownRequest:
      emit(pdu, simple("rdp.shutdown_request", std::nullopt,
                       "Shutdown Request PDU (the client wants to disconnect)"));
      return true;
    case kPdu2ShutdownDenied:
      emit(pdu, simple("rdp.shutdown_denied", std::nullopt,
                       "Shutdown Denied PDU (the server keeps the session)"));
      return true;
    default: {
      model::EventBuilder ev;
      ev.summary(type_name);
      ev.set("type", type_name);
      ev.set("type_value", type2);
      ev.set("length", r.remaining());
      emit(pdu, std::move(ev).build("rdp.data_pdu", std::nullopt));
      return true;
    }
  }
}

bool RdpHandler::onSaveSessionInfo(const Pdu& pdu, ByteReader r) {
  // [MS-RDPBCGR] 2.2.10.1.1 TS_SAVE_SESSION_INFO_PDU_DATA: infoType then infoData.
  std::optional<std::string> logon_error;  // with its data, for the connection's summary
  std::string logon_error_data;
  auto parse = [&]() -> Result<model::Event> {
    RDPSCOPE_TRY(const std::uint32_t info_type, r.u32le("rdp.save_session_info.info_type"));
    const std::string name = codeName(saveSessionInfoTypes(), info_type);
    model::EventBuilder ev;
    ev.summary("Save Session Info PDU: ");
    ev.summary(name);
    ev.set("info_type", name);
    ev.set("info_type_value", info_type);
    if (info_type == 3) {
      // [MS-RDPBCGR] 2.2.10.1.1.4 TS_LOGON_INFO_EXTENDED: Length, FieldsPresent, fields.
      RDPSCOPE_TRY(const std::uint16_t length, r.u16le("rdp.save_session_info.ext_length"));
      (void)length;
      RDPSCOPE_TRY(const std::uint32_t present, r.u32le("rdp.save_session_info.fields_present"));
      ev.set("auto_reconnect_cookie_present", (present & 0x1) != 0);
      if ((present & 0x1) != 0) {
        // LOGON_EX_AUTORECONNECTCOOKIE: cbFieldData + ARC_SC_PRIVATE_PACKET (a secret: skipped).
        RDPSCOPE_TRY(const std::uint32_t cb, r.u32le("rdp.save_session_info.cb_arc"));
        RDPSCOPE_CHECK(r.skip(cb, "rdp.save_session_info.arc"));
      }
      if ((present & 0x2) != 0) {
        // LOGON_EX_LOGONERRORS: cbFieldData + TS_LOGON_ERRORS_INFO (2.2.10.1.1.4.1.1).
        RDPSCOPE_TRY(const std::uint32_t cb, r.u32le("rdp.save_session_info.cb_errors"));
        (void)cb;
        RDPSCOPE_TRY(const std::uint32_t type, r.u32le("rdp.save_session_info.error_type"));
        RDPSCOPE_TRY(const std::uint32_t data, r.u32le("rdp.save_session_info.error_data"));
        const std::string tname = codeName(logonErrorTypes(), type);
        const std::string dname = codeName(logonErrorData(), data);
        ev.set("logon_error", tname);
        ev.set("logon_error_value", type);
        ev.set("logon_error_data", dname);
        ev.set("logon_error_data_value", data);
        ev.summary(": logon error " + tname + " / " + dname);
        logon_error = tname;
        logon_error_data = dname;
      }
    } else if (info_type == 0 && r.remaining() >= 4 + 52 + 4 + 512 + 4) {
      // [MS-RDPBCGR] 2.2.10.1.1.1 TS_LOGON_INFO (version 1): fixed-size domain and user.
      RDPSCOPE_CHECK(r.skip(4 + 52 + 4 + 512, "rdp.save_session_info.logon_names"));
      RDPSCOPE_TRY(const std::uint32_t sid, r.u32le("rdp.save_session_info.session_id"));
      ev.set("session_id", sid);
    } else if (info_type == 1 && r.remaining() >= 10) {
      // [MS-RDPBCGR] 2.2.10.1.1.2 TS_LOGON_INFO_VERSION_2: Version, Size, SessionId.
      RDPSCOPE_CHECK(r.skip(6, "rdp.save_session_info.version_size"));
      RDPSCOPE_TRY(const std::uint32_t sid, r.u32le("rdp.save_session_info.session_id"));
      ev.set("session_id", sid);
    }
    return std::move(ev).build("rdp.save_session_info", std::nullopt);
  };
  auto ev = parse();
  if (!ev) {
    return fail(pdu, insideFrame(ev.error()), "Save Session Info PDU");
  }
  if (logon_error) {
    model::setMember(pdu.ctx->connection().rdp, "logon_error", *logon_error);
    model::setMember(pdu.ctx->connection().rdp, "logon_error_data", logon_error_data);
  }
  emit(pdu, std::move(*ev));
  return true;
}

bool RdpHandler::onServerRedirection(const Pdu& pdu, ByteReader r, bool has_share_header) {
  auto parse = [&]() -> Result<model::Event> {
    if (has_share_header) {
      RDPSCOPE_CHECK(r.skip(2, "rdp.server_redirection.pad2octets"));
    }
    // [MS-RDPBCGR] 2.2.13.1 RDP_SERVER_REDIRECTION_PACKET: Flags, Length, SessionID,
    // RedirFlags, then optional fields in flag order.
    RDPSCOPE_TRY(const std::uint16_t flags, r.u16le("rdp.server_redirection.flags"));
    (void)flags;  // SEC_REDIRECTION_PKT
    RDPSCOPE_TRY(const std::uint16_t length, r.u16le("rdp.server_redirection.length"));
    RDPSCOPE_TRY(const std::uint32_t session_id, r.u32le("rdp.server_redirection.session_id"));
    RDPSCOPE_TRY(const std::uint32_t redir_flags, r.u32le("rdp.server_redirection.redir_flags"));
    model::EventBuilder ev;
    ev.summary("Server Redirection PDU");
    ev.set("length", length);
    ev.set("session_id", session_id);
    ev.set("redir_flags_value", redir_flags);
    // LB_TARGET_NET_ADDRESS (0x1): the first field, when present.
    if ((redir_flags & 0x1) != 0) {
      RDPSCOPE_TRY(const std::uint32_t len, r.u32le("rdp.server_redirection.target_len"));
      RDPSCOPE_TRY(const ByteView addr, r.bytes(len, "rdp.server_redirection.target"));
      const std::string target = cleanString(utf16leToUtf8(addr));
      ev.set("target_net_address", target);
      ev.summary(" to ");
      ev.summary(target);
    }
    // LB_LOAD_BALANCE_INFO (0x2): routing token the client will send in its next X.224 request.
    if ((redir_flags & 0x2) != 0) {
      RDPSCOPE_TRY(const std::uint32_t len, r.u32le("rdp.server_redirection.lb_len"));
      RDPSCOPE_TRY(const ByteView lb, r.bytes(len, "rdp.server_redirection.lb_info"));
      ev.set("load_balance_info", cleanString(std::string(lb.begin(), lb.end()), 128));
    }
    ev.set("password_present", (redir_flags & 0x10) != 0);  // never decoded
    ev.set("no_redirect", (redir_flags & 0x80) != 0);
    return std::move(ev).build("rdp.server_redirection", std::nullopt);
  };
  auto ev = parse();
  if (!ev) {
    return fail(pdu, insideFrame(ev.error()), "Server Redirection PDU");
  }
  emit(pdu, std::move(*ev));
  return true;
}

}  // namespace rdpscope::rdp
