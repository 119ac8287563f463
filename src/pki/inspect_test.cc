#include "pki/inspect.h"

#include <chrono>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

#include "pki/pki.h"
#include "pki/detail/x509.h"
#include "pki/testing_util.h"

namespace tenet::pki {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::have_openssl_cli;
using testing::load_cert;
using testing::load_key;
using testing::ScratchDir;
using testing::shared_ca;

// Same fixture as pki_test.cc: `openssl req -x509 ... -subj "/O=fixture/CN=fixed-device-01"`.
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

// X509_V_OK, or the X509_V_ERR_* that X509_verify_cert reported for `purpose`.
int verify_chain(std::string_view ca_pem, std::string_view leaf_pem, int purpose) {
  detail::X509Ptr ca = load_cert(ca_pem);
  detail::X509Ptr leaf = load_cert(leaf_pem);
  detail::X509StorePtr store(X509_STORE_new());
  detail::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ca || !leaf || !store || !ctx || X509_STORE_add_cert(store.get(), ca.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr) != 1 ||
      X509_STORE_CTX_set_purpose(ctx.get(), purpose) != 1) {
    return -1;
  }
  return X509_verify_cert(ctx.get()) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx.get());
}

std::int64_t epoch(std::chrono::sys_seconds t) { return t.time_since_epoch().count(); }
std::int64_t now_epoch() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- create_keys_and_certificate ----

