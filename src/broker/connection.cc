#include "broker/connection.h"

#include <algorithm>
#include <cstring>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "broker/broker.h"
#include "broker/reason_codes.h"
#include "core/log.h"
#include "core/net/tls.h"

namespace tenet::broker {

namespace asio = boost::asio;
using asio::use_awaitable;
constexpr auto kTuple = asio::as_tuple(use_awaitable);

Connection::Connection(Broker& broker, std::size_t loop, asio::ip::tcp::socket socket, asio::ssl::context& tls)
    : broker_(broker),
      loop_(loop),
      stream_(std::move(socket), tls),
      keepalive_timer_(stream_.get_executor()),
      resume_timer_(stream_.get_executor()) {
  boost::system::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) peer_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  broker_.stats().connections_open.fetch_add(1, std::memory_order_relaxed);
}

Connection::~Connection() {
  broker_.stats().connections_open.fetch_sub(1, std::memory_order_relaxed);
  std::lock_guard lock(broker_.live_mu_);
  broker_.live_cv_.notify_all();
}

asio::awaitable<bool> Connection::handshake() {
  asio::steady_timer timer(stream_.get_executor());
  timer.expires_after(broker_.options().limits.handshake_timeout);
  bool timed_out = false;
  timer.async_wait([this, &timed_out](boost::system::error_code ec) {
    if (!ec) {
      timed_out = true;
      boost::system::error_code ignored;
      stream_.socket().close(ignored);
    }
  });
  auto ec = co_await stream_.async_handshake();
  timer.cancel();
  broker_.handshakes_.fetch_sub(1, std::memory_order_relaxed);
  if (ec) {
    broker_.stats().handshakes_failed.fetch_add(1, std::memory_order_relaxed);
    core::log::info("tls handshake from {} failed: {}", peer_, timed_out ? "timeout" : ec.message());
    co_return false;
  }
  principal_.certificate_id = core::net::peer_certificate_id(stream_.native_handle());
  principal_.common_name = core::net::peer_common_name(stream_.native_handle());
  if (principal_.certificate_id.empty()) {
    core::log::info("connection from {} refused: no client certificate", peer_);
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> Connection::run() {
  auto self = shared_from_this();
  if (!co_await handshake()) {
    shutdown_socket();
    co_return;
  }
  const auto& limits = broker_.options().limits;
  touch();
  // Until CONNECT arrives the keep-alive timer doubles as the CONNECT timeout.
  keepalive_timer_.expires_after(limits.connect_timeout);
  keepalive_timer_.async_wait([this, self](boost::system::error_code ec) {
    if (!ec && !connect_seen_) {
      core::log::info("{}: no CONNECT in time", peer_);
      close(mqtt::ReasonCode::kMaximumConnectTime, false, false);
    }
  });
  rbuf_.resize(4096);
  mqtt::DecodeLimits dl;
  dl.max_packet_size = limits.max_packet_size;
  dl.server_side = true;
  while (!socket_closed_) {
    if (rlen_ == rbuf_.size()) {
      // Grow only as far as the largest packet we accept needs.
      const std::size_t cap = std::min<std::size_t>(rbuf_.size() * 2, limits.max_packet_size + 8);
      if (cap <= rbuf_.size()) {
        reason_override_ = mqtt::ReasonCode::kPacketTooLarge;
        fail(core::Error{core::Errc::kResourceExhausted, "packet larger than maximum packet size"});
        break;
      }
      rbuf_.resize(cap);
    }
    auto [ec, n] = co_await stream_.async_read_some(rbuf_.data() + rlen_, rbuf_.size() - rlen_);
    if (ec) break;
    touch();
    rlen_ += n;
    // TlsStream completes a read inline when OpenSSL already has data: then yield once, so that a
    // client that keeps its socket full cannot starve the other connections of this loop.
    if (!stream_.last_read_waited()) co_await asio::post(stream_.get_executor(), use_awaitable);
    std::size_t off = 0;
    while (!closing_) {
      auto r = mqtt::decode(std::span(rbuf_.data() + off, rlen_ - off), version_, dl);
      if (!r) {
        // The codec's only kResourceExhausted is a packet over our Maximum Packet Size.
        if (r.error().code == core::Errc::kResourceExhausted) reason_override_ = mqtt::ReasonCode::kPacketTooLarge;
        fail(r.error());
        break;
      }
      if (!r->has_value()) break;
      const mqtt::Decoded& d = **r;
      off += d.size;
      if (auto h = handle(d.packet); !h) {
        fail(h.error());
        break;
      }
      // SUBSCRIBE/UNSUBSCRIBE take effect on every loop before the next packet of this connection
      // is processed, so a PUBLISH pipelined right behind them sees the new subscriptions.
      while (paused_ && !closing_) {
        resume_timer_.expires_at(std::chrono::steady_clock::time_point::max());
        co_await resume_timer_.async_wait(kTuple);
      }
    }
    if (closing_) break;
    if (off > 0) {
      std::memmove(rbuf_.data(), rbuf_.data() + off, rlen_ - off);
      rlen_ -= off;
    }
    // Shrink a buffer that grew for one big packet once it is idle again.
    if (rlen_ == 0 && rbuf_.size() > 65536) {
      rbuf_.resize(4096);
      rbuf_.shrink_to_fit();
    }
  }
  // The peer went away or we are closing: settle the session exactly once.
  keepalive_timer_.cancel();
  if (!closing_) closing_ = true;
  if (session_) {
    broker_.disconnected(self, session_, std::move(will_), publish_will_);
    session_.reset();
  }
  // Every accepted connection reports its end once, taken-over ones included (their session moved on).
  if (auto* h = broker_.hooks(); h && connected_) {
    h->on_disconnected(principal_, close_reason_.value_or(mqtt::ReasonCode::kUnspecifiedError), client_disconnect_,
                       !close_reason_.has_value());
  }
  // Let a final write (CONNACK refusal, DISCONNECT) drain, bounded; do_write closes the socket after it.
  if (!writing_ && out_.empty()) shutdown_socket();
  schedule_flush();
  const auto drain_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!socket_closed_ && std::chrono::steady_clock::now() < drain_deadline) {
    asio::steady_timer t(stream_.get_executor());
    t.expires_after(std::chrono::milliseconds(2));
    co_await t.async_wait(kTuple);
  }
  shutdown_socket();
}

core::Result<void> Connection::handle(const mqtt::Packet& p) {
  if (!connect_seen_ && !std::holds_alternative<mqtt::Connect>(p)) {
    return core::fail(core::Errc::kProtocolViolation, "first packet is not CONNECT");  // [MQTT-3.1.0-1]
  }
  return std::visit(
      [this](const auto& pkt) -> core::Result<void> {
        using T = std::decay_t<decltype(pkt)>;
        if constexpr (std::is_same_v<T, mqtt::Connect>) {
          if (connect_seen_) return core::fail(core::Errc::kProtocolViolation, "second CONNECT");  // [MQTT-3.1.0-2]
          return on_connect(pkt);
        } else if constexpr (std::is_same_v<T, mqtt::Publish>) {
          return on_publish(pkt);
        } else if constexpr (std::is_same_v<T, mqtt::PubAck>) {
          return on_puback(pkt);
        } else if constexpr (std::is_same_v<T, mqtt::PubRec>) {
          return on_pubrec(pkt);
        } else if constexpr (std::is_same_v<T, mqtt::PubRel>) {
          return on_pubrel(pkt);
        } else if constexpr (std::is_same_v<T, mqtt::PubComp>) {
          return on_pubcomp(pkt);
        } else if constexpr (std::is_same_v<T, mqtt::Subscribe>) {
          return on_subscribe(pkt);
        } else if constexpr (std::is_same_v<T, mqtt::Unsubscribe>) {
          return on_unsubscribe(pkt);
        } else if constexpr (std::is_same_v<T, mqtt::PingReq>) {
          send(mqtt::PingResp{});
          return {};
        } else if constexpr (std::is_same_v<T, mqtt::Disconnect>) {
          return on_disconnect(pkt);
        } else if constexpr (std::is_same_v<T, mqtt::Auth>) {
          return core::fail(core::Errc::kProtocolViolation, "enhanced authentication is not supported");
        } else {
          return core::fail(core::Errc::kProtocolViolation, "packet not allowed from a client");
        }
      },
      p);
}

core::Unexpected Connection::reject(mqtt::ReasonCode rc, core::Errc code, std::string detail) {
  reason_override_ = rc;
  return core::fail(code, std::move(detail));
}

// The only place where an error becomes bytes for the peer: a v5 client learns the reason code, the
// generic one for the error's category unless the handler named a more precise one (reject()).
void Connection::fail(const core::Error& e) {
  const mqtt::ReasonCode rc = reason_override_.value_or(to_reason_code(e.code));
  core::log::info("closing {} ({}): {}", principal_.client_id.empty() ? peer_ : principal_.client_id, peer_,
                  e.to_string());
  close(rc, connected_, true);
}

void Connection::refuse_connect(std::uint8_t v3_code, mqtt::ReasonCode v5_code, std::string_view why) {
  broker_.stats().connects_refused.fetch_add(1, std::memory_order_relaxed);
  core::log::info("CONNECT from {} ({}, cert {}) refused: {}", principal_.client_id, peer_,
                  principal_.certificate_id.substr(0, 12), why);
  mqtt::ConnAck ack;
  ack.code = version_ == mqtt::Version::k5 ? static_cast<std::uint8_t>(v5_code) : v3_code;
  if (version_ == mqtt::Version::k5 && problem_info_) ack.props.reason_string = why;
  send(ack);
  close(v5_code, false, false);
}

void Connection::close(mqtt::ReasonCode reason, bool notify, bool publish_will, std::string_view reason_string) {
  if (closing_) return;
  closing_ = true;
  close_reason_ = reason;
  publish_will_ = publish_will;
  if (notify && version_ == mqtt::Version::k5) {
    mqtt::Disconnect d;
    d.reason = reason;
    if (!reason_string.empty()) d.props.reason_string = reason_string;
    send(d);
  }
  keepalive_timer_.cancel();
  resume_timer_.cancel();
  // Stop reading: the read loop sees the error and settles the session. Pending output still drains.
  boost::system::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_receive, ignored);
  if (!writing_ && out_.empty()) {
    shutdown_socket();
  } else {
    schedule_flush();
  }
}

