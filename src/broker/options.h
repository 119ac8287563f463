#pragma once

// Broker settings and limits (docs/configuration.md). Every limit guards untrusted input.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tenet::broker {

struct Limits {
  std::uint32_t max_packet_size = 256 * 1024;   // whole packet, both directions we accept
  std::size_t max_client_id_length = 128;        // bytes (AWS IoT: 128)
  std::size_t max_topic_length = 256;            // bytes (AWS IoT: 256)
  std::uint16_t receive_maximum = 100;           // inbound QoS 1/2 in flight per connection
  std::uint16_t max_inflight = 100;              // outbound QoS 1/2 in flight per connection
  std::size_t max_queued_messages = 1000;        // per session, QoS 1/2 waiting to be sent
  std::size_t max_subscriptions = 100;           // per session
  std::uint16_t topic_alias_maximum = 16;        // client -> server aliases (v5)
  std::size_t max_outbound_bytes = 4 * 1024 * 1024;  // per connection write backlog before QoS 0 drops
  std::uint16_t max_keep_alive = 1200;           // seconds; 0 from a client means this value
  std::uint32_t max_session_expiry = 7 * 24 * 3600;  // seconds; clamps v5 requests
  std::uint32_t persistent_session_expiry = 3600;    // v3 clean-session=0 sessions (AWS default 1 h)
  std::size_t max_concurrent_handshakes = 256;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds connect_timeout{10'000};  // TLS up, CONNECT not yet received
};

struct Options {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 8883;
  std::size_t threads = 0;  // 0 = one per core
  Limits limits;
  // MQTT says a wildcard subscription gets matching retained messages; AWS IoT sends retained
  // messages only to exact-match filters. true = MQTT behaviour (docs/decisions/0002).
  bool retained_for_wildcards = true;
};

}  // namespace tenet::broker
