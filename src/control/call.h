#pragma once

// One control-plane request as a handler sees it, and the reply it returns (docs/api.md).
// Handlers are plain functions `Reply(Call&)`: they run on the control-plane thread, may block on
// the store, and never throw on expected failures (an escaping exception becomes a 500).

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/result.h"

namespace tenet::control {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Call {
  std::string operation;         // model operation name, e.g. "DescribeEndpoint"
  std::string method;            // GET, POST, ...
  std::string raw_target;        // request-target as received (percent-encoded)
  Fields labels;                 // URI labels, percent-decoded
  Fields query;                  // query parameters, percent-decoded, in order
  Fields headers;                // lower-case names, values as received
  std::string body;
  std::string access_key_id;     // the verified caller
  std::string source;            // peer address "ip:port"
  std::string request_id;
  std::string resource;          // set by the handler: the ARN or name acted on, for the audit log

  std::string_view label(std::string_view name) const;
  std::optional<std::string_view> query_param(std::string_view name) const;
  std::optional<std::string_view> header(std::string_view name) const;
  // The JSON body as an object ({} for an empty body). Errors: kInvalidArgument naming the problem.
  core::Result<boost::json::object> json() const;
};

struct Reply {
  int status = 200;
  boost::json::value body = boost::json::object();  // serialised as the JSON response
  std::string error_type;                             // set on errors: x-amzn-ErrorType and __type
  Fields headers;                                     // extra response headers

  bool ok() const { return status >= 200 && status < 300; }
  static Reply json(boost::json::object body) { return Reply{200, std::move(body), {}, {}}; }
  static Reply empty() { return Reply{}; }
};

using Handler = std::function<Reply(Call&)>;

}  // namespace tenet::control
