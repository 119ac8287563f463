#include "pki/pki.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "pki/detail/ossl.h"
#include "pki/detail/x509.h"

namespace tenet::pki {
namespace {

using core::Errc;
using detail::fail_ossl;

// RFC 5280 4.2.1.6 wants "preferred name syntax"; '*' (a leftmost wildcard) and '_' (common in
// internal names) are tolerated. Anything else, notably ',' ':' and NUL, is refused so that a
// name can never smuggle a second entry into the certificate.
bool valid_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '*';
  });
}

core::Result<void> validate_common_name(std::string_view cn) {
  // ub-common-name (RFC 5280 appendix A) is 64 characters; OpenSSL enforces it as well.
  if (cn.empty() || cn.size() > 64 || cn.find('\0') != std::string_view::npos) {
    return core::fail(Errc::kInvalidArgument, "common name must be 1..64 bytes without NUL");
  }
  return {};
}

// Parses dns_names and ip_addresses into a subjectAltName value. Null when both are empty.
core::Result<detail::GeneralNamesPtr> build_san(const CertOptions& o) {
  if (o.dns_names.empty() && o.ip_addresses.empty()) {
    return detail::GeneralNamesPtr();
  }
  detail::GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) {
    return fail_ossl(Errc::kInternal, "allocating subjectAltName");
  }
  auto push = [&](int type, const unsigned char* data, std::size_t len) -> core::Result<void> {
    detail::Asn1StringPtr value(type == GEN_DNS ? ASN1_IA5STRING_new() : ASN1_OCTET_STRING_new());
    detail::GeneralNamePtr gn(GENERAL_NAME_new());
    if (!value || !gn || ASN1_STRING_set(value.get(), data, static_cast<int>(len)) != 1) {
      return fail_ossl(Errc::kInternal, "building subjectAltName entry");
    }
    GENERAL_NAME_set0_value(gn.get(), type, value.release());
    if (sk_GENERAL_NAME_push(names.get(), gn.get()) <= 0) {
      return fail_ossl(Errc::kInternal, "building subjectAltName");
    }
    gn.release();  // now owned by `names`
    return {};
  };
  for (const std::string& dns : o.dns_names) {
    if (!valid_dns_name(dns)) {
      return core::fail(Errc::kInvalidArgument, "bad DNS name in subjectAltName: '" + dns + "'");
    }
    auto r = push(GEN_DNS, reinterpret_cast<const unsigned char*>(dns.data()), dns.size());
    if (!r) {
      return core::propagate(std::move(r));
    }
  }
  for (const std::string& ip : o.ip_addresses) {
    std::array<unsigned char, 16> bin{};
    std::size_t len = 0;
    if (::inet_pton(AF_INET, ip.c_str(), bin.data()) == 1) {
      len = 4;
    } else if (::inet_pton(AF_INET6, ip.c_str(), bin.data()) == 1) {
      len = 16;
    } else {
      return core::fail(Errc::kInvalidArgument, "bad IP address in subjectAltName: '" + ip + "'");
    }
    auto r = push(GEN_IPADD, bin.data(), len);
    if (!r) {
      return core::propagate(std::move(r));
    }
  }
  return names;
}

// A positive, non-zero serial with 128 random bits (RFC 5280 allows up to 20 octets).
core::Result<void> set_random_serial(X509* x) {
  detail::BignumPtr bn(BN_new());
  if (!bn) {
    return fail_ossl(Errc::kInternal, "allocating serial");
  }
  do {
    if (BN_rand(bn.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) {
      return fail_ossl(Errc::kInternal, "drawing serial");
    }
  } while (BN_is_zero(bn.get()));
  detail::Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial || X509_set_serialNumber(x, serial.get()) != 1) {
    return fail_ossl(Errc::kInternal, "setting serial");
  }
  return {};
}

// Adds one extension written in openssl.cnf syntax. `value` is always a literal from this file,
// never caller input, so the config syntax cannot be abused.
core::Result<void> add_ext(X509* subject, X509* issuer, EVP_PKEY* issuer_key, int nid,
                           const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, subject, nullptr, nullptr, 0);
  if (X509V3_set_issuer_pkey(&ctx, issuer_key) != 1) {
    return fail_ossl(Errc::kInternal, "preparing extension context");
  }
  detail::X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(subject, ext.get(), -1) != 1) {
    return fail_ossl(Errc::kInternal, std::string("adding extension ") + OBJ_nid2sn(nid));
  }
  return {};
}

struct Ext {
  int nid;
  const char* value;
};

