#include "registry/registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <boost/json.hpp>

#include "control/router.h"
#include "control/tags.h"
#include "control/testing/temp_db.h"
#include "core/testing/fake_clock.h"

namespace tenet::registry {
namespace {

namespace json = boost::json;

const std::string kCertA = "arn:aws:iot:us-east-1:000000000000:cert/" + std::string(64, 'a');
const std::string kCertB = "arn:aws:iot:us-east-1:000000000000:cert/" + std::string(64, 'b');

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }
  void reopen() {
    reg_.reset();
    auto r = Registry::open(db_.path(), control::Partition{}, clock_);
    ASSERT_TRUE(r) << r.error();
    reg_ = std::move(*r);
  }
  ThingPtr thing(const std::string& name, std::map<std::string, std::string> attrs = {}, std::string type = "") {
    auto r = reg_->create_thing({name, std::move(type), std::move(attrs)});
    EXPECT_TRUE(r) << r.error();
    return r ? *r : nullptr;
  }
  void group(const std::string& name, const std::string& parent = "") {
    Registry::NewGroup g;
    g.name = name;
    g.parent = parent;
    auto r = reg_->create_group(g);
    ASSERT_TRUE(r) << r.error();
  }
  void dynamic(const std::string& name, const std::string& query) {
    Registry::NewGroup g;
    g.name = name;
    g.dynamic = true;
    g.query_string = query;
    auto r = reg_->create_group(g);
    ASSERT_TRUE(r) << r.error();
  }
  static Fault fault(const core::Error& e) { return fault_of(e).value_or(Fault::kInvalidRequest); }

  control::testing::TempDb db_;
  core::testing::FakeClock clock_;
  std::unique_ptr<Registry> reg_;
};

TEST_F(RegistryTest, CreateDescribeAndIdempotentRecreate) {
  auto t = thing("pump-1", {{"model", "x1"}});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->arn, "arn:aws:iot:us-east-1:000000000000:thing/pump-1");
  EXPECT_EQ(t->id.size(), 36u);
  EXPECT_EQ(t->version, 1);
  auto same = reg_->create_thing({"pump-1", "", {{"model", "x1"}}});
  ASSERT_TRUE(same);
  EXPECT_EQ((*same)->id, t->id) << "identical re-create returns the existing thing";
  auto different = reg_->create_thing({"pump-1", "", {{"model", "x2"}}});
  ASSERT_FALSE(different);
  EXPECT_EQ(fault(different.error()), Fault::kAlreadyExists);
}

TEST_F(RegistryTest, NamesAndAttributesFollowTheModelPatterns) {
  for (const char* bad : {"", "has space", "slash/no", "dot.no"}) {
    auto r = reg_->create_thing({bad, "", {}});
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(fault(r.error()), Fault::kInvalidRequest);
  }
  EXPECT_FALSE(reg_->create_thing({std::string(129, 'a'), "", {}}));
  EXPECT_TRUE(reg_->create_thing({std::string(128, 'a'), "", {}}));
  EXPECT_FALSE(reg_->create_thing({"t", "", {{"bad name!", "v"}}}));
  EXPECT_FALSE(reg_->create_thing({"t", "", {{"k", "bad value!"}}}));
  EXPECT_TRUE(reg_->create_thing({"t", "", {{"a.b@c/d:e#f", "x=[1],y"}}}));
}

TEST_F(RegistryTest, UpdateUsesOptimisticLocking) {
  thing("t1");
  Registry::ThingUpdate u;
  u.attributes = AttributePayload{{{"a", "1"}}, true};
  u.expected_version = 1;
  auto r = reg_->update_thing("t1", u);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ((*r)->version, 2);
  auto stale = reg_->update_thing("t1", u);  // still expects version 1
  ASSERT_FALSE(stale);
  EXPECT_EQ(fault(stale.error()), Fault::kVersionConflict);
  EXPECT_EQ(reg_->find_thing("t1")->version, 2) << "a conflict writes nothing";

  auto del = reg_->delete_thing("t1", 1);
  ASSERT_FALSE(del);
  EXPECT_EQ(fault(del.error()), Fault::kVersionConflict);
  EXPECT_TRUE(reg_->delete_thing("t1", 2));
  EXPECT_FALSE(reg_->find_thing("t1"));
  EXPECT_TRUE(reg_->delete_thing("t1", std::nullopt)) << "deleting a missing thing succeeds (AWS)";
  auto missing = reg_->update_thing("t1", u);
  ASSERT_FALSE(missing);
  EXPECT_EQ(fault(missing.error()), Fault::kNotFound);
}

