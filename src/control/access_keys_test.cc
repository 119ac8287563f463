#include "control/access_keys.h"

#include <gtest/gtest.h>

#include "control/errors.h"
#include "control/idempotency.h"
#include "control/tags.h"
#include "control/testing/temp_db.h"
#include "core/testing/fake_clock.h"
#include "store/sqlite.h"

namespace tenet::control {
namespace {

using namespace std::chrono_literals;

TEST(Seal, RoundTripsAndDetectsTamperingAndWrongKey) {
  const std::string key(32, 'a');
  auto s = seal(key, "secret");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->find("secret"), std::string::npos);
  auto o = unseal(key, *s);
  ASSERT_TRUE(o);
  EXPECT_EQ(*o, "secret");
  std::string t = *s;
  t[14] ^= 1;
  EXPECT_EQ(unseal(key, t).error().code, core::Errc::kPermissionDenied);
  EXPECT_EQ(unseal(std::string(32, 'b'), *s).error().code, core::Errc::kPermissionDenied);
  EXPECT_FALSE(seal("short", "x"));
}

TEST(AccessKeys, PersistSealedAndReloadWithTheMasterKey) {
  testing::TempDb db;
  core::testing::FakeClock clock;
  std::string id, secret;
  {
    auto keys = AccessKeys::open(db.path(), std::string(32, 'm'), clock);
    ASSERT_TRUE(keys);
    auto k = (*keys)->create("ops", 0s);
    ASSERT_TRUE(k);
    id = k->info.access_key_id;
    secret = k->secret_access_key;
    EXPECT_EQ(id.rfind("TNTA", 0), 0u);
    EXPECT_TRUE(k->session_token.empty());
  }
  {  // The database holds no plaintext secret.
    store::DbOptions o;
    o.path = db.path();
    auto raw = store::Db::open(o);
    ASSERT_TRUE(raw);
    auto st = raw->prepare("SELECT sealed_secret FROM access_keys");
    ASSERT_TRUE(st);
    ASSERT_TRUE(*st->step());
    EXPECT_EQ(st->column_blob(0).find(secret), std::string::npos);
  }
  auto again = AccessKeys::open(db.path(), std::string(32, 'm'), clock);
  ASSERT_TRUE(again);
  auto m = (*again)->lookup(id);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->secret_access_key, secret);
  auto wrong = AccessKeys::open(db.path(), std::string(32, 'x'), clock);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, core::Errc::kPermissionDenied);
}

TEST(AccessKeys, TemporaryKeysCarryATokenAndExpiry) {
  testing::TempDb db;
  core::testing::FakeClock clock;
  auto keys = AccessKeys::open(db.path(), std::string(32, 'm'), clock);
  ASSERT_TRUE(keys);
  auto k = (*keys)->create("", 3600s);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->info.access_key_id.rfind("TNTS", 0), 0u);
  EXPECT_EQ(k->session_token.size(), 64u);
  EXPECT_EQ(k->info.expires_at_ms, clock.unix_ms() + 3'600'000);
  EXPECT_FALSE((*keys)->create("", 37h));
}

TEST(AccessKeys, LastActivePermanentKeyIsProtected) {
  testing::TempDb db;
  core::testing::FakeClock clock;
  auto keys = AccessKeys::open(db.path(), std::string(32, 'm'), clock);
  ASSERT_TRUE(keys);
  ASSERT_TRUE((*keys)->ensure_bootstrap("TNTAROOT", "s"));
  ASSERT_TRUE((*keys)->ensure_bootstrap("TNTAROOT", "other"));  // idempotent, keeps the first secret
  EXPECT_EQ((*keys)->lookup("TNTAROOT")->secret_access_key, "s");
  EXPECT_EQ((*keys)->set_active("TNTAROOT", false).error().code, core::Errc::kConflict);
  EXPECT_EQ((*keys)->remove("TNTAROOT").error().code, core::Errc::kConflict);
  auto k = (*keys)->create("second", 0s);
  ASSERT_TRUE(k);
  EXPECT_TRUE((*keys)->set_active("TNTAROOT", false));
  EXPECT_FALSE((*keys)->lookup("TNTAROOT")->active);
  EXPECT_EQ((*keys)->set_active(k->info.access_key_id, false).error().code, core::Errc::kConflict);
  EXPECT_EQ((*keys)->remove("nope").error().code, core::Errc::kNotFound);
}

