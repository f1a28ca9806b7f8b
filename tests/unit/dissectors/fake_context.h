// A DissectContext for dissector unit tests: collects events and anomalies in memory, with a
// settable current frame. Reusable by every dissector test (header-only).
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "engine/dissector.h"

namespace rdpscope::test {

struct FakeAnomaly {
  std::string id;
  model::Direction dir;
  std::uint64_t offset;
  std::string detail;
};

class FakeContext : public engine::DissectContext {
 public:
  void emit(model::Event&& event) override {
    if (event.frame == 0) {
      event.frame = frame;
    }
    model::expandCompact(event);  // as engine::Session does for readers like these tests
    events.push_back(std::move(event));
  }
  void emitBulk(model::Event&& event) override {
    ++bulk_count;
    emit(std::move(event));
  }
  void anomaly(std::string_view id, model::Direction dir, std::uint64_t stream_offset,
               std::string detail) override {
    anomalies.push_back(FakeAnomaly{std::string(id), dir, stream_offset, detail});
    model::Event ev = model::Event::make("anomaly", std::nullopt, detail);
    ev.dir = dir;
    ev.frame = frame;
    ev.fields["id"] = std::string(id);
    ev.fields["offset"] = stream_offset;
    ev.fields["detail"] = detail;
    events.push_back(std::move(ev));
  }
  model::Connection& connection() override { return conn; }
  const engine::KeyStore* keys() const override { return keystore; }
  bool redactIdentities() const override { return redact; }
  std::uint64_t currentFrame() const override { return frame; }
  Timestamp currentTime() const override { return Timestamp{}; }
  void setStamp(std::uint64_t f, Timestamp) override { frame = f; }

  // Helpers for assertions.
  const model::Event* find(std::string_view kind) const {
    for (const auto& e : events) {
      if (e.kind == kind) {
        return &e;
      }
    }
    return nullptr;
  }
  std::size_t count(std::string_view kind) const {
    return static_cast<std::size_t>(std::count_if(
        events.begin(), events.end(), [&](const model::Event& e) { return e.kind == kind; }));
  }
  bool hasAnomaly(std::string_view id) const {
    return std::any_of(anomalies.begin(), anomalies.end(),
                       [&](const FakeAnomaly& a) { return a.id == id; });
  }

  std::vector<model::Event> events;
  std::vector<FakeAnomaly> anomalies;
  model::Connection conn;
  std::uint64_t frame = 0;
  std::size_t bulk_count = 0;
  bool redact = false;
  const engine::KeyStore* keystore = nullptr;  // borrowed; set by tests that decrypt
};

/// Bytes from a hex string ("0300002f..."); whitespace ignored.
inline std::vector<std::uint8_t> fromHex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  int hi = -1;
  for (const char c : hex) {
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
      hi = -1;
    }
  }
  return out;
}

}  // namespace rdpscope::test
