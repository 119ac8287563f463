#include "store/memory_store.h"

#include <algorithm>
#include <type_traits>
#include <utility>

#include "store/detail/ops.h"

namespace tenet::store {

MemoryStore::MemoryStore(const core::Clock& clock) : clock_(clock) {}

core::Result<std::vector<StoredMessage>> MemoryStore::load_retained() {
  std::lock_guard lock(mu_);
  if (closed_) return core::fail(core::Errc::kUnavailable, "store is closed");
  const std::int64_t now = clock_.unix_ms();
  std::erase_if(retained_, [&](const auto& kv) { return detail::is_expired(kv.second.expires_at_ms, now); });
  std::vector<StoredMessage> out;
  out.reserve(retained_.size());
  for (const auto& [topic, message] : retained_) out.push_back(message);
  return out;
}

core::Result<std::vector<StoredSession>> MemoryStore::load_sessions() {
  std::lock_guard lock(mu_);
  if (closed_) return core::fail(core::Errc::kUnavailable, "store is closed");
  const std::int64_t now = clock_.unix_ms();
  std::vector<StoredSession> out;
  out.reserve(sessions_.size());
  for (auto& [client_id, session] : sessions_) {
    StoredSession s{client_id, session.expiry_interval_s, session.disconnected_at_ms, {}, {}};
    for (const auto& [filter, sub] : session.subscriptions) s.subscriptions.push_back(sub);
    for (auto it = session.queue.begin(); it != session.queue.end();) {
      const Body& body = messages_.at(it->first);
      // [MQTT-3.3.2-5] drop expired copies whose delivery has not started; in-flight ones stay.
      if (it->second.packet_id == 0 && detail::is_expired(body.message.expires_at_ms, now)) {
        const std::uint64_t id = it->first;
        it = session.queue.erase(it);
        unref(id);
        continue;
      }
      s.queue.push_back(QueuedMessage{body.message, it->second.qos, it->second.packet_id, it->second.state});
      ++it;
    }
    out.push_back(std::move(s));
  }
  return out;
}

core::Result<std::uint64_t> MemoryStore::max_message_id() {
  std::lock_guard lock(mu_);
  if (closed_) return core::fail(core::Errc::kUnavailable, "store is closed");
  return max_message_id_;
}

void MemoryStore::submit(std::vector<Op> ops, std::function<void(core::Result<void>)> done) {
  core::Result<void> result;
  {
    std::lock_guard lock(mu_);
    if (closed_) {
      result = core::fail(core::Errc::kCancelled, "store is closed");
    } else if (auto valid = detail::validate(ops); !valid) {
      result = std::move(valid);  // all or none: nothing applied
    } else {
      for (const Op& op : ops) apply(op);
    }
  }
  if (done) done(std::move(result));
}

void MemoryStore::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
}

std::size_t MemoryStore::message_count_for_test() const {
  std::lock_guard lock(mu_);
  return messages_.size();
}

void MemoryStore::unref(std::uint64_t message_id) {
  auto it = messages_.find(message_id);
  if (it != messages_.end() && --it->second.refs == 0) messages_.erase(it);
}

void MemoryStore::apply(const Op& op) {
  std::visit(
      [this](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, op::PutRetained>) {
          retained_[o.message.topic] = o.message;
          bump_max_id(o.message.id);
        } else if constexpr (std::is_same_v<T, op::DeleteRetained>) {
          retained_.erase(o.topic);
        } else if constexpr (std::is_same_v<T, op::PutSession>) {
          Session& s = sessions_[o.client_id];
          s.expiry_interval_s = o.expiry_interval_s;
          s.disconnected_at_ms = o.disconnected_at_ms;
        } else if constexpr (std::is_same_v<T, op::DeleteSession>) {
          auto it = sessions_.find(o.client_id);
          if (it == sessions_.end()) return;
          for (const auto& [id, entry] : it->second.queue) unref(id);
          sessions_.erase(it);
        } else if constexpr (std::is_same_v<T, op::PutSubscription>) {
          auto it = sessions_.find(o.client_id);
          if (it != sessions_.end()) it->second.subscriptions[o.sub.filter] = o.sub;
        } else if constexpr (std::is_same_v<T, op::DeleteSubscription>) {
          auto it = sessions_.find(o.client_id);
          if (it != sessions_.end()) it->second.subscriptions.erase(o.filter);
        } else if constexpr (std::is_same_v<T, op::Enqueue>) {
          bump_max_id(o.message.id);
          // An existing body wins, as in SQL's ON CONFLICT DO NOTHING.
          auto body = messages_.try_emplace(o.message.id, Body{o.message, 0}).first;
          for (const auto& [client_id, qos] : o.targets) {
            auto s = sessions_.find(client_id);
            if (s == sessions_.end()) continue;
            if (s->second.queue.try_emplace(o.message.id, QueueEntry{qos, 0, 0}).second) ++body->second.refs;
          }
          if (body->second.refs == 0) messages_.erase(body);
        } else if constexpr (std::is_same_v<T, op::MarkSent>) {
          auto s = sessions_.find(o.client_id);
          if (s == sessions_.end()) return;
          auto q = s->second.queue.find(o.message_id);
          if (q == s->second.queue.end()) return;
          q->second.packet_id = o.packet_id;
          q->second.state = o.state;
        } else if constexpr (std::is_same_v<T, op::Dequeue>) {
          auto s = sessions_.find(o.client_id);
          if (s == sessions_.end()) return;
          if (s->second.queue.erase(o.message_id) > 0) unref(o.message_id);
        }
      },
      op);
}

std::unique_ptr<BrokerStore> make_memory_store(const core::Clock& clock) {
  return std::make_unique<MemoryStore>(clock);
}

std::unique_ptr<BrokerStore> make_memory_store() {
  static const core::SystemClock clock;
  return make_memory_store(clock);
}

}  // namespace tenet::store
