#pragma once

// One benchmark MQTT client over mutual TLS: a publisher, a subscriber or an idle connection.
// Callback-driven on one io_context (all members are touched only by that loop's thread); the
// per-loop LoopState is shared by every client of the loop. Private to bench/.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bench/histogram.h"
#include "bench/rate_limiter.h"
#include "mqtt/codec.h"
#include "mqtt/packet.h"

namespace tenet::bench::detail {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

// A counter with one writer (its loop) and any number of readers: no locked instruction per message.
class LiveCounter {
 public:
  void add(std::uint64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  std::uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

// Everything the clients of one loop record. The LiveCounters may be read by the main thread at any
// time; the rest only after the loop has stopped.
struct alignas(64) LoopState {
  LiveCounter sent, completed, received, connected, failed, lost, closed;

  LatencyHistogram latency;  // end-to-end, ns
  LatencyHistogram connect;  // connect start -> ready, ns
  std::uint64_t out_of_order = 0;
  std::uint64_t unrecognised = 0;
  SteadyClock::time_point first_send = SteadyClock::time_point::max();
  SteadyClock::time_point last_send = SteadyClock::time_point::min();
  SteadyClock::time_point last_receive = SteadyClock::time_point::min();
  std::vector<std::string> errors;  // first few distinct ones

  void error(std::string e);
};

// Settings every client of a run shares; read-only once the run starts.
struct RunSettings {
  tcp::endpoint endpoint;
  mqtt::Version version = mqtt::Version::k5;
  mqtt::Qos qos = mqtt::Qos::k0;
  std::size_t payload_size = 64;
  double rate = 0;  // per publisher, 0 = max
  std::size_t inflight = 64;
  std::uint16_t keep_alive = 600;
  SteadyClock::duration connect_timeout = std::chrono::seconds(10);
  std::uint16_t run_id = 0;    // in every payload; other runs' messages are not counted
  std::size_t publishers = 0;  // sequence tracking per publisher on subscribers
  bool track_sequences = true;
};

enum class Role { kPublisher, kSubscriber, kIdle };

class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(asio::io_context& io, ssl::context& tls, const RunSettings& settings, LoopState& loop, Role role,
         std::string client_id, std::string topic, std::uint32_t index);
  ~Client();

  // TCP connect, TLS handshake, CONNECT/CONNACK, and SUBSCRIBE/SUBACK for a subscriber. `done` runs
  // once on this loop, with true when the client is ready. Bounded by settings.connect_timeout.
  void start(std::function<void(bool)> done);
  // Publisher: publishes from now until `end` (paced by settings.rate, windowed by settings.inflight).
  void start_publishing(SteadyClock::time_point end);
  void stop_publishing();
  // Sends DISCONNECT if connected, then closes the socket. Idempotent.
  void close();

  bool ready() const { return ready_ && !closed_; }
  std::uint64_t sent() const { return sent_; }
  std::uint64_t completed() const { return completed_; }

 private:
  void fail(std::string why);
  void finish_start(bool ok);
  void read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  void handle(const mqtt::Packet& p);
  void on_publish(const mqtt::Publish& p);
  void release(std::uint16_t id, mqtt::ReasonCode reason);
  void pump();
  void arm_pace_timer(SteadyClock::time_point at);
  void flush();
  void on_write(const boost::system::error_code& ec);
  void shutdown_socket();

  ssl::stream<tcp::socket> stream_;
  asio::steady_timer timer_;  // connect deadline, then publish pacing
  const RunSettings& settings_;
  LoopState& loop_;
  const Role role_;
  const std::string client_id_;
  const std::string topic_;  // publisher: topic name; subscriber: filter
  const std::uint32_t index_;

  std::function<void(bool)> on_ready_;
  SteadyClock::time_point connect_started_{};
  bool ready_ = false;
  bool closed_ = false;
  bool disconnecting_ = false;

  // Reading: [rbeg_, rend_) of rbuf_ holds undecoded bytes.
  std::vector<std::byte> rbuf_;
  std::size_t rbeg_ = 0, rend_ = 0;
  mqtt::DecodeLimits limits_;

  // Writing: one async_write in flight (writing_); new packets go to out_.
  mqtt::Buffer out_, writing_;
  bool write_pending_ = false;

  // Publisher.
  bool publishing_ = false;
  bool timer_armed_ = false;
  SteadyClock::time_point end_{};
  RateLimiter limiter_;
  std::vector<std::byte> payload_;
  std::vector<bool> id_in_use_;
  std::uint16_t next_id_ = 0;
  std::size_t window_ = 0;
  std::size_t in_flight_ = 0;
  std::uint64_t sequence_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t completed_ = 0;

  // Subscriber: next expected sequence number per publisher.
  std::vector<std::uint64_t> next_sequence_;
};

}  // namespace tenet::bench::detail
