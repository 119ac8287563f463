// PUBLISH encode/decode through the sans-I/O codec, the per-message work of every connection.
#include <cstddef>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "mqtt/codec.h"

namespace tenet::mqtt {
namespace {

Publish make_publish(Qos qos, std::size_t payload_size, const std::vector<std::byte>& payload) {
  Publish p;
  p.topic = "bench/devices/device-0042/telemetry";
  p.payload = Bytes(payload.data(), payload_size);
  p.qos = qos;
  p.packet_id = qos == Qos::k0 ? 0 : 4242;
  return p;
}

Version version_arg(std::int64_t v) { return v == 5 ? Version::k5 : Version::k311; }

// Args: {protocol version, QoS, payload bytes}.
void BM_EncodePublish(benchmark::State& state) {
  const Version v = version_arg(state.range(0));
  const auto qos = static_cast<Qos>(state.range(1));
  const std::vector<std::byte> payload(static_cast<std::size_t>(state.range(2)), std::byte{0x5a});
  Publish p = make_publish(qos, payload.size(), payload);
  if (v == Version::k5) p.props.message_expiry_interval = 60;
  Buffer out;
  out.reserve(payload.size() + 128);
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(encode(p, v, out));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
  state.SetItemsProcessed(state.iterations());
}

void BM_DecodePublish(benchmark::State& state) {
  const Version v = version_arg(state.range(0));
  const auto qos = static_cast<Qos>(state.range(1));
  const std::vector<std::byte> payload(static_cast<std::size_t>(state.range(2)), std::byte{0x5a});
  Publish p = make_publish(qos, payload.size(), payload);
  if (v == Version::k5) p.props.message_expiry_interval = 60;
  Buffer wire;
  encode(p, v, wire);
  const DecodeLimits server{.max_packet_size = kMaxRemainingLength + 5, .server_side = true};
  for (auto _ : state) {
    auto r = decode(wire, v, server);
    if (!r || !r->has_value()) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * wire.size()));
  state.SetItemsProcessed(state.iterations());
}

// A read buffer holding many back-to-back PUBLISH packets, as a busy subscriber sees them.
void BM_DecodePublishStream(benchmark::State& state) {
  const Version v = version_arg(state.range(0));
  const std::vector<std::byte> payload(64, std::byte{0x5a});
  Buffer wire;
  constexpr int kPackets = 256;
  for (int i = 0; i < kPackets; ++i) encode(make_publish(Qos::k1, payload.size(), payload), v, wire);
  const DecodeLimits client{.max_packet_size = kMaxRemainingLength + 5, .server_side = false};
  for (auto _ : state) {
    Bytes rest(wire);
    int n = 0;
    while (!rest.empty()) {
      auto r = decode(rest, v, client);
      if (!r || !r->has_value()) break;
      rest = rest.subspan((*r)->size);
      ++n;
    }
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(state.iterations() * kPackets);
}

void BM_EncodePubAck(benchmark::State& state) {
  const Version v = version_arg(state.range(0));
  Buffer out;
  out.reserve(64);
  PubAck ack;
  ack.packet_id = 7;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(encode(ack, v, out));
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_EncodePublish)
    ->ArgNames({"v", "qos", "payload"})
    ->Args({4, 0, 64})
    ->Args({4, 1, 64})
    ->Args({5, 0, 64})
    ->Args({5, 1, 64})
    ->Args({4, 1, 1024})
    ->Args({5, 1, 1024})
    ->Args({5, 1, 16384});
BENCHMARK(BM_DecodePublish)
    ->ArgNames({"v", "qos", "payload"})
    ->Args({4, 0, 64})
    ->Args({4, 1, 64})
    ->Args({5, 0, 64})
    ->Args({5, 1, 64})
    ->Args({4, 1, 1024})
    ->Args({5, 1, 1024})
    ->Args({5, 1, 16384});
BENCHMARK(BM_DecodePublishStream)->ArgName("v")->Arg(4)->Arg(5);
BENCHMARK(BM_EncodePubAck)->ArgName("v")->Arg(4)->Arg(5);

}  // namespace
}  // namespace tenet::mqtt
