// DissectContext adaptor for the PDUs inside TLS (CredSSP, RDP): stamps every event with the
// direction whose bytes are being dissected, because inner dissectors such as CredSSP may leave
// Event::dir at its default. Marking events `decrypted` is the TLS dissector's job: the same
// consumer also receives cleartext (a server writing plain RDP after a failed TLS handshake).
#pragma once

#include "engine/forwarding_context.h"

namespace rdpscope::rdp {

class DirectionContext final : public engine::ForwardingContext {
 public:
  DirectionContext(engine::DissectContext& inner, engine::Direction dir)
      : ForwardingContext(inner), dir_(dir) {}
  void emit(model::Event&& event) override {
    event.dir = dir_;
    inner_.emit(std::move(event));
  }
  void emitBulk(model::Event&& event) override {
    event.dir = dir_;
    inner_.emitBulk(std::move(event));
  }
  void emitBulkStub(engine::BulkStub&& stub) override {
    stub.dir = dir_;
    inner_.emitBulkStub(std::move(stub));
  }

 private:
  engine::Direction dir_;
};

}  // namespace rdpscope::rdp
