#pragma once

// X.509 material for tenet: the built-in root CA, server and device certificates (OpenSSL 3).
// Everything crosses this API as PEM strings, so no OpenSSL type leaks out. Thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "pki/files.h"  // write_file_atomic, read_file: for storing what this header produces

namespace tenet::pki {

// Upper bound for valid_days (about 100 years); larger values are kInvalidArgument.
inline constexpr int kMaxValidDays = 36500;

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
// Subject O=tenet, CN=common_name; valid from now - 1h (clock skew) to now + valid_days.
// Errors: kInternal; also kInvalidArgument (common_name empty, over 64 bytes or with NUL;
// valid_days outside 1..kMaxValidDays).
core::Result<CertAndKey> create_root_ca(std::string_view common_name, int valid_days);

// A leaf certificate signed by `ca`: serverAuth EKU when `server` is true, else clientAuth.
// Errors: kInvalidArgument (bad CA PEM, bad IP text), kInternal. kInvalidArgument also covers:
// an encrypted or mismatched CA key, a CA certificate that may not sign or lacks an SKI, a DNS
// name outside [A-Za-z0-9-._*], and the common_name/valid_days rules of create_root_ca.
core::Result<CertAndKey> issue(const CertAndKey& ca, const CertOptions& options, bool server);

// The subject common name AWS IoT puts on the certificates it creates for CreateKeysAndCertificate
// (and on CSR certificates whose request has an empty subject).
inline constexpr std::string_view kAwsIotCommonName = "AWS IoT Certificate";

struct KeysAndCertificate {
  std::string cert_pem;
  std::string key_pem;         // private key, PKCS#8 PEM ("PRIVATE KEY"), unencrypted
  std::string public_key_pem;  // SubjectPublicKeyInfo PEM ("PUBLIC KEY")
};

// AWS CreateKeysAndCertificate: a fresh key pair of `key_type` and a device certificate for it,
// signed by `ca`. Subject CN=kAwsIotCommonName; random positive 128-bit serial; validity
// [now - 1h, now + valid_days]; basicConstraints critical CA:FALSE; keyUsage critical
// digitalSignature (+ keyEncipherment for RSA); EKU clientAuth; SKI; AKI = the CA's SKI.
// Errors: kInvalidArgument (valid_days outside 1..kMaxValidDays; the CA rules of issue), kInternal.
core::Result<KeysAndCertificate> create_keys_and_certificate(const CertAndKey& ca,
                                                             KeyType key_type = KeyType::kEcP256,
                                                             int valid_days = 365);

// AWS IoT certificate id: lowercase hex SHA-256 of the DER encoding. Errors: kInvalidArgument.
// Uses the first CERTIFICATE block of the PEM (as do common_name and issue's `ca`).
core::Result<std::string> certificate_id(std::string_view cert_pem);

// Subject common name of a certificate, as UTF-8. Errors: kInvalidArgument (also when the
// subject has no CN or more than one).
core::Result<std::string> common_name(std::string_view cert_pem);

}  // namespace tenet::pki
