// The query parser: hand-written recursive descent over the query text (grammar in
// docs/fleet-index.md). Precedence, loosest first: OR, then AND (explicit or by juxtaposition),
// then NOT / leading '-'.
#include "fleet_index/query.h"

#include <algorithm>
#include <string>
#include <utility>

#include "fleet_index/detail/ast.h"
#include "fleet_index/detail/text.h"

namespace tenet::fleet_index {

Query::Query(std::string text, std::shared_ptr<const detail::Ast> ast, std::size_t terms)
    : text_(std::move(text)), ast_(std::move(ast)), terms_(terms) {}

namespace {

using detail::Atom;
using detail::Bound;
using detail::Node;
using detail::NodeKind;
using detail::Pattern;
using Index = std::uint32_t;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// Characters that end a bare word unless escaped with '\'.
bool ends_word(char c) {
  return is_space(c) || c == '(' || c == ')' || c == ':' || c == '<' || c == '>' || c == '"' || c == '[' ||
         c == ']' || c == '{' || c == '}';
}

// A value or field name as written: escapes resolved, wildcards marked, case preserved.
struct Word {
  std::size_t pos = 0;
  std::string text;          // unescaped; wildcards appear as '*' / '?'
  std::vector<Atom> atoms;   // not folded yet
  bool has_wildcard = false;
  bool quoted = false;

  bool is_lone_star() const { return !quoted && atoms.size() == 1 && atoms[0].kind == Atom::Kind::kStar; }
};

class Parser {
 public:
  Parser(std::string_view s, const ParseLimits& limits) : s_(s), limits_(limits) {}

  // On success the tree is in ast(), the term count in terms().
  core::Result<void> run() {
    if (s_.size() > limits_.max_length) {
      return core::fail(core::Errc::kInvalidArgument,
                        "query is " + std::to_string(s_.size()) + " bytes long; at most " +
                            std::to_string(limits_.max_length) + " are allowed");
    }
    skip_ws();
    if (at_end()) return core::fail(core::Errc::kInvalidArgument, "query is empty");
    auto root = parse_or(0);
    if (!root) return core::propagate(std::move(root));
    skip_ws();
    if (!at_end()) {
      // parse_or stops only at the end or at a ')' that no '(' opened.
      return error("unbalanced ')': no '(' to close", pos_);
    }
    if (leading_wildcards_ > 0 && s_.size() > kLeadingWildcardMaxLength) {
      return core::fail(core::Errc::kInvalidArgument,
                        "a query with a leading wildcard may be at most " +
                            std::to_string(kLeadingWildcardMaxLength) + " bytes long");
    }
    return {};
  }

  detail::Ast& ast() { return ast_; }
  std::size_t terms() const { return terms_; }

 private:
  core::Unexpected error(const std::string& what, std::size_t pos) const {
    return core::fail(core::Errc::kInvalidArgument, what + " at position " + std::to_string(pos));
  }

  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }
  void skip_ws() {
    while (!at_end() && is_space(s_[pos_])) ++pos_;
  }

  // Operators and TO are upper case only (as in Lucene); "and" is an ordinary word.
  bool at_keyword(std::string_view kw) const {
    if (s_.substr(pos_, kw.size()) != kw) return false;
    const std::size_t after = pos_ + kw.size();
    return after == s_.size() || is_space(s_[after]) || s_[after] == '(' || s_[after] == ')' || s_[after] == '"';
  }

  Index add(Node n) {
    ast_.nodes.push_back(std::move(n));
    return static_cast<Index>(ast_.nodes.size() - 1);
  }

  Index combine(NodeKind kind, std::vector<Index> kids) {
    if (kids.size() == 1) return kids[0];
    Node n;
    n.kind = kind;
    n.children = std::move(kids);
    return add(std::move(n));
  }

  core::Result<void> count_term(std::size_t pos) {
    if (++terms_ > limits_.max_terms) {
      return error("too many terms: at most " + std::to_string(limits_.max_terms) + " are allowed, and term " +
                       std::to_string(terms_) + " starts",
                   pos);
    }
    return {};
  }

  // After a binary or unary operator: there must be a term, not the end, ')' or another operator.
  core::Result<void> expect_operand(std::string_view op, std::size_t op_pos) {
    skip_ws();
    if (at_end() || peek() == ')' || at_keyword("AND") || at_keyword("OR")) {
      return error("'" + std::string(op) + "' has no term after it", op_pos);
    }
    return {};
  }

