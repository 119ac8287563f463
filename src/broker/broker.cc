#include "broker/broker.h"

#include <algorithm>
#include <chrono>
#include <functional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include "broker/connection.h"
#include "core/log.h"
#include "mqtt/topic.h"

namespace tenet::broker {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
thread_local std::size_t t_loop = SIZE_MAX;

std::uint8_t options_byte(const mqtt::SubscriptionOptions& o) {
  return static_cast<std::uint8_t>(static_cast<std::uint8_t>(o.qos) | (o.no_local ? 0x04 : 0) |
                                   (o.retain_as_published ? 0x08 : 0) | ((o.retain_handling & 3) << 4));
}
mqtt::SubscriptionOptions options_from(std::uint8_t b) {
  mqtt::SubscriptionOptions o;
  o.qos = static_cast<mqtt::Qos>(std::min(b & 3, 2));
  o.no_local = b & 0x04;
  o.retain_as_published = b & 0x08;
  o.retain_handling = (b >> 4) & 3;
  return o;
}
store::StoredMessage to_stored(const Message& m) {
  store::StoredMessage s;
  s.id = m.id();
  s.topic = std::string(m.topic());
  s.payload = std::string(m.payload_chars());
  s.qos = static_cast<std::uint8_t>(m.qos());
  s.retain = m.retain();
  s.properties = std::string(m.props_block());
  s.expires_at_ms = m.expires_at_ms();
  return s;
}
MessagePtr from_stored(const store::StoredMessage& s) {
  return Message::restore(s.topic, s.payload, s.properties, static_cast<mqtt::Qos>(std::min<int>(s.qos, 2)), s.retain,
                          s.expires_at_ms, s.id);
}
}  // namespace

std::size_t Broker::current_loop() { return t_loop; }

Broker::Broker(Options options, std::shared_ptr<asio::ssl::context> tls, const authz::Authorizer& authorizer,
               store::BrokerStore& store, core::Clock& clock)
    : options_(std::move(options)),
      tls_(std::move(tls)),
      authorizer_(authorizer),
      store_(store),
      clock_(clock),
      loops_(options_.threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : options_.threads) {
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    loop_state_.push_back(std::make_unique<LoopState>());
    asio::post(loops_.at(i), [i] { t_loop = i; });
  }
}

Broker::~Broker() { stop(); }

std::size_t Broker::session_count() const {
  std::lock_guard lock(registry_mu_);
  return sessions_.size();
}

// ---------------------------------------------------------------------------------------------
// Startup and shutdown

core::Result<void> Broker::load() {
  auto max_id = store_.max_message_id();
  if (!max_id) return core::propagate(std::move(max_id));
  next_message_id_.store(*max_id + 1);
  auto retained = store_.load_retained();
  if (!retained) return core::propagate(std::move(retained));
  for (const auto& r : *retained) retained_.restore(from_stored(r));
  auto sessions = store_.load_sessions();
  if (!sessions) return core::propagate(std::move(sessions));
  const std::int64_t now = clock_.unix_ms();
  std::vector<store::Op> expired;
  for (auto& st : *sessions) {
    const std::int64_t since = st.disconnected_at_ms == 0 ? now : st.disconnected_at_ms;
    if (st.expiry_interval_s != 0xFFFFFFFF &&
        since + static_cast<std::int64_t>(st.expiry_interval_s) * 1000 <= now) {
      expired.push_back(store::op::DeleteSession{st.client_id});
      continue;
    }
    const std::size_t home = std::hash<std::string>{}(st.client_id) % loops_.size();
    auto s = std::make_shared<Session>(st.client_id, home);
    s->expiry_interval = st.expiry_interval_s;
    s->set_persistent(true);
    for (const auto& sub : st.subscriptions) {
      SubscriptionState ss{options_from(sub.options), sub.identifier};
      s->subscriptions.emplace(sub.filter, ss);
      for (auto& ls : loop_state_) ls->index.add(sub.filter, Subscriber{s, ss.options, ss.identifier});
    }
    for (const auto& q : st.queue) {
      auto m = from_stored(q.message);
      if (q.packet_id != 0) {
        // Sent before the restart and not acknowledged: resent with its packet id and DUP
        // [MQTT-4.4.0-1], or (QoS 2 after PUBREC) answered with PUBREL.
        Inflight f;
        f.packet_id = q.packet_id;
        f.message = m;
        f.qos = static_cast<mqtt::Qos>(std::min<int>(q.qos, 2));
        f.stored = true;
        f.released = q.state == 1;
        s->inflight.push_back(std::move(f));
      } else {
        // A session that was online when the server died may have received it already: the
        // resend carries DUP ("might be a re-delivery", MQTT 3.3.1.1).
        s->queue.push_back(Queued{m, static_cast<mqtt::Qos>(std::min<int>(q.qos, 2)), false, true,
                                  st.disconnected_at_ms == 0});
      }
    }
    sessions_.emplace(st.client_id, s);
    // The expiry clock restarts now for sessions that were connected when the server stopped.
    asio::post(loops_.at(home), [this, s] { start_expiry(s); });
  }
  if (!expired.empty()) store_.submit(std::move(expired), {});
  core::log::info("store loaded: {} retained messages, {} persistent sessions", retained_.size(), sessions_.size());
  return {};
}

