#pragma once

// One client's network connection: TLS stream, MQTT framing, keep-alive, the write queue. Lives on one
// event loop (all members are touched only there). Handlers per packet are in on_*.cc; the only place
// where an error becomes bytes for the peer is Connection::fail (connection.cc).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "authz/authorizer.h"
#include "broker/message.h"
#include "broker/session.h"
#include "core/net/tls_stream.h"
#include "core/result.h"
#include "mqtt/codec.h"
#include "mqtt/packet.h"

namespace tenet::broker {

class Broker;

class Connection : public std::enable_shared_from_this<Connection> {
 public:

  Connection(Broker& broker, std::size_t loop, boost::asio::ip::tcp::socket socket,
             boost::asio::ssl::context& tls);
  ~Connection();

  // Runs the connection to its end (handshake, CONNECT, packets). Spawned by the listener.
  boost::asio::awaitable<void> run();

  std::size_t loop() const { return loop_; }
  mqtt::Version version() const { return version_; }
  const authz::Principal& principal() const { return principal_; }
  bool accepted() const { return connected_ && !closing_; }  // CONNECT accepted, not closing
  // The session ends with this connection even if it is persistent. Call on the connection's loop.
  void end_session_on_close() {
    if (session_) session_->set_persistent(false);
  }

  // Called by the broker on the home loop once the session is bound: sends CONNACK and resumes.
  void attached(SessionPtr session, bool session_present);
  // Sends one message to the client (authorizes iot:Receive first). Returns false if it was not sent
  // (denied, too large for the client, or the connection is closing).
  bool send_message(const MessagePtr& m, mqtt::Qos qos, bool retain, std::uint16_t packet_id, bool dup);
  void send_pubrel(std::uint16_t packet_id);
  // Room left in the client's receive window for QoS 1/2 messages.
  std::size_t send_window() const { return client_receive_max_; }
  bool backlog_full() const;
  // Ends the connection: a v5 client gets DISCONNECT with `reason` first when `notify` is set.
  // `reason_string` goes into a v5 DISCONNECT (allowed whatever Request Problem Information says).
  void close(mqtt::ReasonCode reason, bool notify, bool publish_will, std::string_view reason_string = {});
  bool closing() const { return closing_; }

  void send_suback(std::uint16_t packet_id, std::vector<std::uint8_t> codes);
  void send_unsuback(std::uint16_t packet_id, std::vector<std::uint8_t> codes);
  void ack_ready(std::uint64_t seq);
  // Stops processing further packets until resume() (both on this connection's loop).
  void pause();
  void resume();

 private:
  friend class Broker;
  struct PendingAck {
    mqtt::PacketType type;  // PUBACK or PUBREC
    std::uint16_t packet_id;
    mqtt::ReasonCode reason;
    bool ready;
  };

  boost::asio::awaitable<bool> handshake();
  core::Result<void> handle(const mqtt::Packet& p);
  core::Result<void> on_connect(const mqtt::Connect& c);
  core::Result<void> on_publish(const mqtt::Publish& p);
  core::Result<void> on_puback(const mqtt::PubAck& p);
  core::Result<void> on_pubrec(const mqtt::PubRec& p);
  core::Result<void> on_pubrel(const mqtt::PubRel& p);
  core::Result<void> on_pubcomp(const mqtt::PubComp& p);
  core::Result<void> on_subscribe(const mqtt::Subscribe& s);
  core::Result<void> on_unsubscribe(const mqtt::Unsubscribe& u);
  core::Result<void> on_disconnect(const mqtt::Disconnect& d);
  void fail(const core::Error& e);
  // Fails the current packet with a specific v5 DISCONNECT reason code (for fail()).
  core::Unexpected reject(mqtt::ReasonCode rc, core::Errc code, std::string detail);
  void refuse_connect(std::uint8_t v3_code, mqtt::ReasonCode v5_code, std::string_view why);

  std::uint64_t push_ack(mqtt::PacketType type, std::uint16_t id, mqtt::ReasonCode rc, bool ready);
  void flush_acks();
  void start_keepalive();
  void touch() { last_rx_ = std::chrono::steady_clock::now(); }

  template <typename P>
  void send(const P& packet);
  void schedule_flush();
  void do_write();
  void shutdown_socket();

  Broker& broker_;
  const std::size_t loop_;
  core::net::TlsStream stream_;
  std::string peer_;
  authz::Principal principal_;
  mqtt::Version version_ = mqtt::Version::k311;
  bool connected_ = false;  // CONNECT accepted and session attached
  bool connect_seen_ = false;
  bool closing_ = false;
  bool socket_closed_ = false;
  bool publish_will_ = true;
  std::optional<mqtt::ReasonCode> reason_override_;  // set by reject(), read by fail()
  std::optional<mqtt::ReasonCode> close_reason_;     // why close() ended the connection (first call)
  bool client_disconnect_ = false;                   // the client sent DISCONNECT
  SessionPtr session_;
  std::optional<WillState> will_;
  bool clean_start_ = true;
  std::uint32_t requested_expiry_ = 0;
  std::uint32_t granted_expiry_ = 0;
  std::string assigned_client_id_;
  bool keep_alive_changed_ = false;

  // Client-imposed limits (v5 CONNECT properties).
  std::uint16_t client_receive_max_ = 65535;
  std::uint32_t client_max_packet_ = mqtt::kMaxRemainingLength + 5;
  bool problem_info_ = true;
  std::vector<std::string> topic_aliases_;  // client -> server, index = alias - 1

  // Keep-alive.
  std::uint16_t keep_alive_ = 0;
  std::chrono::steady_clock::time_point last_rx_;
  boost::asio::steady_timer keepalive_timer_;

  // Reading pauses while a SUBSCRIBE/UNSUBSCRIBE is being applied on every loop.
  bool paused_ = false;
  boost::asio::steady_timer resume_timer_;

  // Inbound acks, sent in PUBLISH order [MQTT-4.6.0-2..4].
  std::deque<PendingAck> acks_;
  std::uint64_t acks_head_seq_ = 0;
  std::size_t inbound_inflight_ = 0;

  // Reads.
  std::vector<std::byte> rbuf_;
  std::size_t rlen_ = 0;
  // Writes: packets encoded in one loop turn go out in one TLS write.
  mqtt::Buffer out_;
  mqtt::Buffer writing_buf_;
  bool writing_ = false;
  bool flush_scheduled_ = false;
};

}  // namespace tenet::broker
