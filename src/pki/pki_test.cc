#include "pki/pki.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "pki/detail/ossl.h"

namespace tenet::pki {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Made with `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes
// -subj "/O=fixture/CN=fixed-device-01"`; its id is `openssl x509 -outform DER | sha256sum`.
constexpr std::string_view kFixedCertPem = R"(-----BEGIN CERTIFICATE-----
MIIBrDCCAVOgAwIBAgIUBUBbfMcuZm9/0XHp6iDcBkG065gwCgYIKoZIzj0EAwIw
LDEQMA4GA1UECgwHZml4dHVyZTEYMBYGA1UEAwwPZml4ZWQtZGV2aWNlLTAxMB4X
DTI2MTEyNTAzMDgxNVoXDTM2MTEyMjAzMDgxNVowLDEQMA4GA1UECgwHZml4dHVy
ZTEYMBYGA1UEAwwPZml4ZWQtZGV2aWNlLTAxMFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAEiJTBCRTgMXft6+//V8x3wdna8w812B/Mu3A1PpS33mkEXIo16viSy5IJ
hJgewOvYvPw7XeACnTOwUmA5WbC/7aNTMFEwHQYDVR0OBBYEFHkvagzBUx4oxifo
iJOlB+ICYfztMB8GA1UdIwQYMBaAFHkvagzBUx4oxifoiJOlB+ICYfztMA8GA1Ud
EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgZGTfH3CQE0FjoTIN9LbuyvvY
Zi5X4aFDgqB5591JRowCIDcIROivTEGCBeqo1VBqmco8i7W5qDqATtZ743KbVDRi
-----END CERTIFICATE-----
)";
constexpr std::string_view kFixedCertId =
    "4425c0c452da107f995d08f0f5a6ea8e57d1abc49441775de327839f6e914b0f";

// ---- helpers that look at certificates with OpenSSL directly, independent of pki.cc ----

detail::X509Ptr load_cert(std::string_view pem) {
  detail::BioPtr bio = detail::mem_bio(pem);
  return detail::X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

detail::EvpPkeyPtr load_key(std::string_view pem) {
  detail::BioPtr bio = detail::mem_bio(pem);
  return detail::EvpPkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

// X509_V_OK, or the X509_V_ERR_* that X509_verify_cert reported.
int verify(std::string_view ca_pem, std::string_view leaf_pem, int purpose,
           const char* host = nullptr, const char* ip = nullptr) {
  detail::X509Ptr ca = load_cert(ca_pem);
  detail::X509Ptr leaf = load_cert(leaf_pem);
  detail::X509StorePtr store(X509_STORE_new());
  detail::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ca || !leaf || !store || !ctx || X509_STORE_add_cert(store.get(), ca.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr) != 1 ||
      X509_STORE_CTX_set_purpose(ctx.get(), purpose) != 1) {
    return -1;
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  if (host != nullptr) {
    X509_VERIFY_PARAM_set1_host(param, host, 0);
  }
  if (ip != nullptr) {
    X509_VERIFY_PARAM_set1_ip_asc(param, ip);
  }
  const int ok = X509_verify_cert(ctx.get());
  return ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx.get());
}

// "DNS:localhost", "IP:::1", ... in certificate order.
std::vector<std::string> sans(X509* x) {
  std::vector<std::string> out;
  detail::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    int type = 0;
    const auto* value = static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(gn, &type));
    const auto* bytes = ASN1_STRING_get0_data(value);
    const int len = ASN1_STRING_length(value);
    if (type == GEN_DNS) {
      out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(bytes), len));
    } else if (type == GEN_IPADD) {
      char text[INET6_ADDRSTRLEN] = {};
      inet_ntop(len == 4 ? AF_INET : AF_INET6, bytes, text, sizeof text);
      out.push_back(std::string("IP:") + text);
    }
  }
  return out;
}

bool ext_is_critical(X509* x, int nid) {
  const int idx = X509_get_ext_by_NID(x, nid, -1);
  return idx >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x, idx)) == 1;
}

std::time_t to_time_t(const ASN1_TIME* t) {
  std::tm tm{};
  ASN1_TIME_to_tm(t, &tm);
  return timegm(&tm);
}

std::string sha256_hex_of_der(X509* x) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(x, &der);
  detail::OsslBytesPtr owned(der);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_Digest(der, static_cast<std::size_t>(len), md, &md_len, EVP_sha256(), nullptr);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < md_len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    hex += buf;
  }
  return hex;
}

