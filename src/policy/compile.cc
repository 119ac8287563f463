#include <boost/json.hpp>

#include <string>
#include <utility>

#include "policy/detail/eval.h"
#include "policy/detail/glob.h"
#include "policy/policy.h"

namespace tenet::policy {
namespace {

namespace json = boost::json;
using core::Errc;

struct OpName {
  std::string_view name;
  ConditionOp op;
};

constexpr OpName kOps[] = {
    {"StringEquals", ConditionOp::kStringEquals},
    {"StringNotEquals", ConditionOp::kStringNotEquals},
    {"StringEqualsIgnoreCase", ConditionOp::kStringEqualsIgnoreCase},
    {"StringNotEqualsIgnoreCase", ConditionOp::kStringNotEqualsIgnoreCase},
    {"StringLike", ConditionOp::kStringLike},
    {"StringNotLike", ConditionOp::kStringNotLike},
    {"NumericEquals", ConditionOp::kNumericEquals},
    {"NumericNotEquals", ConditionOp::kNumericNotEquals},
    {"NumericLessThan", ConditionOp::kNumericLessThan},
    {"NumericLessThanEquals", ConditionOp::kNumericLessThanEquals},
    {"NumericGreaterThan", ConditionOp::kNumericGreaterThan},
    {"NumericGreaterThanEquals", ConditionOp::kNumericGreaterThanEquals},
    {"DateEquals", ConditionOp::kDateEquals},
    {"DateNotEquals", ConditionOp::kDateNotEquals},
    {"DateLessThan", ConditionOp::kDateLessThan},
    {"DateLessThanEquals", ConditionOp::kDateLessThanEquals},
    {"DateGreaterThan", ConditionOp::kDateGreaterThan},
    {"DateGreaterThanEquals", ConditionOp::kDateGreaterThanEquals},
    {"Bool", ConditionOp::kBool},
    {"IpAddress", ConditionOp::kIpAddress},
    {"NotIpAddress", ConditionOp::kNotIpAddress},
    {"ArnEquals", ConditionOp::kArnEquals},
    {"ArnNotEquals", ConditionOp::kArnNotEquals},
    {"ArnLike", ConditionOp::kArnLike},
    {"ArnNotLike", ConditionOp::kArnNotLike},
    {"Null", ConditionOp::kNull},
};

core::Unexpected invalid(const std::string& where, const std::string& what) {
  return core::fail(Errc::kInvalidArgument, where + ": " + what);
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 200)) {
    if (c == '"' || c == '\\') out += '\\';
    out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
  }
  if (s.size() > 200) out += "...";
  return out + "\"";
}

std::string_view kind_of(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "?";
}

// String or non-empty list of strings.
core::Result<std::vector<std::string>> string_list(const json::value& v, const std::string& where) {
  std::vector<std::string> out;
  if (v.is_string()) {
    out.emplace_back(v.get_string());
    return out;
  }
  if (!v.is_array()) return invalid(where, "expected a string or a list of strings, got " + std::string(kind_of(v)));
  const json::array& a = v.get_array();
  if (a.empty()) return invalid(where, "must not be empty");
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_string()) {
      return invalid(where + "[" + std::to_string(i) + "]", "expected a string, got " + std::string(kind_of(a[i])));
    }
    out.emplace_back(a[i].get_string());
  }
  return out;
}

bool known_variable(std::string_view n) {
  using detail::iequals;
  auto starts = [&](std::string_view p) { return n.size() > p.size() && iequals(n.substr(0, p.size()), p); };
  return iequals(n, "iot:ClientId") || iequals(n, "aws:SourceIp") || iequals(n, "iot:DomainName") ||
         iequals(n, "iot:ConnectAttributes") || iequals(n, "aws:CurrentTime") || iequals(n, "aws:EpochTime") ||
         starts("iot:Connection.Thing.") || starts("iot:Certificate.");
}

core::Result<Template> parse_template(std::string_view s, const std::string& where, std::vector<std::string>* warnings) {
  Template t;
  t.source = std::string(s);
  std::string lit;
  auto flush = [&] {
    if (!lit.empty()) t.parts.push_back({TemplatePart::Kind::kLiteral, std::move(lit)});
    lit.clear();
  };
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == '$' && i + 1 < s.size() && s[i + 1] == '{') {
      const std::size_t close = s.find('}', i + 2);
      if (close == std::string_view::npos) {
        return invalid(where, "unterminated variable in " + quoted(s));
      }
      const std::string_view name = s.substr(i + 2, close - i - 2);
      if (name == "*" || name == "?" || name == "$") {
        lit += name;  // IAM escapes: a literal character
      } else if (name.empty()) {
        return invalid(where, "empty variable \"${}\" in " + quoted(s));
      } else {
        if (!known_variable(name) && warnings) {
          warnings->push_back(where + ": unknown variable " + quoted(name) +
                              " (looked up in the connection's extra keys)");
        }
        flush();
        t.parts.push_back({TemplatePart::Kind::kVariable, std::string(name)});
      }
      i = close + 1;
      continue;
    }
    if (c == '*' || c == '?') {
      flush();
      t.parts.push_back({c == '*' ? TemplatePart::Kind::kStar : TemplatePart::Kind::kQuestion, std::string(1, c)});
    } else {
      lit += c;
    }
    ++i;
  }
  flush();
  return t;
}

