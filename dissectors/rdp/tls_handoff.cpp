#include "rdp/tls_handoff.h"

#include "credssp/credssp_dissector.h"

#define RDPSCOPE_HAVE_TLS_DISSECTOR 1
#if RDPSCOPE_HAVE_TLS_DISSECTOR
#include "tls/tls_dissector.h"
#endif

namespace rdpscope::rdp {
namespace {

#if !RDPSCOPE_HAVE_TLS_DISSECTOR
// Stand-in until dissectors/tls exists: stops the direction without consuming anything, so the
// TCP-level events of the connection go on and nothing is misparsed as RDP.
class TlsStub final : public engine::Dissector {
 public:
  std::string_view name() const override { return "tls-stub"; }
  engine::Progress onData(const engine::StreamData&, engine::DissectContext&) override {
    return engine::Progress::stop(0);
  }
};
#endif

}  // namespace

engine::DissectorPtr makeTlsForRdp(engine::Dissector& plaintext_consumer) {
#if RDPSCOPE_HAVE_TLS_DISSECTOR
  return tls::makeTlsDissector(plaintext_consumer);
#else
  (void)plaintext_consumer;
  return std::make_unique<TlsStub>();
#endif
}

engine::DissectorPtr makeCredsspForRdp() { return credssp::makeCredsspDissector(); }

}  // namespace rdpscope::rdp
