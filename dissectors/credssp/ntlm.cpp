// NTLMSSP grammar, [MS-NLMP] 2.2. See ntlm.h: responses, challenge, keys and MIC are skipped.
#include "credssp/ntlm.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/text.h"

namespace rdpscope::credssp {

namespace {

// [MS-NLMP] 2.2.1.1/2/3 *Fields: Len (2), MaxLen (2), BufferOffset (4, from message start).
struct FieldRef {
  std::uint16_t len = 0;
  std::uint32_t offset = 0;
  std::uint32_t at = 0;  // absolute offset of the *Fields structure itself (evidence)
};

Result<FieldRef> readFieldRef(ByteReader& r, const char* field) {
  const std::uint32_t at = r.offset();
  RDPSCOPE_TRY(std::uint16_t len, r.u16le(field));
  RDPSCOPE_TRY(std::uint16_t max_len, r.u16le(field));
  (void)max_len;  // MaxLen SHOULD equal Len; receivers ignore it (2.2.1.1)
  RDPSCOPE_TRY(std::uint32_t offset, r.u32le(field));
  return FieldRef{len, offset, at};
}

// Payload bytes a *Fields structure points at. The message is complete (it was framed by its
// DER OCTET STRING), so a reference past its end is a lie: Malformed, not Truncated.
Result<ByteView> payload(ByteView msg, std::uint32_t /*base*/, FieldRef f, const char* field) {
  if (f.len == 0) {
    return ByteView{};
  }
  if (f.offset > msg.size() || msg.size() - f.offset < f.len) {
    // Reported at the *Fields structure that holds the lying offset/length.
    return parseError(ErrorKind::Malformed, f.at, field);
  }
  return msg.subspan(f.offset, f.len);
}

std::string decodeString(ByteView raw, bool unicode) {
  if (unicode) {
    return utf16leToUtf8(raw);
  }
  // OEM character set: treated as bytes and made valid UTF-8 (non-ASCII becomes U+FFFD).
  std::string s(raw.begin(), raw.end());
  const auto nul = s.find('\0');
  if (nul != std::string::npos) {
    s.resize(nul);
  }
  return sanitizeUtf8(s);
}

Result<NtlmVersion> readVersion(ByteReader& r) {
  // [MS-NLMP] 2.2.2.10 VERSION: ProductMajorVersion, ProductMinorVersion, ProductBuild,
  // Reserved (3), NTLMRevisionCurrent.
  NtlmVersion v;
  RDPSCOPE_TRY(v.major, r.u8("ntlm.version"));
  RDPSCOPE_TRY(v.minor, r.u8("ntlm.version"));
  RDPSCOPE_TRY(v.build, r.u16le("ntlm.version"));
  if (auto s = r.skip(3, "ntlm.version"); !s) {
    return tl::unexpected(s.error());
  }
  RDPSCOPE_TRY(v.ntlm_revision, r.u8("ntlm.version"));
  return v;
}

// The Version field sits between the fixed fields and the payload; it is meaningful only when
// NTLMSSP_NEGOTIATE_VERSION is set (2.2.1.x). Some peers omit the 8 bytes entirely when the flag
// is clear, so the field is read only when the flag says so.
Result<std::optional<NtlmVersion>> maybeVersion(ByteReader& r, std::uint32_t flags) {
  if ((flags & ntlm_flag::kVersion) == 0) {
    return std::optional<NtlmVersion>{};
  }
  RDPSCOPE_TRY(NtlmVersion v, readVersion(r));
  return std::optional<NtlmVersion>{v};
}

Result<NtlmNegotiate> parseNegotiate(ByteView msg, ByteReader& r, std::uint32_t base) {
  // [MS-NLMP] 2.2.1.1 NEGOTIATE_MESSAGE.
  NtlmNegotiate n;
  RDPSCOPE_TRY(n.flags, r.u32le("ntlm.negotiate.flags"));
  RDPSCOPE_TRY(FieldRef dom, readFieldRef(r, "ntlm.negotiate.domain_name"));
  RDPSCOPE_TRY(FieldRef ws, readFieldRef(r, "ntlm.negotiate.workstation"));
  RDPSCOPE_TRY(n.version, maybeVersion(r, n.flags));
  RDPSCOPE_TRY(ByteView dom_raw, payload(msg, base, dom, "ntlm.negotiate.domain_name"));
  RDPSCOPE_TRY(ByteView ws_raw, payload(msg, base, ws, "ntlm.negotiate.workstation"));
  // 2.2.1.1: DomainName / Workstation are OEM strings.
  if (!dom_raw.empty()) {
    n.domain = decodeString(dom_raw, false);
  }
  if (!ws_raw.empty()) {
    n.workstation = decodeString(ws_raw, false);
  }
  return n;
}

Result<NtlmChallenge> parseChallenge(ByteView msg, ByteReader& r, std::uint32_t base) {
  // [MS-NLMP] 2.2.1.2 CHALLENGE_MESSAGE.
  NtlmChallenge c;
  RDPSCOPE_TRY(FieldRef tn, readFieldRef(r, "ntlm.challenge.target_name"));
  RDPSCOPE_TRY(c.flags, r.u32le("ntlm.challenge.flags"));
  // ServerChallenge (8) and Reserved (8): skipped, never stored.
  if (auto s = r.skip(16, "ntlm.challenge.server_challenge"); !s) {
    return tl::unexpected(s.error());
  }
  RDPSCOPE_TRY(FieldRef ti, readFieldRef(r, "ntlm.challenge.target_info"));
  RDPSCOPE_TRY(c.version, maybeVersion(r, c.flags));
  RDPSCOPE_TRY(ByteView tn_raw, payload(msg, base, tn, "ntlm.challenge.target_name"));
  c.target_name = decodeString(tn_raw, (c.flags & ntlm_flag::kUnicode) != 0);
  RDPSCOPE_TRY(ByteView ti_raw, payload(msg, base, ti, "ntlm.challenge.target_info"));
  if (!ti_raw.empty()) {
    RDPSCOPE_TRY(NtlmTargetInfo info, parseAvPairs(ti_raw, base + ti.offset));
    c.target_info = std::move(info);
  }
  return c;
}

Result<NtlmAuthenticate> parseAuthenticate(ByteView msg, ByteReader& r, std::uint32_t base) {
  // [MS-NLMP] 2.2.1.3 AUTHENTICATE_MESSAGE.
  NtlmAuthenticate a;
  RDPSCOPE_TRY(FieldRef lm, readFieldRef(r, "ntlm.authenticate.lm_response"));
  RDPSCOPE_TRY(FieldRef nt, readFieldRef(r, "ntlm.authenticate.nt_response"));
  RDPSCOPE_TRY(FieldRef dom, readFieldRef(r, "ntlm.authenticate.domain_name"));
  RDPSCOPE_TRY(FieldRef user, readFieldRef(r, "ntlm.authenticate.user_name"));
  RDPSCOPE_TRY(FieldRef ws, readFieldRef(r, "ntlm.authenticate.workstation"));
  RDPSCOPE_TRY(FieldRef key, readFieldRef(r, "ntlm.authenticate.session_key"));
  RDPSCOPE_TRY(a.flags, r.u32le("ntlm.authenticate.flags"));
  RDPSCOPE_TRY(a.version, maybeVersion(r, a.flags));
  // MIC (16 bytes) follows when present; never read.
  a.lm_response_length = lm.len;
  a.nt_response_length = nt.len;
  a.session_key_length = key.len;
  // Bounds of every referenced buffer are checked even for the ones we never look into.
  RDPSCOPE_TRY(ByteView lm_raw, payload(msg, base, lm, "ntlm.authenticate.lm_response"));
  RDPSCOPE_TRY(ByteView nt_raw, payload(msg, base, nt, "ntlm.authenticate.nt_response"));
  RDPSCOPE_TRY(ByteView key_raw, payload(msg, base, key, "ntlm.authenticate.session_key"));
  (void)key_raw;
  const bool unicode = (a.flags & ntlm_flag::kUnicode) != 0;
  RDPSCOPE_TRY(ByteView dom_raw, payload(msg, base, dom, "ntlm.authenticate.domain_name"));
  RDPSCOPE_TRY(ByteView user_raw, payload(msg, base, user, "ntlm.authenticate.user_name"));
  RDPSCOPE_TRY(ByteView ws_raw, payload(msg, base, ws, "ntlm.authenticate.workstation"));
  a.domain = decodeString(dom_raw, unicode);
  a.user = decodeString(user_raw, unicode);
  a.workstation = decodeString(ws_raw, unicode);
  // [MS-NLMP] 3.3.1: NTLMv1 NtChallengeResponse is exactly 24 bytes; 3.3.2 NTLMv2 is
  // NTProofStr (16) + NTLMv2_CLIENT_CHALLENGE (2.2.2.7, >= 28 bytes).
  a.anonymous = nt.len == 0 && lm.len <= 1;
  (void)lm_raw;
  a.ntlm_v2 = nt.len > 24;
  if (a.ntlm_v2) {
    ByteReader cr(nt_raw, base + nt.offset);
    // NTProofStr (16), RespType, HiRespType, Reserved1 (2), Reserved2 (4), TimeStamp (8),
    // ChallengeFromClient (8), Reserved3 (4), then AvPairs.
    if (auto s = cr.skip(16 + 28, "ntlm.authenticate.ntlmv2_client_challenge"); !s) {
      return parseError(ErrorKind::Malformed, cr.offset(),
                        "ntlm.authenticate.ntlmv2_client_challenge");
    }
    RDPSCOPE_TRY(NtlmTargetInfo info, parseAvPairs(cr.rest(), cr.offset()));
    a.mic_present = info.flags.has_value() && (*info.flags & kMsvAvFlagMicPresent) != 0;
    a.client_target_info = std::move(info);
  }
  return a;
}

}  // namespace

std::string NtlmVersion::text() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(build);
}

