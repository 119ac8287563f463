#include "bench/runner.h"

#include <algorithm>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include <boost/asio/post.hpp>

#include "bench/detail/client.h"
#include "bench/plan.h"
#include "core/net/loops.h"
#include "core/net/tls.h"

namespace tenet::bench {
namespace {

using detail::Client;
using detail::LoopState;
using detail::SteadyClock;
using namespace std::chrono_literals;

// A count the loops decrement and the main thread waits on, with a deadline.
class Countdown {
 public:
  explicit Countdown(std::size_t n) : n_(n) {}
  void done() {
    std::lock_guard lock(m_);
    if (n_ > 0 && --n_ == 0) cv_.notify_all();
  }
  bool wait_until(SteadyClock::time_point deadline) {
    std::unique_lock lock(m_);
    return cv_.wait_until(lock, deadline, [&] { return n_ == 0; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::size_t n_;
};

// Connects the clients of one loop, at most `limit` at a time; lives on that loop.
struct Connector : std::enable_shared_from_this<Connector> {
  std::vector<std::shared_ptr<Client>> clients;
  std::size_t limit = 1;
  std::size_t next = 0, active = 0, finished = 0;
  bool aborted = false;
  std::shared_ptr<Countdown> countdown;

  void launch() {
    if (clients.empty()) return countdown->done();
    while (!aborted && active < limit && next < clients.size()) {
      auto& c = clients[next++];
      ++active;
      c->start([self = shared_from_this()](bool) {
        --self->active;
        if (++self->finished == self->clients.size()) self->countdown->done();
        self->launch();
      });
    }
  }
};

LatencySummary summarize(const LatencyHistogram& h) {
  auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  LatencySummary s;
  s.count = h.count();
  s.p50 = us(h.percentile(0.50));
  s.p90 = us(h.percentile(0.90));
  s.p99 = us(h.percentile(0.99));
  s.p999 = us(h.percentile(0.999));
  s.max = us(h.max());
  s.mean = h.mean() / 1000.0;
  return s;
}

double seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

class Run {
 public:
  Run(Options o, const std::function<void(std::string_view)>& progress)
      : o_(std::move(o)), progress_(progress), loops_(o_.threads) {}

  ~Run() {
    // Stop the loops first (their threads join), then drop our references: pending handlers still
    // own clients and are destroyed with the io_contexts, which Loops owns.
    loops_.stop();
    for (auto& v : by_loop_) v.clear();
  }

  core::Result<Report> execute() {
    if (auto ok = setup(); !ok) return core::fail(std::move(ok.error()));
    loops_.start();
    Report r = o_.idle_connections > 0 ? run_idle() : run_load();
    shutdown();
    if (r.mode == "load") finish_load(r);
    r.errors.clear();
    for (const auto& l : states_) {
      for (const auto& e : l->errors) {
        if (r.errors.size() < 8 && std::find(r.errors.begin(), r.errors.end(), e) == r.errors.end()) r.errors.push_back(e);
      }
    }
    if (r.connections_ok == 0) {
      return core::fail(core::Errc::kUnavailable,
                        "no client could connect" + (r.errors.empty() ? std::string() : ": " + r.errors.front()));
    }
    return r;
  }

 private:
  void say(const std::string& s) const {
    if (progress_) progress_(s);
  }

  core::Result<void> setup() {
    for (const auto& ck : o_.client_certs) {
      auto ctx = core::net::make_client_context(core::net::ClientTlsOptions{o_.ca_pem, ck.cert_pem, ck.key_pem, {}});
      if (!ctx) return core::fail(std::move(ctx.error()).with_context("client TLS context"));
      tls_.push_back(std::move(*ctx));
    }
    boost::system::error_code ec;
    settings_.endpoint = detail::tcp::endpoint(boost::asio::ip::make_address(o_.host, ec), o_.port);
    if (ec) return core::fail(core::Errc::kInvalidArgument, "bad host " + o_.host);
    settings_.version = o_.version;
    settings_.qos = o_.qos;
    settings_.payload_size = o_.payload_size;
    settings_.rate = o_.rate;
    settings_.inflight = o_.inflight;
    settings_.keep_alive = o_.idle_connections > 0 ? kIdleKeepAlive : kLoadKeepAlive;
    settings_.connect_timeout = o_.connect_timeout;
    settings_.publishers = o_.publishers;
    settings_.run_id = static_cast<std::uint16_t>(std::random_device{}());
    settings_.track_sequences = o_.publishers * o_.subscribers <= 16'000'000;
    for (std::size_t i = 0; i < loops_.size(); ++i) states_.push_back(std::make_unique<LoopState>());
    by_loop_.resize(loops_.size());
    return {};
  }

  // Which loop a client lives on. With two or more loops, subscribers and publishers get separate
  // loops, so that publishers running flat out cannot starve the subscribers whose receipts (and
  // latencies) are being measured; the broker, not the load generator, should be the bottleneck.
  std::size_t loop_for(detail::Role role, std::size_t index) const {
    const std::size_t n = loops_.size();
    if (role == detail::Role::kIdle || n < 2 || o_.publishers == 0 || o_.subscribers == 0) return index % n;
    const std::size_t sub_loops = n / 2;
    if (role == detail::Role::kSubscriber) return index % sub_loops;
    return sub_loops + index % (n - sub_loops);
  }

  std::shared_ptr<Client> make_client(detail::Role role, std::size_t index, std::string client_id, std::string topic) {
    const std::size_t loop = loop_for(role, index);
    // Certificates round-robin per role and index; which one a client gets does not matter.
    auto c = std::make_shared<Client>(loops_.at(loop), *tls_[index % tls_.size()], settings_, *states_[loop], role,
                                      std::move(client_id), std::move(topic), static_cast<std::uint32_t>(index));
    by_loop_[loop].push_back(c);
    loop_of_[c.get()] = loop;
    return c;
  }

  // Connects `clients` (spread over the loops by make_client). Returns the ramp-up wall time.
  SteadyClock::duration connect_all(const std::vector<std::shared_ptr<Client>>& clients) {
    const auto t0 = SteadyClock::now();
    auto countdown = std::make_shared<Countdown>(loops_.size());
    std::vector<std::shared_ptr<Connector>> connectors;
    const std::size_t per_loop = std::max<std::size_t>(1, o_.connect_concurrency / loops_.size());
    for (std::size_t l = 0; l < loops_.size(); ++l) {
      auto c = std::make_shared<Connector>();
      c->limit = per_loop;
      c->countdown = countdown;
      connectors.push_back(c);
    }
    for (const auto& c : clients) connectors[loop_of_.at(c.get())]->clients.push_back(c);
    for (std::size_t l = 0; l < loops_.size(); ++l) {
      boost::asio::post(loops_.at(l), [c = connectors[l]] { c->launch(); });
    }
    // Each connection is bounded by connect_timeout; the whole ramp-up by this (never reached when
    // the broker answers at all).
    const auto waves = (clients.size() + o_.connect_concurrency - 1) / o_.connect_concurrency + 1;
    const auto cap = std::min<SteadyClock::duration>(o_.connect_timeout * waves, 300s);
    if (!countdown->wait_until(t0 + cap)) {
      say("ramp-up deadline reached; continuing with the connections made so far");
      auto aborted = std::make_shared<Countdown>(loops_.size());
      for (std::size_t l = 0; l < loops_.size(); ++l) {
        boost::asio::post(loops_.at(l), [c = connectors[l], aborted] {
          c->aborted = true;
          aborted->done();
        });
      }
      aborted->wait_until(SteadyClock::now() + 5s);
    }
    return SteadyClock::now() - t0;
  }

  // Runs `fn(client)` on each client's loop and waits (bounded) until every loop has done so.
  template <typename Fn>
  void on_each_loop(Fn fn, SteadyClock::duration timeout = 5s) {
    auto countdown = std::make_shared<Countdown>(loops_.size());
    for (std::size_t l = 0; l < loops_.size(); ++l) {
      boost::asio::post(loops_.at(l), [this, l, fn, countdown] {
        for (auto& c : by_loop_[l]) fn(*c);
        countdown->done();
      });
    }
    countdown->wait_until(SteadyClock::now() + timeout);
  }

  std::uint64_t sum(detail::LiveCounter LoopState::*field) const {
    std::uint64_t s = 0;
    for (const auto& l : states_) s += (l.get()->*field).get();
    return s;
  }

  void fill_connect(Report& r, std::size_t attempted, SteadyClock::duration ramp) const {
    LatencyHistogram connect;
    for (const auto& l : states_) connect.merge(l->connect);
    r.connections_attempted = attempted;
    r.connections_ok = sum(&LoopState::connected);
    r.connections_failed = attempted - std::min<std::uint64_t>(attempted, r.connections_ok);
    r.connect_seconds = seconds(ramp);
    r.connect_rate = r.connect_seconds > 0 ? static_cast<double>(r.connections_ok) / r.connect_seconds : 0;
    r.connect_latency = summarize(connect);
  }

  Report base_report(const char* mode) const {
    Report r;
    r.mode = mode;
    r.version = o_.version == mqtt::Version::k5 ? "5" : "3.1.1";
    r.threads = o_.threads;
    return r;
  }

  Report run_idle() {
    Report r = base_report("idle");
    std::vector<std::shared_ptr<Client>> clients;
    for (std::size_t i = 0; i < o_.idle_connections; ++i) {
      clients.push_back(make_client(detail::Role::kIdle, i, fmt::format("{}-idle-{}", o_.client_id_prefix, i), ""));
    }
    say(fmt::format("opening {} idle connections", clients.size()));
    const auto ramp = connect_all(clients);
    fill_connect(r, clients.size(), ramp);
    say(fmt::format("{} connected in {:.2f} s; holding for {} s", r.connections_ok, r.connect_seconds, o_.hold.count()));
    if (!o_.ready_file.empty()) {
      std::ofstream(o_.ready_file) << r.connections_ok << "\n";
    }
    const auto hold_end = SteadyClock::now() + o_.hold;
    while (SteadyClock::now() < hold_end) {
      std::this_thread::sleep_for(std::min<SteadyClock::duration>(100ms, hold_end - SteadyClock::now()));
      if (sum(&LoopState::lost) >= r.connections_ok) break;  // nothing left to hold
    }
    r.hold_s = o_.hold.count();
    r.connections_lost = sum(&LoopState::lost);
    r.held = r.connections_ok - std::min(r.connections_ok, r.connections_lost);
    return r;
  }

  Report run_load() {
    Report r = base_report("load");
    const Plan plan = make_plan(o_);
    r.scenario = std::string(to_string(o_.scenario));
    r.qos = static_cast<int>(o_.qos);
    r.publishers = o_.publishers;
    r.subscribers = o_.subscribers;
    r.payload_size = o_.payload_size;
    r.rate_per_publisher = o_.rate;
    r.duration_s = seconds(o_.duration);

    std::vector<std::shared_ptr<Client>> subs, pubs;
    for (std::size_t i = 0; i < o_.subscribers; ++i) {
      subs.push_back(make_client(detail::Role::kSubscriber, i, fmt::format("{}-sub-{}", o_.client_id_prefix, i),
                                 plan.subscriber_filters[i]));
    }
    for (std::size_t i = 0; i < o_.publishers; ++i) {
      pubs.push_back(make_client(detail::Role::kPublisher, i, fmt::format("{}-pub-{}", o_.client_id_prefix, i),
                                 plan.publisher_topics[i]));
    }
    say(fmt::format("connecting {} subscriber(s) to {}", subs.size(), plan.subscriber_filters.empty() ? "" : plan.subscriber_filters[0]));
    auto ramp = connect_all(subs);
    say(fmt::format("connecting {} publisher(s)", pubs.size()));
    ramp += connect_all(pubs);
    fill_connect(r, subs.size() + pubs.size(), ramp);

    const auto t0 = SteadyClock::now();
    const auto end = t0 + o_.duration;
    say(fmt::format("publishing for {:.1f} s", seconds(o_.duration)));
    on_each_loop([end](Client& c) { c.start_publishing(end); });

    // Publishing: wait out the duration; then drain until everything expected has arrived and every
    // QoS 1/2 flow is complete, nothing has moved for a second, or the drain deadline.
    std::this_thread::sleep_until(end);
    on_each_loop([](Client& c) { c.stop_publishing(); });
    const auto drain_end = SteadyClock::now() + o_.drain;
    auto last_change = SteadyClock::now();
    std::uint64_t last_seen = 0;
    while (SteadyClock::now() < drain_end) {
      const std::uint64_t sent = sum(&LoopState::sent), received = sum(&LoopState::received);
      const std::uint64_t completed = sum(&LoopState::completed);
      const bool all_acked = o_.qos == mqtt::Qos::k0 || completed >= sent;
      if (received >= sent * plan.receivers_per_message && all_acked) break;
      if (received + completed != last_seen) {
        last_seen = received + completed;
        last_change = SteadyClock::now();
      } else if (SteadyClock::now() - last_change > 1s) {
        break;
      }
      std::this_thread::sleep_for(10ms);
    }

    receivers_per_message_ = plan.receivers_per_message;
    return r;
  }

  // After the loops have stopped: final counters, latency and rates.
  void finish_load(Report& r) {
    r.sent = sum(&LoopState::sent);
    r.completed = sum(&LoopState::completed);
    r.received = sum(&LoopState::received);
    r.expected = r.sent * receivers_per_message_;
    r.lost = r.expected > r.received ? r.expected - r.received : 0;
    r.loss_ratio = r.expected > 0 ? static_cast<double>(r.lost) / static_cast<double>(r.expected) : 0;
    r.connections_lost = sum(&LoopState::lost);
    LatencyHistogram latency;
    auto first_send = SteadyClock::time_point::max();
    auto last_send = SteadyClock::time_point::min(), last_receive = SteadyClock::time_point::min();
    for (const auto& l : states_) {
      latency.merge(l->latency);
      r.out_of_order += l->out_of_order;
      r.unrecognised += l->unrecognised;
      first_send = std::min(first_send, l->first_send);
      last_send = std::max(last_send, l->last_send);
      last_receive = std::max(last_receive, l->last_receive);
    }
    r.latency = summarize(latency);
    if (r.sent > 0) {
      r.publish_seconds = std::max(seconds(last_send - first_send), 1e-3);
      r.sent_rate = static_cast<double>(r.sent) / std::max(r.publish_seconds, r.duration_s);
    }
    if (r.received > 0 && r.sent > 0) {
      r.receive_seconds = std::max(seconds(last_receive - first_send), 1e-3);
      r.received_rate = static_cast<double>(r.received) / r.receive_seconds;
    }
  }

  // Disconnects everyone (bounded), then stops the loops so that LoopState may be read.
  void shutdown() {
    on_each_loop([](Client& c) { c.close(); });
    const auto deadline = SteadyClock::now() + 3s;
    std::size_t total = 0;
    for (const auto& v : by_loop_) total += v.size();
    while (SteadyClock::now() < deadline && sum(&LoopState::closed) < total) std::this_thread::sleep_for(10ms);
    loops_.stop();
  }

  Options o_;
  const std::function<void(std::string_view)>& progress_;
  std::vector<std::shared_ptr<core::net::ssl::context>> tls_;  // outlive the loops and their streams
  detail::RunSettings settings_;
  std::uint64_t receivers_per_message_ = 0;
  std::vector<std::unique_ptr<LoopState>> states_;
  core::net::Loops loops_;
  std::vector<std::vector<std::shared_ptr<Client>>> by_loop_;
  std::unordered_map<const Client*, std::size_t> loop_of_;
};

}  // namespace

core::Result<Report> run(Options options, const std::function<void(std::string_view)>& progress) {
  if (auto ok = validate(options); !ok) return core::fail(std::move(ok.error()));
  Run run(std::move(options), progress);
  return run.execute();
}

}  // namespace tenet::bench
