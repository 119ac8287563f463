#include "core/log.h"

#include <gtest/gtest.h>

#include <sstream>

#include <boost/json.hpp>
#include <spdlog/sinks/ostream_sink.h>

namespace tenet::core::log {
namespace {

TEST(Log, JsonLinesStayValidJsonWhateverTheMessageHolds) {
  std::ostringstream out;
  init_with_sink("info", Format::kJson, std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  info("deny: authz.mode = \"deny\" \\ tab\there\nnewline {}", std::string(1, '\x01'));
  spdlog::default_logger()->flush();
  const std::string line = out.str();
  ASSERT_FALSE(line.empty());
  boost::system::error_code ec;
  auto v = boost::json::parse(line, ec);
  ASSERT_FALSE(ec) << line;
  EXPECT_EQ(v.at("msg").as_string(), "deny: authz.mode = \"deny\" \\ tab\there\nnewline \x01");
  EXPECT_EQ(v.at("level").as_string(), "info");
  EXPECT_EQ(v.at("logger").as_string(), "tenet");
}

TEST(Log, LevelFiltersBelowIt) {
  std::ostringstream out;
  init_with_sink("warn", Format::kText, std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  info("hidden");
  warn("shown");
  spdlog::default_logger()->flush();
  EXPECT_EQ(out.str().find("hidden"), std::string::npos);
  EXPECT_NE(out.str().find("shown"), std::string::npos);
}

}  // namespace
}  // namespace tenet::core::log
