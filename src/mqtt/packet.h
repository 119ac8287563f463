#pragma once

// MQTT 3.1.1 and 5.0 control packets as plain structs (docs/formats/mqtt.md).
// Decoded packets are *views*: their string_views and byte spans point into the buffer that was
// decoded and are valid only while that buffer is. This keeps decoding allocation-free on the hot
// path (PUBLISH, acks, PING); SUBSCRIBE/UNSUBSCRIBE/SUBACK use vectors, they are rare.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/bytes.h"

namespace tenet::mqtt {

using core::Bytes;

enum class Version : std::uint8_t { k311 = 4, k5 = 5 };

enum class Qos : std::uint8_t { k0 = 0, k1 = 1, k2 = 2 };

enum class PacketType : std::uint8_t {
  kConnect = 1,
  kConnAck = 2,
  kPublish = 3,
  kPubAck = 4,
  kPubRec = 5,
  kPubRel = 6,
  kPubComp = 7,
  kSubscribe = 8,
  kSubAck = 9,
  kUnsubscribe = 10,
  kUnsubAck = 11,
  kPingReq = 12,
  kPingResp = 13,
  kDisconnect = 14,
  kAuth = 15,
};

// MQTT 5 reason codes (spec 2.4). MQTT 3.1.1 CONNACK return codes are a separate enum below.
enum class ReasonCode : std::uint8_t {
  kSuccess = 0x00,  // also Normal disconnection, Granted QoS 0
  kGrantedQos1 = 0x01,
  kGrantedQos2 = 0x02,
  kDisconnectWithWill = 0x04,
  kNoMatchingSubscribers = 0x10,
  kNoSubscriptionExisted = 0x11,
  kContinueAuthentication = 0x18,
  kReAuthenticate = 0x19,
  kUnspecifiedError = 0x80,
  kMalformedPacket = 0x81,
  kProtocolError = 0x82,
  kImplementationSpecificError = 0x83,
  kUnsupportedProtocolVersion = 0x84,
  kClientIdentifierNotValid = 0x85,
  kBadUserNameOrPassword = 0x86,
  kNotAuthorized = 0x87,
  kServerUnavailable = 0x88,
  kServerBusy = 0x89,
  kBanned = 0x8A,
  kServerShuttingDown = 0x8B,
  kBadAuthenticationMethod = 0x8C,
  kKeepAliveTimeout = 0x8D,
  kSessionTakenOver = 0x8E,
  kTopicFilterInvalid = 0x8F,
  kTopicNameInvalid = 0x90,
  kPacketIdentifierInUse = 0x91,
  kPacketIdentifierNotFound = 0x92,
  kReceiveMaximumExceeded = 0x93,
  kTopicAliasInvalid = 0x94,
  kPacketTooLarge = 0x95,
  kMessageRateTooHigh = 0x96,
  kQuotaExceeded = 0x97,
  kAdministrativeAction = 0x98,
  kPayloadFormatInvalid = 0x99,
  kRetainNotSupported = 0x9A,
  kQosNotSupported = 0x9B,
  kUseAnotherServer = 0x9C,
  kServerMoved = 0x9D,
  kSharedSubscriptionsNotSupported = 0x9E,
  kConnectionRateExceeded = 0x9F,
  kMaximumConnectTime = 0xA0,
  kSubscriptionIdentifiersNotSupported = 0xA1,
  kWildcardSubscriptionsNotSupported = 0xA2,
};

// MQTT 3.1.1 CONNACK return codes (spec 3.2.2.3).
enum class ConnectReturnCode : std::uint8_t {
  kAccepted = 0,
  kUnacceptableProtocolVersion = 1,
  kIdentifierRejected = 2,
  kServerUnavailable = 3,
  kBadUserNameOrPassword = 4,
  kNotAuthorized = 5,
};

// A view over an encoded MQTT 5 property block that yields only the User Property (0x26) pairs.
// Works both on a whole decoded property block and on a block holding only 0x26 entries.
// The block must already have been validated by the decoder (or built by encode_user_properties).
// A block is the properties themselves, without the Property Length that precedes them on the wire.
class UserProperties {
 public:
  UserProperties() = default;
  explicit UserProperties(Bytes block) : block_(block) {}

  class iterator {
   public:
    using value_type = std::pair<std::string_view, std::string_view>;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::forward_iterator_tag;
    iterator() = default;
    iterator(Bytes rest) : rest_(rest) { advance(); }
    value_type operator*() const { return cur_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    iterator operator++(int) {
      auto t = *this;
      advance();
      return t;
    }
    bool operator==(const iterator& o) const { return done_ == o.done_ && (done_ || rest_.data() == o.rest_.data()); }

   private:
    void advance();  // defined in codec.cc
    Bytes rest_;
    value_type cur_;
    bool done_ = true;
  };

  iterator begin() const { return iterator(block_); }
  iterator end() const { return iterator(); }
  bool empty() const { return begin() == end(); }
  Bytes block() const { return block_; }

