#include <gtest/gtest.h>

#include <thread>

#include "control/testing/temp_db.h"
#include "core/testing/fake_clock.h"
#include "policies/policies.h"
#include "policy/engine.h"
#include "store/migrate.h"
#include "store/sqlite.h"

namespace tenet::policies {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAllowAll =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]})";

std::string allow_topic(std::string_view topic) {
  return R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Publish","Resource":"arn:aws:iot:eu-west-1:123456789012:topic/)" +
         std::string(topic) + R"("}]})";
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }
  void reopen() {
    store.reset();
    auto s = PolicyStore::open(db.path(), partition, clock);
    ASSERT_TRUE(s) << s.error();
    store = std::move(*s);
  }
  std::string cert(std::string_view id) const { return partition.arn("cert", id); }
  std::string group(std::string_view name) const { return partition.arn("thinggroup", name); }

  control::testing::TempDb db;
  core::testing::FakeClock clock;
  control::Partition partition{"eu-west-1", "123456789012"};
  std::unique_ptr<PolicyStore> store;
};

TEST_F(StoreTest, CreateMakesVersionOneTheDefault) {
  auto p = store->create("dev", kAllowAll);
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ((*p)->default_version_id, "1");
  EXPECT_EQ((*p)->arn, "arn:aws:iot:eu-west-1:123456789012:policy/dev");
  EXPECT_EQ((*p)->generation_id.size(), 64u);
  ASSERT_TRUE((*p)->default_version().compiled);
  EXPECT_EQ((*p)->default_version().compiled->name(), "dev");
  EXPECT_EQ((*p)->default_version().compiled->version_id(), "1");
  auto again = store->create("dev", kAllowAll);
  ASSERT_FALSE(again);
  EXPECT_EQ(fault_of(again.error()), Fault::kAlreadyExists);
}

TEST_F(StoreTest, PolicyNamesAreValidated) {
  EXPECT_TRUE(valid_policy_name("a_b+c=d,e.f@g-h"));
  EXPECT_FALSE(valid_policy_name(""));
  EXPECT_FALSE(valid_policy_name("a/b"));
  EXPECT_FALSE(valid_policy_name("a b"));
  EXPECT_FALSE(valid_policy_name(std::string(129, 'a')));
  EXPECT_TRUE(valid_policy_name(std::string(128, 'a')));
  auto r = store->create("bad name", kAllowAll);
  ASSERT_FALSE(r);
  EXPECT_EQ(fault_of(r.error()), Fault::kInvalidRequest);
}

TEST_F(StoreTest, MalformedPolicyNamesTheStatement) {
  auto r = store->create(
      "p", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Publish","Resource":"*"},
              {"Effect":"Allow","Action":"iot:Pubish","Resource":"*"}]})");
  ASSERT_FALSE(r);
  EXPECT_EQ(fault_of(r.error()), Fault::kMalformedPolicy);
  EXPECT_NE(r.error().detail.find("Statement[1]"), std::string::npos) << r.error().detail;
  EXPECT_NE(r.error().detail.find("iot:Pubish"), std::string::npos) << r.error().detail;
  EXPECT_FALSE(store->find("p"));
  ASSERT_TRUE(store->create("p", kAllowAll));
  auto v = store->create_version("p", "not json", false);
  ASSERT_FALSE(v);
  EXPECT_EQ(fault_of(v.error()), Fault::kMalformedPolicy);
  EXPECT_EQ(store->find("p")->versions.size(), 1u);
}

TEST_F(StoreTest, FiveVersionsAtMostAndIdsAreNeverReused) {
  ASSERT_TRUE(store->create("p", kAllowAll));
  for (int i = 2; i <= 5; ++i) {
    auto v = store->create_version("p", kAllowAll, false);
    ASSERT_TRUE(v) << v.error();
    EXPECT_EQ((*v)->versions.back().id, std::to_string(i));
    EXPECT_EQ((*v)->default_version_id, "1");
  }
  auto sixth = store->create_version("p", kAllowAll, false);
  ASSERT_FALSE(sixth);
  EXPECT_EQ(fault_of(sixth.error()), Fault::kVersionsLimitExceeded);
  ASSERT_TRUE(store->remove_version("p", "5"));
  auto next = store->create_version("p", kAllowAll, false);
  ASSERT_TRUE(next) << next.error();
  EXPECT_EQ((*next)->versions.back().id, "6");  // 5 is not reused
  EXPECT_FALSE(store->find("p")->find_version("5"));
}