TEST_F(RegistryTest, AttributeMergeAndReplace) {
  thing("t", {{"a", "1"}, {"b", "2"}});
  Registry::ThingUpdate merge;
  merge.attributes = AttributePayload{{{"a", ""}, {"c", "3"}}, true};  // empty value removes
  ASSERT_TRUE(reg_->update_thing("t", merge));
  EXPECT_EQ(reg_->find_thing("t")->attributes, (std::map<std::string, std::string>{{"b", "2"}, {"c", "3"}}));
  Registry::ThingUpdate replace;
  replace.attributes = AttributePayload{{{"z", "9"}}, false};
  ASSERT_TRUE(reg_->update_thing("t", replace));
  EXPECT_EQ(reg_->find_thing("t")->attributes, (std::map<std::string, std::string>{{"z", "9"}}));
}

TEST_F(RegistryTest, ThingTypeDeprecationRules) {
  ASSERT_TRUE(reg_->create_type("sensor", "a sensor", {"model"}));
  auto again = reg_->create_type("sensor", "other", {});
  ASSERT_FALSE(again);
  EXPECT_EQ(fault(again.error()), Fault::kAlreadyExists);
  auto no_type = reg_->create_thing({"t0", "nope", {}});
  ASSERT_FALSE(no_type);
  EXPECT_EQ(fault(no_type.error()), Fault::kNotFound);
  thing("t1", {}, "sensor");

  auto early = reg_->delete_type("sensor");
  ASSERT_FALSE(early);
  EXPECT_EQ(fault(early.error()), Fault::kInvalidRequest) << "must be deprecated first";
  ASSERT_TRUE(reg_->deprecate_type("sensor", false));
  EXPECT_TRUE(reg_->find_type("sensor")->deprecated);
  auto new_thing = reg_->create_thing({"t2", "sensor", {}});
  ASSERT_FALSE(new_thing);
  EXPECT_EQ(fault(new_thing.error()), Fault::kInvalidRequest) << "a deprecated type takes no new things";
  auto used = reg_->delete_type("sensor");
  ASSERT_FALSE(used);
  EXPECT_EQ(fault(used.error()), Fault::kInvalidRequest) << "still used by t1";

  ASSERT_TRUE(reg_->deprecate_type("sensor", true));  // undo
  EXPECT_TRUE(reg_->create_thing({"t2", "sensor", {}}));
  ASSERT_TRUE(reg_->deprecate_type("sensor", false));
  Registry::ThingUpdate remove;
  remove.remove_type = true;
  ASSERT_TRUE(reg_->update_thing("t1", remove));
  ASSERT_TRUE(reg_->update_thing("t2", remove));
  EXPECT_TRUE(reg_->delete_type("sensor"));
  EXPECT_FALSE(reg_->find_type("sensor"));
}

TEST_F(RegistryTest, GroupHierarchyAncestorsAndDepthLimit) {
  group("g1");
  for (int i = 2; i <= 7; ++i) group("g" + std::to_string(i), "g" + std::to_string(i - 1));
  Registry::NewGroup eighth;
  eighth.name = "g8";
  eighth.parent = "g7";
  auto r = reg_->create_group(eighth);
  ASSERT_FALSE(r);
  EXPECT_EQ(fault(r.error()), Fault::kInvalidRequest) << "depth 8 is over the limit of 7";

  std::vector<std::string> names;
  for (const auto& a : reg_->ancestors_of("g4")) names.push_back(a->name);
  EXPECT_EQ(names, (std::vector<std::string>{"g1", "g2", "g3"}));

  thing("t");
  ASSERT_TRUE(reg_->add_to_group("g3", "t"));
  EXPECT_EQ(reg_->static_groups_with_ancestors("t"), (std::vector<std::string>{"g1", "g2", "g3"}));

  Registry::NewGroup orphan;
  orphan.name = "x";
  orphan.parent = "missing";
  EXPECT_FALSE(reg_->create_group(orphan));

  auto parent_delete = reg_->delete_group("g6", std::nullopt, false);
  ASSERT_FALSE(parent_delete);
  EXPECT_EQ(fault(parent_delete.error()), Fault::kInvalidRequest) << "g6 has a child";
  EXPECT_TRUE(reg_->delete_group("g7", std::nullopt, false));
  EXPECT_TRUE(reg_->delete_group("g6", std::nullopt, false));
  EXPECT_EQ(reg_->children_of("g1", true).size(), 4u);
  EXPECT_EQ(reg_->children_of("g1", false).size(), 1u);
}

