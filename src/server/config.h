#pragma once

// tenet server configuration: a TOML file (docs/configuration.md) overlaid by command-line flags.
// Every setting has a default; an unknown key is an error so that typos do not pass silently.

#include <string>
#include <string_view>
#include <vector>

#include "broker/options.h"
#include "control/http_options.h"
#include "core/result.h"

namespace tenet::server {

enum class AuthzMode { kPolicy, kDeny, kAllowAuthenticated };

struct Config {
  std::string data_dir;
  std::string log_level = "info";
  std::string log_format = "text";  // text | json
  std::vector<std::string> server_names;  // extra DNS names / IPs in the server certificate
  AuthzMode authz_mode = AuthzMode::kPolicy;
  // [authz] decision log (docs/policy.md#decision-log): DIR/decisions.log.
  bool decision_log = true;
  double decision_log_allow_sample_rate = 0.0;
  long long decision_log_max_bytes = 64ll << 20;
  broker::Options mqtt;
  // [control]: the HTTPS control plane (docs/api.md).
  control::HttpOptions control;
  std::string region = "us-east-1";        // in every ARN and the SigV4 scope
  std::string account_id = "000000000000";  // 12 digits, in every ARN
  int clock_skew_seconds = 300;             // SigV4 request time window (at most 900)
  // The host devices are told to connect to (DescribeEndpoint); default: the MQTT bind address,
  // or "localhost" when it binds every address.
  std::string endpoint_host;
};

// Parses TOML text. Errors: kInvalidArgument with the key and the problem.
core::Result<Config> parse_config(std::string_view toml_text, Config base = {});
// Reads and parses a file. Errors: kNotFound, kInvalidArgument.
core::Result<Config> load_config(const std::string& path, Config base = {});

core::Result<AuthzMode> parse_authz_mode(std::string_view s);
// Checks region and account id (also after flags override the file). Errors: kInvalidArgument.
core::Result<void> validate_identity(const Config& c);

}  // namespace tenet::server
