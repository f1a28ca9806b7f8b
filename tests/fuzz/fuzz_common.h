// Shared helpers for the libFuzzer targets (issue 9). Every target is a plain
// LLVMFuzzerTestOneInput over hostile bytes; nothing here may throw or keep state between inputs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/byte_reader.h"
#include "engine/dissector.h"
#include "engine/session.h"
#include "model/connection.h"

namespace rdpscope::fuzz {

inline ByteView view(const std::uint8_t* data, std::size_t size) { return ByteView(data, size); }

// A connection record like the one the analyzer builds for 10.0.0.2:50000 -> 10.0.0.1:3389.
inline model::Connection fuzzConnection() {
  model::Connection c;
  c.transport = "tcp";
  c.client_decided_by = "syn";
  c.detected_by = "port_3389";
  return c;
}

// A dissector that swallows everything (the plaintext consumer of the TLS fuzz target).
class SinkDissector final : public engine::Dissector {
 public:
  std::string_view name() const override { return "sink"; }
  engine::Progress onData(const engine::StreamData& in, engine::DissectContext&) override {
    return engine::Progress::consumed(in.data.size());
  }
};

// Drives a Session from the fuzz input, read as a sequence of chunks:
//   control byte: bit 0 = direction (0 to server, 1 to client), bits 1-2 = operation
//                 (0/3 deliver, 1 gap, 2 end), bits 3-7 + one more byte = chunk length (13 bits)
// The final chunk takes whatever is left. Deterministic: the same input drives the same calls.
inline void driveSession(engine::Session& s, const std::uint8_t* data, std::size_t size) {
  std::size_t pos = 0;
  std::uint64_t frame = 1;
  bool ended[2] = {false, false};
  while (pos < size) {
    const std::uint8_t ctl = data[pos++];
    const auto dir = (ctl & 1) != 0 ? model::Direction::ToClient : model::Direction::ToServer;
    const int op = (ctl >> 1) & 3;
    std::size_t len = static_cast<std::size_t>(ctl >> 3);
    if (pos < size) {
      len |= static_cast<std::size_t>(data[pos++]) << 5;
    }
    len = std::min(len, size - pos);
    s.setCurrent(frame++, Timestamp{}, dir);
    const std::size_t d = static_cast<std::size_t>(dir);
    if (op == 1) {
      if (!ended[d]) {
        s.gap(dir, len + 1, "fuzz");
      }
      continue;  // a gap consumes no input bytes
    }
    if (op == 2) {
      if (!ended[d]) {
        s.end(dir, engine::EndReason::Fin);
        ended[d] = true;
      }
      continue;
    }
    if (!ended[d]) {
      s.deliver(dir, ByteView(data + pos, len));
    }
    pos += len;
  }
  for (int d = 0; d < 2; ++d) {
    if (!ended[d]) {
      s.end(static_cast<model::Direction>(d), engine::EndReason::CaptureEnd);
    }
  }
}

}  // namespace rdpscope::fuzz
