#include "authz/policy_authorizer.h"

#include <string>

namespace tenet::authz {

policy::Request to_policy_request(Action action, std::string_view resource) {
  using policy::ResourceType;
  switch (action) {
    case Action::kConnect:
      return {policy::action::kConnect, ResourceType::kClient, resource};
    case Action::kPublish:
      return {policy::action::kPublish, ResourceType::kTopic, resource};
    case Action::kRetainPublish:
      return {policy::action::kRetainPublish, ResourceType::kTopic, resource};
    case Action::kSubscribe:
      return {policy::action::kSubscribe, ResourceType::kTopicFilter, resource};
    case Action::kReceive:
      return {policy::action::kReceive, ResourceType::kTopic, resource};
  }
  return {policy::action::kConnect, ResourceType::kClient, resource};
}

namespace {

std::string_view resource_prefix(Action a) {
  switch (a) {
    case Action::kConnect:
      return "client/";
    case Action::kSubscribe:
      return "topicfilter/";
    case Action::kPublish:
    case Action::kRetainPublish:
    case Action::kReceive:
      return "topic/";
  }
  return "";
}

}  // namespace

Decision PolicyAuthorizer::authorize(const Principal& who, Action action, std::string_view resource) const {
  if (who.certificate_id.empty()) return Decision::deny("no verified client certificate");
  const std::uint64_t gen = generation();
  if (!who.policies || who.policies_generation != gen) {
    who.policies = source_.bind(who);
    who.policies_generation = gen;
  }
  const policy::Decision d = who.policies->evaluate(to_policy_request(action, resource));
  if (log_ != nullptr) log_->record(who, action, resource, d);
  if (d.allowed()) return Decision::allow("allowed by policy");
  thread_local std::string reason;
  reason.assign(to_string(action));
  reason += " on ";
  reason += resource_prefix(action);
  reason += resource;
  if (d.effect == policy::Effect::kExplicitDeny && d.decided_by) {
    reason += ": explicitly denied by policy ";
    reason += d.decided_by.policy->name();
    reason += " statement ";
    reason += std::to_string(d.decided_by.statement);
  } else {
    reason += ": no policy statement allows it";
  }
  return Decision::deny(reason);
}

}  // namespace tenet::authz
