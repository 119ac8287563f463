#include "pki/ca_registration.h"

#include <algorithm>
#include <chrono>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pki/pki.h"
#include "pki/testing_util.h"

namespace tenet::pki {
namespace {

using ::testing::HasSubstr;

// A customer CA (the module's own root generator stands in for the customer's tooling).
const CertAndKey& customer_ca() {
  static const CertAndKey ca = [] {
    auto r = create_root_ca("customer ca", 30);
    EXPECT_TRUE(r) << r.error();
    return r ? *r : CertAndKey{};
  }();
  return ca;
}

std::string verification_cert(const CertAndKey& ca, const std::string& cn) {
  CertOptions o;
  o.common_name = cn;
  o.valid_days = 1;
  auto r = issue(ca, o, /*server=*/false);
  EXPECT_TRUE(r) << r.error();
  return r ? r->cert_pem : std::string();
}

TEST(RegistrationCode, Is64LowercaseHexAndFresh) {
  auto a = make_registration_code();
  auto b = make_registration_code();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), 64u);
  EXPECT_TRUE(std::all_of(a->begin(), a->end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }));
  EXPECT_NE(*a, *b);
}

TEST(VerifyCaRegistration, AcceptsVerificationCertSignedByTheCa) {
  const std::string code = *make_registration_code();
  auto r = verify_ca_registration(customer_ca().cert_pem,
                                  verification_cert(customer_ca(), code), code);
  EXPECT_TRUE(r) << r.error();
}

// The flow from the AWS documentation, with the openssl command line.
TEST(VerifyCaRegistration, AcceptsOpensslCliVerificationCert) {
  if (!testing::have_openssl_cli()) {
    GTEST_SKIP() << "openssl command line not available";
  }
  testing::ScratchDir dir;
  dir.write("ca.pem", customer_ca().cert_pem);
  dir.write("ca.key", customer_ca().key_pem);
  const std::string code = *make_registration_code();
  ASSERT_TRUE(dir.run("openssl genrsa -out verification.key 2048 && "
                      "openssl req -new -key verification.key -subj '/CN=" + code +
                      "' -out verification.csr && "
                      "openssl x509 -req -in verification.csr -CA ca.pem -CAkey ca.key "
                      "-CAcreateserial -days 1 -sha256 -out verification.pem"))
      << dir.read("cli.err");
  auto r = verify_ca_registration(customer_ca().cert_pem, dir.read("verification.pem"), code);
  EXPECT_TRUE(r) << r.error();
}

TEST(VerifyCaRegistration, WrongCommonNameFails) {
  const std::string code = *make_registration_code();
  auto r = verify_ca_registration(customer_ca().cert_pem,
                                  verification_cert(customer_ca(), "not-the-code"), code);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::kInvalidArgument);
  EXPECT_THAT(r.error().detail, HasSubstr("is not the registration code"));
  // Case matters: the code is compared exactly.
  std::string upper = code;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  EXPECT_FALSE(verify_ca_registration(customer_ca().cert_pem,
                                      verification_cert(customer_ca(), upper), code));
}

TEST(VerifyCaRegistration, WrongSignerFails) {
  const std::string code = *make_registration_code();
  // Another CA with the same subject: the name matches, the key does not.
  auto impostor = create_root_ca("customer ca", 30);
  ASSERT_TRUE(impostor);
  auto r = verify_ca_registration(customer_ca().cert_pem, verification_cert(*impostor, code), code);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().detail, HasSubstr("verification certificate: "));
  auto other = create_root_ca("other ca", 30);
  ASSERT_TRUE(other);
  r = verify_ca_registration(customer_ca().cert_pem, verification_cert(*other, code), code);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().detail, HasSubstr("does not match CA subject"));
}

TEST(VerifyCaRegistration, CaMustBeACurrentlyValidCa) {
  const std::string code = *make_registration_code();
  const std::string proof = verification_cert(customer_ca(), code);
  using std::chrono::hours;
  const auto now = std::chrono::system_clock::now();
  auto r = verify_ca_registration(customer_ca().cert_pem, proof, code, now + hours(24 * 31));
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().detail, HasSubstr("expired"));
  r = verify_ca_registration(customer_ca().cert_pem, proof, code, now - hours(2));
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().detail, HasSubstr("not yet valid"));

  // A leaf certificate offered as the CA.
  auto leaf = create_keys_and_certificate(customer_ca());
  ASSERT_TRUE(leaf);
  r = verify_ca_registration(leaf->cert_pem, proof, code);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().detail, HasSubstr("not a CA"));
}

TEST(VerifyCaRegistration, BadInputsAreInvalidArgument) {
  const std::string code = *make_registration_code();
  const std::string proof = verification_cert(customer_ca(), code);
  EXPECT_EQ(verify_ca_registration("junk", proof, code).error().code,
            core::Errc::kInvalidArgument);
  EXPECT_EQ(verify_ca_registration(customer_ca().cert_pem, "junk", code).error().code,
            core::Errc::kInvalidArgument);
  EXPECT_EQ(verify_ca_registration(customer_ca().cert_pem, proof, "").error().code,
            core::Errc::kInvalidArgument);
}

}  // namespace
}  // namespace tenet::pki
