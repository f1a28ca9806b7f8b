#include "rdp/post_tls_dissector.h"

#include "rdp/decrypted_context.h"
#include "rdp/tls_handoff.h"
#include "tpkt/tpkt.h"
#include "x224/x224.h"

namespace rdpscope::rdp {

using engine::Progress;

namespace {

// After a skipped record, the next delivery starts at a TLS record boundary. RDP stacks write
// each PDU with its own TLS write, so a record usually starts a PDU; when it continues a PDU
// whose start was skipped, its bytes are random. Accept the record as a new start only when
// it splits into whole RDP frames that end exactly at its end, or starts a TPKT (whose
// version 3, reserved 0 and length are a strict header) that continues into the next records.
bool startsWithWholeFrames(ByteView data) {
  std::size_t pos = 0;
  while (pos < data.size()) {
    auto frame = tpkt::nextFrame(data.subspan(pos), 0);
    if (!frame) {
      return false;
    }
    if (pos + frame->total_length > data.size()) {
      return frame->kind == tpkt::FrameKind::Tpkt && data[pos + 1] == 0;  // reserved byte 0
    }
    pos += frame->total_length;
  }
  return pos == data.size() && pos > 0;
}

}  // namespace

bool PostTlsDissector::needsEveryByte(Direction dir) const {
  (void)dir;
  return !handler_.session().active;
}

bool PostTlsDissector::onResync(Direction dir, engine::DissectContext& ctx) {
  (void)ctx;
  resyncing_[static_cast<std::size_t>(dir)] = true;
  return true;
}

bool PostTlsDissector::countFromHead(Direction dir, ByteView head, std::size_t length,
                                     engine::DissectContext& ctx) {
  if (head.empty() || head[0] == 0x30) {  // a TSRequest: CredSSP reads it (onData)
    return false;
  }
  const auto selected = handler_.session().selected_protocol.value_or(0);
  if ((selected == x224::kProtocolHybridEx && dir == Direction::ToClient && !early_auth_done_) ||
      (selected == x224::kProtocolRdstls && head[0] == 0x01)) {
    return false;  // onData() handles these by their first byte
  }
  DirectionContext dctx(ctx, dir);
  if (!handler_.countFromHead(dir, head, length, dctx)) {
    return false;
  }
  resyncing_[static_cast<std::size_t>(dir)] = false;  // one whole PDU filled the record
  return true;
}

Progress PostTlsDissector::onData(const engine::StreamData& in, engine::DissectContext& ctx) {
  DirectionContext dctx(ctx, in.dir);
  if (in.data.empty()) {
    return Progress::needMore(0, 1);
  }
  const auto d = static_cast<std::size_t>(in.dir);
  if (resyncing_[d]) {
    if (!startsWithWholeFrames(in.data)) {
      return Progress::consumed(in.data.size());  // the rest of a PDU whose start was skipped
    }
    resyncing_[d] = false;
  }
  const std::uint8_t b0 = in.data[0];
  const auto selected = handler_.session().selected_protocol.value_or(0);
  if (b0 == 0x30) {  // DER SEQUENCE: TSRequest ([MS-CSSP] 2.2.1)
    if (!credssp_) {
      credssp_ = makeCredsspForRdp();
    }
    credssp_seen_[d] = true;
    return credssp_->onData(in, dctx);
  }
  if (selected == x224::kProtocolHybridEx && in.dir == Direction::ToClient &&
      !early_auth_done_ && b0 != 0x03) {
    // [MS-RDPBCGR] 5.4.2.2 / 2.2.10.2: right after CredSSP the server sends a 4-byte
    // Early User Authorization Result PDU before any RDP PDU.
    const Progress p = handler_.onEarlyUserAuth(in, dctx);
    if (p.consumedBytes() > 0) {
      early_auth_done_ = true;
    }
    return p;
  }
  if (selected == x224::kProtocolRdstls && b0 == 0x01) {
    // [MS-RDPBCGR] 2.2.17 RDSTLS PDUs (version 0x0001) are not decoded yet.
    ctx.anomaly("rdp.rdstls.not_decoded", in.dir, in.stream_offset,
                "RDSTLS PDUs are not decoded; dissection of this direction stops");
    return Progress::stop(0);
  }
  return handler_.onData(in, dctx);
}

void PostTlsDissector::onEnd(Direction dir, engine::EndReason why, engine::DissectContext& ctx) {
  if (credssp_) {
    DirectionContext dctx(ctx, dir);
    credssp_->onEnd(dir, why, dctx);
  }
}

}  // namespace rdpscope::rdp
