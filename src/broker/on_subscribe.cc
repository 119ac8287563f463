// SUBSCRIBE and UNSUBSCRIBE: validate every filter, authorize each (iot:Subscribe), update the
// session and every loop's index, answer once all of them (and the store) have applied it.
#include "broker/broker.h"
#include "broker/connection.h"
#include "core/log.h"
#include "mqtt/topic.h"

namespace tenet::broker {

core::Result<void> Connection::on_subscribe(const mqtt::Subscribe& s) {
  const auto& limits = broker_.options().limits;
  const bool v5 = version_ == mqtt::Version::k5;
  if (v5 && s.props.subscription_identifier) {
    return core::fail(core::Errc::kProtocolViolation, "subscription identifiers are not supported");
  }
  const mqtt::TopicLimits tl{limits.max_topic_length, 0};
  std::vector<std::uint8_t> codes;
  codes.reserve(s.entries.size());
  std::vector<std::pair<std::string, SubscriptionState>> added;
  std::vector<bool> existed;
  for (const auto& e : s.entries) {
    const bool shared = mqtt::parse_shared(e.filter).has_value();
    if (auto ok = mqtt::validate_topic_filter(e.filter, tl); !ok) {
      codes.push_back(v5 ? static_cast<std::uint8_t>(mqtt::ReasonCode::kTopicFilterInvalid) : 0x80);
      continue;
    }
    if (shared && e.options.no_local) {
      return core::fail(core::Errc::kProtocolViolation, "No Local on a shared subscription");  // [MQTT-3.8.3-4]
    }
    const auto d = broker_.authorizer().authorize(principal_, authz::Action::kSubscribe, e.filter);
    if (!d.allowed()) {
      broker_.stats().authz_denied.fetch_add(1, std::memory_order_relaxed);
      core::log::info("deny iot:Subscribe {} by {}: {}", e.filter, principal_.client_id, d.explain());
      codes.push_back(v5 ? static_cast<std::uint8_t>(mqtt::ReasonCode::kNotAuthorized) : 0x80);
      continue;
    }
    const bool exists = session_->subscriptions.count(e.filter) > 0;
    if (!exists && session_->subscriptions.size() >= limits.max_subscriptions) {
      codes.push_back(v5 ? static_cast<std::uint8_t>(mqtt::ReasonCode::kQuotaExceeded) : 0x80);
      continue;
    }
    SubscriptionState st;
    st.options = e.options;
    session_->subscriptions.insert_or_assign(std::string(e.filter), st);
    added.emplace_back(std::string(e.filter), st);
    existed.push_back(exists);
    codes.push_back(static_cast<std::uint8_t>(e.options.qos));
  }
  auto self = shared_from_this();
  auto session = session_;
  const std::uint16_t id = s.packet_id;
  auto retained = added;
  pause();
  broker_.subscribe(session, std::move(added),
                    [self, session, id, codes = std::move(codes), retained = std::move(retained),
                     existed = std::move(existed)]() mutable {
                      self->send_suback(id, std::move(codes));
                      self->resume();
                      // Retained messages after SUBACK, per Retain Handling [MQTT-3.3.1-9..11].
                      for (std::size_t i = 0; i < retained.size(); ++i) {
                        const auto& [filter, st] = retained[i];
                        if (mqtt::parse_shared(filter)) continue;  // never for shared subscriptions
                        if (st.options.retain_handling == 2) continue;
                        if (st.options.retain_handling == 1 && existed[i]) continue;
                        self->broker_.deliver_retained(session, filter, st);
                      }
                    });
  return {};
}

core::Result<void> Connection::on_unsubscribe(const mqtt::Unsubscribe& u) {
  const bool v5 = version_ == mqtt::Version::k5;
  std::vector<std::uint8_t> codes;
  std::vector<std::string> removed;
  for (auto f : u.filters) {
    auto it = session_->subscriptions.find(f);
    if (it == session_->subscriptions.end()) {
      codes.push_back(static_cast<std::uint8_t>(mqtt::ReasonCode::kNoSubscriptionExisted));
      continue;
    }
    session_->subscriptions.erase(it);
    removed.emplace_back(f);
    codes.push_back(0);
  }
  if (!v5) codes.clear();
  auto self = shared_from_this();
  const std::uint16_t id = u.packet_id;
  pause();
  broker_.unsubscribe(session_, std::move(removed), [self, id, codes = std::move(codes)]() mutable {
    self->send_unsuback(id, std::move(codes));
    self->resume();
  });
  return {};
}

}  // namespace tenet::broker
