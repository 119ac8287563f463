#include "broker/message.h"

#include <gtest/gtest.h>

#include "mqtt/codec.h"

namespace tenet::broker {
namespace {

TEST(Message, KeepsForwardedPropertiesAndRestoresFromStoredForm) {
  mqtt::Properties p;
  p.payload_format_indicator = 1;
  p.content_type = "application/json";
  p.response_topic = "reply/here";
  const std::string corr = "c0rr";
  p.correlation_data = core::as_bytes(corr);
  const auto user = mqtt::encode_user_properties({{"k1", "v1"}, {"k2", "v2"}});
  p.user_properties = mqtt::UserProperties(user);
  p.topic_alias = 3;  // per delivery: must not be kept
  const std::string payload = "{\"a\":1}";
  auto m = Message::make("t/1", core::as_bytes(payload), p, mqtt::Qos::k1, true, 1234, nullptr);

  auto r = Message::restore(m->topic(), m->payload_chars(), m->props_block(), m->qos(), m->retain(), m->expires_at_ms(), 7);
  for (const auto& msg : {m, r}) {
    mqtt::Properties out;
    msg->fill_properties(out);
    EXPECT_EQ(msg->topic(), "t/1");
    EXPECT_EQ(msg->payload_chars(), payload);
    EXPECT_EQ(out.payload_format_indicator, 1);
    EXPECT_EQ(out.content_type, "application/json");
    EXPECT_EQ(out.response_topic, "reply/here");
    ASSERT_TRUE(out.correlation_data);
    EXPECT_EQ(core::as_chars(*out.correlation_data), corr);
    EXPECT_FALSE(out.topic_alias);
    std::vector<std::pair<std::string, std::string>> kv;
    for (auto [k, v] : out.user_properties) kv.emplace_back(k, v);
    EXPECT_EQ(kv, (std::vector<std::pair<std::string, std::string>>{{"k1", "v1"}, {"k2", "v2"}}));
  }
  EXPECT_EQ(r->id(), 7u);
  EXPECT_EQ(r->expires_at_ms(), 1234);
}

TEST(Message, WithRetainCopiesViewsIntoTheCopy) {
  mqtt::Properties p;
  p.content_type = "text/plain";
  auto m = Message::make("a", core::as_bytes(std::string_view("x")), p, mqtt::Qos::k0, false, 0, nullptr);
  auto c = m->with_retain(true);
  m.reset();
  mqtt::Properties out;
  c->fill_properties(out);
  EXPECT_TRUE(c->retain());
  EXPECT_EQ(out.content_type, "text/plain");
}

TEST(Message, DamagedStoredPropertiesStopParsingSafely) {
  const std::string bad("\x03\x00\x10" "ab", 5);  // content type claims 16 bytes, has 2
  auto m = Message::restore("t", "p", bad, mqtt::Qos::k1, false, 0, 1);
  mqtt::Properties out;
  m->fill_properties(out);
  EXPECT_FALSE(out.content_type);
}

}  // namespace
}  // namespace tenet::broker