bool looksLikeNtlm(ByteView data) noexcept {
  return data.size() >= sizeof(kNtlmSignature) &&
         std::memcmp(data.data(), kNtlmSignature, sizeof(kNtlmSignature)) == 0;
}

Result<NtlmTargetInfo> parseAvPairs(ByteView data, std::uint32_t base_offset) {
  // [MS-NLMP] 2.2.2.1 AV_PAIR: AvId (2), AvLen (2), Value; the list ends with MsvAvEOL.
  // Bytes after MsvAvEOL are ignored: Windows pads the NTLMv2 client challenge with zeros.
  NtlmTargetInfo info;
  ByteReader r(data, base_offset);
  for (;;) {
    if (r.empty()) {
      return parseError(ErrorKind::Malformed, r.offset(), "ntlm.av_pairs.missing_eol");
    }
    RDPSCOPE_TRY(std::uint16_t id, r.u16le("ntlm.av_pairs.id"));
    RDPSCOPE_TRY(std::uint16_t len, r.u16le("ntlm.av_pairs.length"));
    const std::uint32_t value_at = r.offset();
    auto value_r = r.bytes(len, "ntlm.av_pairs.value");
    if (!value_r) {
      return parseError(ErrorKind::Malformed, value_at, "ntlm.av_pairs.value");
    }
    ByteView value = *value_r;
    if (id == av_id::kEol) {
      break;
    }
    info.av_ids.push_back(id);
    switch (id) {
      case av_id::kNbComputerName: info.netbios_computer = utf16leToUtf8(value); break;
      case av_id::kNbDomainName: info.netbios_domain = utf16leToUtf8(value); break;
      case av_id::kDnsComputerName: info.dns_computer = utf16leToUtf8(value); break;
      case av_id::kDnsDomainName: info.dns_domain = utf16leToUtf8(value); break;
      case av_id::kDnsTreeName: info.dns_tree = utf16leToUtf8(value); break;
      case av_id::kTargetName: info.target_name = utf16leToUtf8(value); break;
      case av_id::kChannelBindings: info.channel_bindings = true; break;
      case av_id::kFlags: {
        ByteReader v(value, value_at);
        RDPSCOPE_TRY(std::uint32_t f, v.u32le("ntlm.av_pairs.flags"));
        if (auto e = v.expectEnd("ntlm.av_pairs.flags"); !e) {
          return tl::unexpected(e.error());
        }
        info.flags = f;
        break;
      }
      case av_id::kTimestamp: {
        ByteReader v(value, value_at);
        RDPSCOPE_TRY(std::uint64_t t, v.u64le("ntlm.av_pairs.timestamp"));
        if (auto e = v.expectEnd("ntlm.av_pairs.timestamp"); !e) {
          return tl::unexpected(e.error());
        }
        info.timestamp = t;
        break;
      }
      default: break;  // MsvAvSingleHost, unknown ids: kept in av_ids only
    }
  }
  return info;
}

