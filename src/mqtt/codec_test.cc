// Decoder tests. Every vector below is hex typed by hand from the MQTT 3.1.1 / 5.0 specs, never
// produced by our encoder, so an encoder bug cannot hide a decoder bug (and vice versa).
#include "mqtt/codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/testing/hex.h"
#include "mqtt/testing/alloc_counter.h"

namespace tenet::mqtt {
namespace {

using core::Errc;
using core::testing::from_hex;

const DecodeLimits kServer{};
const DecodeLimits kClient{.server_side = false};

using DecodeResult = core::Result<std::optional<Decoded>>;

std::string describe(const DecodeResult& r) {
  if (!r) return "error: " + r.error().to_string();
  if (!r->has_value()) return "need more bytes";
  return "decoded " + std::string(to_string(type_of((*r)->packet))) + " of " + std::to_string((*r)->size) + " bytes";
}

// The packet, if `r` holds a whole packet of type T.
template <typename T>
const T* whole(const DecodeResult& r) {
  if (!r || !r->has_value()) return nullptr;
  return std::get_if<T>(&(*r)->packet);
}

::testing::AssertionResult fails_with(std::string_view hex, Version version, const DecodeLimits& limits, Errc code) {
  const auto bytes = from_hex(hex);
  const auto r = decode(bytes, version, limits);
  if (r) return ::testing::AssertionFailure() << describe(r) << ", expected " << core::to_string(code);
  if (r.error().code != code) {
    return ::testing::AssertionFailure() << r.error() << ", expected " << core::to_string(code);
  }
  return ::testing::AssertionSuccess() << r.error();
}

using Pairs = std::vector<std::pair<std::string_view, std::string_view>>;

Pairs pairs(const UserProperties& up) {
  Pairs out;
  for (auto kv : up) out.push_back(kv);
  return out;
}

std::string_view chars(Bytes b) { return core::as_chars(b); }
std::vector<std::byte> vec(Bytes b) { return {b.begin(), b.end()}; }

// ---------------------------------------------------------------------------------------------
// Hand-written vectors. "props" = MQTT 5 property block; lengths are in the comments.

// MQTT 3.1.1
constexpr std::string_view kConnect311 =  // client "c1", clean session, keep alive 60
    "10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 63 31";
constexpr std::string_view kConnect311Full =  // flags EE: user, password, will retain, will QoS 1, will, clean
    "10 1f 00 04 4d 51 54 54 04 ee 00 0a 00 02 63 31"
    " 00 03 77 2f 74 00 03 62 79 65 00 01 75 00 02 70 77";
constexpr std::string_view kConnectMqisdp =  // MQTT 3.1: protocol "MQIsdp" level 3
    "10 0e 00 06 4d 51 49 73 64 70 03 02 00 3c 00 00";
constexpr std::string_view kConnectLevel6 = "10 0c 00 04 4d 51 54 54 06 02 00 3c 00 00";
constexpr std::string_view kConnAck311 = "20 02 01 00";                           // session present, accepted
constexpr std::string_view kConnAck311Refused = "20 02 00 05";                    // not authorized
constexpr std::string_view kPublish311Qos0 = "30 07 00 03 61 2f 62 68 69";        // "a/b" "hi"
constexpr std::string_view kPublish311Qos1 = "3b 09 00 03 61 2f 62 00 0a 68 69";  // DUP QoS 1 RETAIN, id 10
constexpr std::string_view kPublish311Qos2Empty = "34 07 00 03 61 2f 62 12 34";   // id 0x1234, no payload
constexpr std::string_view kPubAck311 = "40 02 00 0a";
constexpr std::string_view kPubRec311 = "50 02 00 0a";
constexpr std::string_view kPubRel311 = "62 02 00 0a";
constexpr std::string_view kPubComp311 = "70 02 00 0a";
constexpr std::string_view kSubscribe311 =  // id 7: "a/b" QoS 1, "c/#" QoS 2
    "82 0e 00 07 00 03 61 2f 62 01 00 03 63 2f 23 02";
constexpr std::string_view kSubAck311 = "90 04 00 07 01 80";
constexpr std::string_view kUnsubscribe311 = "a2 07 00 07 00 03 61 2f 62";
constexpr std::string_view kUnsubAck311 = "b0 02 00 07";
constexpr std::string_view kPingReq = "c0 00";
constexpr std::string_view kPingResp = "d0 00";
constexpr std::string_view kDisconnect311 = "e0 00";

// MQTT 5
constexpr std::string_view kConnect5 =  // client "c1", clean start, keep alive 60, no props
    "10 0f 00 04 4d 51 54 54 05 02 00 3c 00 00 02 63 31";
constexpr std::string_view kConnect5Will =
    "10 43 00 04 4d 51 54 54 05 ce 00 1e"  // flags CE: user, password, will QoS 1, will, clean; keep alive 30
    " 14 11 00 00 00 78 21 00 14 27 00 00 10 00 26 00 01 6b 00 01 76"  // props (20): expiry 120,
                                                                       // rx max 20, max size 4096, k=v
    " 00 02 63 31"                                                     // client "c1"
    " 0e 18 00 00 00 05 01 01 03 00 04 74 65 78 74"                    // will props (14): delay 5,
                                                                       // format 1, content "text"
    " 00 03 77 2f 74 00 03 62 79 65"                                   // will "w/t" "bye"
    " 00 01 75 00 02 70 77";                                           // user "u", password "pw"
constexpr std::string_view kConnect5PasswordOnly =                     // flags 42: password, clean; allowed on v5
    "10 13 00 04 4d 51 54 54 05 42 00 3c 00 00 02 63 31 00 02 70 77";
constexpr std::string_view kConnAck5 =  // props (10): alias max 10, assigned id "id", max QoS 1
    "20 0d 00 00 0a 22 00 0a 12 00 02 69 64 24 01";
constexpr std::string_view kConnAck5Minimal = "20 03 00 00 00";
constexpr std::string_view kConnAck5From311Server = "20 02 00 01";  // a 3.1.1 server's refusal
constexpr std::string_view kPublish5 =
    "32 27 00 03 61 2f 62 00 01"                  // QoS 1 "a/b" id 1
    " 1a 02 00 00 00 3c 23 00 05 09 00 02 ab cd"  // props (26): expiry 60, alias 5, corr abcd,
    " 26 00 01 6b 00 01 76 08 00 03 72 2f 74"     //   k=v, response topic "r/t"
    " 68 65 6c 6c 6f";                            // "hello"
constexpr std::string_view kPublish5AliasOnly = "30 07 00 00 03 23 00 05 78";  // empty topic, alias 5, "x"
constexpr std::string_view kPublish5NoProps = "30 08 00 03 61 2f 62 00 68 69";
constexpr std::string_view kPublish5TwoSubIds = "30 0b 00 03 61 2f 62 04 0b 01 0b 02 78";  // server to client
constexpr std::string_view kPubAck5Short = "40 02 00 0a";
constexpr std::string_view kPubAck5ReasonOnly = "40 03 00 0a 10";               // no matching subscribers
constexpr std::string_view kPubAck5Props = "40 09 00 0a 87 05 1f 00 02 6e 6f";  // not authorized, "no"
constexpr std::string_view kPubAck5EmptyProps = "40 04 00 0a 00 00";
constexpr std::string_view kPubRec5 = "50 02 00 0b";
constexpr std::string_view kPubRel5 = "62 03 00 0b 92";  // packet identifier not found
constexpr std::string_view kPubComp5 = "70 0b 00 0b 00 07 26 00 01 6b 00 01 76";
constexpr std::string_view kSubscribe5 =
    "82 1f 00 07 09 0b 05 26 00 01 6b 00 01 76"  // id 7, props (9): sub id 5, k=v
    " 00 03 61 2f 62 2d"                         // "a/b": QoS 1, NL, RAP, RH 2
    " 00 0a 24 73 68 61 72 65 2f 67 2f 63 02";   // "$share/g/c": QoS 2
constexpr std::string_view kSubAck5 = "90 0c 00 07 05 1f 00 02 6f 6b 01 02 87 a2";
constexpr std::string_view kUnsubscribe5 = "a2 0b 00 08 00 00 03 61 2f 62 00 01 63";
constexpr std::string_view kUnsubAck5 = "b0 05 00 08 00 00 11";
constexpr std::string_view kDisconnect5Normal = "e0 00";
constexpr std::string_view kDisconnect5Will = "e0 01 04";
constexpr std::string_view kDisconnect5Props =  // unspecified error, expiry 0, reason "x"
    "e0 0b 80 09 11 00 00 00 00 1f 00 01 78";
constexpr std::string_view kAuth5Short = "f0 00";
constexpr std::string_view kAuth5 =  // continue authentication, method "SCRAM", data 0102
    "f0 0f 18 0d 15 00 05 53 43 52 41 4d 16 00 02 01 02";

struct Vector {
  const char* name;
  std::string_view hex;
  Version version;
  bool server_side;  // the side that receives it
};

const std::vector<Vector>& all_vectors() {
  static const std::vector<Vector> v = {
      {"connect_311", kConnect311, Version::k311, true},
      {"connect_311_full", kConnect311Full, Version::k311, true},
      {"connect_mqisdp", kConnectMqisdp, Version::k311, true},
      {"connect_level6", kConnectLevel6, Version::k5, true},
      {"connack_311", kConnAck311, Version::k311, false},
      {"connack_311_refused", kConnAck311Refused, Version::k311, false},
      {"publish_311_qos0", kPublish311Qos0, Version::k311, true},
      {"publish_311_qos1", kPublish311Qos1, Version::k311, false},
      {"publish_311_qos2_empty", kPublish311Qos2Empty, Version::k311, true},
      {"puback_311", kPubAck311, Version::k311, true},
      {"pubrec_311", kPubRec311, Version::k311, false},
      {"pubrel_311", kPubRel311, Version::k311, true},
      {"pubcomp_311", kPubComp311, Version::k311, false},
      {"subscribe_311", kSubscribe311, Version::k311, true},
      {"suback_311", kSubAck311, Version::k311, false},
      {"unsubscribe_311", kUnsubscribe311, Version::k311, true},
      {"unsuback_311", kUnsubAck311, Version::k311, false},
      {"pingreq", kPingReq, Version::k311, true},
      {"pingresp", kPingResp, Version::k5, false},
      {"disconnect_311", kDisconnect311, Version::k311, true},
      {"connect_5", kConnect5, Version::k5, true},
      {"connect_5_will", kConnect5Will, Version::k5, true},
      {"connect_5_password_only", kConnect5PasswordOnly, Version::k5, true},
      {"connack_5", kConnAck5, Version::k5, false},
      {"connack_5_minimal", kConnAck5Minimal, Version::k5, false},
      {"connack_5_from_311_server", kConnAck5From311Server, Version::k5, false},
      {"publish_5", kPublish5, Version::k5, true},
      {"publish_5_alias_only", kPublish5AliasOnly, Version::k5, true},
      {"publish_5_no_props", kPublish5NoProps, Version::k5, true},
      {"publish_5_two_sub_ids", kPublish5TwoSubIds, Version::k5, false},
      {"puback_5_short", kPubAck5Short, Version::k5, true},
      {"puback_5_reason_only", kPubAck5ReasonOnly, Version::k5, false},
      {"puback_5_props", kPubAck5Props, Version::k5, true},
      {"puback_5_empty_props", kPubAck5EmptyProps, Version::k5, true},
      {"pubrec_5", kPubRec5, Version::k5, true},
      {"pubrel_5", kPubRel5, Version::k5, false},
      {"pubcomp_5", kPubComp5, Version::k5, true},
      {"subscribe_5", kSubscribe5, Version::k5, true},
      {"suback_5", kSubAck5, Version::k5, false},
      {"unsubscribe_5", kUnsubscribe5, Version::k5, true},
      {"unsuback_5", kUnsubAck5, Version::k5, false},
      {"disconnect_5_normal", kDisconnect5Normal, Version::k5, true},
      {"disconnect_5_will", kDisconnect5Will, Version::k5, true},
      {"disconnect_5_props", kDisconnect5Props, Version::k5, true},
      {"auth_5_short", kAuth5Short, Version::k5, true},
      {"auth_5", kAuth5, Version::k5, false},
  };
  return v;
}

DecodeLimits side(bool server_side) { return server_side ? kServer : kClient; }

// ---- Properties common to every vector ---------------------------------------------------------

TEST(DecodeVectors, EveryVectorDecodesToExactlyItsBytes) {
  for (const Vector& v : all_vectors()) {
    SCOPED_TRACE(v.name);
    const auto bytes = from_hex(v.hex);
    const auto r = decode(bytes, v.version, side(v.server_side));
    ASSERT_TRUE(r && r->has_value()) << describe(r);
    EXPECT_EQ((*r)->size, bytes.size());
  }
}

TEST(DecodeVectors, EveryTruncationAsksForMoreBytes) {
  for (const Vector& v : all_vectors()) {
    const auto bytes = from_hex(v.hex);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      const auto r = decode(std::span(bytes).first(n), v.version, side(v.server_side));
      ASSERT_TRUE(r && !r->has_value()) << v.name << " prefix " << n << ": " << describe(r);
    }
  }
}

TEST(DecodeVectors, StopsAtThePacketBoundaryOfAStream) {
  for (const Vector& v : all_vectors()) {
    SCOPED_TRACE(v.name);
    auto bytes = from_hex(v.hex);
    const std::size_t first = bytes.size();
    const auto more = from_hex("e0 00");  // DISCONNECT: both sides, both versions
    bytes.insert(bytes.end(), more.begin(), more.end());
    const auto r = decode(bytes, v.version, side(v.server_side));
    ASSERT_TRUE(r && r->has_value()) << describe(r);
    EXPECT_EQ((*r)->size, first);
  }
}

TEST(DecodeVectors, ReencodingIsStable) {
  // decode -> encode -> decode -> encode gives the same bytes twice (the encoder may pick other
  // but equivalent forms than the hand-written vector, e.g. property order).
  for (const Vector& v : all_vectors()) {
    SCOPED_TRACE(v.name);
    const auto bytes = from_hex(v.hex);
    const auto r1 = decode(bytes, v.version, side(v.server_side));
    ASSERT_TRUE(r1 && r1->has_value()) << describe(r1);
    Buffer e1;
    encode((*r1)->packet, v.version, e1);
    const auto r2 = decode(e1, v.version, side(v.server_side));
    ASSERT_TRUE(r2 && r2->has_value()) << describe(r2);
    EXPECT_EQ((*r2)->size, e1.size());
    EXPECT_EQ(type_of((*r2)->packet), type_of((*r1)->packet));
    Buffer e2;
    encode((*r2)->packet, v.version, e2);
    EXPECT_EQ(e1, e2);
  }
}

// ---- CONNECT --------------------------------------------------------------------------------

TEST(DecodeConnect, Reads311Minimal) {
  const auto bytes = from_hex(kConnect311);
  const auto r = decode(bytes, Version::k5, kServer);  // CONNECT carries its own version
  const auto* c = whole<Connect>(r);
  ASSERT_NE(c, nullptr) << describe(r);
  EXPECT_EQ(c->protocol_level, 4);
  EXPECT_EQ(c->version(), Version::k311);
  EXPECT_EQ(c->client_id, "c1");
  EXPECT_TRUE(c->clean_start);
  EXPECT_EQ(c->keep_alive, 60);
  EXPECT_FALSE(c->will);
  EXPECT_FALSE(c->username);
  EXPECT_FALSE(c->password);
}

TEST(DecodeConnect, Reads311WillUserAndPassword) {
  const auto bytes = from_hex(kConnect311Full);
  const auto r = decode(bytes, Version::k311, kServer);
  const auto* c = whole<Connect>(r);
  ASSERT_NE(c, nullptr) << describe(r);
  EXPECT_EQ(c->keep_alive, 10);
  ASSERT_TRUE(c->will);
  EXPECT_EQ(c->will->topic, "w/t");
  EXPECT_EQ(chars(c->will->payload), "bye");
  EXPECT_EQ(c->will->qos, Qos::k1);
  EXPECT_TRUE(c->will->retain);
  EXPECT_EQ(c->username, "u");
  ASSERT_TRUE(c->password);
  EXPECT_EQ(chars(*c->password), "pw");
}

TEST(DecodeConnect, RecognisesMqtt31SoTheBrokerCanRefuseIt) {  // [MQTT-3.1.2-2]
  const auto bytes = from_hex(kConnectMqisdp);
  const auto r = decode(bytes, Version::k311, kServer);
  const auto* c = whole<Connect>(r);
  ASSERT_NE(c, nullptr) << describe(r);
  EXPECT_EQ(c->protocol_level, 3);
  EXPECT_EQ(c->keep_alive, 0);  // nothing else is read
}

TEST(DecodeConnect, UnknownLevelReturnsOnlyTheLevel) {  // [MQTT-3.1.2-2]
  const auto bytes = from_hex(kConnectLevel6);
  const auto r = decode(bytes, Version::k5, kServer);
  const auto* c = whole<Connect>(r);
  ASSERT_NE(c, nullptr) << describe(r);
  EXPECT_EQ(c->protocol_level, 6);
  EXPECT_EQ(c->client_id, "");
}

TEST(DecodeConnect, Reads5PropertiesAndWillProperties) {
  const auto bytes = from_hex(kConnect5Will);
  const auto r = decode(bytes, Version::k311, kServer);
  const auto* c = whole<Connect>(r);
  ASSERT_NE(c, nullptr) << describe(r);
  EXPECT_EQ(c->protocol_level, 5);
  EXPECT_EQ(c->version(), Version::k5);
  EXPECT_EQ(c->keep_alive, 30);
  EXPECT_EQ(c->props.session_expiry_interval, 120u);
  EXPECT_EQ(c->props.receive_maximum, 20);
  EXPECT_EQ(c->props.maximum_packet_size, 4096u);
  EXPECT_EQ(pairs(c->props.user_properties), (Pairs{{"k", "v"}}));
  EXPECT_EQ(c->client_id, "c1");
  ASSERT_TRUE(c->will);
  EXPECT_EQ(c->will->qos, Qos::k1);
  EXPECT_FALSE(c->will->retain);
  EXPECT_EQ(c->will->props.will_delay_interval, 5u);
  EXPECT_EQ(c->will->props.payload_format_indicator, 1);
  EXPECT_EQ(c->will->props.content_type, "text");
  EXPECT_TRUE(c->will->props.user_properties.empty());
  EXPECT_EQ(c->will->topic, "w/t");
  EXPECT_EQ(chars(c->will->payload), "bye");
  EXPECT_EQ(c->username, "u");
  EXPECT_EQ(chars(*c->password), "pw");
}

TEST(DecodeConnect, PasswordWithoutUserNameIsAllowedOnlyOn5) {  // [MQTT-3.1.2-22] is 3.1.1 only
  const auto bytes = from_hex(kConnect5PasswordOnly);
  const auto r = decode(bytes, Version::k5, kServer);
  const auto* c = whole<Connect>(r);
  ASSERT_NE(c, nullptr) << describe(r);
  EXPECT_FALSE(c->username);
  EXPECT_EQ(chars(*c->password), "pw");
  EXPECT_TRUE(fails_with("10 12 00 04 4d 51 54 54 04 42 00 3c 00 02 63 31 00 02 70 77", Version::k311, kServer,
                         Errc::kMalformed));
}

TEST(DecodeConnect, ReservedFlagIsMalformed) {  // [MQTT-3.1.2-3]
  EXPECT_TRUE(fails_with("10 0e 00 04 4d 51 54 54 04 03 00 3c 00 02 63 31", Version::k311, kServer, Errc::kMalformed));
}

TEST(DecodeConnect, WillQosOrRetainWithoutWillFlagIsMalformed) {  // [MQTT-3.1.2-11, -13]
  EXPECT_TRUE(fails_with("10 0e 00 04 4d 51 54 54 04 0a 00 3c 00 02 63 31", Version::k311, kServer, Errc::kMalformed));
  EXPECT_TRUE(fails_with("10 0e 00 04 4d 51 54 54 04 22 00 3c 00 02 63 31", Version::k311, kServer, Errc::kMalformed));
}

TEST(DecodeConnect, WillQos3IsMalformed) {  // [MQTT-3.1.2-12]
  EXPECT_TRUE(fails_with("10 16 00 04 4d 51 54 54 04 1e 00 3c 00 02 63 31 00 03 77 2f 74 00 01 62", Version::k311,
                         kServer, Errc::kMalformed));
}

TEST(DecodeConnect, UnknownProtocolNameIsMalformed) {  // [MQTT-3.1.2-1]
  EXPECT_TRUE(fails_with("10 0e 00 04 4d 51 54 58 04 02 00 3c 00 02 63 31", Version::k311, kServer, Errc::kMalformed));
  EXPECT_TRUE(fails_with("10 0e 00 06 4d 51 49 73 64 70 04 02 00 3c 00 00", Version::k311, kServer, Errc::kMalformed));
}

TEST(DecodeConnect, DuplicatePropertyIsAProtocolViolation) {  // Receive Maximum twice
  EXPECT_TRUE(fails_with("10 15 00 04 4d 51 54 54 05 02 00 3c 06 21 00 01 21 00 02 00 02 63 31", Version::k5, kServer,
                         Errc::kProtocolViolation));
}

TEST(DecodeConnect, ReceiveMaximumZeroIsAProtocolViolation) {  // spec 3.1.2.11.3
  EXPECT_TRUE(fails_with("10 12 00 04 4d 51 54 54 05 02 00 3c 03 21 00 00 00 02 63 31", Version::k5, kServer,
                         Errc::kProtocolViolation));
}

TEST(DecodeConnect, MaximumPacketSizeZeroIsAProtocolViolation) {  // spec 3.1.2.11.4
  EXPECT_TRUE(fails_with("10 14 00 04 4d 51 54 54 05 02 00 3c 05 27 00 00 00 00 00 02 63 31", Version::k5, kServer,
                         Errc::kProtocolViolation));
}

TEST(DecodeConnect, PublishOnlyPropertyIsMalformed) {  // Topic Alias in CONNECT
  EXPECT_TRUE(fails_with("10 12 00 04 4d 51 54 54 05 02 00 3c 03 23 00 01 00 02 63 31", Version::k5, kServer,
                         Errc::kMalformed));
}

TEST(DecodeConnect, AuthenticationDataWithoutMethodIsAProtocolViolation) {
  EXPECT_TRUE(fails_with("10 13 00 04 4d 51 54 54 05 02 00 3c 04 16 00 01 aa 00 02 63 31", Version::k5, kServer,
                         Errc::kProtocolViolation));
}

TEST(DecodeConnect, RequestProblemInformationMustBe0Or1) {  // spec 3.1.2.11.7
  EXPECT_TRUE(fails_with("10 11 00 04 4d 51 54 54 05 02 00 3c 02 17 02 00 02 63 31", Version::k5, kServer,
                         Errc::kProtocolViolation));
}

TEST(DecodeConnect, ClientIdWithInvalidUtf8IsMalformed) {  // [MQTT-1.5.4-1]
  EXPECT_TRUE(fails_with("10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 c0 80", Version::k311, kServer, Errc::kMalformed));
}

TEST(DecodeConnect, TrailingBytesAreMalformed) {
  EXPECT_TRUE(
      fails_with("10 0f 00 04 4d 51 54 54 04 02 00 3c 00 02 63 31 00", Version::k311, kServer, Errc::kMalformed));
}

TEST(DecodeConnect, FieldRunningPastTheBodyIsMalformed) {  // client id claims 3 bytes, 2 remain
  EXPECT_TRUE(
      fails_with("10 0e 00 04 4d 51 54 54 04 02 00 3c 00 03 63 31 ff", Version::k311, kServer, Errc::kMalformed));
}

// ---- CONNACK ------------------------------------------------------------------------------------

TEST(DecodeConnAck, Reads311SessionPresentAndCode) {
  auto bytes = from_hex(kConnAck311);
  auto r = decode(bytes, Version::k311, kClient);
  const auto* a = whole<ConnAck>(r);
  ASSERT_NE(a, nullptr) << describe(r);
  EXPECT_TRUE(a->session_present);
  EXPECT_EQ(a->code, 0);
  bytes = from_hex(kConnAck311Refused);
  r = decode(bytes, Version::k311, kClient);
  a = whole<ConnAck>(r);
  ASSERT_NE(a, nullptr) << describe(r);
  EXPECT_FALSE(a->session_present);
  EXPECT_EQ(a->code, static_cast<std::uint8_t>(ConnectReturnCode::kNotAuthorized));
}

TEST(DecodeConnAck, Reads5Properties) {
  const auto bytes = from_hex(kConnAck5);
  const auto r = decode(bytes, Version::k5, kClient);
  const auto* a = whole<ConnAck>(r);
  ASSERT_NE(a, nullptr) << describe(r);
  EXPECT_FALSE(a->session_present);
  EXPECT_EQ(a->code, 0);
  EXPECT_EQ(a->props.topic_alias_maximum, 10);
  EXPECT_EQ(a->props.assigned_client_identifier, "id");
  EXPECT_EQ(a->props.maximum_qos, 1);
  EXPECT_FALSE(a->props.receive_maximum);
}

TEST(DecodeConnAck, AcceptsA311RefusalWhileSpeaking5) {
  const auto bytes = from_hex(kConnAck5From311Server);
  const auto r = decode(bytes, Version::k5, kClient);
  const auto* a = whole<ConnAck>(r);
  ASSERT_NE(a, nullptr) << describe(r);
  EXPECT_EQ(a->code, static_cast<std::uint8_t>(ConnectReturnCode::kUnacceptableProtocolVersion));
}

TEST(DecodeConnAck, ReservedFlagsAreMalformed) {  // [MQTT-3.2.2-1]
  EXPECT_TRUE(fails_with("20 02 02 00", Version::k311, kClient, Errc::kMalformed));
}

TEST(DecodeConnAck, SessionPresentOnRefusalIsAProtocolViolation) {  // [MQTT-3.2.2-6]
  EXPECT_TRUE(fails_with("20 03 01 87 00", Version::k5, kClient, Errc::kProtocolViolation));
}

TEST(DecodeConnAck, Reserved311ReturnCodeIsAProtocolViolation) {  // spec 3.2.2.3: 6-255 reserved
  EXPECT_TRUE(fails_with("20 02 00 06", Version::k311, kClient, Errc::kProtocolViolation));
}

TEST(DecodeConnAck, Wrong311LengthIsMalformed) {
  EXPECT_TRUE(fails_with("20 03 00 00 00", Version::k311, kClient, Errc::kMalformed));
  EXPECT_TRUE(fails_with("20 01 00", Version::k311, kClient, Errc::kMalformed));
}

// ---- PUBLISH ------------------------------------------------------------------------------------

TEST(DecodePublish, Reads311Qos0) {
  const auto bytes = from_hex(kPublish311Qos0);
  const auto r = decode(bytes, Version::k311, kServer);
  const auto* p = whole<Publish>(r);
  ASSERT_NE(p, nullptr) << describe(r);
  EXPECT_EQ(p->topic, "a/b");
  EXPECT_EQ(chars(p->payload), "hi");
  EXPECT_EQ(p->qos, Qos::k0);
  EXPECT_FALSE(p->retain);
  EXPECT_FALSE(p->dup);
  EXPECT_EQ(p->packet_id, 0);
}

TEST(DecodePublish, Reads311FlagsAndPacketId) {
  const auto bytes = from_hex(kPublish311Qos1);
  const auto r = decode(bytes, Version::k311, kClient);
  const auto* p = whole<Publish>(r);
  ASSERT_NE(p, nullptr) << describe(r);
  EXPECT_EQ(p->qos, Qos::k1);
  EXPECT_TRUE(p->retain);
  EXPECT_TRUE(p->dup);
  EXPECT_EQ(p->packet_id, 10);
  EXPECT_EQ(chars(p->payload), "hi");
}

TEST(DecodePublish, PayloadIsAViewIntoTheInput) {
  const auto bytes = from_hex(kPublish311Qos2Empty);
  const auto r = decode(bytes, Version::k311, kServer);
  const auto* p = whole<Publish>(r);
  ASSERT_NE(p, nullptr) << describe(r);
  EXPECT_EQ(p->qos, Qos::k2);
  EXPECT_EQ(p->packet_id, 0x1234);
  EXPECT_TRUE(p->payload.empty());
  EXPECT_EQ(p->topic.data(), reinterpret_cast<const char*>(bytes.data() + 4));
}

TEST(DecodePublish, Reads5Properties) {
  const auto bytes = from_hex(kPublish5);
  const auto r = decode(bytes, Version::k5, kServer);
  const auto* p = whole<Publish>(r);
  ASSERT_NE(p, nullptr) << describe(r);
  EXPECT_EQ(p->topic, "a/b");
  EXPECT_EQ(p->packet_id, 1);
  EXPECT_EQ(p->props.message_expiry_interval, 60u);
  EXPECT_EQ(p->props.topic_alias, 5);
  ASSERT_TRUE(p->props.correlation_data);
  EXPECT_EQ(vec(*p->props.correlation_data), from_hex("ab cd"));
  EXPECT_EQ(p->props.response_topic, "r/t");
  EXPECT_EQ(pairs(p->props.user_properties), (Pairs{{"k", "v"}}));
  EXPECT_FALSE(p->props.subscription_identifier);
  EXPECT_EQ(chars(p->payload), "hello");
  EXPECT_EQ(p->payload.data(), bytes.data() + bytes.size() - 5);
}

TEST(DecodePublish, EmptyTopicWithAliasIsAllowedOn5) {
  const auto bytes = from_hex(kPublish5AliasOnly);
  const auto r = decode(bytes, Version::k5, kServer);
  const auto* p = whole<Publish>(r);
  ASSERT_NE(p, nullptr) << describe(r);
  EXPECT_EQ(p->topic, "");
  EXPECT_EQ(p->props.topic_alias, 5);
  EXPECT_EQ(chars(p->payload), "x");
}

TEST(DecodePublish, EmptyTopicIsAProtocolViolationOtherwise) {  // [MQTT-4.7.3-1], spec 3.3.2.1
  EXPECT_TRUE(fails_with("30 04 00 00 68 69", Version::k311, kServer, Errc::kProtocolViolation));
  EXPECT_TRUE(fails_with("30 05 00 00 00 68 69", Version::k5, kServer, Errc::kProtocolViolation));
}

TEST(DecodePublish, WildcardInTopicIsAProtocolViolation) {  // [MQTT-3.3.2-2]
  EXPECT_TRUE(fails_with("30 07 00 03 61 2f 23 68 69", Version::k311, kServer, Errc::kProtocolViolation));
  EXPECT_TRUE(fails_with("30 07 00 03 61 2f 2b 68 69", Version::k311, kServer, Errc::kProtocolViolation));
}

TEST(DecodePublish, Qos3IsMalformed) {  // [MQTT-3.3.1-4]
  EXPECT_TRUE(fails_with("36 09 00 03 61 2f 62 00 01 68 69", Version::k311, kServer, Errc::kMalformed));
  EXPECT_TRUE(fails_with("36", Version::k5, kServer, Errc::kMalformed));  // known from the first byte
}

TEST(DecodePublish, DupOnQos0IsMalformed) {  // [MQTT-3.3.1-2]
  EXPECT_TRUE(fails_with("38 07 00 03 61 2f 62 68 69", Version::k311, kServer, Errc::kMalformed));
}

TEST(DecodePublish, PacketIdZeroIsAProtocolViolation) {  // [MQTT-2.2.1-3]
  EXPECT_TRUE(fails_with("32 07 00 03 61 2f 62 00 00", Version::k311, kServer, Errc::kProtocolViolation));
}

TEST(DecodePublish, KeepsTheFirstOfSeveralSubscriptionIdentifiers) {  // [MQTT-3.3.4-3]
  const auto bytes = from_hex(kPublish5TwoSubIds);
  const auto r = decode(bytes, Version::k5, kClient);
  const auto* p = whole<Publish>(r);
  ASSERT_NE(p, nullptr) << describe(r);
  EXPECT_EQ(p->props.subscription_identifier, 1u);
}

TEST(DecodePublish, SubscriptionIdentifierFromAClientIsAProtocolViolation) {  // [MQTT-3.3.4-6]
  EXPECT_TRUE(fails_with(kPublish5TwoSubIds, Version::k5, kServer, Errc::kProtocolViolation));
}

TEST(DecodePublish, PropertyOfAnotherPacketIsMalformed) {  // Session Expiry in PUBLISH
  EXPECT_TRUE(fails_with("30 0b 00 03 61 2f 62 05 11 00 00 00 01", Version::k5, kServer, Errc::kMalformed));
}

TEST(DecodePublish, DuplicatePropertyIsAProtocolViolation) {  // Message Expiry twice
  EXPECT_TRUE(fails_with("30 10 00 03 61 2f 62 0a 02 00 00 00 01 02 00 00 00 02", Version::k5, kServer,
                         Errc::kProtocolViolation));
}

TEST(DecodePublish, UnknownPropertyIsMalformed) {
  EXPECT_TRUE(fails_with("30 08 00 03 61 2f 62 02 04 00", Version::k5, kServer, Errc::kMalformed));
  EXPECT_TRUE(fails_with("30 08 00 03 61 2f 62 02 ff 00", Version::k5, kServer, Errc::kMalformed));
}

TEST(DecodePublish, PropertyLengthPastTheBodyIsMalformed) {
  EXPECT_TRUE(fails_with("30 08 00 03 61 2f 62 05 01 00", Version::k5, kServer, Errc::kMalformed));
}

TEST(DecodePublish, PropertyValuePastItsBlockIsMalformed) {  // Message Expiry cut by Property Length 3
  EXPECT_TRUE(fails_with("30 0b 00 03 61 2f 62 03 02 00 00 00 01", Version::k5, kServer, Errc::kMalformed));
}

TEST(DecodePublish, NonMinimalPropertyLengthIsMalformed) {  // [MQTT-1.5.5-1]
  EXPECT_TRUE(fails_with("30 09 00 03 61 2f 62 80 00 68 69", Version::k5, kServer, Errc::kMalformed));
}

TEST(DecodePublish, ResponseTopicWithWildcardIsAProtocolViolation) {  // [MQTT-3.3.2-14]
  EXPECT_TRUE(fails_with("30 0b 00 03 61 2f 62 05 08 00 02 61 23", Version::k5, kServer, Errc::kProtocolViolation));
}

TEST(DecodePublish, DoesNotAllocate) {
  const auto a = from_hex(kPublish5);
  const auto b = from_hex(kPubAck5Props);
  const auto c = from_hex(kPingReq);
  const std::size_t before = testing::allocations_for_test();
  const bool ok = decode(a, Version::k5, kServer).has_value() && decode(b, Version::k5, kServer).has_value() &&
                  decode(c, Version::k5, kServer).has_value();
  const std::size_t after = testing::allocations_for_test();
  EXPECT_TRUE(ok);
  EXPECT_EQ(after, before);
}

// ---- UTF-8 ------------------------------------------------------------------------------------

TEST(DecodeUtf8, RejectsIllFormedTopics) {  // [MQTT-1.5.4-1, -2]
  const char* const bad[] = {
      "30 06 00 02 c0 af 68 69",        // overlong '/'
      "30 07 00 03 e0 80 af 68 69",     // overlong three-byte '/'
      "30 08 00 04 f0 80 80 af 68 69",  // overlong four-byte '/'
      "30 05 00 03 ed a0 80",           // U+D800, a surrogate
      "30 05 00 03 ed bf bf",           // U+DFFF
      "30 05 00 03 61 00 62",           // U+0000
      "30 06 00 04 f4 90 80 80",        // above U+10FFFF
      "30 04 00 02 e2 82",              // truncated sequence
      "30 03 00 01 80",                 // stray continuation byte
      "30 03 00 01 ff",                 // never valid in UTF-8
  };
  for (const char* hex : bad) {
    EXPECT_TRUE(fails_with(hex, Version::k311, kServer, Errc::kMalformed)) << hex;
  }
}

TEST(DecodeUtf8, AcceptsMultiByteCharacters) {
  const auto bytes = from_hex("30 0e 00 0c 61 2f c3 a9 2f e2 82 ac f0 9d 84 9e");  // "a/é/€𝄞"
  const auto r = decode(bytes, Version::k311, kServer);
  const auto* p = whole<Publish>(r);
  ASSERT_NE(p, nullptr) << describe(r);
  EXPECT_EQ(p->topic, "a/\xc3\xa9/\xe2\x82\xac\xf0\x9d\x84\x9e");
}

TEST(ValidMqttUtf8, Table) {
  EXPECT_TRUE(valid_mqtt_utf8(""));
  EXPECT_TRUE(valid_mqtt_utf8("plain ascii that is longer than eight bytes"));
  EXPECT_TRUE(valid_mqtt_utf8("\xef\xbf\xbf"));                         // U+FFFF: a non-character, but allowed
  EXPECT_TRUE(valid_mqtt_utf8("\xed\x9f\xbf"));                         // U+D7FF, just below the surrogates
  EXPECT_TRUE(valid_mqtt_utf8("\xf4\x8f\xbf\xbf"));                     // U+10FFFF
  EXPECT_FALSE(valid_mqtt_utf8(std::string_view("abcdefgh\0ij", 11)));  // NUL inside the fast path
  EXPECT_FALSE(valid_mqtt_utf8("abcdefgh\xed\xa0\x80"));
  EXPECT_FALSE(valid_mqtt_utf8("\xc1\xbf"));
  EXPECT_FALSE(valid_mqtt_utf8("\xf5\x80\x80\x80"));
}

// ---- Publish acknowledgements ------------------------------------------------------------------

TEST(DecodePubResponse, Reads311PacketIds) {
  const std::pair<std::string_view, PacketType> cases[] = {{kPubAck311, PacketType::kPubAck},
                                                           {kPubRec311, PacketType::kPubRec},
                                                           {kPubRel311, PacketType::kPubRel},
                                                           {kPubComp311, PacketType::kPubComp}};
  for (const auto& [hex, type] : cases) {
    const auto bytes = from_hex(hex);
    const auto r = decode(bytes, Version::k311, kServer);
    ASSERT_TRUE(r && r->has_value()) << describe(r);
    EXPECT_EQ(type_of((*r)->packet), type);
    std::visit(
        [](const auto& p) {
          if constexpr (requires {
                          p.packet_id;
                          p.reason;
                        }) {
            EXPECT_EQ(p.packet_id, 10);
            EXPECT_EQ(p.reason, ReasonCode::kSuccess);
          }
        },
        (*r)->packet);
  }
}

TEST(DecodePubResponse, Reads5ShortForms) {
  auto bytes = from_hex(kPubAck5Short);
  auto r = decode(bytes, Version::k5, kServer);
  const auto* a = whole<PubAck>(r);
  ASSERT_NE(a, nullptr) << describe(r);
  EXPECT_EQ(a->packet_id, 10);
  EXPECT_EQ(a->reason, ReasonCode::kSuccess);

  bytes = from_hex(kPubAck5ReasonOnly);
  r = decode(bytes, Version::k5, kClient);
  a = whole<PubAck>(r);
  ASSERT_NE(a, nullptr) << describe(r);
  EXPECT_EQ(a->reason, ReasonCode::kNoMatchingSubscribers);

  bytes = from_hex(kPubRel5);
  r = decode(bytes, Version::k5, kClient);
  const auto* rel = whole<PubRel>(r);
  ASSERT_NE(rel, nullptr) << describe(r);
  EXPECT_EQ(rel->packet_id, 11);
  EXPECT_EQ(rel->reason, ReasonCode::kPacketIdentifierNotFound);

  bytes = from_hex(kPubRec5);
  r = decode(bytes, Version::k5, kServer);
  ASSERT_NE(whole<PubRec>(r), nullptr) << describe(r);
}

TEST(DecodePubResponse, Reads5ReasonAndProperties) {
  auto bytes = from_hex(kPubAck5Props);
  auto r = decode(bytes, Version::k5, kServer);
  const auto* a = whole<PubAck>(r);
  ASSERT_NE(a, nullptr) << describe(r);
  EXPECT_EQ(a->reason, ReasonCode::kNotAuthorized);
  EXPECT_EQ(a->props.reason_string, "no");

  bytes = from_hex(kPubComp5);
  r = decode(bytes, Version::k5, kServer);
  const auto* c = whole<PubComp>(r);
  ASSERT_NE(c, nullptr) << describe(r);
  EXPECT_EQ(c->packet_id, 11);
  EXPECT_EQ(pairs(c->props.user_properties), (Pairs{{"k", "v"}}));

  bytes = from_hex(kPubAck5EmptyProps);
  r = decode(bytes, Version::k5, kServer);
  ASSERT_NE(whole<PubAck>(r), nullptr) << describe(r);
}

TEST(DecodePubResponse, Wrong311LengthIsMalformed) {
  EXPECT_TRUE(fails_with("40 03 00 0a 00", Version::k311, kServer, Errc::kMalformed));  // too long
  EXPECT_TRUE(fails_with("40 01 00", Version::k311, kServer, Errc::kMalformed));        // too short
  EXPECT_TRUE(fails_with("40 00", Version::k5, kServer, Errc::kMalformed));
}

TEST(DecodePubResponse, WrongFixedHeaderFlagsAreMalformed) {  // [MQTT-2.2.2-1, -2]
  EXPECT_TRUE(fails_with("41 02 00 0a", Version::k311, kServer, Errc::kMalformed));
  EXPECT_TRUE(fails_with("60 02 00 0a", Version::k311, kServer, Errc::kMalformed));  // PUBREL needs 0010
  EXPECT_TRUE(fails_with("72 02 00 0a", Version::k5, kServer, Errc::kMalformed));
}

TEST(DecodePubResponse, PacketIdZeroIsAProtocolViolation) {
  EXPECT_TRUE(fails_with("40 02 00 00", Version::k311, kServer, Errc::kProtocolViolation));
}

TEST(DecodePubResponse, ReasonCodeOfAnotherPacketIsAProtocolViolation) {
  EXPECT_TRUE(fails_with("40 03 00 0a 05", Version::k5, kServer, Errc::kProtocolViolation));
  EXPECT_TRUE(fails_with("62 03 00 0a 10", Version::k5, kServer, Errc::kProtocolViolation));  // PUBREL 0x10
}

TEST(DecodePubResponse, TopicAliasIsNotAllowed) {
  EXPECT_TRUE(fails_with("40 07 00 0a 00 03 23 00 01", Version::k5, kServer, Errc::kMalformed));
}

// ---- SUBSCRIBE / SUBACK / UNSUBSCRIBE / UNSUBACK ----------------------------------------------

TEST(DecodeSubscribe, Reads311Filters) {
  const auto bytes = from_hex(kSubscribe311);
  const auto r = decode(bytes, Version::k311, kServer);
  const auto* s = whole<Subscribe>(r);
  ASSERT_NE(s, nullptr) << describe(r);
  EXPECT_EQ(s->packet_id, 7);
  EXPECT_EQ(s->entries, (std::vector<SubscribeEntry>{{"a/b", {Qos::k1}}, {"c/#", {Qos::k2}}}));
}

TEST(DecodeSubscribe, Reads5OptionsAndProperties) {
  const auto bytes = from_hex(kSubscribe5);
  const auto r = decode(bytes, Version::k5, kServer);
  const auto* s = whole<Subscribe>(r);
  ASSERT_NE(s, nullptr) << describe(r);
  EXPECT_EQ(s->packet_id, 7);
  EXPECT_EQ(s->props.subscription_identifier, 5u);
  EXPECT_EQ(pairs(s->props.user_properties), (Pairs{{"k", "v"}}));
  const SubscriptionOptions first{.qos = Qos::k1, .no_local = true, .retain_as_published = true, .retain_handling = 2};
  EXPECT_EQ(s->entries, (std::vector<SubscribeEntry>{{"a/b", first}, {"$share/g/c", {Qos::k2}}}));
}

TEST(DecodeSubscribe, WrongFixedHeaderFlagsAreMalformed) {  // [MQTT-3.8.1-1]
  EXPECT_TRUE(fails_with("80 0e 00 07 00 03 61 2f 62 01 00 03 63 2f 23 02", Version::k311, kServer, Errc::kMalformed));
  EXPECT_TRUE(fails_with("a0 07 00 07 00 03 61 2f 62", Version::k311, kServer, Errc::kMalformed));  // [MQTT-3.10.1-1]
}

TEST(DecodeSubscribe, NoFiltersIsAProtocolViolation) {  // [MQTT-3.8.3-3], [MQTT-3.10.3-2]
  EXPECT_TRUE(fails_with("82 02 00 07", Version::k311, kServer, Errc::kProtocolViolation));
  EXPECT_TRUE(fails_with("82 03 00 07 00", Version::k5, kServer, Errc::kProtocolViolation));
  EXPECT_TRUE(fails_with("a2 02 00 07", Version::k311, kServer, Errc::kProtocolViolation));
}

TEST(DecodeSubscribe, PacketIdZeroIsAProtocolViolation) {  // [MQTT-2.2.1-3]
  EXPECT_TRUE(fails_with("82 08 00 00 00 03 61 2f 62 01", Version::k311, kServer, Errc::kProtocolViolation));
}

TEST(DecodeSubscribe, Reserved311QosBitsAreMalformed) {  // [MQTT-3-8.3-4]
  EXPECT_TRUE(fails_with("82 08 00 07 00 03 61 2f 62 05", Version::k311, kServer, Errc::kMalformed));
  EXPECT_TRUE(fails_with("82 08 00 07 00 03 61 2f 62 03", Version::k311, kServer, Errc::kMalformed));
}

TEST(DecodeSubscribe, Reserved5OptionBitsAreMalformed) {  // [MQTT-3.8.3-5]
  EXPECT_TRUE(fails_with("82 09 00 07 00 00 03 61 2f 62 41", Version::k5, kServer, Errc::kMalformed));
}

TEST(DecodeSubscribe, Qos3AndRetainHandling3AreProtocolViolationsOn5) {  // spec 3.8.3.1
  EXPECT_TRUE(fails_with("82 09 00 07 00 00 03 61 2f 62 03", Version::k5, kServer, Errc::kProtocolViolation));
  EXPECT_TRUE(fails_with("82 09 00 07 00 00 03 61 2f 62 30", Version::k5, kServer, Errc::kProtocolViolation));
}

TEST(DecodeSubscribe, NoLocalOnASharedSubscriptionIsAProtocolViolation) {  // [MQTT-3.8.3-4]
  EXPECT_TRUE(fails_with("82 10 00 07 00 00 0a 24 73 68 61 72 65 2f 67 2f 63 04", Version::k5, kServer,
                         Errc::kProtocolViolation));
}

TEST(DecodeSubscribe, DuplicateSubscriptionIdentifierIsAProtocolViolation) {
  EXPECT_TRUE(
      fails_with("82 0d 00 07 04 0b 01 0b 02 00 03 61 2f 62 01", Version::k5, kServer, Errc::kProtocolViolation));
}

TEST(DecodeSubscribe, SubscriptionIdentifierZeroIsAProtocolViolation) {
  EXPECT_TRUE(fails_with("82 0b 00 07 02 0b 00 00 03 61 2f 62 01", Version::k5, kServer, Errc::kProtocolViolation));
}

TEST(DecodeSubscribe, FilterLongerThanTheBodyIsMalformed) {
  EXPECT_TRUE(fails_with("82 06 00 07 00 05 61 2f", Version::k311, kServer, Errc::kMalformed));
}

TEST(DecodeSubscribe, MissingOptionsByteIsMalformed) {
  EXPECT_TRUE(fails_with("82 07 00 07 00 03 61 2f 62", Version::k311, kServer, Errc::kMalformed));
}

TEST(DecodeSubAck, Reads311AndV5Codes) {
  auto bytes = from_hex(kSubAck311);
  auto r = decode(bytes, Version::k311, kClient);
  const auto* a = whole<SubAck>(r);
  ASSERT_NE(a, nullptr) << describe(r);
  EXPECT_EQ(a->packet_id, 7);
  EXPECT_EQ(a->codes, (std::vector<std::uint8_t>{0x01, 0x80}));

  bytes = from_hex(kSubAck5);
  r = decode(bytes, Version::k5, kClient);
  a = whole<SubAck>(r);
  ASSERT_NE(a, nullptr) << describe(r);
  EXPECT_EQ(a->props.reason_string, "ok");
  EXPECT_EQ(a->codes, (std::vector<std::uint8_t>{0x01, 0x02, 0x87, 0xa2}));
}

TEST(DecodeSubAck, InvalidCodesAreProtocolViolations) {  // [MQTT-3.9.3-2]
  EXPECT_TRUE(fails_with("90 03 00 07 87", Version::k311, kClient, Errc::kProtocolViolation));
  EXPECT_TRUE(fails_with("90 04 00 07 00 03", Version::k5, kClient, Errc::kProtocolViolation));
  EXPECT_TRUE(fails_with("90 02 00 07", Version::k311, kClient, Errc::kProtocolViolation));  // no codes
}

TEST(DecodeUnsubscribe, Reads311And5Filters) {
  auto bytes = from_hex(kUnsubscribe311);
  auto r = decode(bytes, Version::k311, kServer);
  const auto* u = whole<Unsubscribe>(r);
  ASSERT_NE(u, nullptr) << describe(r);
  EXPECT_EQ(u->packet_id, 7);
  EXPECT_EQ(u->filters, (std::vector<std::string_view>{"a/b"}));

  bytes = from_hex(kUnsubscribe5);
  r = decode(bytes, Version::k5, kServer);
  u = whole<Unsubscribe>(r);
  ASSERT_NE(u, nullptr) << describe(r);
  EXPECT_EQ(u->packet_id, 8);
  EXPECT_EQ(u->filters, (std::vector<std::string_view>{"a/b", "c"}));
}

TEST(DecodeUnsubAck, Reads311AndV5) {
  auto bytes = from_hex(kUnsubAck311);
  auto r = decode(bytes, Version::k311, kClient);
  const auto* a = whole<UnsubAck>(r);
  ASSERT_NE(a, nullptr) << describe(r);
  EXPECT_EQ(a->packet_id, 7);
  EXPECT_TRUE(a->codes.empty());

  bytes = from_hex(kUnsubAck5);
  r = decode(bytes, Version::k5, kClient);
  a = whole<UnsubAck>(r);
  ASSERT_NE(a, nullptr) << describe(r);
  EXPECT_EQ(a->packet_id, 8);
  EXPECT_EQ(a->codes, (std::vector<std::uint8_t>{0x00, 0x11}));
}

TEST(DecodeUnsubAck, Trailing311BytesAreMalformed) {
  EXPECT_TRUE(fails_with("b0 03 00 07 00", Version::k311, kClient, Errc::kMalformed));
}

// ---- PING, DISCONNECT, AUTH ---------------------------------------------------------------------

TEST(DecodePing, ReadsBothAndRejectsABody) {
  auto bytes = from_hex(kPingReq);
  auto r = decode(bytes, Version::k311, kServer);
  EXPECT_NE(whole<PingReq>(r), nullptr) << describe(r);
  bytes = from_hex(kPingResp);
  r = decode(bytes, Version::k311, kClient);
  EXPECT_NE(whole<PingResp>(r), nullptr) << describe(r);
  EXPECT_TRUE(fails_with("c0 01 00", Version::k311, kServer, Errc::kMalformed));
  EXPECT_TRUE(fails_with("c1 00", Version::k311, kServer, Errc::kMalformed));
}

TEST(DecodeDisconnect, Reads5ShortFormsAndProperties) {
  auto bytes = from_hex(kDisconnect5Normal);
  auto r = decode(bytes, Version::k5, kServer);
  const auto* d = whole<Disconnect>(r);
  ASSERT_NE(d, nullptr) << describe(r);
  EXPECT_EQ(d->reason, ReasonCode::kSuccess);

  bytes = from_hex(kDisconnect5Will);
  r = decode(bytes, Version::k5, kServer);
  d = whole<Disconnect>(r);
  ASSERT_NE(d, nullptr) << describe(r);
  EXPECT_EQ(d->reason, ReasonCode::kDisconnectWithWill);

  bytes = from_hex(kDisconnect5Props);
  r = decode(bytes, Version::k5, kServer);
  d = whole<Disconnect>(r);
  ASSERT_NE(d, nullptr) << describe(r);
  EXPECT_EQ(d->reason, ReasonCode::kUnspecifiedError);
  EXPECT_EQ(d->props.session_expiry_interval, 0u);
  EXPECT_EQ(d->props.reason_string, "x");
}

TEST(DecodeDisconnect, BodyIsMalformedOn311) {
  EXPECT_TRUE(fails_with("e0 01 00", Version::k311, kServer, Errc::kMalformed));
}

TEST(DecodeDisconnect, SessionExpiryFromTheServerIsAProtocolViolation) {  // [MQTT-3.14.2-2]
  EXPECT_TRUE(fails_with(kDisconnect5Props, Version::k5, kClient, Errc::kProtocolViolation));
}

TEST(DecodeAuth, Reads5) {
  auto bytes = from_hex(kAuth5Short);
  auto r = decode(bytes, Version::k5, kServer);
  const auto* a = whole<Auth>(r);
  ASSERT_NE(a, nullptr) << describe(r);
  EXPECT_EQ(a->reason, ReasonCode::kSuccess);

  bytes = from_hex(kAuth5);
  r = decode(bytes, Version::k5, kClient);
  a = whole<Auth>(r);
  ASSERT_NE(a, nullptr) << describe(r);
  EXPECT_EQ(a->reason, ReasonCode::kContinueAuthentication);
  EXPECT_EQ(a->props.authentication_method, "SCRAM");
  ASSERT_TRUE(a->props.authentication_data);
  EXPECT_EQ(vec(*a->props.authentication_data), from_hex("01 02"));
}

TEST(DecodeAuth, IsMalformedOn311) { EXPECT_TRUE(fails_with("f0 00", Version::k311, kServer, Errc::kMalformed)); }

// ---- Fixed header -------------------------------------------------------------------------------

TEST(DecodeFixedHeader, ReservedPacketTypeIsMalformed) {
  EXPECT_TRUE(fails_with("00 00", Version::k5, kServer, Errc::kMalformed));
}

TEST(DecodeFixedHeader, FiveByteRemainingLengthIsMalformed) {  // spec 1.5.5: at most four bytes
  EXPECT_TRUE(fails_with("30 ff ff ff ff 01", Version::k311, kServer, Errc::kMalformed));
  EXPECT_TRUE(fails_with("30 80 80 80 80", Version::k311, kServer, Errc::kMalformed));
}

TEST(DecodeFixedHeader, NonMinimalRemainingLengthIsMalformed) {  // [MQTT-1.5.5-1]
  EXPECT_TRUE(fails_with("c0 80 00", Version::k311, kServer, Errc::kMalformed));
  EXPECT_TRUE(fails_with("30 87 00 00 03 61 2f 62 68 69", Version::k311, kServer, Errc::kMalformed));
  EXPECT_TRUE(fails_with("30 80 80 00", Version::k311, kServer, Errc::kMalformed));
}

TEST(DecodeFixedHeader, LargestRemainingLengthWaitsForTheBody) {
  const auto bytes = from_hex("30 ff ff ff 7f");  // 268,435,455
  const auto r = decode(bytes, Version::k311, kServer);
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->has_value());
}

