#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fleet_index/query.h"

namespace tenet::fleet_index {
namespace {

// Parses `q` expecting failure; returns the error detail.
std::string error_of(std::string_view q, const ParseLimits& limits = {}) {
  auto r = parse(q, limits);
  if (r) return "<parsed: " + std::string(q) + ">";
  EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument) << q;
  return r.error().detail;
}

void expect_parses(std::string_view q) {
  auto r = parse(q);
  EXPECT_TRUE(r.has_value()) << q << ": " << (r ? "" : r.error().detail);
}

TEST(Parse, AcceptsTheDocumentedForms) {
  for (const char* q : {
           "thingName:myThing",
           "thingName:my*",
           "thingName:ab?",
           "attributes.myAttribute:i*t",
           "attributes.myAttribute:[75 TO 80]",
           "attributes.myAttribute:{75 TO 80]",
           "attributes.serialNumber:[\"abcd\" TO \"abcf\"]",
           "attributes.attr1:abc AND attributes.attr2<5 NOT attributes.attr3>10",
           "attributes.a>=5 attributes.b<=6 attributes.c:>7",
           "NOT attributes.model:legacy",
           "shadow.hasDelta:true",
           "thingName:(tv* AND -plasma)",
           "thingName:abc thingTypeName:xyz",
           "abc",
           "*",
           "thingName:*",
           "attributes.x:[* TO 5]",
           "attributes.name:\"hello world\"",
           "attributes.a\\:b:c\\ d",
           "(a:1 OR b:2) AND -(c:3)",
           "  thingName:x  ",
       }) {
    expect_parses(q);
  }
}

TEST(Parse, KeepsTextAndCountsTerms) {
  auto q = parse("a:1 (b:2 OR c:[1 TO 2]) d>3");
  ASSERT_TRUE(q) << q.error();
  EXPECT_EQ(q->text(), "a:1 (b:2 OR c:[1 TO 2]) d>3");
  EXPECT_EQ(q->term_count(), 4u);
}

TEST(Parse, EmptyQueryIsRejected) {
  EXPECT_EQ(error_of(""), "query is empty");
  EXPECT_EQ(error_of("   \t"), "query is empty");
}

TEST(Parse, UnbalancedParenthesesNameTheirPosition) {
  EXPECT_EQ(error_of("a:1 AND (b:2 OR c:3"), "unbalanced '(': no matching ')' at position 8");
  EXPECT_EQ(error_of("a:1)"), "unbalanced ')': no '(' to close at position 3");
  EXPECT_EQ(error_of(")"), "unbalanced ')': no '(' to close at position 0");
  EXPECT_EQ(error_of("a:1 ()"), "empty parentheses at position 4");
  EXPECT_EQ(error_of("thingName:(a OR b"), "unbalanced '(': no matching ')' at position 10");
}

TEST(Parse, LeadingWildcardIsRejectedByDefault) {
  EXPECT_EQ(error_of("thingName:*thing"), "a leading wildcard ('*thing') is not supported at position 10");
  EXPECT_EQ(error_of("?bc"), "a leading wildcard ('?bc') is not supported at position 0");
}

TEST(Parse, LeadingWildcardCanBeAllowedOncePerShortQuery) {
  ParseLimits one;
  one.max_leading_wildcard_terms = 1;
  EXPECT_TRUE(parse("thingName:*my", one));
  EXPECT_EQ(error_of("thingName:*my thingGroupNames:*echo", one),
            "at most 1 terms may start with a wildcard at position 30");
  const std::string long_query = "thingName:*my " + std::string(100, 'x');
  EXPECT_EQ(error_of(long_query, one), "a query with a leading wildcard may be at most 100 bytes long");
}

TEST(Parse, AtMostSevenTerms) {
  EXPECT_TRUE(parse("a:1 b:2 c:3 d:4 e:5 f:6 g:7"));
  EXPECT_EQ(error_of("a:1 b:2 c:3 d:4 e:5 f:6 g:7 h:8"),
            "too many terms: at most 7 are allowed, and term 8 starts at position 28");
  EXPECT_EQ(error_of("x:[1 TO 2] a b c d e f g"),
            "too many terms: at most 7 are allowed, and term 8 starts at position 23");
  ParseLimits twelve;
  twelve.max_terms = 12;
  EXPECT_TRUE(parse("a:1 b:2 c:3 d:4 e:5 f:6 g:7 h:8", twelve));
}

TEST(Parse, DanglingOperators) {
  EXPECT_EQ(error_of("a:1 AND"), "'AND' has no term after it at position 4");
  EXPECT_EQ(error_of("a:1 OR"), "'OR' has no term after it at position 4");
  EXPECT_EQ(error_of("AND a:1"), "'AND' has no term before it at position 0");
  EXPECT_EQ(error_of("OR a:1"), "'OR' has no term before it at position 0");
  EXPECT_EQ(error_of("a:1 AND OR b:2"), "'AND' has no term after it at position 4");
  EXPECT_EQ(error_of("a:1 OR AND b:2"), "'OR' has no term after it at position 4");
  EXPECT_EQ(error_of("NOT"), "'NOT' has no term after it at position 0");
  EXPECT_EQ(error_of("(a:1 NOT)"), "'NOT' has no term after it at position 5");
  EXPECT_EQ(error_of("-"), "'-' must be followed directly by a term at position 0");
  EXPECT_EQ(error_of("a:1 - b:2"), "'-' must be followed directly by a term at position 4");
}

TEST(Parse, MalformedTerms) {
  EXPECT_EQ(error_of("thingName:"), "expected a value after 'thingName:' at position 10");
  EXPECT_EQ(error_of("thingName: x"), "expected a value after 'thingName:' at position 10");
  EXPECT_EQ(error_of(":x"), "':' has no field name before it at position 0");
  EXPECT_EQ(error_of("a:b:c"), "unexpected ':' in a value (escape it as '\\:') at position 3");
  EXPECT_EQ(error_of("th*ng:x"), "a field name cannot contain wildcards at position 0");
  EXPECT_EQ(error_of("\"a b\":x"), "a field name cannot be quoted at position 0");
  EXPECT_EQ(error_of("a:\"open"), "unterminated quote at position 2");
  EXPECT_EQ(error_of("a:x\\"), "'\\' escapes nothing at position 3");
  EXPECT_EQ(error_of("a<"), "expected a value after '<' at position 1");
  EXPECT_EQ(error_of("a>=x*"), "a comparison value cannot contain wildcards at position 3");
  EXPECT_EQ(error_of(">5"), "a comparison needs a field, as in attributes.x>5, at position 0");
}

TEST(Parse, MalformedRanges) {
  EXPECT_EQ(error_of("[1 TO 2]"), "a range needs a field, as in attributes.x:[1 TO 5], at position 0");
  EXPECT_EQ(error_of("a:[1 2]"), "expected ' TO ' in the range at position 5");
  EXPECT_EQ(error_of("a:[1 to 2]"), "expected ' TO ' in the range at position 5");
  EXPECT_EQ(error_of("a:[1 TO 2"), "range is not closed with ']' or '}' at position 2");
  EXPECT_EQ(error_of("a:[1 TO ]"), "expected a range bound at position 8");
  EXPECT_EQ(error_of("a:[1 TO 2 3]"), "expected ']' or '}' to close the range at position 10");
  EXPECT_EQ(error_of("a:[1* TO 2]"), "a range bound cannot contain wildcards at position 3");
}

TEST(Parse, UnsupportedLuceneFeaturesSayWhat) {
  EXPECT_EQ(error_of("a:b~2"), "'~' (fuzzy and proximity search) is not supported at position 3");
  EXPECT_EQ(error_of("a:b^2"), "'^' (boosting) is not supported at position 3");
  EXPECT_EQ(error_of("+a:b"), "'+' is not supported (terms are required by default) at position 0");
  EXPECT_EQ(error_of("a:1 && b:2"), "'&&' is not supported; use AND, OR, NOT at position 4");
  EXPECT_EQ(error_of("a:(b:c)"), "field 'b' inside the field group of 'a' at position 3");
  EXPECT_EQ(error_of("a:(x OR b:(c))"), "field 'b' inside the field group of 'a' at position 8");
}

TEST(Parse, DeepNestingIsRejectedNotRecursedInto) {
  const auto nested = [](std::size_t n) { return std::string(n, '(') + "a" + std::string(n, ')'); };
  EXPECT_TRUE(parse(nested(16)));
  EXPECT_EQ(error_of(nested(17)), "nesting deeper than 16 levels of parentheses, NOT and '-' at position 17");
  EXPECT_EQ(error_of(nested(100000)), "query is 200001 bytes long; at most 4096 are allowed");
  ParseLimits roomy;
  roomy.max_length = 1 << 20;
  EXPECT_EQ(error_of(nested(100000), roomy),
            "nesting deeper than 16 levels of parentheses, NOT and '-' at position 17");
  std::string nots;
  for (int i = 0; i < 20; ++i) nots += "NOT ";
  EXPECT_EQ(error_of(nots + "a"), "nesting deeper than 16 levels of parentheses, NOT and '-' at position 68");
  EXPECT_EQ(error_of(std::string(40, '-') + "a"),
            "nesting deeper than 16 levels of parentheses, NOT and '-' at position 17");
}

TEST(Parse, LowercaseOperatorsAreWords) {
  // "and" is a term, so this is three ANDed terms, not a syntax error.
  auto q = parse("a:1 and b:2");
  ASSERT_TRUE(q) << q.error();
  EXPECT_EQ(q->term_count(), 3u);
}

TEST(Fields, ListsWhatTheQueryReads) {
  auto q = parse("thingName:a* OR (attributes.v>2 -connectivity.connected:true) shadow.reported.x:[1 TO 2] thingName:b");
  ASSERT_TRUE(q) << q.error();
  EXPECT_EQ(fields(*q), (std::vector<std::string>{"attributes.v", "connectivity.connected",
                                                  "shadow.reported.x", "thingName"}));
  EXPECT_TRUE(reads_field(*q, "attributes.v"));
  EXPECT_FALSE(reads_field(*q, "attributes.w"));
}

TEST(Fields, UnqualifiedTermReadsEverythingAndLoneStarNothing) {
  auto any = parse("thingName:a sensor");
  ASSERT_TRUE(any);
  EXPECT_EQ(fields(*any), (std::vector<std::string>{"*", "thingName"}));
  EXPECT_TRUE(reads_field(*any, "attributes.whatever"));
  auto all = parse("*");
  ASSERT_TRUE(all);
  EXPECT_TRUE(fields(*all).empty());
  EXPECT_FALSE(reads_field(*all, "thingName"));
  auto group = parse("thingGroupNames:(a OR b)");
  ASSERT_TRUE(group);
  EXPECT_EQ(fields(*group), (std::vector<std::string>{"thingGroupNames"}));
}

}  // namespace
}  // namespace tenet::fleet_index