TEST_F(RegistryTest, RecursiveListingAndStaticGroupLimit) {
  group("root");
  group("mid", "root");
  group("leaf", "mid");
  thing("a");
  thing("b");
  thing("c");
  ASSERT_TRUE(reg_->add_to_group("root", "a"));
  ASSERT_TRUE(reg_->add_to_group("mid", "b"));
  ASSERT_TRUE(reg_->add_to_group("leaf", "c"));
  EXPECT_EQ(reg_->things_in_group("root", false), (std::vector<std::string>{"a"}));
  EXPECT_EQ(reg_->things_in_group("root", true), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(reg_->things_in_group("mid", true), (std::vector<std::string>{"b", "c"}));

  for (int i = 0; i < 10; ++i) group("s" + std::to_string(i));
  thing("many");
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(reg_->add_to_group("s" + std::to_string(i), "many"));
  auto over = reg_->add_to_group("root", "many");
  ASSERT_FALSE(over);
  EXPECT_EQ(fault(over.error()), Fault::kInvalidRequest);

  // UpdateThingGroupsForThing is all or nothing.
  auto partial = reg_->update_groups_for_thing("a", {"mid", "nope"}, {});
  ASSERT_FALSE(partial);
  EXPECT_EQ(fault(partial.error()), Fault::kNotFound);
  EXPECT_EQ(reg_->groups_of("a"), (std::vector<std::string>{"root"}));
  ASSERT_TRUE(reg_->update_groups_for_thing("a", {"mid"}, {"root"}));
  EXPECT_EQ(reg_->groups_of("a"), (std::vector<std::string>{"mid"}));
}

TEST_F(RegistryTest, DynamicGroupFollowsAttributeChanges) {
  thing("t1", {{"model", "x1"}});
  thing("t2", {{"model", "x2"}});
  dynamic("x1s", "attributes.model:x1");
  EXPECT_EQ(reg_->things_in_group("x1s", false), (std::vector<std::string>{"t1"}));
  auto g = reg_->find_group("x1s");
  ASSERT_TRUE(g);
  EXPECT_TRUE(g->dynamic);

  std::vector<Change> seen;
  reg_->on_change([&](const Change& c) {
    if (c.kind == Change::kGroupMembership) seen.push_back(c);
  });
  Registry::ThingUpdate u;
  u.attributes = AttributePayload{{{"model", "x1"}}, true};
  ASSERT_TRUE(reg_->update_thing("t2", u));
  EXPECT_EQ(reg_->things_in_group("x1s", false), (std::vector<std::string>{"t1", "t2"}));
  u.attributes = AttributePayload{{{"model", ""}}, true};
  ASSERT_TRUE(reg_->update_thing("t1", u));
  EXPECT_EQ(reg_->things_in_group("x1s", false), (std::vector<std::string>{"t2"}));
  thing("t3", {{"model", "X1"}});  // values match case-insensitively
  EXPECT_EQ(reg_->groups_of("t3"), (std::vector<std::string>{"x1s"}));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].thing_name, "t2");
  EXPECT_EQ(seen[1].thing_name, "t1");
  EXPECT_EQ(seen[2].thing_name, "t3");

  // Manual membership changes are refused; updating the query re-evaluates everything.
  auto manual = reg_->add_to_group("x1s", "t1");
  ASSERT_FALSE(manual);
  EXPECT_EQ(fault(manual.error()), Fault::kInvalidRequest);
  Registry::GroupUpdate gu;
  gu.query_string = "thingName:t1";
  ASSERT_TRUE(reg_->update_group("x1s", gu, true));
  EXPECT_EQ(reg_->things_in_group("x1s", false), (std::vector<std::string>{"t1"}));
  gu.query_string = "attributes.model:(";
  auto bad = reg_->update_group("x1s", gu, true);
  ASSERT_FALSE(bad);
  EXPECT_EQ(fault(bad.error()), Fault::kInvalidQuery);
}

