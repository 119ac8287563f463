// Control-plane operations of the policy store (docs/policy.md#policy-operations). Shapes follow the
// botocore `iot` model: URIs, member names and errors.

#include <algorithm>
#include <cctype>
#include <set>

#include <boost/json.hpp>

#include "control/errors.h"
#include "control/operations.h"
#include "control/paging.h"
#include "control/router.h"
#include "control/tags.h"
#include "policies/policies.h"
#include "policy/engine.h"

namespace tenet::policies {
namespace {

namespace json = boost::json;
namespace errors = control::errors;
using control::Call;
using control::Reply;

Reply reply_error(const core::Error& e) {
  auto f = fault_of(e);
  if (!f) return errors::from(e);
  switch (*f) {
    case Fault::kInvalidRequest: return errors::invalid_request(e.detail);
    case Fault::kNotFound: return errors::not_found(e.detail);
    case Fault::kAlreadyExists: return errors::already_exists(e.detail);
    case Fault::kMalformedPolicy: return errors::malformed_policy(e.detail);
    case Fault::kVersionsLimitExceeded: return errors::versions_limit_exceeded(e.detail);
    case Fault::kDeleteConflict: return errors::delete_conflict(e.detail);
    case Fault::kLimitExceeded: return errors::limit_exceeded(e.detail);
  }
  return errors::from(e);
}

json::value seconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }

// A string member: absent/null -> nullopt; not a string -> error.
std::optional<std::string> string_member(const json::object& o, std::string_view name, std::string* error) {
  auto it = o.find(name);
  if (it == o.end() || it->value().is_null()) return std::nullopt;
  if (!it->value().is_string()) {
    *error = std::string(name) + " must be a string";
    return std::nullopt;
  }
  return std::string(it->value().as_string());
}

// A list-of-strings member: absent/null -> empty.
bool string_list(const json::object& o, std::string_view name, std::vector<std::string>* out, std::string* error) {
  auto it = o.find(name);
  if (it == o.end() || it->value().is_null()) return true;
  if (!it->value().is_array()) {
    *error = std::string(name) + " must be a list of strings";
    return false;
  }
  for (const auto& v : it->value().as_array()) {
    if (!v.is_string()) {
      *error = std::string(name) + " must be a list of strings";
      return false;
    }
    out->emplace_back(v.as_string());
  }
  return true;
}

std::optional<bool> query_bool(const Call& call, std::string_view name, std::string* error) {
  auto v = call.query_param(name);
  if (!v) return std::nullopt;
  std::string s(*v);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "true") return true;
  if (s == "false") return false;
  *error = std::string(name) + " must be true or false";
  return std::nullopt;
}

json::object policy_ref(const std::string& name, const std::string& arn) {
  return json::object{{"policyName", name}, {"policyArn", arn}};
}

// One marker/pageSize page over `keys` (already in listing order, unique). Appends the chosen keys
// to `out`; returns the nextMarker ("" when this is the last page).
core::Result<std::string> page_of(const Call& call, std::string_view listing, bool descending,
                                  const std::vector<std::string>& keys, std::vector<std::string>* out) {
  auto page = control::read_page(call, listing, "marker", "pageSize", 250);
  if (!page) return core::propagate(std::move(page));
  std::size_t i = 0;
  if (!page->after.empty()) {
    while (i < keys.size() && (descending ? keys[i] >= page->after : keys[i] <= page->after)) ++i;
  }
  for (; i < keys.size() && out->size() < page->limit; ++i) out->push_back(keys[i]);
  return i < keys.size() && !out->empty() ? control::page_token(listing, out->back()) : std::string();
}

std::optional<policy::ActionId> action_of(std::string_view t) {
  if (t == "PUBLISH") return policy::action::kPublish;
  if (t == "SUBSCRIBE") return policy::action::kSubscribe;
  if (t == "RECEIVE") return policy::action::kReceive;
  if (t == "CONNECT") return policy::action::kConnect;
  return std::nullopt;
}

}  // namespace

struct Operations {
  PolicyStore& s;
  control::Tags& tags;

  Reply bad_json(const core::Error& e) const { return errors::invalid_request(e.detail); }

