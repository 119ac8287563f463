// Private to sigv4: the pieces of the canonical request that sign() and verify() share.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sigv4/sigv4.h"

namespace tenet::sigv4::detail {

inline constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline constexpr std::string_view kTerminator = "aws4_request";

struct SplitTarget {
  std::string_view path;
  std::string_view query;  // without the '?'; empty when absent
};
SplitTarget split_target(std::string_view target);

bool iequals(std::string_view a, std::string_view b);
std::string to_lower(std::string_view s);
// A valid lowercase HTTP header name (RFC 9110 token with no uppercase letters).
bool is_lower_token(std::string_view s);
// botocore's Trimall: trims, and collapses each internal run of whitespace to one space.
std::string trimall(std::string_view v);
std::string_view trim(std::string_view v);
// The values of every header named `lname` (any case), each trimmed, joined with ','.
// nullopt when the header is absent.
std::optional<std::string> joined_header(std::span<const Header> headers, std::string_view lname);
std::size_t count_headers(std::span<const Header> headers, std::string_view lname);

// "name:value\n" for each signed header, in the given order. REQUIRES: every name is present.
std::string canonical_headers(std::span<const Header> headers, std::span<const std::string_view> names);

std::string canonical_request(std::string_view method, std::string_view canonical_uri,
                              std::string_view canonical_query, std::string_view canonical_headers,
                              std::string_view signed_headers, std::string_view payload_hash);
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);

// One decoded query parameter.
struct QueryParam {
  std::string name;
  std::string value;
};
// Splits on '&' (empty pieces skipped) and decodes. Stops after `limit` + 1 parameters.
std::vector<QueryParam> parse_query(std::string_view raw_query, std::size_t limit);

}  // namespace tenet::sigv4::detail
