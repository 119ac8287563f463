#pragma once

// The AWS IoT fleet-indexing query language (SearchIndex queryString, dynamic thing groups).
// Syntax and every decision taken where AWS is vague: docs/fleet-index.md.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "fleet_index/document.h"

namespace tenet::fleet_index {

namespace detail {
struct Ast;
}  // namespace detail

// Bounds on what parse() accepts. Defaults follow docs/fleet-index.md.
struct ParseLimits {
  std::size_t max_terms = 7;        // leaf terms (field:value, ranges, comparisons, lone *)
  std::size_t max_depth = 16;       // nesting of (...), NOT and leading '-'
  std::size_t max_length = 4096;    // bytes of query text
  // Terms allowed to start with a wildcard ("thingName:*my"). AWS once forbade them and now allows
  // one per query, with the whole query then limited to kLeadingWildcardMaxLength bytes.
  std::size_t max_leading_wildcard_terms = 0;
};

inline constexpr std::size_t kLeadingWildcardMaxLength = 100;

class Query;

// Compiles `query_string`. Errors: kInvalidArgument (maps to InvalidQueryException), whose detail
// says what is wrong and at which 0-based byte position, e.g. "unbalanced '(' at position 4".
core::Result<Query> parse(std::string_view query_string, const ParseLimits& limits = {});

// True when `doc` satisfies `query`. Never fails: a missing field simply does not match.
bool matches(const Query& query, const Document& doc);

// The fields `query` reads, sorted and unique, so a registry can re-evaluate dynamic groups only
// when one of them changes. "*" in the result means "any field" (the query has an unqualified
// term); a query that is only a lone `*` reads nothing.
std::vector<std::string> fields(const Query& query);

// True when a change to `field` can change the result of `query` (see fields()).
bool reads_field(const Query& query, std::string_view field);

// A compiled query. Immutable and cheap to copy (shares its tree); safe to evaluate from many
// threads at once.
class Query {
 public:
  const std::string& text() const { return text_; }  // the query string as given to parse()
  std::size_t term_count() const { return terms_; }

 private:
  friend core::Result<Query> parse(std::string_view, const ParseLimits&);
  friend bool matches(const Query&, const Document&);
  friend std::vector<std::string> fields(const Query&);
  Query(std::string text, std::shared_ptr<const detail::Ast> ast, std::size_t terms);

  std::string text_;
  std::shared_ptr<const detail::Ast> ast_;
  std::size_t terms_ = 0;
};

}  // namespace tenet::fleet_index