detail::Glob literal_glob(const Template& t) {
  detail::Glob g;
  for (const TemplatePart& p : t.parts) {
    if (p.kind == TemplatePart::Kind::kStar) {
      g.append_star();
    } else if (p.kind == TemplatePart::Kind::kQuestion) {
      g.append_one();
    } else {
      g.append_literal(p.text);
    }
  }
  return g;
}

// Warns when the partition/service/region/account of an ARN pattern can never match this hub.
void check_arn(const Template& t, const Scope& scope, const std::string& where, std::vector<std::string>* warnings) {
  const std::string_view s = t.source;
  if (s.find("${") != std::string_view::npos) {
    // Fields with variables are checked at bind time by matching; skip the static check.
    std::size_t colons = 0;
    for (std::size_t i = 0; i < s.size() && colons < 5; ++i) {
      if (s[i] == '$') return;
      colons += s[i] == ':';
    }
  }
  std::size_t start = 0;
  const std::string_view names[] = {"arn", "partition", "service", "region", "account"};
  const std::string_view expect[] = {"arn", scope.partition, "iot", scope.region, scope.account_id};
  for (int f = 0; f < 5; ++f) {
    const std::size_t end = s.find(':', start);
    if (end == std::string_view::npos) {
      if (s.find('*') == std::string_view::npos) {
        warnings->push_back(where + ": " + quoted(s) + " is not an ARN of the form arn:partition:iot:region:account:resource");
      }
      return;
    }
    const std::string_view field = s.substr(start, end - start);
    if (field.find('*') != std::string_view::npos) return;  // a `*` may span fields: no static check
    if (!expect[f].empty() && !detail::Glob::parse(field).match(expect[f])) {
      warnings->push_back(where + ": " + std::string(names[f]) + " " + quoted(field) + " does not match this hub's " +
                          quoted(expect[f]) + "; the pattern can never match");
      return;
    }
    start = end + 1;
  }
}

core::Result<std::vector<Template>> parse_resources(const json::value& v, const std::string& where, const Scope& scope,
                                                    std::vector<std::string>* warnings) {
  auto list = string_list(v, where);
  if (!list) return core::propagate(std::move(list));
  std::vector<Template> out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string& r = (*list)[i];
    const std::string w = v.is_array() ? where + "[" + std::to_string(i) + "]" : where;
    if (r != "*" && r.rfind("arn:", 0) != 0) {
      return invalid(w, quoted(r) + " is not \"*\" or an ARN (arn:" + scope.partition + ":iot:...)");
    }
    auto t = parse_template(r, w, warnings);
    if (!t) return core::propagate(std::move(t));
    if (r != "*") check_arn(*t, scope, w, warnings);
    out.push_back(std::move(*t));
  }
  return out;
}

core::Result<std::pair<std::vector<std::string>, ActionSet>> parse_actions(const json::value& v, const std::string& where,
                                                                           std::vector<std::string>* warnings) {
  auto list = string_list(v, where);
  if (!list) return core::propagate(std::move(list));
  ActionSet set;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string& a = (*list)[i];
    const std::string w = v.is_array() ? where + "[" + std::to_string(i) + "]" : where;
    const bool wild = a.find_first_of("*?") != std::string::npos;
    if (a != "*" && a.find(':') == std::string::npos) {
      return invalid(w, quoted(a) + " is not an action (expected service:Action, e.g. \"iot:Publish\")");
    }
    if (wild) {
      const ActionSet m = match_actions(a);
      if (m.none()) warnings->push_back(w + ": " + quoted(a) + " matches no known action");
      set |= m;
    } else if (auto id = find_action(a)) {
      set.set(*id);
    } else {
      return invalid(w, quoted(a) + " is not a known action");
    }
  }
  return std::make_pair(std::move(*list), set);
}

core::Result<std::string> scalar_string(const json::value& v, const std::string& where) {
  switch (v.kind()) {
    case json::kind::string: return std::string(v.get_string());
    case json::kind::bool_: return std::string(v.get_bool() ? "true" : "false");
    case json::kind::int64: return std::to_string(v.get_int64());
    case json::kind::uint64: return std::to_string(v.get_uint64());
    case json::kind::double_: return json::serialize(v);
    case json::kind::null:
    case json::kind::array:
    case json::kind::object: break;
  }
  return invalid(where, "expected a string, number or boolean, got " + std::string(kind_of(v)));
}

