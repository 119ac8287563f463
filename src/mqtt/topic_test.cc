#include "mqtt/topic.h"

#include <gtest/gtest.h>

#include <string>

namespace tenet::mqtt {
namespace {

TEST(ValidateTopicName, Table) {
  struct Case {
    std::string_view topic;
    bool ok;
  };
  const Case cases[] = {
      {"a", true},    {"a/b/c", true},       {"/", true},  // two empty levels
      {"a//b", true}, {"$SYS/broker", true}, {"with space", true},
      {"", false},                                                                  // [MQTT-4.7.3-1]
      {"a/+", false},                                                               // [MQTT-3.3.2-2]
      {"a/#", false}, {"a+b", false},        {std::string_view("a\0b", 3), false},  // [MQTT-4.7.3-2]
  };
  for (const Case& c : cases) {
    const auto r = validate_topic_name(c.topic);
    EXPECT_EQ(r.has_value(), c.ok) << "'" << c.topic << "'";
    if (!r) {
      EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument);
    }
  }
}

TEST(ValidateTopicName, HonoursLimits) {
  const std::string long_topic(257, 'a');
  EXPECT_FALSE(validate_topic_name(long_topic));
  EXPECT_TRUE(validate_topic_name(std::string_view(long_topic).substr(0, 256)));
  EXPECT_TRUE(validate_topic_name(long_topic, TopicLimits{.max_length = 1000}));
  EXPECT_TRUE(validate_topic_name("a/b/c", TopicLimits{.max_levels = 3}));
  EXPECT_FALSE(validate_topic_name("a/b/c/d", TopicLimits{.max_levels = 3}));
}

TEST(ValidateTopicFilter, Table) {
  struct Case {
    std::string_view filter;
    bool ok;
  };
  const Case cases[] = {
      {"a/b", true},
      {"#", true},
      {"+", true},
      {"a/#", true},
      {"a/+/c", true},
      {"+/+", true},
      {"/#", true},
      {"+/#", true},
      {"$SYS/#", true},
      {"", false},       // [MQTT-4.7.3-1]
      {"a#", false},     // [MQTT-4.7.1-1]: '#' alone in its level
      {"a/#/c", false},  // ... and last
      {"#/", false},
      {"a/b#", false},
      {"a+", false},  // [MQTT-4.7.1-2]: '+' alone in its level
      {"a/+b/c", false},
      {"++", false},
      {std::string_view("a/\0", 3), false},
      // Shared subscriptions [MQTT-4.8.2-1, -2]
      {"$share/g/a/b", true},
      {"$share/group/#", true},
      {"$share/g/+/x", true},
      {"$share//a", false},    // empty share name
      {"$share/g", false},     // no filter
      {"$share/g/", false},    // empty filter
      {"$share/g+/a", false},  // wildcard in the share name
      {"$share/#/a", false},
      {"$share/g/a#", false},  // the inner filter must be valid
      {"$share", true},        // not shared: an ordinary one-level filter
      {"$sharex/g/a", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(validate_topic_filter(c.filter).has_value(), c.ok) << "'" << c.filter << "'";
  }
}

TEST(ValidateTopicFilter, HonoursLimits) {
  EXPECT_FALSE(validate_topic_filter(std::string(300, 'a')));
  EXPECT_TRUE(validate_topic_filter("$share/g/a/b", TopicLimits{.max_levels = 2}));  // levels of the inner filter
  EXPECT_FALSE(validate_topic_filter("a/b/#", TopicLimits{.max_levels = 2}));
}

TEST(TopicMatches, Table) {
  struct Case {
    std::string_view filter;
    std::string_view topic;
    bool match;
  };
  const Case cases[] = {
      {"a/b", "a/b", true},
      {"a/b", "a/c", false},
      {"a/b", "a/b/c", false},
      {"a/b/c", "a/b", false},
      {"a/b", "a/b/", false},
      {"a/b/", "a/b", false},
      {"a/b/", "a/b/", true},
      // '+'
      {"+", "a", true},
      {"+", "a/b", false},
      {"+", "/a", false},
      {"+/+", "/a", true},  // spec 4.7.1.3
      {"/+", "/a", true},
      {"a/+/c", "a/b/c", true},
      {"a/+/c", "a//c", true},  // '+' matches an empty level
      {"a/+", "a/", true},
      {"a/+", "a", false},  // "sport/+" does not match "sport"
      {"a/+/+", "a/b", false},
      // '#'
      {"#", "a", true},
      {"#", "a/b/c", true},
      {"#", "/", true},
      {"sport/#", "sport", true},  // spec 4.7.1.2: '#' includes the parent level
      {"sport/#", "sport/", true},
      {"sport/#", "sport/tennis/player1", true},
      {"sport/#", "sports", false},
      {"sport/tennis/#", "sport", false},
      {"+/#", "a", true},
      {"a/+/#", "a/b", true},
      {"a/+/#", "a", false},
      // '$' topics [MQTT-4.7.2-1]
      {"#", "$SYS/x", false},
      {"+/x", "$SYS/x", false},
      {"+", "$SYS", false},
      {"$SYS/#", "$SYS/x", true},
      {"$SYS/+", "$SYS/x", true},
      {"a/#", "a/$x", true},  // the rule applies to the first level only
      // Degenerate input
      {"", "a", false},
      {"a", "", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(topic_matches(c.filter, c.topic), c.match) << "'" << c.filter << "' vs '" << c.topic << "'";
  }
}

TEST(ParseShared, SplitsGroupAndFilter) {
  const auto s = parse_shared("$share/g1/a/b/#");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->group, "g1");
  EXPECT_EQ(s->filter, "a/b/#");
  const auto no_filter = parse_shared("$share/g1");
  ASSERT_TRUE(no_filter);
  EXPECT_EQ(no_filter->group, "g1");
  EXPECT_EQ(no_filter->filter, "");
  EXPECT_FALSE(parse_shared("a/b"));
  EXPECT_FALSE(parse_shared("$share"));
  EXPECT_FALSE(parse_shared("$SHARE/g/a"));
}

TEST(HasWildcard, Table) {
  EXPECT_TRUE(has_wildcard("#"));
  EXPECT_TRUE(has_wildcard("a/+/b"));
  EXPECT_FALSE(has_wildcard("a/b"));
  EXPECT_FALSE(has_wildcard(""));
}

}  // namespace
}  // namespace tenet::mqtt
