// Decoding side of the MQTT codec, plus the UTF-8 check and the UserProperties iterator.
// Encoding lives in encode.cc; property blocks in detail/properties.cc.
#include "mqtt/codec.h"

#include <cstring>
#include <initializer_list>

#include "mqtt/detail/properties.h"
#include "mqtt/detail/wire.h"
#include "mqtt/topic.h"

namespace tenet::mqtt {

namespace detail {

namespace {
constexpr std::uint64_t kOnes = 0x0101010101010101ull;
constexpr std::uint64_t kHighs = 0x8080808080808080ull;
}  // namespace

// Well-formed UTF-8 (RFC 3629: no overlong forms, nothing above U+10FFFF), without U+0000 and
// without the surrogates U+D800..U+DFFF [MQTT-1.5.4-1, MQTT-1.5.4-2].
bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* const end = p + s.size();
  while (p < end) {
    // Topic names are mostly ASCII: take eight bytes at a time while none is >= 0x80 or 0.
    if (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      const bool any_zero = ((w - kOnes) & ~w & kHighs) != 0;
      if ((w & kHighs) == 0 && !any_zero) {
        p += 8;
        continue;
      }
    }
    const unsigned c = *p;
    if (c < 0x80) {
      if (c == 0) return false;
      ++p;
      continue;
    }
    auto cont = [&](std::ptrdiff_t i) { return (p[i] & 0xC0u) == 0x80u; };
    if (c < 0xC2) return false;  // a stray continuation byte, or C0/C1 (overlong two-byte forms)
    if (c < 0xE0) {
      if (end - p < 2 || !cont(1)) return false;
      p += 2;
    } else if (c < 0xF0) {
      if (end - p < 3 || !cont(1) || !cont(2)) return false;
      if (c == 0xE0 && p[1] < 0xA0) return false;   // overlong three-byte form
      if (c == 0xED && p[1] >= 0xA0) return false;  // U+D800..U+DFFF, surrogates
      p += 3;
    } else if (c < 0xF5) {
      if (end - p < 4 || !cont(1) || !cont(2) || !cont(3)) return false;
      if (c == 0xF0 && p[1] < 0x90) return false;   // overlong four-byte form
      if (c == 0xF4 && p[1] >= 0x90) return false;  // above U+10FFFF
      p += 4;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace detail

bool valid_mqtt_utf8(std::string_view s) { return detail::valid_utf8(s); }

// Walks any validated property block, stopping at the next User Property. An inconsistent block
// (which the decoder never produces) ends the iteration instead of reading out of bounds.
void UserProperties::iterator::advance() {
  using detail::PropType;
  auto read_str = [](Bytes& b, std::string_view& out) {
    if (b.size() < 2) return false;
    const std::size_t n = (static_cast<std::size_t>(b[0]) << 8) | static_cast<std::size_t>(b[1]);
    if (b.size() < 2 + n) return false;
    out = core::as_chars(b.subspan(2, n));
    b = b.subspan(2 + n);
    return true;
  };
  Bytes b = rest_;
  while (!b.empty()) {
    const auto id = static_cast<std::uint8_t>(b[0]);
    b = b.subspan(1);
    std::size_t skip = 0;
    switch (detail::prop_type(id)) {
      case PropType::kByte: skip = 1; break;
      case PropType::kU16: skip = 2; break;
      case PropType::kU32: skip = 4; break;
      case PropType::kVarint: {
        const detail::Varint v = detail::parse_varint(b);
        if (v.status != detail::VarintStatus::kOk) b = {};
        skip = v.length;
        break;
      }
      case PropType::kUtf8:
      case PropType::kBinary: {
        std::string_view ignored;
        if (!read_str(b, ignored)) b = {};
        break;
      }
      case PropType::kPair: {
        std::string_view k, v;
        if (read_str(b, k) && read_str(b, v)) {
          cur_ = {k, v};
          rest_ = b;
          done_ = false;
          return;
        }
        b = {};
        break;
      }
      case PropType::kNone: b = {}; break;
    }
    if (b.size() < skip) break;
    b = b.subspan(skip);
  }
  rest_ = {};
  cur_ = {};
  done_ = true;
}

namespace {

using core::Errc;
using detail::Failure;
using detail::PropContext;
using detail::read_properties;
using detail::Reader;

constexpr bool one_of(std::uint8_t c, std::initializer_list<std::uint8_t> codes) {
  for (std::uint8_t x : codes) {
    if (x == c) return true;
  }
  return false;
}

// The MQTT 5 reason codes each packet may carry (spec 2.4 and each packet's Reason Code table).
bool valid_reason(PacketType t, std::uint8_t c) {
  switch (t) {
    case PacketType::kPubAck:
    case PacketType::kPubRec: return one_of(c, {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99});
    case PacketType::kPubRel:
    case PacketType::kPubComp: return one_of(c, {0x00, 0x92});
    case PacketType::kSubAck:
      return one_of(c, {0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2});
    case PacketType::kUnsubAck: return one_of(c, {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91});
    case PacketType::kDisconnect:
      return one_of(c, {0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94,
                        0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2});
    case PacketType::kAuth: return one_of(c, {0x00, 0x18, 0x19});
    default: return false;
  }
}

// Checks everything the first byte decides: the packet type, its flags and whether the decoding
// side may receive it. Returns a Failure with `what` == nullptr when the byte is acceptable.
Failure check_first_byte(std::uint8_t b0, Version version, bool server_side) {
  const unsigned type = b0 >> 4;
  const unsigned flags = b0 & 0x0Fu;
  if (type == 0) return {Errc::kMalformed, "reserved packet type 0"};
  if (type == 15 && version == Version::k311) return {Errc::kMalformed, "packet type 15 is reserved in MQTT 3.1.1"};
  const auto t = static_cast<PacketType>(type);
  switch (t) {
    case PacketType::kPublish:
      if ((flags & 0x06u) == 0x06u) return {Errc::kMalformed, "PUBLISH with QoS 3 [MQTT-3.3.1-4]"};
      if ((flags & 0x08u) != 0 && (flags & 0x06u) == 0) {
        return {Errc::kMalformed, "PUBLISH with QoS 0 and DUP set [MQTT-3.3.1-2]"};
      }
      break;
    case PacketType::kPubRel:
    case PacketType::kSubscribe:
    case PacketType::kUnsubscribe:
      if (flags != 0x02u) return {Errc::kMalformed, "fixed header flags must be 0010 [MQTT-2.2.2-1, MQTT-2.2.2-2]"};
      break;
    default:
      if (flags != 0) return {Errc::kMalformed, "fixed header flags must be 0000 [MQTT-2.2.2-1, MQTT-2.2.2-2]"};
      break;
  }
  if (server_side) {
    if (t == PacketType::kConnAck || t == PacketType::kSubAck || t == PacketType::kUnsubAck ||
        t == PacketType::kPingResp) {
      return {Errc::kProtocolViolation, "a client may not send this packet"};
    }
  } else if (t == PacketType::kConnect || t == PacketType::kSubscribe || t == PacketType::kUnsubscribe ||
             t == PacketType::kPingReq) {
    return {Errc::kProtocolViolation, "a server may not send this packet"};
  }
  return {};
}

std::uint16_t read_packet_id(Reader& r) {
  const std::uint16_t id = r.u16();
  if (r.ok() && id == 0) r.violation("packet identifier 0 [MQTT-2.2.1-3]");
  return id;
}

void decode_connect(Reader& r, Connect& c) {
  const std::string_view name = r.utf8();
  const std::uint8_t level = r.u8();
  if (!r.ok()) return;
  if (name == "MQIsdp") {
    // MQTT 3.1: recognised only so that the broker can refuse it with "unacceptable protocol version".
    if (level != 3) return r.malformed("protocol name MQIsdp with a level other than 3");
    c.protocol_level = 3;
    r.rest();
    return;
  }
  if (name != "MQTT") return r.malformed("unknown protocol name [MQTT-3.1.2-1]");
  c.protocol_level = level;
  if (level != 4 && level != 5) {
    r.rest();  // [MQTT-3.1.2-2]: the broker refuses it; the rest follows rules we do not know
    return;
  }
  const bool v5 = level == 5;
  const std::uint8_t flags = r.u8();
  if ((flags & 0x01u) != 0) return r.malformed("reserved CONNECT flag set [MQTT-3.1.2-3]");
  c.clean_start = (flags & 0x02u) != 0;
  const bool will = (flags & 0x04u) != 0;
  const unsigned will_qos = (flags >> 3) & 0x03u;
  const bool will_retain = (flags & 0x20u) != 0;
  const bool has_password = (flags & 0x40u) != 0;
  const bool has_username = (flags & 0x80u) != 0;
  if (!will && (will_qos != 0 || will_retain)) {
    return r.malformed("Will QoS or Will Retain without the Will Flag [MQTT-3.1.2-11, MQTT-3.1.2-13]");
  }
  if (will_qos == 3) return r.malformed("Will QoS 3 [MQTT-3.1.2-12]");
  if (!v5 && has_password && !has_username) {
    return r.malformed("password without user name in MQTT 3.1.1 [MQTT-3.1.2-22]");
  }
  c.keep_alive = r.u16();
  if (v5) {
    read_properties(r, PropContext::kConnect, true, c.props);
    if (r.ok() && c.props.authentication_data && !c.props.authentication_method) {
      return r.violation("Authentication Data without Authentication Method (spec 3.1.2.11.10)");
    }
  }
  c.client_id = r.utf8();
  if (will) {
    Will& w = c.will.emplace();
    w.qos = static_cast<Qos>(will_qos);
    w.retain = will_retain;
    if (v5) read_properties(r, PropContext::kWill, true, w.props);
    w.topic = r.utf8();
    w.payload = r.binary();
  }
  if (has_username) c.username = r.utf8();
  if (has_password) c.password = r.binary();
}

void decode_connack(Reader& r, Version version, ConnAck& a) {
  const std::uint8_t flags = r.u8();
  a.code = r.u8();
  if (!r.ok()) return;
  if ((flags & 0xFEu) != 0) return r.malformed("reserved CONNACK flags set [MQTT-3.2.2-1]");
  a.session_present = (flags & 0x01u) != 0;
  if (version == Version::k5) {
    // A 3.1.1-only server answers a v5 CONNECT with a two-byte 3.1.1 CONNACK (return code 1);
    // it is accepted without properties so that the client can report the refusal. For the same
    // reason the code is passed through unchecked: any non-zero code is a refusal to the client.
    if (!r.empty()) read_properties(r, PropContext::kConnAck, false, a.props);
  } else if (a.code > 5) {
    return r.violation("reserved CONNACK return code (spec 3.2.2.3)");
  }
  if (a.session_present && a.code != 0) {
    r.violation("Session Present set on a refused connection [MQTT-3.2.2-6]");
  }
}

void decode_publish(Reader& r, std::uint8_t flags, Version version, bool server_side, Publish& p) {
  p.retain = (flags & 0x01u) != 0;
  p.qos = static_cast<Qos>((flags >> 1) & 0x03u);
  p.dup = (flags & 0x08u) != 0;
  p.topic = r.utf8();
  if (p.qos != Qos::k0) p.packet_id = read_packet_id(r);
  if (version == Version::k5) read_properties(r, PropContext::kPublish, server_side, p.props);
  if (!r.ok()) return;
  if (has_wildcard(p.topic)) return r.violation("wildcard in a PUBLISH topic [MQTT-3.3.2-2]");
  if (p.topic.empty()) {
    if (version == Version::k311) return r.violation("empty PUBLISH topic [MQTT-4.7.3-1]");
    if (!p.props.topic_alias) return r.violation("empty PUBLISH topic without a Topic Alias (spec 3.3.2.1)");
  }
  p.payload = r.rest();  // zero-copy: a view into the input
}

template <PacketType kType>
void decode_pub_response(Reader& r, Version version, bool server_side, PubResponse<kType>& a) {
  a.packet_id = read_packet_id(r);
  // v5 short forms: Remaining Length 2 means Success and no properties; 3 means no properties
  // (spec 3.4.2.1, 3.4.2.2.1 and the same for PUBREC, PUBREL, PUBCOMP).
  if (version == Version::k311 || r.empty()) return;
  const std::uint8_t code = r.u8();
  if (!valid_reason(kType, code)) return r.violation("reason code not allowed for this acknowledgement");
  a.reason = static_cast<ReasonCode>(code);
  if (!r.empty()) read_properties(r, PropContext::kPubResponse, server_side, a.props);
}

void decode_subscribe(Reader& r, Version version, Subscribe& s) {
  s.packet_id = read_packet_id(r);
  if (version == Version::k5) read_properties(r, PropContext::kSubscribe, true, s.props);
  while (!r.empty()) {
    SubscribeEntry e;
    e.filter = r.utf8();
    const std::uint8_t o = r.u8();
    if (!r.ok()) return;
    if (version == Version::k5) {
      if ((o & 0xC0u) != 0) return r.malformed("reserved subscription option bits set [MQTT-3.8.3-5]");
      if ((o & 0x03u) == 3) return r.violation("subscription Maximum QoS 3 (spec 3.8.3.1)");
      e.options.retain_handling = (o >> 4) & 0x03u;
      if (e.options.retain_handling == 3) return r.violation("Retain Handling 3 (spec 3.8.3.1)");
      e.options.no_local = (o & 0x04u) != 0;
      e.options.retain_as_published = (o & 0x08u) != 0;
      if (e.options.no_local && parse_shared(e.filter)) {
        return r.violation("No Local on a shared subscription [MQTT-3.8.3-4]");
      }
    } else if ((o & 0xFCu) != 0 || (o & 0x03u) == 3) {
      // 3.1.1 has only the Requested QoS in this byte; the rest is reserved.
      return r.malformed("requested QoS byte must be 0, 1 or 2 [MQTT-3-8.3-4]");
    }
    e.options.qos = static_cast<Qos>(o & 0x03u);
    s.entries.push_back(e);
  }
  if (r.ok() && s.entries.empty()) r.violation("SUBSCRIBE without topic filters [MQTT-3.8.3-3]");
}

void decode_suback(Reader& r, Version version, SubAck& a) {
  a.packet_id = read_packet_id(r);
  if (version == Version::k5) read_properties(r, PropContext::kSubAck, false, a.props);
  while (!r.empty()) {
    const std::uint8_t c = r.u8();
    const bool ok = version == Version::k5 ? valid_reason(PacketType::kSubAck, c) : one_of(c, {0x00, 0x01, 0x02, 0x80});
    if (!ok) return r.violation("invalid SUBACK return code [MQTT-3.9.3-2]");
    a.codes.push_back(c);
  }
  if (r.ok() && a.codes.empty()) r.violation("SUBACK without return codes (spec 3.9.3)");
}

void decode_unsubscribe(Reader& r, Version version, Unsubscribe& u) {
  u.packet_id = read_packet_id(r);
  if (version == Version::k5) read_properties(r, PropContext::kUnsubscribe, true, u.props);
  while (!r.empty()) {
    const std::string_view f = r.utf8();
    if (!r.ok()) return;
    u.filters.push_back(f);
  }
  if (r.ok() && u.filters.empty()) r.violation("UNSUBSCRIBE without topic filters [MQTT-3.10.3-2]");
}

void decode_unsuback(Reader& r, Version version, UnsubAck& a) {
  a.packet_id = read_packet_id(r);
  if (version == Version::k311) return;  // exactly the packet identifier
  read_properties(r, PropContext::kUnsubAck, false, a.props);
  while (!r.empty()) {
    const std::uint8_t c = r.u8();
    if (!valid_reason(PacketType::kUnsubAck, c)) return r.violation("invalid UNSUBACK reason code (spec 3.11.3)");
    a.codes.push_back(c);
  }
  if (r.ok() && a.codes.empty()) r.violation("UNSUBACK without reason codes (spec 3.11.3)");
}

void decode_disconnect(Reader& r, Version version, bool server_side, Disconnect& d) {
  // v5: Remaining Length 0 means Normal disconnection; 1 means no properties (spec 3.14.2.1).
  if (version == Version::k311 || r.empty()) return;
  const std::uint8_t code = r.u8();
  if (!valid_reason(PacketType::kDisconnect, code)) {
    return r.violation("invalid DISCONNECT reason code (spec 3.14.2.1)");
  }
  d.reason = static_cast<ReasonCode>(code);
  if (r.empty()) return;
  read_properties(r, PropContext::kDisconnect, server_side, d.props);
  if (r.ok() && !server_side && d.props.session_expiry_interval) {
    r.violation("Session Expiry Interval in a DISCONNECT from the server [MQTT-3.14.2-2]");
  }
}

void decode_auth(Reader& r, Auth& a) {
  // Remaining Length 0 means Success and no properties (spec 3.15.2.1); a lone reason code is
  // accepted too, as for DISCONNECT.
  if (r.empty()) return;
  const std::uint8_t code = r.u8();
  if (!valid_reason(PacketType::kAuth, code)) return r.violation("invalid AUTH reason code (spec 3.15.2.1)");
  a.reason = static_cast<ReasonCode>(code);
  if (!r.empty()) read_properties(r, PropContext::kAuth, true, a.props);
}

}  // namespace

core::Result<std::optional<Decoded>> decode(Bytes in, Version version, const DecodeLimits& limits) {
  if (in.empty()) return std::optional<Decoded>();
  const auto b0 = static_cast<std::uint8_t>(in[0]);
  // The first byte alone can condemn a packet: fail before waiting for the rest.
  if (const Failure f = check_first_byte(b0, version, limits.server_side); f.what != nullptr) {
    return core::fail(f.code, f.what);
  }
  const detail::Varint length = detail::parse_varint(in.subspan(1));
  if (length.status == detail::VarintStatus::kIncomplete) return std::optional<Decoded>();
  if (length.status == detail::VarintStatus::kMalformed) {
    return core::fail(Errc::kMalformed, "invalid Remaining Length [MQTT-1.5.5-1]");
  }
  const std::uint64_t total = 1 + length.length + std::uint64_t{length.value};
  if (total > limits.max_packet_size) {
    return core::fail(Errc::kResourceExhausted, "packet larger than the maximum packet size");
  }
  if (in.size() < total) return std::optional<Decoded>();

  std::optional<Decoded> out(std::in_place);
  out->size = static_cast<std::size_t>(total);
  Reader r(in.subspan(1 + length.length, length.value));
  const bool server = limits.server_side;
  switch (static_cast<PacketType>(b0 >> 4)) {
    case PacketType::kConnect: decode_connect(r, out->packet.emplace<Connect>()); break;
    case PacketType::kConnAck: decode_connack(r, version, out->packet.emplace<ConnAck>()); break;
    case PacketType::kPublish: decode_publish(r, b0 & 0x0Fu, version, server, out->packet.emplace<Publish>()); break;
    case PacketType::kPubAck: decode_pub_response(r, version, server, out->packet.emplace<PubAck>()); break;
    case PacketType::kPubRec: decode_pub_response(r, version, server, out->packet.emplace<PubRec>()); break;
    case PacketType::kPubRel: decode_pub_response(r, version, server, out->packet.emplace<PubRel>()); break;
    case PacketType::kPubComp: decode_pub_response(r, version, server, out->packet.emplace<PubComp>()); break;
    case PacketType::kSubscribe: decode_subscribe(r, version, out->packet.emplace<Subscribe>()); break;
    case PacketType::kSubAck: decode_suback(r, version, out->packet.emplace<SubAck>()); break;
    case PacketType::kUnsubscribe: decode_unsubscribe(r, version, out->packet.emplace<Unsubscribe>()); break;
    case PacketType::kUnsubAck: decode_unsuback(r, version, out->packet.emplace<UnsubAck>()); break;
    case PacketType::kPingReq: out->packet.emplace<PingReq>(); break;
    case PacketType::kPingResp: out->packet.emplace<PingResp>(); break;
    case PacketType::kDisconnect: decode_disconnect(r, version, server, out->packet.emplace<Disconnect>()); break;
    case PacketType::kAuth: decode_auth(r, out->packet.emplace<Auth>()); break;
  }
  if (!r.ok()) return core::fail(r.failure().code, r.failure().what);
  // The Remaining Length must be exactly the body (for PINGREQ/PINGRESP and 3.1.1 acks: no body).
  if (!r.empty()) return core::fail(Errc::kMalformed, "bytes left over after the packet body");
  return out;
}

}  // namespace tenet::mqtt
