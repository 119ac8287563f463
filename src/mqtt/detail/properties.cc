#include "mqtt/detail/properties.h"

#include <optional>
#include <string_view>

#include "mqtt/topic.h"

namespace tenet::mqtt::detail {
namespace {

constexpr std::uint64_t bit(unsigned id) { return std::uint64_t{1} << id; }

enum PropId : std::uint8_t {
  kPayloadFormatIndicator = 0x01,
  kMessageExpiryInterval = 0x02,
  kContentType = 0x03,
  kResponseTopic = 0x08,
  kCorrelationData = 0x09,
  kSubscriptionIdentifier = 0x0B,
  kSessionExpiryInterval = 0x11,
  kAssignedClientIdentifier = 0x12,
  kServerKeepAlive = 0x13,
  kAuthenticationMethod = 0x15,
  kAuthenticationData = 0x16,
  kRequestProblemInformation = 0x17,
  kWillDelayInterval = 0x18,
  kRequestResponseInformation = 0x19,
  kResponseInformation = 0x1A,
  kServerReference = 0x1C,
  kReasonString = 0x1F,
  kReceiveMaximum = 0x21,
  kTopicAliasMaximum = 0x22,
  kTopicAlias = 0x23,
  kMaximumQos = 0x24,
  kRetainAvailable = 0x25,
  kUserProperty = 0x26,
  kMaximumPacketSize = 0x27,
  kWildcardSubscriptionAvailable = 0x28,
  kSubscriptionIdentifierAvailable = 0x29,
  kSharedSubscriptionAvailable = 0x2A,
};

// Calls v.byte/u16/u32/varint/utf8/binary/pair for each property of `p` allowed in `ctx`, in
// identifier order. Shared by sizing and writing so that the two cannot disagree.
template <typename V>
void visit_properties(const Properties& p, PropContext ctx, V& v) {
  const std::uint64_t allowed = allowed_props(ctx);
  auto ok = [&](PropId id) { return (allowed & bit(id)) != 0; };
  auto byte = [&](PropId id, const std::optional<std::uint8_t>& x) {
    if (x && ok(id)) v.byte(id, *x);
  };
  auto u16 = [&](PropId id, const std::optional<std::uint16_t>& x) {
    if (x && ok(id)) v.u16(id, *x);
  };
  auto u32 = [&](PropId id, const std::optional<std::uint32_t>& x) {
    if (x && ok(id)) v.u32(id, *x);
  };
  auto utf8 = [&](PropId id, const std::optional<std::string_view>& x) {
    if (x && ok(id)) v.utf8(id, *x);
  };
  auto binary = [&](PropId id, const std::optional<Bytes>& x) {
    if (x && ok(id)) v.binary(id, *x);
  };
  byte(kPayloadFormatIndicator, p.payload_format_indicator);
  u32(kMessageExpiryInterval, p.message_expiry_interval);
  utf8(kContentType, p.content_type);
  utf8(kResponseTopic, p.response_topic);
  binary(kCorrelationData, p.correlation_data);
  if (p.subscription_identifier && ok(kSubscriptionIdentifier)) {
    v.varint(kSubscriptionIdentifier, *p.subscription_identifier);
  }
  u32(kSessionExpiryInterval, p.session_expiry_interval);
  utf8(kAssignedClientIdentifier, p.assigned_client_identifier);
  u16(kServerKeepAlive, p.server_keep_alive);
  utf8(kAuthenticationMethod, p.authentication_method);
  binary(kAuthenticationData, p.authentication_data);
  byte(kRequestProblemInformation, p.request_problem_information);
  u32(kWillDelayInterval, p.will_delay_interval);
  byte(kRequestResponseInformation, p.request_response_information);
  utf8(kResponseInformation, p.response_information);
  utf8(kServerReference, p.server_reference);
  utf8(kReasonString, p.reason_string);
  u16(kReceiveMaximum, p.receive_maximum);
  u16(kTopicAliasMaximum, p.topic_alias_maximum);
  u16(kTopicAlias, p.topic_alias);
  byte(kMaximumQos, p.maximum_qos);
  byte(kRetainAvailable, p.retain_available);
  if (ok(kUserProperty)) {
    for (const auto& [key, value] : p.user_properties) v.pair(key, value);
  }
  u32(kMaximumPacketSize, p.maximum_packet_size);
  byte(kWildcardSubscriptionAvailable, p.wildcard_subscription_available);
  byte(kSubscriptionIdentifierAvailable, p.subscription_identifier_available);
  byte(kSharedSubscriptionAvailable, p.shared_subscription_available);
}

struct SizeVisitor {
  std::size_t n = 0;
  void byte(PropId, std::uint8_t) { n += 2; }
  void u16(PropId, std::uint16_t) { n += 3; }
  void u32(PropId, std::uint32_t) { n += 5; }
  void varint(PropId, std::uint32_t v) { n += 1 + varint_size(v); }
  void utf8(PropId, std::string_view s) { n += 3 + s.size(); }
  void binary(PropId, Bytes b) { n += 3 + b.size(); }
  void pair(std::string_view k, std::string_view v) { n += 5 + k.size() + v.size(); }
};

struct WriteVisitor {
  Writer& w;
  void byte(PropId id, std::uint8_t v) {
    w.u8(id);
    w.u8(v);
  }
  void u16(PropId id, std::uint16_t v) {
    w.u8(id);
    w.u16(v);
  }
  void u32(PropId id, std::uint32_t v) {
    w.u8(id);
    w.u32(v);
  }
  void varint(PropId id, std::uint32_t v) {
    w.u8(id);
    w.varint(v);
  }
  void utf8(PropId id, std::string_view s) {
    w.u8(id);
    w.utf8(s);
  }
  void binary(PropId id, Bytes b) {
    w.u8(id);
    w.binary(b);
  }
  void pair(std::string_view k, std::string_view v) {
    w.u8(kUserProperty);
    w.utf8(k);
    w.utf8(v);
  }
};

// A Byte property that the spec defines as 0 or 1 (e.g. spec 3.1.2.11.7, Request Problem
// Information: "a value other than 0 or 1" is a Protocol Error).
std::uint8_t read_flag(Reader& r) {
  const std::uint8_t v = r.u8();
  if (v > 1) r.violation("property value must be 0 or 1");
  return v;
}

}  // namespace

PropType prop_type(std::uint32_t id) {
  switch (id) {
    case kPayloadFormatIndicator:
    case kRequestProblemInformation:
    case kRequestResponseInformation:
    case kMaximumQos:
    case kRetainAvailable:
    case kWildcardSubscriptionAvailable:
    case kSubscriptionIdentifierAvailable:
    case kSharedSubscriptionAvailable: return PropType::kByte;
    case kServerKeepAlive:
    case kReceiveMaximum:
    case kTopicAliasMaximum:
    case kTopicAlias: return PropType::kU16;
    case kMessageExpiryInterval:
    case kSessionExpiryInterval:
    case kWillDelayInterval:
    case kMaximumPacketSize: return PropType::kU32;
    case kSubscriptionIdentifier: return PropType::kVarint;
    case kContentType:
    case kResponseTopic:
    case kAssignedClientIdentifier:
    case kAuthenticationMethod:
    case kResponseInformation:
    case kServerReference:
    case kReasonString: return PropType::kUtf8;
    case kCorrelationData:
    case kAuthenticationData: return PropType::kBinary;
    case kUserProperty: return PropType::kPair;
    default: return PropType::kNone;
  }
}

// The table of spec 2.2.2.2 ("Properties"), one row per packet.
std::uint64_t allowed_props(PropContext ctx) {
  const std::uint64_t user = bit(kUserProperty);
  switch (ctx) {
    case PropContext::kConnect:
      return user | bit(kSessionExpiryInterval) | bit(kAuthenticationMethod) | bit(kAuthenticationData) |
             bit(kRequestProblemInformation) | bit(kRequestResponseInformation) | bit(kReceiveMaximum) |
             bit(kTopicAliasMaximum) | bit(kMaximumPacketSize);
    case PropContext::kConnAck:
      return user | bit(kSessionExpiryInterval) | bit(kAssignedClientIdentifier) | bit(kServerKeepAlive) |
             bit(kAuthenticationMethod) | bit(kAuthenticationData) | bit(kResponseInformation) | bit(kServerReference) |
             bit(kReasonString) | bit(kReceiveMaximum) | bit(kTopicAliasMaximum) | bit(kMaximumQos) |
             bit(kRetainAvailable) | bit(kMaximumPacketSize) | bit(kWildcardSubscriptionAvailable) |
             bit(kSubscriptionIdentifierAvailable) | bit(kSharedSubscriptionAvailable);
    case PropContext::kPublish:
      return user | bit(kPayloadFormatIndicator) | bit(kMessageExpiryInterval) | bit(kContentType) |
             bit(kResponseTopic) | bit(kCorrelationData) | bit(kSubscriptionIdentifier) | bit(kTopicAlias);
    case PropContext::kWill:
      return user | bit(kPayloadFormatIndicator) | bit(kMessageExpiryInterval) | bit(kContentType) |
             bit(kResponseTopic) | bit(kCorrelationData) | bit(kWillDelayInterval);
    case PropContext::kPubResponse:
    case PropContext::kSubAck:
    case PropContext::kUnsubAck: return user | bit(kReasonString);
    case PropContext::kSubscribe: return user | bit(kSubscriptionIdentifier);
    case PropContext::kUnsubscribe: return user;
    case PropContext::kDisconnect:
      return user | bit(kSessionExpiryInterval) | bit(kServerReference) | bit(kReasonString);
    case PropContext::kAuth: return user | bit(kAuthenticationMethod) | bit(kAuthenticationData) | bit(kReasonString);
  }
  return 0;
}

void read_properties(Reader& r, PropContext ctx, bool from_client, Properties& out) {
  const std::uint32_t length = r.varint();
  const Bytes block = r.take(length);
  if (!r.ok()) return;
  Reader p(block);
  const std::uint64_t allowed = allowed_props(ctx);
  std::uint64_t seen = 0;
  bool any_user = false;
  while (!p.empty()) {
    // The identifier is a Variable Byte Integer; every identifier defined so far fits in one byte.
    const std::uint32_t id = p.varint();
    if (!p.ok()) break;
    if (prop_type(id) == PropType::kNone) {
      p.malformed("unknown property identifier");
      break;
    }
    // Spec 2.2.2.2: an identifier that is not valid for the packet type is a Malformed Packet.
    if ((allowed & bit(id)) == 0) {
      p.malformed("property not allowed in this packet (spec 2.2.2.2)");
      break;
    }
    // "It is a Protocol Error to include ... more than once" (each single-valued property). A
    // server-to-client PUBLISH may carry several Subscription Identifiers [MQTT-3.3.4-3].
    const bool multi = id == kUserProperty || (id == kSubscriptionIdentifier && ctx == PropContext::kPublish);
    if (!multi && (seen & bit(id)) != 0) {
      p.violation("duplicate property");
      break;
    }
    seen |= bit(id);
    switch (id) {
      case kPayloadFormatIndicator: out.payload_format_indicator = read_flag(p); break;
      case kMessageExpiryInterval: out.message_expiry_interval = p.u32(); break;
      case kContentType: out.content_type = p.utf8(); break;
      case kResponseTopic: {
        const std::string_view t = p.utf8();
        if (has_wildcard(t)) p.violation("Response Topic contains a wildcard [MQTT-3.3.2-14]");
        out.response_topic = t;
        break;
      }
      case kCorrelationData: out.correlation_data = p.binary(); break;
      case kSubscriptionIdentifier: {
        const std::uint32_t v = p.varint();
        if (v == 0) p.violation("Subscription Identifier 0 (spec 3.8.2.1.2)");
        if (from_client && ctx == PropContext::kPublish) {
          p.violation("PUBLISH from a client with a Subscription Identifier [MQTT-3.3.4-6]");
        }
        if (!out.subscription_identifier) out.subscription_identifier = v;
        break;
      }
      case kSessionExpiryInterval: out.session_expiry_interval = p.u32(); break;
      case kAssignedClientIdentifier: out.assigned_client_identifier = p.utf8(); break;
      case kServerKeepAlive: out.server_keep_alive = p.u16(); break;
      case kAuthenticationMethod: out.authentication_method = p.utf8(); break;
      case kAuthenticationData: out.authentication_data = p.binary(); break;
      case kRequestProblemInformation: out.request_problem_information = read_flag(p); break;
      case kWillDelayInterval: out.will_delay_interval = p.u32(); break;
      case kRequestResponseInformation: out.request_response_information = read_flag(p); break;
      case kResponseInformation: out.response_information = p.utf8(); break;
      case kServerReference: out.server_reference = p.utf8(); break;
      case kReasonString: out.reason_string = p.utf8(); break;
      case kReceiveMaximum:
        out.receive_maximum = p.u16();
        if (*out.receive_maximum == 0) p.violation("Receive Maximum 0 (spec 3.1.2.11.3, 3.2.2.3.3)");
        break;
      case kTopicAliasMaximum: out.topic_alias_maximum = p.u16(); break;
      case kTopicAlias: out.topic_alias = p.u16(); break;  // 0 is checked by the broker [MQTT-3.3.2-8]
      case kMaximumQos: out.maximum_qos = read_flag(p); break;
      case kRetainAvailable: out.retain_available = read_flag(p); break;
      case kUserProperty:
        p.utf8();
        p.utf8();
        any_user = true;
        break;
      case kMaximumPacketSize:
        out.maximum_packet_size = p.u32();
        if (*out.maximum_packet_size == 0) p.violation("Maximum Packet Size 0 (spec 3.1.2.11.4, 3.2.2.3.6)");
        break;
      case kWildcardSubscriptionAvailable: out.wildcard_subscription_available = read_flag(p); break;
      case kSubscriptionIdentifierAvailable: out.subscription_identifier_available = read_flag(p); break;
      case kSharedSubscriptionAvailable: out.shared_subscription_available = read_flag(p); break;
      default: p.malformed("unknown property identifier"); break;
    }
  }
  if (!p.ok()) {
    r.fail(p.failure());
    return;
  }
  // The view keeps the whole block; its iterator skips the entries that are not User Properties.
  if (any_user) out.user_properties = UserProperties(block);
}

std::size_t properties_size(const Properties& p, PropContext ctx) {
  SizeVisitor v;
  visit_properties(p, ctx, v);
  return v.n;
}

void write_properties(Writer& w, const Properties& p, PropContext ctx, std::size_t size) {
  w.varint(static_cast<std::uint32_t>(size));
  WriteVisitor v{w};
  visit_properties(p, ctx, v);
}

}  // namespace tenet::mqtt::detail
