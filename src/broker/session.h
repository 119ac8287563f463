#pragma once

// The MQTT session of one client id: subscriptions, QoS 1/2 state in both directions and queued
// messages. A session belongs to one event loop (its home) and every mutable field below is touched
// only there; deliveries from other loops are posted to the home loop. Only the atomics may be read
// from elsewhere. A takeover from another loop moves the home (see Broker::takeover).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>

#include <boost/asio/steady_timer.hpp>

#include "broker/message.h"
#include "mqtt/packet.h"

namespace tenet::broker {

class Connection;

struct SubscriptionState {
  mqtt::SubscriptionOptions options;
  std::uint32_t identifier = 0;
};

// A message in flight to the client (sent, not yet fully acknowledged).
struct Inflight {
  std::uint16_t packet_id = 0;
  MessagePtr message;
  mqtt::Qos qos = mqtt::Qos::k1;
  bool retain = false;
  bool stored = false;  // has a row in the store's queue (persistent session)
  bool released = false;  // QoS 2: PUBREC received, PUBREL sent, awaiting PUBCOMP
};

// A message waiting for room in the in-flight window or for the client to come back.
struct Queued {
  MessagePtr message;
  mqtt::Qos qos = mqtt::Qos::k1;
  bool retain = false;
  bool stored = false;
  bool dup = false;  // restored after a crash while the client was online: it may have been sent
};

struct WillState {
  MessagePtr message;          // topic, payload, properties, QoS, retain
  std::uint32_t delay_s = 0;   // v5 Will Delay Interval
  std::uint32_t expiry_s = 0;  // v5 Message Expiry Interval, 0 = none
  bool has_expiry = false;
};

class Session {
 public:
  Session(std::string client_id, std::size_t home) : client_id_(std::move(client_id)), home_(home) {}

  const std::string& client_id() const { return client_id_; }

  // Readable from any loop.
  std::size_t home() const { return home_.load(std::memory_order_acquire); }
  void set_home(std::size_t loop) { home_.store(loop, std::memory_order_release); }
  bool persistent() const { return persistent_.load(std::memory_order_acquire); }
  void set_persistent(bool p) { persistent_.store(p, std::memory_order_release); }
  bool online() const { return online_.load(std::memory_order_acquire); }
  void set_online(bool o) { online_.store(o, std::memory_order_release); }

  // ---- home loop only ----
  std::uint32_t expiry_interval = 0;  // seconds; 0xFFFFFFFF = never
  bool ended = false;                 // discarded: late deliveries are dropped
  std::map<std::string, SubscriptionState, std::less<>> subscriptions;
  std::deque<Inflight> inflight;      // in send order
  std::deque<Queued> queue;
  std::unordered_set<std::uint16_t> inbound_qos2;  // PUBREC sent, PUBREL awaited [MQTT-4.3.3]
  std::shared_ptr<Connection> conn;
  std::optional<WillState> pending_will;  // v5 delayed will, published by will_timer
  std::unique_ptr<boost::asio::steady_timer> will_timer;
  std::unique_ptr<boost::asio::steady_timer> expiry_timer;

  std::uint16_t next_packet_id() {
    // Skip ids still in flight [MQTT-2.2.1-3].
    for (int tries = 0; tries < 65535; ++tries) {
      next_id_ = static_cast<std::uint16_t>(next_id_ == 65535 ? 1 : next_id_ + 1);
      bool used = false;
      for (const auto& f : inflight) {
        if (f.packet_id == next_id_) {
          used = true;
          break;
        }
      }
      if (!used) return next_id_;
    }
    return 0;
  }

 private:
  const std::string client_id_;
  std::atomic<std::size_t> home_;
  std::atomic<bool> persistent_{false};
  std::atomic<bool> online_{false};
  std::uint16_t next_id_ = 0;
};

using SessionPtr = std::shared_ptr<Session>;

}  // namespace tenet::broker
