// `tenet bench`: the load generator (src/bench/). Against a local tenet it reads the data dir for the
// address and mints device certificates in memory; against any other broker (mosquitto, ...) it takes
// --host/--port/--cafile/--cert/--key, and every client reuses that one certificate.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include <unistd.h>

#include "bench/options.h"
#include "bench/report.h"
#include "bench/runner.h"
#include "bench/target.h"
#include "cli/commands.h"
#include "pki/files.h"

namespace tenet::cli {
namespace {

struct Flags {
  std::string data_dir, host = "127.0.0.1", cafile, cert, key;
  int port = 0;
  std::string scenario = "fan-in", mqtt_version = "5", topic = "bench/{i}", ready_file, client_id_prefix;
  std::size_t publishers = 0, subscribers = 0, payload = 64, threads = 1, inflight = 64, concurrency = 100;
  std::size_t idle = 0, certs = 16;
  int qos = 0;
  double rate = 0, duration = 10, drain = 5, hold = 10, connect_timeout = 10;
  bool json = false, quiet = false;
};

std::chrono::milliseconds ms(double seconds) { return std::chrono::milliseconds(std::llround(seconds * 1000.0)); }

core::Result<bench::Options> to_options(const Flags& f) {
  bench::Options o;
  o.host = f.host;
  o.port = static_cast<std::uint16_t>(f.port);
  if (f.mqtt_version == "5" || f.mqtt_version == "5.0") {
    o.version = mqtt::Version::k5;
  } else if (f.mqtt_version == "3.1.1" || f.mqtt_version == "3" || f.mqtt_version == "4") {
    o.version = mqtt::Version::k311;
  } else {
    return core::fail(core::Errc::kInvalidArgument, "--mqtt-version must be 3.1.1 or 5");
  }
  auto scenario = bench::parse_scenario(f.scenario);
  if (!scenario) return core::fail(std::move(scenario.error()));
  o.scenario = *scenario;
  o.publishers = f.publishers;
  o.subscribers = f.subscribers;
  o.qos = static_cast<mqtt::Qos>(f.qos);
  o.payload_size = f.payload;
  o.rate = f.rate;
  o.duration = ms(f.duration);
  o.drain = ms(f.drain);
  o.topic_pattern = f.topic;
  o.inflight = f.inflight;
  o.threads = f.threads;
  o.connect_concurrency = f.concurrency;
  o.connect_timeout = ms(f.connect_timeout);
  o.idle_connections = f.idle;
  o.hold = std::chrono::seconds(std::llround(f.hold));
  o.ready_file = f.ready_file;
  o.client_id_prefix = f.client_id_prefix.empty() ? "bench-" + std::to_string(::getpid()) : f.client_id_prefix;

  if (!f.data_dir.empty()) {
    // A tenet data dir: its address (unless --port says otherwise), its CA, and fresh device certs.
    if (f.port == 0) {
      auto ep = bench::read_endpoint(f.data_dir);
      if (!ep) return core::fail(std::move(ep.error()));
      o.host = ep->host;
      o.port = ep->port;
    }
    auto ca = pki::read_file(f.data_dir + "/ca.pem");
    if (!ca) return core::fail(std::move(ca.error()).with_context("reading ca.pem"));
    o.ca_pem = std::move(*ca);
  }
  if (!f.cafile.empty()) {
    auto ca = pki::read_file(f.cafile);
    if (!ca) return core::fail(std::move(ca.error()).with_context("reading --cafile"));
    o.ca_pem = std::move(*ca);
  }
  if (!f.cert.empty() || !f.key.empty()) {
    if (f.cert.empty() || f.key.empty()) return core::fail(core::Errc::kInvalidArgument, "--cert and --key go together");
    auto cert = pki::read_file(f.cert);
    if (!cert) return core::fail(std::move(cert.error()).with_context("reading --cert"));
    auto key = pki::read_file(f.key);
    if (!key) return core::fail(std::move(key.error()).with_context("reading --key"));
    o.client_certs.push_back(pki::CertAndKey{std::move(*cert), std::move(*key)});
  } else if (!f.data_dir.empty()) {
    if (f.certs == 0 || f.certs > 10'000) return core::fail(core::Errc::kInvalidArgument, "--certs must be 1..10000");
    auto certs = bench::mint_client_certs(f.data_dir, f.certs, o.client_id_prefix);
    if (!certs) return core::fail(std::move(certs.error()));
    o.client_certs = std::move(*certs);
  }
  return o;
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("bench", "Load generator: MQTT over mTLS against a broker on loopback");
  cmd->footer(
      "Examples:\n"
      "  tenet bench --data-dir DIR --scenario fan-in --publishers 10 --qos 1\n"
      "  tenet bench --host 127.0.0.1 --port 8884 --cafile ca.pem --cert dev.pem --key dev.key --json\n"
      "  tenet bench --data-dir DIR --idle-connections 10000 --hold 30\n"
      "See docs/benchmarks.md.");
  auto* target = "Target";
  cmd->add_option("--data-dir", f->data_dir, "tenet data dir: address from endpoints.json, certs minted from ca.pem/ca.key")
      ->group(target);
  cmd->add_option("--host", f->host, "Broker address (loopback only)")->group(target);
  cmd->add_option("--port", f->port, "Broker MQTT/TLS port")->check(CLI::Range(1, 65535))->group(target);
  cmd->add_option("--cafile", f->cafile, "Broker trust anchor (PEM)")->check(CLI::ExistingFile)->group(target);
  cmd->add_option("--cert", f->cert, "Client certificate (PEM), reused by every client")->check(CLI::ExistingFile)->group(target);
  cmd->add_option("--key", f->key, "Client key (PEM)")->check(CLI::ExistingFile)->group(target);
  cmd->add_option("--certs", f->certs, "With --data-dir: device certificates to mint (clients reuse them round-robin)")
      ->group(target);
  cmd->add_option("--mqtt-version", f->mqtt_version, "3.1.1 | 5")->group(target);
  cmd->add_option("--client-id-prefix", f->client_id_prefix, "Client ids are PREFIX-pub-N, PREFIX-sub-N (default bench-PID)")
      ->group(target);

  auto* load = "Load";
  cmd->add_option("--scenario", f->scenario, "fan-in | fan-out | p2p")->group(load);
  cmd->add_option("-n,--publishers", f->publishers, "Publishers (default: fan-in 10, fan-out 1, p2p 10)")->group(load);
  cmd->add_option("-m,--subscribers", f->subscribers, "Subscribers (default: fan-in 1, fan-out 10, p2p = publishers)")->group(load);
  cmd->add_option("--qos", f->qos, "0 | 1 | 2")->check(CLI::Range(0, 2))->group(load);
  cmd->add_option("--payload", f->payload, "Payload bytes (>= 24: the header carries the send time)")->group(load);
  cmd->add_option("--rate", f->rate, "Messages/s per publisher; 0 = as fast as the broker accepts")->group(load);
  cmd->add_option("--duration", f->duration, "Seconds of publishing (max 300)")->group(load);
  cmd->add_option("--drain", f->drain, "Seconds to wait for in-flight messages afterwards (max 60)")->group(load);
  cmd->add_option("--topic", f->topic, "Topic pattern; {i} = publisher index")->group(load);
  cmd->add_option("--inflight", f->inflight, "QoS 1/2 window per publisher")->group(load);

  auto* idle = "Idle connections";
  cmd->add_option("--idle-connections", f->idle, "Open N idle connections (keep-alive 600 s) instead of a load run")
      ->group(idle);
  cmd->add_option("--hold", f->hold, "Seconds to hold them (max 600)")->group(idle);
  cmd->add_option("--ready-file", f->ready_file, "Written once all idle connections are up")->group(idle);

  cmd->add_option("--threads", f->threads, "Event loops in the load generator")->check(CLI::Range(1, 64));
  cmd->add_option("--connect-concurrency", f->concurrency, "TLS handshakes in flight at once");
  cmd->add_option("--connect-timeout", f->connect_timeout, "Seconds per connection: TCP + TLS + CONNACK");
  cmd->add_flag("--json", f->json, "Print the report as one JSON object");
  cmd->add_flag("-q,--quiet", f->quiet, "No progress lines on stderr");

  cmd->callback([f] {
    auto o = to_options(*f);
    if (!o) return set_exit_code(o.error());
    const bool quiet = f->quiet;
    auto progress = [quiet](std::string_view line) {
      if (!quiet) std::fprintf(stderr, "bench: %.*s\n", static_cast<int>(line.size()), line.data());
    };
    auto report = bench::run(std::move(*o), progress);
    if (!report) return set_exit_code(report.error());
    const std::string out = f->json ? bench::to_json(*report) : bench::to_text(*report);
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    set_exit_code(0);
  });
}

}  // namespace tenet::cli
