#include "bench/rate_limiter.h"

#include <gtest/gtest.h>

namespace tenet::bench {
namespace {

using namespace std::chrono_literals;
using Clock = RateLimiter::Clock;

TEST(RateLimiter, UnlimitedAlwaysHasBudget) {
  RateLimiter r(0, 1);
  r.start(Clock::time_point{});
  EXPECT_TRUE(r.unlimited());
  EXPECT_GT(r.available(Clock::time_point{}), 1'000'000u);
}

TEST(RateLimiter, FirstMessageIsDueAtStart) {
  RateLimiter r(100, 10);  // one per 10 ms
  const Clock::time_point t0{1s};
  r.start(t0);
  EXPECT_EQ(r.available(t0), 1u);
  r.consume(1);
  EXPECT_EQ(r.available(t0), 0u);
  EXPECT_EQ(r.next_due(), t0 + 10ms);
  EXPECT_EQ(r.available(t0 + 9ms), 0u);
  EXPECT_EQ(r.available(t0 + 10ms), 1u);
}

TEST(RateLimiter, KeepsTheAverageRate) {
  RateLimiter r(1000, 100);  // 1 per ms
  const Clock::time_point t0{};
  r.start(t0);
  std::uint64_t sent = 0;
  for (auto t = t0; t < t0 + 1s; t += 250us) {  // a caller that polls every 250 us
    const auto n = r.available(t);
    r.consume(n);
    sent += n;
  }
  EXPECT_EQ(sent, 1000u);
  EXPECT_EQ(r.sent(), 1000u);
}

TEST(RateLimiter, BurstAfterAStallIsCapped) {
  RateLimiter r(1000, 5);
  const Clock::time_point t0{};
  r.start(t0);
  r.consume(r.available(t0));
  // 100 ms of stall: 100 messages are overdue, only 5 may go now.
  EXPECT_EQ(r.available(t0 + 100ms), 5u);
  r.consume(5);
  EXPECT_EQ(r.available(t0 + 100ms), 0u);
  // The schedule continues from the present, not from the debt.
  EXPECT_EQ(r.available(t0 + 101ms), 1u);
}

TEST(RateLimiter, NothingIsDueBeforeStart) {
  RateLimiter r(10, 1);
  r.start(Clock::time_point{5s});
  EXPECT_EQ(r.available(Clock::time_point{4s}), 0u);
}

TEST(RateLimiter, FractionalRates) {
  RateLimiter r(0.5, 1);  // one every 2 s
  const Clock::time_point t0{};
  r.start(t0);
  r.consume(r.available(t0));
  EXPECT_EQ(r.available(t0 + 1999ms), 0u);
  EXPECT_EQ(r.available(t0 + 2s), 1u);
}

}  // namespace
}  // namespace tenet::bench
