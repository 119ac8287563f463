#pragma once

// Test-only helpers shared by the pki *_test.cc files: a shared CA, OpenSSL-direct parsing, CSR
// and key construction, and a scratch directory for driving the `openssl` command line.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki/detail/ossl.h"
#include "pki/inspect.h"
#include "pki/pki.h"

namespace tenet::pki {

// Readable gtest output for name attributes ("CN=x").
inline void PrintTo(const NameEntry& e, std::ostream* os) { *os << e.type << "=" << e.value; }

}  // namespace tenet::pki

namespace tenet::pki::testing {

// One CA per test binary (keys are cheap, but there is no need for dozens).
inline const CertAndKey& shared_ca() {
  static const CertAndKey ca = [] {
    auto r = create_root_ca("tenet registry test root", 30);
    EXPECT_TRUE(r) << r.error();
    return r ? *r : CertAndKey{};
  }();
  return ca;
}

inline detail::X509Ptr load_cert(std::string_view pem) {
  detail::BioPtr bio = detail::mem_bio(pem);
  return detail::X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

inline detail::EvpPkeyPtr load_key(std::string_view pem) {
  detail::BioPtr bio = detail::mem_bio(pem);
  return detail::EvpPkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

inline std::string cert_pem(X509* x) {
  detail::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), x);
  return detail::bio_contents(bio.get());
}

inline std::string pubkey_pem(EVP_PKEY* key) {
  detail::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key);
  return detail::bio_contents(bio.get());
}

inline std::string der_of(X509* x) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(x, &der);
  detail::OsslBytesPtr owned(der);
  return len > 0 ? std::string(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len))
                 : std::string();
}

// "RSA" with bits, or "EC" with a curve name ("P-256", "secp256k1"), or "ED25519".
inline detail::EvpPkeyPtr rsa_key(std::size_t bits) {
  return detail::EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits));
}
inline detail::EvpPkeyPtr ec_key(const char* curve) {
  return detail::EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}
inline detail::EvpPkeyPtr ed25519_key() {
  return detail::EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
}

inline void add_name_entry(X509_NAME* name, const char* type, const char* value, int set = 0) {
  ASSERT_EQ(X509_NAME_add_entry_by_txt(name, type, MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(value), -1, -1, set),
            1)
      << type;
}

using Subject = std::initializer_list<std::pair<const char*, const char*>>;

// A PKCS#10 request for `key` with `subject`, self-signed (SHA-256; none for Ed25519).
inline std::string make_csr(EVP_PKEY* key, Subject subject) {
  using ReqPtr = std::unique_ptr<X509_REQ, detail::OsslDeleter<&X509_REQ_free>>;
  ReqPtr req(X509_REQ_new());
  X509_REQ_set_version(req.get(), 0);
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  for (const auto& [type, value] : subject) {
    add_name_entry(name, type, value);
  }
  X509_REQ_set_pubkey(req.get(), key);
  const EVP_MD* md = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  EXPECT_GT(X509_REQ_sign(req.get(), key, md), 0);
  detail::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), req.get());
  return detail::bio_contents(bio.get());
}

// A self-signed certificate for `key` (no extensions unless `ca`), for key-quality tests.
inline std::string self_signed(EVP_PKEY* key, const char* cn, bool ca = false) {
  detail::X509Ptr x(X509_new());
  X509_set_version(x.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 0x1234);
  add_name_entry(X509_get_subject_name(x.get()), "CN", cn);
  X509_set_issuer_name(x.get(), X509_get_subject_name(x.get()));
  X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 86400);
  X509_set_pubkey(x.get(), key);
  if (ca) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
    detail::X509ExtensionPtr ext(
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints, "critical,CA:TRUE"));
    X509_add_ext(x.get(), ext.get(), -1);
  }
  const EVP_MD* md = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  EXPECT_GT(X509_sign(x.get(), key, md), 0);
  return cert_pem(x.get());
}

// A scratch directory for openssl CLI runs; removed afterwards.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = ::testing::TempDir() + "pki_cli.XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) {
      path_ = tmpl;
    }
  }
  ~ScratchDir() {
    if (!path_.empty()) {
      std::filesystem::remove_all(path_);
    }
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

  void write(std::string_view name, std::string_view contents) const {
    std::ofstream(file(name), std::ios::binary) << contents;
  }
  std::string read(std::string_view name) const {
    std::ifstream in(file(name), std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  // Runs `command` in this directory (stdout/stderr kept in cli.out/cli.err); true on exit status 0.
  bool run(const std::string& command) const {
    const std::string full = "cd '" + path_ + "' && (" + command + ") >cli.out 2>cli.err";
    return std::system(full.c_str()) == 0;
  }

 private:
  std::string path_;
};

inline bool have_openssl_cli() {
  static const bool ok = std::system("openssl version >/dev/null 2>&1") == 0;
  return ok;
}

}  // namespace tenet::pki::testing
