#include "gcc/gcc.h"

#include "core/text.h"
#include "per/per.h"
#include "tpkt/parse_util.h"

namespace rdpscope::gcc {
namespace {

// T.124 ConnectData: Key CHOICE object (0) + OBJECT IDENTIFIER {0 0 20 124 0 1}, then the
// PER length of the ConnectGCCPDU ([MS-RDPBCGR] 2.2.1.3.1 / 4.1.3 annotated bytes).
Result<std::uint16_t> readConnectDataHeader(ByteReader& r, const char* prefix_field) {
  RDPSCOPE_TRY(const std::uint8_t key_choice, r.u8(prefix_field));
  if (key_choice != 0) {
    return parseError(ErrorKind::Malformed, r.offset() - 1, "gcc.connect_data.bad_key_choice");
  }
  RDPSCOPE_TRY(const ByteView oid, per::readObjectIdentifier(r, "gcc.connect_data.oid"));
  (void)oid;  // T.124 identifier 0.0.20.124.0.1; other values are accepted (lenient peers)
  RDPSCOPE_TRY(const std::uint16_t len, per::readLength(r, "gcc.connect_data.length"));
  return len;
}

Result<std::vector<UserDataBlock>> readBlocks(ByteReader& r) {
  std::vector<UserDataBlock> blocks;
  while (!r.empty()) {
    UserDataBlock b;
    b.offset = r.offset();
    RDPSCOPE_TRY(b.type, r.u16le("gcc.user_data.type"));
    RDPSCOPE_TRY(b.length, r.u16le("gcc.user_data.length"));
    // [MS-RDPBCGR] 2.2.1.3.1: length includes the 4-byte header.
    if (b.length < 4 || b.length - 4u > r.remaining()) {
      return parseError(ErrorKind::Malformed, b.offset + 2, "gcc.user_data.bad_length");
    }
    RDPSCOPE_TRY(b.body, r.bytes(b.length - 4u, "gcc.user_data.body"));
    blocks.push_back(b);
    if (blocks.size() > 64) {  // 14 block types exist; bound a hostile list of tiny blocks
      return parseError(ErrorKind::LimitExceeded, b.offset, "gcc.user_data.count");
    }
  }
  return blocks;
}

// Fixed-size UTF-16LE string field ([MS-RDPBCGR] 2.2.1.3.2 clientName, imeFileName...).
Result<std::string> utf16Field(ByteReader& r, std::size_t n, const char* field) {
  RDPSCOPE_TRY(const ByteView raw, r.bytes(n, field));
  return utf16leToUtf8(raw);
}

}  // namespace

Result<ConferenceCreate> parseConferenceCreateRequest(ByteReader& r) {
  ConferenceCreate cc;
  RDPSCOPE_TRY(const std::uint16_t pdu_len, readConnectDataHeader(r, "gcc.ccrq.key"));
  (void)pdu_len;  // the MCS octet string already bounds the PDU
  RDPSCOPE_TRY(const std::uint8_t choice, r.u8("gcc.ccrq.choice"));
  if ((choice & 0x7C) != 0) {  // ConnectGCCPDU index 0 = conferenceCreateRequest
    return parseError(ErrorKind::Malformed, r.offset() - 1, "gcc.ccrq.bad_choice");
  }
  RDPSCOPE_TRY(const std::uint8_t selection, r.u8("gcc.ccrq.selection"));
  (void)selection;  // optional-field bitmap; RDP sets only userData (0x08)
  RDPSCOPE_TRY(const std::string name, per::readNumericString(r, 1, "gcc.ccrq.conference_name"));
  (void)name;
  RDPSCOPE_TRY(const std::uint8_t padding, r.u8("gcc.ccrq.padding"));
  (void)padding;  // lockedConference / listedConference ... booleans and termination method
  RDPSCOPE_TRY(const std::uint8_t sets, r.u8("gcc.ccrq.user_data_sets"));
  (void)sets;
  RDPSCOPE_TRY(const std::uint8_t ud_choice, r.u8("gcc.ccrq.user_data_choice"));
  (void)ud_choice;  // 0xC0: value present, key is h221NonStandard
  RDPSCOPE_TRY(const ByteView key, per::readOctetString(r, 4, "gcc.ccrq.h221_key"));
  cc.h221_key.assign(key.begin(), key.end());
  RDPSCOPE_TRY(const std::uint16_t ud_len, per::readLength(r, "gcc.ccrq.user_data_length"));
  RDPSCOPE_TRY(ByteReader ud, r.sub(ud_len, "gcc.ccrq.user_data"));
  RDPSCOPE_TRY(cc.blocks, readBlocks(ud));
  return cc;
}

Result<ConferenceCreate> parseConferenceCreateResponse(ByteReader& r) {
  ConferenceCreate cc;
  RDPSCOPE_TRY(const std::uint16_t pdu_len, readConnectDataHeader(r, "gcc.ccrsp.key"));
  (void)pdu_len;
  RDPSCOPE_TRY(const std::uint8_t choice, r.u8("gcc.ccrsp.choice"));
  if ((choice >> 2) != 5) {  // ConnectGCCPDU index 1 = conferenceCreateResponse (0x14)
    return parseError(ErrorKind::Malformed, r.offset() - 1, "gcc.ccrsp.bad_choice");
  }
  RDPSCOPE_TRY(cc.node_id, per::readInteger16(r, 1001, "gcc.ccrsp.node_id"));
  RDPSCOPE_TRY(const std::uint32_t tag, per::readInteger(r, "gcc.ccrsp.tag"));
  (void)tag;
  RDPSCOPE_TRY(const std::uint8_t result, r.u8("gcc.ccrsp.result"));
  cc.result = result;  // T.124 8.7 ConferenceCreateResponse result ENUMERATED
  RDPSCOPE_TRY(const std::uint8_t sets, r.u8("gcc.ccrsp.user_data_sets"));
  (void)sets;
  RDPSCOPE_TRY(const std::uint8_t ud_choice, r.u8("gcc.ccrsp.user_data_choice"));
  (void)ud_choice;
  RDPSCOPE_TRY(const ByteView key, per::readOctetString(r, 4, "gcc.ccrsp.h221_key"));
  cc.h221_key.assign(key.begin(), key.end());
  RDPSCOPE_TRY(const std::uint16_t ud_len, per::readLength(r, "gcc.ccrsp.user_data_length"));
  RDPSCOPE_TRY(ByteReader ud, r.sub(ud_len, "gcc.ccrsp.user_data"));
  RDPSCOPE_TRY(cc.blocks, readBlocks(ud));
  return cc;
}

Result<ClientCore> parseClientCore(ByteReader r) {
  ClientCore c;
  RDPSCOPE_TRY(c.version, r.u32le("gcc.client_core.version"));
  RDPSCOPE_TRY(c.desktop_width, r.u16le("gcc.client_core.desktop_width"));
  RDPSCOPE_TRY(c.desktop_height, r.u16le("gcc.client_core.desktop_height"));
  RDPSCOPE_TRY(c.color_depth, r.u16le("gcc.client_core.color_depth"));
  RDPSCOPE_TRY(c.sas_sequence, r.u16le("gcc.client_core.sas_sequence"));
  RDPSCOPE_TRY(c.keyboard_layout, r.u32le("gcc.client_core.keyboard_layout"));
  RDPSCOPE_TRY(c.client_build, r.u32le("gcc.client_core.client_build"));
  RDPSCOPE_TRY(c.client_name, utf16Field(r, 32, "gcc.client_core.client_name"));
  RDPSCOPE_TRY(c.keyboard_type, r.u32le("gcc.client_core.keyboard_type"));
  RDPSCOPE_TRY(c.keyboard_sub_type, r.u32le("gcc.client_core.keyboard_sub_type"));
  RDPSCOPE_TRY(c.keyboard_function_keys, r.u32le("gcc.client_core.keyboard_function_key"));
  RDPSCOPE_TRY(c.ime_file_name, utf16Field(r, 64, "gcc.client_core.ime_file_name"));
  // Optional fields: each is present only if the block is long enough for it and all the
  // fields before it ([MS-RDPBCGR] 2.2.1.3.2).
  if (r.remaining() >= 2) { RDPSCOPE_TRY(c.post_beta2_color_depth, r.u16le("gcc.client_core.post_beta2_color_depth")); }
  if (r.remaining() >= 2) { RDPSCOPE_TRY(c.client_product_id, r.u16le("gcc.client_core.client_product_id")); }
  if (r.remaining() >= 4) { RDPSCOPE_TRY(c.serial_number, r.u32le("gcc.client_core.serial_number")); }
  if (r.remaining() >= 2) { RDPSCOPE_TRY(c.high_color_depth, r.u16le("gcc.client_core.high_color_depth")); }
  if (r.remaining() >= 2) { RDPSCOPE_TRY(c.supported_color_depths, r.u16le("gcc.client_core.supported_color_depths")); }
  if (r.remaining() >= 2) { RDPSCOPE_TRY(c.early_capability_flags, r.u16le("gcc.client_core.early_capability_flags")); }
  if (r.remaining() >= 64) { RDPSCOPE_TRY(c.client_dig_product_id, utf16Field(r, 64, "gcc.client_core.client_dig_product_id")); }
  if (r.remaining() >= 1) { RDPSCOPE_TRY(c.connection_type, r.u8("gcc.client_core.connection_type")); }
  if (r.remaining() >= 1) { RDPSCOPE_CHECK(r.skip(1, "gcc.client_core.pad1octet")); }
  if (r.remaining() >= 4) { RDPSCOPE_TRY(c.server_selected_protocol, r.u32le("gcc.client_core.server_selected_protocol")); }
  if (r.remaining() >= 4) { RDPSCOPE_TRY(c.desktop_physical_width, r.u32le("gcc.client_core.desktop_physical_width")); }
  if (r.remaining() >= 4) { RDPSCOPE_TRY(c.desktop_physical_height, r.u32le("gcc.client_core.desktop_physical_height")); }
  if (r.remaining() >= 2) { RDPSCOPE_TRY(c.desktop_orientation, r.u16le("gcc.client_core.desktop_orientation")); }
  if (r.remaining() >= 4) { RDPSCOPE_TRY(c.desktop_scale_factor, r.u32le("gcc.client_core.desktop_scale_factor")); }
  if (r.remaining() >= 4) { RDPSCOPE_TRY(c.device_scale_factor, r.u32le("gcc.client_core.device_scale_factor")); }
  return c;
}

Result<ClientSecurity> parseClientSecurity(ByteReader r) {
  ClientSecurity s;
  RDPSCOPE_TRY(s.encryption_methods, r.u32le("gcc.client_security.encryption_methods"));
  RDPSCOPE_TRY(s.ext_encryption_methods, r.u32le("gcc.client_security.ext_encryption_methods"));
  return s;
}

Result<std::vector<ChannelDef>> parseClientNetwork(ByteReader r) {
  RDPSCOPE_TRY(const std::uint32_t count, r.u32le("gcc.client_network.channel_count"));
  if (count > kMaxChannels || std::size_t{count} * 12 > r.remaining()) {
    return parseError(ErrorKind::Malformed, r.offset() - 4, "gcc.client_network.bad_channel_count");
  }
  std::vector<ChannelDef> out;
  for (std::uint32_t i = 0; i < count; ++i) {
    ChannelDef c;
    // [MS-RDPBCGR] 2.2.1.3.4.1: name is 8 bytes of ANSI, NUL-terminated (7 chars max).
    RDPSCOPE_TRY(c.name, r.ascii(8, "gcc.client_network.channel_name"));
    c.name = sanitizeUtf8(c.name);
    RDPSCOPE_TRY(c.options, r.u32le("gcc.client_network.channel_options"));
    out.push_back(std::move(c));
  }
  return out;
}

Result<ClientCluster> parseClientCluster(ByteReader r) {
  ClientCluster c;
  RDPSCOPE_TRY(c.flags, r.u32le("gcc.client_cluster.flags"));
  RDPSCOPE_TRY(c.redirected_session_id, r.u32le("gcc.client_cluster.redirected_session_id"));
  return c;
}

Result<ClientMonitor> parseClientMonitor(ByteReader r) {
  ClientMonitor m;
  RDPSCOPE_TRY(m.flags, r.u32le("gcc.client_monitor.flags"));
  RDPSCOPE_TRY(m.monitor_count, r.u32le("gcc.client_monitor.monitor_count"));
  if (m.monitor_count > kMaxMonitors || std::size_t{m.monitor_count} * 20 > r.remaining()) {
    return parseError(ErrorKind::Malformed, r.offset() - 4, "gcc.client_monitor.bad_monitor_count");
  }
  for (std::uint32_t i = 0; i < m.monitor_count; ++i) {
    ClientMonitor::Monitor mon;
    RDPSCOPE_TRY(const std::uint32_t left, r.u32le("gcc.client_monitor.left"));
    RDPSCOPE_TRY(const std::uint32_t top, r.u32le("gcc.client_monitor.top"));
    RDPSCOPE_TRY(const std::uint32_t right, r.u32le("gcc.client_monitor.right"));
    RDPSCOPE_TRY(const std::uint32_t bottom, r.u32le("gcc.client_monitor.bottom"));
    RDPSCOPE_TRY(mon.flags, r.u32le("gcc.client_monitor.monitor_flags"));
    mon.left = static_cast<std::int32_t>(left);
    mon.top = static_cast<std::int32_t>(top);
    mon.right = static_cast<std::int32_t>(right);
    mon.bottom = static_cast<std::int32_t>(bottom);
    m.monitors.push_back(mon);
  }
  return m;
}

Result<std::uint32_t> parseFlagsBlock(ByteReader r, const char* field) { return r.u32le(field); }

Result<ServerCore> parseServerCore(ByteReader r) {
  ServerCore s;
  RDPSCOPE_TRY(s.version, r.u32le("gcc.server_core.version"));
  if (r.remaining() >= 4) { RDPSCOPE_TRY(s.client_requested_protocols, r.u32le("gcc.server_core.client_requested_protocols")); }
  if (r.remaining() >= 4) { RDPSCOPE_TRY(s.early_capability_flags, r.u32le("gcc.server_core.early_capability_flags")); }
  return s;
}

Result<ServerCertificate> parseServerCertificate(ByteReader r) {
  ServerCertificate c;
  RDPSCOPE_TRY(const std::uint32_t version, r.u32le("gcc.server_certificate.version"));
  c.chain_version = version & 0x7FFFFFFFu;
  // t bit: 0 = permanently issued, 1 = temporarily issued ([MS-RDPBCGR] 2.2.1.4.3.1).
  c.permanent = (version & 0x80000000u) == 0;
  if (c.chain_version == 1) {
    // [MS-RDPBCGR] 2.2.1.4.3.1.1 PROPRIETARYSERVERCERTIFICATE.
    RDPSCOPE_TRY(const std::uint32_t sig_alg, r.u32le("gcc.server_certificate.sig_alg_id"));
    RDPSCOPE_TRY(const std::uint32_t key_alg, r.u32le("gcc.server_certificate.key_alg_id"));
    (void)sig_alg;
    (void)key_alg;
    RDPSCOPE_TRY(const std::uint16_t blob_type, r.u16le("gcc.server_certificate.public_key_blob_type"));
    (void)blob_type;  // BB_RSA_KEY_BLOB 0x0006
    RDPSCOPE_TRY(const std::uint16_t blob_len, r.u16le("gcc.server_certificate.public_key_blob_len"));
    RDPSCOPE_TRY(ByteReader key, r.sub(blob_len, "gcc.server_certificate.public_key_blob"));
    // [MS-RDPBCGR] 2.2.1.4.3.1.1.1 RSA_PUBLIC_KEY: magic "RSA1", keylen, bitlen, datalen, pubExp.
    RDPSCOPE_TRY(const std::uint32_t magic, key.u32le("gcc.server_certificate.rsa_magic"));
    if (magic != 0x31415352u) {
      return parseError(ErrorKind::Malformed, key.offset() - 4, "gcc.server_certificate.bad_rsa_magic");
    }
    RDPSCOPE_TRY(const std::uint32_t keylen, key.u32le("gcc.server_certificate.rsa_keylen"));
    (void)keylen;
    RDPSCOPE_TRY(c.rsa_bit_length, key.u32le("gcc.server_certificate.rsa_bitlen"));
    RDPSCOPE_TRY(const std::uint32_t datalen, key.u32le("gcc.server_certificate.rsa_datalen"));
    (void)datalen;
    RDPSCOPE_TRY(c.rsa_public_exponent, key.u32le("gcc.server_certificate.rsa_pubexp"));
    RDPSCOPE_TRY(const std::uint16_t sig_type, r.u16le("gcc.server_certificate.signature_blob_type"));
    (void)sig_type;
    RDPSCOPE_TRY(const std::uint16_t sig_len, r.u16le("gcc.server_certificate.signature_blob_len"));
    RDPSCOPE_CHECK(r.skip(sig_len, "gcc.server_certificate.signature_blob"));
    return c;
  }
  if (c.chain_version == 2) {
    // [MS-RDPBCGR] 2.2.1.4.3.1.2 / 5.3.3.2 X.509 certificate chain: NumCertBlobs, then
    // CertBlob {cbCert, abCert}; the padding after the blobs is ignored.
    RDPSCOPE_TRY(const std::uint32_t count, r.u32le("gcc.server_certificate.num_cert_blobs"));
    if (count > kMaxCerts) {
      return parseError(ErrorKind::Malformed, r.offset() - 4, "gcc.server_certificate.bad_cert_count");
    }
    for (std::uint32_t i = 0; i < count; ++i) {
      RDPSCOPE_TRY(const std::uint32_t len, r.u32le("gcc.server_certificate.cb_cert"));
      RDPSCOPE_TRY(const ByteView cert, r.bytes(len, "gcc.server_certificate.ab_cert"));
      c.x509_certs.push_back(cert);
    }
    return c;
  }
  return parseError(ErrorKind::Malformed, r.offset() - 4, "gcc.server_certificate.bad_version");
}

Result<ServerSecurity> parseServerSecurity(ByteReader r) {
  ServerSecurity s;
  RDPSCOPE_TRY(s.encryption_method, r.u32le("gcc.server_security.encryption_method"));
  RDPSCOPE_TRY(s.encryption_level, r.u32le("gcc.server_security.encryption_level"));
  if (r.empty()) {
    return s;  // [MS-RDPBCGR] 2.2.1.4.3: the rest is absent when method and level are 0
  }
  RDPSCOPE_TRY(s.server_random_length, r.u32le("gcc.server_security.server_random_len"));
  RDPSCOPE_TRY(s.server_certificate_length, r.u32le("gcc.server_security.server_cert_len"));
  RDPSCOPE_CHECK(r.skip(s.server_random_length, "gcc.server_security.server_random"));
  RDPSCOPE_TRY(ByteReader cert, r.sub(s.server_certificate_length, "gcc.server_security.server_certificate"));
  if (s.server_certificate_length > 0) {
    RDPSCOPE_TRY(s.certificate, parseServerCertificate(cert));
  }
  return s;
}

Result<ServerNetwork> parseServerNetwork(ByteReader r) {
  ServerNetwork n;
  RDPSCOPE_TRY(n.io_channel, r.u16le("gcc.server_network.mcs_channel_id"));
  RDPSCOPE_TRY(const std::uint16_t count, r.u16le("gcc.server_network.channel_count"));
  if (count > kMaxChannels || std::size_t{count} * 2 > r.remaining()) {
    return parseError(ErrorKind::Malformed, r.offset() - 2, "gcc.server_network.bad_channel_count");
  }
  for (std::uint16_t i = 0; i < count; ++i) {
    RDPSCOPE_TRY(const std::uint16_t id, r.u16le("gcc.server_network.channel_id"));
    n.channel_ids.push_back(id);
  }
  return n;  // optional 2-byte Pad when count is odd
}

Result<std::uint16_t> parseServerMessageChannel(ByteReader r) {
  return r.u16le("gcc.server_message_channel.mcs_channel_id");
}

}  // namespace rdpscope::gcc
