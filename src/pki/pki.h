#pragma once

// X.509 material for tenet: the built-in root CA, server and device certificates (OpenSSL 3).
// Everything crosses this API as PEM strings, so no OpenSSL type leaks out. Thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tenet::pki {

enum class KeyType { kEcP256, kEcP384, kRsa2048 };

struct CertAndKey {
  std::string cert_pem;
  std::string key_pem;  // PKCS#8 PEM, unencrypted
};

struct CertOptions {
  std::string common_name;
  std::vector<std::string> dns_names;  // subjectAltName DNS
  std::vector<std::string> ip_addresses;  // subjectAltName IP (v4 or v6 text)
  int valid_days = 365;
  KeyType key_type = KeyType::kEcP256;
};

// A self-signed root CA (basicConstraints CA:TRUE critical, keyCertSign|cRLSign), ECDSA P-256.
// Errors: kInternal.
core::Result<CertAndKey> create_root_ca(std::string_view common_name, int valid_days);

// A leaf certificate signed by `ca`: serverAuth EKU when `server` is true, else clientAuth.
// Errors: kInvalidArgument (bad CA PEM, bad IP text), kInternal.
core::Result<CertAndKey> issue(const CertAndKey& ca, const CertOptions& options, bool server);

// AWS IoT certificate id: lowercase hex SHA-256 of the DER encoding. Errors: kInvalidArgument.
core::Result<std::string> certificate_id(std::string_view cert_pem);

// Subject common name of a certificate. Errors: kInvalidArgument.
core::Result<std::string> common_name(std::string_view cert_pem);

}  // namespace tenet::pki