core::Result<void> add_exts(X509* subject, X509* issuer, EVP_PKEY* issuer_key,
                            std::initializer_list<Ext> exts) {
  for (const Ext& e : exts) {
    if (auto r = add_ext(subject, issuer, issuer_key, e.nid, e.value); !r) {
      return r;
    }
  }
  return {};
}

core::Result<detail::EvpPkeyPtr> parse_key(std::string_view pem) {
  detail::BioPtr bio = detail::mem_bio(pem);
  if (!bio) {
    return fail_ossl(Errc::kInvalidArgument, "private key PEM too large");
  }
  // The default password callback prompts on the terminal; an encrypted key must fail instead.
  pem_password_cb* no_password = [](char*, int, int, void*) -> int { return -1; };
  detail::EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr));
  if (!key) {
    return fail_ossl(Errc::kInvalidArgument, "private key PEM does not parse (or is encrypted)");
  }
  return key;
}

}  // namespace

namespace detail {

core::Result<void> validate_valid_days(int valid_days) {
  if (valid_days < 1 || valid_days > kMaxValidDays) {
    return core::fail(Errc::kInvalidArgument,
                      "valid_days must be in 1.." + std::to_string(kMaxValidDays));
  }
  return {};
}

core::Result<EvpPkeyPtr> generate_key(KeyType type) {
  const bool rsa = type == KeyType::kRsa2048;
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, rsa ? "RSA" : "EC", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) {
    return fail_ossl(Errc::kInternal, "initialising key generation");
  }
  int ok = 0;
  switch (type) {
    case KeyType::kEcP256: ok = EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256"); break;
    case KeyType::kEcP384: ok = EVP_PKEY_CTX_set_group_name(ctx.get(), "P-384"); break;
    case KeyType::kRsa2048: ok = EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048); break;
  }
  if (ok != 1) {
    return fail_ossl(Errc::kInternal, "setting key parameters");
  }
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &key) != 1) {
    return fail_ossl(Errc::kInternal, "generating key");
  }
  return EvpPkeyPtr(key);
}

core::Result<X509Ptr> new_cert_for_key(EVP_PKEY* key, int valid_days) {
  X509Ptr x(X509_new());
  if (!x || X509_set_version(x.get(), X509_VERSION_3) != 1) {
    return fail_ossl(Errc::kInternal, "allocating certificate");
  }
  if (auto r = set_random_serial(x.get()); !r) {
    return core::propagate(std::move(r));
  }
  // notBefore is backdated an hour so that peers whose clocks run slow accept a fresh certificate.
  if (!X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600) ||
      !X509_time_adj_ex(X509_getm_notAfter(x.get()), valid_days, 0, nullptr)) {
    return fail_ossl(Errc::kInternal, "setting validity");
  }
  if (X509_set_pubkey(x.get(), key) != 1) {
    return fail_ossl(Errc::kInternal, "setting public key");
  }
  return x;
}

core::Result<void> add_leaf_exts(X509* x, X509* issuer, EVP_PKEY* issuer_key, bool rsa,
                                 bool server) {
  // keyEncipherment only means something for RSA key transport (TLS 1.2 RSA kx).
  const char* key_usage =
      rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature";
  return add_exts(x, issuer, issuer_key,
                  {{NID_basic_constraints, "critical,CA:FALSE"},
                   {NID_key_usage, key_usage},
                   {NID_ext_key_usage, server ? "serverAuth" : "clientAuth"},
                   {NID_subject_key_identifier, "hash"},
                   {NID_authority_key_identifier, "keyid:always"}});
}

core::Result<void> sign(X509* x, EVP_PKEY* key) {
  // Ed25519/Ed448 sign the message itself and take no digest; every other CA key uses SHA-256.
  const int id = EVP_PKEY_get_base_id(key);
  const EVP_MD* md = (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) ? nullptr : EVP_sha256();
  if (X509_sign(x, key, md) <= 0) {
    return fail_ossl(Errc::kInternal, "signing certificate");
  }
  return {};
}

core::Result<std::string> cert_to_pem(X509* x) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), x) != 1) {
    return fail_ossl(Errc::kInternal, "encoding certificate");
  }
  return bio_contents(bio.get());
}

core::Result<std::string> key_to_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return fail_ossl(Errc::kInternal, "encoding private key");
  }
  return bio_contents(bio.get());
}

