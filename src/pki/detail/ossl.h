#pragma once

// Private to pki: RAII owners for OpenSSL 3 objects and error-queue helpers.
// Every owner is a std::unique_ptr whose deleter calls the matching OpenSSL free function.

#include <climits>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "core/result.h"

namespace tenet::pki::detail {

template <auto FreeFn>
struct OsslDeleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    FreeFn(p);
  }
};

// OPENSSL_free is a macro (it records file and line), so it cannot be a template argument.
struct OsslBytesDeleter {
  void operator()(unsigned char* p) const noexcept { OPENSSL_free(p); }
};

using BioPtr = std::unique_ptr<BIO, OsslDeleter<&BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, OsslDeleter<&BN_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, OsslDeleter<&ASN1_INTEGER_free>>;
using Asn1StringPtr = std::unique_ptr<ASN1_STRING, OsslDeleter<&ASN1_STRING_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OsslDeleter<&EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OsslDeleter<&EVP_PKEY_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, OsslDeleter<&X509_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OsslDeleter<&X509_EXTENSION_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OsslDeleter<&X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OsslDeleter<&X509_STORE_CTX_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, OsslDeleter<&GENERAL_NAME_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OsslDeleter<&GENERAL_NAMES_free>>;
using OsslBytesPtr = std::unique_ptr<unsigned char, OsslBytesDeleter>;

// Empties this thread's OpenSSL error queue and returns its entries joined by "; ".
inline std::string drain_errors() {
  std::string out;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) {
      out += "; ";
    }
    out += buf;
  }
  return out;
}

// A failure that carries `what` plus whatever OpenSSL queued, and leaves the queue empty so a
// later call on this thread does not report a stale reason.
inline core::Unexpected fail_ossl(core::Errc code, std::string_view what) {
  std::string detail(what);
  if (std::string reasons = drain_errors(); !reasons.empty()) {
    detail += " (";
    detail += reasons;
    detail += ")";
  }
  return core::fail(code, std::move(detail));
}

// A read-only memory BIO over `data`, which must outlive it. Null when data is over INT_MAX.
inline BioPtr mem_bio(std::string_view data) {
  if (data.size() > static_cast<std::size_t>(INT_MAX)) {
    return nullptr;
  }
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// The bytes written so far to a memory BIO.
inline std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace tenet::pki::detail