std::string group_name(EVP_PKEY* key) {
  char name[64] = {};
  std::size_t len = 0;
  EVP_PKEY_get_group_name(key, name, sizeof name, &len);
  return name;
}

// One CA for the whole binary: EC keys are cheap, but there is no need to make dozens.
const CertAndKey& test_ca() {
  static const CertAndKey ca = [] {
    auto r = create_root_ca("tenet test root", 30);
    EXPECT_TRUE(r) << r.error();
    return r ? *r : CertAndKey{};
  }();
  return ca;
}

CertOptions server_options() {
  CertOptions o;
  o.common_name = "broker.local";
  o.dns_names = {"localhost"};
  o.ip_addresses = {"127.0.0.1", "::1"};
  return o;
}

// ---- create_root_ca ----

TEST(CreateRootCa, ParsesBackAsCriticalCaWithCertSign) {
  const CertAndKey& ca = test_ca();
  detail::X509Ptr x = load_cert(ca.cert_pem);
  ASSERT_TRUE(x);
  EXPECT_EQ(X509_get_version(x.get()), X509_VERSION_3);
  EXPECT_EQ(X509_check_ca(x.get()), 1);
  EXPECT_TRUE(X509_get_extension_flags(x.get()) & EXFLAG_CA);
  EXPECT_TRUE(ext_is_critical(x.get(), NID_basic_constraints));
  EXPECT_TRUE(ext_is_critical(x.get(), NID_key_usage));
  EXPECT_EQ(X509_get_key_usage(x.get()), static_cast<std::uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_EQ(X509_get_signature_nid(x.get()), NID_ecdsa_with_SHA256);
  // Self-signed: the signature checks with its own key and the AKI repeats the SKI.
  EXPECT_EQ(X509_verify(x.get(), X509_get0_pubkey(x.get())), 1);
  EXPECT_EQ(X509_check_issued(x.get(), x.get()), X509_V_OK);
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(x.get());
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(x.get());
  ASSERT_NE(ski, nullptr);
  ASSERT_NE(aki, nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(ski, aki), 0);
}

TEST(CreateRootCa, SubjectIsCommonNameAndTenetOrganization) {
  detail::X509Ptr x = load_cert(test_ca().cert_pem);
  ASSERT_TRUE(x);
  char buf[256];
  X509_NAME_get_text_by_NID(X509_get_subject_name(x.get()), NID_organizationName, buf, sizeof buf);
  EXPECT_STREQ(buf, "tenet");
  auto cn = common_name(test_ca().cert_pem);
  ASSERT_TRUE(cn) << cn.error();
  EXPECT_EQ(*cn, "tenet test root");
}

TEST(CreateRootCa, ValidityIsBackdatedOneHourAndLastsValidDays) {
  const std::time_t now = std::time(nullptr);
  detail::X509Ptr x = load_cert(test_ca().cert_pem);
  ASSERT_TRUE(x);
  EXPECT_NEAR(static_cast<double>(to_time_t(X509_get0_notBefore(x.get()))), now - 3600.0, 120);
  EXPECT_NEAR(static_cast<double>(to_time_t(X509_get0_notAfter(x.get()))), now + 30 * 86400.0, 120);
}

TEST(CreateRootCa, SerialIsPositiveRandomAndFitsTwentyOctets) {
  auto other = create_root_ca("tenet test root", 30);
  ASSERT_TRUE(other) << other.error();
  detail::X509Ptr a = load_cert(test_ca().cert_pem);
  detail::X509Ptr b = load_cert(other->cert_pem);
  ASSERT_TRUE(a && b);
  const ASN1_INTEGER* sa = X509_get0_serialNumber(a.get());
  EXPECT_EQ(ASN1_STRING_type(sa), V_ASN1_INTEGER) << "negative serial";
  EXPECT_GE(ASN1_STRING_length(sa), 8);
  EXPECT_LE(ASN1_STRING_length(sa), 16);
  EXPECT_NE(ASN1_INTEGER_cmp(sa, X509_get0_serialNumber(b.get())), 0);
}

TEST(CreateRootCa, KeyIsUnencryptedPkcs8P256MatchingTheCertificate) {
  const CertAndKey& ca = test_ca();
  EXPECT_THAT(ca.key_pem, StartsWith("-----BEGIN PRIVATE KEY-----\n"));
  detail::EvpPkeyPtr key = load_key(ca.key_pem);
  detail::X509Ptr x = load_cert(ca.cert_pem);
  ASSERT_TRUE(key && x);
  EXPECT_EQ(group_name(key.get()), "prime256v1");
  EXPECT_EQ(X509_check_private_key(x.get(), key.get()), 1);
}

TEST(CreateRootCa, RejectsEmptyOrOverlongNameAndBadValidity) {
  EXPECT_EQ(create_root_ca("", 30).error().code, core::Errc::kInvalidArgument);
  EXPECT_EQ(create_root_ca(std::string(65, 'a'), 30).error().code, core::Errc::kInvalidArgument);
  EXPECT_EQ(create_root_ca("ok", 0).error().code, core::Errc::kInvalidArgument);
  EXPECT_EQ(create_root_ca("ok", kMaxValidDays + 1).error().code, core::Errc::kInvalidArgument);
}

// ---- issue ----

TEST(Issue, ServerCertVerifiesForLocalhostAndLoopbackIps) {
  auto leaf = issue(test_ca(), server_options(), /*server=*/true);
  ASSERT_TRUE(leaf) << leaf.error();
  const std::string& ca = test_ca().cert_pem;
  EXPECT_EQ(verify(ca, leaf->cert_pem, X509_PURPOSE_SSL_SERVER), X509_V_OK);
  EXPECT_EQ(verify(ca, leaf->cert_pem, X509_PURPOSE_SSL_SERVER, "localhost"), X509_V_OK);
  EXPECT_EQ(verify(ca, leaf->cert_pem, X509_PURPOSE_SSL_SERVER, nullptr, "127.0.0.1"), X509_V_OK);
  EXPECT_EQ(verify(ca, leaf->cert_pem, X509_PURPOSE_SSL_SERVER, nullptr, "::1"), X509_V_OK);
  EXPECT_EQ(verify(ca, leaf->cert_pem, X509_PURPOSE_SSL_SERVER, "example.com"),
            X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST(Issue, ServerCertCarriesSansServerAuthAndLeafConstraints) {
  auto leaf = issue(test_ca(), server_options(), /*server=*/true);
  ASSERT_TRUE(leaf) << leaf.error();
  detail::X509Ptr x = load_cert(leaf->cert_pem);
  ASSERT_TRUE(x);
  EXPECT_THAT(sans(x.get()), ElementsAre("DNS:localhost", "IP:127.0.0.1", "IP:::1"));
  EXPECT_EQ(X509_get_extended_key_usage(x.get()), static_cast<std::uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(X509_get_key_usage(x.get()), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_check_ca(x.get()), 0);
  EXPECT_TRUE(ext_is_critical(x.get(), NID_basic_constraints));
  EXPECT_EQ(X509_get_signature_nid(x.get()), NID_ecdsa_with_SHA256);
  // Not usable as a client certificate: serverAuth only.
  EXPECT_EQ(verify(test_ca().cert_pem, leaf->cert_pem, X509_PURPOSE_SSL_CLIENT),
            X509_V_ERR_INVALID_PURPOSE);
}

TEST(Issue, LeafAkiMatchesCaSki) {
  auto leaf = issue(test_ca(), server_options(), /*server=*/true);
  ASSERT_TRUE(leaf) << leaf.error();
  detail::X509Ptr ca = load_cert(test_ca().cert_pem);
  detail::X509Ptr x = load_cert(leaf->cert_pem);
  ASSERT_TRUE(ca && x);
  ASSERT_NE(X509_get0_subject_key_id(x.get()), nullptr);
  ASSERT_NE(X509_get0_authority_key_id(x.get()), nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x.get()),
                                  X509_get0_subject_key_id(ca.get())),
            0);
  EXPECT_NE(ASN1_OCTET_STRING_cmp(X509_get0_subject_key_id(x.get()),
                                  X509_get0_subject_key_id(ca.get())),
            0);
}

TEST(Issue, ClientCertVerifiesWithClientAuthAndCommonName) {
  CertOptions o;
  o.common_name = "thing-0042";
  auto leaf = issue(test_ca(), o, /*server=*/false);
  ASSERT_TRUE(leaf) << leaf.error();
  EXPECT_EQ(verify(test_ca().cert_pem, leaf->cert_pem, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
  EXPECT_EQ(verify(test_ca().cert_pem, leaf->cert_pem, X509_PURPOSE_SSL_SERVER),
            X509_V_ERR_INVALID_PURPOSE);
  detail::X509Ptr x = load_cert(leaf->cert_pem);
  ASSERT_TRUE(x);
  EXPECT_EQ(X509_get_extended_key_usage(x.get()), static_cast<std::uint32_t>(XKU_SSL_CLIENT));
  EXPECT_TRUE(sans(x.get()).empty());
  EXPECT_EQ(X509_get_ext_by_NID(x.get(), NID_subject_alt_name, -1), -1);
  auto cn = common_name(leaf->cert_pem);
  ASSERT_TRUE(cn) << cn.error();
  EXPECT_EQ(*cn, "thing-0042");
}

TEST(Issue, Rsa2048KeyAddsKeyEncipherment) {
  CertOptions o = server_options();
  o.key_type = KeyType::kRsa2048;
  auto leaf = issue(test_ca(), o, /*server=*/true);
  ASSERT_TRUE(leaf) << leaf.error();
  EXPECT_THAT(leaf->key_pem, StartsWith("-----BEGIN PRIVATE KEY-----\n"));
  detail::EvpPkeyPtr key = load_key(leaf->key_pem);
  detail::X509Ptr x = load_cert(leaf->cert_pem);
  ASSERT_TRUE(key && x);
  EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 2048);
  EXPECT_EQ(X509_check_private_key(x.get(), key.get()), 1);
  EXPECT_EQ(X509_get_key_usage(x.get()),
            static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  // Still signed by the EC CA.
  EXPECT_EQ(X509_get_signature_nid(x.get()), NID_ecdsa_with_SHA256);
  EXPECT_EQ(verify(test_ca().cert_pem, leaf->cert_pem, X509_PURPOSE_SSL_SERVER, "localhost"),
            X509_V_OK);
}

TEST(Issue, P384Key) {
  CertOptions o;
  o.common_name = "thing-p384";
  o.key_type = KeyType::kEcP384;
  auto leaf = issue(test_ca(), o, /*server=*/false);
  ASSERT_TRUE(leaf) << leaf.error();
  detail::EvpPkeyPtr key = load_key(leaf->key_pem);
  detail::X509Ptr x = load_cert(leaf->cert_pem);
  ASSERT_TRUE(key && x);
  EXPECT_EQ(group_name(key.get()), "secp384r1");
  EXPECT_EQ(X509_check_private_key(x.get(), key.get()), 1);
  EXPECT_EQ(verify(test_ca().cert_pem, leaf->cert_pem, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
}

TEST(Issue, ValidityFollowsValidDays) {
  CertOptions o;
  o.common_name = "short-lived";
  o.valid_days = 2;
  auto leaf = issue(test_ca(), o, /*server=*/false);
  ASSERT_TRUE(leaf) << leaf.error();
  detail::X509Ptr x = load_cert(leaf->cert_pem);
  ASSERT_TRUE(x);
  const std::time_t now = std::time(nullptr);
  EXPECT_NEAR(static_cast<double>(to_time_t(X509_get0_notBefore(x.get()))), now - 3600.0, 120);
  EXPECT_NEAR(static_cast<double>(to_time_t(X509_get0_notAfter(x.get()))), now + 2 * 86400.0, 120);
}

TEST(Issue, CertFromAnotherCaDoesNotVerify) {
  auto other = create_root_ca("other root", 30);
  ASSERT_TRUE(other) << other.error();
  auto leaf = issue(*other, server_options(), /*server=*/true);
  ASSERT_TRUE(leaf) << leaf.error();
  EXPECT_NE(verify(test_ca().cert_pem, leaf->cert_pem, X509_PURPOSE_SSL_SERVER), X509_V_OK);
}

TEST(Issue, BadIpTextIsInvalidArgument) {
  for (const char* bad : {"256.1.1.1", "1.2.3", "fe80::1%eth0", "localhost", "", " 127.0.0.1"}) {
    CertOptions o = server_options();
    o.ip_addresses = {bad};
    auto r = issue(test_ca(), o, /*server=*/true);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument) << bad;
  }
}

TEST(Issue, DnsNameCannotInjectAnotherEntry) {
  for (const char* bad : {"a.example,IP:10.0.0.1", "", "a b", "x\ny"}) {
    CertOptions o = server_options();
    o.dns_names = {bad};
    auto r = issue(test_ca(), o, /*server=*/true);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument) << bad;
  }
}

TEST(Issue, BadCaPemIsInvalidArgument) {
  const CertAndKey& ca = test_ca();
  EXPECT_EQ(issue({"not a pem", ca.key_pem}, server_options(), true).error().code,
            core::Errc::kInvalidArgument);
  EXPECT_EQ(issue({ca.cert_pem, "not a pem"}, server_options(), true).error().code,
            core::Errc::kInvalidArgument);
  // The key PEM where the certificate belongs.
  EXPECT_EQ(issue({ca.key_pem, ca.key_pem}, server_options(), true).error().code,
            core::Errc::kInvalidArgument);
}

TEST(Issue, MismatchedCaKeyIsInvalidArgument) {
  auto other = create_root_ca("other root", 30);
  ASSERT_TRUE(other) << other.error();
  auto r = issue({test_ca().cert_pem, other->key_pem}, server_options(), true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument);
  EXPECT_THAT(r.error().detail, HasSubstr("does not match"));
}

TEST(Issue, LeafCannotActAsCa) {
  CertOptions o;
  o.common_name = "thing";
  auto leaf = issue(test_ca(), o, /*server=*/false);
  ASSERT_TRUE(leaf) << leaf.error();
  auto r = issue(*leaf, o, /*server=*/false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument);
}

TEST(Issue, EncryptedCaKeyFailsWithoutPrompting) {
  detail::EvpPkeyPtr key = load_key(test_ca().key_pem);
  ASSERT_TRUE(key);
  detail::BioPtr bio(BIO_new(BIO_s_mem()));
  char password[] = "hunter2";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), password,
                                          sizeof password - 1, nullptr, nullptr),
            1);
  const std::string encrypted = detail::bio_contents(bio.get());
  ASSERT_THAT(encrypted, HasSubstr("ENCRYPTED PRIVATE KEY"));
  auto r = issue({test_ca().cert_pem, encrypted}, server_options(), true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument);
}

TEST(Issue, RejectsEmptyCommonName) {
  CertOptions o;
  auto r = issue(test_ca(), o, /*server=*/false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument);
}

// ---- certificate_id and common_name ----

TEST(CertificateId, MatchesOpensslCliOnFixedCertificate) {
  auto id = certificate_id(kFixedCertPem);
  ASSERT_TRUE(id) << id.error();
  EXPECT_EQ(*id, kFixedCertId);
}

TEST(CertificateId, IsSha256OfDerForIssuedCertificates) {
  auto leaf = issue(test_ca(), server_options(), /*server=*/true);
  ASSERT_TRUE(leaf) << leaf.error();
  detail::X509Ptr x = load_cert(leaf->cert_pem);
  ASSERT_TRUE(x);
  auto id = certificate_id(leaf->cert_pem);
  ASSERT_TRUE(id) << id.error();
  EXPECT_EQ(*id, sha256_hex_of_der(x.get()));
  EXPECT_EQ(id->size(), 64u);
}

TEST(CertificateId, SkipsOtherPemBlocksBeforeTheCertificate) {
  const std::string bundle = test_ca().key_pem + std::string(kFixedCertPem);
  auto id = certificate_id(bundle);
  ASSERT_TRUE(id) << id.error();
  EXPECT_EQ(*id, kFixedCertId);
}

TEST(CertificateId, BadPemIsInvalidArgument) {
  std::string truncated(kFixedCertPem.substr(0, kFixedCertPem.size() / 2));
  std::string corrupted(kFixedCertPem);
  corrupted[100] = corrupted[100] == 'A' ? 'B' : 'A';  // still base64, no longer a certificate
  for (const std::string& bad :
       {std::string(), std::string("garbage"), truncated, corrupted, test_ca().key_pem}) {
    auto r = certificate_id(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument) << bad;
    EXPECT_EQ(ERR_peek_error(), 0u) << "OpenSSL error queue left dirty";
  }
}

TEST(CommonName, ReadsFixedCertificate) {
  auto cn = common_name(kFixedCertPem);
  ASSERT_TRUE(cn) << cn.error();
  EXPECT_EQ(*cn, "fixed-device-01");
}

TEST(CommonName, BadPemIsInvalidArgument) {
  auto r = common_name("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument);
}

TEST(CommonName, TwoCommonNamesAreRefused) {
  detail::EvpPkeyPtr key = load_key(test_ca().key_pem);
  detail::X509Ptr x(X509_new());
  ASSERT_TRUE(key && x);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("a"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("b"), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 60);
  X509_set_pubkey(x.get(), key.get());
  ASSERT_GT(X509_sign(x.get(), key.get(), EVP_sha256()), 0);
  detail::BioPtr bio(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_X509(bio.get(), x.get()), 1);
  auto r = common_name(detail::bio_contents(bio.get()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument);
}

// ---- files ----

class Files : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "pki_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      out.push_back(e.path().filename().string());
    }
    return out;
  }

  std::string dir_;
};