  core::Result<Index> parse_or(std::size_t depth) {
    auto first = parse_and(depth);
    if (!first) return first;
    std::vector<Index> kids{*first};
    for (;;) {
      skip_ws();
      if (!at_keyword("OR")) break;
      const std::size_t op = pos_;
      pos_ += 2;
      if (auto ok = expect_operand("OR", op); !ok) return core::fail(std::move(ok).error());
      auto next = parse_and(depth);
      if (!next) return next;
      kids.push_back(*next);
    }
    return combine(NodeKind::kOr, std::move(kids));
  }

  core::Result<Index> parse_and(std::size_t depth) {
    auto first = parse_unary(depth);
    if (!first) return first;
    std::vector<Index> kids{*first};
    for (;;) {
      skip_ws();
      if (at_end() || peek() == ')' || at_keyword("OR")) break;
      if (at_keyword("AND")) {
        const std::size_t op = pos_;
        pos_ += 3;
        if (auto ok = expect_operand("AND", op); !ok) return core::fail(std::move(ok).error());
      }
      auto next = parse_unary(depth);  // juxtaposition means AND
      if (!next) return next;
      kids.push_back(*next);
    }
    return combine(NodeKind::kAnd, std::move(kids));
  }

  core::Result<Index> parse_unary(std::size_t depth) {
    skip_ws();
    if (depth > limits_.max_depth) {
      return error("nesting deeper than " + std::to_string(limits_.max_depth) +
                       " levels of parentheses, NOT and '-'",
                   pos_);
    }
    const std::size_t op = pos_;
    bool negate = false;
    if (at_keyword("NOT")) {
      pos_ += 3;
      if (auto ok = expect_operand("NOT", op); !ok) return core::fail(std::move(ok).error());
      negate = true;
    } else if (peek() == '-') {
      ++pos_;
      if (at_end() || is_space(peek()) || peek() == ')') {
        return error("'-' must be followed directly by a term", op);
      }
      negate = true;
    } else if (peek() == '+') {
      return error("'+' is not supported (terms are required by default)", op);
    }
    if (!negate) return parse_primary(depth);
    auto child = parse_unary(depth + 1);
    if (!child) return child;
    Node n;
    n.kind = NodeKind::kNot;
    n.children = {*child};
    return add(std::move(n));
  }

  // '(' query ')' after `open` was consumed; shared by plain groups and field groups.
  core::Result<Index> parse_group(std::size_t open, std::size_t depth) {
    skip_ws();
    if (peek() == ')') return error("empty parentheses", open);
    if (at_end()) return error("unbalanced '(': no matching ')'", open);
    auto inner = parse_or(depth + 1);
    if (!inner) return inner;
    skip_ws();
    if (peek() != ')') return error("unbalanced '(': no matching ')'", open);
    ++pos_;
    return inner;
  }

  core::Result<Index> parse_primary(std::size_t depth) {
    const std::size_t start = pos_;
    const char c = peek();
    if (c == '(') {
      ++pos_;
      return parse_group(start, depth);
    }
    if (c == ')') return error("unbalanced ')': no '(' to close", start);
    if (at_keyword("AND") || at_keyword("OR")) {
      return error("'" + std::string(c == 'A' ? "AND" : "OR") + "' has no term before it", start);
    }
    if (in_group_ && (c == '[' || c == '{' || c == '<' || c == '>')) {
      return parse_field_value(group_field_, start, depth);
    }
    if (c == '[' || c == '{') return error("a range needs a field, as in attributes.x:[1 TO 5],", start);
    if (c == '<' || c == '>') return error("a comparison needs a field, as in attributes.x>5,", start);
    if (c == ':') return error("':' has no field name before it", start);
    if (c == ']' || c == '}') return error(std::string("unexpected '") + c + "'", start);

    auto word = c == '"' ? read_quoted() : read_word();
    if (!word) return core::propagate(std::move(word));
    const char next = peek();
    if (word->quoted && next == ':') return error("a field name cannot be quoted", start);
    if (!word->quoted && (next == ':' || next == '<' || next == '>')) {
      if (in_group_) {
        return error("field '" + word->text + "' inside the field group of '" + group_field_ + "'", start);
      }
      if (word->has_wildcard) return error("a field name cannot contain wildcards", start);
      if (next == ':') {
        ++pos_;
        return parse_field_value(word->text, start, depth);
      }
      return parse_comparison(word->text, start);
    }
    if (!word->quoted && (word->text == "&&" || word->text == "||" || word->text == "!")) {
      return error("'" + word->text + "' is not supported; use AND, OR, NOT", start);
    }
    return add_match(in_group_ ? group_field_ : std::string(), *word, start);
  }

