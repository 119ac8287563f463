// CONNECT: version, client id, keep-alive, will, session flags, iot:Connect; then the broker binds a
// session and attached() answers with CONNACK.
#include <random>

#include "broker/broker.h"
#include "broker/connection.h"
#include "core/net/tls.h"
#include "core/log.h"
#include "mqtt/topic.h"

namespace tenet::broker {
namespace {

std::string generated_client_id() {
  // AWS IoT assigns "$GEN/<uuid>" to v5 clients that send an empty client id.
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "$GEN/";
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) id.push_back('-');
    id.push_back(kHex[rng() & 15]);
  }
  return id;
}

}  // namespace

core::Result<void> Connection::on_connect(const mqtt::Connect& c) {
  connect_seen_ = true;
  const auto& limits = broker_.options().limits;
  if (c.protocol_level != 4 && c.protocol_level != 5) {
    version_ = mqtt::Version::k311;  // answer in the 3.1.1 format every client understands
    refuse_connect(static_cast<std::uint8_t>(mqtt::ConnectReturnCode::kUnacceptableProtocolVersion),
                   mqtt::ReasonCode::kUnsupportedProtocolVersion, "unsupported protocol level");
    return {};
  }
  version_ = c.version();
  const bool v5 = version_ == mqtt::Version::k5;
  if (v5) {
    if (c.props.request_problem_information) problem_info_ = *c.props.request_problem_information != 0;
    if (c.props.receive_maximum) client_receive_max_ = *c.props.receive_maximum;
    if (c.props.maximum_packet_size) client_max_packet_ = *c.props.maximum_packet_size;
    if (c.props.authentication_method) {
      refuse_connect(static_cast<std::uint8_t>(mqtt::ConnectReturnCode::kNotAuthorized),
                     mqtt::ReasonCode::kBadAuthenticationMethod,
                     "enhanced authentication is not supported; devices authenticate with X.509");
      return {};
    }
  }
  client_receive_max_ = std::min<std::uint16_t>(client_receive_max_, limits.max_inflight);

  // Client id [MQTT-3.1.3-5..9].
  std::string client_id(c.client_id);
  bool assigned = false;
  if (client_id.empty()) {
    if (!v5 && !c.clean_start) {
      refuse_connect(static_cast<std::uint8_t>(mqtt::ConnectReturnCode::kIdentifierRejected),
                     mqtt::ReasonCode::kClientIdentifierNotValid, "empty client id needs a clean session");
      return {};
    }
    client_id = generated_client_id();
    assigned = true;
  }
  if (client_id.size() > limits.max_client_id_length) {
    refuse_connect(static_cast<std::uint8_t>(mqtt::ConnectReturnCode::kIdentifierRejected),
                   mqtt::ReasonCode::kClientIdentifierNotValid, "client id too long");
    return {};
  }
  principal_.client_id = client_id;

  // Keep-alive: 0 or above the maximum means the maximum; v5 clients are told [MQTT-3.2.2-21].
  keep_alive_ = c.keep_alive;
  bool keep_alive_changed = false;
  if (keep_alive_ == 0 || keep_alive_ > limits.max_keep_alive) {
    keep_alive_ = limits.max_keep_alive;
    keep_alive_changed = true;
  }

  // Will: validated now, authorized when it is published (policies may change meanwhile).
  if (c.will) {
    const mqtt::TopicLimits tl{limits.max_topic_length, 0};
    if (auto ok = mqtt::validate_topic_name(c.will->topic, tl); !ok) {
      refuse_connect(static_cast<std::uint8_t>(mqtt::ConnectReturnCode::kNotAuthorized),
                     mqtt::ReasonCode::kTopicNameInvalid, "invalid will topic");
      return {};
    }
    WillState w;
    w.message = Message::make(c.will->topic, c.will->payload, c.will->props, c.will->qos, c.will->retain, 0, nullptr);
    if (v5) {
      w.delay_s = c.will->props.will_delay_interval.value_or(0);
      if (c.will->props.message_expiry_interval) {
        w.has_expiry = true;
        w.expiry_s = *c.will->props.message_expiry_interval;
      }
    }
    will_ = std::move(w);
  }

  // Session lifetime: v3 clean-session=0 gets the configured persistent expiry; v5 asks for its own.
  clean_start_ = c.clean_start;
  std::uint32_t expiry = 0;
  if (v5) {
    expiry = c.props.session_expiry_interval.value_or(0);
    if (expiry > limits.max_session_expiry && expiry != 0xFFFFFFFF) expiry = limits.max_session_expiry;
    if (expiry == 0xFFFFFFFF) expiry = limits.max_session_expiry;
  } else if (!c.clean_start) {
    expiry = limits.persistent_session_expiry;
  }
  requested_expiry_ = v5 ? c.props.session_expiry_interval.value_or(0) : expiry;

  // What policies may ask about this connection (aws:SourceIp, iot:ConnectAttributes).
  principal_.source_ip = peer_.front() == '[' ? peer_.substr(1, peer_.find(']') - 1) : peer_.substr(0, peer_.rfind(':'));
  principal_.persistent_connect = v5 ? c.props.session_expiry_interval.value_or(0) > 0 : !c.clean_start;
  principal_.last_will = will_.has_value();

  // Identity: the certificate must be registered and active, its CA too (docs/identity.md).
  if (auto* h = broker_.hooks()) {
    const std::string der = core::net::peer_certificate_der(stream_.native_handle());
    auto a = h->admit(principal_, der, peer_);
    if (!a.admitted) {
      broker_.stats().authz_denied.fetch_add(1, std::memory_order_relaxed);
      core::log::info("CONNECT {} ({}, cert {}): identity refused: {}", client_id, peer_,
                      principal_.certificate_id.substr(0, 12), a.log_reason);
      refuse_connect(static_cast<std::uint8_t>(mqtt::ConnectReturnCode::kNotAuthorized),
                     mqtt::ReasonCode::kNotAuthorized, a.public_reason.empty() ? "not authorized" : a.public_reason);
      return {};
    }
  }

  // iot:Connect: the resource is the client id.
  const auto d = broker_.authorizer().authorize(principal_, authz::Action::kConnect, client_id);
  if (!d.allowed()) {
    broker_.stats().authz_denied.fetch_add(1, std::memory_order_relaxed);
    refuse_connect(static_cast<std::uint8_t>(mqtt::ConnectReturnCode::kNotAuthorized),
                   mqtt::ReasonCode::kNotAuthorized, d.explain());
    return {};
  }
  if (v5) topic_aliases_.resize(limits.topic_alias_maximum);

  // Remember what CONNACK must say; attached() sends it.
  assigned_client_id_ = assigned ? client_id : std::string();
  keep_alive_changed_ = keep_alive_changed;
  granted_expiry_ = expiry;
  broker_.connect(shared_from_this(), client_id, c.clean_start, expiry);
  return {};
}