TEST_F(Files, WriteSetsExactModeRegardlessOfUmask) {
  const std::string path = dir_ + "/key.pem";
  const mode_t old_umask = ::umask(0);  // a permissive umask must not widen a key file
  auto w = write_file_atomic(path, "secret", 0600);
  ::umask(old_umask);
  ASSERT_TRUE(w) << w.error();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  const mode_t strict = ::umask(077);  // and a strict one must not narrow a certificate
  w = write_file_atomic(dir_ + "/cert.pem", "public", 0644);
  ::umask(strict);
  ASSERT_TRUE(w) << w.error();
  ASSERT_EQ(::stat((dir_ + "/cert.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST_F(Files, WriteReplacesByRenameNotInPlace) {
  const std::string path = dir_ + "/ca.pem";
  ASSERT_TRUE(write_file_atomic(path, "old contents", 0644));
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  // A reader that opened the old file keeps seeing all of it: the new file is a new inode.
  const int reader = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(reader, 0);

  auto w = write_file_atomic(path, "new", 0600);
  ASSERT_TRUE(w) << w.error();

  char buf[64] = {};
  EXPECT_EQ(::pread(reader, buf, sizeof buf, 0), 12);
  EXPECT_STREQ(buf, "old contents");
  ::close(reader);
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino);
  EXPECT_EQ(after.st_mode & 07777, 0600u);
  auto r = read_file(path);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(*r, "new");
  EXPECT_THAT(entries(), ElementsAre("ca.pem")) << "temporary file left behind";
}

TEST_F(Files, ReadReturnsBinaryContentsExactly) {
  const std::string path = dir_ + "/blob";
  const std::string data("a\0b\xff\n", 5);
  ASSERT_TRUE(write_file_atomic(path, data, 0600));
  auto r = read_file(path);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(*r, data);
  ASSERT_TRUE(write_file_atomic(path, "", 0600));
  r = read_file(path);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(*r, "");
}

TEST_F(Files, WriteIntoMissingDirectoryIsUnavailableWithErrno) {
  auto w = write_file_atomic(dir_ + "/missing/key.pem", "x", 0600);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, core::Errc::kUnavailable);
  EXPECT_EQ(w.error().cause, std::error_code(ENOENT, std::system_category()));
}

TEST_F(Files, FailedRenameLeavesTargetAndNoTemporaryFile) {
  // Renaming a file over a non-empty directory fails after the temporary file was written.
  const std::string path = dir_ + "/occupied";
  std::filesystem::create_directory(path);
  ASSERT_TRUE(write_file_atomic(path + "/inner", "x", 0600));
  auto w = write_file_atomic(path, "x", 0600);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, core::Errc::kUnavailable);
  EXPECT_TRUE(w.error().cause);
  EXPECT_THAT(entries(), ElementsAre("occupied"));
}

