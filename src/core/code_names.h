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

// Calls fn(name) with codeName's text for `code`: the table's own name, not copied, when the
// table knows the code, else "UNKNOWN(0x<hex>)".
template <class Fn>
void withCodeName(CodeTable table, std::uint32_t code, Fn&& fn) {
  if (const CodeName* entry = findCode(table, code)) {
    fn(entry->name);
  } else {
    fn(std::string_view(codeName(table, code)));
  }
}

// Calls fn(name) for every bit set in `value`, lowest first, with withCodeName's name of that
// bit's mask: a flags field as the names of its flags.
template <class Fn>
void forEachBitName(CodeTable table, std::uint32_t value, Fn&& fn) {
  for (std::uint32_t bit = 0; bit < 32; ++bit) {
    const std::uint32_t mask = std::uint32_t{1} << bit;
    if ((value & mask) != 0) {
      withCodeName(table, mask, fn);
    }
  }
}

}  // namespace rdpscope
