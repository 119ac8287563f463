#pragma once

// Sans-I/O MQTT codec: bytes in, packets out; packets in, bytes out (docs/formats/mqtt.md).
// No sockets, no Asio, no allocation on the common path (PUBLISH, acks, PING). Thread-safe: pure
// functions.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "mqtt/packet.h"

namespace tenet::mqtt {

// Largest Remaining Length the protocol can express (spec 2.2.3).
inline constexpr std::uint32_t kMaxRemainingLength = 268'435'455;

struct DecodeLimits {
  // Largest whole packet (fixed header included) accepted; larger ones fail with kResourceExhausted
  // as soon as the fixed header is read, before the body arrives.
  std::uint32_t max_packet_size = kMaxRemainingLength + 5;
  // Server side decodes packets a client may send; client side the others [MQTT role rules].
  bool server_side = true;
};

struct Decoded {
  Packet packet;
  std::size_t size = 0;  // bytes consumed from the input
};

// Decodes the first packet in `in`. `version` governs every packet but CONNECT, which carries its own.
// Returns an empty optional when `in` holds only a prefix of a packet (read more and call again).
// Errors: kMalformed (bad flags, lengths, varints, UTF-8, property encoding, a property the packet
//                     may not carry (spec 2.2.2.2); v5 0x81),
//         kProtocolViolation (well-formed but forbidden: duplicate property, packet
//         the role may not receive, QoS 3, packet id 0 where one is required; v5 0x82),
//         kResourceExhausted (larger than limits.max_packet_size; v5 0x95).
// QoS 3 follows the spec: in PUBLISH's fixed header [MQTT-3.3.1-4], in a 3.1.1 SUBSCRIBE and as Will
// QoS it is kMalformed; as a v5 subscription's Maximum QoS it is kProtocolViolation (spec 3.8.3.1).
// Left to the broker: Topic Alias 0 or above the maximum, topic filter syntax (validate_topic_filter),
// Will topic syntax, client identifier rules.
core::Result<std::optional<Decoded>> decode(Bytes in, Version version, const DecodeLimits& limits = {});

// Output buffer: encode appends, never clears. Reuse one per connection to avoid allocations.
using Buffer = std::vector<std::byte>;

// Appends the encoding of `p` for `version` to `out`. Fields that `version` cannot carry (v5
// properties and reason codes on 3.1.1) are dropped. Returns the number of bytes appended.
// Also dropped: properties not allowed in the packet. CONNECT is encoded for its own protocol_level
// (3 as "MQIsdp"), not `version`. AUTH has no 3.1.1 form: nothing is appended and 0 is returned.
// REQUIRES: strings and binary fields fit in 65,535 bytes; the packet in kMaxRemainingLength.
std::size_t encode(const Packet& p, Version version, Buffer& out);
std::size_t encode(const Publish& p, Version version, Buffer& out);
std::size_t encode(const PubAck& p, Version version, Buffer& out);
std::size_t encode(const PubRec& p, Version version, Buffer& out);
std::size_t encode(const PubRel& p, Version version, Buffer& out);
std::size_t encode(const PubComp& p, Version version, Buffer& out);

// Size of the whole encoded packet, without encoding it (to honour a peer's Maximum Packet Size).
std::size_t encoded_size(const Publish& p, Version version);

// Builds a property block holding only User Property entries, for UserProperties{block}.
std::vector<std::byte> encode_user_properties(const std::vector<std::pair<std::string, std::string>>& props);

// True if `s` is well-formed UTF-8 with no U+0000 and no surrogates [MQTT-1.5.4-1, -2].
bool valid_mqtt_utf8(std::string_view s);

}  // namespace tenet::mqtt
