// X.224 class 0 TPDUs as used by RDP ([MS-RDPBCGR] 2.2.1.1, 2.2.1.2, 2.2.2.x; ITU-T X.224 section
// 13) and the RDP negotiation structures carried in the Connection Request / Confirm. Pure
// grammar: each parser reads the bytes of one TPKT payload (everything after the 4-byte TPKT
// header) and returns a struct; no state, no events. Running out of bytes inside a complete TPKT
// frame is reported as Truncated by the reader; callers that know the frame is complete treat it
// as Malformed (the length indicator or a structure length lied).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "core/byte_reader.h"

namespace rdpscope::x224 {

/// X.224 section 13.1 Table 8: TPDU codes (high nibble of the code octet).
inline constexpr std::uint8_t kTpduCr = 0xE0;  // Connection Request (13.3)
inline constexpr std::uint8_t kTpduCc = 0xD0;  // Connection Confirm (13.4)
inline constexpr std::uint8_t kTpduDr = 0x80;  // Disconnect Request (13.5)
inline constexpr std::uint8_t kTpduDt = 0xF0;  // Data (13.7)
inline constexpr std::uint8_t kTpduEr = 0x70;  // TPDU Error (13.12)

/// [MS-RDPBCGR] 2.2.1.1.1 / 2.2.1.2.1 / 2.2.1.2.2 / 2.2.1.1.2 negotiation structure types.
inline constexpr std::uint8_t kTypeNegReq = 0x01;
inline constexpr std::uint8_t kTypeNegRsp = 0x02;
inline constexpr std::uint8_t kTypeNegFailure = 0x03;
inline constexpr std::uint8_t kTypeCorrelationInfo = 0x06;
/// [MS-RDPBCGR] 2.2.1.1.1 RDP_NEG_REQ.flags CORRELATION_INFO_PRESENT.
inline constexpr std::uint8_t kCorrelationInfoPresent = 0x08;

/// [MS-RDPBCGR] 2.2.1.1.1 requestedProtocols / 2.2.1.2.1 selectedProtocol values.
inline constexpr std::uint32_t kProtocolRdp = 0x0;
inline constexpr std::uint32_t kProtocolSsl = 0x1;
inline constexpr std::uint32_t kProtocolHybrid = 0x2;
inline constexpr std::uint32_t kProtocolRdstls = 0x4;
inline constexpr std::uint32_t kProtocolHybridEx = 0x8;
inline constexpr std::uint32_t kProtocolRdsaad = 0x10;

/// [MS-RDPBCGR] 2.2.1.1.1 RDP Negotiation Request (RDP_NEG_REQ), 8 bytes.
struct NegReq {
  std::uint8_t flags = 0;
  std::uint32_t requested_protocols = 0;
  /// [MS-RDPBCGR] 2.2.1.1.2 RDP_NEG_CORRELATION_INFO.correlationId, when present.
  std::optional<std::array<std::uint8_t, 16>> correlation_id;
};

/// [MS-RDPBCGR] 2.2.1.1 Client X.224 Connection Request PDU (after the TPKT header).
struct ConnectionRequest {
  std::uint8_t length_indicator = 0;
  std::uint8_t credit = 0;  // low nibble of the code octet (CDT)
  std::uint16_t dst_ref = 0;
  std::uint16_t src_ref = 0;
  std::uint8_t class_option = 0;
  std::optional<std::string> cookie;         // IDENTIFIER of "Cookie: mstshash=IDENTIFIER\r\n"
  std::optional<std::string> routing_token;  // any other CRLF-terminated token, without CRLF
  std::optional<NegReq> neg;
};

/// [MS-RDPBCGR] 2.2.1.2.1 RDP Negotiation Response (RDP_NEG_RSP).
struct NegRsp {
  std::uint8_t flags = 0;
  std::uint32_t selected_protocol = 0;
};

/// [MS-RDPBCGR] 2.2.1.2.2 RDP Negotiation Failure (RDP_NEG_FAILURE).
struct NegFailure {
  std::uint8_t flags = 0;
  std::uint32_t failure_code = 0;
};

/// [MS-RDPBCGR] 2.2.1.2 Server X.224 Connection Confirm PDU (after the TPKT header).
struct ConnectionConfirm {
  std::uint8_t length_indicator = 0;
  std::uint16_t dst_ref = 0;
  std::uint16_t src_ref = 0;
  std::uint8_t class_option = 0;
  std::optional<NegRsp> rsp;
  std::optional<NegFailure> failure;
};

/// X.224 13.5 Disconnect Request TPDU.
struct DisconnectRequest {
  std::uint16_t dst_ref = 0;
  std::uint16_t src_ref = 0;
  std::uint8_t reason = 0;
};

/// X.224 13.12 TPDU Error.
struct ErrorTpdu {
  std::uint16_t dst_ref = 0;
  std::uint8_t reject_cause = 0;
};

/// X.224 13.7 Data TPDU (class 0): LI=2, code 0xF0, EOT octet; the user data follows.
struct DataTpdu {
  bool eot = true;
  ByteView user_data;
  std::uint32_t user_data_offset = 0;  // absolute offset of user_data[0]
};

/// Code octet of the TPDU starting at `r` (high nibble only for CR/CC/DR/DT/ER), not consumed.
Result<std::uint8_t> peekTpduCode(const ByteReader& r);

Result<ConnectionRequest> parseConnectionRequest(ByteReader& r);
Result<ConnectionConfirm> parseConnectionConfirm(ByteReader& r);
Result<DisconnectRequest> parseDisconnectRequest(ByteReader& r);
Result<ErrorTpdu> parseErrorTpdu(ByteReader& r);
Result<DataTpdu> parseData(ByteReader& r);

}  // namespace rdpscope::x224
