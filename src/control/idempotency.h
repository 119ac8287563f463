#pragma once

// clientRequestToken idempotency for the operations whose model has one (CreateCustomMetric,
// Start*MitigationActionsTask, ...). A retry with the same token and the same request replays the
// first successful reply; the same token with a different request is a ConflictException. Tokens
// are kept 24 hours. Thread-safe.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "control/call.h"
#include "core/clock.h"
#include "core/result.h"

namespace tenet::store {
class Db;
}

namespace tenet::control {

class Idempotency {
 public:
  static core::Result<std::unique_ptr<Idempotency>> open(const std::string& db_path, const core::Clock& clock);
  ~Idempotency();

  // Runs `handler` unless (operation, token) was seen: then replays the stored reply, or answers
  // 409 ConflictException when the stored request differs. An empty token just runs the handler.
  // Only successful replies are stored, so a failed call can be retried with the same token.
  Reply run(const Call& call, std::string_view token, const std::function<Reply()>& handler);

 private:
  Idempotency(std::unique_ptr<store::Db> db, const core::Clock& clock);
  std::mutex mu_;
  std::unique_ptr<store::Db> db_;
  const core::Clock& clock_;
};

}  // namespace tenet::control
