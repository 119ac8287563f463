#include "bench/report.h"

#include <fmt/format.h>

#include <boost/json.hpp>

namespace tenet::bench {
namespace {

boost::json::object latency_json(const LatencySummary& l) {
  return {{"count", l.count}, {"p50_us", l.p50}, {"p90_us", l.p90},  {"p99_us", l.p99},
          {"p999_us", l.p999}, {"max_us", l.max}, {"mean_us", l.mean}};
}

std::string latency_text(const LatencySummary& l) {
  return fmt::format("p50 {:.0f} us, p90 {:.0f} us, p99 {:.0f} us, p99.9 {:.0f} us, max {:.0f} us (n={})", l.p50, l.p90,
                     l.p99, l.p999, l.max, l.count);
}

}  // namespace

std::string to_text(const Report& r) {
  std::string s;
  if (r.mode == "idle") {
    s += fmt::format("idle connections: MQTT {}, {} thread(s)\n", r.version, r.threads);
  } else {
    s += fmt::format("scenario {}: {} publisher(s) -> {} subscriber(s), MQTT {}, QoS {}, {} B payload, rate {}, {:.1f} s\n",
                     r.scenario, r.publishers, r.subscribers, r.version, r.qos, r.payload_size,
                     r.rate_per_publisher > 0 ? fmt::format("{:.0f}/s per publisher", r.rate_per_publisher) : "max",
                     r.duration_s);
  }
  s += fmt::format("connect:   {}/{} ok in {:.2f} s = {:.0f} conn/s; handshake+CONNACK {}\n", r.connections_ok,
                   r.connections_attempted, r.connect_seconds, r.connect_rate, latency_text(r.connect_latency));
  if (r.connections_failed > 0 || r.connections_lost > 0) {
    s += fmt::format("           {} failed to connect, {} closed by the broker\n", r.connections_failed, r.connections_lost);
  }
  if (r.mode == "idle") {
    s += fmt::format("hold:      {} connections open after {:.0f} s\n", r.held, r.hold_s);
  } else {
    s += fmt::format("sent:      {} msgs in {:.2f} s = {:.0f} msgs/s (completed {})\n", r.sent, r.publish_seconds,
                     r.sent_rate, r.completed);
    s += fmt::format("received:  {} msgs in {:.2f} s = {:.0f} msgs/s\n", r.received, r.receive_seconds, r.received_rate);
    s += fmt::format("loss:      {} of {} expected ({:.3f}%), out of order {}, unrecognised {}\n", r.lost, r.expected,
                     100.0 * r.loss_ratio, r.out_of_order, r.unrecognised);
    s += fmt::format("latency:   {}\n", latency_text(r.latency));
  }
  for (const auto& e : r.errors) s += fmt::format("error:     {}\n", e);
  return s;
}

std::string to_json(const Report& r) {
  boost::json::object o{
      {"mode", r.mode},
      {"scenario", r.scenario},
      {"version", r.version},
      {"qos", r.qos},
      {"publishers", r.publishers},
      {"subscribers", r.subscribers},
      {"payload_size", r.payload_size},
      {"threads", r.threads},
      {"rate_per_publisher", r.rate_per_publisher},
      {"duration_s", r.duration_s},
      {"connections_attempted", r.connections_attempted},
      {"connections_ok", r.connections_ok},
      {"connections_failed", r.connections_failed},
      {"connections_lost", r.connections_lost},
      {"connect_seconds", r.connect_seconds},
      {"connect_rate", r.connect_rate},
      {"connect_latency", latency_json(r.connect_latency)},
      {"sent", r.sent},
      {"completed", r.completed},
      {"expected", r.expected},
      {"received", r.received},
      {"lost", r.lost},
      {"loss_ratio", r.loss_ratio},
      {"out_of_order", r.out_of_order},
      {"unrecognised", r.unrecognised},
      {"publish_seconds", r.publish_seconds},
      {"receive_seconds", r.receive_seconds},
      {"sent_rate", r.sent_rate},
      {"received_rate", r.received_rate},
      {"latency", latency_json(r.latency)},
      {"held", r.held},
      {"hold_s", r.hold_s},
  };
  boost::json::array errors;
  for (const auto& e : r.errors) errors.emplace_back(e);
  o["errors"] = std::move(errors);
  return boost::json::serialize(o) + "\n";
}

}  // namespace tenet::bench
