#pragma once

// The production Authorizer (authz.mode = "policy", the default): AWS IoT policies evaluated on
// every request (docs/policy.md). A connection's policies are bound once — its certificate's
// policies plus those of its thing's static groups and their ancestors, with its variables
// resolved — and kept on the Principal. Any change to policies, attachments, group membership or
// certificates bumps a generation counter (invalidate()); each session re-binds lazily at its
// next request, so new decisions apply from the very next packet. Evaluating a bound set takes no
// lock and does not allocate.

#include <atomic>
#include <cstdint>
#include <memory>

#include "authz/authorizer.h"
#include "authz/decision_log.h"
#include "policy/engine.h"

namespace tenet::authz {

// What the authorizer needs from the registries (the server implements it).
class PolicySource {
 public:
  virtual ~PolicySource() = default;
  // The bound policy set of `who` now. Called on the connection's event loop at its first request
  // and after each invalidate(): must not block on I/O. Never returns null.
  virtual std::shared_ptr<const policy::BoundPolicySet> bind(const Principal& who) const = 0;
};

class PolicyAuthorizer final : public Authorizer {
 public:
  // `source` must outlive the authorizer.
  explicit PolicyAuthorizer(const PolicySource& source) : source_(source) {}

  // The reason of a deny names the action, the resource and why (no statement matched, or an
  // explicit Deny); it stays valid until the next authorize() call on the same thread.
  Decision authorize(const Principal& who, Action action, std::string_view resource) const override;

  // Every session re-binds its policies at its next request. Thread-safe.
  void invalidate() { generation_.fetch_add(1, std::memory_order_acq_rel); }
  // Every deny, sampled allows and report-only denies go to `log` (must outlive the authorizer).
  // REQUIRES: before the first authorize().
  void set_decision_log(DecisionLog* log) { log_ = log; }
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  const PolicySource& source_;
  DecisionLog* log_ = nullptr;
  std::atomic<std::uint64_t> generation_{1};
};

// The policy-language form of an authz request: iot:Connect on client/<id>, iot:Publish on
// topic/<name>, iot:Subscribe on topicfilter/<filter>, ...
policy::Request to_policy_request(Action action, std::string_view resource);

}  // namespace tenet::authz
