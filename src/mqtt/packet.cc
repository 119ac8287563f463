#include "mqtt/packet.h"

namespace tenet::mqtt {

// The alternatives of Packet are declared in packet-type order, so the index is the type minus one.
static_assert(std::is_same_v<std::variant_alternative_t<0, Packet>, Connect>);
static_assert(std::is_same_v<std::variant_alternative_t<2, Packet>, Publish>);
static_assert(std::is_same_v<std::variant_alternative_t<7, Packet>, Subscribe>);
static_assert(std::is_same_v<std::variant_alternative_t<11, Packet>, PingReq>);
static_assert(std::is_same_v<std::variant_alternative_t<14, Packet>, Auth>);
static_assert(std::variant_size_v<Packet> == 15);

PacketType type_of(const Packet& p) { return static_cast<PacketType>(p.index() + 1); }

std::string_view to_string(PacketType t) {
  switch (t) {
    case PacketType::kConnect: return "CONNECT";
    case PacketType::kConnAck: return "CONNACK";
    case PacketType::kPublish: return "PUBLISH";
    case PacketType::kPubAck: return "PUBACK";
    case PacketType::kPubRec: return "PUBREC";
    case PacketType::kPubRel: return "PUBREL";
    case PacketType::kPubComp: return "PUBCOMP";
    case PacketType::kSubscribe: return "SUBSCRIBE";
    case PacketType::kSubAck: return "SUBACK";
    case PacketType::kUnsubscribe: return "UNSUBSCRIBE";
    case PacketType::kUnsubAck: return "UNSUBACK";
    case PacketType::kPingReq: return "PINGREQ";
    case PacketType::kPingResp: return "PINGRESP";
    case PacketType::kDisconnect: return "DISCONNECT";
    case PacketType::kAuth: return "AUTH";
  }
  return "UNKNOWN";
}

}  // namespace tenet::mqtt
