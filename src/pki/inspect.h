#pragma once

// Reading certificates for the identity registry: what a certificate says (inspect), whether a
// CA issued it (verify_issued_by), key quality for audits, and PEM/DER conversions.
// Everything crosses this API as PEM strings or plain values. Thread-safe (no shared state).
// See docs/formats/certificates.md.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tenet::pki {

// One attribute of a distinguished name. `type` is OpenSSL's short name: "CN", "O", "OU", "C",
// "L", "ST", "serialNumber", "emailAddress", "dnQualifier", "GN", "SN", "title", "initials",
// "pseudonym", "generationQualifier", "DC", "UID", ...; the dotted OID for unknown attributes.
// `value` is UTF-8 (never contains NUL).
struct NameEntry {
  std::string type;
  std::string value;
  bool operator==(const NameEntry&) const = default;
};

// Attributes in encoding order (RDN by RDN, most significant first as in the DER). A
// multi-valued RDN ("CN=a+serialNumber=1") and repeated attributes (two OUs) both appear as
// separate, adjacent entries; nothing is merged or dropped.
using DistinguishedName = std::vector<NameEntry>;

// The first value of attribute `type` in `name`, or "" when absent (AWS policy variables such as
// iot:Certificate.Subject.CommonName use the first value of a multi-valued attribute).
std::string first_value(const DistinguishedName& name, std::string_view type);

// subjectAltName entries grouped by type, each group in certificate order. otherName,
// x400Address, ediPartyName and registeredID entries are skipped.
struct SubjectAltNames {
  std::vector<std::string> dns;
  std::vector<std::string> email;           // rfc822Name
  std::vector<std::string> uri;
  std::vector<std::string> ip;              // "192.0.2.1", "2001:db8::1" (inet_ntop text)
  std::vector<std::string> directory_name;  // RFC 2253 text, e.g. "CN=x,O=y"
  bool operator==(const SubjectAltNames&) const = default;
};

struct CertInfo {
  std::string certificate_id;  // lowercase hex SHA-256 of the DER (as certificate_id())
  std::size_t der_size = 0;
  int version = 0;             // 1 or 3 (X.509 v1/v3)
  // Serial number. serial_hex: lowercase, no leading zeros, no separators ("0" for zero, a
  // leading "-" for the (invalid but seen) negative serials). serial_decimal: the same number in
  // base 10; this is what tenet substitutes for the iot:Certificate.SerialNumber policy variable.
  std::string serial_hex;
  std::string serial_decimal;
  DistinguishedName subject;
  DistinguishedName issuer;
  std::string subject_text;         // RFC 2253 one-line form, for display
  std::string issuer_text;
  std::string subject_name_sha256;  // lowercase hex SHA-256 of the subject Name DER
  std::string issuer_name_sha256;   // ...of the issuer Name DER (matches Crl::issuer_name_sha256)
  SubjectAltNames san;
  std::chrono::sys_seconds not_before{};
  std::chrono::sys_seconds not_after{};
  bool is_ca = false;         // basicConstraints cA = TRUE
  int path_length = -1;       // basicConstraints pathLenConstraint; -1 when absent
  std::vector<std::string> key_usage;           // "digitalSignature", "keyCertSign", ...
  std::vector<std::string> extended_key_usage;  // "clientAuth", "serverAuth", or dotted OIDs
  std::string key_algorithm;  // "RSA", "EC", "RSA-PSS", "ED25519", "ED448", "DSA", ...
  int key_bits = 0;           // modulus bits (RSA), field bits (EC)
  std::string curve;          // EC: "P-256", "P-384", "P-521", else OpenSSL's name ("secp256k1")
  std::string signature_algorithm;  // "ecdsa-with-SHA256", "sha256WithRSAEncryption", ...
  std::string subject_key_id;       // lowercase hex, "" when absent
  std::string authority_key_id;     // keyIdentifier of the AKI, lowercase hex, "" when absent
  bool self_signed = false;         // issuer == subject and the signature verifies with own key
};

// Parses the first CERTIFICATE block of `cert_pem` (other PEM blocks before it and any blocks
// after it, such as the rest of a chain, are ignored; pass one certificate). Does not check
// validity dates or trust.
// Errors: kInvalidArgument: no CERTIFICATE block, DER that does not parse completely, malformed
// or duplicated extensions, a name attribute or SAN that is not valid text or contains NUL.
core::Result<CertInfo> inspect(std::string_view cert_pem);

// AWS IoT Device Defender "device certificate key quality" rule: RSA keys of at least 2048 bits
// and EC keys on P-256, P-384 or P-521 pass; everything else (short RSA, other curves, explicit
// curve parameters, DSA, EdDSA, RSA-PSS keys) is flagged as low quality.
bool key_quality_ok(const CertInfo& info);

// Succeeds when `ca_pem` issued `cert_pem` directly (chain depth 1): the CA certificate has
// basicConstraints CA:TRUE, its keyUsage (when present) includes keyCertSign, its subject equals
// the certificate's issuer, its SKI equals the certificate's AKI keyIdentifier (when both exist),
// and the certificate's signature verifies with the CA's public key. Validity dates are not
// checked. Intermediates: call once per link. Errors: kInvalidArgument with a detail that names
// the check that failed (or which PEM does not parse).
core::Result<void> verify_issued_by(std::string_view cert_pem, std::string_view ca_pem);

// The certificate's SubjectPublicKeyInfo as PEM ("-----BEGIN PUBLIC KEY-----").
// Errors: kInvalidArgument (as inspect's parse errors).
core::Result<std::string> public_key_pem(std::string_view cert_pem);

// The DER bytes of the first CERTIFICATE block. Errors: kInvalidArgument.
core::Result<std::string> der_from_pem(std::string_view cert_pem);

// PEM armour for a DER certificate; the DER must be exactly one certificate.
// Errors: kInvalidArgument.
core::Result<std::string> certificate_pem_from_der(std::string_view der);

}  // namespace tenet::pki