TEST_F(StoreTest, DefaultSwitchingAndDefaultCannotBeDeleted) {
  ASSERT_TRUE(store->create("p", allow_topic("a")));
  auto v2 = store->create_version("p", allow_topic("b"), true);
  ASSERT_TRUE(v2);
  EXPECT_EQ((*v2)->default_version_id, "2");
  const std::string gen2 = (*v2)->generation_id;
  ASSERT_TRUE(store->set_default("p", "1"));
  EXPECT_EQ(store->find("p")->default_version_id, "1");
  EXPECT_NE(store->find("p")->generation_id, gen2);
  auto del = store->remove_version("p", "1");
  ASSERT_FALSE(del);
  EXPECT_EQ(fault_of(del.error()), Fault::kDeleteConflict);
  auto missing = store->set_default("p", "9");
  ASSERT_FALSE(missing);
  EXPECT_EQ(fault_of(missing.error()), Fault::kNotFound);
  EXPECT_EQ(fault_of(store->set_default("nope", "1").error()), Fault::kNotFound);
  ASSERT_TRUE(store->remove_version("p", "2"));
  EXPECT_EQ(store->find("p")->versions.size(), 1u);
}

TEST_F(StoreTest, DeleteConflicts) {
  ASSERT_TRUE(store->create("p", kAllowAll));
  ASSERT_TRUE(store->create_version("p", kAllowAll, false));
  auto r = store->remove("p");
  ASSERT_FALSE(r);
  EXPECT_EQ(fault_of(r.error()), Fault::kDeleteConflict);
  EXPECT_NE(r.error().detail.find("non-default"), std::string::npos);
  ASSERT_TRUE(store->remove_version("p", "2"));
  ASSERT_TRUE(store->attach("p", cert("c1")));
  r = store->remove("p");
  ASSERT_FALSE(r);
  EXPECT_EQ(fault_of(r.error()), Fault::kDeleteConflict);
  EXPECT_NE(r.error().detail.find("attached"), std::string::npos);
  ASSERT_TRUE(store->detach("p", cert("c1")));
  ASSERT_TRUE(store->remove("p"));
  EXPECT_FALSE(store->find("p"));
  EXPECT_EQ(fault_of(store->remove("p").error()), Fault::kNotFound);
}

TEST_F(StoreTest, AttachValidatesTargetsAndEnforcesTheLimit) {
  ASSERT_TRUE(store->create("p0", kAllowAll));
  EXPECT_EQ(fault_of(store->attach("p0", "arn:aws:iot:eu-west-1:123456789012:thing/t").error()), Fault::kInvalidRequest);
  EXPECT_EQ(fault_of(store->attach("p0", "arn:aws:iot:us-east-1:123456789012:cert/x").error()), Fault::kInvalidRequest);
  EXPECT_EQ(fault_of(store->attach("p0", "nonsense").error()), Fault::kInvalidRequest);
  EXPECT_EQ(fault_of(store->attach("nope", cert("c")).error()), Fault::kNotFound);
  ASSERT_TRUE(store->attach("p0", group("g")));
  for (int i = 1; i < 10; ++i) {
    ASSERT_TRUE(store->create("p" + std::to_string(i), kAllowAll));
    ASSERT_TRUE(store->attach("p" + std::to_string(i), cert("c")));
  }
  ASSERT_TRUE(store->attach("p0", cert("c")));  // the 10th
  ASSERT_TRUE(store->attach("p0", cert("c")));  // again: a no-op
  ASSERT_TRUE(store->create("p10", kAllowAll));
  auto r = store->attach("p10", cert("c"));
  ASSERT_FALSE(r);
  EXPECT_EQ(fault_of(r.error()), Fault::kLimitExceeded);
  EXPECT_EQ(store->policies_of(cert("c")).size(), 10u);
  // The target query decides existence once set.
  store->set_target_query([](std::string_view arn) { return arn.ends_with("/known"); });
  EXPECT_EQ(fault_of(store->attach("p10", cert("unknown")).error()), Fault::kNotFound);
  EXPECT_TRUE(store->attach("p10", cert("known")));
}

