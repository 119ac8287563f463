#include "pki/crl.h"

#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pki/inspect.h"
#include "pki/testing_util.h"

namespace tenet::pki {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::shared_ca;

using X509CrlPtr = std::unique_ptr<X509_CRL, detail::OsslDeleter<&X509_CRL_free>>;

struct CrlSpec {
  std::vector<const char*> serials_hex;  // as BN_hex2bn takes them
  bool next_update = true;
  bool aki = true;
  bool delta = false;
  long crl_number = 7;
};

// A v2 CRL issued under `ca`'s name, signed with `signer` (the CA key unless given).
X509CrlPtr build_crl(const CertAndKey& ca, const CrlSpec& spec, EVP_PKEY* signer = nullptr) {
  detail::X509Ptr ca_cert = testing::load_cert(ca.cert_pem);
  detail::EvpPkeyPtr ca_key = testing::load_key(ca.key_pem);
  X509CrlPtr crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca_cert.get()));
  const std::time_t now = std::time(nullptr);
  using TimePtr = std::unique_ptr<ASN1_TIME, detail::OsslDeleter<&ASN1_TIME_free>>;
  TimePtr this_update(ASN1_TIME_set(nullptr, now));
  TimePtr next_update(ASN1_TIME_set(nullptr, now + 7 * 86400));
  X509_CRL_set1_lastUpdate(crl.get(), this_update.get());
  if (spec.next_update) {
    X509_CRL_set1_nextUpdate(crl.get(), next_update.get());
  }
  for (const char* hex : spec.serials_hex) {
    BIGNUM* bn = nullptr;
    BN_hex2bn(&bn, hex);
    detail::BignumPtr owned(bn);
    detail::Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn, nullptr));
    X509_REVOKED* r = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(r, serial.get());
    X509_REVOKED_set_revocationDate(r, this_update.get());
    X509_CRL_add0_revoked(crl.get(), r);
  }
  if (spec.aki) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, ca_cert.get(), nullptr, nullptr, crl.get(), 0);
    detail::X509ExtensionPtr ext(
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
    EXPECT_TRUE(ext);
    X509_CRL_add_ext(crl.get(), ext.get(), -1);
  }
  detail::Asn1IntegerPtr number(ASN1_INTEGER_new());
  ASN1_INTEGER_set(number.get(), spec.crl_number);
  X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0);
  if (spec.delta) {
    X509_CRL_add1_ext_i2d(crl.get(), NID_delta_crl, number.get(), 1, 0);
  }
  X509_CRL_sort(crl.get());
  EXPECT_GT(X509_CRL_sign(crl.get(), signer != nullptr ? signer : ca_key.get(), EVP_sha256()), 0);
  return crl;
}

std::string crl_pem(X509_CRL* crl) {
  detail::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_CRL(bio.get(), crl);
  return detail::bio_contents(bio.get());
}

