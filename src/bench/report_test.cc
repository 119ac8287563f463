#include "bench/report.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace tenet::bench {
namespace {

TEST(Report, JsonCarriesTheHeadlineNumbers) {
  Report r;
  r.mode = "load";
  r.scenario = "fan-in";
  r.sent = 1000;
  r.received = 990;
  r.lost = 10;
  r.received_rate = 98.5;
  r.latency.p99 = 1234.5;
  r.errors.push_back("boom");
  const auto v = boost::json::parse(to_json(r)).as_object();
  EXPECT_EQ(v.at("scenario").as_string(), "fan-in");
  EXPECT_EQ(v.at("sent").to_number<std::uint64_t>(), 1000u);
  EXPECT_EQ(v.at("lost").to_number<std::uint64_t>(), 10u);
  EXPECT_DOUBLE_EQ(v.at("received_rate").as_double(), 98.5);
  EXPECT_DOUBLE_EQ(v.at("latency").as_object().at("p99_us").as_double(), 1234.5);
  EXPECT_EQ(v.at("errors").as_array().size(), 1u);
}

TEST(Report, TextMentionsLossAndLatency) {
  Report r;
  r.mode = "load";
  r.expected = 100;
  r.lost = 1;
  r.loss_ratio = 0.01;
  const std::string t = to_text(r);
  EXPECT_NE(t.find("loss:"), std::string::npos);
  EXPECT_NE(t.find("latency:"), std::string::npos);
  EXPECT_NE(t.find("1.000%"), std::string::npos);
}

}  // namespace
}  // namespace tenet::bench
