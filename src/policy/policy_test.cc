// Table-driven evaluation tests: {policies, connection, request} -> {effect, deciding statement}.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "policy/engine.h"
#include "policy/policy.h"
#include "policy/testing/alloc_counter.h"

namespace tenet::policy {
namespace {

using std::chrono::system_clock;

const Scope kScope{"aws", "us-east-1", "123456789012"};
#define ARN "arn:aws:iot:us-east-1:123456789012:"

std::shared_ptr<const Policy> must_compile(std::string_view doc, std::string name, std::string version = "1") {
  CompileOptions o;
  o.scope = kScope;
  o.policy_name = std::move(name);
  o.version_id = std::move(version);
  o.max_document_chars = 100000;  // the 2048 limit has its own test (compile_test.cc)
  auto r = compile(doc, o);
  EXPECT_TRUE(r) << r.error() << "\n" << doc;
  return r ? *r : nullptr;
}

std::string doc(std::string statements) { return R"({"Version":"2012-10-17","Statement":[)" + statements + "]}"; }

Context device() {
  Context c;
  c.client_id = "dev-1";
  c.source_ip = "203.0.113.7";
  c.thing = ThingInfo{"dev-1", "sensor", {{"site", "plant-a"}}, true};
  CertificateInfo cert;
  cert.subject = {{"CommonName", "dev-1"}, {"Organization", "Acme"}, {"OrganizationalUnit", "ops"},
                  {"OrganizationalUnit", "lab"}};
  cert.issuer = {{"CommonName", "Acme CA"}};
  cert.serial_number = "0A1B2C";
  cert.subject_alternative_names.dns_name = {"dev-1.example.com"};
  c.certificate = cert;
  return c;
}

Context with(Context c, void (*f)(Context&)) {
  f(c);
  return c;
}

const auto kNow = system_clock::time_point(std::chrono::seconds(1717243200));  // 2024-06-01T12:00:00Z

struct Case {
  std::string name;
  std::vector<std::string> docs;
  Context ctx;
  ActionId action;
  ResourceType type;
  std::string resource;
  Effect expected;
  int policy = -1;  // deciding policy index (-1: none)
  int statement = -1;
  int report_policy = -1;  // report-only deny that matched (-1: none)
  int report_statement = -1;
  system_clock::time_point now = kNow;
};

const std::string kRestricted = doc(R"(
  {"Effect":"Allow","Action":"iot:Subscribe","Resource":")" ARN R"(topicfilter/a/*"},
  {"Effect":"Deny","Action":"iot:Subscribe","Resource":")" ARN R"(topicfilter/a/restricted/*"},
  {"Effect":"Allow","Action":"iot:Receive","NotResource":")" ARN R"(topic/a/restricted/*"})");

const std::string kClientScoped = doc(R"(
  {"Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/${iot:ClientId}"},
  {"Effect":"Allow","Action":"iot:Subscribe","Resource":")" ARN R"(topicfilter/${iot:ClientId}/*"})");

const std::string kThingScoped = doc(R"(
  {"Effect":"Allow","Action":"iot:Publish","Resource":")" ARN R"(topic/things/${iot:Connection.Thing.ThingName}/*"},
  {"Effect":"Allow","Action":"iot:Publish","Resource":")" ARN R"(topic/ou/${iot:Certificate.Subject.OrganizationalUnit.1}"},
  {"Effect":"Allow","Action":"iot:Publish","Resource":")" ARN R"(topic/ou3/${iot:Certificate.Subject.OrganizationalUnit.2}"},
  {"Effect":"Allow","Action":"iot:Publish","Resource":")" ARN R"(topic/cn/${iot:Certificate.Subject.CommonName}"},
  {"Effect":"Allow","Action":"iot:Publish","Resource":")" ARN R"(topic/site/${iot:Connection.Thing.Attributes[site]}/*"},
  {"Effect":"Allow","Action":"iot:Publish","Resource":")" ARN R"(topic/lit/${*}/${?}/${$}"})");

const std::string kNotAction = doc(R"(
  {"Effect":"Deny","NotAction":["iot:Connect","iot:Subscribe","iot:Receive"],"Resource":"*"},
  {"Effect":"Allow","Action":"iot:*","Resource":"*"})");

const std::string kConditions = doc(R"(
  {"Sid":"ifexists","Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/a",
   "Condition":{"StringEqualsIfExists":{"iot:Connection.Thing.ThingTypeName":"sensor"}}},
  {"Sid":"null","Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/b",
   "Condition":{"Null":{"iot:Connection.Thing.ThingName":"false"}}},
  {"Sid":"anyou","Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/c",
   "Condition":{"ForAnyValue:StringEquals":{"iot:Certificate.Subject.OrganizationalUnit.List":"lab"}}},
  {"Sid":"allou","Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/d",
   "Condition":{"ForAllValues:StringEquals":{"iot:Certificate.Subject.OrganizationalUnit.List":["ops","lab"]}}},
  {"Sid":"allou-narrow","Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/e",
   "Condition":{"ForAllValues:StringEquals":{"iot:Certificate.Subject.OrganizationalUnit.List":["ops"]}}},
  {"Sid":"ip","Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/f",
   "Condition":{"IpAddress":{"aws:SourceIp":["198.51.100.0/24","203.0.113.0/24"]}}},
  {"Sid":"ip6","Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/g",
   "Condition":{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}},
  {"Sid":"attached","Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/h",
   "Condition":{"Bool":{"iot:Connection.Thing.IsAttached":"true"}}},
  {"Sid":"connattr","Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/i",
   "Condition":{"ForAllValues:StringEquals":{"iot:ConnectAttributes":["PersistentConnect"]}}},
  {"Sid":"time","Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/j",
   "Condition":{"DateLessThan":{"aws:CurrentTime":"2025-01-01T00:00:00Z"},"NumericGreaterThan":{"aws:EpochTime":1700000000}}},
  {"Sid":"notequals-unresolved","Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/k",
   "Condition":{"StringNotEquals":{"iot:ClientId":"${iot:Connection.Thing.ThingName}"}}},
  {"Sid":"cn-var","Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/l",
   "Condition":{"StringEquals":{"iot:Connection.Thing.ThingName":"${iot:Certificate.Subject.CommonName}"}}},
  {"Sid":"arn","Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/m",
   "Condition":{"ArnLike":{"tenet:Target":"arn:aws:iot:*:123456789012:thing/dev-*"}}},
  {"Sid":"like","Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/n",
   "Condition":{"StringLike":{"iot:Certificate.Subject.AlternativeName.DNSName":"*.example.com"},
                "StringEqualsIgnoreCase":{"iot:Certificate.Issuer.CommonName":"ACME ca"}}},
  {"Sid":"notip","Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/o",
   "Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
  {"Sid":"numeric-attr","Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/p",
   "Condition":{"NumericLessThanEquals":{"tenet:Level":"3"}}})");

const std::string kAllowAll = doc(R"({"Effect":"Allow","Action":"iot:*","Resource":"*"})");

std::vector<Case> cases() {
  const Context dev = device();
  const Context nothing = with(device(), [](Context& c) { c.thing.reset(); });
  std::vector<Case> v;
  // a/# vs Deny on a/restricted/* (reference 1.4): the filter as sent is what is matched.
  v.push_back({"wildcard filter escapes narrower deny", {kRestricted}, dev, action::kSubscribe, ResourceType::kTopicFilter, "a/#", Effect::kAllow, 0, 0});
  v.push_back({"deny on restricted filter", {kRestricted}, dev, action::kSubscribe, ResourceType::kTopicFilter, "a/restricted/x", Effect::kExplicitDeny, 0, 1});
  v.push_back({"filter with + is literal", {kRestricted}, dev, action::kSubscribe, ResourceType::kTopicFilter, "a/+/x", Effect::kAllow, 0, 0});
  v.push_back({"receive cut by NotResource", {kRestricted}, dev, action::kReceive, ResourceType::kTopic, "a/restricted/x", Effect::kImplicitDeny});
  v.push_back({"receive elsewhere via NotResource", {kRestricted}, dev, action::kReceive, ResourceType::kTopic, "a/b", Effect::kAllow, 0, 2});
  v.push_back({"filter outside a/ not granted", {kRestricted}, dev, action::kSubscribe, ResourceType::kTopicFilter, "#", Effect::kImplicitDeny});
  v.push_back({"full ARN request matches typed pattern", {kRestricted}, dev, action::kSubscribe, ResourceType::kArn, ARN "topicfilter/a/restricted/1", Effect::kExplicitDeny, 0, 1});

  // Client ids with MQTT wildcards are substituted literally; with IAM wildcards not at all.
  const Context hash = with(device(), [](Context& c) { c.client_id = "#"; });
  const Context star = with(device(), [](Context& c) { c.client_id = "dev*"; });
  const Context plus = with(device(), [](Context& c) { c.client_id = "dev+1"; });
  v.push_back({"client id # substitutes literally", {kClientScoped}, hash, action::kSubscribe, ResourceType::kTopicFilter, "#/x", Effect::kAllow, 0, 1});
  v.push_back({"client id # is not an MQTT wildcard in policy", {kClientScoped}, hash, action::kSubscribe, ResourceType::kTopicFilter, "a/x", Effect::kImplicitDeny});
  v.push_back({"client id with * is not substituted", {kClientScoped}, star, action::kConnect, ResourceType::kClient, "dev*", Effect::kImplicitDeny});
  v.push_back({"client id with * grants nothing", {kClientScoped}, star, action::kConnect, ResourceType::kClient, "devX", Effect::kImplicitDeny});
  v.push_back({"unresolved literal text does not match", {kClientScoped}, star, action::kConnect, ResourceType::kClient, "${iot:ClientId}", Effect::kImplicitDeny});
  v.push_back({"client id with + connects", {kClientScoped}, plus, action::kConnect, ResourceType::kClient, "dev+1", Effect::kAllow, 0, 0});
  v.push_back({"own client id", {kClientScoped}, dev, action::kConnect, ResourceType::kClient, "dev-1", Effect::kAllow, 0, 0});
  v.push_back({"other client id", {kClientScoped}, dev, action::kConnect, ResourceType::kClient, "dev-2", Effect::kImplicitDeny});

  // Variables that must (not) substitute.
  v.push_back({"thing name substitutes", {kThingScoped}, dev, action::kPublish, ResourceType::kTopic, "things/dev-1/x", Effect::kAllow, 0, 0});
  v.push_back({"no thing: not substituted", {kThingScoped}, nothing, action::kPublish, ResourceType::kTopic, "things/${iot:Connection.Thing.ThingName}/x", Effect::kImplicitDeny});
  v.push_back({"second OU via .1", {kThingScoped}, dev, action::kPublish, ResourceType::kTopic, "ou/lab", Effect::kAllow, 0, 1});
  v.push_back({"missing index .2 not substituted", {kThingScoped}, dev, action::kPublish, ResourceType::kTopic, "ou3/${iot:Certificate.Subject.OrganizationalUnit.2}", Effect::kImplicitDeny});
  const Context wild_ou = with(device(), [](Context& c) { c.certificate->subject[3].second = "l*b"; });
  v.push_back({"cert value with * not substituted", {kThingScoped}, wild_ou, action::kPublish, ResourceType::kTopic, "ou/lab", Effect::kImplicitDeny});
  v.push_back({"cert value with * not substituted (literal)", {kThingScoped}, wild_ou, action::kPublish, ResourceType::kTopic, "ou/l*b", Effect::kImplicitDeny});
  const Context comma_cn = with(device(), [](Context& c) { c.certificate->subject[0].second = "a,b"; });
  v.push_back({"cert special chars are escaped", {kThingScoped}, comma_cn, action::kPublish, ResourceType::kTopic, "cn/a\\,b", Effect::kAllow, 0, 3});
  v.push_back({"cert special chars unescaped do not match", {kThingScoped}, comma_cn, action::kPublish, ResourceType::kTopic, "cn/a,b", Effect::kImplicitDeny});
  v.push_back({"thing attribute", {kThingScoped}, dev, action::kPublish, ResourceType::kTopic, "site/plant-a/t", Effect::kAllow, 0, 4});
  v.push_back({"escapes are literal", {kThingScoped}, dev, action::kPublish, ResourceType::kTopic, "lit/*/?/$", Effect::kAllow, 0, 5});
  v.push_back({"escaped * is not a wildcard", {kThingScoped}, dev, action::kPublish, ResourceType::kTopic, "lit/x/?/$", Effect::kImplicitDeny});
  v.push_back({"2008 version does not substitute",
               {R"({"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/${iot:ClientId}"}]})"},
               dev, action::kConnect, ResourceType::kClient, "dev-1", Effect::kImplicitDeny});
  v.push_back({"unresolved NotResource in Allow fails closed",
               {doc(R"({"Effect":"Allow","Action":"iot:Publish","NotResource":")" ARN R"(topic/${iot:Connection.Thing.ThingName}/*"})")},
               nothing, action::kPublish, ResourceType::kTopic, "anything", Effect::kImplicitDeny});
  v.push_back({"unresolved NotResource in Deny still denies",
               {kAllowAll, doc(R"({"Effect":"Deny","Action":"iot:Publish","NotResource":")" ARN R"(topic/${iot:Connection.Thing.ThingName}/*"})")},
               nothing, action::kPublish, ResourceType::kTopic, "anything", Effect::kExplicitDeny, 1, 0});

  // NotAction.
  v.push_back({"NotAction denies publish", {kNotAction}, dev, action::kPublish, ResourceType::kTopic, "t", Effect::kExplicitDeny, 0, 0});
  v.push_back({"NotAction leaves subscribe", {kNotAction}, dev, action::kSubscribe, ResourceType::kTopicFilter, "t", Effect::kAllow, 0, 1});
  v.push_back({"NotAction covers control plane", {kNotAction}, dev, *find_action("iot:DeleteThing"), ResourceType::kArn, ARN "thing/x", Effect::kExplicitDeny, 0, 0});

  // Conditions.
  const Context camera = with(device(), [](Context& c) { c.thing->type_name = "camera"; });
  const Context detached = with(device(), [](Context& c) { c.thing->is_attached = false; });
  const Context v6 = with(device(), [](Context& c) { c.source_ip = "2001:db8:5::1"; });
  const Context persistent = with(device(), [](Context& c) { c.persistent_connect = true; });
  const Context will = with(device(), [](Context& c) { c.last_will = true; });
  const Context target = with(device(), [](Context& c) {
    c.extra_keys["tenet:target"] = {"arn:aws:iot:us-east-1:123456789012:thing/dev-9"};
    c.extra_keys["tenet:Level"] = {"2"};
  });
  const Context cn_thing = with(device(), [](Context& c) { c.thing->name = "dev-1"; });
  auto cond = [&](const char* n, const Context& c, const char* client, Effect e, int st = -1,
                  system_clock::time_point now = kNow) {
    v.push_back({n, {kConditions}, c, action::kConnect, ResourceType::kClient, client, e, st < 0 ? -1 : 0, st, -1, -1, now});
  };
  cond("IfExists with matching type", dev, "a", Effect::kAllow, 0);
  cond("IfExists with other type", camera, "a", Effect::kImplicitDeny);
  cond("IfExists without thing", nothing, "a", Effect::kAllow, 0);
  cond("Null false with thing", dev, "b", Effect::kAllow, 1);
  cond("Null false without thing", nothing, "b", Effect::kImplicitDeny);
  cond("ForAnyValue OU list", dev, "c", Effect::kAllow, 2);
  cond("ForAllValues OU list covered", dev, "d", Effect::kAllow, 3);
  cond("ForAllValues OU list not covered", dev, "e", Effect::kImplicitDeny);
  cond("IpAddress v4 CIDR in list", dev, "f", Effect::kAllow, 5);
  cond("IpAddress v4 outside", with(device(), [](Context& c) { c.source_ip = "192.0.2.1"; }), "f", Effect::kImplicitDeny);
  cond("IpAddress v6", v6, "g", Effect::kAllow, 6);
  cond("IpAddress v6 vs v4 address", dev, "g", Effect::kImplicitDeny);
  cond("Bool IsAttached true", dev, "h", Effect::kAllow, 7);
  cond("Bool IsAttached false", detached, "h", Effect::kImplicitDeny);
  cond("ConnectAttributes default connection", dev, "i", Effect::kAllow, 8);
  cond("ConnectAttributes persistent", persistent, "i", Effect::kAllow, 8);
  cond("ConnectAttributes last will not allowed", will, "i", Effect::kImplicitDeny);
  cond("time conditions hold", dev, "j", Effect::kAllow, 9);
  cond("DateLessThan expired", dev, "j", Effect::kImplicitDeny, -1, system_clock::time_point(std::chrono::hours(24 * 365 * 56)));
  cond("NumericGreaterThan epoch too early", dev, "j", Effect::kImplicitDeny, -1, system_clock::time_point(std::chrono::seconds(1600000000)));
  cond("negated operator with unresolved value fails closed", nothing, "k", Effect::kImplicitDeny);
  cond("negated operator with resolved value", with(device(), [](Context& c) { c.client_id = "other"; }), "k", Effect::kAllow, 10);
  cond("condition value variable", cn_thing, "l", Effect::kAllow, 11);
  cond("condition value variable unresolved", nothing, "l", Effect::kImplicitDeny);
  cond("ArnLike on extra key", target, "m", Effect::kAllow, 12);
  cond("ArnLike missing key", dev, "m", Effect::kImplicitDeny);
  cond("StringLike SAN + IgnoreCase issuer", dev, "n", Effect::kAllow, 13);
  cond("NotIpAddress", dev, "o", Effect::kAllow, 14);
  cond("NotIpAddress inside block", with(device(), [](Context& c) { c.source_ip = "10.1.2.3"; }), "o", Effect::kImplicitDeny);
  cond("NotIpAddress missing key holds (IAM)", with(device(), [](Context& c) { c.source_ip.clear(); }), "o", Effect::kAllow, 14);
  cond("NumericLessThanEquals", target, "p", Effect::kAllow, 15);
  cond("Numeric missing key", dev, "p", Effect::kImplicitDeny);

  // ? glob, action case, ARNs.
  const std::string qmark = doc(R"({"Effect":"Allow","Action":"IOT:publish","Resource":")" ARN R"(topic/dev-?/status"})");
  v.push_back({"? matches one char", {qmark}, dev, action::kPublish, ResourceType::kTopic, "dev-1/status", Effect::kAllow, 0, 0});
  v.push_back({"? does not match two", {qmark}, dev, action::kPublish, ResourceType::kTopic, "dev-10/status", Effect::kImplicitDeny});
  v.push_back({"action case-insensitive only for name", {qmark}, dev, action::kSubscribe, ResourceType::kTopicFilter, "dev-1/status", Effect::kImplicitDeny});
  const std::string pubstar = doc(R"({"Effect":"Allow","Action":"iot:Pub*","Resource":"*"})");
  v.push_back({"action glob matches Publish", {pubstar}, dev, action::kPublish, ResourceType::kTopic, "x", Effect::kAllow, 0, 0});
  v.push_back({"action glob skips RetainPublish", {pubstar}, dev, action::kRetainPublish, ResourceType::kTopic, "x", Effect::kImplicitDeny});
  const std::string arns = doc(R"(
    {"Effect":"Allow","Action":"iot:Publish","Resource":"arn:aws:iot:eu-west-1:123456789012:topic/x"},
    {"Effect":"Allow","Action":"iot:Publish","Resource":"arn:aws:iot:us-east-1:999999999999:topic/x"},
    {"Effect":"Allow","Action":"iot:Publish","Resource":"arn:aws:iot:*:*:topic/y"},
    {"Effect":"Allow","Action":"iot:Publish","Resource":"arn:aws-cn:iot:us-east-1:123456789012:topic/z"},
    {"Effect":"Allow","Action":"iot:CreateThing","Resource":")" ARN R"(thing/*"},
    {"Effect":"Allow","Action":"iot:ListRetainedMessages","Resource":"*"},
    {"Effect":"Allow","Action":"iotjobsdata:DescribeJobExecution","Resource":")" ARN R"(thing/${iot:Connection.Thing.ThingName}"})");
  v.push_back({"region mismatch never matches", {arns}, dev, action::kPublish, ResourceType::kTopic, "x", Effect::kImplicitDeny});
  v.push_back({"wildcard region and account", {arns}, dev, action::kPublish, ResourceType::kTopic, "y", Effect::kAllow, 0, 2});
  v.push_back({"partition mismatch never matches", {arns}, dev, action::kPublish, ResourceType::kTopic, "z", Effect::kImplicitDeny});
  v.push_back({"control-plane action on thing ARN", {arns}, dev, *find_action("iot:CreateThing"), ResourceType::kArn, ARN "thing/new", Effect::kAllow, 0, 4});
  v.push_back({"control-plane action not granted", {arns}, dev, *find_action("iot:DeleteThing"), ResourceType::kArn, ARN "thing/new", Effect::kImplicitDeny});
  v.push_back({"resource-less action uses *", {arns}, dev, action::kListRetainedMessages, ResourceType::kArn, "*", Effect::kAllow, 0, 5});
  v.push_back({"iotjobsdata prefix", {arns}, dev, action::kDescribeJobExecution, ResourceType::kThing, "dev-1", Effect::kAllow, 0, 6});
  v.push_back({"iotjobsdata other thing", {arns}, dev, action::kDescribeJobExecution, ResourceType::kThing, "dev-2", Effect::kImplicitDeny});

  // Single-object Statement.
  const std::string single = R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/dev-1"}})";
  v.push_back({"single-object Statement", {single}, dev, action::kConnect, ResourceType::kClient, "dev-1", Effect::kAllow, 0, 0});

  // Report-only Deny.
  const std::string report = doc(R"(
    {"Effect":"Deny","tenet:Mode":"report-only","Action":"iot:Publish","Resource":")" ARN R"(topic/a/*"},
    {"Effect":"Allow","Action":"iot:Publish","Resource":"*"},
    {"Effect":"Deny","Action":"iot:Publish","Resource":")" ARN R"(topic/a/hard"})");
  v.push_back({"report-only deny is not enforced", {report}, dev, action::kPublish, ResourceType::kTopic, "a/b", Effect::kAllow, 0, 1, 0, 0});
  v.push_back({"report-only not matching", {report}, dev, action::kPublish, ResourceType::kTopic, "b", Effect::kAllow, 0, 1});
  v.push_back({"enforced deny beats report-only", {report}, dev, action::kPublish, ResourceType::kTopic, "a/hard", Effect::kExplicitDeny, 0, 2});
  v.push_back({"report-only with implicit deny", {report}, dev, action::kSubscribe, ResourceType::kTopicFilter, "a/b", Effect::kImplicitDeny});

  // Several policies: a Deny in one wins over an Allow in another.
  const std::string deny_secret = doc(R"({"Effect":"Deny","Action":"iot:Publish","Resource":")" ARN R"(topic/secret"})");
  v.push_back({"deny in second policy wins", {kAllowAll, deny_secret}, dev, action::kPublish, ResourceType::kTopic, "secret", Effect::kExplicitDeny, 1, 0});
  v.push_back({"allow from first policy", {kAllowAll, deny_secret}, dev, action::kPublish, ResourceType::kTopic, "public", Effect::kAllow, 0, 0});
  v.push_back({"no policies: implicit deny", {}, dev, action::kConnect, ResourceType::kClient, "dev-1", Effect::kImplicitDeny});
  return v;
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class Table : public ::testing::TestWithParam<Case> {};

TEST_P(Table, DecidesAsExpected) {
  const Case& c = GetParam();
  std::vector<std::shared_ptr<const Policy>> ps;
  for (std::size_t i = 0; i < c.docs.size(); ++i) {
    ps.push_back(must_compile(c.docs[i], "p" + std::to_string(i)));
    ASSERT_TRUE(ps.back());
  }
  const BoundPolicySet set = bind(ps, c.ctx, kScope);
  const Request req{c.action, c.type, c.resource};
  const Decision d = set.evaluate(req, c.now);
  const Explanation ex = set.explain(req, c.now);
  EXPECT_EQ(to_string(d.effect), to_string(c.expected)) << ex.to_text();
  if (c.policy >= 0) {
    EXPECT_EQ(d.decided_by.policy, ps[static_cast<std::size_t>(c.policy)].get()) << ex.to_text();
    EXPECT_EQ(d.decided_by.statement, c.statement) << ex.to_text();
  } else {
    EXPECT_FALSE(d.decided_by) << ex.to_text();
  }
  if (c.report_policy >= 0) {
    EXPECT_EQ(d.report_only_deny.policy, ps[static_cast<std::size_t>(c.report_policy)].get());
    EXPECT_EQ(d.report_only_deny.statement, c.report_statement);
  } else {
    EXPECT_FALSE(d.would_have_denied()) << ex.to_text();
  }
  // explain() agrees with evaluate() and marks the deciding statement as applying.
  EXPECT_EQ(ex.decision.effect, d.effect);
  EXPECT_EQ(ex.decision.decided_by.policy, d.decided_by.policy);
  EXPECT_EQ(ex.decision.decided_by.statement, d.decided_by.statement);
  if (d.decided_by) {
    bool found = false;
    for (const auto& s : ex.statements) {
      if (s.policy_name == d.decided_by.policy->name() && s.statement == d.decided_by.statement) {
        found = true;
        EXPECT_TRUE(s.applies) << ex.to_text();
      }
    }
    EXPECT_TRUE(found);
  }
  if (d.effect == Effect::kImplicitDeny) {
    for (const auto& s : ex.statements) EXPECT_FALSE(s.applies && s.effect == "Allow") << ex.to_text();
  }
}

INSTANTIATE_TEST_SUITE_P(Policy, Table, ::testing::ValuesIn(cases()), [](const ::testing::TestParamInfo<Case>& param_info) {
  std::string n;
  for (char ch : param_info.param.name) n += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return n + "_" + std::to_string(param_info.index);
});

TEST(Explain, ReportsVariablesConditionsAndDecidingStatement) {
  auto p = must_compile(doc(R"({"Sid":"own","Effect":"Allow","Action":"iot:Publish",
      "Resource":")" ARN R"(topic/${iot:ClientId}/${iot:Connection.Thing.ThingName}",
      "Condition":{"Bool":{"iot:Connection.Thing.IsAttached":"true"},"DateLessThan":{"aws:CurrentTime":"2030-01-01"}}})"),
                        "device", "3");
  Context ctx = device();
  ctx.thing.reset();
  const BoundPolicySet set = bind({p}, ctx, kScope);
  const Explanation e = set.explain({action::kPublish, ResourceType::kTopic, "dev-1/x"}, kNow);
  EXPECT_EQ(e.decision.effect, Effect::kImplicitDeny);
  EXPECT_EQ(e.resource, ARN "topic/dev-1/x");
  ASSERT_EQ(e.statements.size(), 1u);
  const auto& s = e.statements[0];
  EXPECT_EQ(s.policy_name, "device");
  EXPECT_EQ(s.policy_version, "3");
  EXPECT_EQ(s.sid, "own");
  EXPECT_TRUE(s.action_matched);
  EXPECT_FALSE(s.resource_matched);
  ASSERT_EQ(s.variables.size(), 2u);
  EXPECT_TRUE(s.variables[0].resolved);
  EXPECT_EQ(s.variables[0].value, "dev-1");
  EXPECT_FALSE(s.variables[1].resolved);
  EXPECT_EQ(s.variables[1].note, "no value for this connection");
  ASSERT_EQ(s.conditions.size(), 2u);
  EXPECT_FALSE(s.conditions[0].result);
  EXPECT_FALSE(s.conditions[0].key_present);
  EXPECT_TRUE(s.conditions[1].result);
  EXPECT_TRUE(s.conditions[1].per_request);
  EXPECT_EQ(s.conditions[1].key_values, std::vector<std::string>{"2024-06-01T12:00:00Z"});
  const std::string text = e.to_text();
  EXPECT_NE(text.find("ImplicitDeny iot:Publish on " ARN "topic/dev-1/x"), std::string::npos) << text;
  EXPECT_NE(text.find("unresolved (no value for this connection)"), std::string::npos) << text;
  const std::string json = e.to_json();
  EXPECT_NE(json.find("\"effect\":\"ImplicitDeny\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"per_request\":true"), std::string::npos) << json;
}

// A realistic device policy: 10 statements, variables, one connection condition.
std::string device_policy() {
  return doc(R"(
    {"Effect":"Allow","Action":"iot:Connect","Resource":")" ARN R"(client/${iot:Connection.Thing.ThingName}",
     "Condition":{"Bool":{"iot:Connection.Thing.IsAttached":"true"}}},
    {"Effect":"Allow","Action":"iot:Publish","Resource":[")" ARN R"(topic/$aws/things/${iot:Connection.Thing.ThingName}/shadow/*",")" ARN R"(topic/dt/${iot:ClientId}/*"]},
    {"Effect":"Allow","Action":"iot:Subscribe","Resource":")" ARN R"(topicfilter/$aws/things/${iot:Connection.Thing.ThingName}/shadow/*"},
    {"Effect":"Allow","Action":"iot:Receive","Resource":")" ARN R"(topic/$aws/things/${iot:Connection.Thing.ThingName}/shadow/*"},
    {"Effect":"Allow","Action":"iot:Subscribe","Resource":")" ARN R"(topicfilter/cmd/${iot:ClientId}/*"},
    {"Effect":"Allow","Action":"iot:Receive","Resource":")" ARN R"(topic/cmd/${iot:ClientId}/*"},
    {"Effect":"Allow","Action":["iot:Publish","iot:Receive"],"Resource":")" ARN R"(topic/$aws/things/${iot:Connection.Thing.ThingName}/jobs/*"},
    {"Effect":"Allow","Action":"iot:Subscribe","Resource":")" ARN R"(topicfilter/$aws/things/${iot:Connection.Thing.ThingName}/jobs/*"},
    {"Effect":"Deny","Action":"iot:Publish","Resource":")" ARN R"(topic/dt/${iot:ClientId}/admin/*"},
    {"Effect":"Allow","Action":"iot:RetainPublish","Resource":")" ARN R"(topic/dt/${iot:ClientId}/state"})");
}

TEST(Evaluate, DoesNotAllocateOnABoundSet) {
  std::vector<std::shared_ptr<const Policy>> ps;
  for (int i = 0; i < 10; ++i) {
    std::string name = "p";
    name += std::to_string(i);
    ps.push_back(must_compile(device_policy(), name));
  }
  ps.push_back(must_compile(doc(R"({"Effect":"Allow","Action":"iot:*","Resource":"*",
      "Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}})"), "timed"));
  const BoundPolicySet set = bind(ps, device(), kScope);
  const std::string topic = "dt/dev-1/admin/x";
  const Request reqs[] = {
      {action::kPublish, ResourceType::kTopic, "dt/dev-1/t"},
      {action::kPublish, ResourceType::kTopic, topic},
      {action::kSubscribe, ResourceType::kTopicFilter, "$aws/things/dev-1/shadow/#"},
      {action::kReceive, ResourceType::kTopic, "nowhere"},
      {*find_action("iot:CreateThing"), ResourceType::kArn, ARN "thing/x"},
  };
  int allowed = 0;
  const std::size_t before = testing::allocations_for_test();
  for (int round = 0; round < 100; ++round) {
    for (const Request& r : reqs) allowed += set.evaluate(r, kNow).allowed();
  }
  const std::size_t after = testing::allocations_for_test();
  EXPECT_EQ(after - before, 0u);
  EXPECT_EQ(allowed, 100 * 4);  // only the admin topic is denied
  EXPECT_TRUE(set.has_time_conditions());
}

TEST(Bind, DefaultSetDeniesEverything) {
  const BoundPolicySet set;
  EXPECT_EQ(set.evaluate({action::kConnect, ResourceType::kClient, "x"}).effect, Effect::kImplicitDeny);
  EXPECT_TRUE(set.policies().empty());
}

TEST(Bind, NullPoliciesAreSkipped) {
  const BoundPolicySet set = bind({nullptr, must_compile(kAllowAll, "all")}, device(), kScope);
  EXPECT_EQ(set.policies().size(), 1u);
  EXPECT_TRUE(set.evaluate({action::kConnect, ResourceType::kClient, "x"}).allowed());
}

TEST(ResourceArn, BuildsTypedArns) {
  EXPECT_EQ(resource_arn(kScope, ResourceType::kTopicFilter, "a/#"), ARN "topicfilter/a/#");
  EXPECT_EQ(resource_arn(kScope, ResourceType::kArn, "*"), "*");
}

}  // namespace
}  // namespace tenet::policy
