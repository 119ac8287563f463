#include "bench/payload.h"

#include <cstring>

namespace tenet::bench {
namespace {

template <typename T>
void put(std::byte* p, T v) {
  for (std::size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
}

template <typename T>
T get(const std::byte* p) {
  T v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(std::to_integer<unsigned>(p[i])) << (8 * i);
  return v;
}

}  // namespace

void write_header(std::span<std::byte> out, const PayloadHeader& h) {
  put<std::uint16_t>(out.data(), kPayloadMagic);
  put<std::uint16_t>(out.data() + 2, h.run);
  put<std::uint32_t>(out.data() + 4, h.publisher);
  put<std::uint64_t>(out.data() + 8, h.sequence);
  put<std::uint64_t>(out.data() + 16, h.sent_ns);
}

std::optional<PayloadHeader> read_header(std::span<const std::byte> payload, std::uint16_t run) {
  if (payload.size() < kPayloadHeaderSize) return std::nullopt;
  if (get<std::uint16_t>(payload.data()) != kPayloadMagic) return std::nullopt;
  if (get<std::uint16_t>(payload.data() + 2) != run) return std::nullopt;
  PayloadHeader h;
  h.run = run;
  h.publisher = get<std::uint32_t>(payload.data() + 4);
  h.sequence = get<std::uint64_t>(payload.data() + 8);
  h.sent_ns = get<std::uint64_t>(payload.data() + 16);
  return h;
}

}  // namespace tenet::bench