  Reply create_policy(Call& call) {
    const std::string name(call.label("policyName"));
    call.resource = s.partition().arn("policy", name);
    auto body = call.json();
    if (!body) return bad_json(body.error());
    std::string err;
    auto doc = string_member(*body, "policyDocument", &err);
    if (!err.empty()) return errors::invalid_request(err);
    if (!doc) return errors::invalid_request("policyDocument is required");
    std::vector<control::Tag> tag_list;
    if (auto it = body->find("tags"); it != body->end() && !it->value().is_null()) {
      if (!it->value().is_array()) return errors::invalid_request("tags must be a list of {Key, Value}");
      for (const auto& t : it->value().as_array()) {
        const auto* o = t.if_object();
        if (o == nullptr || !o->contains("Key") || !o->at("Key").is_string()) {
          return errors::invalid_request("each tag needs a string Key");
        }
        std::string value;
        if (auto v = o->find("Value"); v != o->end() && v->value().is_string()) value = v->value().as_string();
        tag_list.emplace_back(std::string(o->at("Key").as_string()), std::move(value));
      }
    }
    auto p = s.create(name, *doc);
    if (!p) return reply_error(p.error());
    if (!tag_list.empty()) {
      if (auto r = tags.tag((*p)->arn, tag_list); !r) {
        (void)s.remove(name);  // keep CreatePolicy all-or-nothing
        return errors::from(r.error());
      }
    }
    return Reply::json({{"policyName", (*p)->name},
                        {"policyArn", (*p)->arn},
                        {"policyDocument", (*p)->default_version().document},
                        {"policyVersionId", (*p)->default_version_id}});
  }

  Reply get_policy(Call& call) {
    auto p = s.find(call.label("policyName"));
    if (!p) return errors::not_found("policy " + std::string(call.label("policyName")) + " does not exist");
    call.resource = p->arn;
    return Reply::json({{"policyName", p->name},
                        {"policyArn", p->arn},
                        {"policyDocument", p->default_version().document},
                        {"defaultVersionId", p->default_version_id},
                        {"creationDate", seconds(p->created_at_ms)},
                        {"lastModifiedDate", seconds(p->modified_at_ms)},
                        {"generationId", p->generation_id}});
  }