TEST_F(Files, BadArgumentsAreInvalidArgument) {
  EXPECT_EQ(write_file_atomic("", "x", 0600).error().code, core::Errc::kInvalidArgument);
  EXPECT_EQ(write_file_atomic(dir_ + "/", "x", 0600).error().code, core::Errc::kInvalidArgument);
  EXPECT_EQ(write_file_atomic(dir_ + "/f", "x", 010000).error().code,
            core::Errc::kInvalidArgument);
}

TEST_F(Files, ReadMissingFileIsNotFound) {
  auto r = read_file(dir_ + "/nope");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kNotFound);
  EXPECT_EQ(r.error().cause, std::error_code(ENOENT, std::system_category()));
}

TEST_F(Files, ReadDirectoryIsUnavailable) {
  auto r = read_file(dir_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kUnavailable);
}

TEST_F(Files, IssuedMaterialRoundTripsThroughFiles) {
  const std::string cert_path = dir_ + "/ca.pem";
  const std::string key_path = dir_ + "/ca.key";
  ASSERT_TRUE(write_file_atomic(cert_path, test_ca().cert_pem, 0644));
  ASSERT_TRUE(write_file_atomic(key_path, test_ca().key_pem, 0600));
  auto cert = read_file(cert_path);
  auto key = read_file(key_path);
  ASSERT_TRUE(cert && key);
  CertOptions o;
  o.common_name = "from-disk";
  auto leaf = issue({*cert, *key}, o, /*server=*/false);
  ASSERT_TRUE(leaf) << leaf.error();
  EXPECT_EQ(verify(*cert, leaf->cert_pem, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
}

}  // namespace
}  // namespace tenet::pki
