#pragma once

// A fixed set of event loops, one thread each: one io_context per core. Connections are spread over
// them and stay on theirs; work for another loop is posted to that loop's queue.

#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace tenet::core::net {

class Loops {
 public:
  explicit Loops(std::size_t n) {
    for (std::size_t i = 0; i < (n == 0 ? 1 : n); ++i) {
      ctxs_.push_back(std::make_unique<boost::asio::io_context>(1));
    }
  }
  ~Loops() { stop(); }
  Loops(const Loops&) = delete;
  Loops& operator=(const Loops&) = delete;

  std::size_t size() const { return ctxs_.size(); }
  boost::asio::io_context& at(std::size_t i) { return *ctxs_[i]; }

  // Starts one thread per loop; loops run until stop().
  void start() {
    for (auto& c : ctxs_) {
      guards_.emplace_back(boost::asio::make_work_guard(*c));
      threads_.emplace_back([ctx = c.get()] { ctx->run(); });
    }
  }
  // Lets loops finish their queued work and joins them (call after closing all I/O objects).
  void drain() {
    guards_.clear();
    join();
  }
  void stop() {
    guards_.clear();
    for (auto& c : ctxs_) c->stop();
    join();
  }

 private:
  void join() {
    for (auto& t : threads_) {
      if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
    }
    threads_.clear();
  }
  std::vector<std::unique_ptr<boost::asio::io_context>> ctxs_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
};

}  // namespace tenet::core::net
