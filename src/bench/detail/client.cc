#include "bench/detail/client.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>

#include "bench/payload.h"

namespace tenet::bench::detail {
namespace {

constexpr std::size_t kMaxErrors = 8;
constexpr std::size_t kIdleReadBuffer = 512;         // CONNACK fits; idle connections stay small
constexpr std::size_t kActiveReadBuffer = 64 * 1024;
constexpr std::size_t kMaxReadBuffer = 1024 * 1024;  // > kMaxPayload + headers
constexpr std::size_t kMaxBatch = 256;               // PUBLISH packets encoded per pump
constexpr std::size_t kMaxOutBytes = 32 * 1024;      // stop encoding while this much waits to be written

std::uint64_t now_ns(SteadyClock::time_point t) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

}  // namespace

void LoopState::error(std::string e) {
  if (errors.size() >= kMaxErrors) return;
  if (std::find(errors.begin(), errors.end(), e) != errors.end()) return;
  errors.push_back(std::move(e));
}

Client::Client(asio::io_context& io, ssl::context& tls, const RunSettings& settings, LoopState& loop, Role role,
               std::string client_id, std::string topic, std::uint32_t index)
    : stream_(io, tls),
      timer_(io),
      settings_(settings),
      loop_(loop),
      role_(role),
      client_id_(std::move(client_id)),
      topic_(std::move(topic)),
      index_(index),
      limiter_(settings.rate, std::max<std::uint64_t>(8, static_cast<std::uint64_t>(settings.rate / 100))) {
  limits_.server_side = false;
  limits_.max_packet_size = kMaxReadBuffer;
}

Client::~Client() = default;

void Client::start(std::function<void(bool)> done) {
  on_ready_ = std::move(done);
  connect_started_ = SteadyClock::now();
  rbuf_.resize(role_ == Role::kIdle ? kIdleReadBuffer : kActiveReadBuffer);
  timer_.expires_after(settings_.connect_timeout);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec && !self->ready_) self->fail("connect timed out (TCP + TLS + CONNACK/SUBACK)");
  });
  stream_.set_verify_callback(ssl::host_name_verification(settings_.endpoint.address().to_string()));
  stream_.lowest_layer().async_connect(settings_.endpoint, [self = shared_from_this()](const boost::system::error_code& ec) {
    if (self->closed_) return;
    if (ec) return self->fail("TCP connect: " + ec.message());
    boost::system::error_code ignored;
    self->stream_.lowest_layer().set_option(tcp::no_delay(true), ignored);
    self->stream_.async_handshake(ssl::stream_base::client, [self](const boost::system::error_code& hec) {
      if (self->closed_) return;
      if (hec) return self->fail("TLS handshake: " + hec.message());
      mqtt::Connect c;
      c.protocol_level = static_cast<std::uint8_t>(self->settings_.version);
      c.client_id = self->client_id_;
      c.clean_start = true;
      c.keep_alive = self->settings_.keep_alive;
      mqtt::encode(mqtt::Packet{c}, self->settings_.version, self->out_);
      self->flush();
      self->read();
    });
  });
}

void Client::fail(std::string why) {
  if (closed_) return;
  if (!ready_) {
    loop_.error(std::move(why));
    finish_start(false);
  } else if (!disconnecting_) {
    loop_.lost.add(1);
    loop_.error("connection lost: " + why);
  }
  shutdown_socket();
}

void Client::finish_start(bool ok) {
  if (!on_ready_) return;
  auto done = std::move(on_ready_);
  on_ready_ = nullptr;
  if (ok) {
    ready_ = true;
    timer_.cancel();
    loop_.connect.record(now_ns(SteadyClock::now()) - now_ns(connect_started_));
    loop_.connected.add(1);
  } else {
    loop_.failed.add(1);
  }
  done(ok);
}

void Client::read() {
  if (closed_) return;
  if (rbeg_ == rend_) {
    rbeg_ = rend_ = 0;
  } else if (rbeg_ > 0 && rbuf_.size() - rend_ < rbuf_.size() / 4) {
    std::memmove(rbuf_.data(), rbuf_.data() + rbeg_, rend_ - rbeg_);
    rend_ -= rbeg_;
    rbeg_ = 0;
  }
  if (rend_ == rbuf_.size()) {  // a packet larger than the buffer: grow
    if (rbuf_.size() >= kMaxReadBuffer) return fail("packet larger than the read buffer");
    rbuf_.resize(std::min(rbuf_.size() * 2, kMaxReadBuffer));
  }
  stream_.async_read_some(asio::buffer(rbuf_.data() + rend_, rbuf_.size() - rend_),
                          [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                            self->on_read(ec, n);
                          });
}

