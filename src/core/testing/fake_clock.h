#pragma once

// A Clock for tests: time moves only when the test says so.

#include <atomic>
#include <chrono>

#include "core/clock.h"

namespace tenet::core::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point wall = std::chrono::system_clock::time_point(
                         std::chrono::seconds(1'795'600'000)))
      : wall_ms_(std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count()) {}
  std::chrono::steady_clock::time_point now() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(wall_ms_.load()));
  }
  std::chrono::system_clock::time_point wall() const override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(wall_ms_.load()));
  }
  void advance(std::chrono::milliseconds d) { wall_ms_ += d.count(); }

 private:
  std::atomic<long long> wall_ms_;
};

}  // namespace tenet::core::testing