TEST_F(RegistryTest, DynamicGroupFollowsStaticGroupsAndConnectivity) {
  thing("dev");
  group("floor");
  dynamic("online", "connectivity.connected:true");
  dynamic("floor-members", "thingGroupNames:floor");
  EXPECT_TRUE(reg_->groups_of("dev") == std::vector<std::string>{});
  ASSERT_TRUE(reg_->add_to_group("floor", "dev"));
  EXPECT_EQ(reg_->groups_of("dev"), (std::vector<std::string>{"floor", "floor-members"}));

  reg_->connected("dev", "certid", "10.0.0.1", 1000, "s1");
  EXPECT_EQ(reg_->things_in_group("online", false), (std::vector<std::string>{"dev"}));
  // A takeover: s2 connects, then the old session's disconnect arrives.
  reg_->connected("dev", "certid", "10.0.0.2", 2000, "s2");
  reg_->disconnected("dev", "certid", "DUPLICATE_CLIENTID", false, 2001, "s1");
  EXPECT_TRUE(reg_->connectivity("dev")->connected) << "a stale disconnect leaves the newer session connected";
  EXPECT_EQ(reg_->things_in_group("online", false), (std::vector<std::string>{"dev"}));
  reg_->disconnected("dev", "certid", "CONNECTION_LOST", false, 3000, "s2");
  EXPECT_FALSE(reg_->connectivity("dev")->connected);
  EXPECT_EQ(reg_->connectivity("dev")->disconnect_reason, "CONNECTION_LOST");
  EXPECT_TRUE(reg_->things_in_group("online", false).empty());

  auto hits = reg_->search_things("connectivity.disconnectReason:CONNECTION_LOST");
  ASSERT_TRUE(hits);
  EXPECT_EQ(*hits, (std::vector<std::string>{"dev"}));
}

TEST_F(RegistryTest, ExtraFieldsReEvaluateDynamicGroups) {
  thing("t");
  dynamic("low", "shadow.reported.battery<20");
  EXPECT_TRUE(reg_->set_extra_fields("t", "shadow", json::parse(R"({"reported":{"battery":10}})")));
  EXPECT_EQ(reg_->groups_of("t"), (std::vector<std::string>{"low"}));
  EXPECT_TRUE(reg_->set_extra_fields("t", "shadow", json::value(nullptr)));
  EXPECT_TRUE(reg_->groups_of("t").empty());
  EXPECT_FALSE(reg_->set_extra_fields("nobody", "shadow", json::object{}));
}

TEST_F(RegistryTest, PresenceEventsCarryTheAwsFields) {
  auto c = reg_->connected("dev-1", "abcd", "192.0.2.7", 1573002230757, "sess-1");
  EXPECT_EQ(c.topic, "$aws/events/presence/connected/dev-1");
  auto o = json::parse(c.payload).as_object();
  EXPECT_EQ(o.at("clientId").as_string(), "dev-1");
  EXPECT_EQ(o.at("timestamp").as_int64(), 1573002230757);
  EXPECT_EQ(o.at("eventType").as_string(), "connected");
  EXPECT_EQ(o.at("sessionIdentifier").as_string(), "sess-1");
  EXPECT_EQ(o.at("principalIdentifier").as_string(), "abcd");
  EXPECT_EQ(o.at("ipAddress").as_string(), "192.0.2.7");
  EXPECT_EQ(o.at("versionNumber").as_int64(), 0);
  auto d = reg_->disconnected("dev-1", "abcd", "CLIENT_INITIATED_DISCONNECT", true, 1573002240000, "sess-1");
  EXPECT_EQ(d.topic, "$aws/events/presence/disconnected/dev-1");
  o = json::parse(d.payload).as_object();
  EXPECT_EQ(o.at("eventType").as_string(), "disconnected");
  EXPECT_EQ(o.at("clientInitiatedDisconnect").as_bool(), true);
  EXPECT_EQ(o.at("disconnectReason").as_string(), "CLIENT_INITIATED_DISCONNECT");
  EXPECT_EQ(o.at("versionNumber").as_int64(), 1);
  EXPECT_FALSE(o.contains("ipAddress"));
}

