// RecordQueue: the TLS records a direction holds back, in one buffer.
#include "tls/record_queue.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <vector>

namespace rdpscope::tls {
namespace {

std::vector<std::uint8_t> bytesFor(std::uint32_t id, std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(id * 31 + i);
  return v;
}

TEST(RecordQueue, KeepsTheRecordAndByteLimits) {
  RecordQueue<int> q(4, 100);
  EXPECT_TRUE(q.fits(200));  // an empty queue takes any record its buffer holds
  EXPECT_FALSE(q.fits(201));
  q.push(1, bytesFor(1, 60));
  EXPECT_TRUE(q.fits(40));
  EXPECT_FALSE(q.fits(41));  // 60 + 41 > 100 bytes
  q.push(2, bytesFor(2, 10));
  q.push(3, bytesFor(3, 10));
  q.push(4, bytesFor(4, 10));
  EXPECT_FALSE(q.fits(1));  // 4 records
  EXPECT_EQ(q.front(), 1);
  EXPECT_EQ(std::vector<std::uint8_t>(q.frontBytes().begin(), q.frontBytes().end()),
            bytesFor(1, 60));
  q.pop();
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.bytes(), 30u);
  EXPECT_EQ(q.front(), 2);
}

TEST(RecordQueue, WrapsToTheStartWithoutOverwritingAHeldRecord) {
  RecordQueue<int> q(16, 100);  // buffer of 200 bytes
  q.push(1, bytesFor(1, 90));   // [0, 90)
  q.push(2, bytesFor(2, 10));   // [90, 100)
  q.pop();                      // 1 gone: [0, 90) free
  q.push(3, bytesFor(3, 80));   // [100, 180)
  EXPECT_FALSE(q.fits(30));     // 90 + 30 > 100 bytes held
  q.pop();                      // 2 gone
  EXPECT_TRUE(q.fits(20));      // [180, 200)
  q.push(4, bytesFor(4, 20));
  EXPECT_TRUE(q.fits(0));
  EXPECT_FALSE(q.fits(1));      // 100 bytes held
  q.pop();                      // 3 gone: [0, 180) free, 4 at [180, 200)
  q.push(5, bytesFor(5, 50));   // wraps: [0, 50)
  EXPECT_EQ(q.front(), 4);
  EXPECT_EQ(std::vector<std::uint8_t>(q.frontBytes().begin(), q.frontBytes().end()),
            bytesFor(4, 20));
  q.pop();
  EXPECT_EQ(std::vector<std::uint8_t>(q.frontBytes().begin(), q.frontBytes().end()),
            bytesFor(5, 50));
}

// As the TLS dissector uses it: pop the oldest until the next record fits. Every record comes
// out with the bytes it went in with, in order, whatever the sizes; the limits hold throughout.
TEST(RecordQueue, RecordsComeOutIntactInOrder) {
  RecordQueue<std::uint32_t> q(16, 8192);
  std::deque<std::pair<std::uint32_t, std::size_t>> expected;  // id, size
  std::mt19937 rng(7);
  std::uint32_t next = 0;
  std::size_t popped = 0;
  auto popOne = [&] {
    ASSERT_FALSE(expected.empty());
    const auto [id, size] = expected.front();
    ASSERT_EQ(q.front(), id);
    ASSERT_EQ(std::vector<std::uint8_t>(q.frontBytes().begin(), q.frontBytes().end()),
              bytesFor(id, size));
    q.pop();
    expected.pop_front();
    ++popped;
  };
  for (int i = 0; i < 20000; ++i) {
    const std::size_t n = rng() % 3 == 0 ? 128 : rng() % 4096;
    while (!q.fits(n)) {
      popOne();
    }
    q.push(next, bytesFor(next, n));
    expected.emplace_back(next++, n);
    ASSERT_LE(q.size(), 16u);
    ASSERT_TRUE(q.size() == 1 || q.bytes() <= 8192u);
    if (rng() % 5 == 0) {
      popOne();  // released early, as held records are before a non-application-data record
    }
  }
  while (!q.empty()) {
    popOne();
  }
  EXPECT_EQ(popped, 20000u);
}

}  // namespace
}  // namespace rdpscope::tls
