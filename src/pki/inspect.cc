#include "pki/inspect.h"

#include <arpa/inet.h>

#include <algorithm>
#include <climits>
#include <ctime>

#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "pki/detail/ossl.h"
#include "pki/detail/x509.h"

namespace tenet::pki {
namespace {

using core::Errc;
using detail::fail_ossl;

using BasicConstraintsPtr =
    std::unique_ptr<BASIC_CONSTRAINTS, detail::OsslDeleter<&BASIC_CONSTRAINTS_free>>;
using ExtendedKeyUsagePtr =
    std::unique_ptr<EXTENDED_KEY_USAGE, detail::OsslDeleter<&EXTENDED_KEY_USAGE_free>>;

// Short name of a known object ("CN", "clientAuth"), else its dotted OID.
std::string object_short_name(const ASN1_OBJECT* obj) {
  const int nid = OBJ_obj2nid(obj);
  if (nid != NID_undef) {
    if (const char* sn = OBJ_nid2sn(nid); sn != nullptr) {
      return sn;
    }
  }
  char buf[128] = {};
  OBJ_obj2txt(buf, sizeof buf, obj, /*no_name=*/1);
  return buf;
}

// Long name of a known object ("sha256WithRSAEncryption"), else its dotted OID.
std::string object_long_name(const ASN1_OBJECT* obj) {
  char buf[128] = {};
  OBJ_obj2txt(buf, sizeof buf, obj, /*no_name=*/0);
  return buf;
}

core::Result<std::string> asn1_to_utf8(const ASN1_STRING* s, std::string_view what) {
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, s);
  if (len < 0) {
    return fail_ossl(Errc::kInvalidArgument, std::string(what) + " is not valid text");
  }
  detail::OsslBytesPtr owned(utf8);
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
  if (out.find('\0') != std::string::npos) {
    return core::fail(Errc::kInvalidArgument, std::string(what) + " contains NUL");
  }
  return out;
}

// IA5String SAN values (DNS, email, URI) must be printable 7-bit text.
core::Result<std::string> ia5_text(const ASN1_STRING* s, std::string_view what) {
  const unsigned char* p = ASN1_STRING_get0_data(s);
  const int len = ASN1_STRING_length(s);
  std::string out(reinterpret_cast<const char*>(p), static_cast<std::size_t>(std::max(len, 0)));
  const bool ok = std::all_of(out.begin(), out.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f;
  });
  if (!ok) {
    return core::fail(Errc::kInvalidArgument,
                      "subjectAltName " + std::string(what) + " is not printable ASCII");
  }
  return out;
}

std::string octets_hex(const ASN1_OCTET_STRING* s) {
  if (s == nullptr) {
    return {};
  }
  return detail::hex(ASN1_STRING_get0_data(s), static_cast<std::size_t>(ASN1_STRING_length(s)));
}

core::Result<SubjectAltNames> read_san(X509* x) {
  SubjectAltNames out;
  int crit = 0;
  detail::GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, &crit, nullptr)));
  if (!names) {
    if (crit == -1) {
      return out;  // no subjectAltName
    }
    return fail_ossl(Errc::kInvalidArgument, "subjectAltName is malformed or repeated");
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    switch (gn->type) {
      case GEN_DNS:
      case GEN_EMAIL:
      case GEN_URI: {
        const char* what = gn->type == GEN_DNS ? "DNS name" : gn->type == GEN_EMAIL ? "email" : "URI";
        auto text = ia5_text(gn->d.ia5, what);
        if (!text) {
          return core::propagate(std::move(text));
        }
        auto& group = gn->type == GEN_DNS ? out.dns : gn->type == GEN_EMAIL ? out.email : out.uri;
        group.push_back(std::move(*text));
        break;
      }
      case GEN_IPADD: {
        const int len = ASN1_STRING_length(gn->d.iPAddress);
        if (len != 4 && len != 16) {
          return core::fail(Errc::kInvalidArgument, "subjectAltName IP address has " +
                                                        std::to_string(len) + " bytes");
        }
        char text[INET6_ADDRSTRLEN] = {};
        inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(gn->d.iPAddress), text,
                  sizeof text);
        out.ip.emplace_back(text);
        break;
      }
      case GEN_DIRNAME: {
        // Validate the values as text, then keep the one-line form.
        if (auto entries = detail::name_entries(gn->d.directoryName); !entries) {
          return core::propagate(std::move(entries));
        }
        out.directory_name.push_back(detail::name_text(gn->d.directoryName));
        break;
      }
      default:
        break;  // otherName, x400Address, ediPartyName, registeredID: not used for identity
    }
  }
  return out;
}