void Connection::shutdown_socket() {
  if (socket_closed_) return;
  socket_closed_ = true;
  boost::system::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
  broker_.loop_state_[loop_]->connections.erase(this);
}

void Connection::start_keepalive() {
  keepalive_timer_.cancel();
  if (keep_alive_ == 0) return;
  // [MQTT-3.1.2-24]: one and a half times the keep-alive with no packet from the client.
  const auto limit = std::chrono::milliseconds(static_cast<std::int64_t>(keep_alive_) * 1500);
  const auto deadline = last_rx_ + limit;
  keepalive_timer_.expires_at(deadline);
  keepalive_timer_.async_wait([this, self = shared_from_this(), limit](boost::system::error_code ec) {
    if (ec || closing_) return;
    if (std::chrono::steady_clock::now() - last_rx_ >= limit) {
      core::log::info("{}: keep-alive timeout ({} s)", principal_.client_id, keep_alive_);
      close(mqtt::ReasonCode::kKeepAliveTimeout, true, true);
    } else {
      start_keepalive();
    }
  });
}

template <typename P>
void Connection::send(const P& packet) {
  if (socket_closed_) return;
  mqtt::encode(packet, version_, out_);
  schedule_flush();
}

// Explicit instantiations used by other translation units.
template void Connection::send(const mqtt::ConnAck&);
template void Connection::send(const mqtt::PubAck&);
template void Connection::send(const mqtt::PubRec&);
template void Connection::send(const mqtt::PubComp&);
template void Connection::send(const mqtt::Disconnect&);
template void Connection::send(const mqtt::PingResp&);
template void Connection::send(const mqtt::PubRel&);

