#include "bench/histogram.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>

namespace tenet::bench {
namespace {

TEST(LatencyHistogram, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(0.5), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (std::uint64_t v = 1; v <= 10; ++v) h.record(v);
  EXPECT_EQ(h.percentile(0.5), 5u);
  EXPECT_EQ(h.percentile(0.9), 9u);
  EXPECT_EQ(h.percentile(1.0), 10u);
  EXPECT_EQ(h.percentile(0.0), 1u);
  EXPECT_DOUBLE_EQ(h.mean(), 5.5);
}

TEST(LatencyHistogram, BucketsCoverEveryValueWithBoundedError) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t v = rng() >> (rng() % 60 + 4);  // spread over many magnitudes
    if (v >= (std::uint64_t{1} << LatencyHistogram::kMaxExponent)) continue;
    const std::size_t b = LatencyHistogram::bucket_of(v);
    ASSERT_LT(b, LatencyHistogram::kBuckets);
    const std::uint64_t upper = LatencyHistogram::bucket_upper(b);
    ASSERT_GE(upper, v) << v;
    ASSERT_LE(static_cast<double>(upper - v), static_cast<double>(v) / 64.0 + 1.0) << v;
    if (b > 0) {
      ASSERT_LT(LatencyHistogram::bucket_upper(b - 1), v) << v;
    }
  }
}

TEST(LatencyHistogram, BucketEdgesAreContiguous) {
  for (std::size_t b = 1; b + 1 < LatencyHistogram::kBuckets; ++b) {
    const std::uint64_t upper = LatencyHistogram::bucket_upper(b);
    ASSERT_EQ(LatencyHistogram::bucket_of(upper), b);
    ASSERT_EQ(LatencyHistogram::bucket_of(upper + 1), b + 1);
  }
}

TEST(LatencyHistogram, PercentilesOfUniformMicroseconds) {
  LatencyHistogram h;
  for (std::uint64_t us = 1; us <= 10000; ++us) h.record(us * 1000);  // 1 us .. 10 ms
  auto near = [](std::uint64_t got, double want) { return std::abs(static_cast<double>(got) - want) <= want * 0.02; };
  EXPECT_TRUE(near(h.percentile(0.50), 5'000'000)) << h.percentile(0.50);
  EXPECT_TRUE(near(h.percentile(0.99), 9'900'000)) << h.percentile(0.99);
  EXPECT_TRUE(near(h.percentile(0.999), 9'990'000)) << h.percentile(0.999);
  EXPECT_EQ(h.percentile(1.0), 10'000'000u);  // clamped to the true maximum
  EXPECT_EQ(h.min(), 1000u);
}

TEST(LatencyHistogram, TailPercentileSeesRareOutliers) {
  LatencyHistogram h;
  for (int i = 0; i < 998; ++i) h.record(100'000);  // 100 us
  h.record(50'000'000);                              // 50 ms
  h.record(60'000'000);                              // 60 ms
  EXPECT_LE(h.percentile(0.99), 102'000u);
  EXPECT_GE(h.percentile(0.999), 49'000'000u);
  EXPECT_EQ(h.max(), 60'000'000u);
}

TEST(LatencyHistogram, HugeValuesLandInTheLastBucket) {
  LatencyHistogram h;
  h.record(UINT64_MAX / 2);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.percentile(0.5), UINT64_MAX / 2);  // clamped to max
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  for (std::uint64_t v = 0; v < 5000; ++v) {
    (v % 3 ? a : b).record(v * 37);
    all.record(v * 37);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  for (double q : {0.1, 0.5, 0.9, 0.99, 0.999}) EXPECT_EQ(a.percentile(q), all.percentile(q)) << q;
}

}  // namespace
}  // namespace tenet::bench
