// Consumer of the plaintext a TLS dissector decrypts on an RDP connection (SSL, HYBRID,
// HYBRID_EX, RDSTLS). It routes each PDU by its first byte: 0x30 => a CredSSP TSRequest (DER,
// [MS-CSSP] 2.2.1) to the CredSSP dissector; 0x03 => TPKT, parsed by the same RdpHandler as the
// cleartext path (shared state); for HYBRID_EX the 4-byte Early User Authorization Result PDU
// from the server ([MS-RDPBCGR] 2.2.10.2); anything else => fast-path. Every event it emits is
// marked decrypted.
#pragma once

#include "engine/dissector.h"
#include "rdp/rdp_handler.h"

namespace rdpscope::rdp {

class PostTlsDissector final : public engine::Dissector {
 public:
  explicit PostTlsDissector(RdpHandler& handler) : handler_(handler) {}
  std::string_view name() const override { return "rdp-post-tls"; }
  engine::Progress onData(const engine::StreamData& in, engine::DissectContext& ctx) override;
  void onEnd(Direction dir, engine::EndReason why, engine::DissectContext& ctx) override;
  // Past activation the handler only counts fast-path and channel data: TLS records may then
  // be counted from their head or left undecrypted (issue 8); after a record is left out,
  // onData() waits for a record that starts with whole RDP frames before it parses again.
  bool needsEveryByte(Direction dir) const override;
  bool onResync(Direction dir, engine::DissectContext& ctx) override;
  // A record's first bytes stand for it when they start one fast-path PDU or one virtual
  // channel PDU that fills it (RdpHandler::countFromHead); a TSRequest, the Early User
  // Authorization Result and RDSTLS go to onData() as usual.
  bool countFromHead(Direction dir, ByteView head, std::size_t length,
                     engine::DissectContext& ctx) override;

 private:
  RdpHandler& handler_;
  engine::DissectorPtr credssp_;
  bool credssp_seen_[2] = {false, false};
  bool early_auth_done_ = false;
  bool resyncing_[2] = {false, false};
};

}  // namespace rdpscope::rdp
