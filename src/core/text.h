// Text helpers for strings taken from the wire: UTF-16LE decoding and making arbitrary bytes
// safe as valid UTF-8 (invalid sequences become U+FFFD) so every output format can escape them.
#pragma once

#include <string>
#include <string_view>

#include "core/byte_reader.h"

namespace rdpscope {

// Decodes UTF-16LE up to the first NUL code unit; unpaired surrogates become U+FFFD.
std::string utf16leToUtf8(ByteView raw);

// Returns `in` with invalid UTF-8 replaced by U+FFFD (JSON libraries reject invalid UTF-8).
std::string sanitizeUtf8(std::string_view in);

// For terminals: replaces control characters (C0, DEL, C1) with \xNN so wire strings cannot
// move the cursor or change colours.
std::string escapeForTerminal(std::string_view in);

}  // namespace rdpscope