TEST(Tags, RulesAndRoundTrip) {
  testing::TempDb db;
  auto tags = Tags::open(db.path());
  ASSERT_TRUE(tags);
  (*tags)->add_type("thinggroup", [](std::string_view n) { return n == "fleet"; });
  const std::string arn = "arn:aws:iot:us-east-1:000000000000:thinggroup/fleet";
  ASSERT_TRUE((*tags)->tag(arn, {{"env", "prod"}, {"team", "a"}}));
  ASSERT_TRUE((*tags)->tag(arn, {{"env", "dev"}}));
  auto l = (*tags)->list(arn);
  ASSERT_TRUE(l);
  EXPECT_EQ(*l, (std::vector<Tag>{{"env", "dev"}, {"team", "a"}}));
  ASSERT_TRUE((*tags)->untag(arn, {"team"}));
  EXPECT_EQ((*tags)->list(arn)->size(), 1u);
  EXPECT_EQ((*tags)->tag(arn, {{"aws:x", "1"}}).error().code, core::Errc::kInvalidArgument);
  EXPECT_EQ((*tags)->tag("arn:aws:iot:us-east-1:000000000000:thinggroup/other", {{"a", "b"}}).error().code,
            core::Errc::kNotFound);
  EXPECT_EQ((*tags)->tag("arn:aws:iot:us-east-1:000000000000:widget/x", {{"a", "b"}}).error().code,
            core::Errc::kInvalidArgument);
  EXPECT_EQ((*tags)->tag("not-an-arn", {{"a", "b"}}).error().code, core::Errc::kInvalidArgument);
  std::vector<Tag> many;
  for (int i = 0; i < 50; ++i) many.emplace_back("k" + std::to_string(i), "v");
  EXPECT_EQ((*tags)->tag(arn, many).error().code, core::Errc::kResourceExhausted);  // 1 existing + 50 new
}

}  // namespace
}  // namespace tenet::control


namespace tenet::control {
namespace {

TEST(Idempotency, ReplaysTheFirstSuccessAndRefusesAReusedTokenForAnotherRequest) {
  testing::TempDb db;
  core::testing::FakeClock clock;
  auto idem = Idempotency::open(db.path(), clock);
  ASSERT_TRUE(idem);
  Call call;
  call.operation = "CreateCustomMetric";
  call.labels = {{"metricName", "m"}};
  call.body = R"({"metricType":"number"})";
  int runs = 0;
  auto handler = [&] {
    ++runs;
    return Reply::json({{"run", runs}});
  };
  auto first = (*idem)->run(call, "tok", handler);
  auto again = (*idem)->run(call, "tok", handler);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(first.body, again.body);
  Call other = call;
  other.body = R"({"metricType":"string-list"})";
  auto conflict = (*idem)->run(other, "tok", handler);
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.error_type, "ConflictException");
  EXPECT_EQ(runs, 1);
  (*idem)->run(call, "", handler);  // no token: always runs
  EXPECT_EQ(runs, 2);
  clock.advance(std::chrono::hours(25));  // tokens are kept 24 h
  (*idem)->run(call, "tok", handler);
  EXPECT_EQ(runs, 3);
}

TEST(Idempotency, FailuresAreNotRemembered) {
  testing::TempDb db;
  core::testing::FakeClock clock;
  auto idem = Idempotency::open(db.path(), clock);
  ASSERT_TRUE(idem);
  Call call;
  call.operation = "StartAuditMitigationActionsTask";
  int runs = 0;
  auto failing = [&] {
    ++runs;
    return errors::service_unavailable("try again");
  };
  EXPECT_EQ((*idem)->run(call, "t", failing).status, 503);
  EXPECT_EQ((*idem)->run(call, "t", [&] { ++runs; return Reply::empty(); }).status, 200);
  EXPECT_EQ(runs, 2);
}

}  // namespace
}  // namespace tenet::control