TEST(CreateKeysAndCertificate, EachKeyTypeVerifiesAgainstCaWithClientAuth) {
  struct Case {
    KeyType type;
    const char* algorithm;
    int bits;
    const char* curve;
  };
  for (const Case& c : {Case{KeyType::kEcP256, "EC", 256, "P-256"},
                        Case{KeyType::kEcP384, "EC", 384, "P-384"},
                        Case{KeyType::kRsa2048, "RSA", 2048, ""}}) {
    SCOPED_TRACE(c.algorithm + std::to_string(c.bits));
    auto r = create_keys_and_certificate(shared_ca(), c.type, 10);
    ASSERT_TRUE(r) << r.error();
    EXPECT_THAT(r->key_pem, StartsWith("-----BEGIN PRIVATE KEY-----\n"));
    EXPECT_THAT(r->public_key_pem, StartsWith("-----BEGIN PUBLIC KEY-----\n"));
    EXPECT_EQ(verify_chain(shared_ca().cert_pem, r->cert_pem, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
    EXPECT_EQ(verify_chain(shared_ca().cert_pem, r->cert_pem, X509_PURPOSE_SSL_SERVER),
              X509_V_ERR_INVALID_PURPOSE);
    EXPECT_TRUE(verify_issued_by(r->cert_pem, shared_ca().cert_pem));

    detail::X509Ptr x = load_cert(r->cert_pem);
    detail::EvpPkeyPtr key = load_key(r->key_pem);
    ASSERT_TRUE(x && key);
    EXPECT_EQ(X509_check_private_key(x.get(), key.get()), 1);
    EXPECT_EQ(testing::pubkey_pem(key.get()), r->public_key_pem);

    auto info = inspect(r->cert_pem);
    ASSERT_TRUE(info) << info.error();
    EXPECT_THAT(info->subject, ElementsAre(NameEntry{"CN", "AWS IoT Certificate"}));
    EXPECT_THAT(info->extended_key_usage, ElementsAre("clientAuth"));
    EXPECT_FALSE(info->is_ca);
    EXPECT_FALSE(info->self_signed);
    EXPECT_EQ(info->key_algorithm, c.algorithm);
    EXPECT_EQ(info->key_bits, c.bits);
    EXPECT_EQ(info->curve, c.curve);
    EXPECT_TRUE(key_quality_ok(*info));
    // A random positive 128-bit serial: at most 32 hex digits, and it is never negative.
    EXPECT_LE(info->serial_hex.size(), 32u);
    EXPECT_GE(info->serial_hex.size(), 16u);
    EXPECT_NE(info->serial_hex[0], '-');
    EXPECT_NEAR(static_cast<double>(epoch(info->not_after)), now_epoch() + 10 * 86400.0, 120);
  }
}

TEST(CreateKeysAndCertificate, SerialsDiffer) {
  auto a = create_keys_and_certificate(shared_ca());
  auto b = create_keys_and_certificate(shared_ca());
  ASSERT_TRUE(a && b);
  EXPECT_NE(inspect(a->cert_pem)->serial_hex, inspect(b->cert_pem)->serial_hex);
  EXPECT_NE(a->public_key_pem, b->public_key_pem);
}

TEST(CreateKeysAndCertificate, RejectsBadValidityAndBadCa) {
  EXPECT_EQ(create_keys_and_certificate(shared_ca(), KeyType::kEcP256, 0).error().code,
            core::Errc::kInvalidArgument);
  EXPECT_EQ(create_keys_and_certificate(shared_ca(), KeyType::kEcP256, kMaxValidDays + 1)
                .error()
                .code,
            core::Errc::kInvalidArgument);
  EXPECT_EQ(create_keys_and_certificate({"junk", shared_ca().key_pem}).error().code,
            core::Errc::kInvalidArgument);
  auto leaf = create_keys_and_certificate(shared_ca());
  ASSERT_TRUE(leaf);
  auto r = create_keys_and_certificate({leaf->cert_pem, leaf->key_pem});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().detail, HasSubstr("may not sign"));
}

// ---- inspect ----

TEST(Inspect, FixedCertificateFields) {
  auto info = inspect(kFixedCertPem);
  ASSERT_TRUE(info) << info.error();
  EXPECT_EQ(info->certificate_id,
            "4425c0c452da107f995d08f0f5a6ea8e57d1abc49441775de327839f6e914b0f");
  EXPECT_EQ(info->version, 3);
  // 05:40:5b:... in `openssl x509 -text`; the leading zero nibble is dropped.
  EXPECT_EQ(info->serial_hex, "5405b7cc72e666f7fd171e9ea20dc0641b4eb98");
  EXPECT_EQ(info->serial_decimal, "29980171224615740337392589610225113998847962008");
  EXPECT_THAT(info->subject,
              ElementsAre(NameEntry{"O", "fixture"}, NameEntry{"CN", "fixed-device-01"}));
  EXPECT_EQ(info->subject, info->issuer);
  EXPECT_EQ(info->subject_text, "CN=fixed-device-01,O=fixture");
  EXPECT_EQ(info->subject_name_sha256, info->issuer_name_sha256);
  EXPECT_EQ(first_value(info->subject, "CN"), "fixed-device-01");
  EXPECT_EQ(first_value(info->subject, "OU"), "");
  EXPECT_TRUE(info->self_signed);
  EXPECT_TRUE(info->is_ca);
  EXPECT_EQ(info->path_length, -1);
  EXPECT_TRUE(info->key_usage.empty());
  EXPECT_EQ(info->signature_algorithm, "ecdsa-with-SHA256");
  EXPECT_EQ(info->subject_key_id, "792f6a0cc1531e28c627e88893a507e20261fced");
  EXPECT_EQ(info->authority_key_id, info->subject_key_id);
  // Not Before: Nov 25 03:08:15 2026 GMT; Not After: Nov 22 03:08:15 2036 GMT.
  using namespace std::chrono;
  EXPECT_EQ(info->not_before, sys_days{2026y / November / 25} + 3h + 8min + 15s);
  EXPECT_EQ(info->not_after, sys_days{2036y / November / 22} + 3h + 8min + 15s);
  EXPECT_EQ(info->der_size, der_from_pem(kFixedCertPem)->size());
}

TEST(Inspect, RootCaAndIssuedLeafLinkUp) {
  auto ca = inspect(shared_ca().cert_pem);
  ASSERT_TRUE(ca) << ca.error();
  EXPECT_TRUE(ca->is_ca);
  EXPECT_TRUE(ca->self_signed);
  EXPECT_THAT(ca->key_usage, ElementsAre("keyCertSign", "cRLSign"));
  EXPECT_THAT(ca->subject, ElementsAre(NameEntry{"O", "tenet"},
                                       NameEntry{"CN", "tenet registry test root"}));
  EXPECT_NEAR(static_cast<double>(epoch(ca->not_before)), now_epoch() - 3600.0, 120);

  CertOptions o;
  o.common_name = "broker.local";
  o.dns_names = {"localhost", "broker.local"};
  o.ip_addresses = {"127.0.0.1", "::1"};
  auto leaf = issue(shared_ca(), o, /*server=*/true);
  ASSERT_TRUE(leaf) << leaf.error();
  auto info = inspect(leaf->cert_pem);
  ASSERT_TRUE(info) << info.error();
  EXPECT_FALSE(info->self_signed);
  EXPECT_EQ(info->issuer, ca->subject);
  EXPECT_EQ(info->issuer_name_sha256, ca->subject_name_sha256);
  EXPECT_NE(info->subject_name_sha256, ca->subject_name_sha256);
  EXPECT_EQ(info->authority_key_id, ca->subject_key_id);
  EXPECT_THAT(info->san.dns, ElementsAre("localhost", "broker.local"));
  EXPECT_THAT(info->san.ip, ElementsAre("127.0.0.1", "::1"));
  EXPECT_TRUE(info->san.email.empty());
  EXPECT_THAT(info->extended_key_usage, ElementsAre("serverAuth"));
  EXPECT_THAT(info->key_usage, ElementsAre("digitalSignature"));
}

// An independent oracle: the openssl command line builds a certificate with multi-valued
// attributes and every SAN type; inspect must report them in order.
TEST(Inspect, OpensslCliCertificateWithMultiValuedNamesAndAllSanTypes) {
  if (!have_openssl_cli()) {
    GTEST_SKIP() << "openssl command line not available";
  }
  ScratchDir dir;
  ASSERT_FALSE(dir.path().empty());
  dir.write("req.cnf", R"([req]
distinguished_name = dn
x509_extensions = ext
[dn]
[ext]
basicConstraints = critical,CA:TRUE,pathlen:2
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
subjectAltName = @alt
[alt]
DNS.1 = a.example
DNS.2 = b.example
email.1 = ops@example.com
URI.1 = urn:tenet:thing:1
IP.1 = 10.0.0.1
IP.2 = 2001:db8::1
dirName.1 = dir_sect
otherName.1 = 1.2.3.4;UTF8:skipped
[dir_sect]
O = Dir Org
CN = dir-name
)");
  ASSERT_TRUE(dir.run(
      "openssl req -x509 -config req.cnf -newkey rsa:2048 -nodes -keyout key.pem -days 5 "
      "-set_serial 0x0a1b2c -subj '/C=US/O=Acme/OU=Sensors/OU=Outdoor/CN=dev-1+serialNumber=42' "
      "-out cert.pem && openssl x509 -in cert.pem -noout -serial > serial.txt"))
      << dir.read("cli.err");
  const std::string pem = dir.read("cert.pem");
  auto info = inspect(pem);
  ASSERT_TRUE(info) << info.error();
  // DER sorts the SET inside the multi-valued RDN "CN=dev-1+serialNumber=42", so serialNumber
  // (shorter encoding) comes first: inspect reports the encoding order.
  EXPECT_THAT(info->subject,
              ElementsAre(NameEntry{"C", "US"}, NameEntry{"O", "Acme"}, NameEntry{"OU", "Sensors"},
                          NameEntry{"OU", "Outdoor"}, NameEntry{"serialNumber", "42"},
                          NameEntry{"CN", "dev-1"}));
  EXPECT_EQ(first_value(info->subject, "OU"), "Sensors");
  EXPECT_EQ(dir.read("serial.txt"), "serial=0A1B2C\n");
  EXPECT_EQ(info->serial_hex, "a1b2c");
  EXPECT_EQ(info->serial_decimal, "662316");
  EXPECT_THAT(info->san.dns, ElementsAre("a.example", "b.example"));
  EXPECT_THAT(info->san.email, ElementsAre("ops@example.com"));
  EXPECT_THAT(info->san.uri, ElementsAre("urn:tenet:thing:1"));
  EXPECT_THAT(info->san.ip, ElementsAre("10.0.0.1", "2001:db8::1"));
  EXPECT_THAT(info->san.directory_name, ElementsAre("CN=dir-name,O=Dir Org"));
  EXPECT_TRUE(info->is_ca);
  EXPECT_EQ(info->path_length, 2);
  EXPECT_TRUE(info->self_signed);
  EXPECT_EQ(info->key_algorithm, "RSA");
  EXPECT_EQ(info->key_bits, 2048);
  EXPECT_EQ(info->curve, "");
  EXPECT_EQ(info->signature_algorithm, "sha256WithRSAEncryption");
  detail::X509Ptr x = load_cert(pem);
  ASSERT_TRUE(x);
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(x.get());
  ASSERT_NE(ski, nullptr);
  EXPECT_EQ(info->subject_key_id, detail::hex(ASN1_STRING_get0_data(ski),
                                              static_cast<std::size_t>(ASN1_STRING_length(ski))));
  EXPECT_EQ(info->certificate_id, *certificate_id(pem));
}

TEST(Inspect, UsesTheFirstCertificateOfABundle) {
  const std::string bundle = std::string(kFixedCertPem) + shared_ca().cert_pem;
  auto info = inspect(bundle);
  ASSERT_TRUE(info) << info.error();
  EXPECT_EQ(first_value(info->subject, "CN"), "fixed-device-01");
}

TEST(Inspect, RejectsNonCertificates) {
  std::string corrupted(kFixedCertPem);
  corrupted[100] = corrupted[100] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {std::string(), std::string("garbage"), shared_ca().key_pem,
                                 corrupted, std::string(kFixedCertPem.substr(0, 200))}) {
    auto r = inspect(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument);
    EXPECT_EQ(ERR_peek_error(), 0u) << "OpenSSL error queue left dirty";
  }
}

