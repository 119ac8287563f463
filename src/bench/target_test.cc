#include "bench/target.h"

#include <gtest/gtest.h>

namespace tenet::bench {
namespace {

TEST(Target, ParsesHostPort) {
  auto e = parse_host_port("127.0.0.1:8883");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 8883);
  e = parse_host_port("[::1]:1883");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 1883);
}

TEST(Target, RejectsBadPorts) {
  EXPECT_FALSE(parse_host_port("127.0.0.1"));
  EXPECT_FALSE(parse_host_port("127.0.0.1:0"));
  EXPECT_FALSE(parse_host_port("127.0.0.1:65536"));
  EXPECT_FALSE(parse_host_port("127.0.0.1:88x"));
  EXPECT_FALSE(parse_host_port(":8883"));
}

TEST(Target, MissingDataDirIsNotFound) {
  auto e = read_endpoint("/nonexistent/tenet-bench-test");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, core::Errc::kNotFound);
}

}  // namespace
}  // namespace tenet::bench
