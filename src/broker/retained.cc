#include "broker/retained.h"

#include "mqtt/topic.h"

namespace tenet::broker {

bool RetainedMessages::put(const MessagePtr& m) {
  std::lock_guard lock(mu_);
  if (m->payload().empty()) {
    auto it = by_topic_.find(m->topic());
    if (it == by_topic_.end()) return false;
    by_topic_.erase(it);
    return true;
  }
  by_topic_.insert_or_assign(std::string(m->topic()), m);
  return true;
}

void RetainedMessages::restore(const MessagePtr& m) {
  std::lock_guard lock(mu_);
  by_topic_.insert_or_assign(std::string(m->topic()), m);
}

std::vector<MessagePtr> RetainedMessages::match(std::string_view filter, std::int64_t now_ms) {
  std::vector<MessagePtr> out;
  std::lock_guard lock(mu_);
  auto alive = [&](const MessagePtr& m) { return m->expires_at_ms() == 0 || m->expires_at_ms() > now_ms; };
  if (!mqtt::has_wildcard(filter)) {
    if (auto it = by_topic_.find(filter); it != by_topic_.end()) {
      if (alive(it->second)) {
        out.push_back(it->second);
      } else {
        by_topic_.erase(it);
      }
    }
    return out;
  }
  for (auto it = by_topic_.begin(); it != by_topic_.end();) {
    if (!alive(it->second)) {
      it = by_topic_.erase(it);
      continue;
    }
    if (mqtt::topic_matches(filter, it->first)) out.push_back(it->second);
    ++it;
  }
  return out;
}

std::size_t RetainedMessages::size() const {
  std::lock_guard lock(mu_);
  return by_topic_.size();
}

}  // namespace tenet::broker
