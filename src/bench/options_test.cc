#include "bench/options.h"

#include <gtest/gtest.h>

#include "bench/plan.h"

namespace tenet::bench {
namespace {

Options valid() {
  Options o;
  o.port = 8883;
  o.ca_pem = "ca";
  o.client_certs.push_back(pki::CertAndKey{"cert", "key"});
  return o;
}

TEST(Options, ScenarioDefaults) {
  auto o = valid();
  ASSERT_TRUE(validate(o));
  EXPECT_EQ(o.publishers, 10u);
  EXPECT_EQ(o.subscribers, 1u);
  o = valid();
  o.scenario = Scenario::kFanOut;
  ASSERT_TRUE(validate(o));
  EXPECT_EQ(o.publishers, 1u);
  EXPECT_EQ(o.subscribers, 10u);
  o = valid();
  o.scenario = Scenario::kPointToPoint;
  o.publishers = 4;
  ASSERT_TRUE(validate(o));
  EXPECT_EQ(o.subscribers, 4u);
}

TEST(Options, OnlyLoopbackTargets) {
  auto o = valid();
  o.host = "10.0.0.1";
  EXPECT_EQ(validate(o).error().code, core::Errc::kInvalidArgument);
  o = valid();
  o.host = "localhost";
  ASSERT_TRUE(validate(o));
  EXPECT_EQ(o.host, "127.0.0.1");
  o = valid();
  o.host = "::1";
  EXPECT_TRUE(validate(o));
  o = valid();
  o.host = "example.com";
  EXPECT_FALSE(validate(o));
}

TEST(Options, HardCaps) {
  auto o = valid();
  o.duration = std::chrono::seconds(301);
  EXPECT_FALSE(validate(o));
  o = valid();
  o.payload_size = 10;
  EXPECT_FALSE(validate(o));
  o = valid();
  o.publishers = kMaxClients + 1;
  EXPECT_FALSE(validate(o));
  o = valid();
  o.idle_connections = 10;
  o.hold = std::chrono::seconds(601);
  EXPECT_FALSE(validate(o));
  o = valid();
  o.threads = 0;
  EXPECT_FALSE(validate(o));
}

TEST(Options, PointToPointNeedsMatchingCountsAndPlaceholder) {
  auto o = valid();
  o.scenario = Scenario::kPointToPoint;
  o.publishers = 3;
  o.subscribers = 4;
  EXPECT_FALSE(validate(o));
  o = valid();
  o.scenario = Scenario::kPointToPoint;
  o.topic_pattern = "bench/all";
  EXPECT_FALSE(validate(o));
}

TEST(Options, ParseScenario) {
  EXPECT_EQ(*parse_scenario("fan-in"), Scenario::kFanIn);
  EXPECT_EQ(*parse_scenario("fan-out"), Scenario::kFanOut);
  EXPECT_EQ(*parse_scenario("p2p"), Scenario::kPointToPoint);
  EXPECT_EQ(*parse_scenario("point-to-point"), Scenario::kPointToPoint);
  EXPECT_FALSE(parse_scenario("mesh"));
}

TEST(Plan, FanInSubscribesOneWildcardFilter) {
  auto o = valid();
  o.publishers = 3;
  ASSERT_TRUE(validate(o));
  const Plan p = make_plan(o);
  EXPECT_EQ(p.publisher_topics, (std::vector<std::string>{"bench/0", "bench/1", "bench/2"}));
  EXPECT_EQ(p.subscriber_filters, (std::vector<std::string>{"bench/+"}));
  EXPECT_EQ(p.receivers_per_message, 1u);
}

TEST(Plan, FanOutWithOnePublisherSubscribesTheExactTopic) {
  auto o = valid();
  o.scenario = Scenario::kFanOut;
  o.subscribers = 3;
  ASSERT_TRUE(validate(o));
  const Plan p = make_plan(o);
  EXPECT_EQ(p.subscriber_filters, (std::vector<std::string>(3, "bench/0")));
  EXPECT_EQ(p.receivers_per_message, 3u);
}

TEST(Plan, PointToPointPairsPublisherAndSubscriberI) {
  auto o = valid();
  o.scenario = Scenario::kPointToPoint;
  o.publishers = 2;
  o.topic_pattern = "p/{i}/t";
  ASSERT_TRUE(validate(o));
  const Plan p = make_plan(o);
  EXPECT_EQ(p.publisher_topics, (std::vector<std::string>{"p/0/t", "p/1/t"}));
  EXPECT_EQ(p.subscriber_filters, p.publisher_topics);
  EXPECT_EQ(p.receivers_per_message, 1u);
}

}  // namespace
}  // namespace tenet::bench