std::vector<std::string> key_usage_names(X509* x) {
  std::vector<std::string> out;
  if ((X509_get_extension_flags(x) & EXFLAG_KUSAGE) == 0) {
    return out;
  }
  static constexpr struct {
    std::uint32_t bit;
    const char* name;
  } kBits[] = {{KU_DIGITAL_SIGNATURE, "digitalSignature"}, {KU_NON_REPUDIATION, "nonRepudiation"},
               {KU_KEY_ENCIPHERMENT, "keyEncipherment"},   {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
               {KU_KEY_AGREEMENT, "keyAgreement"},         {KU_KEY_CERT_SIGN, "keyCertSign"},
               {KU_CRL_SIGN, "cRLSign"},                   {KU_ENCIPHER_ONLY, "encipherOnly"},
               {KU_DECIPHER_ONLY, "decipherOnly"}};
  const std::uint32_t ku = X509_get_key_usage(x);
  for (const auto& b : kBits) {
    if ((ku & b.bit) != 0) {
      out.emplace_back(b.name);
    }
  }
  return out;
}

std::vector<std::string> eku_names(X509* x) {
  std::vector<std::string> out;
  ExtendedKeyUsagePtr eku(
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(x, NID_ext_key_usage, nullptr, nullptr)));
  for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    out.push_back(object_short_name(sk_ASN1_OBJECT_value(eku.get(), i)));
  }
  return out;
}

core::Result<CertInfo> inspect_parsed(const detail::ParsedCert& cert) {
  X509* x = cert.x509.get();
  const std::uint32_t flags = X509_get_extension_flags(x);
  if ((flags & EXFLAG_INVALID) != 0) {
    return fail_ossl(Errc::kInvalidArgument, "certificate has malformed or duplicate extensions");
  }
  CertInfo info;
  auto id = detail::sha256_hex(cert.der);
  if (!id) {
    return core::propagate(std::move(id));
  }
  info.certificate_id = std::move(*id);
  info.der_size = cert.der.size();
  info.version = static_cast<int>(X509_get_version(x)) + 1;

  const ASN1_INTEGER* serial = X509_get0_serialNumber(x);
  info.serial_hex = detail::serial_hex(serial);
  if (detail::BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr)); bn) {
    if (char* dec = BN_bn2dec(bn.get()); dec != nullptr) {
      info.serial_decimal = dec;
      OPENSSL_free(dec);
    }
  }
  if (info.serial_hex.empty() || info.serial_decimal.empty()) {
    return fail_ossl(Errc::kInvalidArgument, "certificate serial number does not parse");
  }

  auto subject = detail::name_entries(X509_get_subject_name(x));
  if (!subject) {
    return core::fail(std::move(subject).error().with_context("subject"));
  }
  auto issuer = detail::name_entries(X509_get_issuer_name(x));
  if (!issuer) {
    return core::fail(std::move(issuer).error().with_context("issuer"));
  }
  info.subject = std::move(*subject);
  info.issuer = std::move(*issuer);
  info.subject_text = detail::name_text(X509_get_subject_name(x));
  info.issuer_text = detail::name_text(X509_get_issuer_name(x));
  auto subject_hash = detail::name_hash(X509_get_subject_name(x));
  auto issuer_hash = detail::name_hash(X509_get_issuer_name(x));
  if (!subject_hash || !issuer_hash) {
    return core::propagate(std::move(!subject_hash ? subject_hash : issuer_hash));
  }
  info.subject_name_sha256 = std::move(*subject_hash);
  info.issuer_name_sha256 = std::move(*issuer_hash);

  auto san = read_san(x);
  if (!san) {
    return core::propagate(std::move(san));
  }
  info.san = std::move(*san);
  info.not_before = detail::to_sys_seconds(X509_get0_notBefore(x));
  info.not_after = detail::to_sys_seconds(X509_get0_notAfter(x));

  BasicConstraintsPtr bc(static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(x, NID_basic_constraints, nullptr, nullptr)));
  if (bc) {
    info.is_ca = bc->ca != 0;
    if (bc->pathlen != nullptr) {
      const long pl = ASN1_INTEGER_get(bc->pathlen);
      info.path_length = pl < 0 || pl > INT_MAX ? INT_MAX : static_cast<int>(pl);
    }
  }
  info.key_usage = key_usage_names(x);
  info.extended_key_usage = eku_names(x);

  if (const EVP_PKEY* key = X509_get0_pubkey(x); key != nullptr) {
    detail::KeyFacts facts = detail::key_facts(key);
    info.key_algorithm = std::move(facts.algorithm);
    info.key_bits = facts.bits;
    info.curve = std::move(facts.curve);
  } else {
    // An algorithm OpenSSL cannot load (e.g. GOST): name it, key_quality_ok flags it.
    ERR_clear_error();
    ASN1_OBJECT* alg = nullptr;
    if (X509_PUBKEY_get0_param(&alg, nullptr, nullptr, nullptr, X509_get_X509_PUBKEY(x)) == 1 &&
        alg != nullptr) {
      info.key_algorithm = object_short_name(alg);
    }
  }
  const X509_ALGOR* sig_alg = nullptr;
  X509_get0_signature(nullptr, &sig_alg, x);
  if (sig_alg != nullptr) {
    const ASN1_OBJECT* obj = nullptr;
    X509_ALGOR_get0(&obj, nullptr, nullptr, sig_alg);
    info.signature_algorithm = object_long_name(obj);
  }
  info.subject_key_id = octets_hex(X509_get0_subject_key_id(x));
  info.authority_key_id = octets_hex(X509_get0_authority_key_id(x));
  info.self_signed = X509_self_signed(x, /*verify_signature=*/1) == 1;
  ERR_clear_error();  // a failed self-signature check is an answer, not an error
  return info;
}

}  // namespace