 private:
  Bytes block_;
};

// Every MQTT 5 property. The decoder rejects properties that are not allowed in the packet at hand
// (Protocol Error) and duplicates of single-valued properties. Absent = nullopt.
struct Properties {
  std::optional<std::uint8_t> payload_format_indicator;        // 0x01
  std::optional<std::uint32_t> message_expiry_interval;        // 0x02
  std::optional<std::string_view> content_type;                // 0x03
  std::optional<std::string_view> response_topic;              // 0x08
  std::optional<Bytes> correlation_data;                       // 0x09
  std::optional<std::uint32_t> subscription_identifier;        // 0x0B (first one only)
  std::optional<std::uint32_t> session_expiry_interval;        // 0x11
  std::optional<std::string_view> assigned_client_identifier;  // 0x12
  std::optional<std::uint16_t> server_keep_alive;              // 0x13
  std::optional<std::string_view> authentication_method;       // 0x15
  std::optional<Bytes> authentication_data;                    // 0x16
  std::optional<std::uint8_t> request_problem_information;     // 0x17
  std::optional<std::uint32_t> will_delay_interval;            // 0x18
  std::optional<std::uint8_t> request_response_information;    // 0x19
  std::optional<std::string_view> response_information;        // 0x1A
  std::optional<std::string_view> server_reference;            // 0x1C
  std::optional<std::string_view> reason_string;               // 0x1F
  std::optional<std::uint16_t> receive_maximum;                // 0x21
  std::optional<std::uint16_t> topic_alias_maximum;            // 0x22
  std::optional<std::uint16_t> topic_alias;                    // 0x23
  std::optional<std::uint8_t> maximum_qos;                     // 0x24
  std::optional<std::uint8_t> retain_available;                // 0x25
  UserProperties user_properties;                              // 0x26 (any number)
  std::optional<std::uint32_t> maximum_packet_size;            // 0x27
  std::optional<std::uint8_t> wildcard_subscription_available;  // 0x28
  std::optional<std::uint8_t> subscription_identifier_available;  // 0x29
  std::optional<std::uint8_t> shared_subscription_available;      // 0x2A
};

struct Will {
  std::string_view topic;
  Bytes payload;
  Qos qos = Qos::k0;
  bool retain = false;
  Properties props;  // v5 will properties
};

struct Connect {
  // 4 (3.1.1) or 5. Any other level: the decoder fills only protocol_level and returns the packet so
  // the broker can answer "unsupported protocol version" [MQTT-3.1.2-2].
  std::uint8_t protocol_level = 4;
  std::string_view client_id;
  bool clean_start = true;  // "clean session" in 3.1.1
  std::uint16_t keep_alive = 0;
  std::optional<Will> will;
  std::optional<std::string_view> username;
  std::optional<Bytes> password;
  Properties props;

  Version version() const { return protocol_level == 5 ? Version::k5 : Version::k311; }
};

struct ConnAck {
  bool session_present = false;
  std::uint8_t code = 0;  // ConnectReturnCode on 3.1.1, ReasonCode on 5
  Properties props;
};

struct Publish {
  std::string_view topic;  // may be empty on v5 when a topic alias is used
  Bytes payload;
  Qos qos = Qos::k0;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;  // only for QoS 1 and 2
  Properties props;
};

// PUBACK, PUBREC, PUBREL, PUBCOMP share one layout [MQTT 3.4-3.7].
template <PacketType kType>
struct PubResponse {
  static constexpr PacketType kPacketType = kType;
  std::uint16_t packet_id = 0;
  ReasonCode reason = ReasonCode::kSuccess;
  Properties props;
};
using PubAck = PubResponse<PacketType::kPubAck>;
using PubRec = PubResponse<PacketType::kPubRec>;
using PubRel = PubResponse<PacketType::kPubRel>;
using PubComp = PubResponse<PacketType::kPubComp>;

struct SubscriptionOptions {
  Qos qos = Qos::k0;
  bool no_local = false;             // v5 only
  bool retain_as_published = false;  // v5 only
  std::uint8_t retain_handling = 0;  // v5 only: 0 send, 1 send if new, 2 don't send
  bool operator==(const SubscriptionOptions&) const = default;
};

struct SubscribeEntry {
  std::string_view filter;
  SubscriptionOptions options;
  bool operator==(const SubscribeEntry&) const = default;
};

struct Subscribe {
  std::uint16_t packet_id = 0;
  std::vector<SubscribeEntry> entries;
  Properties props;
};

struct SubAck {
  std::uint16_t packet_id = 0;
  // One per requested filter: ReasonCode on v5; on 3.1.1 0x00-0x02 granted QoS or 0x80 failure.
  std::vector<std::uint8_t> codes;
  Properties props;
};

struct Unsubscribe {
  std::uint16_t packet_id = 0;
  std::vector<std::string_view> filters;
  Properties props;
};

struct UnsubAck {
  std::uint16_t packet_id = 0;
  std::vector<std::uint8_t> codes;  // v5 only; empty on 3.1.1
  Properties props;
};

struct PingReq {};
struct PingResp {};

struct Disconnect {
  ReasonCode reason = ReasonCode::kSuccess;  // v5 only
  Properties props;
};

struct Auth {
  ReasonCode reason = ReasonCode::kSuccess;
  Properties props;
};

using Packet = std::variant<Connect, ConnAck, Publish, PubAck, PubRec, PubRel, PubComp, Subscribe, SubAck,
                            Unsubscribe, UnsubAck, PingReq, PingResp, Disconnect, Auth>;

PacketType type_of(const Packet& p);
std::string_view to_string(PacketType t);

}  // namespace tenet::mqtt
