// Capture timestamps as integer nanoseconds since the Unix epoch: exact for pcap (usec) and
// pcapng/nsec captures, and comparisons are deterministic (no floating point until output).
#pragma once

#include <cstdint>
#include <string>

namespace rdpscope {

struct Timestamp {
  std::int64_t ns = 0;

  static Timestamp fromParts(std::int64_t sec, std::int64_t frac, std::int64_t frac_per_sec) {
    return Timestamp{sec * 1'000'000'000 + frac * (1'000'000'000 / frac_per_sec)};
  }
  double seconds() const { return static_cast<double>(ns) / 1e9; }
  auto operator<=>(const Timestamp&) const = default;
};

// Seconds between two timestamps.
inline double secondsBetween(Timestamp from, Timestamp to) {
  return static_cast<double>(to.ns - from.ns) / 1e9;
}

// "1234567890.123456" (epoch seconds, microsecond precision): the JSON contract's format.
std::string formatEpoch(Timestamp ts);
// "2024-01-02 03:04:05.123456 UTC" for humans.
std::string formatUtc(Timestamp ts);

}  // namespace rdpscope
