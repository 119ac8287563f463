#pragma once

// The server's data directory (mode 0700): the root CA, the server certificate, the administrator
// credential and the database. Created on first start, reused afterwards (docs/operations.md).

#include <string>
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
  AdminCredential admin;   // admin.json
  std::string db_path() const { return path + "/tenet.db"; }
  std::string endpoints_path() const { return path + "/endpoints.json"; }
};

// Opens DIR, creating whatever is missing. `server_names` are added to the server certificate's
// subjectAltName next to localhost, 127.0.0.1 and ::1; a certificate missing one of them is reissued.
// Errors: kUnavailable (filesystem), kInvalidArgument (bad name), kInternal.
core::Result<DataDir> open_data_dir(const std::string& dir, const std::vector<std::string>& server_names);

}  // namespace tenet::server