TEST_F(StoreTest, GenerationBumpsAndObserversSeeCommittedState) {
  std::vector<Change> seen;
  store->on_change([&](const Change& c) {
    // Observers run after the commit: the store already reflects the change.
    if (c.kind == Change::Kind::kAttached) {
      EXPECT_TRUE(store->has_attachments(c.targets.at(0)));
    }
    EXPECT_EQ(store->generation(), c.generation);
    seen.push_back(c);
  });
  const auto g0 = store->generation();
  ASSERT_TRUE(store->create("p", allow_topic("a")));
  ASSERT_TRUE(store->attach("p", cert("c1")));
  ASSERT_TRUE(store->attach("p", group("g1")));
  ASSERT_TRUE(store->create_version("p", allow_topic("b"), false));
  ASSERT_TRUE(store->set_default("p", "2"));
  ASSERT_TRUE(store->remove_version("p", "1"));
  ASSERT_TRUE(store->detach("p", cert("c1")));
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_EQ(store->generation(), g0 + 7);
  EXPECT_EQ(seen[0].kind, Change::Kind::kCreated);
  EXPECT_EQ(seen[1].kind, Change::Kind::kAttached);
  EXPECT_EQ(seen[1].targets, std::vector<std::string>{cert("c1")});
  EXPECT_EQ(seen[3].kind, Change::Kind::kVersionCreated);
  EXPECT_TRUE(seen[3].targets.empty());  // not the default: nobody affected
  EXPECT_EQ(seen[4].kind, Change::Kind::kDefaultChanged);
  EXPECT_EQ(seen[4].targets, (std::vector<std::string>{cert("c1"), group("g1")}));
  EXPECT_EQ(seen[4].policy_name, "p");
  EXPECT_EQ(seen[6].kind, Change::Kind::kDetached);
  // Failed writes and no-ops do not bump.
  EXPECT_FALSE(store->remove_version("p", "2"));
  ASSERT_TRUE(store->attach("p", group("g1")));
  ASSERT_TRUE(store->detach("p", cert("c1")));
  ASSERT_TRUE(store->set_default("p", "2"));
  EXPECT_EQ(store->generation(), g0 + 7);
  EXPECT_EQ(seen.size(), 7u);
  ASSERT_TRUE(store->forget_target(group("g1")));
  EXPECT_EQ(seen.back().kind, Change::Kind::kDetached);
  EXPECT_FALSE(store->has_attachments(group("g1")));
  EXPECT_EQ(store->generation(), g0 + 8);
}

TEST_F(StoreTest, PoliciesForTargetsAreDefaultVersionsDeduplicated) {
  ASSERT_TRUE(store->create("a", allow_topic("a1")));
  ASSERT_TRUE(store->create_version("a", allow_topic("a2"), false));
  ASSERT_TRUE(store->create("b", allow_topic("b1")));
  ASSERT_TRUE(store->create("unattached", kAllowAll));
  ASSERT_TRUE(store->attach("a", cert("c")));
  ASSERT_TRUE(store->attach("b", cert("c")));
  ASSERT_TRUE(store->attach("a", group("g")));
  const std::vector<std::string> targets{cert("c"), group("g"), group("other")};
  auto ps = store->policies_for_targets(targets);
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0]->name(), "a");
  EXPECT_EQ(ps[0]->version_id(), "1");  // the default, not the newest
  EXPECT_EQ(ps[1]->name(), "b");
  ASSERT_TRUE(store->set_default("a", "2"));
  ps = store->policies_for_targets(targets);
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0]->version_id(), "2");
  // The compiled policy really is the default document.
  auto bound = policy::bind(ps, policy::Context{}, policy::Scope{"aws", "eu-west-1", "123456789012"});
  EXPECT_TRUE(bound.evaluate({policy::action::kPublish, policy::ResourceType::kTopic, "a2"}).allowed());
  EXPECT_FALSE(bound.evaluate({policy::action::kPublish, policy::ResourceType::kTopic, "a1"}).allowed());
  EXPECT_TRUE(store->policies_for_targets(std::vector<std::string>{group("other")}).empty());
}

