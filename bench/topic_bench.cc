// topic_matches and validation: called per subscription per publish on paths without the index.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "mqtt/topic.h"

namespace tenet::mqtt {
namespace {

struct Case {
  const char* filter;
  const char* topic;
};

constexpr Case kCases[] = {
    {"bench/devices/device-0042/telemetry", "bench/devices/device-0042/telemetry"},  // exact, equal
    {"bench/devices/+/telemetry", "bench/devices/device-0042/telemetry"},            // '+' match
    {"bench/#", "bench/devices/device-0042/telemetry"},                              // '#' match
    {"bench/devices/device-0043/telemetry", "bench/devices/device-0042/telemetry"},  // late mismatch
    {"#", "$aws/things/device-0042/shadow/update"},                                  // '$' rule
};

void BM_TopicMatches(benchmark::State& state) {
  const Case& c = kCases[state.range(0)];
  for (auto _ : state) {
    benchmark::DoNotOptimize(topic_matches(c.filter, c.topic));
  }
  state.SetLabel(std::string(c.filter) + " ~ " + c.topic);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TopicMatches)->DenseRange(0, static_cast<int>(std::size(kCases)) - 1);

void BM_ValidateTopicName(benchmark::State& state) {
  const std::string topic = "bench/devices/device-0042/telemetry";
  for (auto _ : state) {
    benchmark::DoNotOptimize(validate_topic_name(topic).has_value());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ValidateTopicName);

void BM_ValidateTopicFilter(benchmark::State& state) {
  const std::string filter = "bench/devices/+/telemetry/#";
  for (auto _ : state) {
    benchmark::DoNotOptimize(validate_topic_filter(filter).has_value());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ValidateTopicFilter);

}  // namespace
}  // namespace tenet::mqtt
