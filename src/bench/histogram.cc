#include "bench/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace tenet::bench {

// Values below kSubBuckets map one-to-one to buckets 0..kSubBuckets-1. Above, each power of two
// [2^e, 2^(e+1)) with e >= kSubBucketBits is split into kSubBuckets equal parts.
std::size_t LatencyHistogram::bucket_of(std::uint64_t v) {
  if (v < kSubBuckets) return static_cast<std::size_t>(v);
  int e = std::bit_width(v) - 1;  // 2^e <= v < 2^(e+1)
  if (e > kMaxExponent) return kBuckets - 1;
  const int shift = e - kSubBucketBits;
  const std::uint64_t sub = (v >> shift) - kSubBuckets;  // 0..kSubBuckets-1
  return static_cast<std::size_t>((e - kSubBucketBits + 1) * kSubBuckets + sub);
}

std::uint64_t LatencyHistogram::bucket_upper(std::size_t b) {
  if (b < kSubBuckets) return b;
  const std::size_t group = b / kSubBuckets;  // >= 1
  const std::uint64_t sub = b % kSubBuckets;
  const int shift = static_cast<int>(group) - 1;
  const std::uint64_t lower = (kSubBuckets + sub) << shift;
  return lower + ((std::uint64_t{1} << shift) - 1);
}

void LatencyHistogram::record(std::uint64_t v) {
  ++counts_[bucket_of(v)];
  ++count_;
  sum_ += v;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
}

void LatencyHistogram::merge(const LatencyHistogram& o) {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  sum_ += o.sum_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

std::uint64_t LatencyHistogram::percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Rank of the sample we want, 1-based: ceil(q * n), at least 1.
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(bucket_upper(i), min(), max_);
  }
  return max_;
}

}  // namespace tenet::bench
