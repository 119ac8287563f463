// The policy operations driven through the real control-plane Dispatcher with SigV4-signed requests.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "control/dispatcher.h"
#include "control/operations.h"
#include "control/tags.h"
#include "control/testing/temp_db.h"
#include "core/testing/fake_clock.h"
#include "policies/policies.h"
#include "sigv4/sigv4.h"

namespace tenet::policies {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr const char* kArnHead = "arn:aws:iot:eu-west-1:123456789012:";

std::string doc(std::string_view statements) {
  return R"({"Version":"2012-10-17","Statement":[)" + std::string(statements) + "]}";
}
std::string stmt(std::string_view effect, std::string_view action, std::string_view resource) {
  return R"({"Effect":")" + std::string(effect) + R"(","Action":")" + std::string(action) + R"(","Resource":")" +
         std::string(resource) + R"("})";
}
std::string body_with_doc(const std::string& d) { return json::serialize(json::object{{"policyDocument", d}}); }

// Percent-encodes everything but unreserved characters (what botocore does for a URI label).
std::string encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string S(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : json::serialize(v); }

class OperationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k = control::AccessKeys::open(db.path(), std::string(32, 'k'), clock);
    ASSERT_TRUE(k) << k.error();
    keys = std::move(*k);
    ASSERT_TRUE(keys->ensure_bootstrap("TNTAADMIN", "admin-secret"));
    auto t = control::Tags::open(db.path());
    ASSERT_TRUE(t) << t.error();
    tags = std::move(*t);
    auto s = PolicyStore::open(db.path(), partition, clock);
    ASSERT_TRUE(s) << s.error();
    store = std::move(*s);
    store->add_operations(router, *tags);
    control::add_tag_operations(router, *tags);
    dispatcher = std::make_unique<control::Dispatcher>(router, *keys, control::AuthOptions{"eu-west-1", 300s}, clock,
                                                       [](const json::object&) {});
  }

  control::HttpResponse call(std::string method, std::string target, std::string body = {},
                             std::vector<std::pair<std::string, std::string>> extra = {}) {
    control::HttpRequest r{std::move(method), std::move(target), {{"Host", "127.0.0.1:9443"}}, std::move(body)};
    if (!r.body.empty()) r.headers.emplace_back("Content-Type", "application/json");
    for (auto& h : extra) r.headers.push_back(std::move(h));
    std::vector<sigv4::Header> hs;
    for (const auto& [k, v] : r.headers) hs.push_back({k, v});
    auto added = sigv4::sign(r.method, r.target, hs, r.body, {"TNTAADMIN", "admin-secret", ""}, "eu-west-1",
                             "execute-api", clock.wall());
    EXPECT_TRUE(added);
    for (auto& h : *added) r.headers.push_back(std::move(h));
    return dispatcher->handle(r, "127.0.0.1:5000");
  }
  static json::object body(const control::HttpResponse& r) {
    if (r.body.empty()) return {};
    return json::parse(r.body).as_object();
  }
  static std::string error_type(const control::HttpResponse& r) {
    for (const auto& [k, v] : r.headers) {
      if (k == "x-amzn-ErrorType") return v;
    }
    return {};
  }
  json::object ok(std::string method, std::string target, std::string b = {},
                  std::vector<std::pair<std::string, std::string>> extra = {}) {
    auto r = call(std::move(method), target, std::move(b), std::move(extra));
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    return body(r);
  }
  void create(const std::string& name, const std::string& d) { ok("POST", "/policies/" + name, body_with_doc(d)); }
  void attach(const std::string& name, const std::string& target) {
    ok("PUT", "/target-policies/" + name, json::serialize(json::object{{"target", target}}));
  }
  std::string cert(std::string_view id) const { return partition.arn("cert", id); }
  std::string group(std::string_view g) const { return partition.arn("thinggroup", g); }
  static std::vector<std::string> names(const json::array& policies) {
    std::vector<std::string> out;
    for (const auto& p : policies) out.emplace_back(p.at("policyName").as_string());
    return out;
  }

  control::testing::TempDb db;
  core::testing::FakeClock clock;
  control::Partition partition{"eu-west-1", "123456789012"};
  std::unique_ptr<control::AccessKeys> keys;
  std::unique_ptr<control::Tags> tags;
  std::unique_ptr<PolicyStore> store;
  control::Router router;
  std::unique_ptr<control::Dispatcher> dispatcher;
};