// Other blocks before the first CERTIFICATE are skipped. The DER must parse completely: trailing
// bytes would make certificate_id differ from what a peer presents.
core::Result<ParsedCert> parse_cert(std::string_view pem) {
  BioPtr bio = mem_bio(pem);
  if (!bio) {
    return fail_ossl(Errc::kInvalidArgument, "certificate PEM too large");
  }
  unsigned char* raw = nullptr;
  long len = 0;
  if (PEM_bytes_read_bio(&raw, &len, nullptr, PEM_STRING_X509, bio.get(), nullptr, nullptr) != 1) {
    return fail_ossl(Errc::kInvalidArgument, "no PEM CERTIFICATE block");
  }
  OsslBytesPtr der(raw);
  const unsigned char* p = der.get();
  X509Ptr x(d2i_X509(nullptr, &p, len));
  if (!x || p != der.get() + len) {
    return fail_ossl(Errc::kInvalidArgument, "certificate DER does not parse");
  }
  return ParsedCert{std::move(x), std::string(reinterpret_cast<const char*>(der.get()),
                                              static_cast<std::size_t>(len))};
}

core::Result<SigningCa> load_signing_ca(const CertAndKey& ca) {
  auto ca_cert = parse_cert(ca.cert_pem);
  if (!ca_cert) {
    return core::fail(std::move(ca_cert).error().with_context("CA certificate"));
  }
  auto ca_key = parse_key(ca.key_pem);
  if (!ca_key) {
    return core::fail(std::move(ca_key).error().with_context("CA key"));
  }
  X509* issuer = ca_cert->x509.get();
  if (X509_check_private_key(issuer, ca_key->get()) != 1) {
    return fail_ossl(Errc::kInvalidArgument, "CA key does not match CA certificate");
  }
  if (X509_check_ca(issuer) == 0) {
    return core::fail(Errc::kInvalidArgument, "CA certificate may not sign certificates");
  }
  if (X509_get0_subject_key_id(issuer) == nullptr) {
    return core::fail(Errc::kInvalidArgument, "CA certificate has no subjectKeyIdentifier");
  }
  return SigningCa{std::move(ca_cert->x509), std::move(*ca_key)};
}

std::string hex(const unsigned char* data, std::size_t len) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (std::size_t i = 0; i < len; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 0xf];
  }
  return out;
}

core::Result<std::string> sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &md_len, EVP_sha256(), nullptr) != 1) {
    return fail_ossl(Errc::kInternal, "hashing");
  }
  return hex(md, md_len);
}

}  // namespace detail

namespace {

using detail::generate_key;
using detail::parse_cert;
using detail::sign;
using detail::validate_valid_days;

// A certificate for `key` with subject [O=organization,] CN=cn; see detail::new_cert_for_key.
core::Result<detail::X509Ptr> new_cert(EVP_PKEY* key, std::string_view cn,
                                       std::string_view organization, int valid_days) {
  auto x = detail::new_cert_for_key(key, valid_days);
  if (!x) {
    return x;
  }
  X509_NAME* subject = X509_get_subject_name(x->get());
  auto add_entry = [&](int nid, std::string_view value) {
    return X509_NAME_add_entry_by_NID(subject, nid, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0) == 1;
  };
  if ((!organization.empty() && !add_entry(NID_organizationName, organization)) ||
      !add_entry(NID_commonName, cn)) {
    return fail_ossl(Errc::kInvalidArgument, "setting subject name");
  }
  return x;
}

core::Result<CertAndKey> to_pem(X509* x, EVP_PKEY* key) {
  auto cert = detail::cert_to_pem(x);
  if (!cert) {
    return core::propagate(std::move(cert));
  }
  auto key_pem = detail::key_to_pem(key);
  if (!key_pem) {
    return core::propagate(std::move(key_pem));
  }
  return CertAndKey{std::move(*cert), std::move(*key_pem)};
}

}  // namespace

core::Result<CertAndKey> create_root_ca(std::string_view common_name, int valid_days) {
  if (auto r = validate_common_name(common_name); !r) {
    return core::propagate(std::move(r));
  }
  if (auto r = validate_valid_days(valid_days); !r) {
    return core::propagate(std::move(r));
  }
  auto key = generate_key(KeyType::kEcP256);
  if (!key) {
    return core::propagate(std::move(key));
  }
  auto cert = new_cert(key->get(), common_name, "tenet", valid_days);
  if (!cert) {
    return core::propagate(std::move(cert));
  }
  X509* x = cert->get();
  if (X509_set_issuer_name(x, X509_get_subject_name(x)) != 1) {
    return fail_ossl(Errc::kInternal, "setting issuer name");
  }
  // The SKI goes first: the self-signed AKI copies it.
  auto ext = add_exts(x, x, key->get(),
                      {{NID_basic_constraints, "critical,CA:TRUE"},
                       {NID_key_usage, "critical,keyCertSign,cRLSign"},
                       {NID_subject_key_identifier, "hash"},
                       {NID_authority_key_identifier, "keyid:always"}});
  if (!ext) {
    return core::propagate(std::move(ext));
  }
  if (auto r = sign(x, key->get()); !r) {
    return core::propagate(std::move(r));
  }
  return to_pem(x, key->get());
}

