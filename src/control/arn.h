#pragma once

// ARNs as tenet returns and accepts them: arn:aws:iot:<region>:<account>:<type>/<name>. Region and
// account id come from the [control] config and appear in every ARN tenet returns.

#include <optional>
#include <string>
#include <string_view>

namespace tenet::control {

struct Partition {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";

  // "arn:aws:iot:us-east-1:000000000000:thing/dev-1" for arn("thing", "dev-1").
  std::string arn(std::string_view resource_type, std::string_view name) const;
};

struct Arn {
  std::string partition;  // "aws"
  std::string service;    // "iot"
  std::string region;
  std::string account_id;
  std::string resource;   // "thing/dev-1", "cert/<id>", "all/things"
  // Splits `resource` at its first '/': ("thing", "dev-1"); ("", resource) when there is no '/'.
  std::pair<std::string_view, std::string_view> type_and_name() const;
};

// Parses "arn:<partition>:<service>:<region>:<account>:<resource>" (the resource may contain ':').
std::optional<Arn> parse_arn(std::string_view text);

}  // namespace tenet::control
