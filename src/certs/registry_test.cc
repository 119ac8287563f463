#include "certs/certs.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <thread>

#include "control/testing/temp_db.h"
#include "core/testing/fake_clock.h"
#include "store/sqlite.h"

namespace tenet::certs {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

const pki::CertAndKey& builtin() {
  static const pki::CertAndKey ca = *pki::create_root_ca("tenet test CA", 3650);
  return ca;
}
const pki::CertAndKey& customer_ca() {
  static const pki::CertAndKey ca = *pki::create_root_ca("customer CA", 3650);
  return ca;
}

std::string leaf(const pki::CertAndKey& ca, const std::string& cn) {
  pki::CertOptions o;
  o.common_name = cn;
  auto r = pki::issue(ca, o, false);
  EXPECT_TRUE(r) << r.error();
  return r->cert_pem;
}

std::string der(std::string_view pem) { return *pki::der_from_pem(pem); }

// A CRL signed by `ca` listing `serials_hex`, built with OpenSSL directly.
std::string make_crl(const pki::CertAndKey& ca, const std::vector<std::string>& serials_hex) {
  BIO* cb = BIO_new_mem_buf(ca.cert_pem.data(), static_cast<int>(ca.cert_pem.size()));
  X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  BIO_free(cb);
  BIO* kb = BIO_new_mem_buf(ca.key_pem.data(), static_cast<int>(ca.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  BIO_free(kb);
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(cert));
  ASN1_TIME* t = ASN1_TIME_set(nullptr, std::time(nullptr));
  X509_CRL_set1_lastUpdate(crl, t);
  ASN1_TIME* n = ASN1_TIME_set(nullptr, std::time(nullptr) + 86400);
  X509_CRL_set1_nextUpdate(crl, n);
  for (const auto& s : serials_hex) {
    X509_REVOKED* r = X509_REVOKED_new();
    BIGNUM* bn = nullptr;
    BN_hex2bn(&bn, s.c_str());
    ASN1_INTEGER* ai = BN_to_ASN1_INTEGER(bn, nullptr);
    X509_REVOKED_set_serialNumber(r, ai);
    X509_REVOKED_set_revocationDate(r, t);
    X509_CRL_add0_revoked(crl, r);
    ASN1_INTEGER_free(ai);
    BN_free(bn);
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert, nullptr, nullptr, crl, 0);
  if (X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always")) {
    X509_CRL_add_ext(crl, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_CRL_sort(crl);
  EXPECT_GT(X509_CRL_sign(crl, key, EVP_sha256()), 0);
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_CRL(out, crl);
  char* data = nullptr;
  long len = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<std::size_t>(len));
  BIO_free(out);
  ASN1_TIME_free(t);
  ASN1_TIME_free(n);
  X509_CRL_free(crl);
  EVP_PKEY_free(key);
  X509_free(cert);
  return pem;
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }
  void reopen() {
    reg_.reset();
    auto r = Registry::open(db_.path(), builtin(), control::Partition{"eu-west-1", "123456789012"}, clock_);
    ASSERT_TRUE(r) << r.error();
    reg_ = std::move(*r);
  }
  // Registers customer_ca() with proof of possession.
  CaCertificatePtr register_customer_ca(bool active, bool auto_registration) {
    auto code = reg_->registration_code();
    EXPECT_TRUE(code);
    Registry::CaRegistration req;
    req.ca_pem = customer_ca().cert_pem;
    req.verification_pem = leaf(customer_ca(), *code);
    req.set_active = active;
    req.allow_auto_registration = auto_registration;
    auto r = reg_->register_ca(req);
    EXPECT_TRUE(r) << r.error();
    return r ? *r : nullptr;
  }
  Admission admit_now(std::string_view pem) { return reg_->admit(der(pem), Clock::now()); }

  control::testing::TempDb db_;
  core::testing::FakeClock clock_{Clock::now()};
  std::unique_ptr<Registry> reg_;
};

TEST_F(RegistryTest, BuiltinCaIsRegisteredActiveAndIssuesCertificates) {
  auto ca = reg_->find_ca(reg_->builtin_ca_id());
  ASSERT_TRUE(ca);
  EXPECT_TRUE(ca->active);
  EXPECT_TRUE(ca->builtin);
  EXPECT_EQ(ca->id, *pki::certificate_id(builtin().cert_pem));
  EXPECT_EQ(ca->arn, "arn:aws:iot:eu-west-1:123456789012:cacert/" + ca->id);
  auto made = reg_->create_keys_and_certificate(pki::KeyType::kEcP256, true);
  ASSERT_TRUE(made) << made.error();
  const auto& c = *made->certificate;
  EXPECT_EQ(c.id, *pki::certificate_id(c.pem));
  EXPECT_EQ(c.ca_certificate_id, ca->id);
  EXPECT_EQ(c.status, Status::kActive);
  EXPECT_EQ(c.arn, "arn:aws:iot:eu-west-1:123456789012:cert/" + c.id);
  EXPECT_NE(made->keys.key_pem.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(reg_->trusted_ca_pems().size(), 1u);
}

TEST_F(RegistryTest, AdmitsAnActiveRegisteredCertificate) {
  auto made = reg_->create_keys_and_certificate(pki::KeyType::kEcP256, true);
  ASSERT_TRUE(made);
  auto a = admit_now(made->certificate->pem);
  EXPECT_EQ(a.refusal, Refusal::kNone) << a.reason;
  ASSERT_TRUE(a.certificate);
  EXPECT_EQ(a.certificate->id, made->certificate->id);
  // PEM input works too.
  EXPECT_TRUE(reg_->admit(made->certificate->pem, Clock::now()).admitted());
}

TEST_F(RegistryTest, RefusesUnregisteredCertificates) {
  auto a = admit_now(leaf(builtin(), "stranger"));
  EXPECT_EQ(a.refusal, Refusal::kUnknown);
  EXPECT_FALSE(a.certificate);
  EXPECT_NE(a.reason.find("not registered"), std::string::npos);
  EXPECT_EQ(reg_->admit("not a certificate", Clock::now()).refusal, Refusal::kMalformed);
}

TEST_F(RegistryTest, RefusesInactiveAndRevoked) {
  auto made = reg_->create_keys_and_certificate(pki::KeyType::kEcP256, false);
  ASSERT_TRUE(made);
  const auto& pem = made->certificate->pem;
  auto a = admit_now(pem);
  EXPECT_EQ(a.refusal, Refusal::kInactive);
  EXPECT_NE(a.reason.find("INACTIVE"), std::string::npos) << a.reason;
  ASSERT_TRUE(reg_->set_status(made->certificate->id, Status::kRevoked));
  EXPECT_EQ(admit_now(pem).refusal, Refusal::kRevoked);
}

TEST_F(RegistryTest, RefusesOutsideTheValidityWindow) {
  auto made = reg_->create_keys_and_certificate(pki::KeyType::kEcP256, true);
  ASSERT_TRUE(made);
  const auto& c = *made->certificate;
  const std::string d = der(c.pem);
  EXPECT_EQ(reg_->admit(d, c.not_after + 1s).refusal, Refusal::kExpired);
  EXPECT_EQ(reg_->admit(d, c.not_before - 1s).refusal, Refusal::kNotYetValid);
  EXPECT_EQ(reg_->admit(d, c.not_after).refusal, Refusal::kNone);  // valid through notAfter inclusive
}

TEST_F(RegistryTest, RefusesCertificatesOfAnInactiveCa) {
  auto ca = register_customer_ca(true, false);
  ASSERT_TRUE(ca);
  const auto pem = leaf(customer_ca(), "dev-ca");
  auto c = reg_->register_certificate(pem, true, std::nullopt, Status::kActive);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ((*c)->ca_certificate_id, ca->id);
  EXPECT_TRUE(admit_now(pem).admitted());
  std::vector<Change> seen;
  reg_->on_change([&](const Change& ch) { seen.push_back(ch); });
  ASSERT_TRUE(reg_->update_ca(ca->id, false, std::nullopt, std::nullopt));
  EXPECT_EQ(admit_now(pem).refusal, Refusal::kCaInactive);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, Change::kCaStatus);
  EXPECT_EQ(seen[0].affected, std::vector<std::string>{(*c)->id});
  EXPECT_EQ(reg_->certificates_of_ca(ca->id), std::vector<std::string>{(*c)->id});
}

TEST_F(RegistryTest, RefusesCertificatesOnTheCaCrlAndReloadsIt) {
  auto ca = register_customer_ca(true, false);
  ASSERT_TRUE(ca);
  const auto pem1 = leaf(customer_ca(), "dev-1"), pem2 = leaf(customer_ca(), "dev-2");
  auto c1 = reg_->register_certificate(pem1, true, customer_ca().cert_pem, Status::kActive);
  auto c2 = reg_->register_certificate(pem2, true, std::nullopt, Status::kActive);
  ASSERT_TRUE(c1 && c2);
  std::vector<Change> seen;
  reg_->on_change([&](const Change& ch) { seen.push_back(ch); });
  auto crl = reg_->load_crl(ca->id, make_crl(customer_ca(), {(*c1)->info.serial_hex}));
  ASSERT_TRUE(crl) << crl.error();
  auto a = admit_now(pem1);
  EXPECT_EQ(a.refusal, Refusal::kRevoked);
  EXPECT_NE(a.reason.find("CRL"), std::string::npos);
  EXPECT_TRUE(reg_->revoked_by_crl(**c1));
  EXPECT_TRUE(admit_now(pem2).admitted());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, Change::kCrlLoaded);
  EXPECT_EQ(seen[0].affected, std::vector<std::string>{(*c1)->id});
  // A new CRL replaces the old one.
  ASSERT_TRUE(reg_->load_crl(ca->id, make_crl(customer_ca(), {(*c2)->info.serial_hex})));
  EXPECT_TRUE(admit_now(pem1).admitted());
  EXPECT_EQ(admit_now(pem2).refusal, Refusal::kRevoked);
  // A CRL signed by another CA is refused, and the built-in CA takes none.
  auto foreign = reg_->load_crl(ca->id, make_crl(builtin(), {}));
  ASSERT_FALSE(foreign);
  EXPECT_EQ(fault_of(foreign.error()), Fault::kCertificateValidation);
  EXPECT_EQ(fault_of(reg_->load_crl(reg_->builtin_ca_id(), make_crl(builtin(), {})).error()), Fault::kInvalidRequest);
  ASSERT_TRUE(reg_->remove_crl(ca->id));
  EXPECT_TRUE(admit_now(pem2).admitted());
}

TEST_F(RegistryTest, JustInTimeRegistrationRegistersPendingAndPublishesTheEvent) {
  auto ca = register_customer_ca(true, true);
  ASSERT_TRUE(ca);
  std::vector<Change> seen;
  reg_->on_change([&](const Change& ch) { seen.push_back(ch); });
  const auto pem = leaf(customer_ca(), "jitr-device");
  auto a = admit_now(pem);
  EXPECT_EQ(a.refusal, Refusal::kPendingActivation) << a.reason;
  ASSERT_TRUE(a.certificate);
  EXPECT_EQ(a.certificate->status, Status::kPendingActivation);
  EXPECT_EQ(a.certificate->ca_certificate_id, ca->id);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, Change::kRegisteredPending);
  EXPECT_EQ(seen[0].event_topic, "$aws/events/certificates/registered/" + ca->id);
  for (const char* f : {"\"certificateId\"", "\"caCertificateId\"", "\"timestamp\"",
                        "\"certificateStatus\":\"PENDING_ACTIVATION\"", "\"awsAccountId\":\"123456789012\"",
                        "\"certificateRegistrationTimestamp\""}) {
    EXPECT_NE(seen[0].event_payload.find(f), std::string::npos) << f << " in " << seen[0].event_payload;
  }
  // A second attempt is refused without a second registration.
  EXPECT_EQ(admit_now(pem).refusal, Refusal::kPendingActivation);
  EXPECT_EQ(seen.size(), 1u);
  ASSERT_TRUE(reg_->set_status(a.certificate->id, Status::kActive));
  EXPECT_TRUE(admit_now(pem).admitted());
  // Without auto-registration, unknown certificates stay unknown.
  ASSERT_TRUE(reg_->update_ca(ca->id, std::nullopt, false, std::nullopt));
  EXPECT_EQ(admit_now(leaf(customer_ca(), "other")).refusal, Refusal::kUnknown);
}