namespace detail {

std::string name_text(const X509_NAME* name) {
  detail::BioPtr bio(BIO_new(BIO_s_mem()));
  // RFC 2253 order and escaping, but UTF-8 passes through instead of becoming \XX escapes.
  if (!bio ||
      X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    ERR_clear_error();
    return {};
  }
  return detail::bio_contents(bio.get());
}

std::chrono::sys_seconds to_sys_seconds(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    ERR_clear_error();
    return {};
  }
  using namespace std::chrono;
  const sys_days day{year{tm.tm_year + 1900} / month{static_cast<unsigned>(tm.tm_mon + 1)} /
                     static_cast<unsigned>(tm.tm_mday)};
  return day + hours{tm.tm_hour} + minutes{tm.tm_min} + seconds{tm.tm_sec};
}

core::Result<DistinguishedName> name_entries(const X509_NAME* name) {
  DistinguishedName out;
  const int n = X509_NAME_entry_count(name);
  out.reserve(static_cast<std::size_t>(std::max(n, 0)));
  for (int i = 0; i < n; ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    std::string type = object_short_name(X509_NAME_ENTRY_get_object(e));
    auto value = asn1_to_utf8(X509_NAME_ENTRY_get_data(e), "name attribute " + type);
    if (!value) {
      return core::propagate(std::move(value));
    }
    out.push_back(NameEntry{std::move(type), std::move(*value)});
  }
  return out;
}

core::Result<std::string> name_hash(const X509_NAME* name) {
  const unsigned char* der = nullptr;
  std::size_t len = 0;
  if (X509_NAME_get0_der(name, &der, &len) != 1) {
    return fail_ossl(Errc::kInvalidArgument, "encoding name");
  }
  return sha256_hex(std::string_view(reinterpret_cast<const char*>(der), len));
}

std::string serial_hex(const ASN1_INTEGER* serial) {
  BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) {
    ERR_clear_error();
    return {};
  }
  char* raw = BN_bn2hex(bn.get());
  if (raw == nullptr) {
    ERR_clear_error();
    return {};
  }
  std::string text(raw);
  OPENSSL_free(raw);
  std::string out;
  std::size_t i = 0;
  if (!text.empty() && text[0] == '-') {
    out += '-';
    i = 1;
  }
  while (i + 1 < text.size() && text[i] == '0') {
    ++i;  // BN_bn2hex prints whole bytes ("0A"); keep one digit for zero
  }
  for (; i < text.size(); ++i) {
    out += static_cast<char>(text[i] >= 'A' && text[i] <= 'F' ? text[i] - 'A' + 'a' : text[i]);
  }
  return out;
}

KeyFacts key_facts(const EVP_PKEY* key) {
  KeyFacts f;
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: f.algorithm = "RSA"; break;
    case EVP_PKEY_RSA_PSS: f.algorithm = "RSA-PSS"; break;
    case EVP_PKEY_EC: f.algorithm = "EC"; break;
    case EVP_PKEY_ED25519: f.algorithm = "ED25519"; break;
    case EVP_PKEY_ED448: f.algorithm = "ED448"; break;
    case EVP_PKEY_DSA: f.algorithm = "DSA"; break;
    default: {
      const char* name = EVP_PKEY_get0_type_name(key);
      f.algorithm = name != nullptr ? name : "unknown";
    }
  }
  f.bits = EVP_PKEY_get_bits(key);
  if (f.algorithm == "EC") {
    char group[80] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) == 1) {
      const char* nist = EC_curve_nid2nist(OBJ_sn2nid(group));
      f.curve = nist != nullptr ? nist : group;
    }
    ERR_clear_error();  // explicit parameters have no group name: curve stays ""
  }
  return f;
}