core::Result<void> Broker::start() {
  if (auto r = load(); !r) return r;
  try {
    acceptor_ = std::make_unique<tcp::acceptor>(loops_.at(0));
    tcp::endpoint ep(asio::ip::make_address(options_.bind_address), options_.port);
    acceptor_->open(ep.protocol());
    acceptor_->set_option(asio::socket_base::reuse_address(true));
    acceptor_->bind(ep);
    acceptor_->listen(asio::socket_base::max_listen_connections);
    endpoint_ = acceptor_->local_endpoint();
  } catch (const std::exception& e) {
    return core::fail(core::Errc::kUnavailable,
                      "cannot listen on " + options_.bind_address + ":" + std::to_string(options_.port) + ": " + e.what());
  }
  loops_.start();
  asio::post(loops_.at(0), [this] { accept_next(); });
  return {};
}

void Broker::accept_next() {
  if (stopping_) return;
  const std::size_t loop = next_loop_++ % loops_.size();
  acceptor_->async_accept(loops_.at(loop), [this, loop](boost::system::error_code ec, tcp::socket sock) {
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping_) return;
      core::log::warn("accept failed: {}", ec.message());
      accept_next();
      return;
    }
    stats_.connections_accepted.fetch_add(1, std::memory_order_relaxed);
    // A flood of half-open handshakes must not starve devices: refuse beyond the limit at once.
    if (handshakes_.load(std::memory_order_relaxed) >= options_.limits.max_concurrent_handshakes) {
      stats_.handshakes_rejected_busy.fetch_add(1, std::memory_order_relaxed);
      boost::system::error_code ignored;
      sock.close(ignored);
    } else {
      handshakes_.fetch_add(1, std::memory_order_relaxed);
      sock.set_option(tcp::no_delay(true));
      asio::post(loops_.at(loop), [this, loop, s = std::move(sock)]() mutable {
        auto conn = std::make_shared<Connection>(*this, loop, std::move(s), *tls_);
        loop_state_[loop]->connections.insert(conn.get());
        asio::co_spawn(loops_.at(loop), conn->run(), [conn](std::exception_ptr e) {
          if (!e) return;
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            core::log::error("connection {} ended by exception: {}", conn->principal().client_id, ex.what());
          }
        });
      });
    }
    accept_next();
  });
}