TEST_F(RegistryTest, RefusesACertificateWhoseCaIsGone) {
  const auto pem = leaf(customer_ca(), "orphan");
  auto info = *pki::inspect(pem);
  {
    store::DbOptions o;
    o.path = db_.path();
    auto raw = store::Db::open(o);
    ASSERT_TRUE(raw);
    auto st = raw->prepare(
        "INSERT INTO certificates (certificate_id, certificate_pem, ca_certificate_id, status, created_at_ms, "
        "modified_at_ms, customer_version, generation_id) VALUES (?, ?, ?, 'ACTIVE', 1, 1, 1, 'g')");
    ASSERT_TRUE(st);
    const std::string missing_ca(64, 'a');  // bind_text does not copy: keep it alive until run()
    st->bind_text(1, info.certificate_id).bind_text(2, pem).bind_text(3, missing_ca);
    ASSERT_TRUE(st->run());
  }
  reopen();
  EXPECT_EQ(admit_now(pem).refusal, Refusal::kCaUnknown);
}

TEST_F(RegistryTest, EverythingSurvivesReopen) {
  auto ca = register_customer_ca(false, true);
  ASSERT_TRUE(ca);
  ASSERT_TRUE(reg_->update_ca(ca->id, true, std::nullopt, std::string(R"({"templateName":"t"})")));
  auto code = *reg_->registration_code();
  auto made = reg_->create_keys_and_certificate(pki::KeyType::kRsa2048, false);
  ASSERT_TRUE(made);
  ASSERT_TRUE(reg_->set_status(made->certificate->id, Status::kRevoked));
  const auto pem = leaf(customer_ca(), "kept");
  auto c = reg_->register_certificate(pem, true, std::nullopt, Status::kActive);
  ASSERT_TRUE(c);
  ASSERT_TRUE(reg_->load_crl(ca->id, make_crl(customer_ca(), {(*c)->info.serial_hex})));
  auto before = reg_->find(made->certificate->id);
  reopen();
  EXPECT_EQ(*reg_->registration_code(), code);
  auto after = reg_->find(made->certificate->id);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, Status::kRevoked);
  EXPECT_EQ(after->customer_version, 2);
  EXPECT_EQ(after->generation_id, before->generation_id);
  EXPECT_EQ(after->pem, before->pem);
  auto ca2 = reg_->find_ca(ca->id);
  ASSERT_TRUE(ca2);
  EXPECT_TRUE(ca2->active);
  EXPECT_TRUE(ca2->auto_registration);
  EXPECT_EQ(ca2->registration_config_json, R"({"templateName":"t"})");
  ASSERT_TRUE(ca2->crl);
  EXPECT_EQ(admit_now(pem).refusal, Refusal::kRevoked);
  EXPECT_EQ(reg_->list().size(), 2u);
  EXPECT_EQ(reg_->list_cas().size(), 2u);
}

