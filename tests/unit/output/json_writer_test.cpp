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

// "t" of an event `ns` nanoseconds after a connection starting at `start_ns`.
std::string eventTime(std::int64_t start_ns, std::int64_t ns) {
  model::Connection conn;
  conn.start = Timestamp{start_ns};
  model::Event ev = model::Event::make("test.event", std::nullopt, "summary");
  ev.ts = Timestamp{start_ns + ns};
  conn.events.push_back(std::move(ev));
  std::ostringstream out;
  writeJsonLine(out, conn, false);
  const std::string line = out.str();
  const auto at = line.find("\"t\":");
  const auto end = line.find(',', at);
  return line.substr(at + 4, end - at - 4);
}

// Times are written from their integer microseconds as the shortest decimal; each must read back
// as exactly the double the earlier formatter wrote (dump() of mag / 1e6), and never be longer
// than dump()'s text for it.
TEST(JsonWriter, TimesAreTheShortestDecimalOfTheSameDouble) {
  EXPECT_EQ(eventTime(0, 649'000), "0.000649");  // dump(): 0.0006489999999999999
  EXPECT_EQ(eventTime(0, 127'732'526'000), "127.732526");  // dump(): 127.73252599999999
  EXPECT_EQ(eventTime(0, 2'000'000'000), "2.0");
  EXPECT_EQ(eventTime(0, 100'000), "0.0001");
  EXPECT_EQ(eventTime(0, 1'500), "1e-06");   // below 10^-4 s: dump()'s exponent form
  EXPECT_EQ(eventTime(0, 0), "0.0");
  EXPECT_EQ(eventTime(5'000'000'000, -2'000'000'000), "-2.0");
  // An event before the connection's first packet (timestamps going backwards in the capture):
  // the sign is kept under one second too (the text output says -0.500000s).
  EXPECT_EQ(eventTime(5'000'000'000, -500'000'000), "-0.5");
  EXPECT_EQ(eventTime(5'000'000'000, -50'000), "-5e-05");
  for (std::int64_t us = 95; us < 400'000; us += 7) {
    const std::string text = eventTime(1'700'000'000'000'000'000, us * 1000);
    const double want = static_cast<double>(us) / 1e6;
    EXPECT_EQ(std::stod(text), want) << text;
    const std::string dumped = model::Fields(want).dump();
    EXPECT_LE(text.size(), dumped.size()) << text << " vs " << dumped;
  }
}

// The writer's line buffer starts at 64 KiB, grows when full and gives back what one huge line
// took (over 4 MiB): values across every growth are written whole, the head and tail functions
// agree with the whole line, and a line written after a huge one is right.
TEST(JsonWriter, LinesLargerThanTheBufferAreWrittenWhole) {
  for (const std::size_t size : {std::size_t{65'000}, std::size_t{70'000}, std::size_t{5'000'000},
                                 std::size_t{10}}) {
    std::string value;
    value.reserve(size);
    for (std::size_t i = 0; value.size() < size; ++i) {
      value += (i % 97 == 0) ? '"' : static_cast<char>('a' + i % 26);  // escapes along the way
    }
    const std::string line = lineFor(value);
    const std::string want =
        "\"s\":" + model::Fields(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    ASSERT_NE(line.find(want), std::string::npos) << "value of " << size << " bytes";
    ASSERT_EQ(line.back(), '\n');

    model::Connection conn;
    model::Event ev = model::Event::make("test.event", std::nullopt, "summary");
    ev.fields["s"] = value;
    conn.events.push_back(std::move(ev));
    std::ostringstream joined;
    const std::string tail = connectionJsonTail(conn, false);
    writeJsonLineTail(joined, conn.id, conn.attempt, tail);
    EXPECT_EQ(joined.str(), line) << "value of " << size << " bytes";
    EXPECT_EQ(connectionJsonTailView(conn, false), tail);
  }
}

}  // namespace
}  // namespace rdpscope::output