  // After "field:"; `field_pos` is where the term starts (for messages).
  core::Result<Index> parse_field_value(const std::string& field, std::size_t field_pos, std::size_t depth) {
    const std::size_t p = pos_;
    const char c = peek();
    if (at_end() || is_space(c) || c == ')' || c == ']' || c == '}' || c == ':') {
      return error("expected a value after '" + field + ":'", p);
    }
    if (c == '(') {
      if (in_group_) return error("field groups cannot be nested", p);
      ++pos_;
      in_group_ = true;
      group_field_ = field;
      auto inner = parse_group(p, depth);
      in_group_ = false;
      group_field_.clear();
      return inner;
    }
    if (c == '[' || c == '{') return parse_range(field, field_pos);
    if (c == '<' || c == '>') return parse_comparison(field, field_pos);
    auto word = c == '"' ? read_quoted() : read_word();
    if (!word) return core::propagate(std::move(word));
    if (!word->quoted && peek() == ':') return error("unexpected ':' in a value (escape it as '\\:')", pos_);
    return add_match(field, *word, field_pos);
  }

  core::Result<Index> add_match(const std::string& field, const Word& word, std::size_t term_pos) {
    if (auto ok = count_term(term_pos); !ok) return core::fail(std::move(ok).error());
    Node n;
    n.field = field;
    if (word.is_lone_star()) {
      n.kind = field.empty() ? NodeKind::kAll : NodeKind::kExists;
      return add(std::move(n));
    }
    if (!word.atoms.empty() && word.atoms[0].kind != Atom::Kind::kByte) {
      if (++leading_wildcards_ > limits_.max_leading_wildcard_terms) {
        return error(limits_.max_leading_wildcard_terms == 0
                         ? "a leading wildcard ('" + word.text + "') is not supported"
                         : "at most " + std::to_string(limits_.max_leading_wildcard_terms) +
                               " terms may start with a wildcard",
                     word.pos);
      }
    }
    n.kind = NodeKind::kMatch;
    Pattern& p = n.pattern;
    p.atoms = word.atoms;
    for (Atom& a : p.atoms) {
      if (a.kind == Atom::Kind::kByte && a.byte >= 'A' && a.byte <= 'Z') a.byte = static_cast<char>(a.byte - 'A' + 'a');
    }
    p.has_wildcard = word.has_wildcard;
    if (!p.has_wildcard) {
      p.folded = detail::fold(word.text);
      p.numeric = detail::parse_number(word.text);
    }
    return add(std::move(n));
  }

  core::Result<Index> parse_comparison(const std::string& field, std::size_t field_pos) {
    const std::size_t op = pos_;
    const bool less = peek() == '<';
    ++pos_;
    const bool or_equal = peek() == '=';
    if (or_equal) ++pos_;
    const std::string op_text = std::string(less ? "<" : ">") + (or_equal ? "=" : "");
    const char c = peek();
    if (at_end() || (c != '"' && ends_word(c))) return error("expected a value after '" + op_text + "'", op);
    auto word = c == '"' ? read_quoted() : read_word();
    if (!word) return core::propagate(std::move(word));
    if (word->has_wildcard) return error("a comparison value cannot contain wildcards", word->pos);
    if (auto ok = count_term(field_pos); !ok) return core::fail(std::move(ok).error());
    Node n;
    n.kind = NodeKind::kRange;
    n.field = field;
    Bound& b = less ? n.upper : n.lower;
    b = make_bound(*word);
    b.inclusive = or_equal;
    return add(std::move(n));
  }

