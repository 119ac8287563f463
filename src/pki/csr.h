#pragma once

// Certificates from certificate signing requests, as AWS IoT CreateCertificateFromCsr.
// Thread-safe (no shared state). See docs/formats/certificates.md.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"
#include "pki/pki.h"

namespace tenet::pki {

// The AWS limit on the certificateSigningRequest parameter, in bytes of PEM.
inline constexpr std::size_t kMaxCsrPemBytes = 4096;

// RSA modulus sizes sign_csr accepts. AWS documents only the minimum; the maximum bounds the
// cost of every later TLS handshake with the key.
inline constexpr int kMinRsaBits = 2048;
inline constexpr int kMaxRsaBits = 4096;

// Signs the PKCS#10 request in `csr_pem` (first "CERTIFICATE REQUEST" or "NEW CERTIFICATE
// REQUEST" block) with `ca`, in this order of checks:
//   - csr_pem is at most kMaxCsrPemBytes and the request DER parses completely;
//   - the key is RSA with kMinRsaBits..kMaxRsaBits bits, or EC on P-256, P-384 or P-521
//     (e.g. "CSR key is RSA 1024 bits; RSA keys must be at least 2048 bits",
//     "CSR key curve secp256k1 is not allowed; use P-256, P-384 or P-521");
//   - the request's self-signature verifies with that key;
//   - every subject attribute is valid text without NUL.
// The certificate copies the request's subject (CN=kAwsIotCommonName when it is empty) and public
// key; everything else comes from tenet, as for create_keys_and_certificate: random serial,
// validity [now - 1h, now + valid_days], CA:FALSE, digitalSignature (+ keyEncipherment for RSA),
// EKU clientAuth, SKI, AKI. Requested extensions (SANs, CA:TRUE, ...) are ignored.
// Errors: kInvalidArgument (the checks above, valid_days outside 1..kMaxValidDays, the CA rules of
// issue), kInternal.
core::Result<std::string> sign_csr(const CertAndKey& ca, std::string_view csr_pem,
                                   int valid_days = 365);

}  // namespace tenet::pki
