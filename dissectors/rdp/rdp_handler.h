// The RDP PDU layer shared by the cleartext path (RdpConnectionDissector) and the decrypted
// path (PostTlsDissector): frames TPKT / fast-path PDUs at a PDU boundary, parses X.224, MCS
// (BER connect + PER domain PDUs), GCC user data and the RDP PDUs carried on the I/O channel,
// emits timeline events and fills the connection's `rdp` summary. One RdpHandler per connection,
// holding the state both paths share (selected protocol, channel ids, security settings...).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_reader.h"
#include "engine/dissector.h"
#include "model/event.h"
#include "model/stage.h"

namespace rdpscope::rdp {

using model::Direction;
using model::Stage;

/// State shared by both directions and by the cleartext and post-TLS paths.
struct RdpSession {
  bool summary_initialised = false;
  bool cr_seen = false;
  bool cc_seen = false;
  std::optional<std::uint32_t> requested_protocols;
  std::optional<std::uint32_t> selected_protocol;  // PROTOCOL_RDP (0) when no negotiation data
  bool neg_failed = false;
  // MCS / GCC ([MS-RDPBCGR] 2.2.1.3 - 2.2.1.9).
  std::optional<std::uint16_t> user_id;
  std::uint16_t io_channel = 1003;  // [MS-RDPBCGR] 2.2.1.4.4: MCS I/O channel, normally 1003
  std::optional<std::uint16_t> message_channel;
  std::vector<std::string> channel_names;  // client network data, in order
  std::vector<std::uint16_t> channel_ids;  // server network data, same order
  std::uint32_t encryption_method = 0;     // server security data
  std::uint32_t encryption_level = 0;
  bool server_security_seen = false;
  bool security_exchange_seen = false;
  bool client_info_seen = false;
  bool licensing_done = false;
  bool demand_active_seen = false;
  bool finalization_seen = false;
  bool active = false;
  std::uint32_t share_id = 0;
  std::optional<Stage> furthest_stage;

  /// Standard RDP security with encryption: every PDU after the MCS connect carries a security
  /// header and, with SEC_ENCRYPT, an unreadable payload ([MS-RDPBCGR] 5.3).
  bool standardEncryption() const noexcept {
    return selected_protocol.value_or(0) == 0 && encryption_level != 0 && encryption_method != 0;
  }
  /// True when the CC selected a protocol whose bytes are TLS from then on.
  bool tlsSelected() const noexcept;
};

class RdpHandler {
 public:
  RdpHandler() = default;
  RdpSession& session() { return session_; }
  const RdpSession& session() const { return session_; }

  /// Handles the frame at the start of `in.data`: returns needMore for an incomplete frame,
  /// consumed(frame length) after handling one frame, stop after an anomaly.
  engine::Progress onData(const engine::StreamData& in, engine::DissectContext& ctx);

  /// [MS-RDPBCGR] 2.2.10.2 Early User Authorization Result PDU (HYBRID_EX, 4 bytes, server).
  engine::Progress onEarlyUserAuth(const engine::StreamData& in, engine::DissectContext& ctx);

  /// Past activation, counts a PDU from its first bytes alone when it is one the handler only
  /// counts whatever it carries: a fast-path PDU ([MS-RDPBCGR] 2.2.8.1.2 / 2.2.9.1.2), an MCS
  /// Send Data on a static virtual channel (2.2.6.1; not the message channel), or a graphics,
  /// pointer, input or compressed Share Data PDU on the I/O channel (2.2.8.1.1.1.2; the I/O
  /// channel's other PDUs are read whole). `head` starts a PDU of exactly `length` bytes.
  /// Emits what onData() would for the whole PDU and returns true; false (nothing emitted)
  /// when the PDU must be read whole.
  bool countFromHead(Direction dir, ByteView head, std::size_t length,
                     engine::DissectContext& ctx);

  /// Marks the connection active (once): the Font Map PDU, or the first fast-path / graphics
  /// update after finalization.
  void markActive(Direction dir, engine::DissectContext& ctx, const char* why);

 private:
  friend class RdpHandlerTestPeer;
  struct Pdu {
    Direction dir;
    std::uint64_t base;  // stream offset of the first byte of the frame
    engine::DissectContext* ctx;
  };

  void initSummary(engine::DissectContext& ctx);
  void emit(const Pdu& pdu, model::Event&& ev);
  void emitOtherUserDataBlock(const Pdu& pdu, const char* kind, const char* label,
                              std::uint16_t type, std::size_t length);
  void enterStage(Stage stage);

  // Each returns false after reporting an anomaly (the direction stops).
  bool onTpkt(const Pdu& pdu, ByteReader r);
  bool onFastPath(const Pdu& pdu, std::size_t length, std::uint8_t fp_flags);
  bool onConnectionRequest(const Pdu& pdu, ByteReader r);
  bool onConnectionConfirm(const Pdu& pdu, ByteReader r);
  bool onDisconnectRequest(const Pdu& pdu, ByteReader r);
  bool onErrorTpdu(const Pdu& pdu, ByteReader r);
  bool onMcs(const Pdu& pdu, ByteReader r);  // X.224 DT user data
  bool onMcsConnectInitial(const Pdu& pdu, ByteReader r);
  bool onMcsConnectResponse(const Pdu& pdu, ByteReader r);
  bool onMcsDomainPdu(const Pdu& pdu, ByteReader r);
  bool onClientUserData(const Pdu& pdu, ByteReader r);
  bool onServerUserData(const Pdu& pdu, ByteReader r);
  bool onChannelData(const Pdu& pdu, std::uint16_t channel_id, ByteReader r);
  // Counts a graphics, pointer, input or bulk-compressed Share Data PDU (false for another type).
  bool countBulkDataPdu(const Pdu& pdu, std::uint8_t type2, std::uint8_t compressed_type,
                        std::size_t length);
  // countFromHead for the I/O channel: `r` at the Share Control Header of a payload of `length`
  // bytes, of which it holds only the first few.
  bool countIoFromHead(const Pdu& pdu, ByteReader r, std::size_t length);
  // The counted channel-data event of onChannelData (`security_flags`: of a message-channel or
  // standard-security PDU, when read).
  void countChannelData(const Pdu& pdu, std::uint16_t channel_id, std::size_t length,
                        std::optional<std::uint16_t> security_flags);
  bool onIoChannel(const Pdu& pdu, ByteReader r);
  bool onSecurityExchange(const Pdu& pdu, ByteReader r);
  bool onClientInfo(const Pdu& pdu, ByteReader r);
  bool onLicensing(const Pdu& pdu, ByteReader r);
  bool onShareControl(const Pdu& pdu, ByteReader r);
  bool onShareData(const Pdu& pdu, ByteReader r, std::uint16_t pdu_source);
  bool onServerRedirection(const Pdu& pdu, ByteReader r, bool has_share_header);
  bool onSaveSessionInfo(const Pdu& pdu, ByteReader r);
  bool fail(const Pdu& pdu, const ParseError& e, std::string_view what);

  RdpSession session_;
};

}  // namespace rdpscope::rdp
