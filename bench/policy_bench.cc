// Policy evaluation micro-benchmarks (docs/benchmarks.md). Targets: an uncached decision < 2 us.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "policy/engine.h"
#include "policy/policy.h"

namespace {

using namespace tenet::policy;

const Scope kScope{"aws", "us-east-1", "123456789012"};
#define ARN "arn:aws:iot:us-east-1:123456789012:"

// A realistic device policy: 10 statements, thing/client variables, one connection condition.
const char* const kDevicePolicy = R"({"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/${iot:Connection.Thing.ThingName}",
   "Condition":{"Bool":{"iot:Connection.Thing.IsAttached":"true"}}},
  {"Effect":"Allow","Action":"iot:Publish","Resource":[")" ARN R"(topic/$aws/things/${iot:Connection.Thing.ThingName}/shadow/*",")" ARN R"(topic/dt/${iot:ClientId}/*"]},
  {"Effect":"Allow","Action":"iot:Subscribe","Resource":")" ARN R"(topicfilter/$aws/things/${iot:Connection.Thing.ThingName}/shadow/*"},
  {"Effect":"Allow","Action":"iot:Receive","Resource":")" ARN R"(topic/$aws/things/${iot:Connection.Thing.ThingName}/shadow/*"},
  {"Effect":"Allow","Action":"iot:Subscribe","Resource":")" ARN R"(topicfilter/cmd/${iot:ClientId}/*"},
  {"Effect":"Allow","Action":"iot:Receive","Resource":")" ARN R"(topic/cmd/${iot:ClientId}/*"},
  {"Effect":"Allow","Action":["iot:Publish","iot:Receive"],"Resource":")" ARN R"(topic/$aws/things/${iot:Connection.Thing.ThingName}/jobs/*"},
  {"Effect":"Allow","Action":"iot:Subscribe","Resource":")" ARN R"(topicfilter/$aws/things/${iot:Connection.Thing.ThingName}/jobs/*"},
  {"Effect":"Deny","Action":"iot:Publish","Resource":")" ARN R"(topic/dt/${iot:ClientId}/admin/*"},
  {"Effect":"Allow","Action":"iot:RetainPublish","Resource":")" ARN R"(topic/dt/${iot:ClientId}/state",
   "Condition":{"DateLessThan":{"aws:CurrentTime":"2099-01-01T00:00:00Z"}}}]})";

std::shared_ptr<const Policy> compiled(const std::string& name) {
  CompileOptions o;
  o.scope = kScope;
  o.policy_name = name;
  o.version_id = name;
  auto r = compile(kDevicePolicy, o);
  if (!r) std::abort();
  return *r;
}

Context device() {
  Context c;
  c.client_id = "sensor-0042";
  c.source_ip = "203.0.113.7";
  c.thing = ThingInfo{"sensor-0042", "sensor", {{"site", "plant-a"}}, true};
  CertificateInfo cert;
  cert.subject = {{"CommonName", "sensor-0042"}, {"Organization", "Acme"}, {"OrganizationalUnit", "ops"}};
  cert.serial_number = "0A1B2C";
  c.certificate = cert;
  return c;
}

const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1717243200));

void BM_PolicyCompile(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(compiled("device"));
}
BENCHMARK(BM_PolicyCompile);

void BM_PolicyBind10(benchmark::State& state) {
  std::vector<std::shared_ptr<const Policy>> ps;
  for (int i = 0; i < 10; ++i) ps.push_back(compiled(std::to_string(i)));
  const Context ctx = device();
  for (auto _ : state) benchmark::DoNotOptimize(bind(ps, ctx, kScope));
}
BENCHMARK(BM_PolicyBind10);

void evaluate_bench(benchmark::State& state, int policies, Request req) {
  std::vector<std::shared_ptr<const Policy>> ps;
  for (int i = 0; i < policies; ++i) ps.push_back(compiled(std::to_string(i)));
  const BoundPolicySet set = bind(ps, device(), kScope);
  for (auto _ : state) benchmark::DoNotOptimize(set.evaluate(req, kNow));
}

// Allowed publish: every Deny is checked first, then the Allow statements in order.
void BM_PolicyEvaluatePublishAllowed(benchmark::State& state) {
  evaluate_bench(state, static_cast<int>(state.range(0)),
                 {action::kPublish, ResourceType::kTopic, "$aws/things/sensor-0042/jobs/start-next"});
}
BENCHMARK(BM_PolicyEvaluatePublishAllowed)->Arg(1)->Arg(10);

// Implicit deny: the worst case, every statement for the action is tried and fails.
void BM_PolicyEvaluateReceiveDenied(benchmark::State& state) {
  evaluate_bench(state, static_cast<int>(state.range(0)),
                 {action::kReceive, ResourceType::kTopic, "fleet/other-device/telemetry/temperature"});
}
BENCHMARK(BM_PolicyEvaluateReceiveDenied)->Arg(1)->Arg(10);

// A statement with a per-request time condition (RetainPublish).
void BM_PolicyEvaluateTimeCondition(benchmark::State& state) {
  evaluate_bench(state, static_cast<int>(state.range(0)),
                 {action::kRetainPublish, ResourceType::kTopic, "dt/sensor-0042/state"});
}
BENCHMARK(BM_PolicyEvaluateTimeCondition)->Arg(1)->Arg(10);

}  // namespace
