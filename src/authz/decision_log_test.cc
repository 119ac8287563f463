#include "authz/decision_log.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/testing/fake_clock.h"
#include "policy/policy.h"

namespace tenet::authz {
namespace {

namespace fs = std::filesystem;

class DecisionLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "tenet-declog-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    policy::CompileOptions o;
    o.scope = {"aws", "us-east-1", "000000000000"};
    o.policy_name = "p";
    o.version_id = "3";
    auto p = policy::compile(R"({"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"iot:Publish","Resource":"*"},
        {"Effect":"Deny","Action":"iot:Publish","Resource":"arn:aws:iot:us-east-1:000000000000:topic/secret"}]})",
                             o);
    ASSERT_TRUE(p) << p.error();
    set_ = std::make_shared<const policy::BoundPolicySet>(policy::bind({*p}, {}, o.scope));
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path() const { return dir_ + "/decisions.log"; }
  policy::Decision decide(std::string_view topic) const {
    return set_->evaluate({policy::action::kPublish, policy::ResourceType::kTopic, topic});
  }
  static std::vector<std::string> lines(const std::string& file) {
    std::ifstream in(file);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
  static void write_lines(const std::string& file, const std::vector<std::string>& ls) {
    std::ofstream out(file, std::ios::trunc);
    for (const auto& l : ls) out << l << "\n";
  }

  std::string dir_;
  core::testing::FakeClock clock_;
  std::shared_ptr<const policy::BoundPolicySet> set_;
  Principal who_{"cafe", "dev", "dev-1", "dev-1"};
};

TEST_F(DecisionLogTest, DeniesAreLoggedWithTheDecidingStatementAndAllowsAreNot) {
  auto log = DecisionLog::open({path()}, clock_);
  ASSERT_TRUE(log) << log.error();
  (*log)->record(who_, Action::kPublish, "a/b", decide("a/b"));     // allow: not logged
  (*log)->record(who_, Action::kPublish, "secret", decide("secret"));  // explicit deny
  (*log)->record(who_, Action::kSubscribe, "x/#", policy::Decision{});  // implicit deny
  (*log)->flush();
  auto ls = lines(path());
  ASSERT_EQ(ls.size(), 2u);
  EXPECT_NE(ls[0].find(R"("decision":"EXPLICIT_DENY")"), std::string::npos) << ls[0];
  EXPECT_NE(ls[0].find(R"("policy":"p","policy_version":"3","statement":1)"), std::string::npos) << ls[0];
  EXPECT_NE(ls[0].find(R"("thing":"dev-1")"), std::string::npos);
  EXPECT_NE(ls[1].find(R"("reason":"no statement matched")"), std::string::npos) << ls[1];
  auto v = verify_decision_log({path()});
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.lines, 2u);
}

TEST_F(DecisionLogTest, EditingOrRemovingALineBreaksTheChain) {
  {
    auto log = DecisionLog::open({path()}, clock_);
    ASSERT_TRUE(log);
    for (int i = 0; i < 4; ++i) (*log)->record(who_, Action::kPublish, "secret", decide("secret"));
  }
  auto ls = lines(path());
  ASSERT_EQ(ls.size(), 4u);
  auto edited = ls;
  edited[1].replace(edited[1].find("dev-1"), 5, "dev-9");
  write_lines(path(), edited);
  auto v = verify_decision_log({path()});
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find(":3:"), std::string::npos) << v.problem;  // the line after the edit
  auto removed = ls;
  removed.erase(removed.begin() + 2);
  write_lines(path(), removed);
  EXPECT_FALSE(verify_decision_log({path()}).ok);
  write_lines(path(), ls);
  EXPECT_TRUE(verify_decision_log({path()}).ok);
}

TEST_F(DecisionLogTest, TheChainContinuesAcrossReopenAndRotation) {
  DecisionLogOptions o{path()};
  o.max_bytes = 600;  // a few lines per file
  o.keep_files = 50;
  for (int round = 0; round < 2; ++round) {
    auto log = DecisionLog::open(o, clock_);
    ASSERT_TRUE(log);
    for (int i = 0; i < 6; ++i) (*log)->record(who_, Action::kPublish, "secret", decide("secret"));
  }
  std::vector<std::string> files;
  for (int i = o.keep_files; i >= 1; --i) {
    if (fs::exists(path() + "." + std::to_string(i))) files.push_back(path() + "." + std::to_string(i));
  }
  ASSERT_GE(files.size(), 2u) << "rotation happened";
  files.push_back(path());
  auto v = verify_decision_log(files);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.lines, 12u);
}

TEST_F(DecisionLogTest, AllowsAreSampled) {
  DecisionLogOptions o{path()};
  o.allow_sample_rate = 0.5;
  auto log = DecisionLog::open(o, clock_);
  ASSERT_TRUE(log);
  for (int i = 0; i < 10; ++i) (*log)->record(who_, Action::kPublish, "a", decide("a"));
  (*log)->flush();
  EXPECT_EQ(lines(path()).size(), 5u);
}

}  // namespace
}  // namespace tenet::authz
