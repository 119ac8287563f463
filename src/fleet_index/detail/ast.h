#pragma once

// The compiled form of a query: a flat node array, children by index, root last. Private.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tenet::fleet_index::detail {

// One unit of a value pattern: a literal byte (already ASCII-folded) or a wildcard.
struct Atom {
  enum class Kind : std::uint8_t { kByte, kStar, kQuestion };
  Kind kind = Kind::kByte;
  char byte = 0;
  friend bool operator==(const Atom&, const Atom&) = default;
};

struct Pattern {
  std::vector<Atom> atoms;
  bool has_wildcard = false;
  std::string folded;             // the literal text when !has_wildcard
  std::optional<double> numeric;  // when !has_wildcard and the text is a number
};

struct Bound {
  bool present = false;  // false: unbounded (written '*')
  bool inclusive = true;
  std::string folded;
  std::optional<double> numeric;
};

enum class NodeKind : std::uint8_t {
  kAnd,     // all children
  kOr,      // any child
  kNot,     // one child
  kAll,     // lone '*': every document
  kMatch,   // field:pattern; empty field = any field (unqualified term)
  kExists,  // field:* : the field has at least one value
  kRange,   // field:[a TO b], field>a, ...
};

struct Node {
  NodeKind kind = NodeKind::kAll;
  std::string field;
  Pattern pattern;       // kMatch
  Bound lower, upper;    // kRange
  std::vector<std::uint32_t> children;
};

struct Ast {
  std::vector<Node> nodes;  // root is nodes.back()
};

}  // namespace tenet::fleet_index::detail
