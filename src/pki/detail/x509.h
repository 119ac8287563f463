#pragma once

// Private to pki: building blocks shared by pki.cc, csr.cc, inspect.cc, crl.cc and
// ca_registration.cc. Implemented in pki.cc (building) and inspect.cc (reading).

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/result.h"
#include "pki/detail/ossl.h"
#include "pki/inspect.h"
#include "pki/pki.h"

namespace tenet::pki::detail {

// ---- building (pki.cc) ----

core::Result<void> validate_valid_days(int valid_days);
core::Result<EvpPkeyPtr> generate_key(KeyType type);

// A v3 certificate for `key` with a random 128-bit serial, an empty subject and validity
// [now - 1h, now + valid_days]. Subject, issuer, extensions and signature are left to the caller.
core::Result<X509Ptr> new_cert_for_key(EVP_PKEY* key, int valid_days);

// Adds the extensions of a device/client leaf: basicConstraints critical CA:FALSE, keyUsage
// critical digitalSignature (plus keyEncipherment when `rsa`), the EKU, SKI and AKI (keyid).
core::Result<void> add_leaf_exts(X509* x, X509* issuer, EVP_PKEY* issuer_key, bool rsa,
                                 bool server);

core::Result<void> sign(X509* x, EVP_PKEY* key);
core::Result<std::string> cert_to_pem(X509* x);
core::Result<std::string> key_to_pem(EVP_PKEY* key);  // PKCS#8, unencrypted

struct ParsedCert {
  X509Ptr x509;
  std::string der;  // exactly the bytes inside the PEM armour
};

// The first CERTIFICATE block of `pem`; its DER must parse completely. Errors: kInvalidArgument.
core::Result<ParsedCert> parse_cert(std::string_view pem);

struct SigningCa {
  X509Ptr cert;
  EvpPkeyPtr key;
};

// Parses a CA certificate and its unencrypted key and checks that they match, that the
// certificate may sign certificates and that it has an SKI. Errors: kInvalidArgument.
core::Result<SigningCa> load_signing_ca(const CertAndKey& ca);

// Lowercase hex of `data`.
std::string hex(const unsigned char* data, std::size_t len);
// Lowercase hex SHA-256 of `data`.
core::Result<std::string> sha256_hex(std::string_view data);

// ---- reading (inspect.cc) ----

// Attributes of a Name in order, with short names ("CN", "OU", ...) and UTF-8 values; an
// attribute OpenSSL does not know is named by its dotted OID. Errors: kInvalidArgument (a value
// that is not valid text or contains NUL).
core::Result<DistinguishedName> name_entries(const X509_NAME* name);
// Lowercase hex SHA-256 of the Name's DER encoding.
core::Result<std::string> name_hash(const X509_NAME* name);
// RFC 2253 one-line text with UTF-8 kept as is ("" if it cannot be printed).
std::string name_text(const X509_NAME* name);
// The time as seconds since the epoch (zero when it does not parse).
std::chrono::sys_seconds to_sys_seconds(const ASN1_TIME* t);
// Lowercase hex without leading zeros ("0" for zero, "-" prefix when negative).
std::string serial_hex(const ASN1_INTEGER* serial);

struct KeyFacts {
  std::string algorithm;  // "RSA", "RSA-PSS", "EC", "ED25519", "ED448", "DSA", or an OID name
  int bits = 0;
  std::string curve;  // EC only: "P-256"/"P-384"/"P-521", else OpenSSL's name; "" if explicit
};
KeyFacts key_facts(const EVP_PKEY* key);

// `ca` has basicConstraints CA:TRUE and, when it has a keyUsage, keyCertSign (or cRLSign when
// `for_crl`). Errors: kInvalidArgument naming the failed check.
core::Result<void> check_ca_basics(X509* ca, bool for_crl);

}  // namespace tenet::pki::detail
