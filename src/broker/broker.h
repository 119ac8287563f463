#pragma once

// The MQTT broker: event loops, the mTLS listener, the session registry, routing, retained messages
// and persistence. Owns everything it runs; created and driven by the server's composition root.
// start()/stop() from one control thread; everything else runs on the loops.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "authz/authorizer.h"
#include "broker/hooks.h"
#include "broker/message.h"
#include "broker/options.h"
#include "broker/retained.h"
#include "broker/session.h"
#include "broker/subscription_index.h"
#include "core/clock.h"
#include "core/net/loops.h"
#include "core/result.h"
#include "store/broker_store.h"

namespace tenet::broker {

class Connection;

// Counters exported as metrics; relaxed atomics, read by anyone.
struct Stats {
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> handshakes_failed{0};
  std::atomic<std::uint64_t> handshakes_rejected_busy{0};
  std::atomic<std::uint64_t> connects_refused{0};
  std::atomic<std::uint64_t> messages_in{0};
  std::atomic<std::uint64_t> messages_out{0};
  std::atomic<std::uint64_t> messages_dropped{0};
  std::atomic<std::uint64_t> authz_denied{0};
  std::atomic<std::int64_t> connections_open{0};
};

// How Broker::close_where() ends the connections it closes.
struct CloseOptions {
  bool publish_will = false;  // true: the will is published as on any abnormal disconnect
  bool end_session = false;   // true: a persistent session is discarded too (DeleteConnection cleanSession)
};

class Broker {
 public:
  Broker(Options options, std::shared_ptr<boost::asio::ssl::context> tls, const authz::Authorizer& authorizer,
         store::BrokerStore& store, core::Clock& clock);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Loads persisted state, binds the listener and starts the loops.
  // Errors: kUnavailable (cannot bind), kInternal (store).
  core::Result<void> start();
  // The bound endpoint (after start).
  boost::asio::ip::tcp::endpoint endpoint() const { return endpoint_; }
  // Graceful stop: no new connections, DISCONNECT 0x8B to v5 clients, store flushed. Blocking.
  void stop();

  const Options& options() const { return options_; }
  const authz::Authorizer& authorizer() const { return authorizer_; }
  // Installs the identity/lifecycle hooks. REQUIRES: before start(); `hooks` outlives the broker.
  void set_hooks(Hooks* hooks) { hooks_ = hooks; }
  Hooks* hooks() const { return hooks_; }

  // ---- called from any thread (control plane, registries) ----

  // Closes, on every loop, each accepted connection whose principal matches: v5 clients get
  // DISCONNECT `code` with `reason_string`; wills are not published (the identity behind them is no
  // longer trusted). `done(closed)` runs off-loop once every loop has looked. Thread-safe.
  void close_where(std::function<bool(const authz::Principal&)> match, mqtt::ReasonCode code,
                   std::string reason_string, std::function<void(std::size_t closed)> done = {},
                   CloseOptions options = {});
  // Publishes a message from the server itself (lifecycle and registry events, QoS 1, not
  // retained) as if from a client with every permission. Thread-safe.
  void publish_event(std::string topic, std::string payload);
  core::Clock& clock() { return clock_; }
  Stats& stats() { return stats_; }
  boost::asio::io_context& loop_context(std::size_t i) { return loops_.at(i); }
  std::size_t session_count() const;

  // ---- called by connections, on their loop ----

  // Binds `conn` to the session of its client id (new, resumed or taken over). Ends with
  // conn->attached() on the session's (new) home loop.
  void connect(const std::shared_ptr<Connection>& conn, const std::string& client_id, bool clean_start,
               std::uint32_t expiry);
  // The connection is gone; `publish_will` says whether its will applies.
  void disconnected(const std::shared_ptr<Connection>& conn, const SessionPtr& session,
                    std::optional<WillState> will, bool publish_will);

  // Routes a message from the current loop. When any store write is needed (retain, persistent
  // subscribers) `done` runs on the current loop once they are durable; otherwise at once.
  // `done` may be empty (QoS 0).
  void publish(const MessagePtr& m, std::function<void()> done);

  // Adds/removes subscriptions of `session` on every loop's index; `done` runs on the calling loop
  // after all of them (and the store, for persistent sessions) have applied it.
  void subscribe(const SessionPtr& session, std::vector<std::pair<std::string, SubscriptionState>> subs,
                 std::function<void()> done);
  void unsubscribe(const SessionPtr& session, std::vector<std::string> filters, std::function<void()> done);

  // Retained messages for a new subscription, delivered on the session's loop.
  void deliver_retained(const SessionPtr& session, const std::string& filter, const SubscriptionState& sub);

  // Sends queued messages while the client's window has room (home loop).
  void pump(Session& s);
  // The client finished (PUBACK, PUBCOMP, refusing PUBREC) or can no longer take a message in flight:
  // frees its slot and its stored row, then sends more from the queue (home loop).
  void acked(Session& s, std::uint16_t packet_id);

  // The loop the calling thread runs, or SIZE_MAX off-loop.
  static std::size_t current_loop();

 private:
  struct Delivery {
    SessionPtr session;
    MessagePtr message;
    mqtt::Qos qos;
    bool retain;
    bool stored;
  };
  struct LoopState {
    SubscriptionIndex index;
    std::vector<Match> scratch;
    std::vector<Delivery> deliveries;  // reused by publishes that need no store write
    std::unordered_set<Connection*> connections;
  };

  void accept_next();
  void dispatch(std::vector<Delivery>& deliveries);
  void deliver_local(Delivery d);
  void end_session(const SessionPtr& s);
  void publish_will(const WillState& w, const authz::Principal& who);
  void attach(const std::shared_ptr<Connection>& conn, const SessionPtr& s, bool present, std::uint32_t expiry);
  void start_expiry(const SessionPtr& s);
  void start_will_delay(const SessionPtr& s, WillState w, authz::Principal who);
  void persist_session(const SessionPtr& s, std::int64_t disconnected_at_ms);
  core::Result<void> load();
  void for_each_loop(std::function<void(std::size_t, LoopState&)> fn, std::function<void()> done);
  void drop(const Session& s, const Queued& q);

 public:
  // Records in the store that a stored message went out with `packet_id` (state 1: PUBREC received).
  void mark_sent(const Session& s, const Queued& q, std::uint16_t packet_id, std::uint8_t state = 0);

 private:

  Options options_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  const authz::Authorizer& authorizer_;
  Hooks* hooks_ = nullptr;
  store::BrokerStore& store_;
  core::Clock& clock_;
  Stats stats_;
  // Declared before the loops: connections destroyed with a loop's queue still signal these.
  std::mutex live_mu_;
  std::condition_variable live_cv_;

  core::net::Loops loops_;
  std::vector<std::unique_ptr<LoopState>> loop_state_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::size_t next_loop_ = 0;
  std::atomic<std::size_t> handshakes_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> next_message_id_{1};
  RetainedMessages retained_;

  mutable std::mutex registry_mu_;
  std::unordered_map<std::string, SessionPtr> sessions_;  // GUARDED_BY(registry_mu_)

  friend class Connection;
};

}  // namespace tenet::broker
