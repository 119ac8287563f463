// Feeds arbitrary bytes to compile(); when they compile, binds them to a connection and asks a
// few requests, then explains one. Any crash, sanitizer report or hang is a bug.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "policy/engine.h"
#include "policy/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tenet::policy;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  CompileOptions opts;
  opts.scope = {"aws", "us-east-1", "123456789012"};
  opts.policy_name = "fuzz";
  opts.version_id = "1";
  auto p = compile(text, opts);
  if (!p) return 0;
  Context ctx;
  ctx.client_id = "dev-1";
  ctx.source_ip = "10.1.2.3";
  ctx.thing = ThingInfo{"dev-1", "sensor", {{"site", "a"}}, true};
  ctx.certificate = CertificateInfo{};
  ctx.certificate->subject = {{"CommonName", "dev-1"}, {"OrganizationalUnit", "x"}, {"OrganizationalUnit", "y*"}};
  ctx.certificate->serial_number = "0A1B";
  ctx.persistent_connect = true;
  const BoundPolicySet set = bind({*p}, ctx, opts.scope);
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  const Request reqs[] = {
      {action::kConnect, ResourceType::kClient, "dev-1"},
      {action::kPublish, ResourceType::kTopic, "dev-1/telemetry"},
      {action::kSubscribe, ResourceType::kTopicFilter, "a/#"},
      {action::kReceive, ResourceType::kTopic, "$aws/things/dev-1/shadow/update"},
      {action::kListRetainedMessages, ResourceType::kArn, "*"},
      {static_cast<ActionId>(action::kDataPlaneCount + 3), ResourceType::kArn,
       "arn:aws:iot:us-east-1:123456789012:thing/x"},
  };
  for (const Request& r : reqs) (void)set.evaluate(r, now);
  const Explanation e = set.explain(reqs[1], now);
  (void)e.to_text();
  (void)e.to_json();
  return 0;
}
