#pragma once

// Certificate revocation lists published by customer CAs. Thread-safe (no shared state).
// See docs/formats/certificates.md.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "pki/inspect.h"

namespace tenet::pki {

// Input larger than this is refused: a CRL of a million entries is about 40 MiB.
inline constexpr std::size_t kMaxCrlBytes = 64 * 1024 * 1024;

struct Crl {
  DistinguishedName issuer;
  std::string issuer_text;         // RFC 2253 one-line form
  std::string issuer_name_sha256;  // lowercase hex SHA-256 of the issuer Name DER; equals
                                   // CertInfo::subject_name_sha256 of the CA that issued it
  std::string authority_key_id;    // lowercase hex, "" when absent
  std::string crl_number;          // decimal, "" when absent
  std::chrono::sys_seconds this_update{};
  std::optional<std::chrono::sys_seconds> next_update;
  // Revoked serial numbers in the format of CertInfo::serial_hex (lowercase, no leading zeros),
  // sorted ascending as strings, without duplicates.
  std::vector<std::string> revoked_serials;
  std::string der;  // the CRL as DER, for verify_crl_issued_by

  // Whether `serial_hex` (any case, leading zeros and ':' separators allowed) is listed.
  bool is_revoked(std::string_view serial_hex) const;
};

// Parses a v1 or v2 X.509 CRL given as PEM (first "X509 CRL" block) or as DER (input that does
// not start with "-----BEGIN", after leading whitespace). Does not check the signature (see
// verify_crl_issued_by) or the dates: comparing next_update with the clock is the caller's.
// Errors: kInvalidArgument: too large, no X509 CRL block, DER that does not parse completely,
// malformed extensions, delta CRLs (deltaCRLIndicator) and indirect CRLs (issuingDistributionPoint
// with indirectCRL), which tenet does not support; an issuer name that is not valid text.
core::Result<Crl> parse_crl(std::string_view crl_pem_or_der);

// Succeeds when `ca_pem` issued `crl`: the CA has basicConstraints CA:TRUE and, when it has a
// keyUsage, cRLSign; its subject equals the CRL issuer; its SKI equals the CRL's AKI (when both
// exist); the CRL signature verifies with the CA public key.
// Errors: kInvalidArgument naming the failed check.
core::Result<void> verify_crl_issued_by(const Crl& crl, std::string_view ca_pem);

}  // namespace tenet::pki