TEST_F(OperationsTest, CreateGetAndErrors) {
  const std::string d = doc(stmt("Allow", "iot:Connect", "*"));
  auto created = ok("POST", "/policies/dev", json::serialize(json::object{
                                                 {"policyDocument", d},
                                                 {"tags", json::array{json::object{{"Key", "team"}, {"Value", "a"}}}}}));
  EXPECT_EQ(created.at("policyName"), "dev");
  EXPECT_EQ(S(created.at("policyArn")), std::string(kArnHead) + "policy/dev");
  EXPECT_EQ(created.at("policyVersionId"), "1");
  EXPECT_EQ(S(created.at("policyDocument")), d);
  auto got = ok("GET", "/policies/dev");
  EXPECT_EQ(got.at("defaultVersionId"), "1");
  EXPECT_EQ(S(got.at("policyDocument")), d);
  EXPECT_DOUBLE_EQ(got.at("creationDate").to_number<double>(), 1'795'600'000.0);
  EXPECT_EQ(got.at("generationId").as_string().size(), 64u);
  // Tags were applied and the policy ARN is taggable.
  auto tagged = ok("GET", "/tags?resourceArn=" + encode(std::string(kArnHead) + "policy/dev"));
  ASSERT_EQ(tagged.at("tags").as_array().size(), 1u);

  auto dup = call("POST", "/policies/dev", body_with_doc(d));
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(error_type(dup), "ResourceAlreadyExistsException");
  auto missing = call("GET", "/policies/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(error_type(missing), "ResourceNotFoundException");
  auto malformed = call("POST", "/policies/bad", body_with_doc(doc(stmt("Allow", "iot:Connect", "*") + "," +
                                                                    stmt("Allow", "iot:Pubish", "*"))));
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(error_type(malformed), "MalformedPolicyException");
  EXPECT_NE(malformed.body.find("Statement[1]"), std::string::npos) << malformed.body;
  auto bad_name = call("POST", "/policies/a%20b", body_with_doc(d));
  EXPECT_EQ(error_type(bad_name), "InvalidRequestException");
  auto no_doc = call("POST", "/policies/x", "{}");
  EXPECT_EQ(error_type(no_doc), "InvalidRequestException");
  // A bad tag leaves no policy behind.
  auto bad_tag = call("POST", "/policies/tagged",
                      json::serialize(json::object{{"policyDocument", d},
                                                   {"tags", json::array{json::object{{"Key", "aws:x"}, {"Value", "v"}}}}}));
  EXPECT_EQ(bad_tag.status, 400);
  EXPECT_EQ(call("GET", "/policies/tagged").status, 404);
}

TEST_F(OperationsTest, ListPoliciesPages) {
  for (const char* n : {"c", "a", "e", "b", "d"}) create(n, doc(stmt("Allow", "iot:Connect", "*")));
  auto p1 = ok("GET", "/policies?pageSize=2");
  EXPECT_EQ(names(p1.at("policies").as_array()), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(S(p1.at("policies").as_array()[0].at("policyArn")), std::string(kArnHead) + "policy/a");
  const std::string m1(p1.at("nextMarker").as_string());
  auto p2 = ok("GET", "/policies?pageSize=2&marker=" + m1);
  EXPECT_EQ(names(p2.at("policies").as_array()), (std::vector<std::string>{"c", "d"}));
  auto p3 = ok("GET", "/policies?pageSize=2&marker=" + std::string(p2.at("nextMarker").as_string()));
  EXPECT_EQ(names(p3.at("policies").as_array()), (std::vector<std::string>{"e"}));
  EXPECT_FALSE(p3.contains("nextMarker"));
  auto desc = ok("GET", "/policies?pageSize=3&isAscendingOrder=false");
  EXPECT_EQ(names(desc.at("policies").as_array()), (std::vector<std::string>{"e", "d", "c"}));
  auto desc2 = ok("GET", "/policies?pageSize=3&isAscendingOrder=false&marker=" + std::string(desc.at("nextMarker").as_string()));
  EXPECT_EQ(names(desc2.at("policies").as_array()), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(call("GET", "/policies?pageSize=0").status, 400);
  EXPECT_EQ(call("GET", "/policies?marker=zzzz").status, 400);
}

TEST_F(OperationsTest, VersionOperations) {
  create("p", doc(stmt("Allow", "iot:Connect", "*")));
  const std::string d2 = doc(stmt("Allow", "iot:Publish", "*"));
  auto v2 = ok("POST", "/policies/p/version", body_with_doc(d2));
  EXPECT_EQ(v2.at("policyVersionId"), "2");
  EXPECT_EQ(v2.at("isDefaultVersion"), false);
  auto v3 = ok("POST", "/policies/p/version?setAsDefault=true", body_with_doc(d2));
  EXPECT_EQ(v3.at("policyVersionId"), "3");
  EXPECT_EQ(v3.at("isDefaultVersion"), true);
  EXPECT_EQ(ok("GET", "/policies/p").at("defaultVersionId"), "3");
  auto gv = ok("GET", "/policies/p/version/2");
  EXPECT_EQ(S(gv.at("policyDocument")), d2);
  EXPECT_EQ(gv.at("isDefaultVersion"), false);
  EXPECT_EQ(gv.at("policyName"), "p");
  auto list = ok("GET", "/policies/p/version");
  ASSERT_EQ(list.at("policyVersions").as_array().size(), 3u);
  EXPECT_EQ(list.at("policyVersions").as_array()[2].at("isDefaultVersion"), true);
  ok("PATCH", "/policies/p/version/1");
  EXPECT_EQ(ok("GET", "/policies/p").at("defaultVersionId"), "1");
  auto del_default = call("DELETE", "/policies/p/version/1");
  EXPECT_EQ(del_default.status, 409);
  EXPECT_EQ(error_type(del_default), "DeleteConflictException");
  EXPECT_EQ(call("GET", "/policies/p/version/9").status, 404);
  EXPECT_EQ(call("PATCH", "/policies/p/version/9").status, 404);
  ok("POST", "/policies/p/version", body_with_doc(d2));
  ok("POST", "/policies/p/version", body_with_doc(d2));
  auto sixth = call("POST", "/policies/p/version", body_with_doc(d2));
  EXPECT_EQ(sixth.status, 409);
  EXPECT_EQ(error_type(sixth), "VersionsLimitExceededException");
  auto del = call("DELETE", "/policies/p");
  EXPECT_EQ(error_type(del), "DeleteConflictException");
  for (const char* v : {"2", "3", "4", "5"}) ok("DELETE", std::string("/policies/p/version/") + v);
  ok("DELETE", "/policies/p");
  EXPECT_EQ(call("GET", "/policies/p").status, 404);
}

TEST_F(OperationsTest, AttachDetachAndListings) {
  create("p1", doc(stmt("Allow", "iot:Connect", "*")));
  create("p2", doc(stmt("Allow", "iot:Connect", "*")));
  create("p3", doc(stmt("Allow", "iot:Connect", "*")));
  attach("p1", cert("c1"));
  attach("p2", cert("c1"));
  attach("p1", group("child"));
  attach("p3", group("parent"));
  store->set_group_ancestors([](std::string_view g) {
    return g == "child" ? std::vector<std::string>{"parent"} : std::vector<std::string>{};
  });
  auto bad = call("PUT", "/target-policies/p1", R"({"target":"arn:aws:iot:eu-west-1:123456789012:thing/t"})");
  EXPECT_EQ(error_type(bad), "InvalidRequestException");
  EXPECT_EQ(error_type(call("PUT", "/target-policies/nope", json::serialize(json::object{{"target", cert("c1")}}))),
            "ResourceNotFoundException");

  auto attached = ok("POST", "/attached-policies/" + encode(cert("c1")));
  EXPECT_EQ(names(attached.at("policies").as_array()), (std::vector<std::string>{"p1", "p2"}));
  auto paged = ok("POST", "/attached-policies/" + encode(cert("c1")) + "?pageSize=1");
  EXPECT_EQ(names(paged.at("policies").as_array()), (std::vector<std::string>{"p1"}));
  auto paged2 = ok("POST", "/attached-policies/" + encode(cert("c1")) +
                               "?pageSize=1&marker=" + std::string(paged.at("nextMarker").as_string()));
  EXPECT_EQ(names(paged2.at("policies").as_array()), (std::vector<std::string>{"p2"}));
  EXPECT_FALSE(paged2.contains("nextMarker"));
  auto flat = ok("POST", "/attached-policies/" + encode(group("child")));
  EXPECT_EQ(names(flat.at("policies").as_array()), (std::vector<std::string>{"p1"}));
  auto rec = ok("POST", "/attached-policies/" + encode(group("child")) + "?recursive=true");
  EXPECT_EQ(names(rec.at("policies").as_array()), (std::vector<std::string>{"p1", "p3"}));

  auto targets = ok("POST", "/policy-targets/p1");
  ASSERT_EQ(targets.at("targets").as_array().size(), 2u);
  EXPECT_EQ(S(targets.at("targets").as_array()[0]), cert("c1"));
  EXPECT_EQ(S(targets.at("targets").as_array()[1]), group("child"));
  EXPECT_EQ(call("POST", "/policy-targets/nope").status, 404);

  ok("POST", "/target-policies/p1", json::serialize(json::object{{"target", cert("c1")}}));
  EXPECT_EQ(names(ok("POST", "/attached-policies/" + encode(cert("c1"))).at("policies").as_array()),
            (std::vector<std::string>{"p2"}));

  // The deprecated principal operations share the same attachments.
  ok("PUT", "/principal-policies/p3", {}, {{"x-amzn-iot-principal", cert("c2")}});
  auto pp = ok("GET", "/principal-policies", {}, {{"x-amzn-iot-principal", cert("c2")}});
  EXPECT_EQ(names(pp.at("policies").as_array()), (std::vector<std::string>{"p3"}));
  auto principals = ok("GET", "/policy-principals", {}, {{"x-amzn-iot-policy", "p3"}});
  ASSERT_EQ(principals.at("principals").as_array().size(), 1u);  // certificates only, not the group
  EXPECT_EQ(S(principals.at("principals").as_array()[0]), cert("c2"));
  ok("DELETE", "/principal-policies/p3", {}, {{"x-amzn-iot-principal", cert("c2")}});
  EXPECT_TRUE(ok("GET", "/principal-policies", {}, {{"x-amzn-iot-principal", cert("c2")}}).at("policies").as_array().empty());

  // The target query makes unknown targets 404.
  store->set_target_query([this](std::string_view arn) { return arn != cert("ghost"); });
  EXPECT_EQ(call("POST", "/attached-policies/" + encode(cert("ghost"))).status, 404);
}

TEST_F(OperationsTest, AttachLimitIsLimitExceeded) {
  for (int i = 0; i < 11; ++i) create("p" + std::to_string(i), doc(stmt("Allow", "iot:Connect", "*")));
  for (int i = 0; i < 10; ++i) attach("p" + std::to_string(i), cert("c"));
  auto r = call("PUT", "/target-policies/p10", json::serialize(json::object{{"target", cert("c")}}));
  EXPECT_EQ(r.status, 410);
  EXPECT_EQ(error_type(r), "LimitExceededException");
}

TEST_F(OperationsTest, EffectivePolicies) {
  create("cert-pol", doc(stmt("Allow", "iot:Connect", "*")));
  create("group-pol", doc(stmt("Allow", "iot:Publish", "*")));
  create("parent-pol", doc(stmt("Allow", "iot:Subscribe", "*")));
  create("other", doc(stmt("Allow", "iot:Receive", "*")));
  attach("cert-pol", cert("c1"));
  attach("group-pol", group("g"));
  attach("parent-pol", group("parent"));
  store->set_thing_groups([](std::string_view thing) {
    return thing == "dev-1" ? std::vector<std::string>{"g", "parent"} : std::vector<std::string>{};
  });
  auto eff = ok("POST", "/effective-policies?thingName=dev-1", json::serialize(json::object{{"principal", cert("c1")}}));
  const auto& list = eff.at("effectivePolicies").as_array();
  EXPECT_EQ(names(list), (std::vector<std::string>{"cert-pol", "group-pol", "parent-pol"}));
  EXPECT_EQ(S(list[0].at("policyDocument")), doc(stmt("Allow", "iot:Connect", "*")));
  EXPECT_EQ(S(list[0].at("policyArn")), std::string(kArnHead) + "policy/cert-pol");
  auto only_cert = ok("POST", "/effective-policies", json::serialize(json::object{{"principal", cert("c1")}}));
  EXPECT_EQ(names(only_cert.at("effectivePolicies").as_array()), (std::vector<std::string>{"cert-pol"}));
  auto bad = call("POST", "/effective-policies", json::serialize(json::object{{"principal", group("g")}}));
  EXPECT_EQ(error_type(bad), "InvalidRequestException");
}

class TestAuthorizationTest : public OperationsTest {
 protected:
  void SetUp() override {
    OperationsTest::SetUp();
    // Allows publishing to devices/<client id>/*, and everything under open/.
    create("allow-own",
           doc(stmt("Allow", "iot:Publish", std::string(kArnHead) + "topic/devices/${iot:ClientId}/*") + "," +
               stmt("Allow", "iot:Publish", std::string(kArnHead) + "topic/open/*") + "," +
               stmt("Allow", "iot:Connect", std::string(kArnHead) + "client/${iot:Connection.Thing.ThingName}")));
    create("deny-secret", doc(stmt("Deny", "iot:Publish", std::string(kArnHead) + "topic/open/secret")));
    create("allow-all", doc(stmt("Allow", "iot:*", "*")));
    attach("allow-own", cert("c1"));
    attach("deny-secret", cert("c1"));
  }
  json::object authorize(const std::string& query, json::object body) {
    return ok("POST", "/test-authorization" + query, json::serialize(body));
  }
  static json::object info(std::string_view action, std::string resource) {
    return json::object{{"actionType", action}, {"resources", json::array{json::value(resource)}}};
  }
  static std::vector<std::string> pols(const json::object& result, std::initializer_list<std::string_view> path) {
    const json::value* v = &result.at(*path.begin());
    for (auto it = path.begin() + 1; it != path.end(); ++it) v = &v->at(*it);
    return names(v->at("policies").as_array());
  }
  std::string topic(std::string_view t) const { return std::string(kArnHead) + "topic/" + std::string(t); }
};

TEST_F(TestAuthorizationTest, AllowExplicitDenyAndImplicitDeny) {
  auto res = authorize("?clientId=dev-1", json::object{{"principal", cert("c1")},
                                                       {"authInfos", json::array{
                                                                         info("PUBLISH", topic("devices/dev-1/x")),
                                                                         info("PUBLISH", topic("open/secret")),
                                                                         info("PUBLISH", topic("devices/dev-2/x")),
                                                                     }}});
  const auto& results = res.at("authResults").as_array();
  ASSERT_EQ(results.size(), 3u);
  const auto& allowed = results[0].as_object();
  EXPECT_EQ(allowed.at("authDecision"), "ALLOWED");
  EXPECT_EQ(pols(allowed, {"allowed"}), std::vector<std::string>{"allow-own"});
  EXPECT_EQ(allowed.at("authInfo").at("actionType"), "PUBLISH");

  const auto& denied = results[1].as_object();  // allowed by open/* but the Deny wins
  EXPECT_EQ(denied.at("authDecision"), "EXPLICIT_DENY");
  EXPECT_EQ(pols(denied, {"denied", "explicitDeny"}), std::vector<std::string>{"deny-secret"});

  const auto& implicit = results[2].as_object();
  EXPECT_EQ(implicit.at("authDecision"), "IMPLICIT_DENY");
  EXPECT_TRUE(pols(implicit, {"allowed"}).empty());
  EXPECT_EQ(pols(implicit, {"denied", "implicitDeny"}), (std::vector<std::string>{"allow-own", "deny-secret"}));
}

TEST_F(TestAuthorizationTest, MissingContextValuesAreReported) {
  // No thing in the default context: the ThingName variable cannot be resolved.
  auto res = authorize("?clientId=dev-1", json::object{{"principal", cert("c1")},
                                                       {"authInfos", json::array{info("CONNECT", std::string(kArnHead) + "client/dev-1")}}});
  const auto& r = res.at("authResults").as_array()[0].as_object();
  EXPECT_EQ(r.at("authDecision"), "IMPLICIT_DENY");
  bool found = false;
  for (const auto& m : r.at("missingContextValues").as_array()) found |= m.as_string() == "iot:Connection.Thing.ThingName";
  EXPECT_TRUE(found) << json::serialize(r);
  // With a context builder that knows the thing, CONNECT is allowed.
  store->set_context_builder([](std::string_view, std::string_view client_id) {
    policy::Context c;
    c.client_id = std::string(client_id);
    c.thing = policy::ThingInfo{std::string(client_id), "", {}, true};
    return c;
  });
  auto res2 = authorize("?clientId=dev-1", json::object{{"principal", cert("c1")},
                                                        {"authInfos", json::array{info("CONNECT", std::string(kArnHead) + "client/dev-1")}}});
  EXPECT_EQ(res2.at("authResults").as_array()[0].at("authDecision"), "ALLOWED");
}

TEST_F(TestAuthorizationTest, PolicyNamesToSkipAndAdd) {
  // Skipping the Deny turns the explicit deny into an allow.
  auto skip = authorize("?clientId=dev-1", json::object{{"principal", cert("c1")},
                                                        {"policyNamesToSkip", json::array{"deny-secret"}},
                                                        {"authInfos", json::array{info("PUBLISH", topic("open/secret"))}}});
  EXPECT_EQ(skip.at("authResults").as_array()[0].at("authDecision"), "ALLOWED");
  // Adding allow-all turns the implicit deny into an allow.
  auto add = authorize("?clientId=dev-1", json::object{{"principal", cert("c1")},
                                                       {"policyNamesToAdd", json::array{"allow-all"}},
                                                       {"authInfos", json::array{info("PUBLISH", topic("devices/dev-2/x"))}}});
  const auto& r = add.at("authResults").as_array()[0].as_object();
  EXPECT_EQ(r.at("authDecision"), "ALLOWED");
  EXPECT_EQ(pols(r, {"allowed"}), std::vector<std::string>{"allow-all"});
  // Without a principal only the added policies count.
  auto bare = authorize("", json::object{{"policyNamesToAdd", json::array{"deny-secret"}},
                                          {"authInfos", json::array{info("PUBLISH", topic("open/secret"))}}});
  EXPECT_EQ(bare.at("authResults").as_array()[0].at("authDecision"), "EXPLICIT_DENY");
  // Unknown policy to add, bad action type, missing authInfos.
  auto unknown = call("POST", "/test-authorization",
                      json::serialize(json::object{{"policyNamesToAdd", json::array{"nope"}},
                                                   {"authInfos", json::array{info("PUBLISH", topic("a"))}}}));
  EXPECT_EQ(unknown.status, 404);
  auto bad_action = call("POST", "/test-authorization",
                         json::serialize(json::object{{"authInfos", json::array{info("FLY", topic("a"))}}}));
  EXPECT_EQ(error_type(bad_action), "InvalidRequestException");
  EXPECT_EQ(error_type(call("POST", "/test-authorization", "{}")), "InvalidRequestException");
}

TEST_F(TestAuthorizationTest, ThingGroupPoliciesApplyThroughTheContextThing) {
  create("group-allow", doc(stmt("Allow", "iot:Subscribe", std::string(kArnHead) + "topicfilter/fleet/#")));
  attach("group-allow", group("fleet"));
  store->set_thing_groups([](std::string_view thing) {
    return thing == "dev-1" ? std::vector<std::string>{"fleet"} : std::vector<std::string>{};
  });
  store->set_context_builder([](std::string_view, std::string_view client_id) {
    policy::Context c;
    c.client_id = std::string(client_id);
    c.thing = policy::ThingInfo{std::string(client_id), "", {}, true};
    return c;
  });
  auto res = authorize("?clientId=dev-1",
                       json::object{{"principal", cert("c1")},
                                    {"authInfos", json::array{info("SUBSCRIBE", std::string(kArnHead) + "topicfilter/fleet/#")}}});
  EXPECT_EQ(res.at("authResults").as_array()[0].at("authDecision"), "ALLOWED");
  auto other = authorize("?clientId=dev-2",
                         json::object{{"principal", cert("c1")},
                                      {"authInfos", json::array{info("SUBSCRIBE", std::string(kArnHead) + "topicfilter/fleet/#")}}});
  EXPECT_EQ(other.at("authResults").as_array()[0].at("authDecision"), "IMPLICIT_DENY");
}

}  // namespace
}  // namespace tenet::policies