void Broker::stop() {
  if (stopping_.exchange(true)) return;
  if (acceptor_) {
    asio::post(loops_.at(0), [this] {
      boost::system::error_code ignored;
      acceptor_->close(ignored);
    });
  }
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    asio::post(loops_.at(i), [this, i] {
      auto conns = loop_state_[i]->connections;  // copy: close() erases
      for (auto* c : conns) c->close(mqtt::ReasonCode::kServerShuttingDown, true, false);
    });
  }
  // Give clients a moment to receive DISCONNECT 0x8B; sockets close once their writes drain.
  {
    std::unique_lock lock(live_mu_);
    live_cv_.wait_for(lock, std::chrono::seconds(3),
                      [this] { return stats_.connections_open.load(std::memory_order_relaxed) <= 0; });
  }
  // Remember when every persistent session went offline, so that expiry survives the restart.
  {
    std::lock_guard lock(registry_mu_);
    std::vector<store::Op> ops;
    const std::int64_t now = clock_.unix_ms();
    for (auto& [id, s] : sessions_) {
      if (s->persistent()) ops.push_back(store::op::PutSession{id, s->expiry_interval, now});
    }
    if (!ops.empty()) store_.submit(std::move(ops), {});
  }
  store_.flush();
  loops_.stop();
  // Timers and sockets hold sessions; break the cycles now that no loop runs.
  std::lock_guard lock(registry_mu_);
  for (auto& [id, s] : sessions_) {
    s->conn.reset();
    s->will_timer.reset();
    s->expiry_timer.reset();
  }
  for (auto& ls : loop_state_) ls->index.clear();
  sessions_.clear();
}

// ---------------------------------------------------------------------------------------------
// Sessions: connect, takeover, disconnect, expiry

void Broker::connect(const std::shared_ptr<Connection>& conn, const std::string& client_id, bool clean_start,
                     std::uint32_t expiry) {
  const std::size_t here = conn->loop();
  SessionPtr existing;
  {
    std::lock_guard lock(registry_mu_);
    auto it = sessions_.find(client_id);
    if (it == sessions_.end()) {
      auto s = std::make_shared<Session>(client_id, here);
      sessions_.emplace(client_id, s);
      attach(conn, s, false, expiry);
      return;
    }
    existing = it->second;
  }
  // Take over on the session's home loop [MQTT-3.1.4-3]: the old connection is told 0x8E and closed.
  asio::post(loops_.at(existing->home()), [this, conn, existing, clean_start, expiry, here] {
    if (existing->home() != t_loop) {  // moved meanwhile: follow it
      connect(conn, existing->client_id(), clean_start, expiry);
      return;
    }
    existing->will_timer.reset();
    existing->expiry_timer.reset();
    if (existing->pending_will && existing->conn == nullptr) {
      // A delayed will is cancelled when the session resumes before the delay ends [MQTT-3.1.3-9].
      existing->pending_will.reset();
    }
    if (auto old = existing->conn) {
      core::log::info("{}: session taken over by a new connection", existing->client_id());
      // Its will is handled by disconnected(), which sees the session is being reused.
      existing->conn.reset();
      existing->set_online(false);
      old->session_.reset();
      const bool publish_old_will = old->will_.has_value();
      auto will = std::move(old->will_);
      old->will_.reset();
      old->close(mqtt::ReasonCode::kSessionTakenOver, true, false);
      if (publish_old_will && will) publish_will(*will, old->principal());
    }
    const bool resume = !clean_start && !existing->ended;
    if (!resume) {
      end_session(existing);
      auto fresh = std::make_shared<Session>(existing->client_id(), here);
      {
        std::lock_guard lock(registry_mu_);
        sessions_[fresh->client_id()] = fresh;
      }
      asio::post(loops_.at(here), [this, conn, fresh, expiry] { attach(conn, fresh, false, expiry); });
      return;
    }
    // Move the session to the new connection's loop: post first, then publish the new home, so that
    // anything routed to the new home arrives after the attach.
    asio::post(loops_.at(here), [this, conn, existing, expiry] { attach(conn, existing, true, expiry); });
    existing->set_home(here);
  });
}

void Broker::attach(const std::shared_ptr<Connection>& conn, const SessionPtr& s, bool present, std::uint32_t expiry) {
  s->expiry_interval = expiry;
  const bool was_persistent = s->persistent();
  s->set_persistent(expiry > 0);
  if (was_persistent && expiry == 0) {
    // The session will end at disconnect: its stored rows go now, the in-memory state stays.
    store_.submit({store::op::DeleteSession{s->client_id()}}, {});
    for (auto& q : s->queue) q.stored = false;
    for (auto& f : s->inflight) f.stored = false;
  }
  if (expiry > 0) {
    std::vector<store::Op> ops{store::op::PutSession{s->client_id(), expiry, 0}};
    if (!was_persistent) {
      for (const auto& [filter, st] : s->subscriptions) {
        ops.push_back(store::op::PutSubscription{s->client_id(), {filter, options_byte(st.options), st.identifier}});
      }
    }
    store_.submit(std::move(ops), {});
  }
  s->conn = conn;
  s->set_online(true);
  conn->attached(s, present);
}