Result<NtlmMessage> parseNtlmMessage(ByteView data, std::uint32_t base_offset) {
  ByteReader r(data, base_offset);
  RDPSCOPE_TRY(ByteView sig, r.bytes(8, "ntlm.signature"));
  if (std::memcmp(sig.data(), kNtlmSignature, sizeof(kNtlmSignature)) != 0) {
    return parseError(ErrorKind::Malformed, base_offset, "ntlm.signature");
  }
  const std::uint32_t type_at = r.offset();
  RDPSCOPE_TRY(std::uint32_t type, r.u32le("ntlm.message_type"));
  NtlmMessage m;
  switch (type) {
    case 1: {
      m.type = NtlmMessageType::Negotiate;
      RDPSCOPE_TRY(auto n, parseNegotiate(data, r, base_offset));
      m.negotiate = std::move(n);
      break;
    }
    case 2: {
      m.type = NtlmMessageType::Challenge;
      RDPSCOPE_TRY(auto c, parseChallenge(data, r, base_offset));
      m.challenge = std::move(c);
      break;
    }
    case 3: {
      m.type = NtlmMessageType::Authenticate;
      RDPSCOPE_TRY(auto a, parseAuthenticate(data, r, base_offset));
      m.authenticate = std::move(a);
      break;
    }
    default: return parseError(ErrorKind::Malformed, type_at, "ntlm.message_type");
  }
  return m;
}

std::string filetimeToIso(std::uint64_t filetime) {
  // FILETIME: 100 ns intervals since 1601-01-01; 11644473600 s separate it from the Unix epoch.
  constexpr std::uint64_t kEpochDiff = 11644473600ull;
  const std::uint64_t secs_1601 = filetime / 10'000'000ull;
  if (secs_1601 < kEpochDiff || secs_1601 - kEpochDiff > 253402300799ull /* 9999-12-31 */) {
    return "";
  }
  const std::int64_t secs = static_cast<std::int64_t>(secs_1601 - kEpochDiff);
  const std::int64_t days = secs / 86400;
  const std::int64_t rem = secs % 86400;
  // Civil-from-days (H. Hinnant), valid for the whole range checked above.
  const std::int64_t z = days + 719468;
  const std::int64_t era = z / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t mo = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (mo <= 2 ? 1 : 0);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ",
                static_cast<long long>(y), static_cast<long long>(mo), static_cast<long long>(d),
                static_cast<long long>(rem / 3600), static_cast<long long>((rem / 60) % 60),
                static_cast<long long>(rem % 60));
  return buf;
}

}  // namespace rdpscope::credssp
