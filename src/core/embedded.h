// Data files compiled into the binary at build time (tools/embed.cmake): the default rules, the
// Windows client code table and the HTML report assets. The binary needs no files beside it.
#pragma once

#include <span>
#include <string_view>

namespace rdpscope::embedded {

struct File {
  std::string_view name;      // file name without directory, e.g. "rdp.rules"
  std::string_view contents;
};

std::span<const File> files();
// Contents of the embedded file `name`, or an empty view when there is none.
std::string_view file(std::string_view name);

}  // namespace rdpscope::embedded