TEST(Inspect, RejectsNulInNameValues) {
  detail::EvpPkeyPtr key = testing::ec_key("P-256");
  ASSERT_TRUE(key);
  detail::X509Ptr x(X509_new());
  X509_NAME* name = X509_get_subject_name(x.get());
  const unsigned char value[] = {'a', 0, 'b'};
  ASSERT_EQ(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, value, 3, -1, 0), 1);
  X509_set_issuer_name(x.get(), name);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 60);
  X509_set_pubkey(x.get(), key.get());
  ASSERT_GT(X509_sign(x.get(), key.get(), EVP_sha256()), 0);
  auto r = inspect(testing::cert_pem(x.get()));
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().detail, HasSubstr("NUL"));
}

// ---- key_quality_ok ----

TEST(KeyQuality, FollowsDeviceDefenderRule) {
  struct Case {
    detail::EvpPkeyPtr key;
    bool ok;
    const char* curve;
  };
  Case cases[] = {{testing::rsa_key(1024), false, ""},     {testing::rsa_key(2048), true, ""},
                  {testing::ec_key("P-256"), true, "P-256"}, {testing::ec_key("P-521"), true, "P-521"},
                  {testing::ec_key("secp256k1"), false, "secp256k1"},
                  {testing::ed25519_key(), false, ""}};
  for (Case& c : cases) {
    ASSERT_TRUE(c.key);
    auto info = inspect(testing::self_signed(c.key.get(), "k"));
    ASSERT_TRUE(info) << info.error();
    SCOPED_TRACE(info->key_algorithm + " " + std::to_string(info->key_bits));
    EXPECT_EQ(key_quality_ok(*info), c.ok);
    EXPECT_EQ(info->curve, c.curve);
  }
}