core::Result<void> check_ca_basics(X509* ca, bool for_crl) {
  const std::uint32_t flags = X509_get_extension_flags(ca);
  if ((flags & EXFLAG_INVALID) != 0) {
    return fail_ossl(Errc::kInvalidArgument,
                     "CA certificate has malformed or duplicate extensions");
  }
  if ((flags & EXFLAG_BCONS) == 0 || (flags & EXFLAG_CA) == 0) {
    return core::fail(Errc::kInvalidArgument,
                      "CA certificate is not a CA (basicConstraints CA:TRUE missing)");
  }
  const std::uint32_t needed = for_crl ? KU_CRL_SIGN : KU_KEY_CERT_SIGN;
  if ((flags & EXFLAG_KUSAGE) != 0 && (X509_get_key_usage(ca) & needed) == 0) {
    return core::fail(Errc::kInvalidArgument, for_crl
                                                  ? "CA certificate keyUsage lacks cRLSign"
                                                  : "CA certificate keyUsage lacks keyCertSign");
  }
  return {};
}

}  // namespace detail

std::string first_value(const DistinguishedName& name, std::string_view type) {
  for (const NameEntry& e : name) {
    if (e.type == type) {
      return e.value;
    }
  }
  return {};
}

core::Result<CertInfo> inspect(std::string_view cert_pem) {
  auto cert = detail::parse_cert(cert_pem);
  if (!cert) {
    return core::propagate(std::move(cert));
  }
  return inspect_parsed(*cert);
}

bool key_quality_ok(const CertInfo& info) {
  if (info.key_algorithm == "RSA") {
    return info.key_bits >= 2048;
  }
  if (info.key_algorithm == "EC") {
    return info.curve == "P-256" || info.curve == "P-384" || info.curve == "P-521";
  }
  return false;
}

core::Result<void> verify_issued_by(std::string_view cert_pem, std::string_view ca_pem) {
  auto cert = detail::parse_cert(cert_pem);
  if (!cert) {
    return core::fail(std::move(cert).error().with_context("certificate"));
  }
  auto ca = detail::parse_cert(ca_pem);
  if (!ca) {
    return core::fail(std::move(ca).error().with_context("CA certificate"));
  }
  X509* x = cert->x509.get();
  X509* issuer = ca->x509.get();
  if (auto r = detail::check_ca_basics(issuer, /*for_crl=*/false); !r) {
    return r;
  }
  if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(issuer)) != 0) {
    return core::fail(Errc::kInvalidArgument,
                      "certificate issuer '" + detail::name_text(X509_get_issuer_name(x)) +
                          "' does not match CA subject '" +
                          detail::name_text(X509_get_subject_name(issuer)) + "'");
  }
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(x);
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(issuer);
  if (aki != nullptr && ski != nullptr && ASN1_OCTET_STRING_cmp(aki, ski) != 0) {
    return core::fail(Errc::kInvalidArgument,
                      "certificate authorityKeyIdentifier does not match CA subjectKeyIdentifier");
  }
  EVP_PKEY* ca_key = X509_get0_pubkey(issuer);
  if (ca_key == nullptr) {
    return fail_ossl(Errc::kInvalidArgument, "CA public key does not parse");
  }
  if (X509_verify(x, ca_key) != 1) {
    return fail_ossl(Errc::kInvalidArgument,
                     "certificate signature does not verify with the CA public key");
  }
  return {};
}

core::Result<std::string> public_key_pem(std::string_view cert_pem) {
  auto cert = detail::parse_cert(cert_pem);
  if (!cert) {
    return core::propagate(std::move(cert));
  }
  EVP_PKEY* key = X509_get0_pubkey(cert->x509.get());
  if (key == nullptr) {
    return fail_ossl(Errc::kInvalidArgument, "certificate public key does not parse");
  }
  detail::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return fail_ossl(Errc::kInternal, "encoding public key");
  }
  return detail::bio_contents(bio.get());
}

core::Result<std::string> der_from_pem(std::string_view cert_pem) {
  auto cert = detail::parse_cert(cert_pem);
  if (!cert) {
    return core::propagate(std::move(cert));
  }
  return std::move(cert->der);
}

core::Result<std::string> certificate_pem_from_der(std::string_view der) {
  if (der.size() > static_cast<std::size_t>(LONG_MAX)) {
    return core::fail(Errc::kInvalidArgument, "certificate DER too large");
  }
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = begin;
  detail::X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x || p != begin + der.size()) {
    return fail_ossl(Errc::kInvalidArgument, "certificate DER does not parse");
  }
  // The original bytes, not a re-encoding, so that certificate_id stays the same.
  detail::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio(bio.get(), PEM_STRING_X509, "", begin,
                            static_cast<long>(der.size())) <= 0) {
    return fail_ossl(Errc::kInternal, "encoding certificate");
  }
  return detail::bio_contents(bio.get());
}

}  // namespace tenet::pki