core::Result<std::vector<Condition>> parse_conditions(const json::value& v, const std::string& where,
                                                      std::vector<std::string>* warnings) {
  if (!v.is_object()) return invalid(where, "expected an object, got " + std::string(kind_of(v)));
  std::vector<Condition> out;
  for (const auto& [op_key, block] : v.get_object()) {
    const std::string op_text(op_key);
    const std::string w = where + "." + op_text;
    std::string_view name = op_text;
    SetQualifier q = SetQualifier::kNone;
    if (name.starts_with("ForAllValues:")) {
      q = SetQualifier::kForAllValues;
      name.remove_prefix(13);
    } else if (name.starts_with("ForAnyValue:")) {
      q = SetQualifier::kForAnyValue;
      name.remove_prefix(12);
    }
    bool if_exists = false;
    if (name.ends_with("IfExists") && name != "Null") {
      if_exists = true;
      name.remove_suffix(8);
    }
    const OpName* found = nullptr;
    for (const OpName& o : kOps) {
      if (o.name == name) found = &o;
    }
    if (found == nullptr || (found->op == ConditionOp::kNull && (if_exists || q != SetQualifier::kNone))) {
      return invalid(where, "unknown condition operator " + quoted(op_text));
    }
    if (!block.is_object()) return invalid(w, "expected an object of condition keys, got " + std::string(kind_of(block)));
    if (block.get_object().empty()) return invalid(w, "must not be empty");
    for (const auto& [key, values] : block.get_object()) {
      Condition c;
      c.operator_text = op_text;
      c.op = found->op;
      c.qualifier = q;
      c.if_exists = if_exists;
      c.key = std::string(key);
      const std::string kw = w + "[" + quoted(c.key) + "]";
      if (c.key.empty()) return invalid(w, "empty condition key");
      std::vector<std::string> texts;
      if (values.is_array()) {
        if (values.get_array().empty()) return invalid(kw, "must not be empty");
        for (const json::value& e : values.get_array()) {
          auto s = scalar_string(e, kw);
          if (!s) return core::propagate(std::move(s));
          texts.push_back(std::move(*s));
        }
      } else {
        auto s = scalar_string(values, kw);
        if (!s) return core::propagate(std::move(s));
        texts.push_back(std::move(*s));
      }
      for (const std::string& text : texts) {
        auto t = parse_template(text, kw, warnings);
        if (!t) return core::propagate(std::move(t));
        if (!t->has_variables()) {
          std::string err;
          const detail::Operand o = detail::make_operand(c.op, literal_glob(*t), false, &err);
          if (!o.parsed) return invalid(kw, err);
        }
        c.values.push_back(std::move(*t));
      }
      out.push_back(std::move(c));
    }
  }
  return out;
}

core::Result<Statement> parse_statement(const json::value& v, const std::string& where, const Scope& scope,
                                        std::vector<std::string>* warnings) {
  if (!v.is_object()) return invalid(where, "expected an object, got " + std::string(kind_of(v)));
  const json::object& o = v.get_object();
  Statement st;
  for (const auto& [k, _] : o) {
    static constexpr std::string_view kKnown[] = {"Sid",         "Effect",    "Action",    "NotAction",
                                                  "Resource",    "NotResource", "Condition", "tenet:Mode"};
    bool ok = false;
    for (std::string_view n : kKnown) ok = ok || n == k;
    if (!ok) return invalid(where, "unknown field " + quoted(k) + (k == "Principal" ? " (IoT policies have no Principal)" : ""));
  }
  if (const json::value* sid = o.if_contains("Sid")) {
    if (!sid->is_string()) return invalid(where + ".Sid", "expected a string");
    st.sid = std::string(sid->get_string());
  }
  const json::value* effect = o.if_contains("Effect");
  if (effect == nullptr) return invalid(where, "missing Effect");
  if (!effect->is_string() || (effect->get_string() != "Allow" && effect->get_string() != "Deny")) {
    return invalid(where + ".Effect", "must be \"Allow\" or \"Deny\"");
  }
  st.effect = effect->get_string() == "Allow" ? StatementEffect::kAllow : StatementEffect::kDeny;
  if (const json::value* mode = o.if_contains("tenet:Mode")) {
    if (!mode->is_string() || (mode->get_string() != "report-only" && mode->get_string() != "enforce")) {
      return invalid(where + ".tenet:Mode", "must be \"report-only\" or \"enforce\"");
    }
    st.report_only = mode->get_string() == "report-only";
    if (st.report_only && st.effect != StatementEffect::kDeny) {
      return invalid(where + ".tenet:Mode", "\"report-only\" is only valid on a Deny statement");
    }
  }
  const json::value* action = o.if_contains("Action");
  const json::value* not_action = o.if_contains("NotAction");
  if ((action == nullptr) == (not_action == nullptr)) {
    return invalid(where, action ? "has both Action and NotAction" : "missing Action (or NotAction)");
  }
  st.not_action = not_action != nullptr;
  auto acts = parse_actions(action ? *action : *not_action, where + (action ? ".Action" : ".NotAction"), warnings);
  if (!acts) return core::propagate(std::move(acts));
  st.action_patterns = std::move(acts->first);
  st.actions = acts->second;
  const json::value* resource = o.if_contains("Resource");
  const json::value* not_resource = o.if_contains("NotResource");
  if ((resource == nullptr) == (not_resource == nullptr)) {
    return invalid(where, resource ? "has both Resource and NotResource" : "missing Resource (or NotResource)");
  }
  st.not_resource = not_resource != nullptr;
  auto res = parse_resources(resource ? *resource : *not_resource, where + (resource ? ".Resource" : ".NotResource"),
                             scope, warnings);
  if (!res) return core::propagate(std::move(res));
  st.resources = std::move(*res);
  if (const json::value* cond = o.if_contains("Condition")) {
    auto cs = parse_conditions(*cond, where + ".Condition", warnings);
    if (!cs) return core::propagate(std::move(cs));
    st.conditions = std::move(*cs);
  }
  return st;
}

}  // namespace

