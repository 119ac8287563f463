#include "pki/crl.h"

#include <algorithm>
#include <cctype>
#include <climits>

#include <openssl/pem.h>

#include "pki/detail/ossl.h"
#include "pki/detail/x509.h"

namespace tenet::pki {
namespace {

using core::Errc;
using detail::fail_ossl;

using X509CrlPtr = std::unique_ptr<X509_CRL, detail::OsslDeleter<&X509_CRL_free>>;
using IssuingDistPointPtr =
    std::unique_ptr<ISSUING_DIST_POINT, detail::OsslDeleter<&ISSUING_DIST_POINT_free>>;
using AuthorityKeyIdPtr = std::unique_ptr<AUTHORITY_KEYID, detail::OsslDeleter<&AUTHORITY_KEYID_free>>;

// Parses DER completely; used for the DER input and for the bytes inside the PEM armour.
core::Result<X509CrlPtr> crl_from_der(std::string_view der) {
  if (der.size() > static_cast<std::size_t>(LONG_MAX)) {
    return core::fail(Errc::kInvalidArgument, "CRL too large");
  }
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = begin;
  X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  if (!crl || p != begin + der.size()) {
    return fail_ossl(Errc::kInvalidArgument, "CRL DER does not parse");
  }
  return crl;
}

bool looks_like_pem(std::string_view data) {
  std::size_t i = 0;
  while (i < data.size() && std::isspace(static_cast<unsigned char>(data[i])) != 0) {
    ++i;
  }
  return data.substr(i).starts_with("-----BEGIN");
}

core::Result<std::string> pem_to_der(std::string_view pem) {
  detail::BioPtr bio = detail::mem_bio(pem);
  unsigned char* raw = nullptr;
  long len = 0;
  if (!bio || PEM_bytes_read_bio(&raw, &len, nullptr, PEM_STRING_X509_CRL, bio.get(), nullptr,
                                 nullptr) != 1) {
    return fail_ossl(Errc::kInvalidArgument, "no PEM X509 CRL block");
  }
  detail::OsslBytesPtr owned(raw);
  return std::string(reinterpret_cast<const char*>(raw), static_cast<std::size_t>(len));
}

// Lowercase, without ':' separators and leading zeros; "" when not hex.
std::string normalize_serial(std::string_view s) {
  std::string out;
  bool negative = false;
  if (!s.empty() && s[0] == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  for (char c : s) {
    if (c == ':') {
      continue;
    }
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
      return {};
    }
    if (out.empty() && c == '0') {
      continue;
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (out.empty()) {
    return s.empty() ? std::string() : "0";
  }
  return negative ? "-" + out : out;
}

}  // namespace

bool Crl::is_revoked(std::string_view serial_hex) const {
  const std::string key = normalize_serial(serial_hex);
  return !key.empty() && std::binary_search(revoked_serials.begin(), revoked_serials.end(), key);
}

core::Result<Crl> parse_crl(std::string_view crl_pem_or_der) {
  if (crl_pem_or_der.size() > kMaxCrlBytes) {
    return core::fail(Errc::kInvalidArgument, "CRL is " + std::to_string(crl_pem_or_der.size()) +
                                                  " bytes; the limit is " +
                                                  std::to_string(kMaxCrlBytes));
  }
  Crl out;
  if (looks_like_pem(crl_pem_or_der)) {
    auto der = pem_to_der(crl_pem_or_der);
    if (!der) {
      return core::propagate(std::move(der));
    }
    out.der = std::move(*der);
  } else {
    out.der = std::string(crl_pem_or_der);
  }
  auto parsed = crl_from_der(out.der);
  if (!parsed) {
    return core::propagate(std::move(parsed));
  }
  X509_CRL* crl = parsed->get();

  // Decode the extensions we rely on; a malformed or repeated one makes the CRL unusable.
  int crit = 0;
  if (X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) >= 0) {
    return core::fail(Errc::kInvalidArgument, "delta CRLs are not supported");
  }
  IssuingDistPointPtr idp(static_cast<ISSUING_DIST_POINT*>(
      X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit, nullptr)));
  if (!idp && crit != -1) {
    return fail_ossl(Errc::kInvalidArgument, "CRL issuingDistributionPoint is malformed");
  }
  if (idp && idp->indirectCRL != 0) {
    return core::fail(Errc::kInvalidArgument, "indirect CRLs are not supported");
  }
  AuthorityKeyIdPtr akid(static_cast<AUTHORITY_KEYID*>(
      X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &crit, nullptr)));
  if (!akid && crit != -1) {
    return fail_ossl(Errc::kInvalidArgument, "CRL authorityKeyIdentifier is malformed");
  }
  if (akid && akid->keyid != nullptr) {
    out.authority_key_id =
        detail::hex(ASN1_STRING_get0_data(akid->keyid),
                    static_cast<std::size_t>(ASN1_STRING_length(akid->keyid)));
  }
  detail::Asn1IntegerPtr number(
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, nullptr)));
  if (!number && crit != -1) {
    return fail_ossl(Errc::kInvalidArgument, "CRL cRLNumber is malformed");
  }
  if (number) {
    detail::BignumPtr bn(ASN1_INTEGER_to_BN(number.get(), nullptr));
    char* dec = bn ? BN_bn2dec(bn.get()) : nullptr;
    if (dec == nullptr) {
      return fail_ossl(Errc::kInvalidArgument, "CRL cRLNumber does not parse");
    }
    out.crl_number = dec;
    OPENSSL_free(dec);
  }

  const X509_NAME* issuer = X509_CRL_get_issuer(crl);
  auto entries = detail::name_entries(issuer);
  if (!entries) {
    return core::fail(std::move(entries).error().with_context("CRL issuer"));
  }
  out.issuer = std::move(*entries);
  auto hash = detail::name_hash(issuer);
  if (!hash) {
    return core::propagate(std::move(hash));
  }
  out.issuer_name_sha256 = std::move(*hash);
  out.issuer_text = detail::name_text(issuer);
  out.this_update = detail::to_sys_seconds(X509_CRL_get0_lastUpdate(crl));
  if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl); next != nullptr) {
    out.next_update = detail::to_sys_seconds(next);
  }

  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl);
  const int n = revoked != nullptr ? sk_X509_REVOKED_num(revoked) : 0;
  out.revoked_serials.reserve(static_cast<std::size_t>(std::max(n, 0)));
  for (int i = 0; i < n; ++i) {
    const X509_REVOKED* r = sk_X509_REVOKED_value(revoked, i);
    std::string serial = detail::serial_hex(X509_REVOKED_get0_serialNumber(r));
    if (serial.empty()) {
      return core::fail(Errc::kInvalidArgument, "CRL entry serial number does not parse");
    }
    out.revoked_serials.push_back(std::move(serial));
  }
  std::sort(out.revoked_serials.begin(), out.revoked_serials.end());
  out.revoked_serials.erase(std::unique(out.revoked_serials.begin(), out.revoked_serials.end()),
                            out.revoked_serials.end());
  ERR_clear_error();
  return out;
}