void Broker::disconnected(const std::shared_ptr<Connection>& conn, const SessionPtr& s, std::optional<WillState> will,
                          bool publish_will_flag) {
  if (s->conn != conn) {
    // Taken over already; the takeover handled this connection's will.
    return;
  }
  s->conn.reset();
  s->set_online(false);
  const authz::Principal who = conn->principal();
  if (stopping_) return;
  if (will && publish_will_flag) {
    if (will->delay_s > 0 && s->persistent()) {
      start_will_delay(s, std::move(*will), who);
    } else {
      publish_will(*will, who);
    }
  }
  if (!s->persistent()) {
    end_session(s);
    return;
  }
  persist_session(s, clock_.unix_ms());
  start_expiry(s);
}

void Broker::persist_session(const SessionPtr& s, std::int64_t disconnected_at_ms) {
  store_.submit({store::op::PutSession{s->client_id(), s->expiry_interval, disconnected_at_ms}}, {});
}

void Broker::start_expiry(const SessionPtr& s) {
  if (s->conn || s->ended || s->expiry_interval == 0xFFFFFFFF) return;
  s->expiry_timer = std::make_unique<asio::steady_timer>(loops_.at(s->home()));
  s->expiry_timer->expires_after(std::chrono::seconds(s->expiry_interval));
  s->expiry_timer->async_wait([this, weak = std::weak_ptr<Session>(s)](boost::system::error_code ec) {
    auto session = weak.lock();
    if (ec || !session || session->conn || session->ended) return;
    core::log::info("{}: session expired", session->client_id());
    if (session->pending_will) {
      // The session ends before the will delay: publish now [MQTT-3.1.2-8].
      auto will = std::move(*session->pending_will);
      session->pending_will.reset();
      publish_will(will, authz::Principal{"", "", session->client_id()});
    }
    end_session(session);
  });
}

void Broker::start_will_delay(const SessionPtr& s, WillState w, authz::Principal who) {
  const std::uint32_t delay = std::min(w.delay_s, s->expiry_interval);
  s->pending_will = std::move(w);
  s->will_timer = std::make_unique<asio::steady_timer>(loops_.at(s->home()));
  s->will_timer->expires_after(std::chrono::seconds(delay));
  s->will_timer->async_wait([this, weak = std::weak_ptr<Session>(s), who](boost::system::error_code ec) {
    auto session = weak.lock();
    if (ec || !session || !session->pending_will || session->conn) return;
    auto will = std::move(*session->pending_will);
    session->pending_will.reset();
    publish_will(will, who);
  });
}

void Broker::publish_will(const WillState& w, const authz::Principal& who) {
  // A will is a publish by its client: the same authorization applies, at the time it is sent.
  auto d = authorizer_.authorize(who, authz::Action::kPublish, w.message->topic());
  if (d.allowed() && w.message->retain()) d = authorizer_.authorize(who, authz::Action::kRetainPublish, w.message->topic());
  if (!d.allowed()) {
    stats_.authz_denied.fetch_add(1, std::memory_order_relaxed);
    core::log::info("deny will of {} to {}: {}", who.client_id, w.message->topic(), d.explain());
    return;
  }
  MessagePtr m = w.message;
  if (w.has_expiry) {
    mqtt::Properties props;
    m->fill_properties(props);
    m = Message::make(m->topic(), m->payload(), props, m->qos(), m->retain(),
                      clock_.unix_ms() + static_cast<std::int64_t>(w.expiry_s) * 1000, nullptr);
  }
  publish(m, {});
}

