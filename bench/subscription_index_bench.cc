// SubscriptionIndex::match, the per-publish routing lookup, with many subscriptions in the trie.
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "broker/session.h"
#include "broker/subscription_index.h"

namespace tenet::broker {
namespace {

// `n` sessions, each subscribed to its own device topic; every 100th one also holds a '+' filter
// and every 1000th a '#' filter, so a publish walks exact, '+' and '#' branches.
struct Fixture {
  explicit Fixture(int n) {
    sessions.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      auto s = std::make_shared<Session>("device-" + std::to_string(i), 0);
      Subscriber sub;
      sub.session = s;
      index.add("bench/devices/device-" + std::to_string(i) + "/telemetry", sub);
      if (i % 100 == 0) index.add("bench/devices/+/telemetry", sub);
      if (i % 1000 == 0) index.add("bench/#", sub);
      sessions.push_back(std::move(s));
    }
  }
  std::vector<std::shared_ptr<Session>> sessions;
  SubscriptionIndex index;
};

void BM_SubscriptionIndexMatch(benchmark::State& state) {
  Fixture f(static_cast<int>(state.range(0)));
  std::vector<Match> out;
  std::size_t matched = 0;
  int i = 0;
  std::vector<std::string> topics;
  for (int k = 0; k < 64; ++k) topics.push_back("bench/devices/device-" + std::to_string(k * 97) + "/telemetry");
  for (auto _ : state) {
    f.index.match(topics[static_cast<std::size_t>(i++ & 63)], out);
    matched += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["matches/publish"] = static_cast<double>(matched) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SubscriptionIndexMatch)->Arg(1000)->Arg(10000);

// A topic nobody subscribed to: the cost of a miss.
void BM_SubscriptionIndexMiss(benchmark::State& state) {
  Fixture f(static_cast<int>(state.range(0)));
  std::vector<Match> out;
  for (auto _ : state) {
    f.index.match("other/devices/device-1/telemetry", out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SubscriptionIndexMiss)->Arg(10000);

// Fan-out: one topic with `n` exact subscribers.
void BM_SubscriptionIndexFanOut(benchmark::State& state) {
  SubscriptionIndex index;
  std::vector<std::shared_ptr<Session>> sessions;
  for (int i = 0; i < state.range(0); ++i) {
    auto s = std::make_shared<Session>("sub-" + std::to_string(i), 0);
    Subscriber sub;
    sub.session = s;
    index.add("bench/fanout", sub);
    sessions.push_back(std::move(s));
  }
  std::vector<Match> out;
  for (auto _ : state) {
    index.match("bench/fanout", out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SubscriptionIndexFanOut)->Arg(10)->Arg(1000);

// Subscribe/unsubscribe churn at 10k subscriptions (index updates are posted to every loop).
void BM_SubscriptionIndexAddRemove(benchmark::State& state) {
  Fixture f(10000);
  auto s = std::make_shared<Session>("churn", 0);
  Subscriber sub;
  sub.session = s;
  for (auto _ : state) {
    f.index.add("bench/devices/churn/telemetry", sub);
    f.index.remove("bench/devices/churn/telemetry", s.get());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SubscriptionIndexAddRemove);

}  // namespace
}  // namespace tenet::broker