  // The policies named `names` (existing ones) as a marker/pageSize page of {policyName, policyArn}.
  Reply policy_page(const Call& call, std::string_view listing, std::vector<std::string> names, bool honour_order) {
    std::string err;
    bool descending = false;
    if (honour_order) {
      auto asc = query_bool(call, "isAscendingOrder", &err);
      if (!err.empty()) return errors::invalid_request(err);
      descending = asc.has_value() && !*asc;
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    if (descending) std::reverse(names.begin(), names.end());
    std::vector<std::string> chosen;
    const std::string list_name = std::string(listing) + (descending ? "-desc" : "");
    auto next = page_of(call, list_name, descending, names, &chosen);
    if (!next) return errors::invalid_request(next.error().detail);
    json::array out;
    for (const auto& n : chosen) out.push_back(policy_ref(n, s.partition().arn("policy", n)));
    json::object reply{{"policies", std::move(out)}};
    if (!next->empty()) reply["nextMarker"] = *next;
    return Reply::json(std::move(reply));
  }

  Reply list_policies(Call& call) {
    std::vector<std::string> names;
    for (const auto& p : s.list()) names.push_back(p->name);
    return policy_page(call, "policies", std::move(names), true);
  }

  Reply delete_policy(Call& call) {
    const std::string name(call.label("policyName"));
    auto p = s.find(name);
    if (p) call.resource = p->arn;
    if (auto r = s.remove(name); !r) return reply_error(r.error());
    (void)tags.forget(s.partition().arn("policy", name));
    return Reply::empty();
  }

  Reply create_policy_version(Call& call) {
    const std::string name(call.label("policyName"));
    call.resource = s.partition().arn("policy", name);
    auto body = call.json();
    if (!body) return bad_json(body.error());
    std::string err;
    auto doc = string_member(*body, "policyDocument", &err);
    if (!err.empty()) return errors::invalid_request(err);
    if (!doc) return errors::invalid_request("policyDocument is required");
    auto set_default = query_bool(call, "setAsDefault", &err);
    if (!err.empty()) return errors::invalid_request(err);
    auto p = s.create_version(name, *doc, set_default.value_or(false));
    if (!p) return reply_error(p.error());
    const Version& v = (*p)->versions.back();
    return Reply::json({{"policyArn", (*p)->arn},
                        {"policyDocument", v.document},
                        {"policyVersionId", v.id},
                        {"isDefaultVersion", v.id == (*p)->default_version_id}});
  }

  Reply get_policy_version(Call& call) {
    const std::string name(call.label("policyName"));
    auto p = s.find(name);
    if (!p) return errors::not_found("policy " + name + " does not exist");
    call.resource = p->arn;
    const Version* v = p->find_version(call.label("policyVersionId"));
    if (v == nullptr) {
      return errors::not_found("policy " + name + " has no version " + std::string(call.label("policyVersionId")));
    }
    return Reply::json({{"policyArn", p->arn},
                        {"policyName", p->name},
                        {"policyDocument", v->document},
                        {"policyVersionId", v->id},
                        {"isDefaultVersion", v->id == p->default_version_id},
                        {"creationDate", seconds(v->created_at_ms)},
                        {"lastModifiedDate", seconds(v->created_at_ms)},
                        {"generationId", p->generation_id}});
  }

  Reply list_policy_versions(Call& call) {
    const std::string name(call.label("policyName"));
    auto p = s.find(name);
    if (!p) return errors::not_found("policy " + name + " does not exist");
    call.resource = p->arn;
    json::array out;
    for (const auto& v : p->versions) {
      out.push_back(json::object{
          {"versionId", v.id}, {"isDefaultVersion", v.id == p->default_version_id}, {"createDate", seconds(v.created_at_ms)}});
    }
    return Reply::json({{"policyVersions", std::move(out)}});
  }

  Reply set_default_policy_version(Call& call) {
    call.resource = s.partition().arn("policy", call.label("policyName"));
    if (auto r = s.set_default(call.label("policyName"), call.label("policyVersionId")); !r) return reply_error(r.error());
    return Reply::empty();
  }

  Reply delete_policy_version(Call& call) {
    call.resource = s.partition().arn("policy", call.label("policyName"));
    if (auto r = s.remove_version(call.label("policyName"), call.label("policyVersionId")); !r) {
      return reply_error(r.error());
    }
    return Reply::empty();
  }

  std::optional<Reply> target_of_body(Call& call, std::string* target) {
    auto body = call.json();
    if (!body) return bad_json(body.error());
    std::string err;
    auto t = string_member(*body, "target", &err);
    if (!err.empty()) return errors::invalid_request(err);
    if (!t || t->empty()) return errors::invalid_request("target is required");
    *target = std::move(*t);
    return std::nullopt;
  }

  Reply attach_policy(Call& call) {
    std::string target;
    if (auto bad = target_of_body(call, &target)) return *bad;
    call.resource = target;
    if (auto r = s.attach(call.label("policyName"), target); !r) return reply_error(r.error());
    return Reply::empty();
  }

  Reply detach_policy(Call& call) {
    std::string target;
    if (auto bad = target_of_body(call, &target)) return *bad;
    call.resource = target;
    if (auto r = s.detach(call.label("policyName"), target); !r) return reply_error(r.error());
    return Reply::empty();
  }

  // Checks a target ARN (type, existence). Returns an error reply or nullopt.
  std::optional<Reply> check_target(std::string_view target, std::optional<TargetType>* type) {
    *type = parse_target(target, s.partition());
    if (!*type) {
      return errors::invalid_request("target " + std::string(target) +
                                     " is not a certificate or thing-group ARN of this hub");
    }
    if (!s.target_exists(target)) return errors::not_found("target " + std::string(target) + " does not exist");
    return std::nullopt;
  }

  std::vector<std::string> group_arns_with_ancestors(std::string_view group_name) {
    std::vector<std::string> out{s.partition().arn("thinggroup", group_name)};
    if (s.group_ancestors_) {
      for (const auto& a : s.group_ancestors_(group_name)) out.push_back(s.partition().arn("thinggroup", a));
    }
    return out;
  }

  Reply list_attached_policies(Call& call) {
    const std::string target(call.label("target"));
    call.resource = target;
    std::optional<TargetType> type;
    if (auto bad = check_target(target, &type)) return *bad;
    std::string err;
    auto recursive = query_bool(call, "recursive", &err);
    if (!err.empty()) return errors::invalid_request(err);
    std::vector<std::string> names;
    if (*type == TargetType::kThingGroup && recursive.value_or(false)) {
      auto arn = control::parse_arn(target);
      for (const auto& g : group_arns_with_ancestors(arn->type_and_name().second)) {
        for (auto& n : s.policies_of(g)) names.push_back(std::move(n));
      }
    } else {
      names = s.policies_of(target);
    }
    return policy_page(call, "attached-policies\n" + target, std::move(names), false);
  }

  Reply list_targets_for_policy(Call& call) {
    const std::string name(call.label("policyName"));
    auto p = s.find(name);
    if (!p) return errors::not_found("policy " + name + " does not exist");
    call.resource = p->arn;
    std::vector<std::string> chosen;
    auto next = page_of(call, "policy-targets\n" + name, false, s.targets_of(name), &chosen);
    if (!next) return errors::invalid_request(next.error().detail);
    json::array out;
    for (const auto& t : chosen) out.emplace_back(t);
    json::object reply{{"targets", std::move(out)}};
    if (!next->empty()) reply["nextMarker"] = *next;
    return Reply::json(std::move(reply));
  }

  // Policy names attached to a principal (certificate ARN, may be empty) and to the static thing
  // groups (with ancestors) of `thing_name` (may be empty). Sorted, unique.
  std::optional<Reply> effective_names(std::string_view principal, std::string_view thing_name,
                                       std::vector<std::string>* names) {
    if (!principal.empty()) {
      std::optional<TargetType> type;
      if (auto bad = check_target(principal, &type)) return bad;
      if (*type != TargetType::kCertificate) {
        return errors::invalid_request("principal " + std::string(principal) + " is not a certificate ARN");
      }
      *names = s.policies_of(principal);
    }
    if (!thing_name.empty() && s.thing_groups_) {
      for (const auto& g : s.thing_groups_(thing_name)) {
        for (auto& n : s.policies_of(s.partition().arn("thinggroup", g))) names->push_back(std::move(n));
      }
    }
    std::sort(names->begin(), names->end());
    names->erase(std::unique(names->begin(), names->end()), names->end());
    return std::nullopt;
  }

  Reply get_effective_policies(Call& call) {
    auto body = call.json();
    if (!body) return bad_json(body.error());
    std::string err;
    auto principal = string_member(*body, "principal", &err);
    if (!err.empty()) return errors::invalid_request(err);
    const std::string thing(call.query_param("thingName").value_or(""));
    call.resource = principal.value_or(thing);
    std::vector<std::string> names;
    if (auto bad = effective_names(principal.value_or(""), thing, &names)) return *bad;
    json::array out;
    for (const auto& n : names) {
      auto p = s.find(n);
      if (!p) continue;
      out.push_back(json::object{{"policyName", p->name}, {"policyArn", p->arn}, {"policyDocument", p->default_version().document}});
    }
    return Reply::json({{"effectivePolicies", std::move(out)}});
  }

  // The bound policy set TestAuthorization and ExplainAuthorization evaluate: the principal's
  // effective policies (certificate + its thing's static groups and ancestors), minus `to_skip`,
  // plus `to_add`, plus an optional draft document; with the context the broker would build.
  std::optional<Reply> bind_for(const std::string& principal, const std::string& client_id,
                                const std::vector<std::string>& to_add, const std::vector<std::string>& to_skip,
                                const std::string& draft, std::vector<std::string>* names, policy::BoundPolicySet* out) {
    policy::Context ctx;
    if (s.context_builder_) {
      ctx = s.context_builder_(principal, client_id);
    } else {
      ctx.client_id = client_id;
    }
    if (auto bad = effective_names(principal, ctx.thing ? std::string_view(ctx.thing->name) : "", names)) return bad;
    std::erase_if(*names, [&](const std::string& n) { return std::find(to_skip.begin(), to_skip.end(), n) != to_skip.end(); });
    for (const auto& n : to_add) {
      if (!s.find(n)) return errors::not_found("policy " + n + " (policyNamesToAdd) does not exist");
      if (std::find(names->begin(), names->end(), n) == names->end()) names->push_back(n);
    }
    std::vector<std::shared_ptr<const policy::Policy>> compiled;
    for (const auto& n : *names) {
      if (auto p = s.find(n); p && p->default_version().compiled) compiled.push_back(p->default_version().compiled);
    }
    if (!draft.empty()) {
      policy::CompileOptions o;
      o.scope = s.scope();
      o.policy_name = "(draft)";
      o.version_id = "draft";
      auto d = policy::compile(draft, o);
      if (!d) return errors::malformed_policy("malformed policy document: " + d.error().detail);
      compiled.push_back(*d);
    }
    *out = policy::bind(std::move(compiled), std::move(ctx), s.scope());
    return std::nullopt;
  }

  // tenet extension: why a request would be allowed or denied, statement by statement (variables
  // substituted, conditions evaluated). Body: principal (certificate ARN), action ("iot:Publish"),
  // resource (full ARN, or "topic/x", "client/id", ...), optional policyDocument (a draft evaluated
  // together with the attached policies); query: clientId.
  Reply explain_authorization(Call& call) {
    auto body = call.json();
    if (!body) return bad_json(body.error());
    std::string err;
    auto principal = string_member(*body, "principal", &err);
    auto action_name = string_member(*body, "action", &err);
    auto resource = string_member(*body, "resource", &err);
    auto draft = string_member(*body, "policyDocument", &err);
    if (!err.empty()) return errors::invalid_request(err);
    if (!action_name || !resource) return errors::invalid_request("action and resource are required");
    auto action = policy::find_action(*action_name);
    if (!action) return errors::invalid_request("unknown action " + *action_name);
    std::string arn = *resource;
    if (arn.rfind("arn:", 0) != 0) arn = "arn:" + s.scope().partition + ":iot:" + s.scope().region + ":" + s.scope().account_id + ":" + arn;
    if (principal && principal->rfind("arn:", 0) != 0) principal = s.partition().arn("cert", *principal);  // a bare id
    const std::string client_id(call.query_param("clientId").value_or(""));
    call.resource = principal.value_or(client_id);
    std::vector<std::string> names;
    policy::BoundPolicySet bound;
    if (auto bad = bind_for(principal.value_or(""), client_id, {}, {}, draft.value_or(""), &names, &bound)) return *bad;
    const auto ex = bound.explain(policy::Request{*action, policy::ResourceType::kArn, arn}, s.clock_.wall());
    boost::system::error_code ec;
    auto trace = json::parse(ex.to_json(), ec);
    json::array evaluated;
    for (const auto& n : names) evaluated.emplace_back(n);
    return Reply::json({{"decision", ex.decision.effect == policy::Effect::kAllow          ? "ALLOWED"
                                     : ex.decision.effect == policy::Effect::kExplicitDeny ? "EXPLICIT_DENY"
                                                                                           : "IMPLICIT_DENY"},
                        {"resource", arn},
                        {"policies", std::move(evaluated)},
                        {"explanation", ex.to_text()},
                        {"trace", ec ? json::value(nullptr) : std::move(trace)}});
  }

  Reply test_authorization(Call& call) {
    auto body = call.json();
    if (!body) return bad_json(body.error());
    std::string err;
    auto principal = string_member(*body, "principal", &err);
    if (!err.empty()) return errors::invalid_request(err);
    std::vector<std::string> to_add, to_skip;
    if (!string_list(*body, "policyNamesToAdd", &to_add, &err) || !string_list(*body, "policyNamesToSkip", &to_skip, &err)) {
      return errors::invalid_request(err);
    }
    auto infos = body->find("authInfos");
    if (infos == body->end() || !infos->value().is_array() || infos->value().as_array().empty() ||
        infos->value().as_array().size() > 10) {
      return errors::invalid_request("authInfos must be a list of 1 to 10 {actionType, resources}");
    }
    struct Info {
      policy::ActionId action;
      std::vector<std::string> resources;
      json::value echo;
    };
    std::vector<Info> parsed;
    for (const auto& v : infos->value().as_array()) {
      const auto* o = v.if_object();
      if (o == nullptr) return errors::invalid_request("each authInfo must be an object");
      auto type = string_member(*o, "actionType", &err);
      if (!err.empty()) return errors::invalid_request(err);
      auto action = type ? action_of(*type) : std::nullopt;
      if (!action) return errors::invalid_request("actionType must be one of PUBLISH, SUBSCRIBE, RECEIVE, CONNECT");
      Info info{*action, {}, v};
      if (!o->contains("resources")) return errors::invalid_request("authInfo.resources is required");
      if (!string_list(*o, "resources", &info.resources, &err)) return errors::invalid_request(err);
      parsed.push_back(std::move(info));
    }
    const std::string client_id(call.query_param("clientId").value_or(""));
    call.resource = principal.value_or(client_id);
    std::vector<std::string> names;
    policy::BoundPolicySet bound;
    if (auto bad = bind_for(principal.value_or(""), client_id, to_add, to_skip, {}, &names, &bound)) return *bad;
    const auto now = s.clock_.wall();

    json::array results;
    for (const auto& info : parsed) {
      std::set<std::string> allow, deny, missing;
      bool any_deny = false, all_allow = !info.resources.empty();
      for (const auto& r : info.resources) {
        const auto ex = bound.explain(policy::Request{info.action, policy::ResourceType::kArn, r}, now);
        if (ex.decision.effect == policy::Effect::kExplicitDeny) any_deny = true;
        if (ex.decision.effect != policy::Effect::kAllow) all_allow = false;
        for (const auto& st : ex.statements) {
          if (st.action_matched) {
            for (const auto& var : st.variables) {
              if (!var.resolved) missing.insert(var.name);
            }
          }
          if (!st.applies) continue;
          if (st.effect == "Allow") allow.insert(st.policy_name);
          if (st.effect == "Deny") deny.insert(st.policy_name);
        }
      }
      const char* decision = any_deny ? "EXPLICIT_DENY" : all_allow ? "ALLOWED" : "IMPLICIT_DENY";
      auto refs = [&](const auto& set) {
        json::array a;
        for (const auto& n : set) a.push_back(policy_ref(n, s.partition().arn("policy", n)));
        return a;
      };
      std::set<std::string> implicit;
      if (!any_deny && !all_allow) {
        for (const auto& n : names) {
          if (!allow.count(n)) implicit.insert(n);
        }
      }
      json::array miss;
      for (const auto& m : missing) miss.emplace_back(m);
      results.push_back(json::object{
          {"authInfo", info.echo},
          {"allowed", json::object{{"policies", refs(allow)}}},
          {"denied", json::object{{"implicitDeny", json::object{{"policies", refs(implicit)}}},
                                  {"explicitDeny", json::object{{"policies", refs(deny)}}}}},
          {"authDecision", decision},
          {"missingContextValues", std::move(miss)}});
    }
    return Reply::json({{"authResults", std::move(results)}});
  }

  // ---- deprecated principal operations ----

  std::optional<Reply> principal_header(const Call& call, std::string* out) {
    auto h = call.header("x-amzn-iot-principal");
    if (!h || h->empty()) return errors::invalid_request("the x-amzn-iot-principal header is required");
    *out = std::string(*h);
    return std::nullopt;
  }

  Reply attach_principal_policy(Call& call) {
    std::string principal;
    if (auto bad = principal_header(call, &principal)) return *bad;
    call.resource = principal;
    if (auto r = s.attach(call.label("policyName"), principal); !r) return reply_error(r.error());
    return Reply::empty();
  }

  Reply detach_principal_policy(Call& call) {
    std::string principal;
    if (auto bad = principal_header(call, &principal)) return *bad;
    call.resource = principal;
    if (!s.find(call.label("policyName"))) {
      return errors::not_found("policy " + std::string(call.label("policyName")) + " does not exist");
    }
    if (auto r = s.detach(call.label("policyName"), principal); !r) return reply_error(r.error());
    return Reply::empty();
  }

  Reply list_principal_policies(Call& call) {
    std::string principal;
    if (auto bad = principal_header(call, &principal)) return *bad;
    call.resource = principal;
    std::optional<TargetType> type;
    if (auto bad = check_target(principal, &type)) return *bad;
    return policy_page(call, "principal-policies\n" + principal, s.policies_of(principal), true);
  }

  Reply list_policy_principals(Call& call) {
    auto h = call.header("x-amzn-iot-policy");
    if (!h || h->empty()) return errors::invalid_request("the x-amzn-iot-policy header is required");
    const std::string name(*h);
    auto p = s.find(name);
    if (!p) return errors::not_found("policy " + name + " does not exist");
    call.resource = p->arn;
    std::string err;
    auto asc = query_bool(call, "isAscendingOrder", &err);
    if (!err.empty()) return errors::invalid_request(err);
    const bool descending = asc.has_value() && !*asc;
    std::vector<std::string> principals;
    for (auto& t : s.targets_of(name)) {
      if (parse_target(t, s.partition()) == TargetType::kCertificate) principals.push_back(std::move(t));
    }
    if (descending) std::reverse(principals.begin(), principals.end());
    std::vector<std::string> chosen;
    auto next = page_of(call, "policy-principals\n" + name + (descending ? "-desc" : ""), descending, principals, &chosen);
    if (!next) return errors::invalid_request(next.error().detail);
    json::array out;
    for (const auto& t : chosen) out.emplace_back(t);
    json::object reply{{"principals", std::move(out)}};
    if (!next->empty()) reply["nextMarker"] = *next;
    return Reply::json(std::move(reply));
  }
};

void PolicyStore::add_operations(control::Router& router, control::Tags& tags) {
  tags.add_type("policy", [this](std::string_view name) { return find(name) != nullptr; });
  auto ops = std::make_shared<Operations>(Operations{*this, tags});
  auto add = [&](const char* op, const char* method, const char* uri, Reply (Operations::*fn)(Call&)) {
    router.add({op, method, uri, control::control_services(), [ops, fn](Call& c) { return ((*ops).*fn)(c); }});
  };
  add("CreatePolicy", "POST", "/policies/{policyName}", &Operations::create_policy);
  add("GetPolicy", "GET", "/policies/{policyName}", &Operations::get_policy);
  add("ListPolicies", "GET", "/policies", &Operations::list_policies);
  add("DeletePolicy", "DELETE", "/policies/{policyName}", &Operations::delete_policy);
  add("CreatePolicyVersion", "POST", "/policies/{policyName}/version", &Operations::create_policy_version);
  add("ListPolicyVersions", "GET", "/policies/{policyName}/version", &Operations::list_policy_versions);
  add("GetPolicyVersion", "GET", "/policies/{policyName}/version/{policyVersionId}", &Operations::get_policy_version);
  add("SetDefaultPolicyVersion", "PATCH", "/policies/{policyName}/version/{policyVersionId}",
      &Operations::set_default_policy_version);
  add("DeletePolicyVersion", "DELETE", "/policies/{policyName}/version/{policyVersionId}",
      &Operations::delete_policy_version);
  add("AttachPolicy", "PUT", "/target-policies/{policyName}", &Operations::attach_policy);
  add("DetachPolicy", "POST", "/target-policies/{policyName}", &Operations::detach_policy);
  add("ListAttachedPolicies", "POST", "/attached-policies/{target}", &Operations::list_attached_policies);
  add("ListTargetsForPolicy", "POST", "/policy-targets/{policyName}", &Operations::list_targets_for_policy);
  add("GetEffectivePolicies", "POST", "/effective-policies", &Operations::get_effective_policies);
  add("TestAuthorization", "POST", "/test-authorization", &Operations::test_authorization);
  add("ExplainAuthorization", "POST", "/tenet/explain-authorization", &Operations::explain_authorization);
  add("AttachPrincipalPolicy", "PUT", "/principal-policies/{policyName}", &Operations::attach_principal_policy);
  add("DetachPrincipalPolicy", "DELETE", "/principal-policies/{policyName}", &Operations::detach_principal_policy);
  add("ListPrincipalPolicies", "GET", "/principal-policies", &Operations::list_principal_policies);
  add("ListPolicyPrincipals", "GET", "/policy-principals", &Operations::list_policy_principals);
}

}  // namespace tenet::policies
