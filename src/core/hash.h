// Small hashes for in-memory tables: combining hash values (boost::hash_combine's mixing step,
// 64-bit) for the flow shards and the output writer's tables of kept texts, and hashing a byte
// string for the latter.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace rdpscope {

inline std::uint64_t hashMix(std::uint64_t h, std::uint64_t v) {
  return h ^ (v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2));
}

// A fast hash of a byte string for in-memory tables that compare the bytes on a hit (the output
// writer's kept texts): eight bytes per multiply, about a third of std::hash's instructions on
// records of 100-300 bytes. Not for anything an attacker can aim at (no seed), nor stable across
// versions.
inline std::uint64_t hashBytes(std::string_view s) {
  constexpr std::uint64_t kMul = 0x9e3779b97f4a7c15ull;
  std::uint64_t h = s.size() * kMul;
  const char* p = s.data();
  std::size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 32;
  }
  if (n > 0) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * kMul;
    h ^= h >> 32;
  }
  return h;
}

}  // namespace rdpscope