void Connection::attached(SessionPtr session, bool session_present) {
  if (closing_) {
    // The socket died while the session was being bound: hand it straight back.
    broker_.disconnected(shared_from_this(), session, std::move(will_), publish_will_);
    return;
  }
  session_ = std::move(session);
  connected_ = true;
  const auto& limits = broker_.options().limits;
  mqtt::ConnAck ack;
  ack.session_present = session_present;
  ack.code = 0;
  if (version_ == mqtt::Version::k5) {
    ack.props.receive_maximum = limits.receive_maximum;
    ack.props.maximum_packet_size = limits.max_packet_size;
    ack.props.topic_alias_maximum = limits.topic_alias_maximum;
    ack.props.retain_available = 1;
    ack.props.wildcard_subscription_available = 1;
    ack.props.shared_subscription_available = 1;
    ack.props.subscription_identifier_available = 0;
    if (!assigned_client_id_.empty()) ack.props.assigned_client_identifier = assigned_client_id_;
    if (keep_alive_changed_) ack.props.server_keep_alive = keep_alive_;
    if (granted_expiry_ != requested_expiry_) ack.props.session_expiry_interval = granted_expiry_;
  }
  send(ack);
  if (auto* h = broker_.hooks()) h->on_connected(principal_, peer_, session_present);
  core::log::debug("{} connected ({}, v{}, cert {}, session {})", principal_.client_id, peer_,
                   version_ == mqtt::Version::k5 ? 5 : 3, principal_.certificate_id.substr(0, 12),
                   session_present ? "resumed" : "new");
  start_keepalive();
  // Resume: unacknowledged messages first, with DUP [MQTT-4.4.0-1], then the queue.
  std::vector<std::uint16_t> undeliverable;
  for (auto& f : session_->inflight) {
    if (f.released) {
      send_pubrel(f.packet_id);
    } else if (!send_message(f.message, f.qos, f.retain, f.packet_id, true)) {
      undeliverable.push_back(f.packet_id);  // now denied, expired or too large: settle it as dropped
    }
  }
  for (auto id : undeliverable) broker_.acked(*session_, id);
  broker_.pump(*session_);
}

}  // namespace tenet::broker
