#include "server/config.h"

#include <gtest/gtest.h>

namespace tenet::server {
namespace {

TEST(Config, DefaultsAreSaneWithoutAFile) {
  auto c = parse_config("");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->mqtt.port, 8883);
  EXPECT_EQ(c->mqtt.bind_address, "127.0.0.1");
  EXPECT_EQ(c->authz_mode, AuthzMode::kPolicy);  // AWS IoT policies, default deny
}

TEST(Config, ReadsEverySection) {
  auto c = parse_config(R"(
[server]
log_level = "debug"
log_format = "json"
threads = 2
server_names = ["hub.example", "10.1.2.3"]
[mqtt]
bind = "::1"
port = 0
retained_for_wildcards = false
[authz]
mode = "allow-authenticated"
[limits]
max_packet_size = 1024
receive_maximum = 10
connect_timeout_ms = 500
)");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->log_format, "json");
  EXPECT_EQ(c->mqtt.threads, 2u);
  EXPECT_EQ(c->server_names.size(), 2u);
  EXPECT_EQ(c->mqtt.bind_address, "::1");
  EXPECT_EQ(c->mqtt.port, 0);
  EXPECT_FALSE(c->mqtt.retained_for_wildcards);
  EXPECT_EQ(c->authz_mode, AuthzMode::kAllowAuthenticated);
  EXPECT_EQ(c->mqtt.limits.max_packet_size, 1024u);
  EXPECT_EQ(c->mqtt.limits.receive_maximum, 10);
  EXPECT_EQ(c->mqtt.limits.connect_timeout.count(), 500);
}

TEST(Config, UnknownKeysAreErrors) {
  auto c = parse_config("[mqtt]\nprot = 1\n");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, core::Errc::kInvalidArgument);
  EXPECT_NE(c.error().detail.find("mqtt.prot"), std::string::npos);
}

TEST(Config, OutOfRangeValuesAreErrors) {
  EXPECT_FALSE(parse_config("[mqtt]\nport = 70000\n"));
  EXPECT_FALSE(parse_config("[limits]\nreceive_maximum = 0\n"));
  EXPECT_FALSE(parse_config("[authz]\nmode = \"yes\"\n"));
  EXPECT_FALSE(parse_config("[server]\nlog_format = \"xml\"\n"));
}

TEST(Config, SyntaxErrorsSayWhere) {
  auto c = parse_config("[mqtt\nport = 1\n");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().detail.find("line 1"), std::string::npos);
}

}  // namespace
}  // namespace tenet::server
