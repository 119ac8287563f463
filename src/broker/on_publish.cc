// PUBLISH from a client and the QoS 1/2 acknowledgement packets in both directions.
#include "broker/broker.h"
#include "broker/connection.h"
#include "core/log.h"
#include "mqtt/topic.h"

namespace tenet::broker {

core::Result<void> Connection::on_publish(const mqtt::Publish& p) {
  const auto& limits = broker_.options().limits;
  const bool v5 = version_ == mqtt::Version::k5;
  broker_.stats().messages_in.fetch_add(1, std::memory_order_relaxed);

  // Topic aliases, client -> server [MQTT-3.3.2-7..12].
  std::string_view topic = p.topic;
  if (v5 && p.props.topic_alias) {
    const std::uint16_t alias = *p.props.topic_alias;
    if (alias == 0 || alias > topic_aliases_.size()) {
      return reject(mqtt::ReasonCode::kTopicAliasInvalid, core::Errc::kInvalidArgument, "topic alias out of range");
    }
    if (topic.empty()) {
      if (topic_aliases_[alias - 1].empty()) return core::fail(core::Errc::kProtocolViolation, "unknown topic alias");
      topic = topic_aliases_[alias - 1];
    } else {
      topic_aliases_[alias - 1].assign(topic);
    }
  } else if (topic.empty()) {
    return core::fail(core::Errc::kProtocolViolation, "empty topic name without a topic alias");
  }
  const mqtt::TopicLimits tl{limits.max_topic_length, 0};
  if (auto ok = mqtt::validate_topic_name(topic, tl); !ok) {
    return reject(mqtt::ReasonCode::kTopicNameInvalid, core::Errc::kInvalidArgument,
                  "topic name invalid: " + ok.error().detail);
  }

  if (p.qos == mqtt::Qos::k2 && session_->inbound_qos2.count(p.packet_id)) {
    // A resent QoS 2 PUBLISH we already own: acknowledge again, do not route twice [MQTT-4.3.3-9].
    mqtt::PubRec rec;
    rec.packet_id = p.packet_id;
    send(rec);
    return {};
  }
  if (p.qos != mqtt::Qos::k0 && inbound_inflight_ >= limits.receive_maximum) {
    return reject(mqtt::ReasonCode::kReceiveMaximumExceeded, core::Errc::kResourceExhausted,
                  "receive maximum exceeded");  // [MQTT-3.3.4-9]
  }

  // Authorization: iot:Publish, plus iot:RetainPublish for a retained message.
  auto d = broker_.authorizer().authorize(principal_, authz::Action::kPublish, topic);
  if (d.allowed() && p.retain) d = broker_.authorizer().authorize(principal_, authz::Action::kRetainPublish, topic);
  if (!d.allowed()) {
    broker_.stats().authz_denied.fetch_add(1, std::memory_order_relaxed);
    core::log::info("deny {} {} by {}: {}", p.retain ? "iot:RetainPublish" : "iot:Publish", topic,
                    principal_.client_id, d.explain());
    if (!v5) {
      // MQTT 3.1.1 has no negative PUBACK: close, as AWS IoT does [MQTT-3.3.5-2].
      return core::fail(core::Errc::kPermissionDenied, "publish not authorized");
    }
    if (p.qos == mqtt::Qos::k1) push_ack(mqtt::PacketType::kPubAck, p.packet_id, mqtt::ReasonCode::kNotAuthorized, true);
    if (p.qos == mqtt::Qos::k2) push_ack(mqtt::PacketType::kPubRec, p.packet_id, mqtt::ReasonCode::kNotAuthorized, true);
    return {};
  }

  std::int64_t expires_at = 0;
  if (v5 && p.props.message_expiry_interval) {
    expires_at = broker_.clock().unix_ms() + static_cast<std::int64_t>(*p.props.message_expiry_interval) * 1000;
  }
  auto msg = Message::make(topic, p.payload, p.props, p.qos, p.retain, expires_at, session_.get());

  if (p.qos == mqtt::Qos::k0) {
    broker_.publish(msg, {});
    return {};
  }
  const auto type = p.qos == mqtt::Qos::k1 ? mqtt::PacketType::kPubAck : mqtt::PacketType::kPubRec;
  if (p.qos == mqtt::Qos::k2) session_->inbound_qos2.insert(p.packet_id);
  const std::uint64_t seq = push_ack(type, p.packet_id, mqtt::ReasonCode::kSuccess, false);
  broker_.publish(msg, [self = shared_from_this(), seq] { self->ack_ready(seq); });
  return {};
}

core::Result<void> Connection::on_pubrel(const mqtt::PubRel& r) {
  mqtt::PubComp c;
  c.packet_id = r.packet_id;
  if (session_->inbound_qos2.erase(r.packet_id) > 0) {
    if (inbound_inflight_ > 0) --inbound_inflight_;
  } else if (version_ == mqtt::Version::k5) {
    c.reason = mqtt::ReasonCode::kPacketIdentifierNotFound;
  }
  send(c);
  return {};
}

core::Result<void> Connection::on_puback(const mqtt::PubAck& a) {
  broker_.acked(*session_, a.packet_id);
  return {};
}

core::Result<void> Connection::on_pubrec(const mqtt::PubRec& r) {
  for (auto& f : session_->inflight) {
    if (f.packet_id != r.packet_id) continue;
    if (static_cast<std::uint8_t>(r.reason) >= 0x80) {
      broker_.acked(*session_, r.packet_id);  // the client refused it: done [MQTT-4.3.3-4]
      return {};
    }
    f.released = true;
    broker_.mark_sent(*session_, Queued{f.message, f.qos, f.retain, f.stored}, f.packet_id, 1);
    send_pubrel(r.packet_id);
    return {};
  }
  // Unknown id: answer PUBREL anyway so the client can finish its state [MQTT-4.3.3].
  send_pubrel(r.packet_id);
  return {};
}

core::Result<void> Connection::on_pubcomp(const mqtt::PubComp& c) {
  broker_.acked(*session_, c.packet_id);
  return {};
}

core::Result<void> Connection::on_disconnect(const mqtt::Disconnect& d) {
  // Only a Normal disconnection (0x00) discards the will [MQTT-3.14.4-3], [MQTT-3.1.2-8].
  const bool with_will = version_ == mqtt::Version::k5 && d.reason != mqtt::ReasonCode::kSuccess;
  if (version_ == mqtt::Version::k5 && d.props.session_expiry_interval) {
    // [MQTT-3.14.2-2]: a session that was 0 at CONNECT cannot be given an expiry at DISCONNECT.
    if (requested_expiry_ == 0 && *d.props.session_expiry_interval != 0) {
      return core::fail(core::Errc::kProtocolViolation, "session expiry set at DISCONNECT after 0 at CONNECT");
    }
    std::uint32_t e = *d.props.session_expiry_interval;
    const auto max = broker_.options().limits.max_session_expiry;
    if (e > max) e = max;
    session_->expiry_interval = e;
    session_->set_persistent(e > 0);
  }
  client_disconnect_ = true;
  close(version_ == mqtt::Version::k5 ? d.reason : mqtt::ReasonCode::kSuccess, false,
        with_will);  // a normal DISCONNECT discards the will [MQTT-3.14.4-3]
  return {};
}

}  // namespace tenet::broker
