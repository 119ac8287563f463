#pragma once

// Paces one publisher at a fixed rate: message k is due at start + k / rate. A sender that falls
// behind (window full, socket busy) may catch up by at most `max_burst` messages; older debt is
// forgiven so a stall is not followed by a flood. Time is passed in, so tests need no clock.
// Not thread-safe: one per publisher, on its event loop.

#include <chrono>
#include <cstdint>
#include <limits>

namespace tenet::bench {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // `per_second` <= 0 means unlimited. `max_burst` >= 1.
  RateLimiter(double per_second, std::uint64_t max_burst);

  void start(Clock::time_point t0);
  bool unlimited() const { return interval_ns_ <= 0.0; }

  // Messages that may be sent at `now` (saturates at max_burst; unlimited: a large number).
  std::uint64_t available(Clock::time_point now);
  // Records `n` messages as sent.
  void consume(std::uint64_t n) { sent_ += n; }
  // When the next message becomes due (now or earlier if one is available already).
  Clock::time_point next_due() const;

  std::uint64_t sent() const { return sent_; }

 private:
  double interval_ns_ = 0.0;
  std::uint64_t max_burst_ = 1;
  Clock::time_point t0_{};
  std::uint64_t sent_ = 0;      // messages consumed since t0_
  std::uint64_t forgiven_ = 0;  // due messages skipped because of max_burst
};

}  // namespace tenet::bench
