// Unit tests for the private building blocks: globs, dates, CIDR blocks, variable resolution.
#include "policy/detail/glob.h"

#include <gtest/gtest.h>

#include "policy/detail/eval.h"

namespace tenet::policy::detail {
namespace {

TEST(Glob, StarSpansTopicLevelsAndColons) {
  const Glob g = Glob::parse("arn:*:topic/a/*");
  EXPECT_TRUE(g.match("arn:x:y:topic/a/b/c/d"));
  EXPECT_TRUE(g.match("arn::topic/a/"));
  EXPECT_FALSE(g.match("arn:x:topic/b/c"));
}

TEST(Glob, QuestionMarkMatchesExactlyOneCharacter) {
  const Glob g = Glob::parse("dev-?/status");
  EXPECT_TRUE(g.match("dev-1/status"));
  EXPECT_FALSE(g.match("dev-10/status"));
  EXPECT_FALSE(g.match("dev-/status"));
}

TEST(Glob, MqttWildcardsAreLiteral) {
  const Glob g = Glob::parse("some/+/topic");
  EXPECT_TRUE(g.match("some/+/topic"));
  EXPECT_FALSE(g.match("some/x/topic"));
  EXPECT_TRUE(Glob::parse("a/#").match("a/#"));
  EXPECT_FALSE(Glob::parse("a/#").match("a/b"));
}

TEST(Glob, MatchesTheConcatenationOfTwoParts) {
  const Glob g = Glob::parse("arn:aws:iot:r:1:topic/a/*/c");
  EXPECT_TRUE(g.match("arn:aws:iot:r:1:topic/", "a/b/c"));
  EXPECT_TRUE(g.match("arn:aws:iot:r:1:to", "pic/a/xx/yy/c"));
  EXPECT_FALSE(g.match("arn:aws:iot:r:1:topic/", "a/b/d"));
}

TEST(Glob, LiteralStarIsNotAWildcard) {
  Glob g;
  g.append_literal("a*");
  EXPECT_TRUE(g.match("a*"));
  EXPECT_FALSE(g.match("abc"));
  EXPECT_EQ(g.to_policy_text(), "a${*}");
}

TEST(Glob, CaseFoldingOnlyWhenAsked) {
  const Glob g = Glob::parse("iot:Pub*");
  EXPECT_TRUE(g.match("IOT:publish", {}, true));
  EXPECT_FALSE(g.match("IOT:publish"));
}

TEST(Glob, BacktrackingWorstCaseTerminates) {
  const Glob g = Glob::parse("*a*a*a*a*a*a*b");
  EXPECT_FALSE(g.match(std::string(5000, 'a')));
}

TEST(Glob, MatchRangeUsesOnlyThatPartOfThePattern) {
  const Glob g = Glob::parse("arn:aws:iot:*:123");
  EXPECT_TRUE(g.match_range(12, 13, "us-east-1"));
  EXPECT_FALSE(g.match_range(14, 17, "124"));
}

TEST(ParseDate, IsoAndEpochForms) {
  EXPECT_EQ(parse_date_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_date_ms("2024-02-29"), 1709164800000);
  EXPECT_EQ(parse_date_ms("2024-02-29T01:00:00+01:00"), 1709164800000);
  EXPECT_EQ(parse_date_ms("2024-02-29T00:00:00.250Z"), 1709164800250);
  EXPECT_EQ(parse_date_ms("1709164800"), 1709164800000);
  EXPECT_FALSE(parse_date_ms("2024-13-01"));
  EXPECT_FALSE(parse_date_ms("yesterday"));
  EXPECT_FALSE(parse_date_ms(""));
}

TEST(Cidr, V4AndV6Blocks) {
  auto v4 = parse_cidr("203.0.113.0/24");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(cidr_contains(*v4, "203.0.113.200"));
  EXPECT_FALSE(cidr_contains(*v4, "203.0.114.1"));
  EXPECT_TRUE(cidr_contains(*v4, "::ffff:203.0.113.9"));  // v4-mapped
  auto v6 = parse_cidr("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(cidr_contains(*v6, "2001:db8:1::7"));
  EXPECT_FALSE(cidr_contains(*v6, "2001:db9::1"));
  EXPECT_FALSE(cidr_contains(*v6, "203.0.113.9"));
  auto odd = parse_cidr("10.128.0.0/9");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(cidr_contains(*odd, "10.200.1.1"));
  EXPECT_FALSE(cidr_contains(*odd, "10.1.1.1"));
  EXPECT_FALSE(parse_cidr("10.0.0.0/33"));
  EXPECT_FALSE(parse_cidr("10.0.0/8"));
  EXPECT_FALSE(parse_cidr("not-an-ip"));
}

TEST(Resolver, CertificateFieldsAreIndexedAndListed) {
  Context ctx;
  ctx.certificate = CertificateInfo{};
  ctx.certificate->subject = {{"CommonName", "dev"}, {"OrganizationalUnit", "a"}, {"OrganizationalUnit", "b"}};
  const Resolver r(ctx, true);
  EXPECT_EQ(r.variable("iot:Certificate.Subject.OrganizationalUnit").value, "a");
  EXPECT_EQ(r.variable("iot:Certificate.Subject.OrganizationalUnit.1").value, "b");
  EXPECT_FALSE(r.variable("iot:Certificate.Subject.OrganizationalUnit.2").resolved);
  EXPECT_FALSE(r.variable("iot:Certificate.Subject.OrganizationalUnit.List").resolved);
  EXPECT_EQ(r.key_values("iot:Certificate.Subject.OrganizationalUnit.List"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.key_values("iot:certificate.subject.commonname"), (std::vector<std::string>{"dev"}));
  EXPECT_EQ(r.key_values("iot:Certificate.AvailableKeys"),
            (std::vector<std::string>{"iot:Certificate.Subject.CommonName",
                                      "iot:Certificate.Subject.OrganizationalUnit"}));
}

TEST(Resolver, CertificateValuesWithSpecialCharactersAreEscapedOrRefused) {
  Context ctx;
  ctx.certificate = CertificateInfo{};
  ctx.certificate->subject = {{"CommonName", "a,b=c"}, {"Organization", "x#y"}, {"Title", std::string(1025, 't')}};
  const Resolver r(ctx, true);
  EXPECT_EQ(r.variable("iot:Certificate.Subject.CommonName").value, "a\\,b\\=c");
  EXPECT_FALSE(r.variable("iot:Certificate.Subject.Organization").resolved);
  EXPECT_FALSE(r.variable("iot:Certificate.Subject.Title").resolved);
}

TEST(Resolver, ListsAreCutToFiveItems) {
  Context ctx;
  ctx.certificate = CertificateInfo{};
  ctx.certificate->subject_alternative_names.dns_name = {"a", "b", "c", "d", "e", "f"};
  const Resolver r(ctx, true);
  EXPECT_EQ(r.key_values("iot:Certificate.Subject.AlternativeName.DNSName.List").size(), 5u);
  EXPECT_EQ(r.variable("iot:Certificate.Subject.AlternativeName.DNSName.5").resolved, false);
  EXPECT_EQ(r.variable("iot:Certificate.Subject.AlternativeName.DNSName.1").value, "b");
}

}  // namespace
}  // namespace tenet::policy::detail
