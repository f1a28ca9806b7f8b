// T.125 MCS as used by RDP: BER Connect-Initial / Connect-Response ([MS-RDPBCGR] 2.2.1.3,
// 2.2.1.4; T.125 section 7 part 2) and the PER domain PDUs ([MS-RDPBCGR] 2.2.1.5 - 2.2.1.9,
// 2.2.2.3, 2.2.8.1.1.1 Send Data; T.125 section 7 part 10). Pure grammar over the X.224 Data
// user data; the GCC payload (userData) is returned as bytes for dissectors/gcc.
#pragma once

#include <cstdint>
#include <optional>

#include "core/byte_reader.h"

namespace rdpscope::mcs {

/// T.125 7 part 2: Connect-Initial ::= [APPLICATION 101], Connect-Response ::= [APPLICATION 102].
inline constexpr std::uint32_t kConnectInitialTag = 101;
inline constexpr std::uint32_t kConnectResponseTag = 102;

/// T.125 7 part 10: DomainMCSPDU CHOICE indices used by RDP.
enum class DomainPdu : std::uint8_t {
  ErectDomainRequest = 1,
  DisconnectProviderUltimatum = 8,
  RejectMcsPduUltimatum = 9,
  AttachUserRequest = 10,
  AttachUserConfirm = 11,
  DetachUserRequest = 12,
  DetachUserIndication = 13,
  ChannelJoinRequest = 14,
  ChannelJoinConfirm = 15,
  SendDataRequest = 25,
  SendDataIndication = 26,
};

/// T.125 DomainParameters (the target set is reported).
struct DomainParameters {
  std::uint64_t max_channel_ids = 0;
  std::uint64_t max_user_ids = 0;
  std::uint64_t max_token_ids = 0;
  std::uint64_t num_priorities = 0;
  std::uint64_t min_throughput = 0;
  std::uint64_t max_height = 0;
  std::uint64_t max_mcs_pdu_size = 0;
  std::uint64_t protocol_version = 0;
};

/// [MS-RDPBCGR] 2.2.1.3 MCS Connect Initial PDU with GCC Conference Create Request.
struct ConnectInitial {
  bool upward_flag = false;
  DomainParameters target;
  ByteView user_data;  // GCC Conference Create Request (PER)
  std::uint32_t user_data_offset = 0;
};

/// [MS-RDPBCGR] 2.2.1.4 MCS Connect Response PDU with GCC Conference Create Response.
struct ConnectResponse {
  std::uint32_t result = 0;  // T.125 Result
  std::uint64_t called_connect_id = 0;
  DomainParameters domain;
  ByteView user_data;  // GCC Conference Create Response (PER)
  std::uint32_t user_data_offset = 0;
};

/// A PER-encoded domain PDU (the fields that apply to its type are set).
struct DomainPduInfo {
  std::uint8_t choice = 0;  // DomainPdu value (top 6 bits of the first octet)
  std::optional<std::uint32_t> result;      // AUcf, CJcf
  std::optional<std::uint32_t> reason;      // DPum
  std::optional<std::uint32_t> initiator;   // user id (1001..)
  std::optional<std::uint32_t> channel_id;  // CJrq / CJcf (channelId) / SDrq / SDin
  std::optional<std::uint32_t> requested_channel_id;  // CJcf
  std::optional<std::uint32_t> sub_height;  // EDrq
  std::optional<std::uint32_t> sub_interval;
  std::uint8_t data_priority = 0;
  std::uint8_t segmentation = 0;
  ByteView user_data;  // SDrq / SDin payload
  std::uint32_t user_data_offset = 0;
};

/// The header of an MCS Send Data Request / Indication (T.125 SDrq / SDin, [MS-RDPBCGR]
/// 2.2.8.1.1.1.1), up to the length of its userData: enough to route it by channel.
struct SendDataHeader {
  std::uint8_t choice = 0;  // DomainPdu::SendDataRequest or SendDataIndication
  std::uint32_t initiator = 0;
  std::uint32_t channel_id = 0;
  std::uint8_t data_priority = 0;
  std::uint8_t segmentation = 0;
  std::uint16_t user_data_length = 0;
  std::uint32_t user_data_offset = 0;  // where userData starts (absolute, as r's offsets)
};

/// Reads a Send Data header, from the choice octet to the userData length; fails for any other
/// domain PDU. Does not read userData.
Result<SendDataHeader> parseSendDataHeader(ByteReader& r);

/// True when the user data starts a BER connect PDU (0x7F 0x65/0x66) rather than PER.
bool isConnectPdu(ByteView data) noexcept;

Result<ConnectInitial> parseConnectInitial(ByteReader& r);
Result<ConnectResponse> parseConnectResponse(ByteReader& r);
Result<DomainPduInfo> parseDomainPdu(ByteReader& r);

}  // namespace rdpscope::mcs
