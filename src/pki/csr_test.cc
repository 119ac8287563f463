#include "pki/csr.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pki/inspect.h"
#include "pki/testing_util.h"

namespace tenet::pki {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::make_csr;
using testing::shared_ca;

// Signs `csr`, checks the certificate chains to the shared CA and carries `key`'s public key.
CertInfo sign_and_check(const std::string& csr, EVP_PKEY* key) {
  auto cert = sign_csr(shared_ca(), csr, 30);
  EXPECT_TRUE(cert) << cert.error();
  if (!cert) {
    return {};
  }
  EXPECT_TRUE(verify_issued_by(*cert, shared_ca().cert_pem));
  EXPECT_EQ(*public_key_pem(*cert), testing::pubkey_pem(key));
  auto info = inspect(*cert);
  EXPECT_TRUE(info) << info.error();
  return info ? *info : CertInfo{};
}

TEST(SignCsr, AcceptsRsa2048AndNistCurves) {
  struct Case {
    detail::EvpPkeyPtr key;
    const char* algorithm;
    int bits;
  };
  Case cases[] = {{testing::rsa_key(2048), "RSA", 2048},
                  {testing::ec_key("P-256"), "EC", 256},
                  {testing::ec_key("P-384"), "EC", 384},
                  {testing::ec_key("P-521"), "EC", 521}};
  for (Case& c : cases) {
    ASSERT_TRUE(c.key);
    SCOPED_TRACE(c.algorithm + std::to_string(c.bits));
    const std::string csr = make_csr(c.key.get(), {{"O", "Acme"}, {"CN", "sensor-7"}});
    CertInfo info = sign_and_check(csr, c.key.get());
    EXPECT_THAT(info.subject, ElementsAre(NameEntry{"O", "Acme"}, NameEntry{"CN", "sensor-7"}));
    EXPECT_EQ(info.key_algorithm, c.algorithm);
    EXPECT_EQ(info.key_bits, c.bits);
    EXPECT_THAT(info.extended_key_usage, ElementsAre("clientAuth"));
    EXPECT_FALSE(info.is_ca);
    if (c.bits == 2048) {
      EXPECT_THAT(info.key_usage, ElementsAre("digitalSignature", "keyEncipherment"));
    } else {
      EXPECT_THAT(info.key_usage, ElementsAre("digitalSignature"));
    }
  }
}

TEST(SignCsr, EmptySubjectBecomesAwsIotCertificate) {
  detail::EvpPkeyPtr key = testing::ec_key("P-256");
  CertInfo info = sign_and_check(make_csr(key.get(), {}), key.get());
  EXPECT_THAT(info.subject, ElementsAre(NameEntry{"CN", "AWS IoT Certificate"}));
}

TEST(SignCsr, SameCsrTwiceGivesDistinctCertificates) {
  detail::EvpPkeyPtr key = testing::ec_key("P-256");
  const std::string csr = make_csr(key.get(), {{"CN", "x"}});
  auto a = sign_csr(shared_ca(), csr);
  auto b = sign_csr(shared_ca(), csr);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*certificate_id(*a), *certificate_id(*b));
}

// The openssl command line asks for CA:TRUE and a SAN; tenet ignores requested extensions.
TEST(SignCsr, IgnoresRequestedExtensionsFromOpensslCli) {
  if (!testing::have_openssl_cli()) {
    GTEST_SKIP() << "openssl command line not available";
  }
  testing::ScratchDir dir;
  ASSERT_TRUE(dir.run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                      "-keyout key.pem -subj '/O=Acme/CN=cli-device' "
                      "-addext 'basicConstraints=critical,CA:TRUE' "
                      "-addext 'subjectAltName=DNS:evil.example' -out req.pem"))
      << dir.read("cli.err");
  auto cert = sign_csr(shared_ca(), dir.read("req.pem"));
  ASSERT_TRUE(cert) << cert.error();
  auto info = inspect(*cert);
  ASSERT_TRUE(info);
  EXPECT_FALSE(info->is_ca);
  EXPECT_TRUE(info->san.dns.empty());
  EXPECT_EQ(first_value(info->subject, "CN"), "cli-device");
  detail::X509Ptr x = testing::load_cert(*cert);
  detail::EvpPkeyPtr key = testing::load_key(dir.read("key.pem"));
  ASSERT_TRUE(x && key);
  EXPECT_EQ(X509_check_private_key(x.get(), key.get()), 1);
}

