// HeldText: JSON text held for the output order, in memory up to a budget and then in a
// temporary file whose space is reused.
#include "output/held_text.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <deque>
#include <random>
#include <string>
#include <unistd.h>

namespace rdpscope::output {
namespace {

std::string textOf(std::size_t n, char fill) {
  std::string t(n, fill);
  t[0] = ',';  // a connection's JSON tail starts with ','
  return t;
}

std::uint64_t offsetOf(const std::string& payload) {
  const auto range = HeldText::spilled(payload);
  EXPECT_TRUE(range.has_value());
  return range ? range->first : ~std::uint64_t{0};
}

TEST(HeldText, KeepsTextInMemoryUpToTheBudgetThenSpills) {
  HeldText held(1000);
  std::string scratch;
  std::string a = held.hold(textOf(600, 'a'));
  EXPECT_FALSE(HeldText::spilled(a));
  std::string b = held.hold(std::string_view(textOf(600, 'b')));  // over the budget
  ASSERT_TRUE(HeldText::spilled(b));
  EXPECT_EQ(held.take(std::move(b), scratch), textOf(600, 'b'));
  EXPECT_EQ(held.take(std::move(a), scratch), textOf(600, 'a'));
  EXPECT_EQ(held.spilledBytes(), 600u);
}

TEST(HeldText, ReusesTheBestFittingFreePlace) {
  HeldText held(0);  // everything goes to the file
  std::string scratch;
  std::string a = held.hold(textOf(10000, 'a'));  // 3 pages at 0
  std::string b = held.hold(textOf(3000, 'b'));   // 1 page at 12288
  std::string c = held.hold(textOf(9000, 'c'));   // 3 pages at 16384
  std::string d = held.hold(textOf(100, 'd'));    // 1 page at 28672
  EXPECT_EQ(offsetOf(a), 0u);
  EXPECT_EQ(offsetOf(b), 12288u);
  EXPECT_EQ(offsetOf(c), 16384u);
  EXPECT_EQ(held.fileBytes(), 32768u);
  // Free a (3 pages) and c (3 pages): a one-page text takes the first of them, a three-page
  // one the other whole run.
  EXPECT_EQ(held.take(std::move(a), scratch), textOf(10000, 'a'));
  EXPECT_EQ(held.take(std::move(c), scratch), textOf(9000, 'c'));
  std::string e = held.hold(textOf(4000, 'e'));
  EXPECT_EQ(offsetOf(e), 0u);
  std::string f = held.hold(textOf(12000, 'f'));
  EXPECT_EQ(offsetOf(f), 16384u);
  EXPECT_EQ(held.fileBytes(), 32768u) << "the file grew although a place was free";
  EXPECT_EQ(held.take(std::move(b), scratch), textOf(3000, 'b'));
  EXPECT_EQ(held.take(std::move(d), scratch), textOf(100, 'd'));
  EXPECT_EQ(held.take(std::move(e), scratch), textOf(4000, 'e'));
  EXPECT_EQ(held.take(std::move(f), scratch), textOf(12000, 'f'));
}

TEST(HeldText, MergesNeighbouringFreePlaces) {
  HeldText held(0);
  std::string scratch;
  std::string a = held.hold(textOf(4096, 'a'));
  std::string b = held.hold(textOf(4096, 'b'));
  std::string c = held.hold(textOf(4096, 'c'));
  std::string keep = held.hold(textOf(10, 'k'));
  // b then a then c freed: one run of three pages, which a text of three pages fits.
  held.release(b);
  held.release(a);
  held.release(c);
  std::string big = held.hold(textOf(12000, 'x'));
  EXPECT_EQ(offsetOf(big), 0u);
  EXPECT_EQ(held.fileBytes(), 16384u);
  EXPECT_EQ(held.take(std::move(big), scratch), textOf(12000, 'x'));
  EXPECT_EQ(held.take(std::move(keep), scratch), textOf(10, 'k'));
}

// Every text given up: the free runs merge down to the start, and the next text goes there.
TEST(HeldText, ReleasingEveryTextEmptiesTheFile) {
  HeldText held(0);
  std::string scratch;
  std::string a = held.hold(textOf(5000, 'a'));
  std::string b = held.hold(textOf(5000, 'b'));
  held.release(a);
  held.release(b);
  std::string c = held.hold(textOf(5000, 'c'));
  EXPECT_EQ(offsetOf(c), 0u);
  EXPECT_EQ(held.fileBytes(), 16384u);
  EXPECT_EQ(held.take(std::move(c), scratch), textOf(5000, 'c'));
}

// A retired place stays taken until reset(), which frees it (the file is truncated).
TEST(HeldText, AfterResetRetiredPlacesAreFreeAgain) {
  HeldText held(0);
  std::string scratch;
  std::string a = held.hold(textOf(5000, 'a'));
  std::string b = held.hold(textOf(5000, 'b'));
  held.retire(a);
  held.release(b);
  std::string before = held.hold(textOf(100, 'x'));
  EXPECT_EQ(offsetOf(before), 8192u) << "a retired place was reused";
  held.release(before);
  held.reset();
  std::string c = held.hold(textOf(5000, 'c'));
  EXPECT_EQ(offsetOf(c), 0u);
  EXPECT_EQ(held.take(std::move(c), scratch), textOf(5000, 'c'));
}

// Texts held and given up in an order unlike the one they came in (as the output order does):
// every text comes back as it was, and the file stays within the most held at once plus the
// pieces between runs.
TEST(HeldText, TextsComeBackIntactWhatEverTheOrder) {
  HeldText held(0);
  std::string scratch;
  std::mt19937 rng(12345);
  std::deque<std::pair<std::string, std::string>> live;  // payload, expected text
  std::uint64_t held_bytes = 0;
  std::uint64_t peak = 0;
  for (int i = 0; i < 3000; ++i) {
    if (live.empty() || rng() % 3 != 0) {
      const std::size_t n = 1 + rng() % 40000;
      std::string text = textOf(n, static_cast<char>('a' + i % 26));
      text[n / 2] = static_cast<char>(i);
      live.emplace_back(held.hold(std::string_view(text)), text);
      held_bytes += (n + 4095) / 4096 * 4096;
      peak = std::max(peak, held_bytes);
    } else {
      const std::size_t at = rng() % live.size();
      auto [payload, text] = std::move(live[at]);
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(at));
      held_bytes -= (text.size() + 4095) / 4096 * 4096;
      ASSERT_EQ(held.take(std::move(payload), scratch), text) << "text " << i;
    }
  }
  for (auto& [payload, text] : live) {
    ASSERT_EQ(held.take(std::move(payload), scratch), text);
  }
  EXPECT_LT(held.fileBytes(), 2 * peak);
}

// sendfile to a pipe gives the same bytes as reading back.
TEST(HeldText, SendsASpilledTextToADescriptor) {
  HeldText held(0);
  std::string payload = held.hold(textOf(5000, 's'));
  const auto range = HeldText::spilled(payload);
  ASSERT_TRUE(range);
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  const HeldText::Send sent = held.sendTo(fileno(out), range->first, range->second);
  if (sent == HeldText::Send::Unsupported) {
    std::fclose(out);
    GTEST_SKIP() << "sendfile to a file is not supported here";
  }
  ASSERT_EQ(sent, HeldText::Send::Sent);
  held.release(payload);
  std::string back(5000, '\0');
  ASSERT_EQ(::pread(fileno(out), back.data(), back.size(), 0), 5000);
  EXPECT_EQ(back, textOf(5000, 's'));
  std::fclose(out);
}

// sendfile to a pipe lends the file's pages: a retired place is not written again, and after
// reset() (a truncation) new texts do not change what the pipe still holds.
TEST(HeldText, TextSentToAPipeStaysIntactAfterMoreSpills) {
  HeldText held(0);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string a = held.hold(textOf(5000, 'a'));
  const auto range = HeldText::spilled(a);
  ASSERT_TRUE(range);
  const HeldText::Send sent = held.sendTo(fds[1], range->first, range->second);
  if (sent == HeldText::Send::Unsupported) {
    ::close(fds[0]);
    ::close(fds[1]);
    GTEST_SKIP() << "sendfile to a pipe is not supported here";
  }
  ASSERT_EQ(sent, HeldText::Send::Sent);
  held.retire(a);
  std::string b = held.hold(textOf(5000, 'b'));
  EXPECT_NE(offsetOf(b), range->first);
  held.release(b);
  held.reset();
  std::string c = held.hold(textOf(5000, 'c'));
  EXPECT_EQ(offsetOf(c), 0u);
  std::string back(5000, '\0');
  std::size_t got = 0;
  while (got < back.size()) {
    const ssize_t n = ::read(fds[0], back.data() + got, back.size() - got);
    ASSERT_GT(n, 0);
    got += static_cast<std::size_t>(n);
  }
  EXPECT_EQ(back, textOf(5000, 'a'));
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace
}  // namespace rdpscope::output