TEST_F(RegistryTest, ThingForConnectionExclusiveAndNonExclusive) {
  thing("a");
  thing("b");
  thing("x");
  ASSERT_TRUE(reg_->attach_principal("a", kCertA, false));
  ASSERT_TRUE(reg_->attach_principal("b", kCertA, false));
  ASSERT_EQ(reg_->thing_for_connection(kCertA, "a")->name, "a");
  ASSERT_EQ(reg_->thing_for_connection(kCertA, "b")->name, "b");
  EXPECT_FALSE(reg_->thing_for_connection(kCertA, "x")) << "x is not attached to cert A";
  EXPECT_FALSE(reg_->thing_for_connection(kCertA, "other"));

  ASSERT_TRUE(reg_->attach_principal("x", kCertB, true));
  ASSERT_TRUE(reg_->thing_for_connection(kCertB, "anything"));
  EXPECT_EQ(reg_->thing_for_connection(kCertB, "anything")->name, "x") << "exclusive: any client id";
  auto second = reg_->attach_principal("a", kCertB, false);
  ASSERT_FALSE(second);
  EXPECT_EQ(fault(second.error()), Fault::kInvalidRequest) << "B is exclusively attached to x";
  auto exclusive = reg_->attach_principal("x", kCertA, true);
  ASSERT_FALSE(exclusive);
  EXPECT_EQ(fault(exclusive.error()), Fault::kInvalidRequest) << "A is attached to other things";

  EXPECT_TRUE(reg_->is_attached(kCertA, "a"));
  EXPECT_TRUE(reg_->has_things(kCertB));
  EXPECT_EQ(reg_->things_of_principal(kCertA), (std::vector<std::string>{"a", "b"}));
  auto busy = reg_->delete_thing("a", std::nullopt);
  ASSERT_FALSE(busy);
  EXPECT_EQ(fault(busy.error()), Fault::kInvalidRequest) << "principals attached";

  EXPECT_FALSE(reg_->attach_principal("a", "not-an-arn", false));
  EXPECT_FALSE(reg_->attach_principal("a", "arn:aws:iot:us-east-1:000000000000:cert/short", false));
  reg_->set_principal_query([](std::string_view p) { return p == kCertA; });
  auto unknown = reg_->attach_principal("b", kCertB, false);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(fault(unknown.error()), Fault::kNotFound);
}

TEST_F(RegistryTest, ObserversRunAfterCommit) {
  thing("a");
  ASSERT_TRUE(reg_->attach_principal("a", kCertA, false));
  bool attached_during_callback = true;
  int calls = 0;
  reg_->on_change([&](const Change& c) {
    if (c.kind != Change::kPrincipalDetached) return;
    ++calls;
    EXPECT_EQ(c.thing_name, "a");
    EXPECT_EQ(c.principal_arn, kCertA);
    attached_during_callback = reg_->is_attached(kCertA, "a");  // reads are allowed in observers
  });
  ASSERT_TRUE(reg_->detach_principal("a", kCertA));
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(attached_during_callback);
  ASSERT_TRUE(reg_->detach_principal("a", kCertA)) << "detaching again is a no-op";
  EXPECT_EQ(calls, 1);
}