core::Result<void> verify_crl_issued_by(const Crl& crl, std::string_view ca_pem) {
  auto parsed = crl_from_der(crl.der);
  if (!parsed) {
    return core::propagate(std::move(parsed));
  }
  auto ca = detail::parse_cert(ca_pem);
  if (!ca) {
    return core::fail(std::move(ca).error().with_context("CA certificate"));
  }
  X509* issuer = ca->x509.get();
  if (auto r = detail::check_ca_basics(issuer, /*for_crl=*/true); !r) {
    return r;
  }
  if (X509_NAME_cmp(X509_CRL_get_issuer(parsed->get()), X509_get_subject_name(issuer)) != 0) {
    return core::fail(Errc::kInvalidArgument,
                      "CRL issuer '" + crl.issuer_text + "' does not match CA subject");
  }
  if (!crl.authority_key_id.empty()) {
    const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(issuer);
    if (ski != nullptr &&
        detail::hex(ASN1_STRING_get0_data(ski), static_cast<std::size_t>(ASN1_STRING_length(ski))) !=
            crl.authority_key_id) {
      return core::fail(Errc::kInvalidArgument,
                        "CRL authorityKeyIdentifier does not match CA subjectKeyIdentifier");
    }
  }
  EVP_PKEY* key = X509_get0_pubkey(issuer);
  if (key == nullptr) {
    return fail_ossl(Errc::kInvalidArgument, "CA public key does not parse");
  }
  if (X509_CRL_verify(parsed->get(), key) != 1) {
    return fail_ossl(Errc::kInvalidArgument, "CRL signature does not verify with the CA public key");
  }
  return {};
}

}  // namespace tenet::pki
