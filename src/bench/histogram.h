#pragma once

// A fixed-size log-linear latency histogram (HDR-style): values in nanoseconds, relative error under
// 1/kSubBuckets (about 1.6%), no allocation after construction. Not thread-safe: keep one per event
// loop and merge() them when the loops have stopped.

#include <array>
#include <cstddef>
#include <cstdint>

namespace tenet::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 6;  // 64 linear sub-buckets per power of two
  static constexpr std::uint64_t kSubBuckets = 1u << kSubBucketBits;
  // Values up to 2^kMaxExponent ns (about 73 minutes) are kept; larger ones count as the maximum.
  static constexpr int kMaxExponent = 42;
  static constexpr std::size_t kBuckets = (kMaxExponent - kSubBucketBits + 2) * kSubBuckets;

  void record(std::uint64_t value_ns);
  void merge(const LatencyHistogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_); }

  // The smallest recorded-bucket value v such that at least `q` (0..1) of the samples are <= v,
  // reported as the upper edge of its bucket, clamped to [min, max]. 0 when empty.
  std::uint64_t percentile(double q) const;

  // Index of the bucket holding `value_ns`, and the largest value that bucket holds (for tests).
  static std::size_t bucket_of(std::uint64_t value_ns);
  static std::uint64_t bucket_upper(std::size_t bucket);

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

}  // namespace tenet::bench