void Client::on_read(const boost::system::error_code& ec, std::size_t n) {
  if (closed_) return;
  if (ec) {
    if (disconnecting_) return shutdown_socket();
    return fail(ec == asio::error::eof || ec == ssl::error::stream_truncated ? "closed by the broker" : ec.message());
  }
  rend_ += n;
  while (rbeg_ < rend_ && !closed_) {
    auto r = mqtt::decode(mqtt::Bytes(rbuf_.data() + rbeg_, rend_ - rbeg_), settings_.version, limits_);
    if (!r) return fail("undecodable packet from the broker: " + r.error().to_string());
    if (!r->has_value()) break;
    const std::size_t size = (*r)->size;
    handle((*r)->packet);
    rbeg_ += size;
  }
  if (closed_) return;
  if (publishing_) pump();  // acks freed window space; fill it in one write
  flush();                  // acks we owe the broker
  read();
}

void Client::handle(const mqtt::Packet& p) {
  switch (mqtt::type_of(p)) {
    case mqtt::PacketType::kConnAck: {
      const auto& ack = std::get<mqtt::ConnAck>(p);
      if (ack.code != 0) return fail(fmt::format("CONNACK refused: code 0x{:02x}", ack.code));
      window_ = settings_.inflight;
      if (settings_.version == mqtt::Version::k5 && ack.props.receive_maximum) {
        window_ = std::min<std::size_t>(window_, *ack.props.receive_maximum);
      }
      if (role_ == Role::kSubscriber) {
        mqtt::Subscribe s;
        s.packet_id = 1;
        s.entries.push_back(mqtt::SubscribeEntry{topic_, mqtt::SubscriptionOptions{settings_.qos}});
        mqtt::encode(mqtt::Packet{std::move(s)}, settings_.version, out_);
        if (settings_.track_sequences) next_sequence_.assign(settings_.publishers, 0);
        return;
      }
      if (role_ == Role::kPublisher) {
        payload_.assign(settings_.payload_size, std::byte{'x'});
        id_in_use_.assign(65536, false);
      }
      return finish_start(true);
    }
    case mqtt::PacketType::kSubAck: {
      const auto& ack = std::get<mqtt::SubAck>(p);
      if (ack.codes.empty() || ack.codes[0] >= 0x80) {
        return fail(fmt::format("SUBACK refused {}: code 0x{:02x}", topic_, ack.codes.empty() ? 0 : ack.codes[0]));
      }
      return finish_start(true);
    }
    case mqtt::PacketType::kPublish:
      return on_publish(std::get<mqtt::Publish>(p));
    case mqtt::PacketType::kPubAck: {
      const auto& a = std::get<mqtt::PubAck>(p);
      return release(a.packet_id, a.reason);
    }
    case mqtt::PacketType::kPubRec: {
      const auto& a = std::get<mqtt::PubRec>(p);
      if (static_cast<std::uint8_t>(a.reason) >= 0x80) return release(a.packet_id, a.reason);
      mqtt::PubRel rel;
      rel.packet_id = a.packet_id;
      mqtt::encode(rel, settings_.version, out_);
      return;
    }
    case mqtt::PacketType::kPubComp: {
      const auto& a = std::get<mqtt::PubComp>(p);
      return release(a.packet_id, a.reason);
    }
    case mqtt::PacketType::kPubRel: {
      mqtt::PubComp comp;
      comp.packet_id = std::get<mqtt::PubRel>(p).packet_id;
      mqtt::encode(comp, settings_.version, out_);
      return;
    }
    case mqtt::PacketType::kDisconnect:
      return fail(fmt::format("DISCONNECT from the broker: reason 0x{:02x}",
                              static_cast<unsigned>(std::get<mqtt::Disconnect>(p).reason)));
    case mqtt::PacketType::kPingResp:
    case mqtt::PacketType::kUnsubAck:
    case mqtt::PacketType::kAuth:
    case mqtt::PacketType::kConnect:
    case mqtt::PacketType::kSubscribe:
    case mqtt::PacketType::kUnsubscribe:
    case mqtt::PacketType::kPingReq:
      return;
  }
}

void Client::on_publish(const mqtt::Publish& p) {
  const auto now = SteadyClock::now();
  if (const auto h = read_header(p.payload, settings_.run_id)) {
    const std::uint64_t t = now_ns(now);
    loop_.latency.record(t > h->sent_ns ? t - h->sent_ns : 0);
    if (h->publisher < next_sequence_.size()) {
      auto& next = next_sequence_[h->publisher];
      if (h->sequence < next) {
        ++loop_.out_of_order;
      } else {
        next = h->sequence + 1;
      }
    }
    loop_.last_receive = now;
    loop_.received.add(1);
  } else {
    ++loop_.unrecognised;
  }
  if (p.qos == mqtt::Qos::k1) {
    mqtt::PubAck ack;
    ack.packet_id = p.packet_id;
    mqtt::encode(ack, settings_.version, out_);
  } else if (p.qos == mqtt::Qos::k2) {
    mqtt::PubRec rec;
    rec.packet_id = p.packet_id;
    mqtt::encode(rec, settings_.version, out_);
  }
}

