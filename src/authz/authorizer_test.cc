#include "authz/authorizer.h"

#include <gtest/gtest.h>

namespace tenet::authz {
namespace {

TEST(DenyAll, DeniesEveryActionWithAReason) {
  DenyAll a;
  Principal p{"abc", "dev1", "dev1"};
  for (auto act : {Action::kConnect, Action::kPublish, Action::kRetainPublish, Action::kSubscribe, Action::kReceive}) {
    auto d = a.authorize(p, act, "t");
    EXPECT_FALSE(d.allowed());
    EXPECT_FALSE(d.explain().empty());
  }
}

TEST(AllowAuthenticated, DeniesWithoutCertificate) {
  AllowAuthenticated a;
  EXPECT_FALSE(a.authorize(Principal{}, Action::kConnect, "x").allowed());
  EXPECT_TRUE(a.authorize(Principal{"abc", "cn", "x"}, Action::kConnect, "x").allowed());
}

TEST(Action, NamesFollowAwsIotPolicyActions) {
  EXPECT_EQ(to_string(Action::kReceive), "iot:Receive");
  EXPECT_EQ(to_string(Action::kRetainPublish), "iot:RetainPublish");
}

}  // namespace
}  // namespace tenet::authz