std::string crl_der(X509_CRL* crl) {
  unsigned char* der = nullptr;
  const int len = i2d_X509_CRL(crl, &der);
  detail::OsslBytesPtr owned(der);
  return std::string(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
}

TEST(ParseCrl, ReadsFieldsAndRevokedSerials) {
  X509CrlPtr built = build_crl(shared_ca(), {.serials_hex = {"0A1B", "FF", "0123456789ABCDEF01"}});
  auto crl = parse_crl(crl_pem(built.get()));
  ASSERT_TRUE(crl) << crl.error();
  EXPECT_THAT(crl->revoked_serials, ElementsAre("123456789abcdef01", "a1b", "ff"));
  EXPECT_TRUE(crl->is_revoked("a1b"));
  EXPECT_TRUE(crl->is_revoked("0A1B"));
  EXPECT_TRUE(crl->is_revoked("00:ff"));
  EXPECT_TRUE(crl->is_revoked("0123456789abcdef01"));
  EXPECT_FALSE(crl->is_revoked("fe"));
  EXPECT_FALSE(crl->is_revoked(""));
  EXPECT_FALSE(crl->is_revoked("not hex"));
  EXPECT_EQ(crl->crl_number, "7");

  auto ca = inspect(shared_ca().cert_pem);
  ASSERT_TRUE(ca);
  EXPECT_EQ(crl->issuer, ca->subject);
  EXPECT_EQ(crl->issuer_text, ca->subject_text);
  EXPECT_EQ(crl->issuer_name_sha256, ca->subject_name_sha256);
  EXPECT_EQ(crl->authority_key_id, ca->subject_key_id);
  ASSERT_TRUE(crl->next_update.has_value());
  EXPECT_EQ(*crl->next_update - crl->this_update, std::chrono::hours(7 * 24));
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  EXPECT_LE(std::chrono::abs(crl->this_update - now), std::chrono::minutes(2));
}

TEST(ParseCrl, PemAndDerGiveTheSameResult) {
  X509CrlPtr built = build_crl(shared_ca(), {.serials_hex = {"01"}, .next_update = false});
  auto from_pem = parse_crl(crl_pem(built.get()));
  auto from_der = parse_crl(crl_der(built.get()));
  ASSERT_TRUE(from_pem && from_der);
  EXPECT_EQ(from_pem->der, from_der->der);
  EXPECT_EQ(from_pem->revoked_serials, from_der->revoked_serials);
  EXPECT_FALSE(from_der->next_update.has_value());
  EXPECT_TRUE(verify_crl_issued_by(*from_der, shared_ca().cert_pem));
}

TEST(ParseCrl, EmptyCrlHasNoRevokedSerials) {
  X509CrlPtr built = build_crl(shared_ca(), {});
  auto crl = parse_crl(crl_pem(built.get()));
  ASSERT_TRUE(crl) << crl.error();
  EXPECT_TRUE(crl->revoked_serials.empty());
  EXPECT_FALSE(crl->is_revoked("1"));
}

// An independent oracle: `openssl ca` revokes a certificate tenet issued and publishes a CRL.
TEST(ParseCrl, OpensslCaGencrlRevokesIssuedCertificate) {
  if (!testing::have_openssl_cli()) {
    GTEST_SKIP() << "openssl command line not available";
  }
  auto leaf = create_keys_and_certificate(shared_ca());
  auto kept = create_keys_and_certificate(shared_ca());
  ASSERT_TRUE(leaf && kept);
  testing::ScratchDir dir;
  dir.write("ca.pem", shared_ca().cert_pem);
  dir.write("ca.key", shared_ca().key_pem);
  dir.write("leaf.pem", leaf->cert_pem);
  dir.write("index.txt", "");
  dir.write("crlnumber", "1000\n");
  dir.write("ca.cnf", R"([ca]
default_ca = CA_default
[CA_default]
database = index.txt
crlnumber = crlnumber
certificate = ca.pem
private_key = ca.key
default_md = sha256
default_crl_days = 7
crl_extensions = crl_ext
[crl_ext]
authorityKeyIdentifier = keyid:always
)");
  ASSERT_TRUE(dir.run("openssl ca -config ca.cnf -revoke leaf.pem && "
                      "openssl ca -config ca.cnf -gencrl -out crl.pem"))
      << dir.read("cli.err");
  auto crl = parse_crl(dir.read("crl.pem"));
  ASSERT_TRUE(crl) << crl.error();
  EXPECT_TRUE(crl->is_revoked(inspect(leaf->cert_pem)->serial_hex));
  EXPECT_FALSE(crl->is_revoked(inspect(kept->cert_pem)->serial_hex));
  EXPECT_EQ(crl->revoked_serials.size(), 1u);
  EXPECT_EQ(crl->crl_number, "4096");  // crlnumber file is hex
  auto v = verify_crl_issued_by(*crl, shared_ca().cert_pem);
  EXPECT_TRUE(v) << v.error();
}

TEST(VerifyCrlIssuedBy, NamesTheFailedCheck) {
  auto other = create_root_ca("some other root", 30);
  auto same_name = create_root_ca("tenet registry test root", 30);
  ASSERT_TRUE(other && same_name);
  auto crl = parse_crl(crl_pem(build_crl(shared_ca(), {.serials_hex = {"02"}}).get()));
  ASSERT_TRUE(crl);
  EXPECT_TRUE(verify_crl_issued_by(*crl, shared_ca().cert_pem));

  auto r = verify_crl_issued_by(*crl, other->cert_pem);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument);
  EXPECT_THAT(r.error().detail, HasSubstr("does not match CA subject"));

  r = verify_crl_issued_by(*crl, same_name->cert_pem);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().detail, HasSubstr("authorityKeyIdentifier"));

  auto leaf = create_keys_and_certificate(shared_ca());
  ASSERT_TRUE(leaf);
  r = verify_crl_issued_by(*crl, leaf->cert_pem);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().detail, HasSubstr("not a CA"));

  r = verify_crl_issued_by(*crl, "junk");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument);
}

TEST(VerifyCrlIssuedBy, ForgedSignatureFails) {
  detail::EvpPkeyPtr wrong = testing::ec_key("P-256");
  X509CrlPtr forged = build_crl(shared_ca(), {.serials_hex = {"03"}, .aki = false}, wrong.get());
  auto crl = parse_crl(crl_pem(forged.get()));
  ASSERT_TRUE(crl) << crl.error();
  auto r = verify_crl_issued_by(*crl, shared_ca().cert_pem);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().detail, HasSubstr("CRL signature does not verify"));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(ParseCrl, RejectsGarbageAndUnsupportedKinds) {
  const std::string good = crl_pem(build_crl(shared_ca(), {.serials_hex = {"04"}}).get());
  std::string corrupted = good;
  corrupted[40] = corrupted[40] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {std::string(), std::string("garbage"), std::string("\x30\x03", 2),
                                 shared_ca().cert_pem, corrupted, good.substr(0, good.size() / 2),
                                 crl_der(build_crl(shared_ca(), {}).get()) + "x"}) {
    auto r = parse_crl(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument);
    EXPECT_EQ(ERR_peek_error(), 0u);
  }
  auto delta = parse_crl(crl_pem(build_crl(shared_ca(), {.delta = true}).get()));
  ASSERT_FALSE(delta);
  EXPECT_THAT(delta.error().detail, HasSubstr("delta CRLs are not supported"));
}

}  // namespace
}  // namespace tenet::pki