void Broker::end_session(const SessionPtr& s) {
  if (s->ended) return;
  s->ended = true;
  s->will_timer.reset();
  s->expiry_timer.reset();
  {
    std::lock_guard lock(registry_mu_);
    auto it = sessions_.find(s->client_id());
    if (it != sessions_.end() && it->second == s) sessions_.erase(it);
  }
  std::vector<std::string> filters;
  for (const auto& [f, st] : s->subscriptions) filters.push_back(f);
  s->subscriptions.clear();
  if (!filters.empty()) {
    for_each_loop(
        [s, filters](std::size_t, LoopState& ls) {
          for (const auto& f : filters) ls.index.remove(f, s.get());
        },
        {});
  }
  bool stored = false;
  for (const auto& q : s->queue) stored |= q.stored;
  for (const auto& f : s->inflight) stored |= f.stored;
  if (stored || s->persistent()) store_.submit({store::op::DeleteSession{s->client_id()}}, {});
  s->queue.clear();
  s->inflight.clear();
}

// ---------------------------------------------------------------------------------------------
// Subscriptions

void Broker::close_where(std::function<bool(const authz::Principal&)> match, mqtt::ReasonCode code,
                         std::string reason_string, std::function<void(std::size_t)> done, CloseOptions options) {
  auto closed = std::make_shared<std::atomic<std::size_t>>(0);
  auto shared_match = std::make_shared<decltype(match)>(std::move(match));
  auto why = std::make_shared<std::string>(std::move(reason_string));
  auto remaining = std::make_shared<std::atomic<std::size_t>>(loops_.size());
  auto shared_done = std::make_shared<std::function<void(std::size_t)>>(std::move(done));
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    asio::post(loops_.at(i), [this, i, closed, shared_match, why, code, remaining, shared_done, options] {
      auto conns = loop_state_[i]->connections;  // copy: close() may erase
      for (auto* c : conns) {
        if (c->accepted() && (*shared_match)(c->principal())) {
          core::log::info("closing {} (cert {}): {}", c->principal().client_id, c->principal().certificate_id.substr(0, 12),
                          *why);
          if (options.end_session) c->end_session_on_close();
          c->close(code, true, options.publish_will, *why);
          closed->fetch_add(1);
        }
      }
      if (remaining->fetch_sub(1) == 1 && *shared_done) (*shared_done)(closed->load());
    });
  }
}

void Broker::publish_event(std::string topic, std::string payload) {
  if (stopping_) return;
  asio::post(loops_.at(0), [this, topic = std::move(topic), payload = std::move(payload)] {
    if (stopping_) return;
    auto m = Message::make(topic, core::as_bytes(payload), mqtt::Properties{}, mqtt::Qos::k1, false, 0, nullptr);
    publish(m, {});
  });
}

void Broker::for_each_loop(std::function<void(std::size_t, LoopState&)> fn, std::function<void()> done) {
  const std::size_t from = t_loop;
  auto remaining = std::make_shared<std::atomic<std::size_t>>(loops_.size());
  auto shared_fn = std::make_shared<std::function<void(std::size_t, LoopState&)>>(std::move(fn));
  auto shared_done = std::make_shared<std::function<void()>>(std::move(done));
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    asio::post(loops_.at(i), [this, i, from, remaining, shared_fn, shared_done] {
      (*shared_fn)(i, *loop_state_[i]);
      if (remaining->fetch_sub(1) == 1 && *shared_done) {
        if (from == SIZE_MAX) {
          (*shared_done)();
        } else {
          asio::post(loops_.at(from), [shared_done] { (*shared_done)(); });
        }
      }
    });
  }
}

void Broker::subscribe(const SessionPtr& s, std::vector<std::pair<std::string, SubscriptionState>> subs,
                       std::function<void()> done) {
  const bool persist = s->persistent() && !subs.empty();
  // Done when every loop has the subscriptions and, for a persistent session, the store has them.
  auto pending = std::make_shared<std::atomic<int>>(persist ? 2 : 1);
  auto finish = std::make_shared<std::function<void()>>(std::move(done));
  const std::size_t from = t_loop;
  auto step = [pending, finish] {
    if (pending->fetch_sub(1) == 1 && *finish) (*finish)();
  };
  if (persist) {
    std::vector<store::Op> ops;
    for (const auto& [f, st] : subs) {
      ops.push_back(store::op::PutSubscription{s->client_id(), {f, options_byte(st.options), st.identifier}});
    }
    store_.submit(std::move(ops), [this, from, step](core::Result<void> r) {
      if (!r) core::log::error("storing subscriptions failed: {}", r.error().to_string());
      asio::post(loops_.at(from), step);
    });
  }
  for_each_loop(
      [s, subs = std::move(subs)](std::size_t, LoopState& ls) {
        for (const auto& [f, st] : subs) ls.index.add(f, Subscriber{s, st.options, st.identifier});
      },
      step);
}