void Client::release(std::uint16_t id, mqtt::ReasonCode reason) {
  if (role_ != Role::kPublisher || id_in_use_.empty() || !id_in_use_[id]) {
    loop_.error(fmt::format("acknowledgement for unknown packet id {}", id));
    return;
  }
  id_in_use_[id] = false;
  --in_flight_;
  if (static_cast<std::uint8_t>(reason) >= 0x80) {
    loop_.error(fmt::format("publish refused by the broker: reason 0x{:02x}", static_cast<unsigned>(reason)));
    return;
  }
  ++completed_;
  loop_.completed.add(1);
}

void Client::start_publishing(SteadyClock::time_point end) {
  if (!ready() || role_ != Role::kPublisher) return;
  end_ = end;
  publishing_ = true;
  limiter_.start(SteadyClock::now());
  pump();
}

void Client::stop_publishing() {
  publishing_ = false;
  if (timer_armed_) timer_.cancel();
}

// Encodes as many PUBLISH packets as pacing, the QoS window and the write backlog allow, then writes
// them in one go. Called on start, on each write completion, after each read batch (acks) and by the
// pacing timer; every call is bounded by kMaxBatch.
void Client::pump() {
  if (!publishing_ || closed_) return;
  const auto now = SteadyClock::now();
  if (now >= end_) {
    publishing_ = false;
    return;
  }
  std::uint64_t budget = limiter_.available(now);
  const bool windowed = settings_.qos != mqtt::Qos::k0;
  std::size_t batch = 0;
  const std::uint64_t stamp = now_ns(now);
  mqtt::Publish pub;
  pub.topic = topic_;
  pub.qos = settings_.qos;
  while (budget > 0 && batch < kMaxBatch && out_.size() < kMaxOutBytes) {
    if (windowed) {
      if (in_flight_ >= window_) break;
      do {
        next_id_ = static_cast<std::uint16_t>(next_id_ + 1);
      } while (next_id_ == 0 || id_in_use_[next_id_]);
      id_in_use_[next_id_] = true;
      ++in_flight_;
      pub.packet_id = next_id_;
    }
    write_header(payload_, PayloadHeader{settings_.run_id, index_, sequence_++, stamp});
    pub.payload = mqtt::Bytes(payload_);
    mqtt::encode(pub, settings_.version, out_);
    --budget;
    ++batch;
  }
  if (batch > 0) {
    limiter_.consume(batch);
    sent_ += batch;
    if (!windowed) {
      completed_ += batch;
      loop_.completed.add(batch);
    }
    loop_.sent.add(batch);
    loop_.first_send = std::min(loop_.first_send, now);
    loop_.last_send = std::max(loop_.last_send, now);
    flush();
  }
  if (!limiter_.unlimited() && budget == 0) arm_pace_timer(std::min(limiter_.next_due(), end_));
}

void Client::arm_pace_timer(SteadyClock::time_point at) {
  if (timer_armed_) return;
  timer_armed_ = true;
  timer_.expires_at(at);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    self->timer_armed_ = false;
    if (!ec) self->pump();
  });
}

void Client::flush() {
  if (write_pending_ || out_.empty() || closed_) return;
  std::swap(out_, writing_);
  out_.clear();
  write_pending_ = true;
  asio::async_write(stream_, asio::buffer(writing_),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) { self->on_write(ec); });
}

void Client::on_write(const boost::system::error_code& ec) {
  write_pending_ = false;
  writing_.clear();
  if (closed_) return;
  if (ec) return fail("write: " + ec.message());
  if (disconnecting_ && out_.empty()) return shutdown_socket();
  pump();
  flush();
}

void Client::close() {
  if (closed_) return;
  publishing_ = false;
  if (!ready_) {
    fail("closed before it was ready");
    return;
  }
  disconnecting_ = true;
  timer_.cancel();
  mqtt::Disconnect d;
  mqtt::encode(mqtt::Packet{d}, settings_.version, out_);
  if (!write_pending_) flush();
}

void Client::shutdown_socket() {
  if (closed_) return;
  closed_ = true;
  publishing_ = false;
  boost::system::error_code ignored;
  timer_.cancel();
  stream_.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.lowest_layer().close(ignored);
  loop_.closed.add(1);
}

}  // namespace tenet::bench::detail
