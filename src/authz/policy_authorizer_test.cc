#include "authz/policy_authorizer.h"

#include <gtest/gtest.h>

#include "policy/policy.h"

namespace tenet::authz {
namespace {

const policy::Scope kScope{"aws", "us-east-1", "000000000000"};

// A device policy on ${iot:ClientId} with a Deny carve-out; bind() counts its calls.
class FakeSource final : public PolicySource {
 public:
  std::string document = R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:us-east-1:000000000000:client/${iot:ClientId}"},
    {"Effect":"Allow","Action":["iot:Publish","iot:Receive"],"Resource":"arn:aws:iot:us-east-1:000000000000:topic/d/${iot:ClientId}/*"},
    {"Effect":"Allow","Action":"iot:Subscribe","Resource":"arn:aws:iot:us-east-1:000000000000:topicfilter/d/${iot:ClientId}/#"},
    {"Effect":"Deny","Action":"iot:Publish","Resource":"arn:aws:iot:us-east-1:000000000000:topic/d/${iot:ClientId}/admin"}]})";
  mutable int binds = 0;
  std::shared_ptr<const policy::BoundPolicySet> bind(const Principal& who) const override {
    ++binds;
    policy::CompileOptions o;
    o.scope = kScope;
    o.policy_name = "device";
    o.version_id = "1";
    auto p = policy::compile(document, o);
    EXPECT_TRUE(p) << p.error();
    policy::Context c;
    c.client_id = who.client_id;
    return std::make_shared<const policy::BoundPolicySet>(policy::bind({*p}, c, kScope));
  }
};

Principal device(std::string id) {
  Principal p;
  p.certificate_id = "c0ffee";
  p.client_id = std::move(id);
  return p;
}

TEST(PolicyAuthorizer, EvaluatesTheConnectionsBoundPolicies) {
  FakeSource src;
  PolicyAuthorizer a(src);
  auto p = device("dev-1");
  EXPECT_TRUE(a.authorize(p, Action::kConnect, "dev-1").allowed());
  EXPECT_FALSE(a.authorize(p, Action::kConnect, "dev-2").allowed());
  EXPECT_TRUE(a.authorize(p, Action::kPublish, "d/dev-1/temp").allowed());
  EXPECT_FALSE(a.authorize(p, Action::kPublish, "d/dev-2/temp").allowed());
  EXPECT_TRUE(a.authorize(p, Action::kSubscribe, "d/dev-1/#").allowed());
  EXPECT_FALSE(a.authorize(p, Action::kSubscribe, "d/#").allowed());  // filters match literally
  EXPECT_TRUE(a.authorize(p, Action::kReceive, "d/dev-1/x").allowed());
  EXPECT_FALSE(a.authorize(p, Action::kRetainPublish, "d/dev-1/x").allowed());  // not granted
  EXPECT_EQ(src.binds, 1) << "bound once, then reused";
}

TEST(PolicyAuthorizer, DenyReasonsNameActionResourceAndStatement) {
  FakeSource src;
  PolicyAuthorizer a(src);
  auto p = device("dev-1");
  auto implicit = a.authorize(p, Action::kPublish, "x/y");
  EXPECT_EQ(std::string(implicit.explain()), "iot:Publish on topic/x/y: no policy statement allows it");
  auto explicit_deny = a.authorize(p, Action::kPublish, "d/dev-1/admin");
  EXPECT_FALSE(explicit_deny.allowed());
  EXPECT_EQ(std::string(explicit_deny.explain()),
            "iot:Publish on topic/d/dev-1/admin: explicitly denied by policy device statement 3");
}

TEST(PolicyAuthorizer, InvalidateRebindsAtTheNextRequest) {
  FakeSource src;
  PolicyAuthorizer a(src);
  auto p = device("dev-1");
  EXPECT_TRUE(a.authorize(p, Action::kPublish, "d/dev-1/t").allowed());
  src.document = R"({"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iot:*","Resource":"*"}})";
  EXPECT_TRUE(a.authorize(p, Action::kPublish, "d/dev-1/t").allowed()) << "cached until invalidated";
  a.invalidate();
  EXPECT_FALSE(a.authorize(p, Action::kPublish, "d/dev-1/t").allowed());
  EXPECT_EQ(src.binds, 2);
}

TEST(PolicyAuthorizer, NoCertificateNoAccess) {
  FakeSource src;
  PolicyAuthorizer a(src);
  Principal anonymous;
  anonymous.client_id = "dev-1";
  EXPECT_FALSE(a.authorize(anonymous, Action::kConnect, "dev-1").allowed());
  EXPECT_EQ(src.binds, 0);
}

}  // namespace
}  // namespace tenet::authz