TEST(DecodeFixedHeader, MultiByteRemainingLength) {
  // PUBLISH "a/b" with a 200-byte payload: Remaining Length 205 = c d 01.
  std::string hex = "30 cd 01 00 03 61 2f 62";
  for (int i = 0; i < 200; ++i) hex += " 78";
  const auto bytes = from_hex(hex);
  const auto r = decode(bytes, Version::k311, kServer);
  const auto* p = whole<Publish>(r);
  ASSERT_NE(p, nullptr) << describe(r);
  EXPECT_EQ(p->payload.size(), 200u);
  EXPECT_EQ((*r)->size, 208u);
}

TEST(DecodeFixedHeader, MaxPacketSizeIsCheckedBeforeTheBodyArrives) {
  const DecodeLimits small{.max_packet_size = 100};
  EXPECT_TRUE(fails_with("30 ff 01", Version::k311, small, Errc::kResourceExhausted));  // 258 bytes announced
  const auto exact = from_hex("30 62");  // 1 + 1 + 98 = 100: allowed, needs more
  const auto r = decode(exact, Version::k311, small);
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->has_value());
  EXPECT_TRUE(fails_with("30 63", Version::k311, small, Errc::kResourceExhausted));
}

TEST(DecodeFixedHeader, BadFirstByteFailsWithoutTheRest) {
  EXPECT_TRUE(fails_with("41", Version::k311, kServer, Errc::kMalformed));
  EXPECT_TRUE(fails_with("20", Version::k311, kServer, Errc::kProtocolViolation));
}