bool Template::has_variables() const noexcept {
  for (const TemplatePart& p : parts) {
    if (p.kind == TemplatePart::Kind::kVariable) return true;
  }
  return false;
}

std::size_t count_policy_chars(std::string_view json) noexcept {
  std::size_t n = 0;
  for (char ch : json) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if ((c & 0xC0) == 0x80) continue;  // UTF-8 continuation byte
    ++n;
  }
  return n;
}

core::Result<std::shared_ptr<const Policy>> compile(std::string_view text, const CompileOptions& options) {
  const std::size_t chars = count_policy_chars(text);
  if (chars > options.max_document_chars) {
    return core::fail(Errc::kInvalidArgument, "policy document has " + std::to_string(chars) +
                                                  " characters excluding whitespace; the limit is " +
                                                  std::to_string(options.max_document_chars));
  }
  boost::system::error_code ec;
  json::parse_options po;
  po.max_depth = 16;
  json::value doc = json::parse(text, ec, json::storage_ptr(), po);
  if (ec) return core::fail(Errc::kMalformed, "policy document is not valid JSON: " + ec.message());
  if (!doc.is_object()) return core::fail(Errc::kMalformed, "policy document must be a JSON object");
  const json::object& top = doc.get_object();
  for (const auto& [k, _] : top) {
    if (k != "Version" && k != "Statement" && k != "Id") {
      return core::fail(Errc::kInvalidArgument, "unknown top-level field " + quoted(k));
    }
  }
  auto policy = std::make_shared<Policy>();
  policy->name_ = options.policy_name;
  policy->version_id_ = options.version_id;
  policy->scope_ = options.scope;
  const json::value* version = top.if_contains("Version");
  if (version == nullptr) return core::fail(Errc::kInvalidArgument, "Version: missing (use \"2012-10-17\")");
  if (!version->is_string() || (version->get_string() != "2012-10-17" && version->get_string() != "2008-10-17")) {
    return core::fail(Errc::kInvalidArgument, "Version: must be \"2012-10-17\" (or \"2008-10-17\")");
  }
  policy->document_version_ = std::string(version->get_string());
  if (!policy->variables_enabled()) {
    policy->warnings_.push_back("Version 2008-10-17: policy variables are not substituted; statements using them "
                                "cannot match");
  }
  const json::value* statements = top.if_contains("Statement");
  if (statements == nullptr) return core::fail(Errc::kInvalidArgument, "Statement: missing");
  if (statements->is_object()) {
    auto st = parse_statement(*statements, "Statement[0]", options.scope, &policy->warnings_);
    if (!st) return core::propagate(std::move(st));
    policy->statements_.push_back(std::move(*st));
  } else if (statements->is_array()) {
    const json::array& a = statements->get_array();
    if (a.empty()) return core::fail(Errc::kInvalidArgument, "Statement: must not be empty");
    for (std::size_t i = 0; i < a.size(); ++i) {
      auto st = parse_statement(a[i], "Statement[" + std::to_string(i) + "]", options.scope, &policy->warnings_);
      if (!st) return core::propagate(std::move(st));
      policy->statements_.push_back(std::move(*st));
    }
  } else {
    return core::fail(Errc::kInvalidArgument, "Statement: expected a list of statements or one statement object");
  }
  return std::shared_ptr<const Policy>(std::move(policy));
}

}  // namespace tenet::policy