// ---- verify_issued_by ----

TEST(VerifyIssuedBy, AcceptsDirectlyIssuedCertificate) {
  auto leaf = create_keys_and_certificate(shared_ca());
  ASSERT_TRUE(leaf);
  auto r = verify_issued_by(leaf->cert_pem, shared_ca().cert_pem);
  EXPECT_TRUE(r) << r.error();
  // A self-signed CA is its own issuer.
  EXPECT_TRUE(verify_issued_by(shared_ca().cert_pem, shared_ca().cert_pem));
}

TEST(VerifyIssuedBy, NamesTheFailedCheck) {
  auto leaf = create_keys_and_certificate(shared_ca());
  auto other_name = create_root_ca("some other root", 30);
  auto same_name = create_root_ca("tenet registry test root", 30);  // same subject, other key
  ASSERT_TRUE(leaf && other_name && same_name);

  auto r = verify_issued_by(leaf->cert_pem, other_name->cert_pem);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument);
  EXPECT_THAT(r.error().detail, HasSubstr("does not match CA subject"));

  r = verify_issued_by(leaf->cert_pem, same_name->cert_pem);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().detail, HasSubstr("authorityKeyIdentifier"));

  r = verify_issued_by(leaf->cert_pem, leaf->cert_pem);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().detail, HasSubstr("not a CA"));

  r = verify_issued_by("junk", shared_ca().cert_pem);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().detail, StartsWith("certificate: "));
  r = verify_issued_by(leaf->cert_pem, "junk");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().detail, StartsWith("CA certificate: "));
}

