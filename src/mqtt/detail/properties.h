#pragma once

// MQTT 5 property blocks (spec 2.2.2): decoding with per-packet checks, sizing and encoding.

#include <cstddef>
#include <cstdint>

#include "mqtt/detail/wire.h"
#include "mqtt/packet.h"

namespace tenet::mqtt::detail {

// Reads a Property Length and the block it announces into `out`. `from_client` is true when the
// block was sent by a client (server-side decoding). Failures are recorded in `r`:
// kMalformed (bad encoding, unknown identifier), kProtocolViolation (identifier not allowed in
// `ctx`, duplicate single-valued property, a value the spec forbids).
// Leaves to the broker: Topic Alias 0 or above its Topic Alias Maximum [MQTT-3.3.2-8, -9].
void read_properties(Reader& r, PropContext ctx, bool from_client, Properties& out);

// Length of the property block (without its Property Length prefix). Only the properties allowed
// in `ctx` are counted and written; the others are silently dropped.
std::size_t properties_size(const Properties& p, PropContext ctx);

// Writes the Property Length `size` (from properties_size) and the properties.
void write_properties(Writer& w, const Properties& p, PropContext ctx, std::size_t size);

// Property Length prefix plus block.
inline std::size_t properties_wire_size(std::size_t size) {
  return varint_size(static_cast<std::uint32_t>(size)) + size;
}

}  // namespace tenet::mqtt::detail
