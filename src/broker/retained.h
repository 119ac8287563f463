#pragma once

// Retained messages: one per topic, in memory for lookups and mirrored to the store by the caller.
// Thread-safe (one mutex; retained publishes and subscribes are rare next to plain publishes).

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "broker/message.h"

namespace tenet::broker {

class RetainedMessages {
 public:
  // Stores `m` for its topic, or deletes the topic's message when the payload is empty [MQTT-3.3.1-10].
  // Returns true if something changed.
  bool put(const MessagePtr& m);
  void restore(const MessagePtr& m);

  // Messages whose topics match `filter` (exact or wildcard); expired ones are skipped and dropped.
  std::vector<MessagePtr> match(std::string_view filter, std::int64_t now_ms);

  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, MessagePtr, std::less<>> by_topic_;
};

}  // namespace tenet::broker
