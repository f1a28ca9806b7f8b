// The JSON writer writes plain strings itself (no escaping needed) and hands every other string
// to nlohmann's serializer; the word-at-a-time plain-ASCII test must choose exactly as a byte-by-
// byte one would, or the output would differ from nlohmann's dump().
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "model/connection.h"
#include "output/json_writer.h"

namespace rdpscope::output {
namespace {

std::string lineFor(const std::string& value) {
  model::Connection conn;
  model::Event ev = model::Event::make("test.event", std::nullopt, "summary");
  ev.fields["s"] = value;
  conn.events.push_back(std::move(ev));
  std::ostringstream out;
  writeJsonLine(out, conn, false);
  return out.str();
}

TEST(JsonWriter, EveryByteAtEveryPositionIsWrittenAsNlohmannWritesIt) {
  const std::string bytes_to_try = {'\0', '\x01', '\x1f', ' ', '!', '"', '\\', '~', '\x7f',
                                    '\x80', '\xc3', '\xff', 'a'};
  int checked = 0;
  for (std::size_t len = 1; len <= 24; ++len) {
    for (std::size_t pos = 0; pos < len; ++pos) {
      for (const char b : bytes_to_try) {
        std::string v(len, 'x');
        v[pos] = b;
        const std::string want =
            "\"s\":" + model::Fields(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        const std::string line = lineFor(v);
        ASSERT_NE(line.find(want), std::string::npos)
            << "length " << len << ", byte 0x" << std::hex << (static_cast<int>(b) & 0xff) << " at " << pos
            << ": " << line;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 13 * 300);
}

}  // namespace
}  // namespace rdpscope::output
