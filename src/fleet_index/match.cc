// Evaluates a compiled query over a Document. Recursion depth is bounded by ParseLimits::max_depth.
#include "fleet_index/query.h"

#include <string_view>

#include "fleet_index/detail/ast.h"

namespace tenet::fleet_index {
namespace detail {

// The evaluator's view of a Document's precomputed per-value data.
struct DocumentAccess {
  using Slot = Document::Slot;
  static const Slot* find(const Document& doc, std::string_view field) {
    const auto it = doc.fields_.find(field);
    return it == doc.fields_.end() ? nullptr : &it->second;
  }
  static const auto& all(const Document& doc) { return doc.fields_; }
};

}  // namespace detail

namespace {

using detail::Atom;
using detail::Bound;
using detail::Node;
using detail::NodeKind;
using detail::Pattern;
using Access = detail::DocumentAccess;

// Steps over one UTF-8 code point, so that '?' matches one character, not one byte.
std::size_t next_char(std::string_view s, std::size_t i) {
  ++i;
  while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
  return i;
}

// Glob match with single-star backtracking: O(pattern * text) at worst, never exponential.
bool glob(const std::vector<Atom>& pat, std::string_view text) {
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t p = 0, t = 0, star = kNone, mark = 0;
  while (t < text.size()) {
    if (p < pat.size() && pat[p].kind == Atom::Kind::kQuestion) {
      ++p;
      t = next_char(text, t);
    } else if (p < pat.size() && pat[p].kind == Atom::Kind::kByte && pat[p].byte == text[t]) {
      ++p;
      ++t;
    } else if (p < pat.size() && pat[p].kind == Atom::Kind::kStar) {
      star = p++;
      mark = t;
    } else if (star != kNone) {
      p = star + 1;
      mark = next_char(text, mark);
      t = mark;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p].kind == Atom::Kind::kStar) ++p;
  return p == pat.size();
}


bool value_matches(const Pattern& p, const std::string& folded, const std::optional<double>& numeric) {
  if (p.has_wildcard) return glob(p.atoms, folded);
  if (folded == p.folded) return true;
  return p.numeric && numeric && *p.numeric == *numeric;
}

// Numbers compare as numbers when every present bound is numeric; otherwise everything compares
// as folded text (bytewise). A numeric range never matches a non-numeric value.
bool in_range(const Node& n, const std::string& folded, const std::optional<double>& numeric) {
  const bool numeric_mode = (!n.lower.present || n.lower.numeric) && (!n.upper.present || n.upper.numeric);
  if (numeric_mode && (n.lower.present || n.upper.present)) {
    if (!numeric) return false;
    const double v = *numeric;
    if (n.lower.present && (n.lower.inclusive ? v < *n.lower.numeric : v <= *n.lower.numeric)) return false;
    if (n.upper.present && (n.upper.inclusive ? v > *n.upper.numeric : v >= *n.upper.numeric)) return false;
    return true;
  }
  const std::string_view v = folded;
  if (n.lower.present) {
    const int c = v.compare(n.lower.folded);
    if (n.lower.inclusive ? c < 0 : c <= 0) return false;
  }
  if (n.upper.present) {
    const int c = v.compare(n.upper.folded);
    if (n.upper.inclusive ? c > 0 : c >= 0) return false;
  }
  return true;
}

template <typename Pred>
bool any_value(const Access::Slot& slot, Pred&& pred) {
  for (const auto& d : slot.derived) {
    if (pred(d.folded, d.numeric)) return true;
  }
  return false;
}

template <typename Pred>
bool any_value_of(const Node& n, const Document& doc, Pred&& pred) {
  if (n.field.empty()) {
    for (const auto& entry : Access::all(doc)) {
      if (any_value(entry.second, pred)) return true;
    }
    return false;
  }
  const Access::Slot* slot = Access::find(doc, n.field);
  return slot != nullptr && any_value(*slot, pred);
}

bool eval(const std::vector<Node>& nodes, const Node& n, const Document& doc) {
  switch (n.kind) {
    case NodeKind::kAnd:
      for (auto c : n.children) {
        if (!eval(nodes, nodes[c], doc)) return false;
      }
      return true;
    case NodeKind::kOr:
      for (auto c : n.children) {
        if (eval(nodes, nodes[c], doc)) return true;
      }
      return false;
    case NodeKind::kNot:
      return !eval(nodes, nodes[n.children.front()], doc);
    case NodeKind::kAll:
      return true;
    case NodeKind::kExists: {
      const Access::Slot* slot = Access::find(doc, n.field);
      return slot != nullptr && !slot->values.empty();
    }
    case NodeKind::kMatch:
      return any_value_of(n, doc, [&](const std::string& folded, const std::optional<double>& numeric) {
        return value_matches(n.pattern, folded, numeric);
      });
    case NodeKind::kRange:
      return any_value_of(n, doc, [&](const std::string& folded, const std::optional<double>& numeric) {
        return in_range(n, folded, numeric);
      });
  }
  return false;
}

}  // namespace

bool matches(const Query& query, const Document& doc) {
  const auto& nodes = query.ast_->nodes;
  return eval(nodes, nodes.back(), doc);
}

}  // namespace tenet::fleet_index
