#pragma once

// A small synchronous client for tenet's control plane (and any AWS-style rest-json endpoint):
// resolves where and as whom to connect the way the AWS CLI does, signs with SigV4 and sends one
// request over HTTPS. Used by the `tenet` admin commands and the demo.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "core/result.h"

namespace tenet::control {

// What the user said; empty fields are looked up (see resolve()).
struct ClientFlags {
  std::string data_dir;      // a tenet data dir: endpoints.json, admin-credentials, ca.pem
  std::string endpoint_url;  // https://host:port
  std::string profile;       // AWS shared-credentials profile
  std::string region;
  std::string ca_bundle;     // PEM file trusted for the server certificate
};

struct ClientConfig {
  std::string endpoint_url;
  std::string region;
  std::string ca_file;  // "" = the system trust store
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::string service = "iot";
  std::chrono::seconds timeout{30};
};

// Resolution (first hit wins):
//   endpoint:    --endpoint-url, AWS_ENDPOINT_URL_IOT, AWS_ENDPOINT_URL, DATA_DIR/endpoints.json "control"
//   credentials: --profile (from AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials), DATA_DIR/admin-credentials,
//                AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), the profile in AWS_PROFILE or
//                "default" of the shared-credentials file
//   region:      --region, AWS_REGION, AWS_DEFAULT_REGION, the `region` in DATA_DIR/admin-credentials, us-east-1
//   CA:          --ca-bundle, DATA_DIR/ca.pem, AWS_CA_BUNDLE, the system trust store
// DATA_DIR is --data-dir or TENET_DATA_DIR. Errors: kInvalidArgument saying what is missing.
core::Result<ClientConfig> resolve(const ClientFlags& flags);

struct ApiResponse {
  int status = 0;
  std::string body;
  std::string error_type;  // x-amzn-ErrorType (suffix after ':' removed), or __type from the body
  std::string message;     // the error message, when the body has one
  std::string request_id;
  boost::json::value json;  // the parsed body (null when not JSON)
  bool ok() const { return status >= 200 && status < 300; }
};

// Sends one signed request. `target` is the raw request-target (path already percent-encoded, with
// the query). Errors (no response at all): kInvalidArgument (bad URL), kUnavailable (connect, TLS),
// kTimeout.
// `headers` are added (and signed), e.g. x-amzn-principal.
core::Result<ApiResponse> send(const ClientConfig& config, std::string_view method, std::string_view target,
                               std::string_view body = {},
                               const std::vector<std::pair<std::string, std::string>>& headers = {});

// Percent-encodes one URI label or query value (RFC 3986 unreserved set kept).
std::string encode_label(std::string_view s);

}  // namespace tenet::control
