#include "bench/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace tenet::bench {

RateLimiter::RateLimiter(double per_second, std::uint64_t max_burst)
    : interval_ns_(per_second > 0.0 ? 1e9 / per_second : 0.0), max_burst_(std::max<std::uint64_t>(1, max_burst)) {}

void RateLimiter::start(Clock::time_point t0) {
  t0_ = t0;
  sent_ = 0;
  forgiven_ = 0;
}

std::uint64_t RateLimiter::available(Clock::time_point now) {
  if (unlimited()) return std::numeric_limits<std::uint32_t>::max();
  if (now < t0_) return 0;
  const double elapsed = static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - t0_).count());
  // Message k (0-based) is due at t0 + k * interval, so floor(elapsed / interval) + 1 are due.
  const auto due = static_cast<std::uint64_t>(std::floor(elapsed / interval_ns_)) + 1;
  const std::uint64_t done = sent_ + forgiven_;
  if (due <= done) return 0;
  std::uint64_t debt = due - done;
  if (debt > max_burst_) {
    forgiven_ += debt - max_burst_;
    debt = max_burst_;
  }
  return debt;
}

RateLimiter::Clock::time_point RateLimiter::next_due() const {
  if (unlimited()) return t0_;
  const double at_ns = static_cast<double>(sent_ + forgiven_) * interval_ns_;
  return t0_ + std::chrono::nanoseconds(static_cast<std::int64_t>(std::ceil(at_ns)));
}

}  // namespace tenet::bench
