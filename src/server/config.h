#pragma once

// tenet server configuration: a TOML file (docs/configuration.md) overlaid by command-line flags.
// Every setting has a default; an unknown key is an error so that typos do not pass silently.

#include <string>
#include <string_view>
#include <vector>

#include "broker/options.h"
#include "core/result.h"

namespace tenet::server {

enum class AuthzMode { kDeny, kAllowAuthenticated };

struct Config {
  std::string data_dir;
  std::string log_level = "info";
  std::string log_format = "text";  // text | json
  std::vector<std::string> server_names;  // extra DNS names / IPs in the server certificate
  AuthzMode authz_mode = AuthzMode::kDeny;
  broker::Options mqtt;
};

// Parses TOML text. Errors: kInvalidArgument with the key and the problem.
core::Result<Config> parse_config(std::string_view toml_text, Config base = {});
// Reads and parses a file. Errors: kNotFound, kInvalidArgument.
core::Result<Config> load_config(const std::string& path, Config base = {});

core::Result<AuthzMode> parse_authz_mode(std::string_view s);

}  // namespace tenet::server
