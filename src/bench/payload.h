#pragma once

// The benchmark payload: a 24-byte header (magic, run id, publisher index, sequence number, send
// time) and filler up to the requested size. The run id keeps a late message of an earlier run (still
// draining out of a saturated broker) from being counted in this one. The send time is the publisher's steady_clock in nanoseconds;
// publisher and subscriber run in the same process, so their clocks agree. Pure functions.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace tenet::bench {

inline constexpr std::size_t kPayloadHeaderSize = 24;
inline constexpr std::uint16_t kPayloadMagic = 0x4254;  // "TB" little-endian

struct PayloadHeader {
  std::uint16_t run = 0;
  std::uint32_t publisher = 0;
  std::uint64_t sequence = 0;
  std::uint64_t sent_ns = 0;
  bool operator==(const PayloadHeader&) const = default;
};

// Writes `h` into the first kPayloadHeaderSize bytes of `out`. REQUIRES: out.size() >= kPayloadHeaderSize.
void write_header(std::span<std::byte> out, const PayloadHeader& h);

// The header of a received payload; nullopt if it is too short, lacks the magic or belongs to
// another run than `run` (not ours).
std::optional<PayloadHeader> read_header(std::span<const std::byte> payload, std::uint16_t run);

}  // namespace tenet::bench
