// Encoding side of the MQTT codec (declared in codec.h). Every encoder computes the exact size
// first, grows the output once, then writes through an unchecked Writer.
#include "mqtt/codec.h"

#include <cassert>
#include <type_traits>

#include "mqtt/detail/properties.h"
#include "mqtt/detail/wire.h"

namespace tenet::mqtt {
namespace {

using detail::PropContext;
using detail::properties_size;
using detail::properties_wire_size;
using detail::varint_size;
using detail::write_properties;
using detail::Writer;

constexpr std::uint8_t header_byte(PacketType t, std::uint8_t flags = 0) {
  return static_cast<std::uint8_t>((static_cast<unsigned>(t) << 4) | flags);
}

// Appends a fixed header with Remaining Length `body`, then lets `write` fill exactly `body` bytes.
// REQUIRES: body <= kMaxRemainingLength.
template <typename F>
std::size_t emit(Buffer& out, std::uint8_t header, std::size_t body, F&& write) {
  assert(body <= kMaxRemainingLength);
  const std::size_t total = 1 + varint_size(static_cast<std::uint32_t>(body)) + body;
  const std::size_t old = out.size();
  out.resize(old + total);  // the only growth: no allocation when the capacity suffices
  Writer w(out.data() + old);
  w.u8(header);
  w.varint(static_cast<std::uint32_t>(body));
  write(w);
  assert(w.pos() == out.data() + out.size());
  return total;
}

std::size_t str_size(std::string_view s) { return 2 + s.size(); }
std::size_t bin_size(Bytes b) { return 2 + b.size(); }

struct PublishLayout {
  std::size_t props = 0;
  std::size_t body = 0;
};

PublishLayout publish_layout(const Publish& p, Version version) {
  PublishLayout l;
  l.body = str_size(p.topic) + (p.qos != Qos::k0 ? 2 : 0) + p.payload.size();
  if (version == Version::k5) {
    l.props = properties_size(p.props, PropContext::kPublish);
    l.body += properties_wire_size(l.props);
  }
  return l;
}

template <PacketType kType>
std::size_t encode_pub_response(const PubResponse<kType>& a, Version version, Buffer& out) {
  constexpr std::uint8_t kHeader = header_byte(kType, kType == PacketType::kPubRel ? 0x02 : 0x00);
  const std::size_t props = version == Version::k5 ? properties_size(a.props, PropContext::kPubResponse) : 0;
  // 3.1.1 has only the packet identifier; v5 uses the short forms when it can (spec 3.4.2.1).
  if (version == Version::k311 || (props == 0 && a.reason == ReasonCode::kSuccess)) {
    return emit(out, kHeader, 2, [&](Writer& w) { w.u16(a.packet_id); });
  }
  if (props == 0) {
    return emit(out, kHeader, 3, [&](Writer& w) {
      w.u16(a.packet_id);
      w.u8(static_cast<std::uint8_t>(a.reason));
    });
  }
  return emit(out, kHeader, 3 + properties_wire_size(props), [&](Writer& w) {
    w.u16(a.packet_id);
    w.u8(static_cast<std::uint8_t>(a.reason));
    write_properties(w, a.props, PropContext::kPubResponse, props);
  });
}

// CONNECT follows its own protocol_level: 5 and 4 as specified, 3 as "MQIsdp" (MQTT 3.1), any
// other level as "MQTT" with the 3.1.1 layout (to test a server's refusal).
std::size_t encode_connect(const Connect& c, Buffer& out) {
  const bool v5 = c.protocol_level == 5;
  const std::string_view name = c.protocol_level == 3 ? "MQIsdp" : "MQTT";
  const std::size_t props = v5 ? properties_size(c.props, PropContext::kConnect) : 0;
  const std::size_t will_props = v5 && c.will ? properties_size(c.will->props, PropContext::kWill) : 0;
  std::size_t body = str_size(name) + 1 + 1 + 2 + str_size(c.client_id);
  if (v5) body += properties_wire_size(props);
  if (c.will) {
    body += str_size(c.will->topic) + bin_size(c.will->payload);
    if (v5) body += properties_wire_size(will_props);
  }
  if (c.username) body += str_size(*c.username);
  if (c.password) body += bin_size(*c.password);

  std::uint8_t flags = c.clean_start ? 0x02 : 0x00;
  if (c.will) {
    flags |= 0x04;
    flags |= static_cast<std::uint8_t>(static_cast<unsigned>(c.will->qos) << 3);
    if (c.will->retain) flags |= 0x20;
  }
  if (c.password) flags |= 0x40;
  if (c.username) flags |= 0x80;
  return emit(out, header_byte(PacketType::kConnect), body, [&](Writer& w) {
    w.utf8(name);
    w.u8(c.protocol_level);
    w.u8(flags);
    w.u16(c.keep_alive);
    if (v5) write_properties(w, c.props, PropContext::kConnect, props);
    w.utf8(c.client_id);
    if (c.will) {
      if (v5) write_properties(w, c.will->props, PropContext::kWill, will_props);
      w.utf8(c.will->topic);
      w.binary(c.will->payload);
    }
    if (c.username) w.utf8(*c.username);
    if (c.password) w.binary(*c.password);
  });
}

std::size_t encode_connack(const ConnAck& a, Version version, Buffer& out) {
  const std::size_t props = version == Version::k5 ? properties_size(a.props, PropContext::kConnAck) : 0;
  const std::size_t body = 2 + (version == Version::k5 ? properties_wire_size(props) : 0);
  return emit(out, header_byte(PacketType::kConnAck), body, [&](Writer& w) {
    w.u8(a.session_present ? 0x01 : 0x00);
    w.u8(a.code);  // as-is: a ConnectReturnCode on 3.1.1, a ReasonCode on 5
    if (version == Version::k5) write_properties(w, a.props, PropContext::kConnAck, props);
  });
}

std::size_t encode_subscribe(const Subscribe& s, Version version, Buffer& out) {
  const bool v5 = version == Version::k5;
  const std::size_t props = v5 ? properties_size(s.props, PropContext::kSubscribe) : 0;
  std::size_t body = 2 + (v5 ? properties_wire_size(props) : 0);
  for (const SubscribeEntry& e : s.entries) body += str_size(e.filter) + 1;
  return emit(out, header_byte(PacketType::kSubscribe, 0x02), body, [&](Writer& w) {
    w.u16(s.packet_id);
    if (v5) write_properties(w, s.props, PropContext::kSubscribe, props);
    for (const SubscribeEntry& e : s.entries) {
      w.utf8(e.filter);
      auto o = static_cast<std::uint8_t>(e.options.qos);
      if (v5) {
        if (e.options.no_local) o |= 0x04;
        if (e.options.retain_as_published) o |= 0x08;
        o |= static_cast<std::uint8_t>((e.options.retain_handling & 0x03u) << 4);
      }
      w.u8(o);
    }
  });
}

std::size_t encode_suback(const SubAck& a, Version version, Buffer& out) {
  const bool v5 = version == Version::k5;
  const std::size_t props = v5 ? properties_size(a.props, PropContext::kSubAck) : 0;
  const std::size_t body = 2 + (v5 ? properties_wire_size(props) : 0) + a.codes.size();
  return emit(out, header_byte(PacketType::kSubAck), body, [&](Writer& w) {
    w.u16(a.packet_id);
    if (v5) write_properties(w, a.props, PropContext::kSubAck, props);
    for (std::uint8_t c : a.codes) {
      // 3.1.1 knows only the granted QoS and 0x80 Failure [MQTT-3.9.3-2].
      w.u8(v5 || c <= 0x02 ? c : 0x80);
    }
  });
}

std::size_t encode_unsubscribe(const Unsubscribe& u, Version version, Buffer& out) {
  const bool v5 = version == Version::k5;
  const std::size_t props = v5 ? properties_size(u.props, PropContext::kUnsubscribe) : 0;
  std::size_t body = 2 + (v5 ? properties_wire_size(props) : 0);
  for (std::string_view f : u.filters) body += str_size(f);
  return emit(out, header_byte(PacketType::kUnsubscribe, 0x02), body, [&](Writer& w) {
    w.u16(u.packet_id);
    if (v5) write_properties(w, u.props, PropContext::kUnsubscribe, props);
    for (std::string_view f : u.filters) w.utf8(f);
  });
}

std::size_t encode_unsuback(const UnsubAck& a, Version version, Buffer& out) {
  if (version == Version::k311) {
    return emit(out, header_byte(PacketType::kUnsubAck), 2, [&](Writer& w) { w.u16(a.packet_id); });
  }
  const std::size_t props = properties_size(a.props, PropContext::kUnsubAck);
  const std::size_t body = 2 + properties_wire_size(props) + a.codes.size();
  return emit(out, header_byte(PacketType::kUnsubAck), body, [&](Writer& w) {
    w.u16(a.packet_id);
    write_properties(w, a.props, PropContext::kUnsubAck, props);
    for (std::uint8_t c : a.codes) w.u8(c);
  });
}

// DISCONNECT and AUTH: v5 with a reason code and properties, or the short forms (spec 3.14.2.1,
// 3.15.2.1). AUTH with a reason but no properties still carries a Property Length of 0.
std::size_t encode_reason_packet(PacketType t, ReasonCode reason, const Properties& p, PropContext ctx,
                                 bool allow_reason_only, Buffer& out) {
  const std::size_t props = properties_size(p, ctx);
  if (props == 0 && reason == ReasonCode::kSuccess) {
    return emit(out, header_byte(t), 0, [](Writer&) {});
  }
  if (props == 0 && allow_reason_only) {
    return emit(out, header_byte(t), 1, [&](Writer& w) { w.u8(static_cast<std::uint8_t>(reason)); });
  }
  return emit(out, header_byte(t), 1 + properties_wire_size(props), [&](Writer& w) {
    w.u8(static_cast<std::uint8_t>(reason));
    write_properties(w, p, ctx, props);
  });
}

}  // namespace

std::size_t encoded_size(const Publish& p, Version version) {
  const PublishLayout l = publish_layout(p, version);
  return 1 + varint_size(static_cast<std::uint32_t>(l.body)) + l.body;
}

std::size_t encode(const Publish& p, Version version, Buffer& out) {
  const PublishLayout l = publish_layout(p, version);
  std::uint8_t flags = static_cast<std::uint8_t>(static_cast<unsigned>(p.qos) << 1);
  if (p.retain) flags |= 0x01;
  if (p.dup && p.qos != Qos::k0) flags |= 0x08;  // DUP must be 0 for QoS 0 [MQTT-3.3.1-2]
  return emit(out, header_byte(PacketType::kPublish, flags), l.body, [&](Writer& w) {
    w.utf8(p.topic);
    if (p.qos != Qos::k0) w.u16(p.packet_id);
    if (version == Version::k5) write_properties(w, p.props, PropContext::kPublish, l.props);
    w.raw(p.payload);
  });
}

std::size_t encode(const PubAck& p, Version version, Buffer& out) { return encode_pub_response(p, version, out); }
std::size_t encode(const PubRec& p, Version version, Buffer& out) { return encode_pub_response(p, version, out); }
std::size_t encode(const PubRel& p, Version version, Buffer& out) { return encode_pub_response(p, version, out); }
std::size_t encode(const PubComp& p, Version version, Buffer& out) { return encode_pub_response(p, version, out); }

std::size_t encode(const Packet& packet, Version version, Buffer& out) {
  return std::visit(
      [&](const auto& p) -> std::size_t {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, Connect>) {
          return encode_connect(p, out);
        } else if constexpr (std::is_same_v<T, ConnAck>) {
          return encode_connack(p, version, out);
        } else if constexpr (std::is_same_v<T, Subscribe>) {
          return encode_subscribe(p, version, out);
        } else if constexpr (std::is_same_v<T, SubAck>) {
          return encode_suback(p, version, out);
        } else if constexpr (std::is_same_v<T, Unsubscribe>) {
          return encode_unsubscribe(p, version, out);
        } else if constexpr (std::is_same_v<T, UnsubAck>) {
          return encode_unsuback(p, version, out);
        } else if constexpr (std::is_same_v<T, PingReq>) {
          return emit(out, header_byte(PacketType::kPingReq), 0, [](Writer&) {});
        } else if constexpr (std::is_same_v<T, PingResp>) {
          return emit(out, header_byte(PacketType::kPingResp), 0, [](Writer&) {});
        } else if constexpr (std::is_same_v<T, Disconnect>) {
          if (version == Version::k311) return emit(out, header_byte(PacketType::kDisconnect), 0, [](Writer&) {});
          return encode_reason_packet(PacketType::kDisconnect, p.reason, p.props, PropContext::kDisconnect, true, out);
        } else if constexpr (std::is_same_v<T, Auth>) {
          if (version == Version::k311) return 0;  // AUTH does not exist in 3.1.1
          return encode_reason_packet(PacketType::kAuth, p.reason, p.props, PropContext::kAuth, false, out);
        } else {
          return encode(p, version, out);  // Publish and the four publish acknowledgements
        }
      },
      packet);
}

std::vector<std::byte> encode_user_properties(const std::vector<std::pair<std::string, std::string>>& props) {
  std::size_t size = 0;
  for (const auto& [k, v] : props) size += 5 + k.size() + v.size();
  std::vector<std::byte> out(size);
  Writer w(out.data());
  for (const auto& [k, v] : props) {
    w.u8(0x26);
    w.utf8(k);
    w.utf8(v);
  }
  return out;
}

}  // namespace tenet::mqtt
