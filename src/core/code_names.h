// Value tables: wire code -> spec name -> short human meaning (Wireshark's value_string, Zeek's
// consts.zeek). Every dissector keeps its tables as data in <proto>_names.cpp and looks codes up
// here, so an unknown code prints as UNKNOWN(0x..) instead of vanishing.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace rdpscope {

struct CodeName {
  std::uint32_t code;
  std::string_view name;     // the specification's symbolic name, e.g. "SSL_REQUIRED_BY_SERVER"
  std::string_view meaning;  // one short sentence for humans
};

using CodeTable = std::span<const CodeName>;

// Returns the entry for `code`, or nullptr when the table does not know it.
const CodeName* findCode(CodeTable table, std::uint32_t code) noexcept;

// Spec name for `code`, or "UNKNOWN(0x<hex>)".
std::string codeName(CodeTable table, std::uint32_t code);

// Human meaning for `code`, or "unknown code 0x<hex>".
std::string codeMeaning(CodeTable table, std::uint32_t code);

// "0x%x" formatting used for codes everywhere (lower-case hex, no padding).
std::string hexCode(std::uint32_t code);

}  // namespace rdpscope
