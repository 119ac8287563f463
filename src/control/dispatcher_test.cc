#include "control/dispatcher.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include <boost/json/parse.hpp>

#include "control/errors.h"
#include "control/operations.h"
#include "control/paging.h"
#include "control/testing/temp_db.h"
#include "core/testing/fake_clock.h"
#include "sigv4/sigv4.h"

namespace tenet::control {
namespace {

using namespace std::chrono_literals;

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k = AccessKeys::open(db.path(), std::string(32, 'k'), clock);
    ASSERT_TRUE(k) << k.error();
    keys = std::move(*k);
    ASSERT_TRUE(keys->ensure_bootstrap("TNTAADMIN", "admin-secret"));
    add_endpoint_operations(router, endpoints);
    add_access_key_operations(router, *keys);
    router.add({"Boom", "GET", "/boom", control_services(), [](Call&) -> Reply { throw std::runtime_error("x"); }});
    dispatcher = std::make_unique<Dispatcher>(router, *keys, AuthOptions{"eu-west-1", 300s}, clock,
                                              [this](const boost::json::object& ev) { audit.push_back(ev); });
  }

  HttpRequest signed_request(std::string method, std::string target, std::string body = {},
                             sigv4::SigningCredentials creds = {"TNTAADMIN", "admin-secret", ""},
                             std::string service = "execute-api", std::string region = "eu-west-1") {
    HttpRequest r{std::move(method), std::move(target), {{"Host", "127.0.0.1:9443"}}, std::move(body)};
    if (!r.body.empty()) r.headers.emplace_back("Content-Type", "application/json");
    std::vector<sigv4::Header> hs;
    for (const auto& [k, v] : r.headers) hs.push_back({k, v});
    auto added = sigv4::sign(r.method, r.target, hs, r.body, creds, region, service, clock.wall());
    EXPECT_TRUE(added);
    for (auto& h : *added) r.headers.push_back(std::move(h));
    return r;
  }

  static std::string header(const HttpResponse& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return {};
  }
  static boost::json::object body(const HttpResponse& r) { return boost::json::parse(r.body).as_object(); }

  testing::TempDb db;
  core::testing::FakeClock clock;
  Endpoints endpoints{"127.0.0.1:8884", "", ""};
  std::unique_ptr<AccessKeys> keys;
  Router router;
  std::unique_ptr<Dispatcher> dispatcher;
  std::vector<boost::json::object> audit;
};

TEST_F(DispatcherTest, SignedRequestReachesTheHandlerAndIsAudited) {
  auto res = dispatcher->handle(signed_request("GET", "/endpoint?endpointType=iot%3AData-ATS"), "127.0.0.1:5000");
  EXPECT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(body(res).at("endpointAddress"), "127.0.0.1:8884");
  EXPECT_FALSE(header(res, "x-amzn-RequestId").empty());
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].at("operation"), "DescribeEndpoint");
  EXPECT_EQ(audit[0].at("access_key_id"), "TNTAADMIN");
  EXPECT_EQ(audit[0].at("resource"), "iot:Data-ATS");
  EXPECT_EQ(audit[0].at("outcome"), "success");
  EXPECT_EQ(audit[0].at("source"), "127.0.0.1:5000");
}

TEST_F(DispatcherTest, AcceptsTheIotSigningNameToo) {
  auto res = dispatcher->handle(signed_request("GET", "/endpoint", {}, {"TNTAADMIN", "admin-secret", ""}, "iot"), "x");
  EXPECT_EQ(res.status, 200) << res.body;
}

TEST_F(DispatcherTest, ErrorsHaveTheAwsShape) {
  auto res = dispatcher->handle(signed_request("GET", "/endpoint?endpointType=iot%3ANope"), "x");
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(header(res, "x-amzn-ErrorType"), "InvalidRequestException");
  EXPECT_EQ(body(res).at("__type"), "InvalidRequestException");
  EXPECT_NE(std::string(body(res).at("message").as_string()).find("iot:Nope"), std::string::npos);
  EXPECT_EQ(audit.back().at("outcome"), "failure");
  EXPECT_EQ(audit.back().at("error"), "InvalidRequestException");
}

TEST_F(DispatcherTest, UnsignedRequestIsRefused) {
  HttpRequest r{"GET", "/endpoint", {{"Host", "h"}}, {}};
  auto res = dispatcher->handle(r, "x");
  EXPECT_EQ(res.status, 403);
  EXPECT_EQ(header(res, "x-amzn-ErrorType"), "IncompleteSignatureException");
}

TEST_F(DispatcherTest, WrongSecretIsInvalidSignature) {
  auto res = dispatcher->handle(signed_request("GET", "/endpoint", {}, {"TNTAADMIN", "wrong", ""}), "x");
  EXPECT_EQ(res.status, 403);
  EXPECT_EQ(header(res, "x-amzn-ErrorType"), "InvalidSignatureException");
  EXPECT_EQ(res.body.find("admin-secret"), std::string::npos);
}

TEST_F(DispatcherTest, WrongRegionIsRefused) {
  auto res = dispatcher->handle(
      signed_request("GET", "/endpoint", {}, {"TNTAADMIN", "admin-secret", ""}, "execute-api", "us-west-2"), "x");
  EXPECT_EQ(res.status, 403);
  EXPECT_EQ(header(res, "x-amzn-ErrorType"), "InvalidSignatureException");
}

