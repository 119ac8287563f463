#pragma once

// Proof of possession for customer CA registration, as AWS IoT GetRegistrationCode +
// RegisterCACertificate. Thread-safe (no shared state). See docs/formats/certificates.md.

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tenet::pki {

// A fresh registration code: 64 lowercase hex characters (256 random bits from the OpenSSL
// CSPRNG), the shape of AWS GetRegistrationCode. Errors: kInternal (RNG failure).
core::Result<std::string> make_registration_code();

// Succeeds when the owner of `ca_pem` proved possession of its private key:
//   - the CA certificate has basicConstraints CA:TRUE (and keyCertSign when it has a keyUsage);
//   - the CA certificate is valid at `now` (notBefore <= now <= notAfter);
//   - the verification certificate was issued by the CA: issuer == CA subject, AKI == CA SKI
//     when both exist, and its signature verifies with the CA's public key (verify_issued_by);
//   - the verification certificate's subject has exactly one CN and it equals
//     `registration_code` (exact, case-sensitive).
// The verification certificate's own validity dates are not checked (AWS does not either).
// Errors: kInvalidArgument naming the failed check (also for an empty registration_code).
core::Result<void> verify_ca_registration(
    std::string_view ca_pem, std::string_view verification_cert_pem,
    std::string_view registration_code,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace tenet::pki