core::Result<CertAndKey> issue(const CertAndKey& ca, const CertOptions& options, bool server) {
  // Validate everything the caller gave before the (for RSA, slow) key generation.
  if (auto r = validate_common_name(options.common_name); !r) {
    return core::propagate(std::move(r));
  }
  if (auto r = validate_valid_days(options.valid_days); !r) {
    return core::propagate(std::move(r));
  }
  auto san = build_san(options);
  if (!san) {
    return core::propagate(std::move(san));
  }
  auto signing = detail::load_signing_ca(ca);
  if (!signing) {
    return core::propagate(std::move(signing));
  }
  X509* issuer = signing->cert.get();
  EVP_PKEY* ca_key = signing->key.get();

  auto key = generate_key(options.key_type);
  if (!key) {
    return core::propagate(std::move(key));
  }
  auto cert = new_cert(key->get(), options.common_name, {}, options.valid_days);
  if (!cert) {
    return core::propagate(std::move(cert));
  }
  X509* x = cert->get();
  if (X509_set_issuer_name(x, X509_get_subject_name(issuer)) != 1) {
    return fail_ossl(Errc::kInternal, "setting issuer name");
  }
  auto ext =
      detail::add_leaf_exts(x, issuer, ca_key, options.key_type == KeyType::kRsa2048, server);
  if (!ext) {
    return core::propagate(std::move(ext));
  }
  if (*san &&
      X509_add1_ext_i2d(x, NID_subject_alt_name, san->get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return fail_ossl(Errc::kInternal, "adding subjectAltName");
  }
  if (auto r = sign(x, ca_key); !r) {
    return core::propagate(std::move(r));
  }
  return to_pem(x, key->get());
}

core::Result<std::string> certificate_id(std::string_view cert_pem) {
  auto cert = parse_cert(cert_pem);
  if (!cert) {
    return core::propagate(std::move(cert));
  }
  return detail::sha256_hex(cert->der);
}

core::Result<std::string> common_name(std::string_view cert_pem) {
  auto cert = parse_cert(cert_pem);
  if (!cert) {
    return core::propagate(std::move(cert));
  }
  const X509_NAME* subject = X509_get_subject_name(cert->x509.get());
  const int idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (idx < 0) {
    return core::fail(Errc::kInvalidArgument, "certificate subject has no common name");
  }
  // Two CNs would make the identity depend on which one a reader picks.
  if (X509_NAME_get_index_by_NID(subject, NID_commonName, idx) >= 0) {
    return core::fail(Errc::kInvalidArgument, "certificate subject has several common names");
  }
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) {
    return fail_ossl(Errc::kInvalidArgument, "common name is not valid text");
  }
  detail::OsslBytesPtr owned(utf8);
  std::string cn(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
  if (cn.find('\0') != std::string::npos) {
    return core::fail(Errc::kInvalidArgument, "common name contains NUL");
  }
  return cn;
}

core::Result<KeysAndCertificate> create_keys_and_certificate(const CertAndKey& ca, KeyType key_type,
                                                             int valid_days) {
  if (auto r = validate_valid_days(valid_days); !r) {
    return core::propagate(std::move(r));
  }
  auto signing = detail::load_signing_ca(ca);
  if (!signing) {
    return core::propagate(std::move(signing));
  }
  X509* issuer = signing->cert.get();
  auto key = generate_key(key_type);
  if (!key) {
    return core::propagate(std::move(key));
  }
  auto cert = new_cert(key->get(), kAwsIotCommonName, {}, valid_days);
  if (!cert) {
    return core::propagate(std::move(cert));
  }
  X509* x = cert->get();
  if (X509_set_issuer_name(x, X509_get_subject_name(issuer)) != 1) {
    return fail_ossl(Errc::kInternal, "setting issuer name");
  }
  if (auto r = detail::add_leaf_exts(x, issuer, signing->key.get(),
                                     key_type == KeyType::kRsa2048, /*server=*/false);
      !r) {
    return core::propagate(std::move(r));
  }
  if (auto r = sign(x, signing->key.get()); !r) {
    return core::propagate(std::move(r));
  }
  auto pem = to_pem(x, key->get());
  if (!pem) {
    return core::propagate(std::move(pem));
  }
  detail::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key->get()) != 1) {
    return fail_ossl(Errc::kInternal, "encoding public key");
  }
  return KeysAndCertificate{std::move(pem->cert_pem), std::move(pem->key_pem),
                            detail::bio_contents(bio.get())};
}

}  // namespace tenet::pki
