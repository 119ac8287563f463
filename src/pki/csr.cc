#include "pki/csr.h"

#include <openssl/pem.h>

#include "pki/detail/ossl.h"
#include "pki/detail/x509.h"

namespace tenet::pki {
namespace {

using core::Errc;
using detail::fail_ossl;

using X509ReqPtr = std::unique_ptr<X509_REQ, detail::OsslDeleter<&X509_REQ_free>>;

constexpr std::string_view kAllowedKeys = "use RSA (2048 to 4096 bits) or EC P-256, P-384 or P-521";

core::Result<X509ReqPtr> parse_csr(std::string_view pem) {
  if (pem.size() > kMaxCsrPemBytes) {
    return core::fail(Errc::kInvalidArgument, "CSR PEM is " + std::to_string(pem.size()) +
                                                  " bytes; the limit is " +
                                                  std::to_string(kMaxCsrPemBytes));
  }
  detail::BioPtr bio = detail::mem_bio(pem);
  unsigned char* raw = nullptr;
  long len = 0;
  // PEM_STRING_X509_REQ also matches the legacy "NEW CERTIFICATE REQUEST" label.
  if (!bio || PEM_bytes_read_bio(&raw, &len, nullptr, PEM_STRING_X509_REQ, bio.get(), nullptr,
                                 nullptr) != 1) {
    return fail_ossl(Errc::kInvalidArgument, "no PEM CERTIFICATE REQUEST block");
  }
  detail::OsslBytesPtr der(raw);
  const unsigned char* p = der.get();
  X509ReqPtr req(d2i_X509_REQ(nullptr, &p, len));
  if (!req || p != der.get() + len) {
    return fail_ossl(Errc::kInvalidArgument, "CSR DER does not parse");
  }
  return req;
}

core::Result<void> check_csr_key(const EVP_PKEY* key) {
  const detail::KeyFacts f = detail::key_facts(key);
  if (f.algorithm == "RSA") {
    if (f.bits < kMinRsaBits) {
      return core::fail(Errc::kInvalidArgument,
                        "CSR key is RSA " + std::to_string(f.bits) +
                            " bits; RSA keys must be at least " + std::to_string(kMinRsaBits) +
                            " bits");
    }
    if (f.bits > kMaxRsaBits) {
      return core::fail(Errc::kInvalidArgument,
                        "CSR key is RSA " + std::to_string(f.bits) +
                            " bits; RSA keys must be at most " + std::to_string(kMaxRsaBits) +
                            " bits");
    }
    return {};
  }
  if (f.algorithm == "EC") {
    if (f.curve == "P-256" || f.curve == "P-384" || f.curve == "P-521") {
      return {};
    }
    const std::string curve = f.curve.empty() ? "(explicit parameters)" : f.curve;
    return core::fail(Errc::kInvalidArgument,
                      "CSR key curve " + curve + " is not allowed; use P-256, P-384 or P-521");
  }
  return core::fail(Errc::kInvalidArgument,
                    "CSR key type " + f.algorithm + " is not allowed; " + std::string(kAllowedKeys));
}

}  // namespace

core::Result<std::string> sign_csr(const CertAndKey& ca, std::string_view csr_pem, int valid_days) {
  if (auto r = detail::validate_valid_days(valid_days); !r) {
    return core::propagate(std::move(r));
  }
  auto req = parse_csr(csr_pem);
  if (!req) {
    return core::propagate(std::move(req));
  }
  EVP_PKEY* key = X509_REQ_get0_pubkey(req->get());
  if (key == nullptr) {
    return fail_ossl(Errc::kInvalidArgument, "CSR public key does not parse");
  }
  // The key rule comes first so that an oversized key is refused before any work is done with it.
  if (auto r = check_csr_key(key); !r) {
    return core::propagate(std::move(r));
  }
  if (X509_REQ_verify(req->get(), key) != 1) {
    return fail_ossl(Errc::kInvalidArgument, "CSR signature does not verify");
  }
  const X509_NAME* subject = X509_REQ_get_subject_name(req->get());
  if (auto entries = detail::name_entries(subject); !entries) {
    return core::fail(std::move(entries).error().with_context("CSR subject"));
  }

  auto signing = detail::load_signing_ca(ca);
  if (!signing) {
    return core::propagate(std::move(signing));
  }
  X509* issuer = signing->cert.get();
  auto cert = detail::new_cert_for_key(key, valid_days);
  if (!cert) {
    return core::propagate(std::move(cert));
  }
  X509* x = cert->get();
  if (X509_NAME_entry_count(subject) > 0) {
    if (X509_set_subject_name(x, subject) != 1) {
      return fail_ossl(Errc::kInternal, "setting subject name");
    }
  } else if (X509_NAME_add_entry_by_NID(
                 X509_get_subject_name(x), NID_commonName, MBSTRING_UTF8,
                 reinterpret_cast<const unsigned char*>(kAwsIotCommonName.data()),
                 static_cast<int>(kAwsIotCommonName.size()), -1, 0) != 1) {
    return fail_ossl(Errc::kInternal, "setting subject name");
  }
  if (X509_set_issuer_name(x, X509_get_subject_name(issuer)) != 1) {
    return fail_ossl(Errc::kInternal, "setting issuer name");
  }
  const bool rsa = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
  if (auto r = detail::add_leaf_exts(x, issuer, signing->key.get(), rsa, /*server=*/false); !r) {
    return core::propagate(std::move(r));
  }
  if (auto r = detail::sign(x, signing->key.get()); !r) {
    return core::propagate(std::move(r));
  }
  return detail::cert_to_pem(x);
}

}  // namespace tenet::pki
