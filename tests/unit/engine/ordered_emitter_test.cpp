// OrderedEmitter: connections finished in any order come out sorted by (start, 5-tuple) as soon
// as no open or future flow can precede them. Synthetic connections (no bytes involved).
#include "engine/ordered_emitter.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace rdpscope::engine {
namespace {

model::Connection conn(std::int64_t start_s, std::uint16_t client_port, const char* client_ip = "10.0.0.1") {
  model::Connection c;
  c.start = Timestamp{start_s * 1'000'000'000};
  c.end = c.start;
  c.client = {client_ip, client_port};
  c.server = {"192.168.0.1", 3389};
  return c;
}

std::int64_t sec(const model::Connection& c) { return c.start.ns / 1'000'000'000; }

TEST(OrderedEmitter, HoldsUntilWatermarkPassesThenReleasesInOrder) {
  std::vector<model::Connection> out;
  OrderedEmitter em([&](model::Connection&& c) { out.push_back(std::move(c)); });
  em.push(conn(5, 1000));
  em.push(conn(3, 1000));
  // A flow that started at 4 is still open: only the connection starting at 3 may go.
  em.release(Timestamp{4'000'000'000}, Timestamp{10'000'000'000});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(sec(out[0]), 3);
  EXPECT_EQ(em.held(), 1u);
  // Equal start must wait (an open flow starting at 5 may sort first by address).
  em.release(Timestamp{5'000'000'000}, Timestamp{10'000'000'000});
  EXPECT_EQ(out.size(), 1u);
  // Nothing open: the current packet time bounds future flows.
  em.release(std::nullopt, Timestamp{5'000'000'000});
  EXPECT_EQ(out.size(), 1u);
  em.release(std::nullopt, Timestamp{6'000'000'000});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(sec(out[1]), 5);
  EXPECT_EQ(em.stats().late, 0u);
  EXPECT_EQ(em.stats().forced, 0u);
}

TEST(OrderedEmitter, TiesBrokenByAddressThenPushOrder) {
  std::vector<model::Connection> out;
  OrderedEmitter em([&](model::Connection&& c) { out.push_back(std::move(c)); });
  em.push(conn(1, 2000));
  em.push(conn(1, 1000, "10.0.0.9"));
  em.push(conn(1, 1000));
  em.flush();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].client.port, 1000);
  EXPECT_EQ(out[0].client.ip, "10.0.0.1");
  EXPECT_EQ(out[1].client.port, 2000);
  EXPECT_EQ(out[2].client.ip, "10.0.0.9");
}

TEST(OrderedEmitter, RandomFinishOrderMatchesFullSort) {
  // Simulates an analyzer: flows with random start and duration; each finishes at its end time;
  // release is called with the oldest open start after every event. Output == sorted input.
  std::mt19937 rng(7);
  struct F { std::int64_t start, end; std::uint16_t port; };
  std::vector<F> flows;
  for (int i = 0; i < 500; ++i) {
    const std::int64_t s = static_cast<std::int64_t>(rng() % 1000);
    flows.push_back({s, s + static_cast<std::int64_t>(rng() % 200), static_cast<std::uint16_t>(1024 + i)});
  }
  std::vector<model::Connection> out;
  OrderedEmitter em([&](model::Connection&& c) { out.push_back(std::move(c)); });
  for (std::int64_t t = 0; t <= 1300; ++t) {
    // Finish flows ending at t, then release with the oldest still-open start.
    std::optional<Timestamp> oldest;
    for (const auto& f : flows) {
      if (f.end == t) em.push(conn(f.start, f.port));
    }
    for (const auto& f : flows) {
      if (f.start <= t && f.end > t) {
        Timestamp s{f.start * 1'000'000'000};
        if (!oldest || s < *oldest) oldest = s;
      }
    }
    em.release(oldest, Timestamp{t * 1'000'000'000});
  }
  em.flush();
  ASSERT_EQ(out.size(), flows.size());
  EXPECT_TRUE(std::is_sorted(out.begin(), out.end(), connectionOrderLess));
  EXPECT_EQ(em.stats().late, 0u);
  EXPECT_LT(em.stats().peak_held, flows.size());
}

TEST(OrderedEmitter, CapForcesEarliestOutAndLateOnesStillEmitted) {
  std::vector<model::Connection> out;
  OrderedEmitter em([&](model::Connection&& c) { out.push_back(std::move(c)); }, 2);
  em.push(conn(3, 1));
  em.push(conn(2, 1));
  em.push(conn(4, 1));  // three held > cap 2: the earliest (2) is forced out
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(sec(out[0]), 2);
  EXPECT_EQ(em.stats().forced, 1u);
  em.push(conn(1, 1));  // sorts before one already released: emitted at once
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(sec(out[1]), 1);
  EXPECT_EQ(em.stats().late, 1u);
  em.flush();
  EXPECT_EQ(out.size(), 4u);
  EXPECT_EQ(em.stats().released, 4u);
}

}  // namespace
}  // namespace rdpscope::engine
