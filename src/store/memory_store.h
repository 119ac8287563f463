#pragma once

// The in-memory BrokerStore (make_memory_store()): the semantics of the SQLite store, nothing
// durable. Exposed as a class only for its test hooks.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "store/broker_store.h"

namespace tenet::store {

// Thread-safe (one mutex). submit() applies the batch and runs `done` before returning, on the
// caller's thread and outside the lock, so a completion may submit again.
class MemoryStore final : public BrokerStore {
 public:
  explicit MemoryStore(const core::Clock& clock);  // `clock` must outlive the store

  core::Result<std::vector<StoredMessage>> load_retained() override;
  core::Result<std::vector<StoredSession>> load_sessions() override;
  core::Result<std::uint64_t> max_message_id() override;
  void submit(std::vector<Op> ops, std::function<void(core::Result<void>)> done) override;
  void flush() override {}
  void close() override;

  // Message bodies held for session queues (each stored once however many sessions queue it).
  std::size_t message_count_for_test() const;

 private:
  struct QueueEntry {
    std::uint8_t qos = 0;
    std::uint16_t packet_id = 0;
    std::uint8_t state = 0;
  };
  struct Session {
    std::uint32_t expiry_interval_s = 0;
    std::int64_t disconnected_at_ms = 0;
    std::map<std::string, StoredSubscription> subscriptions;  // by filter
    std::map<std::uint64_t, QueueEntry> queue;                 // by message id
  };
  struct Body {
    StoredMessage message;
    std::size_t refs = 0;  // queue entries naming it; the body goes when this reaches 0
  };

  void apply(const Op& op);  // REQUIRES: mu_ held; the op was validated
  void unref(std::uint64_t message_id);  // REQUIRES: mu_ held
  void bump_max_id(std::uint64_t id) { max_message_id_ = std::max(max_message_id_, id); }

  const core::Clock& clock_;
  mutable std::mutex mu_;
  // All guarded by mu_.
  bool closed_ = false;
  std::map<std::string, StoredMessage> retained_;  // by topic
  std::map<std::string, Session> sessions_;         // by client id
  std::map<std::uint64_t, Body> messages_;          // by id
  std::uint64_t max_message_id_ = 0;
};

}  // namespace tenet::store
