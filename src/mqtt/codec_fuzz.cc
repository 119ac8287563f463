// Fuzzes the MQTT decoder as a byte stream and checks that every packet it accepts survives
// encode -> decode unchanged. Input: one configuration byte, then the stream.
//   bit 0: start as MQTT 5 (else 3.1.1); a decoded CONNECT of level 4/5 switches the version, as
//          the broker does
//   bit 1: decode as the server (else as the client)
//   bit 2: small max_packet_size = 2 + 8 * (byte >> 3)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

#include "mqtt/codec.h"
#include "mqtt/topic.h"

namespace tenet::mqtt {
namespace {

[[noreturn]] void die(const char* what, PacketType t) {
  std::fprintf(stderr, "mqtt_codec_fuzz: %s (%.*s)\n", what, static_cast<int>(to_string(t).size()),
               to_string(t).data());
  std::abort();
}

bool same(Bytes a, Bytes b) { return std::ranges::equal(a, b); }
bool same(const std::optional<Bytes>& a, const std::optional<Bytes>& b) {
  return a.has_value() == b.has_value() && (!a || same(*a, *b));
}
bool same(const UserProperties& a, const UserProperties& b) {
  auto i = a.begin();
  auto j = b.begin();
  for (; i != a.end() && j != b.end(); ++i, ++j) {
    if (*i != *j) return false;
  }
  return i == a.end() && j == b.end();
}

bool same(const Properties& a, const Properties& b) {
  return a.payload_format_indicator == b.payload_format_indicator &&
         a.message_expiry_interval == b.message_expiry_interval && a.content_type == b.content_type &&
         a.response_topic == b.response_topic && same(a.correlation_data, b.correlation_data) &&
         a.subscription_identifier == b.subscription_identifier &&
         a.session_expiry_interval == b.session_expiry_interval &&
         a.assigned_client_identifier == b.assigned_client_identifier && a.server_keep_alive == b.server_keep_alive &&
         a.authentication_method == b.authentication_method && same(a.authentication_data, b.authentication_data) &&
         a.request_problem_information == b.request_problem_information &&
         a.will_delay_interval == b.will_delay_interval &&
         a.request_response_information == b.request_response_information &&
         a.response_information == b.response_information && a.server_reference == b.server_reference &&
         a.reason_string == b.reason_string && a.receive_maximum == b.receive_maximum &&
         a.topic_alias_maximum == b.topic_alias_maximum && a.topic_alias == b.topic_alias &&
         a.maximum_qos == b.maximum_qos && a.retain_available == b.retain_available &&
         same(a.user_properties, b.user_properties) && a.maximum_packet_size == b.maximum_packet_size &&
         a.wildcard_subscription_available == b.wildcard_subscription_available &&
         a.subscription_identifier_available == b.subscription_identifier_available &&
         a.shared_subscription_available == b.shared_subscription_available;
}

bool same(const Connect& a, const Connect& b) {
  if (a.will.has_value() != b.will.has_value()) return false;
  if (a.will &&
      !(a.will->topic == b.will->topic && same(a.will->payload, b.will->payload) && a.will->qos == b.will->qos &&
        a.will->retain == b.will->retain && same(a.will->props, b.will->props))) {
    return false;
  }
  return a.protocol_level == b.protocol_level && a.client_id == b.client_id && a.clean_start == b.clean_start &&
         a.keep_alive == b.keep_alive && a.username == b.username && same(a.password, b.password) &&
         same(a.props, b.props);
}
bool same(const ConnAck& a, const ConnAck& b) {
  return a.session_present == b.session_present && a.code == b.code && same(a.props, b.props);
}
bool same(const Publish& a, const Publish& b) {
  return a.topic == b.topic && same(a.payload, b.payload) && a.qos == b.qos && a.retain == b.retain && a.dup == b.dup &&
         a.packet_id == b.packet_id && same(a.props, b.props);
}
template <PacketType kType>
bool same(const PubResponse<kType>& a, const PubResponse<kType>& b) {
  return a.packet_id == b.packet_id && a.reason == b.reason && same(a.props, b.props);
}
bool same(const Subscribe& a, const Subscribe& b) {
  return a.packet_id == b.packet_id && a.entries == b.entries && same(a.props, b.props);
}
bool same(const SubAck& a, const SubAck& b) {
  return a.packet_id == b.packet_id && a.codes == b.codes && same(a.props, b.props);
}
bool same(const Unsubscribe& a, const Unsubscribe& b) {
  return a.packet_id == b.packet_id && a.filters == b.filters && same(a.props, b.props);
}
bool same(const UnsubAck& a, const UnsubAck& b) {
  return a.packet_id == b.packet_id && a.codes == b.codes && same(a.props, b.props);
}
bool same(const PingReq&, const PingReq&) { return true; }
bool same(const PingResp&, const PingResp&) { return true; }
bool same(const Disconnect& a, const Disconnect& b) { return a.reason == b.reason && same(a.props, b.props); }
bool same(const Auth& a, const Auth& b) { return a.reason == b.reason && same(a.props, b.props); }

// Topic rules must not crash on anything the decoder lets through, and a valid filter without
// wildcards must match itself.
void exercise_topics(const Packet& p) {
  if (const auto* pub = std::get_if<Publish>(&p)) {
    (void)validate_topic_name(pub->topic);
    (void)topic_matches("#", pub->topic);
    (void)topic_matches("+/+/#", pub->topic);
  } else if (const auto* sub = std::get_if<Subscribe>(&p)) {
    for (const SubscribeEntry& e : sub->entries) {
      const bool valid = validate_topic_filter(e.filter).has_value();
      (void)parse_shared(e.filter);
      if (valid && !has_wildcard(e.filter) && !topic_matches(e.filter, e.filter)) {
        die("valid filter without wildcards does not match itself", PacketType::kSubscribe);
      }
      (void)topic_matches(e.filter, "a/b/c");
      (void)topic_matches(e.filter, "$SYS/x");
    }
  }
}

void check_round_trip(const Packet& p, Version version, bool server_side, Buffer& out) {
  const PacketType type = type_of(p);
  out.clear();
  const std::size_t n = encode(p, version, out);
  if (n != out.size()) die("encode returned a size other than what it appended", type);
  if (const auto* pub = std::get_if<Publish>(&p); pub && encoded_size(*pub, version) != n) {
    die("encoded_size disagrees with encode", type);
  }
  const auto r = decode(out, version, DecodeLimits{.server_side = server_side});
  if (!r) die("re-encoded packet does not decode", type);
  if (!r->has_value()) die("re-encoded packet is incomplete", type);
  const Decoded& again = **r;
  if (again.size != out.size()) die("re-encoded packet decodes to another size", type);
  if (again.packet.index() != p.index()) die("re-encoded packet decodes to another type", type);
  const bool equal = std::visit(
      [&](const auto& original) {
        using T = std::decay_t<decltype(original)>;
        return same(original, std::get<T>(again.packet));
      },
      p);
  if (!equal) die("re-encoded packet decodes to other fields", type);
}

}  // namespace
}  // namespace tenet::mqtt

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tenet::mqtt;
  if (size == 0) return 0;
  const std::uint8_t config = data[0];
  Version version = (config & 0x01) != 0 ? Version::k5 : Version::k311;
  DecodeLimits limits{.server_side = (config & 0x02) != 0};
  if ((config & 0x04) != 0) limits.max_packet_size = 2 + 8u * (config >> 3);
  Bytes in(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  (void)valid_mqtt_utf8(tenet::core::as_chars(in));
  Buffer out;
  while (!in.empty()) {
    const auto r = decode(in, version, limits);
    if (!r || !r->has_value()) break;
    const Decoded& d = **r;
    if (d.size == 0 || d.size > in.size() || d.size > limits.max_packet_size) {
      die("decode consumed an impossible number of bytes", type_of(d.packet));
    }
    check_round_trip(d.packet, version, limits.server_side, out);
    exercise_topics(d.packet);
    if (const auto* c = std::get_if<Connect>(&d.packet); c && (c->protocol_level == 4 || c->protocol_level == 5)) {
      version = c->version();
    }
    in = in.subspan(d.size);
  }
  return 0;
}