TEST_F(RegistryTest, EverythingButConnectivitySurvivesReopen) {
  ASSERT_TRUE(reg_->create_type("sensor", "d", {"model"}));
  ASSERT_TRUE(reg_->deprecate_type("sensor", false));
  ASSERT_TRUE(reg_->deprecate_type("sensor", true));
  thing("t", {{"model", "x1"}}, "sensor");
  group("root");
  group("child", "root");
  dynamic("x1s", "attributes.model:x1");
  ASSERT_TRUE(reg_->add_to_group("child", "t"));
  ASSERT_TRUE(reg_->attach_principal("t", kCertA, true));
  ASSERT_TRUE(reg_->set_indexing_configuration(json::parse(
                                                   R"({"thingIndexingConfiguration":{"thingIndexingMode":"REGISTRY_AND_SHADOW"}})")
                                                   .as_object()));
  reg_->connected("t", "p", "ip", 1, "s");
  const std::string id = reg_->find_thing("t")->id;

  reopen();
  auto t = reg_->find_thing("t");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->id, id);
  EXPECT_EQ(t->type_name, "sensor");
  EXPECT_EQ(t->attributes.at("model"), "x1");
  EXPECT_EQ(reg_->find_type("sensor")->searchable_attributes, (std::vector<std::string>{"model"}));
  EXPECT_FALSE(reg_->find_type("sensor")->deprecated);
  EXPECT_EQ(reg_->find_group("child")->parent, "root");
  EXPECT_EQ(reg_->groups_of("t"), (std::vector<std::string>{"child", "x1s"}));
  EXPECT_EQ(reg_->thing_for_connection(kCertA, "whatever")->name, "t");
  EXPECT_EQ(reg_->indexing_configuration().at("thingIndexingConfiguration").at("thingIndexingMode").as_string(),
            "REGISTRY_AND_SHADOW");
  EXPECT_FALSE(reg_->connectivity("t")) << "connectivity is not persisted: a restart means disconnected";
  auto hits = reg_->search_things("connectivity.connected:false");
  ASSERT_TRUE(hits);
  EXPECT_EQ(*hits, (std::vector<std::string>{"t"}));
}

TEST_F(RegistryTest, SearchIndexQueries) {
  thing("pump-1", {{"model", "x1"}, {"fw", "12"}});
  thing("pump-2", {{"model", "x2"}, {"fw", "9"}});
  thing("valve-1", {{"model", "x1"}});
  group("plant");
  ASSERT_TRUE(reg_->add_to_group("plant", "valve-1"));
  auto r = reg_->search_things("attributes.model:x1 AND thingName:pump*");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<std::string>{"pump-1"}));
  r = reg_->search_things("attributes.fw>10");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<std::string>{"pump-1"}));
  r = reg_->search_things("thingGroupNames:plant");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<std::string>{"valve-1"}));
  auto bad = reg_->search_things("thingName:(");
  ASSERT_FALSE(bad);
  EXPECT_EQ(fault(bad.error()), Fault::kInvalidQuery);
  auto doc = reg_->thing_document("valve-1");
  EXPECT_EQ(doc.at("thingGroupNames").as_array().size(), 1u);
  EXPECT_EQ(doc.at("connectivity").at("connected").as_bool(), false);
  auto groups = reg_->search_groups("thingGroupName:pla*");
  ASSERT_TRUE(groups);
  EXPECT_EQ(*groups, (std::vector<std::string>{"plant"}));
}

TEST_F(RegistryTest, IndexingConfigurationIsValidated) {
  auto bad = reg_->set_indexing_configuration(
      json::parse(R"({"thingIndexingConfiguration":{"thingIndexingMode":"SOMETIMES"}})").as_object());
  ASSERT_FALSE(bad);
  EXPECT_EQ(fault(bad.error()), Fault::kInvalidRequest);
  EXPECT_EQ(reg_->indexing_configuration().at("thingIndexingConfiguration").at("thingIndexingMode").as_string(),
            "REGISTRY");
}

TEST_F(RegistryTest, ConcurrentReadersDuringWrites) {
  thing("t");
  ASSERT_TRUE(reg_->attach_principal("t", kCertA, false));
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&] {
      std::int64_t last = 0;
      while (!stop) {
        auto t = reg_->thing_for_connection(kCertA, "t");
        if (!t || t->version < last) ++failures;  // snapshots only move forward
        if (t) last = t->version;
        (void)reg_->groups_of("t");
        (void)reg_->search_things("attributes.n:*");
      }
    });
  }
  std::thread conn([&] {
    for (int i = 0; i < 200 && !stop; ++i) {
      reg_->connected("t", "p", "ip", i, "s" + std::to_string(i));
      reg_->disconnected("t", "p", "CONNECTION_LOST", false, i, "s" + std::to_string(i));
    }
  });
  dynamic("odd", "attributes.n:1 OR connectivity.connected:true");
  for (int i = 0; i < 100; ++i) {
    Registry::ThingUpdate u;
    u.attributes = AttributePayload{{{"n", std::to_string(i % 2)}}, true};
    ASSERT_TRUE(reg_->update_thing("t", u));
  }
  stop = true;
  conn.join();
  for (auto& r : readers) r.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(reg_->find_thing("t")->version, 101);
}

