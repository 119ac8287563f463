#pragma once

// Evaluation: bind() the policies of one principal to one connection at CONNECT (all
// connection-scoped variables and conditions are resolved there, once), then ask evaluate() per
// request. evaluate() takes no lock and does not allocate. explain() is the slow path that says
// why, for logs, the admin API and `tenet policy explain`.

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policy/actions.h"
#include "policy/context.h"
#include "policy/policy.h"

namespace tenet::policy {

// The resource of a request: the broker passes the type and the tail separately, e.g.
// {kTopic, "a/b"} stands for arn:<partition>:iot:<region>:<account>:topic/a/b. kArn means
// `name` is the whole resource string (an ARN, or "*" for actions without a resource).
enum class ResourceType : std::uint8_t { kClient, kTopic, kTopicFilter, kThing, kRoleAlias, kArn };

struct Request {
  ActionId action = action::kConnect;
  ResourceType type = ResourceType::kArn;
  std::string_view name;  // client id, topic name, topic filter as sent, thing name, ... or ARN
};

enum class Effect : std::uint8_t { kAllow, kExplicitDeny, kImplicitDeny };
std::string_view to_string(Effect e) noexcept;

// Points at one statement of one policy of the bound set; valid while the set lives.
struct StatementRef {
  const Policy* policy = nullptr;
  int statement = -1;  // index into policy->statements()
  explicit operator bool() const noexcept { return policy != nullptr; }
};

struct Decision {
  Effect effect = Effect::kImplicitDeny;
  StatementRef decided_by;        // the matching Deny, or the first matching Allow; none if implicit
  StatementRef report_only_deny;  // a matching report-only Deny ("would have denied"), if any
  bool allowed() const noexcept { return effect == Effect::kAllow; }
  bool would_have_denied() const noexcept { return static_cast<bool>(report_only_deny); }
};

// Why a decision was made: every statement of every policy, what matched, the variables that
// were substituted (or not), and each condition's result.
struct Explanation {
  struct Variable {
    std::string name;
    bool resolved = false;
    std::string value;  // when resolved (after escaping)
    std::string note;   // why not resolved
  };
  struct ConditionResult {
    std::string operator_text;
    std::string key;
    bool key_present = false;
    std::vector<std::string> key_values;
    std::vector<std::string> values;  // after substitution
    bool per_request = false;         // evaluated per request (time keys)
    bool result = false;
  };
  struct StatementResult {
    std::string policy_name;
    std::string policy_version;
    int statement = -1;
    std::string sid;
    std::string effect;  // "Allow", "Deny", "Deny (report-only)"
    bool action_matched = false;
    bool resource_matched = false;
    std::string matched_resource;        // the pattern that matched (or for NotResource: none)
    std::vector<std::string> resources;  // patterns after substitution
    std::vector<Variable> variables;
    std::vector<ConditionResult> conditions;
    bool conditions_matched = false;
    bool applies = false;  // action, resource and conditions all matched
  };

  Decision decision;
  std::string action;
  std::string resource;
  std::vector<StatementResult> statements;

  std::string to_text() const;
  std::string to_json() const;  // a JSON object; field names as in this struct
};

namespace detail {
struct BoundData;
}

// The policies of one principal bound to one connection. Immutable after bind(): safe to share
// across threads; cheap to copy (shared state).
class BoundPolicySet {
 public:
  BoundPolicySet();

  // Deny wins over Allow; report-only Denies are recorded, not enforced; no match is an implicit
  // deny. Reads the clock only through `now` (used by aws:CurrentTime / aws:EpochTime).
  // Never allocates, never locks.
  Decision evaluate(const Request& request, std::chrono::system_clock::time_point now) const noexcept;
  // Same, reading the system clock only if a statement has a time condition.
  Decision evaluate(const Request& request) const noexcept;

  // Slow path; allocates freely. Its decision equals evaluate()'s.
  Explanation explain(const Request& request, std::chrono::system_clock::time_point now) const;

  const std::vector<std::shared_ptr<const Policy>>& policies() const noexcept;
  const Context& context() const noexcept;
  bool has_time_conditions() const noexcept;

 private:
  friend BoundPolicySet bind(std::vector<std::shared_ptr<const Policy>>, Context, const Scope&);
  std::shared_ptr<const detail::BoundData> d_;
};

// Resolves the connection-scoped variables and conditions of `policies` for `context`.
// Null entries are skipped. Cost grows with the number of statements; call once per CONNECT
// (or when the attached policies change).
BoundPolicySet bind(std::vector<std::shared_ptr<const Policy>> policies, Context context,
                    const Scope& scope);

// The resource string a request stands for ("arn:aws:iot:us-east-1:123:topic/a/b"); allocates.
std::string resource_arn(const Scope& scope, ResourceType type, std::string_view name);

}  // namespace tenet::policy
