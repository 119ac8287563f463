#pragma once

// The server's data directory (mode 0700): the root CA, the server certificate, the administrator
// credential and the database. Created on first start, reused afterwards (docs/operations.md).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "pki/pki.h"

namespace tenet::server {

struct AdminCredential {
  std::string access_key_id;
  std::string secret_access_key;
};

struct DataDir {
  std::string path;
  pki::CertAndKey ca;      // ca.pem / ca.key
  pki::CertAndKey server;  // server.pem / server.key
  AdminCredential admin;   // admin-credentials ([default] profile, AWS shared-credentials format)
  std::string master_key;  // master.key: 32 bytes sealing access-key secrets in the database
  std::string db_path() const { return path + "/tenet.db"; }
  std::string endpoints_path() const { return path + "/endpoints.json"; }
  std::string credentials_path() const { return path + "/admin-credentials"; }
  std::string aws_config_path() const { return path + "/aws-config"; }
  std::string audit_log_path() const { return path + "/audit.log"; }
  std::string decision_log_path() const { return path + "/decisions.log"; }
};

// Opens DIR, creating whatever is missing. `server_names` are added to the server certificate's
// subjectAltName next to localhost, 127.0.0.1 and ::1; a certificate missing one of them is reissued.
// Errors: kUnavailable (filesystem), kInvalidArgument (bad name), kInternal.
// `region` is written into admin-credentials and aws-config (rewritten at every start).
core::Result<DataDir> open_data_dir(const std::string& dir, const std::vector<std::string>& server_names,
                                    const std::string& region = "us-east-1");

// Reads the [default] access key pair of an AWS shared-credentials file; nullopt if absent.
std::optional<AdminCredential> parse_credentials(std::string_view text);

}  // namespace tenet::server
