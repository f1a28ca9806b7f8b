#include "rdp/rdp_connection_dissector.h"

#include "core/byte_reader.h"
#include "rdp/post_tls_dissector.h"
#include "rdp/rdp_handler.h"
#include "rdp/tls_handoff.h"
#include "tpkt/tpkt.h"

namespace rdpscope::rdp {
namespace {

using engine::Progress;

// TLS record start that can never be an RDP frame: ContentType alert (0x15), handshake (0x16)
// or application data (0x17) have fast-path action bits 1, 2 or 3-without-TPKT-version, so they
// are unambiguous (RFC 8446 5.1; [MS-RDPBCGR] 2.2.9.1.2). change_cipher_spec (0x14) is excluded:
// it would be a valid fast-path header.
bool unambiguousTlsStart(ByteView data) {
  return data.size() >= 2 && (data[0] == 0x15 || data[0] == 0x16 || data[0] == 0x17) &&
         data[1] == 0x03;
}

class RdpConnectionDissector final : public engine::Dissector {
 public:
  RdpConnectionDissector() : post_tls_(handler_) {}
  std::string_view name() const override { return "rdp"; }

  Progress onData(const engine::StreamData& in, engine::DissectContext& ctx) override {
    DirState& d = dirs_[static_cast<std::size_t>(in.dir)];
    if (d.stopped) {
      return Progress::stop(0);
    }
    if (!d.tls) {
      if (in.data.size() < 2) {
        return Progress::needMore(0, 2);
      }
      if (handler_.session().tlsSelected() || unambiguousTlsStart(in.data)) {
        d.tls = true;
        if (!tls_) {
          tls_ = makeTlsForRdp(post_tls_);
        }
      } else if (d.after_gap) {
        // Lost bytes: continue only if a TPKT header starts here (fast-path cannot be trusted).
        if (!(in.data[0] == tpkt::kTpktVersion && in.data[1] == 0x00)) {
          ctx.anomaly("rdp.stream.lost_sync", in.dir, in.stream_offset,
                      "after missing bytes the stream does not resume at a TPKT header; "
                      "dissection of this direction stops");
          d.stopped = true;
          return Progress::stop(0);
        }
      }
      d.after_gap = false;
    }
    if (d.tls) {
      if (d.tls_gap_unsupported) {
        d.stopped = true;
        return Progress::stop(0);
      }
      return tls_->onData(in, ctx);
    }
    const Progress p = handler_.onData(in, ctx);
    if (p.stopped()) {
      d.stopped = true;
    }
    return p;
  }

  bool acceptsGaps() const override { return true; }

  void onGap(engine::Direction dir, std::uint64_t missing, engine::DissectContext& ctx) override {
    DirState& d = dirs_[static_cast<std::size_t>(dir)];
    if (d.tls && tls_) {
      if (tls_->acceptsGaps()) {
        tls_->onGap(dir, missing, ctx);
      } else {
        d.tls_gap_unsupported = true;
      }
      return;
    }
    d.after_gap = true;
  }

  void onEnd(engine::Direction dir, engine::EndReason why, engine::DissectContext& ctx) override {
    if (tls_) {
      tls_->onEnd(dir, why, ctx);
    }
  }

 private:
  struct DirState {
    bool tls = false;
    bool after_gap = false;
    bool tls_gap_unsupported = false;
    bool stopped = false;
  };
  RdpHandler handler_;
  PostTlsDissector post_tls_;
  engine::DissectorPtr tls_;
  DirState dirs_[2];
};

}  // namespace

engine::DissectorPtr makeRdpConnectionDissector() {
  return std::make_unique<RdpConnectionDissector>();
}

}  // namespace rdpscope::rdp
