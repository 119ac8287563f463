#include <gtest/gtest.h>

#include <string>

#include "policy/policy.h"

namespace tenet::policy {
namespace {

CompileOptions opts() {
  CompileOptions o;
  o.scope = {"aws", "us-east-1", "123456789012"};
  o.policy_name = "p";
  o.version_id = "1";
  return o;
}

std::string error_of(std::string_view doc) {
  auto r = compile(doc, opts());
  if (r) return "<compiled>";
  return r.error().detail;
}

constexpr std::string_view kTopicArn = "arn:aws:iot:us-east-1:123456789012:topic/";

TEST(Compile, UnknownActionNamesTheStatementAndField) {
  const std::string doc = R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Action":"iot:Connect","Resource":"*"},
    {"Effect":"Allow","Action":"iot:Publish","Resource":"*"},
    {"Effect":"Allow","Action":["iot:Receive","iot:Pubish"],"Resource":"*"}]})";
  auto r = compile(doc, opts());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument);
  EXPECT_EQ(r.error().detail, "Statement[2].Action[1]: \"iot:Pubish\" is not a known action");
}

TEST(Compile, UnknownSingleActionHasNoListIndex) {
  EXPECT_EQ(error_of(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:Pubish","Resource":"*"}})"),
            "Statement[0].Action: \"iot:Pubish\" is not a known action");
}

TEST(Compile, WildcardActionMatchingNothingIsAcceptedWithAWarning) {
  auto r = compile(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:Frob*","Resource":"*"}})", opts());
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ((*r)->warnings().size(), 1u);
  EXPECT_NE((*r)->warnings()[0].find("matches no known action"), std::string::npos);
  EXPECT_TRUE((*r)->statements()[0].actions.none());
}

TEST(Compile, ActionsAreCaseInsensitiveAndIncludeControlPlaneAndJobs) {
  auto r = compile(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow",
      "Action":["IOT:publish","iot:CreateThing","iotjobsdata:UpdateJobExecution","iot:DescribeJobExecution"],
      "Resource":"*"}})", opts());
  ASSERT_TRUE(r) << r.error();
  const Statement& s = (*r)->statements()[0];
  EXPECT_TRUE(s.covers_action(action::kPublish));
  EXPECT_TRUE(s.covers_action(*find_action("iot:CreateThing")));
  EXPECT_TRUE(s.covers_action(action::kUpdateJobExecution));
  EXPECT_TRUE(s.covers_action(action::kDescribeJobExecution));
  EXPECT_FALSE(s.covers_action(action::kSubscribe));
  EXPECT_EQ(find_action("iotjobsdata:DescribeJobExecution"), action::kDescribeJobExecution);
  EXPECT_GT(action_count(), 200u);
  EXPECT_LE(action_count(), kMaxActions);
}

TEST(Compile, InvalidJsonIsMalformed) {
  auto r = compile(R"({"Version":"2012-10-17","Statement":[)", opts());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kMalformed);
  auto arr = compile("[1,2]", opts());
  ASSERT_FALSE(arr);
  EXPECT_EQ(arr.error().code, core::Errc::kMalformed);
}

TEST(Compile, SizeLimitCountsCharactersExcludingWhitespace) {
  std::string resources;
  for (int i = 0; i < 60; ++i) {
    if (i > 0) resources += ",";
    resources += "\"";
    resources += kTopicArn;
    resources += "t";
    resources += std::to_string(i);
    resources += "\"";
  }
  const std::string doc = R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:Publish","Resource":[)" +
                          resources + "]}}";
  ASSERT_GT(count_policy_chars(doc), 2048u);
  auto r = compile(doc, opts());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument);
  EXPECT_NE(r.error().detail.find("the limit is 2048"), std::string::npos) << r.error().detail;

  // Lots of whitespace does not count.
  std::string padded = R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:Publish","Resource":"*"}})";
  padded.insert(1, std::string(5000, ' '));
  EXPECT_TRUE(compile(padded, opts()));
  EXPECT_EQ(count_policy_chars(" a\u00e9 \n"), 2u);  // é is one character
}

