#include "bench/options.h"

#include <boost/asio/ip/address.hpp>

#include "bench/payload.h"
#include "bench/topic_pattern.h"

namespace tenet::bench {
namespace {

core::Unexpected bad(std::string detail) { return core::fail(core::Errc::kInvalidArgument, std::move(detail)); }

}  // namespace

std::string_view to_string(Scenario s) {
  switch (s) {
    case Scenario::kFanIn:
      return "fan-in";
    case Scenario::kFanOut:
      return "fan-out";
    case Scenario::kPointToPoint:
      return "p2p";
  }
  return "?";
}

core::Result<Scenario> parse_scenario(std::string_view s) {
  if (s == "fan-in") return Scenario::kFanIn;
  if (s == "fan-out") return Scenario::kFanOut;
  if (s == "p2p" || s == "point-to-point") return Scenario::kPointToPoint;
  return bad("unknown scenario \"" + std::string(s) + "\" (fan-in | fan-out | p2p)");
}

core::Result<void> validate(Options& o) {
  boost::system::error_code ec;
  const std::string host = o.host == "localhost" ? "127.0.0.1" : o.host;
  const auto addr = boost::asio::ip::make_address(host, ec);
  if (ec) return bad("--host must be an IP address or localhost, got \"" + o.host + "\"");
  if (!addr.is_loopback()) return bad("tenet bench only targets loopback brokers, got " + o.host);
  o.host = host;
  if (o.port == 0) return bad("no broker port (use --data-dir or --port)");
  if (o.ca_pem.empty()) return bad("no CA certificate for the broker (use --data-dir or --cafile)");
  if (o.client_certs.empty()) return bad("no client certificate (use --data-dir or --cert/--key)");
  if (o.threads == 0 || o.threads > kMaxThreads) return bad("--threads must be 1.." + std::to_string(kMaxThreads));
  if (o.connect_concurrency == 0) return bad("--connect-concurrency must be at least 1");
  if (o.connect_timeout.count() <= 0) return bad("--connect-timeout must be positive");
  if (o.client_id_prefix.empty() || o.client_id_prefix.size() > 64) return bad("client id prefix must be 1..64 bytes");

  if (o.idle_connections > 0) {
    if (o.idle_connections > kMaxIdleConnections) {
      return bad("--idle-connections is capped at " + std::to_string(kMaxIdleConnections));
    }
    if (o.hold.count() < 0 || o.hold > kMaxHold) return bad("--hold must be 0.." + std::to_string(kMaxHold.count()) + " s");
    return {};
  }

  switch (o.scenario) {
    case Scenario::kFanIn:
      if (o.publishers == 0) o.publishers = 10;
      if (o.subscribers == 0) o.subscribers = 1;
      break;
    case Scenario::kFanOut:
      if (o.publishers == 0) o.publishers = 1;
      if (o.subscribers == 0) o.subscribers = 10;
      break;
    case Scenario::kPointToPoint:
      if (o.publishers == 0) o.publishers = o.subscribers == 0 ? 10 : o.subscribers;
      if (o.subscribers == 0) o.subscribers = o.publishers;
      if (o.publishers != o.subscribers) return bad("p2p needs as many publishers as subscribers");
      if (!has_placeholder(o.topic_pattern)) return bad("p2p needs a topic pattern with {i}");
      break;
  }
  if (o.publishers > kMaxClients || o.subscribers > kMaxClients) {
    return bad("publishers and subscribers are capped at " + std::to_string(kMaxClients) + " each");
  }
  if (o.payload_size < kPayloadHeaderSize || o.payload_size > kMaxPayload) {
    return bad("--payload must be " + std::to_string(kPayloadHeaderSize) + ".." + std::to_string(kMaxPayload) + " bytes");
  }
  if (o.rate < 0) return bad("--rate must be >= 0");
  if (o.duration.count() <= 0 || o.duration > kMaxDuration) {
    return bad("--duration must be in (0, " + std::to_string(kMaxDuration.count()) + "] s");
  }
  if (o.drain.count() < 0 || o.drain > kMaxDrain) return bad("--drain must be 0.." + std::to_string(kMaxDrain.count()) + " s");
  if (o.inflight == 0 || o.inflight > 65535) return bad("--inflight must be 1..65535");
  if (auto ok = validate_pattern(o.topic_pattern); !ok) return core::fail(std::move(ok.error()));
  return {};
}

}  // namespace tenet::bench