void Broker::unsubscribe(const SessionPtr& s, std::vector<std::string> filters, std::function<void()> done) {
  if (s->persistent() && !filters.empty()) {
    std::vector<store::Op> ops;
    for (const auto& f : filters) ops.push_back(store::op::DeleteSubscription{s->client_id(), f});
    store_.submit(std::move(ops), {});
  }
  for_each_loop(
      [s, filters = std::move(filters)](std::size_t, LoopState& ls) {
        for (const auto& f : filters) ls.index.remove(f, s.get());
      },
      std::move(done));
}

void Broker::deliver_retained(const SessionPtr& s, const std::string& filter, const SubscriptionState& sub) {
  if (!options_.retained_for_wildcards && mqtt::has_wildcard(filter)) return;
  for (auto& m : retained_.match(filter, clock_.unix_ms())) {
    const auto qos = std::min(m->qos(), sub.options.qos);
    // Retained messages sent because of a new subscription carry RETAIN=1 [MQTT-3.3.1-8].
    deliver_local(Delivery{s, m->retain() ? m : m->with_retain(true), qos, true, false});
  }
}

// ---------------------------------------------------------------------------------------------
// Routing

void Broker::publish(const MessagePtr& m, std::function<void()> done) {
  const std::size_t here = t_loop == SIZE_MAX ? 0 : t_loop;
  std::vector<store::Op> ops;
  if (m->retain()) {
    // [MQTT-3.3.1-5..7]: store (or with an empty payload, delete) the topic's retained message.
    retained_.put(m);
    if (m->payload().empty()) {
      ops.push_back(store::op::DeleteRetained{std::string(m->topic())});
    } else {
      ops.push_back(store::op::PutRetained{to_stored(*m)});
    }
  }
  LoopState& ls = *loop_state_[here];
  ls.index.match(m->topic(), ls.scratch, [](const Session* s) { return s->online(); });
  // The common case (no store write) reuses the loop's vector: no allocation per publish.
  std::vector<Delivery> deliveries = std::move(ls.deliveries);
  deliveries.clear();
  store::op::Enqueue enqueue;
  for (const auto& match : ls.scratch) {
    const auto& opts = match.subscriber->options;
    if (opts.no_local && match.session == m->origin()) continue;  // [MQTT-3.8.3-3]
    const mqtt::Qos qos = std::min(m->qos(), opts.qos);
    // Live deliveries carry RETAIN=0 unless the subscription asked for Retain As Published.
    const bool retain = opts.retain_as_published && m->retain();
    const bool stored = qos != mqtt::Qos::k0 && match.session->persistent();
    if (stored) enqueue.targets.emplace_back(match.session->client_id(), static_cast<std::uint8_t>(qos));
    deliveries.push_back(Delivery{match.subscriber->session, m, qos, retain, stored});
  }
  if (!enqueue.targets.empty()) {
    m->set_id(next_message_id_.fetch_add(1, std::memory_order_relaxed));
    enqueue.message = to_stored(*m);
    ops.push_back(std::move(enqueue));
  }
  if (ops.empty()) {
    dispatch(deliveries);
    deliveries.clear();
    ls.deliveries = std::move(deliveries);
    if (done) done();
    return;
  }
  // Nothing acknowledged is lost: the publisher hears back only once the batch is durable.
  store_.submit(std::move(ops), [this, here, deliveries = std::move(deliveries), done = std::move(done)](
                                    core::Result<void> r) mutable {
    if (!r) core::log::error("store write failed: {}", r.error().to_string());
    asio::post(loops_.at(here), [this, deliveries = std::move(deliveries), done = std::move(done)]() mutable {
      dispatch(deliveries);
      if (done) done();
    });
  });
}

