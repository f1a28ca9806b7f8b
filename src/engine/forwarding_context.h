// A DissectContext that forwards everything to another one. Dissectors that feed an inner
// dissector derive from it and override only what they change (marking events decrypted,
// stamping their direction), so a new DissectContext method needs one forwarder, here.
#pragma once

#include <utility>

#include "engine/dissector.h"

namespace rdpscope::engine {

class ForwardingContext : public DissectContext {
 public:
  explicit ForwardingContext(DissectContext& inner) : inner_(inner) {}
  void emit(model::Event&& event) override { inner_.emit(std::move(event)); }
  void emitBulk(model::Event&& event) override { inner_.emitBulk(std::move(event)); }
  void emitBulkStub(BulkStub&& stub) override { inner_.emitBulkStub(std::move(stub)); }
  void anomaly(std::string_view id, Direction dir, std::uint64_t stream_offset,
               std::string detail) override {
    inner_.anomaly(id, dir, stream_offset, std::move(detail));
  }
  model::Connection& connection() override { return inner_.connection(); }
  const KeyStore* keys() const override { return inner_.keys(); }
  bool redactIdentities() const override { return inner_.redactIdentities(); }
  std::uint64_t currentFrame() const override { return inner_.currentFrame(); }
  Timestamp currentTime() const override { return inner_.currentTime(); }
  void setStamp(std::uint64_t frame, Timestamp ts) override { inner_.setStamp(frame, ts); }

 protected:
  DissectContext& inner_;
};

}  // namespace rdpscope::engine
