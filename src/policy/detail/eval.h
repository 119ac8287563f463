#pragma once

// Internals shared by compile(), bind(), evaluate() and explain(): variable/key resolution,
// condition operands, and condition evaluation. Not part of the public surface.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policy/context.h"
#include "policy/detail/glob.h"
#include "policy/engine.h"
#include "policy/policy.h"

namespace tenet::policy::detail {

// ---- scalar parsing (no allocation) ----
std::optional<double> parse_number(std::string_view s) noexcept;
// ISO 8601 ("2024-05-01", "2024-05-01T10:00:00Z", "...+02:00", fractional seconds) or integer
// epoch seconds; returns epoch milliseconds.
std::optional<std::int64_t> parse_date_ms(std::string_view s) noexcept;

struct IpNet {
  std::array<std::uint8_t, 16> addr{};
  int prefix = 0;  // bits
  bool v6 = false;
};
// "10.0.0.0/8", "2001:db8::/32", or a bare address (full-length prefix).
std::optional<IpNet> parse_cidr(std::string_view s) noexcept;
bool cidr_contains(const IpNet& net, std::string_view address) noexcept;

bool iequals(std::string_view a, std::string_view b) noexcept;
std::string ascii_lower(std::string_view s);

// ---- keys and variables ----
inline constexpr std::size_t kMaxSubstitutedChars = 1024;  // AWS: longer values not substituted
inline constexpr std::size_t kMaxListItems = 5;            // AWS: arrays cut to 5 items

// aws:CurrentTime / aws:EpochTime: evaluated per request, never at bind.
bool is_request_key(std::string_view key) noexcept;
// Formats a request-scoped key into `buf`; returns the value or empty if `key` is not one.
std::string_view format_request_key(std::string_view key, std::chrono::system_clock::time_point now,
                                    std::span<char, 40> buf) noexcept;

struct VarValue {
  bool resolved = false;
  std::string value;
  std::string note;
};

// Reads a Context by IAM key / variable name. Cheap to construct; holds references.
class Resolver {
 public:
  Resolver(const Context& ctx, bool variables_enabled) : ctx_(ctx), vars_(variables_enabled) {}
  // Values of a condition key; empty = absent. Not for request-scoped keys.
  std::vector<std::string> key_values(std::string_view key) const;
  // A `${...}` variable, following AWS's substitution rules (docs/policy.md "Variables").
  VarValue variable(std::string_view name) const;

 private:
  struct Lookup {
    std::vector<std::string> values;
    bool certificate = false;
    bool multi = false;  // `.List`, AvailableKeys, ConnectAttributes
  };
  Lookup lookup(std::string_view key) const;
  const Context& ctx_;
  bool vars_;
};

// Substitutes the variables of `t`. An unresolved variable sets *poisoned (the pattern then
// cannot match; see docs/policy.md). Appends what happened to *trace when given.
Glob substitute(const Template& t, const Resolver& r, bool* poisoned,
                std::vector<Explanation::Variable>* trace);

// ---- conditions ----
struct Operand {
  Glob glob;
  bool poisoned = false;  // contains an unresolved variable
  bool parsed = false;    // the typed fields below are valid for the operator
  double number = 0;      // Numeric*: the number; Date*: epoch ms
  bool boolean = false;   // Bool / Null
  IpNet net;              // IpAddress / NotIpAddress
};

// Parses one condition value for `op`; sets *error (and leaves `parsed` false) when invalid.
Operand make_operand(ConditionOp op, Glob value, bool poisoned, std::string* error = nullptr);
std::vector<Operand> bind_operands(const Condition& c, const Resolver& r,
                                   std::vector<Explanation::Variable>* trace);

// Whether condition `c` holds given its operands and the key's values (empty = key absent).
// `in_deny` selects the fail-safe direction for negated operators with unresolved operands.
bool eval_condition(const Condition& c, std::span<const Operand> operands,
                    std::span<const std::string_view> key_values, bool in_deny) noexcept;

// ---- the bound representation (engine.cc) ----
struct BoundPattern {
  ResourceType type = ResourceType::kArn;  // kArn: `glob` is matched against the whole ARN
  Glob glob;                               // else: matched against the request's name
  bool poisoned = false;
};

struct BoundCondition {  // evaluated per request
  const Condition* condition = nullptr;
  std::vector<Operand> operands;
};

struct BoundStatement {
  const Policy* policy = nullptr;
  const Statement* statement = nullptr;
  int statement_index = 0;
  bool deny = false;
  bool report_only = false;
  bool static_ok = true;  // connection-scoped conditions hold
  std::vector<BoundPattern> resources;
  std::vector<BoundCondition> request_conditions;
};

struct BoundData {
  std::vector<std::shared_ptr<const Policy>> policies;
  Context context;
  Scope scope;
  std::array<std::string, 5> type_prefix;  // "arn:aws:iot:<r>:<a>:client/" ... per ResourceType
  std::vector<BoundStatement> statements;  // policy order, statement order
  // Indices of live statements (static_ok), by class; the per-action lists cover data-plane ids.
  struct Lists {
    std::vector<std::uint32_t> deny, report, allow;
  };
  Lists all;
  std::array<Lists, action::kDataPlaneCount> by_action;
  bool has_time_conditions = false;
};

}  // namespace tenet::policy::detail
