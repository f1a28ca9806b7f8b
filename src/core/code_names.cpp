#include "core/code_names.h"

#include <algorithm>
#include <cstdio>
#include <new>
#include <utility>
#include <vector>

namespace rdpscope {

namespace {

const CodeName* findLinear(CodeTable table, std::uint32_t code) noexcept {
  for (const auto& entry : table) {
    if (entry.code == code) {
      return &entry;
    }
  }
  return nullptr;
}

// A large table's codes sorted (stable: of equal codes the first in the table stays first, as the
// linear search finds it), with each entry's position.
using SortedCodes = std::vector<std::pair<std::uint32_t, std::uint32_t>>;

const SortedCodes& sortedCodes(CodeTable table) {
  // Per thread (--threads), per table; a handful of large tables exist.
  thread_local std::vector<std::pair<const CodeName*, SortedCodes>> indexes;
  for (const auto& [data, sorted] : indexes) {
    if (data == table.data()) {
      return sorted;
    }
  }
  SortedCodes sorted;
  sorted.reserve(table.size());
  for (std::uint32_t i = 0; i < table.size(); ++i) {
    sorted.emplace_back(table[i].code, i);
  }
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  indexes.emplace_back(table.data(), std::move(sorted));
  return indexes.back().second;
}

}  // namespace

const CodeName* findCode(CodeTable table, std::uint32_t code) noexcept {
  // Small tables: a scan. Large ones (TLS cipher suites, ~540 entries, looked up for every suite
  // of every ClientHello): a binary search.
  constexpr std::size_t kScanUpTo = 32;
  if (table.size() <= kScanUpTo) {
    return findLinear(table, code);
  }
  try {
    const SortedCodes& sorted = sortedCodes(table);
    const auto it = std::lower_bound(sorted.begin(), sorted.end(), code,
                                     [](const auto& e, std::uint32_t c) { return e.first < c; });
    return it != sorted.end() && it->first == code ? &table[it->second] : nullptr;
  } catch (const std::bad_alloc&) {
    return findLinear(table, code);
  }
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
