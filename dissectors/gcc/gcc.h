// T.124 GCC Conference Create Request / Response as RDP uses them ([MS-RDPBCGR] 2.2.1.3.1,
// 2.2.1.4.1) and the RDP client / server data blocks they carry ([MS-RDPBCGR] 2.2.1.3.2 -
// 2.2.1.3.9, 2.2.1.4.2 - 2.2.1.4.6, 2.2.1.4.3.1 server certificate). Pure grammar.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_reader.h"

namespace rdpscope::gcc {

/// [MS-RDPBCGR] 2.2.1.3.1 TS_UD_HEADER type values.
inline constexpr std::uint16_t kCsCore = 0xC001;
inline constexpr std::uint16_t kCsSecurity = 0xC002;
inline constexpr std::uint16_t kCsNet = 0xC003;
inline constexpr std::uint16_t kCsCluster = 0xC004;
inline constexpr std::uint16_t kCsMonitor = 0xC005;
inline constexpr std::uint16_t kCsMcsMsgChannel = 0xC006;
inline constexpr std::uint16_t kCsMonitorEx = 0xC008;
inline constexpr std::uint16_t kCsMultitransport = 0xC00A;
inline constexpr std::uint16_t kScCore = 0x0C01;
inline constexpr std::uint16_t kScSecurity = 0x0C02;
inline constexpr std::uint16_t kScNet = 0x0C03;
inline constexpr std::uint16_t kScMcsMsgChannel = 0x0C04;
inline constexpr std::uint16_t kScMultitransport = 0x0C08;

/// [MS-RDPBCGR] 2.2.1.3.2 earlyCapabilityFlags RNS_UD_CS_WANT_32BPP_SESSION.
inline constexpr std::uint16_t kWant32BppSession = 0x0002;

/// [MS-RDPBCGR] 2.2.1.3.1 TS_UD_HEADER + body.
struct UserDataBlock {
  std::uint16_t type = 0;
  std::uint16_t length = 0;
  ByteView body;
  std::uint32_t offset = 0;  // absolute offset of the header
};

/// The GCC header fields of a Conference Create Request / Response and the user data.
struct ConferenceCreate {
  std::optional<std::uint32_t> result;  // response only: T.124 ConferenceCreateResponse result
  std::optional<std::uint32_t> node_id;
  std::string h221_key;  // "Duca" (client) / "McDn" (server)
  std::vector<UserDataBlock> blocks;
};

/// [MS-RDPBCGR] 2.2.1.3.2 TS_UD_CS_CORE (optional trailing fields present when long enough).
struct ClientCore {
  std::uint32_t version = 0;
  std::uint16_t desktop_width = 0;
  std::uint16_t desktop_height = 0;
  std::uint16_t color_depth = 0;
  std::uint16_t sas_sequence = 0;
  std::uint32_t keyboard_layout = 0;
  std::uint32_t client_build = 0;
  std::string client_name;
  std::uint32_t keyboard_type = 0;
  std::uint32_t keyboard_sub_type = 0;
  std::uint32_t keyboard_function_keys = 0;
  std::string ime_file_name;
  std::optional<std::uint16_t> post_beta2_color_depth;
  std::optional<std::uint16_t> client_product_id;
  std::optional<std::uint32_t> serial_number;
  std::optional<std::uint16_t> high_color_depth;
  std::optional<std::uint16_t> supported_color_depths;
  std::optional<std::uint16_t> early_capability_flags;
  std::optional<std::string> client_dig_product_id;
  std::optional<std::uint8_t> connection_type;
  std::optional<std::uint32_t> server_selected_protocol;
  std::optional<std::uint32_t> desktop_physical_width;
  std::optional<std::uint32_t> desktop_physical_height;
  std::optional<std::uint16_t> desktop_orientation;
  std::optional<std::uint32_t> desktop_scale_factor;
  std::optional<std::uint32_t> device_scale_factor;
};

/// [MS-RDPBCGR] 2.2.1.3.3 TS_UD_CS_SEC.
struct ClientSecurity {
  std::uint32_t encryption_methods = 0;
  std::uint32_t ext_encryption_methods = 0;
};

/// [MS-RDPBCGR] 2.2.1.3.4.1 CHANNEL_DEF.
struct ChannelDef {
  std::string name;
  std::uint32_t options = 0;
};

/// [MS-RDPBCGR] 2.2.1.3.5 TS_UD_CS_CLUSTER.
struct ClientCluster {
  std::uint32_t flags = 0;
  std::uint32_t redirected_session_id = 0;
};

/// [MS-RDPBCGR] 2.2.1.3.6 TS_UD_CS_MONITOR.
struct ClientMonitor {
  std::uint32_t flags = 0;
  std::uint32_t monitor_count = 0;
  struct Monitor {
    std::int32_t left = 0, top = 0, right = 0, bottom = 0;
    std::uint32_t flags = 0;
  };
  std::vector<Monitor> monitors;
};

/// [MS-RDPBCGR] 2.2.1.4.2 TS_UD_SC_CORE.
struct ServerCore {
  std::uint32_t version = 0;
  std::optional<std::uint32_t> client_requested_protocols;
  std::optional<std::uint32_t> early_capability_flags;
};

/// [MS-RDPBCGR] 2.2.1.4.3.1 SERVER_CERTIFICATE (summary: no key material is kept).
struct ServerCertificate {
  std::uint32_t chain_version = 0;  // 1 = proprietary (RSA), 2 = X.509
  bool permanent = false;           // t bit clear: permanently issued
  // Proprietary ([MS-RDPBCGR] 2.2.1.4.3.1.1): RSA public key size.
  std::optional<std::uint32_t> rsa_bit_length;
  std::optional<std::uint32_t> rsa_public_exponent;
  // X.509 chain ([MS-RDPBCGR] 2.2.1.4.3.1.2 / 5.3.3.2): certificate sizes, leaf last.
  std::vector<ByteView> x509_certs;
};

/// [MS-RDPBCGR] 2.2.1.4.3 TS_UD_SC_SEC1.
struct ServerSecurity {
  std::uint32_t encryption_method = 0;
  std::uint32_t encryption_level = 0;
  std::uint32_t server_random_length = 0;
  std::uint32_t server_certificate_length = 0;
  std::optional<ServerCertificate> certificate;
};

/// [MS-RDPBCGR] 2.2.1.4.4 TS_UD_SC_NET.
struct ServerNetwork {
  std::uint16_t io_channel = 0;
  std::vector<std::uint16_t> channel_ids;
};

/// Largest channelCount accepted ([MS-RDPBCGR] 2.2.1.3.4: MUST be <= 31; we allow a little
/// slack so an over-full list is still shown, but bound it for hostile input).
inline constexpr std::uint32_t kMaxChannels = 64;
/// [MS-RDPBCGR] 2.2.1.3.6: monitorCount MUST be <= 16.
inline constexpr std::uint32_t kMaxMonitors = 16;
/// X.509 certificates accepted in a server chain (real chains hold 2; bound hostile counts).
inline constexpr std::uint32_t kMaxCerts = 16;

/// Conference Create Request ([MS-RDPBCGR] 2.2.1.3.1 / T.124 8.7) from the MCS userData.
Result<ConferenceCreate> parseConferenceCreateRequest(ByteReader& r);
/// Conference Create Response ([MS-RDPBCGR] 2.2.1.4.1 / T.124 8.7).
Result<ConferenceCreate> parseConferenceCreateResponse(ByteReader& r);

Result<ClientCore> parseClientCore(ByteReader r);
Result<ClientSecurity> parseClientSecurity(ByteReader r);
Result<std::vector<ChannelDef>> parseClientNetwork(ByteReader r);
Result<ClientCluster> parseClientCluster(ByteReader r);
Result<ClientMonitor> parseClientMonitor(ByteReader r);
/// Message channel (2.2.1.3.7) and multitransport (2.2.1.3.8 / 2.2.1.4.6): one u32 flags.
Result<std::uint32_t> parseFlagsBlock(ByteReader r, const char* field);
Result<ServerCore> parseServerCore(ByteReader r);
Result<ServerSecurity> parseServerSecurity(ByteReader r);
Result<ServerNetwork> parseServerNetwork(ByteReader r);
/// Server message channel (2.2.1.4.5): MCSChannelID.
Result<std::uint16_t> parseServerMessageChannel(ByteReader r);
Result<ServerCertificate> parseServerCertificate(ByteReader r);

}  // namespace rdpscope::gcc
