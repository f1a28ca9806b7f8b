// DissectContext adaptor that marks every event emitted through it as `decrypted` (seen only
// thanks to TLS decryption). Used for the plaintext the TLS dissector hands to PostTlsDissector.
#pragma once

#include "engine/dissector.h"

namespace rdpscope::rdp {

class DecryptedContext final : public engine::DissectContext {
 public:
  // `dir`: the direction whose plaintext is being dissected; every event emitted during that
  // call describes a PDU sent in that direction, so it is stamped here (inner dissectors such
  // as CredSSP may leave Event::dir at its default).
  DecryptedContext(engine::DissectContext& inner, engine::Direction dir)
      : inner_(inner), dir_(dir) {}
  void emit(model::Event event) override {
    event.decrypted = true;
    event.dir = dir_;
    inner_.emit(std::move(event));
  }
  void emitBulk(model::Event event) override {
    event.decrypted = true;
    event.dir = dir_;
    inner_.emitBulk(std::move(event));
  }
  bool wantsBulkEvent() const override { return inner_.wantsBulkEvent(); }
  void emitBulkStub(const engine::BulkStub& stub) override {
    engine::BulkStub copy = stub;
    copy.decrypted = true;
    copy.dir = dir_;
    inner_.emitBulkStub(copy);
  }
  void anomaly(std::string_view id, engine::Direction dir, std::uint64_t stream_offset,
               std::string detail) override {
    inner_.anomaly(id, dir, stream_offset, "decrypted stream: " + detail);
  }
  model::Connection& connection() override { return inner_.connection(); }
  const engine::KeyStore* keys() const override { return inner_.keys(); }
  bool redactIdentities() const override { return inner_.redactIdentities(); }
  std::uint64_t currentFrame() const override { return inner_.currentFrame(); }
  Timestamp currentTime() const override { return inner_.currentTime(); }

 private:
  engine::DissectContext& inner_;
  engine::Direction dir_;
};

}  // namespace rdpscope::rdp
