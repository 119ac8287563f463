#include "policy/engine.h"

#include <boost/json.hpp>

#include <array>
#include <utility>

#include "policy/detail/eval.h"

namespace tenet::policy {
namespace {

using detail::BoundData;
using detail::BoundPattern;
using detail::BoundStatement;

constexpr std::string_view kTypeNames[] = {"client/", "topic/", "topicfilter/", "thing/", "rolealias/"};

std::string_view prefix_of(const BoundData& d, ResourceType t) noexcept {
  return t == ResourceType::kArn ? std::string_view() : std::string_view(d.type_prefix[static_cast<std::size_t>(t)]);
}

bool pattern_matches(const BoundData& d, const BoundPattern& p, const Request& r) noexcept {
  if (p.type == ResourceType::kArn) return p.glob.match(prefix_of(d, r.type), r.name);
  if (r.type == p.type) return p.glob.match(r.name);
  if (r.type == ResourceType::kArn) {
    const std::string_view prefix = prefix_of(d, p.type);
    return r.name.starts_with(prefix) && p.glob.match(r.name.substr(prefix.size()));
  }
  return false;
}

// Returns the index of the matching pattern for Resource, or 0 for NotResource; -1 if none.
int resource_match(const BoundData& d, const BoundStatement& s, const Request& r) noexcept {
  if (!s.statement->not_resource) {
    for (std::size_t i = 0; i < s.resources.size(); ++i) {
      const BoundPattern& p = s.resources[i];
      if (!p.poisoned && pattern_matches(d, p, r)) return static_cast<int>(i);
    }
    return -1;
  }
  for (const BoundPattern& p : s.resources) {
    if (p.poisoned) {
      if (!s.deny) return -1;  // an Allow fails closed: "all but <unknown>" is not granted
      continue;
    }
    if (pattern_matches(d, p, r)) return -1;
  }
  return 0;
}

bool request_conditions_hold(const BoundStatement& s, std::chrono::system_clock::time_point now) noexcept {
  for (const detail::BoundCondition& bc : s.request_conditions) {
    std::array<char, 40> buf;
    const std::string_view v = detail::format_request_key(bc.condition->key, now, buf);
    const std::array<std::string_view, 1> values{v};
    const std::span<const std::string_view> kv = v.empty() ? std::span<const std::string_view>() : values;
    if (!detail::eval_condition(*bc.condition, bc.operands, kv, s.deny)) return false;
  }
  return true;
}

bool applies(const BoundData& d, const BoundStatement& s, const Request& r, bool check_action,
             std::chrono::system_clock::time_point now) noexcept {
  if (check_action && !s.statement->covers_action(r.action)) return false;
  if (resource_match(d, s, r) < 0) return false;
  return request_conditions_hold(s, now);
}

StatementRef ref(const BoundStatement& s) noexcept { return StatementRef{s.policy, s.statement_index}; }

std::string effect_text(const Statement& s) {
  if (s.effect == StatementEffect::kAllow) return "Allow";
  return s.report_only ? "Deny (report-only)" : "Deny";
}

const BoundData& empty_data() {
  static const BoundData d;
  return d;
}

}  // namespace

std::string_view to_string(Effect e) noexcept {
  switch (e) {
    case Effect::kAllow: return "Allow";
    case Effect::kExplicitDeny: return "ExplicitDeny";
    case Effect::kImplicitDeny: return "ImplicitDeny";
  }
  return "ImplicitDeny";
}

std::string resource_arn(const Scope& scope, ResourceType type, std::string_view name) {
  if (type == ResourceType::kArn) return std::string(name);
  return "arn:" + scope.partition + ":iot:" + scope.region + ":" + scope.account_id + ":" +
         std::string(kTypeNames[static_cast<std::size_t>(type)]) + std::string(name);
}

BoundPolicySet::BoundPolicySet() : d_(std::shared_ptr<const BoundData>(), &empty_data()) {}

const std::vector<std::shared_ptr<const Policy>>& BoundPolicySet::policies() const noexcept { return d_->policies; }
const Context& BoundPolicySet::context() const noexcept { return d_->context; }
bool BoundPolicySet::has_time_conditions() const noexcept { return d_->has_time_conditions; }

BoundPolicySet bind(std::vector<std::shared_ptr<const Policy>> policies, Context context, const Scope& scope) {
  auto d = std::make_shared<BoundData>();
  for (auto& p : policies) {
    if (p) d->policies.push_back(std::move(p));
  }
  d->context = std::move(context);
  d->scope = scope;
  const std::string base = "arn:" + scope.partition + ":iot:" + scope.region + ":" + scope.account_id + ":";
  for (std::size_t t = 0; t < d->type_prefix.size(); ++t) d->type_prefix[t] = base + std::string(kTypeNames[t]);

  for (const auto& policy : d->policies) {
    const detail::Resolver resolver(d->context, policy->variables_enabled());
    const auto& sts = policy->statements();
    for (std::size_t si = 0; si < sts.size(); ++si) {
      const Statement& st = sts[si];
      BoundStatement bs;
      bs.policy = policy.get();
      bs.statement = &st;
      bs.statement_index = static_cast<int>(si);
      bs.deny = st.effect == StatementEffect::kDeny;
      bs.report_only = st.report_only;
      for (const Template& t : st.resources) {
        BoundPattern bp;
        detail::Glob g = detail::substitute(t, resolver, &bp.poisoned, nullptr);
        for (std::size_t ti = 0; ti < d->type_prefix.size(); ++ti) {
          if (g.has_literal_prefix(d->type_prefix[ti])) {
            bp.type = static_cast<ResourceType>(ti);
            g = g.without_prefix(d->type_prefix[ti].size());
            break;
          }
        }
        bp.glob = std::move(g);
        bs.resources.push_back(std::move(bp));
      }
      for (const Condition& c : st.conditions) {
        std::vector<detail::Operand> ops = detail::bind_operands(c, resolver, nullptr);
        if (detail::is_request_key(c.key)) {
          bs.request_conditions.push_back({&c, std::move(ops)});
          d->has_time_conditions = true;
          continue;
        }
        const std::vector<std::string> values = resolver.key_values(c.key);
        const std::vector<std::string_view> views(values.begin(), values.end());
        if (!detail::eval_condition(c, ops, views, bs.deny)) bs.static_ok = false;
      }
      d->statements.push_back(std::move(bs));
    }
  }
  for (std::size_t i = 0; i < d->statements.size(); ++i) {
    const BoundStatement& s = d->statements[i];
    if (!s.static_ok) continue;
    auto add = [&](BoundData::Lists& l) {
      (s.report_only ? l.report : s.deny ? l.deny : l.allow).push_back(static_cast<std::uint32_t>(i));
    };
    add(d->all);
    for (ActionId a = 0; a < action::kDataPlaneCount; ++a) {
      if (s.statement->covers_action(a)) add(d->by_action[a]);
    }
  }
  BoundPolicySet set;
  set.d_ = std::move(d);
  return set;
}

Decision BoundPolicySet::evaluate(const Request& r, std::chrono::system_clock::time_point now) const noexcept {
  const BoundData& d = *d_;
  const bool data_plane = r.action < action::kDataPlaneCount;
  const BoundData::Lists& l = data_plane ? d.by_action[r.action] : d.all;
  const bool check_action = !data_plane;
  Decision dec;
  for (std::uint32_t i : l.deny) {
    if (applies(d, d.statements[i], r, check_action, now)) {
      dec.effect = Effect::kExplicitDeny;
      dec.decided_by = ref(d.statements[i]);
      return dec;
    }
  }
  for (std::uint32_t i : l.report) {
    if (applies(d, d.statements[i], r, check_action, now)) {
      dec.report_only_deny = ref(d.statements[i]);
      break;
    }
  }
  for (std::uint32_t i : l.allow) {
    if (applies(d, d.statements[i], r, check_action, now)) {
      dec.effect = Effect::kAllow;
      dec.decided_by = ref(d.statements[i]);
      return dec;
    }
  }
  return dec;
}

Decision BoundPolicySet::evaluate(const Request& r) const noexcept {
  return evaluate(r, d_->has_time_conditions ? std::chrono::system_clock::now()
                                             : std::chrono::system_clock::time_point());
}

Explanation BoundPolicySet::explain(const Request& r, std::chrono::system_clock::time_point now) const {
  const BoundData& d = *d_;
  Explanation e;
  e.decision = evaluate(r, now);
  e.action = std::string(action_name(r.action));
  e.resource = resource_arn(d.scope, r.type, r.name);
  for (const BoundStatement& s : d.statements) {
    const Statement& st = *s.statement;
    const detail::Resolver resolver(d.context, s.policy->variables_enabled());
    Explanation::StatementResult sr;
    sr.policy_name = s.policy->name();
    sr.policy_version = s.policy->version_id();
    sr.statement = s.statement_index;
    sr.sid = st.sid;
    sr.effect = effect_text(st);
    sr.action_matched = st.covers_action(r.action);
    for (const Template& t : st.resources) {
      bool poisoned = false;
      sr.resources.push_back(detail::substitute(t, resolver, &poisoned, &sr.variables).to_policy_text());
    }
    const int m = resource_match(d, s, r);
    sr.resource_matched = m >= 0;
    if (m >= 0) sr.matched_resource = st.not_resource ? "(none of NotResource)" : sr.resources[static_cast<std::size_t>(m)];
    sr.conditions_matched = true;
    for (const Condition& c : st.conditions) {
      Explanation::ConditionResult cr;
      cr.operator_text = c.operator_text;
      cr.key = c.key;
      const std::vector<detail::Operand> ops = detail::bind_operands(c, resolver, &sr.variables);
      for (const detail::Operand& o : ops) cr.values.push_back(o.glob.to_policy_text());
      std::vector<std::string> values;
      if (detail::is_request_key(c.key)) {
        cr.per_request = true;
        std::array<char, 40> buf;
        const std::string_view v = detail::format_request_key(c.key, now, buf);
        if (!v.empty()) values.emplace_back(v);
      } else {
        values = resolver.key_values(c.key);
      }
      const std::vector<std::string_view> views(values.begin(), values.end());
      cr.result = detail::eval_condition(c, ops, views, s.deny);
      cr.key_present = !values.empty();
      cr.key_values = std::move(values);
      sr.conditions_matched = sr.conditions_matched && cr.result;
      sr.conditions.push_back(std::move(cr));
    }
    sr.applies = sr.action_matched && sr.resource_matched && sr.conditions_matched;
    e.statements.push_back(std::move(sr));
  }
  return e;
}

namespace {

std::string describe(const StatementRef& r) {
  if (!r) return "none";
  std::string s = r.policy->name().empty() ? std::string("(unnamed)") : r.policy->name();
  if (!r.policy->version_id().empty()) s += " v" + r.policy->version_id();
  s += " Statement[" + std::to_string(r.statement) + "]";
  const std::string& sid = r.policy->statements()[static_cast<std::size_t>(r.statement)].sid;
  if (!sid.empty()) s += " (" + sid + ")";
  return s;
}

boost::json::value ref_json(const StatementRef& r) {
  if (!r) return nullptr;
  return boost::json::object{{"policy", r.policy->name()},
                             {"version", r.policy->version_id()},
                             {"statement", r.statement}};
}

}  // namespace

std::string Explanation::to_text() const {
  std::string out = std::string(to_string(decision.effect)) + " " + action + " on " + resource + "\n";
  out += "  decided by: " + describe(decision.decided_by) + "\n";
  if (decision.report_only_deny) out += "  would have denied (report-only): " + describe(decision.report_only_deny) + "\n";
  for (const StatementResult& s : statements) {
    out += "  " + (s.policy_name.empty() ? std::string("(unnamed)") : s.policy_name);
    if (!s.policy_version.empty()) out += " v" + s.policy_version;
    out += " Statement[" + std::to_string(s.statement) + "]";
    if (!s.sid.empty()) out += " (" + s.sid + ")";
    out += " " + s.effect + ": ";
    if (!s.action_matched) {
      out += "action does not match\n";
      continue;
    }
    out += s.resource_matched ? "resource matches " + s.matched_resource : std::string("resource does not match");
    out += s.applies ? " -> applies\n" : (s.resource_matched ? " -> conditions fail\n" : "\n");
    for (const Variable& v : s.variables) {
      out += "      ${" + v.name + "} = " + (v.resolved ? "\"" + v.value + "\"" : "unresolved (" + v.note + ")") + "\n";
    }
    for (const ConditionResult& c : s.conditions) {
      out += "      " + c.operator_text + " " + c.key + " [";
      for (std::size_t i = 0; i < c.key_values.size(); ++i) out += (i ? ", " : "") + c.key_values[i];
      out += "] vs [";
      for (std::size_t i = 0; i < c.values.size(); ++i) out += (i ? ", " : "") + c.values[i];
      out += std::string("] -> ") + (c.result ? "true" : "false") + (c.per_request ? " (per request)" : "") + "\n";
    }
  }
  return out;
}

std::string Explanation::to_json() const {
  namespace json = boost::json;
  json::array sts;
  for (const StatementResult& s : statements) {
    json::array vars;
    for (const Variable& v : s.variables) {
      vars.push_back(json::object{{"name", v.name}, {"resolved", v.resolved}, {"value", v.value}, {"note", v.note}});
    }
    json::array conds;
    for (const ConditionResult& c : s.conditions) {
      json::array kv(c.key_values.begin(), c.key_values.end());
      json::array vals(c.values.begin(), c.values.end());
      conds.push_back(json::object{{"operator", c.operator_text},
                                   {"key", c.key},
                                   {"key_present", c.key_present},
                                   {"key_values", std::move(kv)},
                                   {"values", std::move(vals)},
                                   {"per_request", c.per_request},
                                   {"result", c.result}});
    }
    json::array res(s.resources.begin(), s.resources.end());
    sts.push_back(json::object{{"policy", s.policy_name},
                               {"version", s.policy_version},
                               {"statement", s.statement},
                               {"sid", s.sid},
                               {"effect", s.effect},
                               {"action_matched", s.action_matched},
                               {"resource_matched", s.resource_matched},
                               {"matched_resource", s.matched_resource},
                               {"resources", std::move(res)},
                               {"variables", std::move(vars)},
                               {"conditions", std::move(conds)},
                               {"conditions_matched", s.conditions_matched},
                               {"applies", s.applies}});
  }
  json::object o{{"effect", to_string(decision.effect)},
                 {"action", action},
                 {"resource", resource},
                 {"decided_by", ref_json(decision.decided_by)},
                 {"report_only_deny", ref_json(decision.report_only_deny)},
                 {"statements", std::move(sts)}};
  return json::serialize(o);
}

}  // namespace tenet::policy
