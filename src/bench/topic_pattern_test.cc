#include "bench/topic_pattern.h"

#include <gtest/gtest.h>

#include "mqtt/topic.h"

namespace tenet::bench {
namespace {

TEST(TopicPattern, ExpandReplacesEveryPlaceholder) {
  EXPECT_EQ(expand("bench/{i}", 7), "bench/7");
  EXPECT_EQ(expand("dev{i}/x/{i}", 12), "dev12/x/12");
  EXPECT_EQ(expand("bench/all", 3), "bench/all");
  EXPECT_EQ(expand("{i}", 0), "0");
}

TEST(TopicPattern, ExpandLeavesPartialBracesAlone) {
  EXPECT_EQ(expand("a/{j}/{i", 1), "a/{j}/{i");
}

TEST(TopicPattern, WildcardFilterTurnsPlaceholderLevelsIntoPlus) {
  EXPECT_EQ(wildcard_filter("bench/{i}"), "bench/+");
  EXPECT_EQ(wildcard_filter("bench/dev{i}/telemetry"), "bench/+/telemetry");
  EXPECT_EQ(wildcard_filter("{i}/a/{i}"), "+/a/+");
  EXPECT_EQ(wildcard_filter("bench/all"), "bench/all");
  EXPECT_EQ(wildcard_filter("bench//{i}"), "bench//+");
}

TEST(TopicPattern, WildcardFilterMatchesEveryExpansion) {
  for (const char* pattern : {"bench/{i}", "b/dev-{i}/t", "{i}", "x/{i}/y/{i}z"}) {
    const std::string filter = wildcard_filter(pattern);
    for (std::size_t i : {0u, 1u, 42u, 99999u}) {
      EXPECT_TRUE(mqtt::topic_matches(filter, expand(pattern, i))) << pattern << " " << i;
    }
  }
}

TEST(TopicPattern, ValidateRejectsWildcardsAndEmpty) {
  EXPECT_TRUE(validate_pattern("bench/{i}"));
  EXPECT_TRUE(validate_pattern("bench"));
  EXPECT_FALSE(validate_pattern(""));
  EXPECT_FALSE(validate_pattern("bench/+/{i}"));
  EXPECT_FALSE(validate_pattern("bench/#"));
  EXPECT_EQ(validate_pattern("a/#").error().code, core::Errc::kInvalidArgument);
}

TEST(TopicPattern, ValidateChecksTheLongestExpansionAgainstTheLengthLimit) {
  const std::string near_limit(250, 'a');
  EXPECT_TRUE(validate_pattern(near_limit));
  EXPECT_FALSE(validate_pattern(near_limit + "/{i}"));  // 251 + 6 digits > 256
}

TEST(TopicPattern, HasPlaceholder) {
  EXPECT_TRUE(has_placeholder("a/{i}"));
  EXPECT_FALSE(has_placeholder("a/{j}"));
}

}  // namespace
}  // namespace tenet::bench
