// Combining hash values (boost::hash_combine's mixing step, 64-bit): for the flow shards and the
// output writer's tables of kept texts.
#pragma once

#include <cstdint>

namespace rdpscope {

inline std::uint64_t hashMix(std::uint64_t h, std::uint64_t v) {
  return h ^ (v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2));
}

}  // namespace rdpscope