TEST_F(RegistryTest, ObserversRunAfterTheCommit) {
  auto made = reg_->create_keys_and_certificate(pki::KeyType::kEcP256, false);
  ASSERT_TRUE(made);
  std::string seen_status;
  reg_->on_change([&](const Change& ch) {
    // Another connection already sees the new row, and the registry serves the new snapshot.
    store::DbOptions o;
    o.path = db_.path();
    auto raw = store::Db::open(o);
    ASSERT_TRUE(raw);
    auto st = raw->prepare("SELECT status FROM certificates WHERE certificate_id = ?");
    ASSERT_TRUE(st);
    st->bind_text(1, ch.certificate_id);
    ASSERT_TRUE(*st->step());
    seen_status = st->column_text(0);
    EXPECT_EQ(reg_->find(ch.certificate_id)->status, Status::kActive);
  });
  ASSERT_TRUE(reg_->set_status(made->certificate->id, Status::kActive));
  EXPECT_EQ(seen_status, "ACTIVE");
}

TEST_F(RegistryTest, ControlPlaneRules) {
  auto made = reg_->create_keys_and_certificate(pki::KeyType::kEcP256, true);
  ASSERT_TRUE(made);
  const auto id = made->certificate->id;
  EXPECT_EQ(fault_of(reg_->set_status(id, Status::kPendingActivation).error()), Fault::kInvalidRequest);
  EXPECT_EQ(fault_of(reg_->set_status(id, Status::kPendingTransfer).error()), Fault::kInvalidRequest);
  EXPECT_EQ(fault_of(reg_->set_status(std::string(64, 'f'), Status::kActive).error()), Fault::kNotFound);
  EXPECT_EQ(fault_of(reg_->remove(id).error()), Fault::kCertificateState);  // ACTIVE
  ASSERT_TRUE(reg_->set_status(id, Status::kInactive));
  reg_->set_attached_query([&](std::string_view arn) { return arn == made->certificate->arn; });
  EXPECT_EQ(fault_of(reg_->remove(id).error()), Fault::kDeleteConflict);
  reg_->set_attached_query(nullptr);
  ASSERT_TRUE(reg_->set_status(id, Status::kRevoked));
  EXPECT_EQ(fault_of(reg_->set_status(id, Status::kActive).error()), Fault::kCertificateState);  // terminal
  EXPECT_TRUE(reg_->set_status(id, Status::kRevoked));                                            // idempotent
  ASSERT_TRUE(reg_->remove(id));
  EXPECT_FALSE(reg_->find(id));
  // Registration rules.
  EXPECT_TRUE(reg_->register_certificate(made->certificate->pem, true, std::nullopt, Status::kActive))
      << "deleted: registrable again";
  EXPECT_EQ(fault_of(reg_->register_certificate(made->certificate->pem, true, std::nullopt, Status::kActive).error()),
            Fault::kAlreadyExists);
  EXPECT_EQ(fault_of(reg_->register_certificate(leaf(customer_ca(), "x"), true, std::nullopt, Status::kActive).error()),
            Fault::kCertificateValidation);  // its CA is not registered
  auto nca = reg_->register_certificate(leaf(customer_ca(), "y"), false, std::nullopt, Status::kActive);
  ASSERT_TRUE(nca);
  EXPECT_EQ((*nca)->ca_certificate_id, "");
  EXPECT_TRUE(admit_now((*nca)->pem).admitted());
  EXPECT_EQ(fault_of(reg_->register_certificate(builtin().cert_pem, false, std::nullopt, Status::kActive).error()),
            Fault::kCertificateValidation);  // a CA certificate
  EXPECT_EQ(fault_of(reg_->create_from_csr("garbage", true).error()), Fault::kInvalidRequest);
  // The built-in CA cannot be deactivated or deleted.
  EXPECT_EQ(fault_of(reg_->update_ca(reg_->builtin_ca_id(), false, std::nullopt, std::nullopt).error()),
            Fault::kInvalidRequest);
  EXPECT_EQ(fault_of(reg_->remove_ca(reg_->builtin_ca_id()).error()), Fault::kCertificateState);
}

