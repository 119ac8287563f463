#include "control/router.h"

#include <gtest/gtest.h>

namespace tenet::control {
namespace {

Route route(std::string op, std::string method, std::string uri) {
  return Route{std::move(op), std::move(method), std::move(uri), {"iot"}, [](Call&) { return Reply::empty(); }};
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    r.add(route("DescribeThing", "GET", "/things/{thingName}"));
    r.add(route("UpdateThingGroup", "PATCH", "/thing-groups/{thingGroupName}"));
    r.add(route("AddThingToThingGroup", "PUT", "/thing-groups/addThingToThingGroup"));
    r.add(route("CreateThingGroup", "POST", "/thing-groups/{thingGroupName}"));
    r.add(route("ListAttachedPolicies", "POST", "/attached-policies/{target}"));
    r.add(route("GetTopicRuleDestination", "GET", "/destinations/{arn+}"));
    r.add(route("DescribeEndpoint", "GET", "/endpoint"));
  }
  Router r;
};

TEST_F(RouterTest, MatchesLabelAndDecodesIt) {
  auto m = r.match("GET", "/things/a%3Ab");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->operation, "DescribeThing");
  ASSERT_EQ(m.labels.size(), 1u);
  EXPECT_EQ(m.labels[0].first, "thingName");
  EXPECT_EQ(m.labels[0].second, "a:b");
}

TEST_F(RouterTest, EncodedSlashStaysInsideItsLabel) {
  auto m = r.match("POST", "/attached-policies/arn%3Aaws%3Aiot%3Aus-east-1%3A1%3Acert%2Fabc");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->operation, "ListAttachedPolicies");
  EXPECT_EQ(m.labels[0].second, "arn:aws:iot:us-east-1:1:cert/abc");
  // A literal slash is a separator, so the same ARN unencoded does not match the one-label route.
  EXPECT_EQ(r.match("POST", "/attached-policies/arn:x/abc").route, nullptr);
}

TEST_F(RouterTest, LiteralSegmentWinsOverLabel) {
  auto m = r.match("PUT", "/thing-groups/addThingToThingGroup");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->operation, "AddThingToThingGroup");
  auto m2 = r.match("POST", "/thing-groups/addThingToThingGroup");
  ASSERT_NE(m2.route, nullptr);
  EXPECT_EQ(m2.route->operation, "CreateThingGroup");
}

TEST_F(RouterTest, GreedyLabelTakesTheRestOfThePath) {
  auto m = r.match("GET", "/destinations/arn:aws:iot:r:1:ruledestination/http/x");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.labels[0].second, "arn:aws:iot:r:1:ruledestination/http/x");
}

TEST_F(RouterTest, MissesSayWhy) {
  EXPECT_EQ(r.match("GET", "/nope").miss, Router::Miss::kNoRoute);
  EXPECT_EQ(r.match("DELETE", "/things/x").miss, Router::Miss::kMethodNotAllowed);
  EXPECT_EQ(r.match("GET", "/things/").route, nullptr);          // empty label
  EXPECT_EQ(r.match("GET", "/things/a/b").route, nullptr);       // extra segment
  EXPECT_EQ(r.match("GET", "/things/bad%zz").route, nullptr);    // bad escape
}

TEST(DecodeQuery, DecodesPairsPlusAndValueless) {
  auto q = decode_query("endpointType=iot%3AData-ATS&a+b=c+d&flag&=x");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->size(), 4u);
  EXPECT_EQ((*q)[0], (std::pair<std::string, std::string>{"endpointType", "iot:Data-ATS"}));
  EXPECT_EQ((*q)[1], (std::pair<std::string, std::string>{"a b", "c d"}));
  EXPECT_EQ((*q)[2], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_EQ((*q)[3], (std::pair<std::string, std::string>{"", "x"}));
  EXPECT_FALSE(decode_query("a=%4"));
  EXPECT_FALSE(decode_query("a=%G0"));
}

TEST(PercentDecode, KeepsPlusInPaths) {
  auto d = percent_decode("a+b%2Fc");
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, "a+b/c");
}

}  // namespace
}  // namespace tenet::control
