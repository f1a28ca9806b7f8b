// Small grammar helpers shared by the RDP-family dissectors (tpkt, x224, mcs, gcc, per, rdp).
#pragma once

#include "core/byte_reader.h"

// Returns the error of a Result<void>-returning expression (RDPSCOPE_TRY needs a value).
#define RDPSCOPE_CHECK(expr)                                                       \
  do {                                                                             \
    auto rdpscope_check_result_ = (expr);                                          \
    if (!rdpscope_check_result_) {                                                 \
      return tl::unexpected(rdpscope_check_result_.error());                       \
    }                                                                              \
  } while (false)

namespace rdpscope {

/// Inside a complete frame, running out of bytes means a length field lied: Truncated becomes
/// Malformed (style 7.3: Truncated only at the framer).
inline ParseError insideFrame(ParseError e) noexcept {
  if (e.kind == ErrorKind::Truncated) {
    e.kind = ErrorKind::Malformed;
  }
  return e;
}

}  // namespace rdpscope