TEST_F(RegistryTest, CaRegistrationNeedsProofOfPossessionAndDeletionRules) {
  Registry::CaRegistration req;
  req.ca_pem = customer_ca().cert_pem;
  req.verification_pem = leaf(customer_ca(), "not-the-code");
  EXPECT_EQ(fault_of(reg_->register_ca(req).error()), Fault::kRegistrationCode);
  req.verification_pem = leaf(builtin(), *reg_->registration_code());  // right code, wrong issuer
  EXPECT_EQ(fault_of(reg_->register_ca(req).error()), Fault::kCertificateValidation);
  req.verification_pem = "";
  EXPECT_EQ(fault_of(reg_->register_ca(req).error()), Fault::kInvalidRequest);
  req.ca_pem = leaf(customer_ca(), "not a CA");
  req.verification_pem = leaf(customer_ca(), *reg_->registration_code());
  EXPECT_EQ(fault_of(reg_->register_ca(req).error()), Fault::kCertificateValidation);
  auto ca = register_customer_ca(true, false);
  ASSERT_TRUE(ca);
  req.ca_pem = customer_ca().cert_pem;
  EXPECT_EQ(fault_of(reg_->register_ca(req).error()), Fault::kAlreadyExists);
  EXPECT_EQ(fault_of(reg_->remove_ca(ca->id).error()), Fault::kCertificateState);  // ACTIVE
  auto c = reg_->register_certificate(leaf(customer_ca(), "d"), true, std::nullopt, Status::kInactive);
  ASSERT_TRUE(c);
  ASSERT_TRUE(reg_->update_ca(ca->id, false, std::nullopt, std::nullopt));
  EXPECT_EQ(fault_of(reg_->remove_ca(ca->id).error()), Fault::kCertificateState);  // has certificates
  // Registering against an INACTIVE CA is a state error.
  EXPECT_EQ(fault_of(reg_->register_certificate(leaf(customer_ca(), "e"), true, std::nullopt, Status::kActive).error()),
            Fault::kCertificateState);
  ASSERT_TRUE(reg_->remove((*c)->id));
  ASSERT_TRUE(reg_->remove_ca(ca->id)) << "inactive and unused";
  EXPECT_FALSE(reg_->find_ca(ca->id));
}

