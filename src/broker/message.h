#pragma once

// An application message as routed: immutable once built, shared by every delivery of it.
// Topic, payload and forwarded properties live in one allocation.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "mqtt/packet.h"

namespace tenet::broker {

class Message {
 public:
  // The MQTT 5 properties that travel with a message to subscribers ([MQTT-3.3.2-18..]): payload
  // format, content type, response topic, correlation data and user properties. Topic alias,
  // subscription identifier and message expiry are per delivery and not kept here.
  static std::shared_ptr<const Message> make(std::string_view topic, core::Bytes payload, const mqtt::Properties& props,
                                             mqtt::Qos qos, bool retain, std::int64_t expires_at_ms,
                                             const void* origin);
  // Rebuilds a message from its stored form (props_block as produced by props_block()).
  static std::shared_ptr<const Message> restore(std::string_view topic, std::string_view payload,
                                                std::string_view props_block, mqtt::Qos qos, bool retain,
                                                std::int64_t expires_at_ms, std::uint64_t id);

  std::string_view topic() const { return std::string_view(buf_).substr(0, topic_len_); }
  core::Bytes payload() const { return core::as_bytes(std::string_view(buf_).substr(topic_len_, payload_len_)); }
  std::string_view payload_chars() const { return std::string_view(buf_).substr(topic_len_, payload_len_); }
  // Encoded forwarded properties (may be empty), the stored form.
  std::string_view props_block() const { return std::string_view(buf_).substr(topic_len_ + payload_len_); }

  mqtt::Qos qos() const { return qos_; }
  bool retain() const { return retain_; }
  std::int64_t expires_at_ms() const { return expires_at_ms_; }
  std::uint64_t id() const { return id_; }
  void set_id(std::uint64_t id) const { id_ = id; }  // assigned once by the router, before sharing
  const void* origin() const { return origin_; }     // publishing session, for No Local

  // Fills the forwarded properties of an outgoing PUBLISH (views into this message).
  void fill_properties(mqtt::Properties& out) const;
  bool has_properties() const { return topic_len_ + payload_len_ < buf_.size(); }

  // A copy with another retain flag (for retained-message delivery and Retain As Published).
  std::shared_ptr<const Message> with_retain(bool retain) const;

 private:
  struct Key {};  // lets make_shared build a Message (one allocation for object and control block)

 public:
  explicit Message(Key) {}
  Message(Key, const Message& other) : Message(other) {}

 private:
  Message(const Message&) = default;
  void parse_props();

  std::string buf_;
  std::uint32_t topic_len_ = 0;
  std::uint32_t payload_len_ = 0;
  mqtt::Qos qos_ = mqtt::Qos::k0;
  bool retain_ = false;
  std::int64_t expires_at_ms_ = 0;
  mutable std::uint64_t id_ = 0;
  const void* origin_ = nullptr;
  // Parsed views into buf_'s property block.
  std::optional<std::uint8_t> payload_format_;
  std::optional<std::string_view> content_type_;
  std::optional<std::string_view> response_topic_;
  std::optional<core::Bytes> correlation_data_;
  core::Bytes user_props_;  // block of 0x26 entries only
};

using MessagePtr = std::shared_ptr<const Message>;

}  // namespace tenet::broker
