#pragma once

// What `tenet bench` runs: a load scenario (publishers -> broker -> subscribers) or a hold of idle
// connections. Plain data; validate() fills defaults and enforces the hard caps.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "mqtt/packet.h"
#include "pki/pki.h"

namespace tenet::bench {

// fan-in: N publishers, each on its own topic; every subscriber holds one wildcard filter (default M=1).
// fan-out: every subscriber receives every publisher's messages (default N=1, M=10).
// p2p: publisher i -> subscriber i on topic i (N == M).
enum class Scenario { kFanIn, kFanOut, kPointToPoint };

std::string_view to_string(Scenario s);
// Errors: kInvalidArgument.
core::Result<Scenario> parse_scenario(std::string_view s);

// Hard caps: a benchmark always ends by itself, and never asks for more than the machine can hold.
inline constexpr std::chrono::seconds kMaxDuration{300};
inline constexpr std::chrono::seconds kMaxHold{600};
inline constexpr std::chrono::seconds kMaxDrain{60};
inline constexpr std::size_t kMaxClients = 10'000;  // publishers, subscribers (load mode)
inline constexpr std::size_t kMaxIdleConnections = 100'000;
inline constexpr std::size_t kMaxThreads = 64;
inline constexpr std::size_t kMaxPayload = 256 * 1024 - 512;  // tenet's default maximum packet size, less headers
inline constexpr std::uint16_t kIdleKeepAlive = 600;     // seconds; larger than kMaxHold
inline constexpr std::uint16_t kLoadKeepAlive = 600;     // > kMaxDuration + kMaxDrain: no PINGREQ needed

struct Options {
  // Where and how to connect. Loopback only.
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string ca_pem;                      // broker trust anchor
  std::vector<pki::CertAndKey> client_certs;  // used round-robin; at least one
  mqtt::Version version = mqtt::Version::k5;
  std::string client_id_prefix = "bench";

  // Load mode.
  Scenario scenario = Scenario::kFanIn;
  std::size_t publishers = 0;   // 0 = scenario default
  std::size_t subscribers = 0;  // 0 = scenario default
  mqtt::Qos qos = mqtt::Qos::k0;
  std::size_t payload_size = 64;  // bytes, >= kPayloadHeaderSize
  double rate = 0.0;              // messages/s per publisher; 0 = as fast as the broker takes them
  std::chrono::milliseconds duration{10'000};
  std::chrono::milliseconds drain{5'000};  // after publishing stops: wait for what is still in flight
  std::string topic_pattern = "bench/{i}";
  std::size_t inflight = 64;  // QoS 1/2 window per publisher (v5: at most the broker's Receive Maximum)

  // Idle mode: > 0 opens this many connections, holds them, and sends nothing else.
  std::size_t idle_connections = 0;
  std::chrono::seconds hold{10};
  std::string ready_file;  // written once every idle connection is up (for scripts measuring RSS)

  // Both modes.
  std::size_t threads = 1;  // event loops (one io_context per thread)
  std::size_t connect_concurrency = 100;  // TLS handshakes in flight at once
  std::chrono::milliseconds connect_timeout{10'000};  // per connection: TCP + TLS + CONNACK (+ SUBACK)
};

// Applies scenario defaults and checks every field against the caps.
// Errors: kInvalidArgument (with the field named).
core::Result<void> validate(Options& o);

}  // namespace tenet::bench