TEST_F(RegistryTest, RegisterOfflineIsLoadedAtOpen) {
  const auto pem = leaf(builtin(), "offline");
  reg_.reset();
  ASSERT_TRUE(register_offline(db_.path(), pem, builtin(), clock_));
  ASSERT_TRUE(register_offline(db_.path(), pem, builtin(), clock_)) << "idempotent";
  EXPECT_FALSE(register_offline(db_.path(), leaf(customer_ca(), "x"), builtin(), clock_));
  reopen();
  auto a = admit_now(pem);
  EXPECT_TRUE(a.admitted()) << a.reason;
  EXPECT_EQ(a.certificate->ca_certificate_id, reg_->builtin_ca_id());
}

TEST_F(RegistryTest, ConcurrentAdmitDuringUpdates) {
  auto made = reg_->create_keys_and_certificate(pki::KeyType::kEcP256, true);
  ASSERT_TRUE(made);
  const std::string d = der(made->certificate->pem);
  const std::string unknown = der(leaf(builtin(), "nobody"));
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (!stop) {
        auto a = reg_->admit(d, Clock::now());
        if (a.refusal == Refusal::kNone) {
          ++admitted;
        } else if (a.refusal != Refusal::kInactive) {
          ++bad;
        }
        if (reg_->admit(unknown, Clock::now()).refusal != Refusal::kUnknown) ++bad;
        if (!reg_->find(made->certificate->id)) ++bad;
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    EXPECT_TRUE(reg_->set_status(made->certificate->id, i % 2 ? Status::kActive : Status::kInactive));
    if (i % 20 == 0) {
      EXPECT_TRUE(reg_->create_keys_and_certificate(pki::KeyType::kEcP256, true));
    }
  }
  EXPECT_TRUE(reg_->set_status(made->certificate->id, Status::kActive));
  while (admitted == 0) std::this_thread::yield();
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad, 0);
  EXPECT_TRUE(reg_->admit(d, Clock::now()).admitted());
}

}  // namespace
}  // namespace tenet::certs
