#pragma once

// rest-json routing by the model's HTTP method + URI template (docs/api.md). The raw path is split
// on '/' before each label is percent-decoded, so an encoded '/' (%2F) inside a topic or an ARN
// stays inside its label. Templates use the botocore syntax: `{name}` matches one segment,
// `{name+}` (greedy) the rest of the path. Literal segments win over labels when both match.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/call.h"
#include "core/result.h"

namespace tenet::control {

struct Route {
  std::string operation;              // "DescribeEndpoint"
  std::string method;                 // "GET"
  std::string uri;                    // "/endpoint", "/things/{thingName}"
  std::vector<std::string> services;  // SigV4 scope services accepted, e.g. {"iot", "execute-api"}
  Handler handler;
};

// Percent-decodes `s`. Errors: kInvalidArgument on a truncated or non-hex escape. '+' stays '+'
// in paths; query decoding (decode_query) turns '+' into a space as form encoding does.
core::Result<std::string> percent_decode(std::string_view s);

// Splits "a=1&b&c=%20" into decoded pairs (a valueless name gets ""). Errors: kInvalidArgument.
core::Result<Fields> decode_query(std::string_view raw_query);

class Router {
 public:
  // REQUIRES: no route with the same method and template exists; templates start with '/'.
  void add(Route route);

  enum class Miss { kNone, kNoRoute, kMethodNotAllowed, kBadEncoding };
  struct Match {
    const Route* route = nullptr;
    Fields labels;
    Miss miss = Miss::kNone;
  };
  // Matches a raw (still encoded) path, without the query.
  Match match(std::string_view method, std::string_view raw_path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Segment {
    std::string text;  // literal text, or the label name
    bool label = false;
    bool greedy = false;
  };
  struct Entry {
    std::size_t route;
    std::vector<Segment> segments;
    int literals = 0;
  };
  std::vector<Route> routes_;
  std::vector<Entry> entries_;
};

}  // namespace tenet::control