void Connection::schedule_flush() {
  if (flush_scheduled_ || writing_) return;
  flush_scheduled_ = true;
  // Deferred to the end of this loop turn so that everything queued in it goes out in one write.
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    self->flush_scheduled_ = false;
    self->do_write();
  });
}

void Connection::do_write() {
  if (writing_ || socket_closed_) return;
  if (out_.empty()) {
    if (closing_) shutdown_socket();
    return;
  }
  std::swap(out_, writing_buf_);
  out_.clear();
  writing_ = true;
  stream_.async_write(writing_buf_.data(), writing_buf_.size(),
                      [self = shared_from_this()](boost::system::error_code ec) {
                      self->writing_ = false;
                      self->writing_buf_.clear();
                      if (self->writing_buf_.capacity() > (1u << 20)) self->writing_buf_.shrink_to_fit();
                      if (ec) {
                        self->out_.clear();
                        self->closing_ = true;
                        self->shutdown_socket();
                        return;
                      }
                      self->do_write();
                    });
}

bool Connection::backlog_full() const {
  return out_.size() + writing_buf_.size() > broker_.options().limits.max_outbound_bytes;
}

bool Connection::send_message(const MessagePtr& m, mqtt::Qos qos, bool retain, std::uint16_t packet_id, bool dup) {
  if (closing_ || socket_closed_) return false;
  const auto d = broker_.authorizer().authorize(principal_, authz::Action::kReceive, m->topic());
  if (!d.allowed()) {
    broker_.stats().authz_denied.fetch_add(1, std::memory_order_relaxed);
    core::log::debug("deny iot:Receive {} -> {}: {}", m->topic(), principal_.client_id, d.explain());
    return false;
  }
  mqtt::Publish p;
  p.topic = m->topic();
  p.payload = m->payload();
  p.qos = qos;
  p.retain = retain;
  p.dup = dup;
  p.packet_id = packet_id;
  if (version_ == mqtt::Version::k5) {
    m->fill_properties(p.props);
    if (m->expires_at_ms() != 0) {
      const std::int64_t left = m->expires_at_ms() - broker_.clock().unix_ms();
      if (left <= 0) return false;  // expired in the queue [MQTT-3.3.2-5]
      p.props.message_expiry_interval = static_cast<std::uint32_t>((left + 999) / 1000);
    }
    // [MQTT-3.1.2-25]: never send a packet larger than the client's Maximum Packet Size.
    if (mqtt::encoded_size(p, version_) > client_max_packet_) return false;
  }
  mqtt::encode(p, version_, out_);
  broker_.stats().messages_out.fetch_add(1, std::memory_order_relaxed);
  schedule_flush();
  return true;
}