TEST_F(StoreTest, EverythingSurvivesReopen) {
  ASSERT_TRUE(store->create("p", allow_topic("a")));
  ASSERT_TRUE(store->create_version("p", allow_topic("b"), true));
  ASSERT_TRUE(store->create_version("p", allow_topic("c"), false));
  ASSERT_TRUE(store->remove_version("p", "3"));
  ASSERT_TRUE(store->attach("p", cert("c1")));
  ASSERT_TRUE(store->attach("p", group("g1")));
  ASSERT_TRUE(store->create("q", kAllowAll));
  const auto before = store->find("p");
  reopen();
  auto p = store->find("p");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->default_version_id, "2");
  ASSERT_EQ(p->versions.size(), 2u);
  EXPECT_EQ(p->versions[0].id, "1");
  EXPECT_EQ(p->versions[1].id, "2");
  EXPECT_EQ(p->versions[1].document, allow_topic("b"));
  EXPECT_EQ(p->generation_id, before->generation_id);
  EXPECT_EQ(p->created_at_ms, before->created_at_ms);
  EXPECT_EQ(p->last_version, 3u);
  ASSERT_TRUE(p->default_version().compiled);
  EXPECT_EQ(store->targets_of("p"), (std::vector<std::string>{cert("c1"), group("g1")}));
  EXPECT_EQ(store->list().size(), 2u);
  // Ids stay unique across restarts.
  auto v = store->create_version("p", kAllowAll, false);
  ASSERT_TRUE(v);
  EXPECT_EQ((*v)->versions.back().id, "4");
  EXPECT_EQ(store->policies_for_targets(std::vector<std::string>{cert("c1")}).at(0)->version_id(), "2");
}

TEST_F(StoreTest, ConcurrentReadersDuringWrites) {
  ASSERT_TRUE(store->create("p", kAllowAll));
  ASSERT_TRUE(store->attach("p", cert("c")));
  std::atomic<bool> stop{false};
  std::atomic<int> empty{0};
  std::thread reader([&] {
    const std::vector<std::string> t{cert("c")};
    while (!stop) {
      if (store->policies_for_targets(t).empty()) ++empty;
    }
  });
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(store->create_version("p", allow_topic("x" + std::to_string(i)), true));
    ASSERT_TRUE(store->remove_version("p", store->find("p")->versions.front().id));
  }
  stop = true;
  reader.join();
  EXPECT_EQ(empty.load(), 0);
}


TEST(PoliciesMigration, AppliesOnTopOfTheEarlierSchema) {
  control::testing::TempDb tmp;  // fully migrated; use a fresh file at version 4 instead
  const std::string path = tmp.dir() + "/v4.db";
  store::DbOptions o;
  o.path = path;
  auto db = store::Db::open(o);
  ASSERT_TRUE(db) << db.error();
  const auto all = store::embedded_migrations();
  auto it = std::find_if(all.begin(), all.end(), [](const store::Migration& m) { return m.name == "policies"; });
  ASSERT_NE(it, all.end());
  const auto before = static_cast<std::size_t>(it - all.begin());
  ASSERT_TRUE(store::migrate(*db, all.first(before), 1));
  EXPECT_FALSE(db->prepare("SELECT 1 FROM policies"));  // not there yet
  auto v = store::migrate(*db, all, 2);
  ASSERT_TRUE(v) << v.error();
  EXPECT_EQ(*v, static_cast<int>(all.size()));
  core::testing::FakeClock clock;
  auto s = PolicyStore::open(path, control::Partition{}, clock);
  ASSERT_TRUE(s) << s.error();
  ASSERT_TRUE((*s)->create("p", kAllowAll));
  // The CHECK-free schema still refuses a version row of an unknown policy (foreign key).
  auto st = db->prepare("INSERT INTO policy_versions (policy_name, version_id, document, created_at_ms) VALUES ('x', 1, '', 0)");
  ASSERT_TRUE(st);
  EXPECT_FALSE(st->run());
}

}  // namespace
}  // namespace tenet::policies