TEST(SignCsr, AcceptsLegacyNewCertificateRequestLabel) {
  detail::EvpPkeyPtr key = testing::ec_key("P-256");
  std::string csr = make_csr(key.get(), {{"CN", "legacy"}});
  for (const char* marker : {"-----BEGIN ", "-----END "}) {
    const auto at = csr.find(marker);
    ASSERT_NE(at, std::string::npos);
    csr.insert(at + std::string_view(marker).size(), "NEW ");
  }
  ASSERT_THAT(csr, HasSubstr("BEGIN NEW CERTIFICATE REQUEST"));
  EXPECT_TRUE(sign_csr(shared_ca(), csr));
}

TEST(SignCsr, RejectsWeakRsaWithClearMessage) {
  detail::EvpPkeyPtr key = testing::rsa_key(1024);
  auto r = sign_csr(shared_ca(), make_csr(key.get(), {{"CN", "weak"}}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument);
  EXPECT_EQ(r.error().detail, "CSR key is RSA 1024 bits; RSA keys must be at least 2048 bits");
}

TEST(SignCsr, RejectsOversizedRsa) {
  detail::EvpPkeyPtr key = testing::rsa_key(4160);
  auto r = sign_csr(shared_ca(), make_csr(key.get(), {{"CN", "big"}}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().detail, "CSR key is RSA 4160 bits; RSA keys must be at most 4096 bits");
}

TEST(SignCsr, RejectsNonNistCurveAndOtherKeyTypes) {
  detail::EvpPkeyPtr k1 = testing::ec_key("secp256k1");
  auto r = sign_csr(shared_ca(), make_csr(k1.get(), {{"CN", "k1"}}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().detail,
            "CSR key curve secp256k1 is not allowed; use P-256, P-384 or P-521");

  detail::EvpPkeyPtr ed = testing::ed25519_key();
  r = sign_csr(shared_ca(), make_csr(ed.get(), {{"CN", "ed"}}));
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().detail, HasSubstr("CSR key type ED25519 is not allowed"));
}

TEST(SignCsr, RejectsBadSignature) {
  detail::EvpPkeyPtr key = testing::ec_key("P-256");
  detail::EvpPkeyPtr other = testing::ec_key("P-256");
  // The request names `key` but is signed by `other`.
  using ReqPtr = std::unique_ptr<X509_REQ, detail::OsslDeleter<&X509_REQ_free>>;
  ReqPtr req(X509_REQ_new());
  testing::add_name_entry(X509_REQ_get_subject_name(req.get()), "CN", "forged");
  X509_REQ_set_pubkey(req.get(), key.get());
  ASSERT_GT(X509_REQ_sign(req.get(), other.get(), EVP_sha256()), 0);
  X509_REQ_set_pubkey(req.get(), key.get());
  detail::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), req.get());
  auto r = sign_csr(shared_ca(), detail::bio_contents(bio.get()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument);
  EXPECT_THAT(r.error().detail, HasSubstr("CSR signature does not verify"));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(SignCsr, RejectsGarbageTooLongAndBadArguments) {
  detail::EvpPkeyPtr key = testing::ec_key("P-256");
  const std::string good = make_csr(key.get(), {{"CN", "ok"}});
  std::string corrupted = good;
  corrupted[60] = corrupted[60] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {std::string(), std::string("garbage"), corrupted,
                                 shared_ca().cert_pem, good.substr(0, good.size() / 2)}) {
    auto r = sign_csr(shared_ca(), bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument);
  }
  // A valid request padded past the AWS limit.
  std::string padded = good + std::string(kMaxCsrPemBytes - good.size() + 1, '\n');
  auto r = sign_csr(shared_ca(), padded);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().detail, HasSubstr("the limit is 4096"));
  EXPECT_TRUE(sign_csr(shared_ca(), padded.substr(0, kMaxCsrPemBytes)));

  EXPECT_EQ(sign_csr(shared_ca(), good, 0).error().code, core::Errc::kInvalidArgument);
  EXPECT_EQ(sign_csr({shared_ca().cert_pem, "junk"}, good).error().code,
            core::Errc::kInvalidArgument);
}

}  // namespace
}  // namespace tenet::pki
