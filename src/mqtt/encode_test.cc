// Encoder tests: known packets against hex typed by hand, and decode(encode(x)) round trips for
// every packet type of both versions.
#include "mqtt/codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/testing/hex.h"
#include "mqtt/testing/alloc_counter.h"

namespace tenet::mqtt {
namespace {

using core::testing::from_hex;

Buffer encoded(const Packet& p, Version v) {
  Buffer out;
  const std::size_t n = encode(p, v, out);
  EXPECT_EQ(n, out.size());
  return out;
}

Bytes bytes_of(std::string_view s) { return core::as_bytes(s); }

// Storage for user property blocks: the packets hold views.
const std::vector<std::byte>& kv_block() {
  static const auto b = encode_user_properties({{"k", "v"}});
  return b;
}
const std::vector<std::byte>& two_pairs_block() {
  static const auto b = encode_user_properties({{"name", "value"}, {"name", "other"}});
  return b;
}

// ---- Known encodings --------------------------------------------------------------------------

TEST(EncodePublish, Writes311Qos1) {
  Publish p{.topic = "a/b", .payload = bytes_of("hi"), .qos = Qos::k1, .retain = true, .dup = true, .packet_id = 10};
  EXPECT_EQ(encoded(p, Version::k311), from_hex("3b 09 00 03 61 2f 62 00 0a 68 69"));
}

TEST(EncodePublish, Writes5PropertiesInIdentifierOrder) {
  Publish p{.topic = "a/b", .payload = bytes_of("hello"), .qos = Qos::k1, .packet_id = 1};
  const auto corr = from_hex("ab cd");
  p.props.message_expiry_interval = 60;
  p.props.correlation_data = Bytes(corr);
  p.props.topic_alias = 5;
  p.props.user_properties = UserProperties(kv_block());
  EXPECT_EQ(encoded(p, Version::k5), from_hex("32 21 00 03 61 2f 62 00 01 14 02 00 00 00 3c 09 00 02 ab cd 23 00 05"
                                              " 26 00 01 6b 00 01 76 68 65 6c 6c 6f"));
  // 3.1.1 drops the properties.
  EXPECT_EQ(encoded(p, Version::k311), from_hex("32 0c 00 03 61 2f 62 00 01 68 65 6c 6c 6f"));
}

TEST(EncodePublish, ClearsDupOnQos0) {  // [MQTT-3.3.1-2]
  Publish p{.topic = "a/b", .payload = bytes_of("hi"), .dup = true};
  EXPECT_EQ(encoded(p, Version::k311), from_hex("30 07 00 03 61 2f 62 68 69"));
}

TEST(EncodePublish, DropsPropertiesThePacketCannotCarry) {
  Publish p{.topic = "a/b", .payload = bytes_of("hi")};
  p.props.session_expiry_interval = 5;  // CONNECT/CONNACK/DISCONNECT only
  p.props.reason_string = "nope";
  EXPECT_EQ(encoded(p, Version::k5), from_hex("30 08 00 03 61 2f 62 00 68 69"));
}

TEST(EncodePublish, EncodedSizeMatchesEncode) {
  const std::string payload(300, 'x');
  Publish p{.topic = "some/topic", .payload = bytes_of(payload), .qos = Qos::k2, .packet_id = 9};
  p.props.content_type = "text/plain";
  p.props.user_properties = UserProperties(two_pairs_block());
  for (Version v : {Version::k311, Version::k5}) {
    Buffer out;
    EXPECT_EQ(encoded_size(p, v), encode(p, v, out));
    EXPECT_EQ(out.size(), encoded_size(p, v));
  }
}

TEST(EncodePublish, AppendsWithoutAllocatingWhenCapacitySuffices) {
  Buffer out = from_hex("ff");
  out.reserve(1024);
  const std::byte* data = out.data();
  Publish p{.topic = "a/b", .payload = bytes_of("hi"), .qos = Qos::k1, .packet_id = 3};
  p.props.user_properties = UserProperties(kv_block());
  const std::size_t before = testing::allocations_for_test();
  const std::size_t n = encode(p, Version::k5, out) + encode(PubAck{.packet_id = 3}, Version::k5, out);
  const std::size_t after = testing::allocations_for_test();
  EXPECT_EQ(after, before);
  EXPECT_EQ(out.data(), data);
  EXPECT_EQ(n + 1, out.size());
  EXPECT_EQ(out[0], std::byte{0xff});
}

TEST(EncodePubResponse, Uses5ShortFormsAnd311FixedForm) {
  PubAck ack{.packet_id = 10};
  EXPECT_EQ(encoded(ack, Version::k5), from_hex("40 02 00 0a"));
  ack.reason = ReasonCode::kNoMatchingSubscribers;
  EXPECT_EQ(encoded(ack, Version::k5), from_hex("40 03 00 0a 10"));
  ack.reason = ReasonCode::kNotAuthorized;
  ack.props.reason_string = "no";
  EXPECT_EQ(encoded(ack, Version::k5), from_hex("40 09 00 0a 87 05 1f 00 02 6e 6f"));
  EXPECT_EQ(encoded(ack, Version::k311), from_hex("40 02 00 0a"));  // always 4 bytes on 3.1.1

  PubRec rec{.packet_id = 10};
  rec.props.reason_string = "x";
  EXPECT_EQ(encoded(rec, Version::k5), from_hex("50 08 00 0a 00 04 1f 00 01 78"));
  EXPECT_EQ(encoded(PubRel{.packet_id = 10}, Version::k5), from_hex("62 02 00 0a"));
  EXPECT_EQ(encoded(PubRel{.packet_id = 10}, Version::k311), from_hex("62 02 00 0a"));
  EXPECT_EQ(encoded(PubComp{.packet_id = 10, .reason = ReasonCode::kPacketIdentifierNotFound}, Version::k5),
            from_hex("70 03 00 0a 92"));
}

TEST(EncodeConnect, Writes311WillUserPassword) {
  Connect c{.protocol_level = 4, .client_id = "c1", .keep_alive = 10};
  c.will = Will{.topic = "w/t", .payload = bytes_of("bye"), .qos = Qos::k1, .retain = true};
  c.username = "u";
  c.password = bytes_of("pw");
  c.props.session_expiry_interval = 5;  // dropped on 3.1.1
  EXPECT_EQ(encoded(c, Version::k5),    // CONNECT follows its own protocol level
            from_hex("10 1f 00 04 4d 51 54 54 04 ee 00 0a 00 02 63 31"
                     " 00 03 77 2f 74 00 03 62 79 65 00 01 75 00 02 70 77"));
}

TEST(EncodeConnect, Writes5PropertiesAndWillProperties) {
  Connect c{.protocol_level = 5, .client_id = "c1", .keep_alive = 30};
  c.props.session_expiry_interval = 120;
  c.props.receive_maximum = 20;
  c.props.maximum_packet_size = 4096;
  c.props.user_properties = UserProperties(kv_block());
  c.props.topic_alias = 1;  // not a CONNECT property: dropped
  Will w{.topic = "w/t", .payload = bytes_of("bye"), .qos = Qos::k1};
  w.props.will_delay_interval = 5;
  w.props.payload_format_indicator = 1;
  w.props.content_type = "text";
  c.will = w;
  c.username = "u";
  c.password = bytes_of("pw");
  EXPECT_EQ(encoded(c, Version::k311), from_hex("10 43 00 04 4d 51 54 54 05 ce 00 1e"
                                                " 14 11 00 00 00 78 21 00 14 26 00 01 6b 00 01 76 27 00 00 10 00"
                                                " 00 02 63 31"
                                                " 0e 01 01 03 00 04 74 65 78 74 18 00 00 00 05"
                                                " 00 03 77 2f 74 00 03 62 79 65 00 01 75 00 02 70 77"));
}

TEST(EncodeConnect, WritesMqtt31ForLevel3) {
  Connect c{.protocol_level = 3, .keep_alive = 60};
  EXPECT_EQ(encoded(c, Version::k311), from_hex("10 0e 00 06 4d 51 49 73 64 70 03 02 00 3c 00 00"));
}

TEST(EncodeConnAck, WritesBothVersions) {
  EXPECT_EQ(encoded(ConnAck{.session_present = true}, Version::k311), from_hex("20 02 01 00"));
  ConnAck refused{.code = static_cast<std::uint8_t>(ReasonCode::kNotAuthorized)};
  refused.props.reason_string = "no";
  EXPECT_EQ(encoded(refused, Version::k5), from_hex("20 08 00 87 05 1f 00 02 6e 6f"));
  ConnAck refused311{.code = static_cast<std::uint8_t>(ConnectReturnCode::kNotAuthorized)};
  refused311.props.reason_string = "no";
  EXPECT_EQ(encoded(refused311, Version::k311), from_hex("20 02 00 05"));
}

TEST(EncodeSubscribe, WritesOptionsPerVersion) {
  Subscribe s{.packet_id = 7};
  s.entries = {{"a/b", {.qos = Qos::k1, .no_local = true, .retain_as_published = true, .retain_handling = 2}},
               {"c/#", {.qos = Qos::k2}}};
  s.props.subscription_identifier = 5;
  EXPECT_EQ(encoded(s, Version::k311), from_hex("82 0e 00 07 00 03 61 2f 62 01 00 03 63 2f 23 02"));
  EXPECT_EQ(encoded(s, Version::k5), from_hex("82 11 00 07 02 0b 05 00 03 61 2f 62 2d 00 03 63 2f 23 02"));
}

TEST(EncodeSubAck, Maps5CodesToFailureOn311) {  // [MQTT-3.9.3-2]
  SubAck a{.packet_id = 7, .codes = {0x01, 0x87, 0x02}};
  EXPECT_EQ(encoded(a, Version::k311), from_hex("90 05 00 07 01 80 02"));
  EXPECT_EQ(encoded(a, Version::k5), from_hex("90 06 00 07 00 01 87 02"));
}

TEST(EncodeUnsubscribe, WritesBothVersions) {
  Unsubscribe u{.packet_id = 8, .filters = {"a/b", "c"}};
  EXPECT_EQ(encoded(u, Version::k5), from_hex("a2 0b 00 08 00 00 03 61 2f 62 00 01 63"));
  EXPECT_EQ(encoded(u, Version::k311), from_hex("a2 0a 00 08 00 03 61 2f 62 00 01 63"));
  UnsubAck a{.packet_id = 8, .codes = {0x00, 0x11}};
  EXPECT_EQ(encoded(a, Version::k5), from_hex("b0 05 00 08 00 00 11"));
  EXPECT_EQ(encoded(a, Version::k311), from_hex("b0 02 00 08"));
}

TEST(EncodePing, WritesTwoBytes) {
  EXPECT_EQ(encoded(PingReq{}, Version::k5), from_hex("c0 00"));
  EXPECT_EQ(encoded(PingResp{}, Version::k311), from_hex("d0 00"));
}

TEST(EncodeDisconnect, UsesShortFormsAndDropsReasonOn311) {
  EXPECT_EQ(encoded(Disconnect{}, Version::k5), from_hex("e0 00"));
  EXPECT_EQ(encoded(Disconnect{.reason = ReasonCode::kDisconnectWithWill}, Version::k5), from_hex("e0 01 04"));
  EXPECT_EQ(encoded(Disconnect{.reason = ReasonCode::kDisconnectWithWill}, Version::k311), from_hex("e0 00"));
  Disconnect d{.reason = ReasonCode::kUnspecifiedError};
  d.props.session_expiry_interval = 0;
  d.props.reason_string = "x";
  EXPECT_EQ(encoded(d, Version::k5), from_hex("e0 0b 80 09 11 00 00 00 00 1f 00 01 78"));
}

TEST(EncodeAuth, WritesOnlyOn5) {
  EXPECT_EQ(encoded(Auth{}, Version::k5), from_hex("f0 00"));
  EXPECT_EQ(encoded(Auth{.reason = ReasonCode::kContinueAuthentication}, Version::k5), from_hex("f0 02 18 00"));
  const auto data = from_hex("01 02");
  Auth a{.reason = ReasonCode::kContinueAuthentication};
  a.props.authentication_method = "SCRAM";
  a.props.authentication_data = Bytes(data);
  EXPECT_EQ(encoded(a, Version::k5), from_hex("f0 0f 18 0d 15 00 05 53 43 52 41 4d 16 00 02 01 02"));
  Buffer out;
  EXPECT_EQ(encode(Auth{}, Version::k311, out), 0u);
  EXPECT_TRUE(out.empty());
}

TEST(EncodeFixedHeader, UsesMultiByteRemainingLength) {
  const std::string payload(200, 'x');
  const Buffer out = encoded(Publish{.topic = "a/b", .payload = bytes_of(payload)}, Version::k311);
  ASSERT_EQ(out.size(), 208u);
  EXPECT_EQ(Buffer(out.begin(), out.begin() + 3), from_hex("30 cd 01"));
}

// ---- Round trips --------------------------------------------------------------------------------

bool same_bytes(const std::optional<Bytes>& a, const std::optional<Bytes>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || std::ranges::equal(*a, *b);
}

using Pairs = std::vector<std::pair<std::string_view, std::string_view>>;
Pairs pairs(const UserProperties& up) {
  Pairs out;
  for (auto kv : up) out.push_back(kv);
  return out;
}

void expect_same(const Properties& a, const Properties& b) {
  EXPECT_EQ(a.payload_format_indicator, b.payload_format_indicator);
  EXPECT_EQ(a.message_expiry_interval, b.message_expiry_interval);
  EXPECT_EQ(a.content_type, b.content_type);
  EXPECT_EQ(a.response_topic, b.response_topic);
  EXPECT_TRUE(same_bytes(a.correlation_data, b.correlation_data));
  EXPECT_EQ(a.subscription_identifier, b.subscription_identifier);
  EXPECT_EQ(a.session_expiry_interval, b.session_expiry_interval);
  EXPECT_EQ(a.assigned_client_identifier, b.assigned_client_identifier);
  EXPECT_EQ(a.server_keep_alive, b.server_keep_alive);
  EXPECT_EQ(a.authentication_method, b.authentication_method);
  EXPECT_TRUE(same_bytes(a.authentication_data, b.authentication_data));
  EXPECT_EQ(a.request_problem_information, b.request_problem_information);
  EXPECT_EQ(a.will_delay_interval, b.will_delay_interval);
  EXPECT_EQ(a.request_response_information, b.request_response_information);
  EXPECT_EQ(a.response_information, b.response_information);
  EXPECT_EQ(a.server_reference, b.server_reference);
  EXPECT_EQ(a.reason_string, b.reason_string);
  EXPECT_EQ(a.receive_maximum, b.receive_maximum);
  EXPECT_EQ(a.topic_alias_maximum, b.topic_alias_maximum);
  EXPECT_EQ(a.topic_alias, b.topic_alias);
  EXPECT_EQ(a.maximum_qos, b.maximum_qos);
  EXPECT_EQ(a.retain_available, b.retain_available);
  EXPECT_EQ(pairs(a.user_properties), pairs(b.user_properties));
  EXPECT_EQ(a.maximum_packet_size, b.maximum_packet_size);
  EXPECT_EQ(a.wildcard_subscription_available, b.wildcard_subscription_available);
  EXPECT_EQ(a.subscription_identifier_available, b.subscription_identifier_available);
  EXPECT_EQ(a.shared_subscription_available, b.shared_subscription_available);
}

void expect_same(const Connect& a, const Connect& b) {
  EXPECT_EQ(a.protocol_level, b.protocol_level);
  EXPECT_EQ(a.client_id, b.client_id);
  EXPECT_EQ(a.clean_start, b.clean_start);
  EXPECT_EQ(a.keep_alive, b.keep_alive);
  ASSERT_EQ(a.will.has_value(), b.will.has_value());
  if (a.will) {
    EXPECT_EQ(a.will->topic, b.will->topic);
    EXPECT_TRUE(std::ranges::equal(a.will->payload, b.will->payload));
    EXPECT_EQ(a.will->qos, b.will->qos);
    EXPECT_EQ(a.will->retain, b.will->retain);
    expect_same(a.will->props, b.will->props);
  }
  EXPECT_EQ(a.username, b.username);
  EXPECT_TRUE(same_bytes(a.password, b.password));
  expect_same(a.props, b.props);
}
void expect_same(const ConnAck& a, const ConnAck& b) {
  EXPECT_EQ(a.session_present, b.session_present);
  EXPECT_EQ(a.code, b.code);
  expect_same(a.props, b.props);
}
void expect_same(const Publish& a, const Publish& b) {
  EXPECT_EQ(a.topic, b.topic);
  EXPECT_TRUE(std::ranges::equal(a.payload, b.payload));
  EXPECT_EQ(a.qos, b.qos);
  EXPECT_EQ(a.retain, b.retain);
  EXPECT_EQ(a.dup, b.dup);
  EXPECT_EQ(a.packet_id, b.packet_id);
  expect_same(a.props, b.props);
}
template <PacketType kType>
void expect_same(const PubResponse<kType>& a, const PubResponse<kType>& b) {
  EXPECT_EQ(a.packet_id, b.packet_id);
  EXPECT_EQ(a.reason, b.reason);
  expect_same(a.props, b.props);
}
void expect_same(const Subscribe& a, const Subscribe& b) {
  EXPECT_EQ(a.packet_id, b.packet_id);
  EXPECT_EQ(a.entries, b.entries);
  expect_same(a.props, b.props);
}
void expect_same(const SubAck& a, const SubAck& b) {
  EXPECT_EQ(a.packet_id, b.packet_id);
  EXPECT_EQ(a.codes, b.codes);
  expect_same(a.props, b.props);
}
void expect_same(const Unsubscribe& a, const Unsubscribe& b) {
  EXPECT_EQ(a.packet_id, b.packet_id);
  EXPECT_EQ(a.filters, b.filters);
  expect_same(a.props, b.props);
}
void expect_same(const UnsubAck& a, const UnsubAck& b) {
  EXPECT_EQ(a.packet_id, b.packet_id);
  EXPECT_EQ(a.codes, b.codes);
  expect_same(a.props, b.props);
}
void expect_same(const PingReq&, const PingReq&) {}
void expect_same(const PingResp&, const PingResp&) {}
void expect_same(const Disconnect& a, const Disconnect& b) {
  EXPECT_EQ(a.reason, b.reason);
  expect_same(a.props, b.props);
}
void expect_same(const Auth& a, const Auth& b) {
  EXPECT_EQ(a.reason, b.reason);
  expect_same(a.props, b.props);
}

struct Storage {
  std::vector<std::byte> corr = from_hex("00 01 02 ff");
  std::string big = std::string(70'000, 'p');  // Remaining Length needs three bytes
};

// Every packet type with every field its version can carry set to a non-default value.
std::vector<Packet> rich_packets(Version v, const Storage& s) {
  const bool v5 = v == Version::k5;
  std::vector<Packet> out;

  Connect c{.protocol_level = static_cast<std::uint8_t>(v),
            .client_id = "client-1",
            .clean_start = false,
            .keep_alive = 65535};
  Will w{.topic = "last/will", .payload = bytes_of("gone"), .qos = Qos::k2, .retain = true};
  if (v5) {
    w.props.payload_format_indicator = 1;
    w.props.message_expiry_interval = 10;
    w.props.content_type = "text/plain";
    w.props.response_topic = "resp/t";
    w.props.correlation_data = Bytes(s.corr);
    w.props.will_delay_interval = 30;
    w.props.user_properties = UserProperties(two_pairs_block());
    c.props.session_expiry_interval = 0xFFFFFFFF;
    c.props.authentication_method = "SCRAM-SHA-1";
    c.props.authentication_data = Bytes(s.corr);
    c.props.request_problem_information = 0;
    c.props.request_response_information = 1;
    c.props.receive_maximum = 100;
    c.props.topic_alias_maximum = 16;
    c.props.maximum_packet_size = 1 << 20;
    c.props.user_properties = UserProperties(kv_block());
  }
  c.will = w;
  c.username = "user";
  c.password = bytes_of("secret");
  out.push_back(c);

  ConnAck ca{.session_present = true, .code = 0};
  if (v5) {
    ca.props.session_expiry_interval = 60;
    ca.props.assigned_client_identifier = "auto-1";
    ca.props.server_keep_alive = 30;
    ca.props.authentication_method = "SCRAM-SHA-1";
    ca.props.authentication_data = Bytes(s.corr);
    ca.props.response_information = "info";
    ca.props.server_reference = "other:1883";
    ca.props.reason_string = "welcome";
    ca.props.receive_maximum = 10;
    ca.props.topic_alias_maximum = 5;
    ca.props.maximum_qos = 1;
    ca.props.retain_available = 0;
    ca.props.user_properties = UserProperties(kv_block());
    ca.props.maximum_packet_size = 65536;
    ca.props.wildcard_subscription_available = 1;
    ca.props.subscription_identifier_available = 0;
    ca.props.shared_subscription_available = 1;
  }
  out.push_back(ca);

  Publish p{
      .topic = "a/b/c", .payload = bytes_of(s.big), .qos = Qos::k2, .retain = true, .dup = true, .packet_id = 65535};
  if (v5) {
    p.props.payload_format_indicator = 0;
    p.props.message_expiry_interval = 3600;
    p.props.content_type = "application/octet-stream";
    p.props.response_topic = "reply/here";
    p.props.correlation_data = Bytes(s.corr);
    p.props.subscription_identifier = 268'435'455;  // the largest Variable Byte Integer
    p.props.topic_alias = 7;
    p.props.user_properties = UserProperties(two_pairs_block());
  }
  out.push_back(p);
  out.push_back(Publish{.topic = "t", .payload = {}, .qos = Qos::k0});

  auto ack_props = [&](Properties& props) {
    if (!v5) return;
    props.reason_string = "because";
    props.user_properties = UserProperties(kv_block());
  };
  PubAck pa{.packet_id = 1, .reason = v5 ? ReasonCode::kQuotaExceeded : ReasonCode::kSuccess};
  ack_props(pa.props);
  out.push_back(pa);
  PubRec prec{.packet_id = 2, .reason = v5 ? ReasonCode::kNoMatchingSubscribers : ReasonCode::kSuccess};
  out.push_back(prec);
  PubRel prel{.packet_id = 3};
  ack_props(prel.props);
  out.push_back(prel);
  PubComp pcomp{.packet_id = 4, .reason = v5 ? ReasonCode::kPacketIdentifierNotFound : ReasonCode::kSuccess};
  ack_props(pcomp.props);
  out.push_back(pcomp);

  Subscribe sub{.packet_id = 9};
  sub.entries.push_back({"a/+/c", {.qos = Qos::k2}});
  sub.entries.push_back({"#", {.qos = Qos::k1}});
  if (v5) {
    sub.entries.push_back(
        {"x/y", {.qos = Qos::k0, .no_local = true, .retain_as_published = true, .retain_handling = 1}});
    sub.props.subscription_identifier = 42;
    sub.props.user_properties = UserProperties(kv_block());
  }
  out.push_back(sub);

  SubAck sa{.packet_id = 9, .codes = {0x02, 0x01, 0x80}};
  if (v5) {
    sa.codes.push_back(0xA2);
    ack_props(sa.props);
  }
  out.push_back(sa);

  Unsubscribe un{.packet_id = 10, .filters = {"a/+/c", "$share/g/#"}};
  if (v5) un.props.user_properties = UserProperties(kv_block());
  out.push_back(un);

  UnsubAck ua{.packet_id = 10};
  if (v5) {
    ua.codes = {0x00, 0x11};
    ack_props(ua.props);
  }
  out.push_back(ua);

  out.push_back(PingReq{});
  out.push_back(PingResp{});

  Disconnect d;
  if (v5) {
    d.reason = ReasonCode::kDisconnectWithWill;
    d.props.session_expiry_interval = 0;
    d.props.reason_string = "bye";
    d.props.user_properties = UserProperties(kv_block());
  }
  out.push_back(d);

  if (v5) {
    Auth a{.reason = ReasonCode::kReAuthenticate};
    a.props.authentication_method = "SCRAM-SHA-1";
    a.props.authentication_data = Bytes(s.corr);
    a.props.reason_string = "again";
    a.props.user_properties = UserProperties(kv_block());
    out.push_back(a);
  }
  return out;
}

// Client-to-server packets decode on the server side, the others on the client side.
bool server_receives(PacketType t) {
  switch (t) {
    case PacketType::kConnAck:
    case PacketType::kSubAck:
    case PacketType::kUnsubAck:
    case PacketType::kPingResp: return false;
    case PacketType::kPublish: return false;  // carries a Subscription Identifier, which only a server may send
    default: return true;
  }
}

void round_trip_all(Version v) {
  const Storage s;
  for (const Packet& original : rich_packets(v, s)) {
    const PacketType type = type_of(original);
    SCOPED_TRACE(to_string(type));
    Buffer out;
    const std::size_t n = encode(original, v, out);
    ASSERT_EQ(n, out.size());
    const auto r = decode(out, v, DecodeLimits{.server_side = server_receives(type)});
    ASSERT_TRUE(r) << r.error();
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->size, out.size());
    ASSERT_EQ(type_of((*r)->packet), type);
    std::visit(
        [&](const auto& decoded) {
          using T = std::decay_t<decltype(decoded)>;
          expect_same(std::get<T>(original), decoded);
        },
        (*r)->packet);
  }
}

TEST(RoundTrip, EveryPacketType311) { round_trip_all(Version::k311); }
TEST(RoundTrip, EveryPacketType5) { round_trip_all(Version::k5); }

TEST(RoundTrip, ConnectWithUnsupportedLevels) {
  for (std::uint8_t level : {0, 3, 6, 255}) {
    Buffer out;
    encode(Connect{.protocol_level = level}, Version::k5, out);
    const auto r = decode(out, Version::k5, DecodeLimits{});
    ASSERT_TRUE(r && r->has_value()) << int{level};
    EXPECT_EQ(std::get<Connect>((*r)->packet).protocol_level, level);
  }
}

TEST(PacketType, TypeOfAndToString) {
  EXPECT_EQ(type_of(Packet{Connect{}}), PacketType::kConnect);
  EXPECT_EQ(type_of(Packet{PubRel{}}), PacketType::kPubRel);
  EXPECT_EQ(type_of(Packet{Auth{}}), PacketType::kAuth);
  EXPECT_EQ(to_string(PacketType::kUnsubAck), "UNSUBACK");
  EXPECT_EQ(to_string(PacketType::kPingReq), "PINGREQ");
}

}  // namespace
}  // namespace tenet::mqtt