// ---- Roles ------------------------------------------------------------------------------------

TEST(DecodeRoles, ServerRejectsWhatOnlyAServerSends) {
  for (std::string_view hex : {kConnAck311, kSubAck311, kUnsubAck311, kPingResp}) {
    EXPECT_TRUE(fails_with(hex, Version::k311, kServer, Errc::kProtocolViolation)) << hex;
  }
}

TEST(DecodeRoles, ClientRejectsWhatOnlyAClientSends) {
  for (std::string_view hex : {kConnect311, kSubscribe311, kUnsubscribe311, kPingReq}) {
    EXPECT_TRUE(fails_with(hex, Version::k311, kClient, Errc::kProtocolViolation)) << hex;
  }
}

TEST(DecodeRoles, BothSidesAcceptPublishFlow) {
  for (std::string_view hex : {kPublish311Qos0, kPubAck311, kPubRec311, kPubRel311, kPubComp311, kDisconnect311}) {
    for (const DecodeLimits& l : {kServer, kClient}) {
      const auto bytes = from_hex(hex);
      const auto r = decode(bytes, Version::k311, l);
      EXPECT_TRUE(r && r->has_value()) << hex << ": " << describe(r);
    }
  }
}

// ---- UserProperties view ----------------------------------------------------------------------

TEST(UserPropertiesView, SkipsOtherPropertiesOfAnyType) {
  // Every property type between two user properties: byte, u16, u32, varint, string, binary.
  const auto block = from_hex(
      "26 00 01 61 00 01 62"  // a=b
      " 01 01 23 00 05 02 00 00 00 3c 0b 81 01 03 00 02 74 74 09 00 01 ff"
      " 26 00 00 00 02 63 64");  // ""="cd"
  const UserProperties up{Bytes(block)};
  EXPECT_EQ(pairs(up), (Pairs{{"a", "b"}, {"", "cd"}}));
  EXPECT_FALSE(up.empty());
}

TEST(UserPropertiesView, StopsAtAnInconsistentBlock) {
  const auto block = from_hex("26 00 01 61 00 01 62 26 00 05 61");  // second pair truncated
  EXPECT_EQ(pairs(UserProperties{Bytes(block)}), (Pairs{{"a", "b"}}));
  const auto unknown = from_hex("04 26 00 01 61 00 01 62");
  EXPECT_TRUE(UserProperties{Bytes(unknown)}.empty());
  EXPECT_TRUE(UserProperties{}.empty());
}

TEST(UserPropertiesView, ReadsWhatEncodeUserPropertiesBuilds) {
  const auto block = encode_user_properties({{"k1", "v1"}, {"k2", ""}});
  EXPECT_EQ(block, from_hex("26 00 02 6b 31 00 02 76 31 26 00 02 6b 32 00 00"));
  EXPECT_EQ(pairs(UserProperties{Bytes(block)}), (Pairs{{"k1", "v1"}, {"k2", ""}}));
}

}  // namespace
}  // namespace tenet::mqtt
