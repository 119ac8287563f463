#include "broker/subscription_index.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "broker/session.h"

namespace tenet::broker {
namespace {

class SubscriptionIndexTest : public ::testing::Test {
 protected:
  SessionPtr session(const std::string& id) { return std::make_shared<Session>(id, 0); }
  Subscriber sub(const SessionPtr& s, mqtt::Qos q = mqtt::Qos::k0) {
    Subscriber x;
    x.session = s;
    x.options.qos = q;
    return x;
  }
  std::vector<std::string> matched(std::string_view topic) {
    std::vector<Match> out;
    index.match(topic, out);
    std::vector<std::string> ids;
    for (const auto& m : out) ids.push_back(m.session->client_id());
    std::sort(ids.begin(), ids.end());
    return ids;
  }
  SubscriptionIndex index;
};

TEST_F(SubscriptionIndexTest, ExactPlusAndHashFilters) {
  auto a = session("a"), b = session("b"), c = session("c"), d = session("d");
  index.add("sport/tennis/player1", sub(a));
  index.add("sport/+/player1", sub(b));
  index.add("sport/#", sub(c));
  index.add("#", sub(d));
  EXPECT_EQ(matched("sport/tennis/player1"), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(matched("sport/tennis/player2"), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(matched("sport"), (std::vector<std::string>{"c", "d"}));  // "sport/#" matches its parent
  EXPECT_EQ(matched("other"), (std::vector<std::string>{"d"}));
}

TEST_F(SubscriptionIndexTest, PlusMatchesEmptyLevels) {
  auto a = session("a");
  index.add("a/+/c", sub(a));
  EXPECT_EQ(matched("a//c"), (std::vector<std::string>{"a"}));
  EXPECT_TRUE(matched("a/c").empty());
}

TEST_F(SubscriptionIndexTest, LeadingWildcardsDoNotMatchDollarTopics) {  // [MQTT-4.7.2-1]
  auto a = session("a"), b = session("b"), c = session("c");
  index.add("#", sub(a));
  index.add("+/monitor/Clients", sub(b));
  index.add("$SYS/#", sub(c));
  EXPECT_EQ(matched("$SYS/monitor/Clients"), (std::vector<std::string>{"c"}));
}

TEST_F(SubscriptionIndexTest, OverlappingFiltersGiveOneMatchWithHighestQos) {
  auto a = session("a");
  index.add("a/+", sub(a, mqtt::Qos::k0));
  index.add("a/#", sub(a, mqtt::Qos::k2));
  index.add("a/b", sub(a, mqtt::Qos::k1));
  std::vector<Match> out;
  index.match("a/b", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subscriber->options.qos, mqtt::Qos::k2);
}

TEST_F(SubscriptionIndexTest, ResubscribeReplacesOptions) {
  auto a = session("a");
  index.add("t", sub(a, mqtt::Qos::k0));
  index.add("t", sub(a, mqtt::Qos::k1));
  EXPECT_EQ(index.size(), 1u);
  std::vector<Match> out;
  index.match("t", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subscriber->options.qos, mqtt::Qos::k1);
}

TEST_F(SubscriptionIndexTest, RemoveStopsMatchingAndPrunes) {
  auto a = session("a"), b = session("b");
  index.add("x/+/z", sub(a));
  index.add("x/#", sub(b));
  index.remove("x/+/z", a.get());
  EXPECT_EQ(matched("x/y/z"), (std::vector<std::string>{"b"}));
  index.remove("x/#", b.get());
  EXPECT_TRUE(matched("x/y/z").empty());
  EXPECT_EQ(index.size(), 0u);
  index.remove("never/added", a.get());  // no-op
}

TEST_F(SubscriptionIndexTest, SharedGroupDeliversToOneMemberRoundRobin) {
  auto a = session("a"), b = session("b"), c = session("c");
  index.add("$share/g/jobs/+", sub(a));
  index.add("$share/g/jobs/+", sub(b));
  index.add("jobs/#", sub(c));
  int a_count = 0, b_count = 0;
  for (int i = 0; i < 10; ++i) {
    auto ids = matched("jobs/1");
    ASSERT_EQ(ids.size(), 2u);
    EXPECT_EQ(ids[1], "c");
    (ids[0] == "a" ? a_count : b_count)++;
  }
  EXPECT_EQ(a_count, 5);
  EXPECT_EQ(b_count, 5);
}

TEST_F(SubscriptionIndexTest, SharedGroupPrefersOnlineMembers) {
  auto a = session("a"), b = session("b");
  b->set_online(true);
  index.add("$share/g/t", sub(a));
  index.add("$share/g/t", sub(b));
  for (int i = 0; i < 4; ++i) {
    std::vector<Match> out;
    index.match("t", out, [](const Session* s) { return s->online(); });
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].session, b.get());
  }
}

}  // namespace
}  // namespace tenet::broker