TEST(Compile, SingleStatementObjectIsAccepted) {
  auto r = compile(R"({"Version":"2012-10-17","Statement":{"Sid":"one","Effect":"Deny","Action":"iot:*","Resource":"*"}})", opts());
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ((*r)->statements().size(), 1u);
  EXPECT_EQ((*r)->statements()[0].sid, "one");
  EXPECT_EQ((*r)->statements()[0].effect, StatementEffect::kDeny);
  EXPECT_EQ((*r)->name(), "p");
  EXPECT_EQ((*r)->version_id(), "1");
}

TEST(Compile, ExposesCompiledStatementsForAudit) {
  auto r = compile(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iot:Connect",
      "NotResource":["arn:aws:iot:us-east-1:123456789012:topic/${iot:ClientId}/*"],
      "Condition":{"ForAnyValue:StringLikeIfExists":{"iot:Certificate.Subject.OrganizationalUnit.List":["a*","b"]}}}]})",
                   opts());
  ASSERT_TRUE(r) << r.error();
  const Statement& s = (*r)->statements()[0];
  EXPECT_TRUE(s.not_action);
  EXPECT_TRUE(s.not_resource);
  EXPECT_EQ(s.action_patterns, std::vector<std::string>{"iot:Connect"});
  ASSERT_EQ(s.resources.size(), 1u);
  EXPECT_TRUE(s.resources[0].has_variables());
  EXPECT_EQ(s.resources[0].source, "arn:aws:iot:us-east-1:123456789012:topic/${iot:ClientId}/*");
  ASSERT_EQ(s.conditions.size(), 1u);
  EXPECT_EQ(s.conditions[0].op, ConditionOp::kStringLike);
  EXPECT_EQ(s.conditions[0].qualifier, SetQualifier::kForAnyValue);
  EXPECT_TRUE(s.conditions[0].if_exists);
  EXPECT_EQ(s.conditions[0].values.size(), 2u);
  EXPECT_FALSE(s.covers_action(action::kConnect));
  EXPECT_TRUE(s.covers_action(action::kPublish));
}