TEST(VerifyIssuedBy, SignatureFromAnotherKeyUnderTheSameNameFails) {
  // No AKI, right issuer name, signed by a key that is not the CA's.
  detail::X509Ptr ca = load_cert(shared_ca().cert_pem);
  detail::EvpPkeyPtr wrong = testing::ec_key("P-256");
  ASSERT_TRUE(ca && wrong);
  detail::X509Ptr x(X509_new());
  X509_set_version(x.get(), X509_VERSION_3);
  testing::add_name_entry(X509_get_subject_name(x.get()), "CN", "forged");
  X509_set_issuer_name(x.get(), X509_get_subject_name(ca.get()));
  X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 60);
  X509_set_pubkey(x.get(), wrong.get());
  ASSERT_GT(X509_sign(x.get(), wrong.get(), EVP_sha256()), 0);
  auto r = verify_issued_by(testing::cert_pem(x.get()), shared_ca().cert_pem);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().detail, HasSubstr("signature does not verify"));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(VerifyIssuedBy, TamperedCertificateFails) {
  auto leaf = create_keys_and_certificate(shared_ca());
  ASSERT_TRUE(leaf);
  std::string der = *der_from_pem(leaf->cert_pem);
  // Flip a bit inside the subject public key (well inside the TBS, after the names).
  der[der.size() / 2] = static_cast<char>(der[der.size() / 2] ^ 0x01);
  auto pem = certificate_pem_from_der(der);
  if (!pem) {
    GTEST_SKIP() << "the flip broke the DER structure: " << pem.error();
  }
  EXPECT_FALSE(verify_issued_by(*pem, shared_ca().cert_pem));
}

// ---- PEM/DER helpers ----

TEST(PemDer, RoundTripKeepsBytesAndId) {
  auto der = der_from_pem(kFixedCertPem);
  ASSERT_TRUE(der) << der.error();
  auto pem = certificate_pem_from_der(*der);
  ASSERT_TRUE(pem) << pem.error();
  EXPECT_EQ(*pem, kFixedCertPem);
  EXPECT_EQ(*certificate_id(*pem), *certificate_id(kFixedCertPem));
  EXPECT_FALSE(certificate_pem_from_der(*der + "x"));
  EXPECT_FALSE(certificate_pem_from_der("garbage"));
  EXPECT_FALSE(der_from_pem("garbage"));
}

TEST(PemDer, PublicKeyPemMatchesTheKey) {
  auto made = create_keys_and_certificate(shared_ca(), KeyType::kEcP384);
  ASSERT_TRUE(made);
  auto pub = public_key_pem(made->cert_pem);
  ASSERT_TRUE(pub) << pub.error();
  EXPECT_EQ(*pub, made->public_key_pem);
  EXPECT_FALSE(public_key_pem("junk"));
}

}  // namespace
}  // namespace tenet::pki
