#pragma once

// AWS IoT policy documents: parse and compile (docs/policy.md describes the language as tenet
// implements it). A compiled Policy is immutable and safe to share between threads; the compiled
// statements are exposed read-only so that other modules (audit) can analyse policies.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "policy/actions.h"

namespace tenet::policy {

// Where this hub lives: resource ARNs are arn:<partition>:iot:<region>:<account_id>:<type>/<name>.
struct Scope {
  std::string partition = "aws";
  std::string region;
  std::string account_id;
};

struct CompileOptions {
  Scope scope;
  std::string policy_name;  // carried into decisions and explanations
  std::string version_id;   // e.g. "1"
  // AWS limit: 2048 characters excluding whitespace (UTF-8 code points are counted).
  std::size_t max_document_chars = 2048;
};

// One piece of a policy string after `${...}` parsing. Wildcards are pieces of their own so
// that the escapes `${*}`, `${?}`, `${$}` can produce literal characters.
struct TemplatePart {
  enum class Kind : std::uint8_t { kLiteral, kStar, kQuestion, kVariable };
  Kind kind = Kind::kLiteral;
  std::string text;  // literal characters, or the variable name without `${` `}`
};

// A Resource/NotResource pattern or a condition value, as written and parsed.
struct Template {
  std::string source;
  std::vector<TemplatePart> parts;
  bool has_variables() const noexcept;
};

enum class ConditionOp : std::uint8_t {
  kStringEquals, kStringNotEquals, kStringEqualsIgnoreCase, kStringNotEqualsIgnoreCase,
  kStringLike, kStringNotLike,
  kNumericEquals, kNumericNotEquals, kNumericLessThan, kNumericLessThanEquals,
  kNumericGreaterThan, kNumericGreaterThanEquals,
  kDateEquals, kDateNotEquals, kDateLessThan, kDateLessThanEquals, kDateGreaterThan,
  kDateGreaterThanEquals,
  kBool, kIpAddress, kNotIpAddress,
  kArnEquals, kArnNotEquals, kArnLike, kArnNotLike,
  kNull,
};

enum class SetQualifier : std::uint8_t { kNone, kForAllValues, kForAnyValue };

// One `"<operator>": {"<key>": <values>}` pair of a Condition block.
struct Condition {
  std::string operator_text;  // as written, e.g. "ForAllValues:StringEqualsIfExists"
  ConditionOp op = ConditionOp::kStringEquals;
  SetQualifier qualifier = SetQualifier::kNone;
  bool if_exists = false;
  std::string key;  // as written, e.g. "iot:Certificate.Subject.OrganizationalUnit.List"
  std::vector<Template> values;
};

enum class StatementEffect : std::uint8_t { kAllow, kDeny };

struct Statement {
  std::string sid;  // empty when absent
  StatementEffect effect = StatementEffect::kDeny;
  bool report_only = false;  // tenet extension "tenet:Mode": "report-only" (Deny only)
  bool not_action = false;   // the patterns came from NotAction
  std::vector<std::string> action_patterns;
  ActionSet actions;  // known actions matching action_patterns (before NotAction inversion)
  bool not_resource = false;  // the patterns came from NotResource
  std::vector<Template> resources;
  std::vector<Condition> conditions;  // all must hold

  // Whether the statement's Action/NotAction covers `id`.
  bool covers_action(ActionId id) const noexcept {
    return id < kMaxActions && actions.test(id) != not_action;
  }
};

class Policy {
 public:
  const std::string& name() const noexcept { return name_; }
  const std::string& version_id() const noexcept { return version_id_; }
  const std::string& document_version() const noexcept { return document_version_; }  // "2012-10-17"
  const Scope& scope() const noexcept { return scope_; }
  const std::vector<Statement>& statements() const noexcept { return statements_; }
  // Accepted but suspicious constructs ("region does not match: can never match", ...).
  const std::vector<std::string>& warnings() const noexcept { return warnings_; }
  // Variables are substituted only for Version 2012-10-17 (as IAM does).
  bool variables_enabled() const noexcept { return document_version_ == "2012-10-17"; }

 private:
  friend core::Result<std::shared_ptr<const Policy>> compile(std::string_view, const CompileOptions&);
  std::string name_;
  std::string version_id_;
  std::string document_version_;
  Scope scope_;
  std::vector<Statement> statements_;
  std::vector<std::string> warnings_;
};

// Parses and validates a policy document. Error details name the statement (0-based) and field:
//   Statement[2].Action: "iot:Pubish" is not a known action
// Errors: kMalformed (not JSON, or JSON of the wrong shape at the top level),
//         kInvalidArgument (valid JSON that is not a valid policy, or over max_document_chars).
core::Result<std::shared_ptr<const Policy>> compile(std::string_view json, const CompileOptions& options);

// Number of characters of `json` that count toward the size limit (non-whitespace code points).
std::size_t count_policy_chars(std::string_view json) noexcept;

}  // namespace tenet::policy
