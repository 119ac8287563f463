#pragma once

// The result of one `tenet bench` run, and its two renderings: text for people, JSON for scripts
// (field names are stable; docs/benchmarks.md lists them).

#include <cstdint>
#include <string>
#include <vector>

namespace tenet::bench {

struct LatencySummary {  // microseconds
  std::uint64_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;
};

struct Report {
  std::string mode;  // "load" or "idle"
  std::string scenario;
  std::string version;  // "3.1.1" or "5"
  int qos = 0;
  std::uint64_t publishers = 0, subscribers = 0, payload_size = 0, threads = 0;
  double rate_per_publisher = 0;  // 0 = max
  double duration_s = 0;          // requested publish time

  // Ramp-up: TCP connect + TLS handshake + CONNECT/CONNACK (+ SUBSCRIBE/SUBACK for subscribers).
  std::uint64_t connections_attempted = 0, connections_ok = 0, connections_failed = 0;
  double connect_seconds = 0;  // wall time of the ramp-up
  double connect_rate = 0;     // successful connections per second of ramp-up
  LatencySummary connect_latency;
  std::uint64_t connections_lost = 0;  // closed by the broker after connecting

  // Load mode.
  std::uint64_t sent = 0;      // PUBLISH packets written
  std::uint64_t completed = 0;  // QoS 1: PUBACKed; QoS 2: PUBCOMPed; QoS 0: = sent
  std::uint64_t expected = 0;   // sent x receivers per message
  std::uint64_t received = 0;
  std::uint64_t lost = 0;            // expected - received, if positive
  std::uint64_t out_of_order = 0;    // sequence number not above the last one from that publisher
  std::uint64_t unrecognised = 0;    // PUBLISH without this run's payload header (not counted)
  double publish_seconds = 0;  // first send to last send
  double receive_seconds = 0;  // first send to last receipt
  double sent_rate = 0;        // messages/s
  double received_rate = 0;    // messages/s
  double loss_ratio = 0;       // lost / expected
  LatencySummary latency;      // end to end, publisher encode -> subscriber decode

  // Idle mode.
  std::uint64_t held = 0;  // connections still open at the end of the hold
  double hold_s = 0;

  std::vector<std::string> errors;  // first few distinct failures, for diagnosis
};

std::string to_text(const Report& r);
std::string to_json(const Report& r);

}  // namespace tenet::bench
