#include "core/code_names.h"

#include <cstdio>

namespace rdpscope {

const CodeName* findCode(CodeTable table, std::uint32_t code) noexcept {
  for (const auto& entry : table) {
    if (entry.code == code) {
      return &entry;
    }
  }
  return nullptr;
}

std::string hexCode(std::uint32_t code) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", code);
  return buf;
}

std::string codeName(CodeTable table, std::uint32_t code) {
  if (const auto* entry = findCode(table, code)) {
    return std::string(entry->name);
  }
  return "UNKNOWN(" + hexCode(code) + ")";
}

std::string codeMeaning(CodeTable table, std::uint32_t code) {
  if (const auto* entry = findCode(table, code)) {
    return std::string(entry->meaning);
  }
  return "unknown code " + hexCode(code);
}

}  // namespace rdpscope