  core::Result<Index> parse_range(const std::string& field, std::size_t field_pos) {
    const std::size_t open = pos_;
    Node n;
    n.kind = NodeKind::kRange;
    n.field = field;
    const bool lower_inclusive = peek() == '[';
    ++pos_;
    skip_ws();
    auto lower = read_bound(open);
    if (!lower) return core::propagate(std::move(lower));
    n.lower = *lower;
    n.lower.inclusive = lower_inclusive;
    const std::size_t before_to = pos_;
    skip_ws();
    if (pos_ == before_to || !at_keyword("TO")) return error("expected ' TO ' in the range", pos_);
    pos_ += 2;
    skip_ws();
    auto upper = read_bound(open);
    if (!upper) return core::propagate(std::move(upper));
    n.upper = *upper;
    skip_ws();
    if (at_end()) return error("range is not closed with ']' or '}'", open);
    if (peek() != ']' && peek() != '}') return error("expected ']' or '}' to close the range", pos_);
    n.upper.inclusive = peek() == ']';
    ++pos_;
    if (auto ok = count_term(field_pos); !ok) return core::fail(std::move(ok).error());
    return add(std::move(n));
  }

  core::Result<Bound> read_bound(std::size_t open) {
    const char c = peek();
    if (at_end()) return error("range is not closed with ']' or '}'", open);
    if (c != '"' && ends_word(c)) return error("expected a range bound", pos_);
    auto word = c == '"' ? read_quoted() : read_word();
    if (!word) return core::propagate(std::move(word));
    if (word->is_lone_star()) return Bound{};  // open-ended
    if (word->has_wildcard) return error("a range bound cannot contain wildcards", word->pos);
    return make_bound(*word);
  }

  static Bound make_bound(const Word& w) {
    Bound b;
    b.present = true;
    b.folded = detail::fold(w.text);
    b.numeric = detail::parse_number(w.text);
    return b;
  }

  core::Result<Word> read_word() {
    Word w;
    w.pos = pos_;
    while (!at_end()) {
      const char c = s_[pos_];
      if (c == '\\') {
        if (pos_ + 1 >= s_.size()) return error("'\\' escapes nothing", pos_);
        w.text += s_[pos_ + 1];
        w.atoms.push_back(Atom{Atom::Kind::kByte, s_[pos_ + 1]});
        pos_ += 2;
        continue;
      }
      if (ends_word(c)) break;
      if (c == '^') return error("'^' (boosting) is not supported", pos_);
      if (c == '~') return error("'~' (fuzzy and proximity search) is not supported", pos_);
      w.text += c;
      if (c == '*' || c == '?') {
        w.atoms.push_back(Atom{c == '*' ? Atom::Kind::kStar : Atom::Kind::kQuestion, 0});
        w.has_wildcard = true;
      } else {
        w.atoms.push_back(Atom{Atom::Kind::kByte, c});
      }
      ++pos_;
    }
    return w;
  }

  // A phrase: exact text, no wildcards; '\' escapes the next byte ('\"', '\\').
  core::Result<Word> read_quoted() {
    Word w;
    w.pos = pos_;
    w.quoted = true;
    ++pos_;
    while (!at_end() && s_[pos_] != '"') {
      if (s_[pos_] == '\\') {
        if (pos_ + 1 >= s_.size()) break;
        ++pos_;
      }
      w.text += s_[pos_];
      w.atoms.push_back(Atom{Atom::Kind::kByte, s_[pos_]});
      ++pos_;
    }
    if (at_end()) return error("unterminated quote", w.pos);
    ++pos_;
    return w;
  }

  std::string_view s_;
  const ParseLimits& limits_;
  std::size_t pos_ = 0;
  detail::Ast ast_;
  std::size_t terms_ = 0;
  std::size_t leading_wildcards_ = 0;
  bool in_group_ = false;     // inside field:( ... )
  std::string group_field_;   // the field of that group
};

}  // namespace

core::Result<Query> parse(std::string_view query_string, const ParseLimits& limits) {
  Parser parser(query_string, limits);
  if (auto ok = parser.run(); !ok) return core::fail(std::move(ok).error());
  return Query(std::string(query_string), std::make_shared<const detail::Ast>(std::move(parser.ast())),
               parser.terms());
}

std::vector<std::string> fields(const Query& query) {
  std::vector<std::string> out;
  for (const Node& n : query.ast_->nodes) {
    if (n.kind == NodeKind::kMatch || n.kind == NodeKind::kExists || n.kind == NodeKind::kRange) {
      out.push_back(n.field.empty() ? std::string("*") : n.field);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool reads_field(const Query& query, std::string_view field) {
  const auto f = fields(query);
  return std::any_of(f.begin(), f.end(), [&](const std::string& x) { return x == "*" || x == field; });
}

}  // namespace tenet::fleet_index