// ---- handler-level checks (the error shapes the AWS SDKs read) ----

class OperationsTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    auto t = control::Tags::open(db_.path());
    ASSERT_TRUE(t) << t.error();
    tags_ = std::move(*t);
    reg_->add_operations(router_, *tags_);
  }
  control::Reply call(const std::string& method, const std::string& path, const std::string& body = "",
                      control::Fields query = {}, control::Fields headers = {}) {
    auto m = router_.match(method, path);
    EXPECT_TRUE(m.route) << method << " " << path;
    if (!m.route) return {};
    control::Call c;
    c.operation = m.route->operation;
    c.method = method;
    c.labels = m.labels;
    c.query = std::move(query);
    c.headers = std::move(headers);
    c.body = body;
    return m.route->handler(c);
  }

  control::Router router_;
  std::unique_ptr<control::Tags> tags_;
};

TEST_F(OperationsTest, VersionConflictAndAlreadyExistsShapes) {
  EXPECT_EQ(call("POST", "/things/t", R"({"attributePayload":{"attributes":{"a":"1"}}})").status, 200);
  auto r = call("POST", "/things/t", R"({"attributePayload":{"attributes":{"a":"2"}}})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.error_type, "ResourceAlreadyExistsException");
  EXPECT_EQ(r.body.at("resourceArn").as_string(), "arn:aws:iot:us-east-1:000000000000:thing/t");
  r = call("PATCH", "/things/t", R"({"expectedVersion":5,"attributePayload":{"attributes":{"a":"3"}}})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.error_type, "VersionConflictException");
  r = call("DELETE", "/things/t", "", {{"expectedVersion", "7"}});
  EXPECT_EQ(r.error_type, "VersionConflictException");
  r = call("GET", "/things/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.error_type, "ResourceNotFoundException");
  r = call("POST", "/indices/search", R"({"queryString":"thingName:("})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.error_type, "InvalidQueryException");
}

TEST_F(OperationsTest, AttachWithThingPrincipalTypeAndPaging) {
  for (const char* n : {"a", "b", "c"}) EXPECT_EQ(call("POST", std::string("/things/") + n, "{}").status, 200);
  auto r = call("PUT", "/things/a/principals", "", {{"thingPrincipalType", "EXCLUSIVE_THING"}},
                {{"x-amzn-principal", kCertA}});
  EXPECT_EQ(r.status, 200);
  r = call("PUT", "/things/b/principals", "", {}, {{"x-amzn-principal", kCertA}});
  EXPECT_EQ(r.status, 400);
  r = call("PUT", "/things/b/principals", "", {{"thingPrincipalType", "SOMETIMES"}}, {{"x-amzn-principal", kCertB}});
  EXPECT_EQ(r.status, 400);

  r = call("GET", "/things", "", {{"maxResults", "2"}});
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body.at("things").as_array().size(), 2u);
  const std::string token(r.body.at("nextToken").as_string());
  r = call("GET", "/things", "", {{"maxResults", "2"}, {"nextToken", token}});
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body.at("things").as_array().size(), 1u);
  EXPECT_EQ(r.body.at("things").at(0).at("thingName").as_string(), "c");
  EXPECT_FALSE(r.body.as_object().contains("nextToken"));
}

TEST_F(OperationsTest, TaggedGroupCreation) {
  auto r = call("POST", "/thing-groups/g", R"({"tags":[{"Key":"env","Value":"prod"}]})");
  ASSERT_EQ(r.status, 200);
  auto tags = tags_->list(std::string(r.body.at("thingGroupArn").as_string()));
  ASSERT_TRUE(tags);
  EXPECT_EQ(tags->size(), 1u);
  r = call("POST", "/thing-groups/h", R"({"tags":[{"Key":"aws:reserved","Value":"x"}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(reg_->find_group("h")) << "a failed tagging undoes the creation";
}

}  // namespace
}  // namespace tenet::registry