void Broker::dispatch(std::vector<Delivery>& deliveries) {
  const std::size_t here = t_loop;
  std::vector<std::vector<Delivery>> remote;
  for (auto& d : deliveries) {
    const std::size_t home = d.session->home();
    if (home == here) {
      deliver_local(std::move(d));
      continue;
    }
    if (remote.empty()) remote.resize(loops_.size());
    remote[home].push_back(std::move(d));
  }
  for (std::size_t i = 0; i < remote.size(); ++i) {
    if (remote[i].empty()) continue;
    // One post per destination loop and publish.
    asio::post(loops_.at(i), [this, batch = std::move(remote[i])]() mutable {
      for (auto& d : batch) deliver_local(std::move(d));
    });
  }
}

void Broker::drop(const Session& s, const Queued& q) {
  stats_.messages_dropped.fetch_add(1, std::memory_order_relaxed);
  if (q.stored) store_.submit({store::op::Dequeue{s.client_id(), q.message->id()}}, {});
}

void Broker::deliver_local(Delivery d) {
  Session& s = *d.session;
  if (s.home() != t_loop) {
    // The session moved (takeover from another loop): follow it.
    asio::post(loops_.at(s.home()), [this, d = std::move(d)]() mutable { deliver_local(std::move(d)); });
    return;
  }
  if (s.ended) return;
  Queued q{std::move(d.message), d.qos, d.retain, d.stored};
  if (q.message->expires_at_ms() != 0 && q.message->expires_at_ms() <= clock_.unix_ms()) {
    drop(s, q);
    return;
  }
  Connection* c = s.conn.get();
  if (q.qos == mqtt::Qos::k0) {
    if (c == nullptr || c->backlog_full()) {
      stats_.messages_dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    c->send_message(q.message, mqtt::Qos::k0, q.retain, 0, false);
    return;
  }
  if (c != nullptr && s.queue.empty() && s.inflight.size() < c->send_window()) {
    const std::uint16_t id = s.next_packet_id();
    if (c->send_message(q.message, q.qos, q.retain, id, false)) {
      mark_sent(s, q, id);
      s.inflight.push_back(Inflight{id, q.message, q.qos, q.retain, q.stored, false});
    } else {
      drop(s, q);
    }
    return;
  }
  if (s.queue.size() >= options_.limits.max_queued_messages) {
    // Logged at most once a second per loop: a flood of drops must not turn into a flood of writes.
    thread_local std::chrono::steady_clock::time_point last_log;
    thread_local std::uint64_t unlogged = 0;
    ++unlogged;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_log >= std::chrono::seconds(1)) {
      core::log::warn("{}: queue full ({} messages); dropped {} message(s) since the last report", s.client_id(),
                      s.queue.size(), unlogged);
      last_log = now;
      unlogged = 0;
    }
    drop(s, q);
    return;
  }
  s.queue.push_back(std::move(q));
}

void Broker::pump(Session& s) {
  Connection* c = s.conn.get();
  while (c != nullptr && !c->closing() && !s.queue.empty() && s.inflight.size() < c->send_window()) {
    Queued q = std::move(s.queue.front());
    s.queue.pop_front();
    if (q.message->expires_at_ms() != 0 && q.message->expires_at_ms() <= clock_.unix_ms()) {
      drop(s, q);
      continue;
    }
    const std::uint16_t id = s.next_packet_id();
    if (!c->send_message(q.message, q.qos, q.retain, id, q.dup)) {
      drop(s, q);
      continue;
    }
    mark_sent(s, q, id);
    s.inflight.push_back(Inflight{id, q.message, q.qos, q.retain, q.stored, false});
  }
}

void Broker::mark_sent(const Session& s, const Queued& q, std::uint16_t packet_id, std::uint8_t state) {
  // Not awaited: losing it in a crash only means a resend without DUP, which QoS 1/2 receivers handle.
  if (q.stored) store_.submit({store::op::MarkSent{s.client_id(), q.message->id(), packet_id, state}}, {});
}

void Broker::acked(Session& s, std::uint16_t packet_id) {
  auto it = std::find_if(s.inflight.begin(), s.inflight.end(), [&](const Inflight& f) { return f.packet_id == packet_id; });
  if (it == s.inflight.end()) return;
  if (it->stored) {
    store_.submit({store::op::Dequeue{s.client_id(), it->message->id()}}, {});
  }
  s.inflight.erase(it);
  pump(s);
}

}  // namespace tenet::broker