void Connection::send_pubrel(std::uint16_t packet_id) {
  mqtt::PubRel r;
  r.packet_id = packet_id;
  send(r);
}

void Connection::pause() { paused_ = true; }

void Connection::resume() {
  paused_ = false;
  resume_timer_.cancel();
}

void Connection::send_suback(std::uint16_t packet_id, std::vector<std::uint8_t> codes) {
  mqtt::SubAck a;
  a.packet_id = packet_id;
  a.codes = std::move(codes);
  mqtt::encode(mqtt::Packet(std::move(a)), version_, out_);
  schedule_flush();
}

void Connection::send_unsuback(std::uint16_t packet_id, std::vector<std::uint8_t> codes) {
  mqtt::UnsubAck a;
  a.packet_id = packet_id;
  a.codes = std::move(codes);
  mqtt::encode(mqtt::Packet(std::move(a)), version_, out_);
  schedule_flush();
}

std::uint64_t Connection::push_ack(mqtt::PacketType type, std::uint16_t id, mqtt::ReasonCode rc, bool ready) {
  acks_.push_back(PendingAck{type, id, rc, ready});
  ++inbound_inflight_;
  const std::uint64_t seq = acks_head_seq_ + acks_.size() - 1;
  if (ready) flush_acks();
  return seq;
}

void Connection::ack_ready(std::uint64_t seq) {
  if (seq < acks_head_seq_) return;
  const std::size_t i = static_cast<std::size_t>(seq - acks_head_seq_);
  if (i >= acks_.size()) return;
  acks_[i].ready = true;
  flush_acks();
}

void Connection::flush_acks() {
  while (!acks_.empty() && acks_.front().ready) {
    const PendingAck a = acks_.front();
    acks_.pop_front();
    ++acks_head_seq_;
    if (a.type == mqtt::PacketType::kPubAck) {
      --inbound_inflight_;
      mqtt::PubAck ack;
      ack.packet_id = a.packet_id;
      ack.reason = a.reason;
      send(ack);
    } else {
      // QoS 2 stays counted until PUBREL/PUBCOMP; a refused one is done now.
      if (a.reason != mqtt::ReasonCode::kSuccess) {
        --inbound_inflight_;
        if (session_) session_->inbound_qos2.erase(a.packet_id);
      }
      mqtt::PubRec rec;
      rec.packet_id = a.packet_id;
      rec.reason = a.reason;
      send(rec);
    }
  }
}

}  // namespace tenet::broker