TEST_F(DispatcherTest, DeactivatedKeyIsRefusedAtOnce) {
  auto k = keys->create("ops", 0s);
  ASSERT_TRUE(k);
  sigv4::SigningCredentials c{k->info.access_key_id, k->secret_access_key, ""};
  EXPECT_EQ(dispatcher->handle(signed_request("GET", "/endpoint", {}, c), "x").status, 200);
  ASSERT_TRUE(keys->set_active(k->info.access_key_id, false));
  auto res = dispatcher->handle(signed_request("GET", "/endpoint", {}, c), "x");
  EXPECT_EQ(res.status, 403);
  EXPECT_EQ(header(res, "x-amzn-ErrorType"), "UnrecognizedClientException");
}

TEST_F(DispatcherTest, TemporaryCredentialNeedsItsTokenAndExpires) {
  auto k = keys->create("ci", 60s);
  ASSERT_TRUE(k);
  ASSERT_FALSE(k->session_token.empty());
  sigv4::SigningCredentials with{k->info.access_key_id, k->secret_access_key, k->session_token};
  sigv4::SigningCredentials without{k->info.access_key_id, k->secret_access_key, ""};
  EXPECT_EQ(dispatcher->handle(signed_request("GET", "/endpoint", {}, with), "x").status, 200);
  auto no_token = dispatcher->handle(signed_request("GET", "/endpoint", {}, without), "x");
  EXPECT_EQ(header(no_token, "x-amzn-ErrorType"), "UnrecognizedClientException");
  clock.advance(61s);
  auto expired = dispatcher->handle(signed_request("GET", "/endpoint", {}, with), "x");
  EXPECT_EQ(expired.status, 403);
  EXPECT_EQ(header(expired, "x-amzn-ErrorType"), "ExpiredTokenException");
}

TEST_F(DispatcherTest, UnknownRouteAndMethod) {
  auto res = dispatcher->handle(signed_request("GET", "/nope"), "x");
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(header(res, "x-amzn-ErrorType"), "UnknownOperationException");
  auto res2 = dispatcher->handle(signed_request("DELETE", "/endpoint"), "x");
  EXPECT_EQ(res2.status, 405);
}

TEST_F(DispatcherTest, HandlerExceptionIsA500WithTheRequestId) {
  auto res = dispatcher->handle(signed_request("GET", "/boom"), "x");
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(header(res, "x-amzn-ErrorType"), "InternalFailureException");
  EXPECT_NE(res.body.find(header(res, "x-amzn-RequestId")), std::string::npos);
}

TEST_F(DispatcherTest, AccessKeyLifecycleOverTheApi) {
  auto created = dispatcher->handle(signed_request("POST", "/tenet/access-keys", R"({"description":"ci"})"), "x");
  ASSERT_EQ(created.status, 200) << created.body;
  auto ak = body(created).at("accessKey").as_object();
  const std::string id(ak.at("accessKeyId").as_string());
  EXPECT_EQ(ak.at("secretAccessKey").as_string().size(), 40u);
  auto listed = dispatcher->handle(signed_request("GET", "/tenet/access-keys?maxResults=1"), "x");
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(body(listed).at("accessKeys").as_array().size(), 1u);
  ASSERT_TRUE(body(listed).contains("nextToken"));
  const std::string token(body(listed).at("nextToken").as_string());
  auto page2 = dispatcher->handle(signed_request("GET", "/tenet/access-keys?maxResults=1&nextToken=" + token), "x");
  ASSERT_EQ(page2.status, 200);
  EXPECT_EQ(body(page2).at("accessKeys").as_array().size(), 1u);
  EXPECT_FALSE(body(page2).contains("nextToken"));
  EXPECT_FALSE(body(page2).at("accessKeys").as_array()[0].as_object().contains("secretAccessKey"));
  auto bad_token = dispatcher->handle(signed_request("GET", "/tenet/access-keys?nextToken=zzzz"), "x");
  EXPECT_EQ(bad_token.status, 400);
  EXPECT_EQ(dispatcher->handle(signed_request("DELETE", "/tenet/access-keys/" + id), "x").status, 200);
  auto gone = dispatcher->handle(signed_request("DELETE", "/tenet/access-keys/" + id), "x");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(header(gone, "x-amzn-ErrorType"), "ResourceNotFoundException");
  // The last active permanent key cannot be switched off.
  auto last = dispatcher->handle(signed_request("PATCH", "/tenet/access-keys/TNTAADMIN", R"({"status":"Inactive"})"), "x");
  EXPECT_EQ(last.status, 409);
}

}  // namespace
}  // namespace tenet::control

namespace tenet::control {
namespace {

TEST(Paging, TokensRoundTripForEveryLengthAndAreBoundToTheirListing) {
  for (int n = 0; n < 8; ++n) {
    const std::string key(static_cast<std::size_t>(n) + 1, 'k');
    Call call;
    call.query = {{"nextToken", page_token("things", key)}, {"maxResults", "5"}};
    auto p = read_page(call, "things");
    ASSERT_TRUE(p) << p.error();
    EXPECT_EQ(p->after, key);
    EXPECT_EQ(p->limit, 5u);
    EXPECT_FALSE(read_page(call, "groups"));
  }
  Call bad;
  bad.query = {{"maxResults", "0"}};
  EXPECT_FALSE(read_page(bad, "things"));
  bad.query = {{"maxResults", "251"}};
  EXPECT_FALSE(read_page(bad, "things"));
  bad.query = {{"nextToken", "%%%"}};
  EXPECT_FALSE(read_page(bad, "things"));
}

}  // namespace
}  // namespace tenet::control