TEST(Compile, ErrorsNameStatementAndField) {
  const std::string pre = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*"},)";
  auto err = [&](const std::string& st) { return error_of(pre + st + "]}"); };
  EXPECT_EQ(err(R"({"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"StringEqual":{"iot:ClientId":"a"}}})"),
            "Statement[1].Condition: unknown condition operator \"StringEqual\"");
  EXPECT_EQ(err(R"({"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"NumericLessThan":{"x":"abc"}}})"),
            "Statement[1].Condition.NumericLessThan[\"x\"]: \"abc\" is not a number");
  EXPECT_EQ(err(R"({"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/40"}}})"),
            "Statement[1].Condition.IpAddress[\"aws:SourceIp\"]: \"10.0.0.0/40\" is not an IP address or CIDR block");
  EXPECT_EQ(err(R"({"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"soon"}}})"),
            "Statement[1].Condition.DateLessThan[\"aws:CurrentTime\"]: \"soon\" is not a date (ISO 8601 or epoch seconds)");
  EXPECT_EQ(err(R"({"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"Bool":{"iot:Connection.Thing.IsAttached":"yes"}}})"),
            "Statement[1].Condition.Bool[\"iot:Connection.Thing.IsAttached\"]: \"yes\" is not true or false");
  EXPECT_EQ(err(R"({"Effect":"Allow","Action":"iot:Connect","Resource":"topic/a"})"),
            "Statement[1].Resource: \"topic/a\" is not \"*\" or an ARN (arn:aws:iot:...)");
  EXPECT_EQ(err(R"({"Effect":"Allow","Action":"iot:Connect","NotAction":"iot:Publish","Resource":"*"})"),
            "Statement[1]: has both Action and NotAction");
  EXPECT_EQ(err(R"({"Effect":"Allow","Action":"iot:Connect"})"), "Statement[1]: missing Resource (or NotResource)");
  EXPECT_EQ(err(R"({"Action":"iot:Connect","Resource":"*"})"), "Statement[1]: missing Effect");
  EXPECT_EQ(err(R"({"Effect":"allow","Action":"iot:Connect","Resource":"*"})"),
            "Statement[1].Effect: must be \"Allow\" or \"Deny\"");
  EXPECT_EQ(err(R"({"Effect":"Allow","Principal":"*","Action":"iot:Connect","Resource":"*"})"),
            "Statement[1]: unknown field \"Principal\" (IoT policies have no Principal)");
  EXPECT_EQ(err(R"({"Effect":"Allow","tenet:Mode":"report-only","Action":"iot:Connect","Resource":"*"})"),
            "Statement[1].tenet:Mode: \"report-only\" is only valid on a Deny statement");
  EXPECT_EQ(err(R"({"Effect":"Allow","Action":[],"Resource":"*"})"), "Statement[1].Action: must not be empty");
  EXPECT_EQ(err(R"({"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:us-east-1:1:topic/${iot:ClientId"})"),
            "Statement[1].Resource: unterminated variable in \"arn:aws:iot:us-east-1:1:topic/${iot:ClientId\"");
  EXPECT_EQ(err(R"({"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"Null":{"k":"maybe"}}})"),
            "Statement[1].Condition.Null[\"k\"]: \"maybe\" is not true or false");
  EXPECT_EQ(err(R"("just a string")"), "Statement[1]: expected an object, got a string");
}

TEST(Compile, VersionIsRequiredAndChecked) {
  EXPECT_EQ(error_of(R"({"Statement":{"Effect":"Allow","Action":"iot:*","Resource":"*"}})"),
            "Version: missing (use \"2012-10-17\")");
  EXPECT_EQ(error_of(R"({"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"iot:*","Resource":"*"}})"),
            "Version: must be \"2012-10-17\" (or \"2008-10-17\")");
  auto old = compile(R"({"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"iot:*","Resource":"*"}})", opts());
  ASSERT_TRUE(old);
  EXPECT_FALSE((*old)->variables_enabled());
  EXPECT_EQ(error_of(R"({"Version":"2012-10-17","Statement":[]})"), "Statement: must not be empty");
  EXPECT_EQ(error_of(R"({"Version":"2012-10-17","Statement":[],"Extra":1})"), "unknown top-level field \"Extra\"");
}

TEST(Compile, RegionOrAccountMismatchWarns) {
  auto r = compile(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:Publish","Resource":[
      "arn:aws:iot:eu-west-1:123456789012:topic/a","arn:aws:iot:us-east-1:999999999999:topic/a",
      "arn:aws:iot:*:123456789012:topic/a","arn:aws:iot:us-east-?:123456789012:topic/a"]}})", opts());
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ((*r)->warnings().size(), 2u);
  EXPECT_EQ((*r)->warnings()[0],
            "Statement[0].Resource[0]: region \"eu-west-1\" does not match this hub's \"us-east-1\"; the pattern can "
            "never match");
  EXPECT_NE((*r)->warnings()[1].find("account \"999999999999\""), std::string::npos);
}

TEST(Compile, NumbersAndBooleansInConditionValuesBecomeStrings) {
  auto r = compile(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:Connect","Resource":"*",
      "Condition":{"NumericLessThan":{"k":5},"Bool":{"b":true}}}})", opts());
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ((*r)->statements()[0].conditions[0].values[0].source, "5");
  EXPECT_EQ((*r)->statements()[0].conditions[1].values[0].source, "true");
}

}  // namespace
}  // namespace tenet::policy
