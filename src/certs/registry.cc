#include "certs/certs.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>

#include <boost/json.hpp>

#include "core/log.h"
#include "pki/ca_registration.h"
#include "pki/csr.h"
#include "store/sqlite.h"

namespace tenet::certs {
namespace {

using core::Errc;

class FaultCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tenet.certs"; }
  std::string message(int v) const override {
    switch (static_cast<Fault>(v)) {
      case Fault::kInvalidRequest: return "InvalidRequestException";
      case Fault::kNotFound: return "ResourceNotFoundException";
      case Fault::kAlreadyExists: return "ResourceAlreadyExistsException";
      case Fault::kCertificateState: return "CertificateStateException";
      case Fault::kCertificateValidation: return "CertificateValidationException";
      case Fault::kCertificateConflict: return "CertificateConflictException";
      case Fault::kRegistrationCode: return "RegistrationCodeValidationException";
      case Fault::kDeleteConflict: return "DeleteConflictException";
      case Fault::kLimitExceeded: return "LimitExceededException";
    }
    return "unknown";
  }
};

core::Unexpected fault(Fault f, std::string message) {
  Errc code = Errc::kInvalidArgument;
  switch (f) {
    case Fault::kInvalidRequest:
    case Fault::kCertificateValidation:
    case Fault::kRegistrationCode: code = Errc::kInvalidArgument; break;
    case Fault::kNotFound: code = Errc::kNotFound; break;
    case Fault::kAlreadyExists: code = Errc::kAlreadyExists; break;
    case Fault::kCertificateState:
    case Fault::kCertificateConflict:
    case Fault::kDeleteConflict: code = Errc::kConflict; break;
    case Fault::kLimitExceeded: code = Errc::kResourceExhausted; break;
  }
  return core::fail(code, std::move(message), std::error_code(static_cast<int>(f), fault_category()));
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr) != 1) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * n, '\0');
  for (unsigned i = 0; i < n; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 15];
  }
  return out;
}

bool looks_pem(std::string_view s) {
  const auto p = s.find_first_not_of(" \t\r\n");
  return p != std::string_view::npos && s.substr(p).starts_with("-----BEGIN");
}

std::string short_id(std::string_view id) { return std::string(id.substr(0, 12)) + "..."; }

constexpr std::size_t kMaxCasPerSubject = 10;  // AWS: 10 CA certificates with the same subject

bool status_admits(Status s) { return s == Status::kActive; }

}  // namespace

const std::error_category& fault_category() {
  static const FaultCategory c;
  return c;
}

std::optional<Fault> fault_of(const core::Error& e) {
  if (e.cause.category() != fault_category() || e.cause.value() == 0) return std::nullopt;
  return static_cast<Fault>(e.cause.value());
}

std::string_view to_string(Status s) {
  switch (s) {
    case Status::kActive: return "ACTIVE";
    case Status::kInactive: return "INACTIVE";
    case Status::kRevoked: return "REVOKED";
    case Status::kPendingTransfer: return "PENDING_TRANSFER";
    case Status::kRegisterInactive: return "REGISTER_INACTIVE";
    case Status::kPendingActivation: return "PENDING_ACTIVATION";
  }
  return "INACTIVE";
}

std::optional<Status> parse_status(std::string_view t) {
  for (Status s : {Status::kActive, Status::kInactive, Status::kRevoked, Status::kPendingTransfer,
                   Status::kRegisterInactive, Status::kPendingActivation}) {
    if (to_string(s) == t) return s;
  }
  return std::nullopt;
}

std::string_view to_string(Refusal r) {
  switch (r) {
    case Refusal::kNone: return "NONE";
    case Refusal::kUnknown: return "UNKNOWN";
    case Refusal::kInactive: return "INACTIVE";
    case Refusal::kRevoked: return "REVOKED";
    case Refusal::kExpired: return "EXPIRED";
    case Refusal::kNotYetValid: return "NOT_YET_VALID";
    case Refusal::kCaInactive: return "CA_INACTIVE";
    case Refusal::kCaUnknown: return "CA_UNKNOWN";
    case Refusal::kPendingActivation: return "PENDING_ACTIVATION";
    case Refusal::kMalformed: return "MALFORMED";
  }
  return "UNKNOWN";
}

std::optional<pki::KeyType> parse_key_algorithm(std::string_view t) {
  if (t == "EC_P256" || t == "EC_prime256v1") return pki::KeyType::kEcP256;
  if (t == "EC_P384" || t == "EC_secp384r1") return pki::KeyType::kEcP384;
  if (t == "RSA_2048") return pki::KeyType::kRsa2048;
  return std::nullopt;
}

std::string registered_event_topic(std::string_view ca_id) {
  return "$aws/events/certificates/registered/" + std::string(ca_id);
}

// ---- open / load ----------------------------------------------------------------------------

Registry::Registry(std::unique_ptr<store::Db> db, const pki::CertAndKey& builtin_ca, control::Partition partition,
                   const core::Clock& clock, Options options)
    : builtin_ca_(builtin_ca),
      partition_(std::move(partition)),
      clock_(clock),
      options_(options),
      db_(std::move(db)) {}

Registry::~Registry() = default;

core::Result<std::unique_ptr<Registry>> Registry::open(const std::string& db_path, const pki::CertAndKey& builtin_ca,
                                                       control::Partition partition, const core::Clock& clock,
                                                       Options options) {
  store::DbOptions o;
  o.path = db_path;
  o.create = false;
  auto db = store::Db::open(o);
  if (!db) return core::propagate(std::move(db));
  auto id = pki::certificate_id(builtin_ca.cert_pem);
  if (!id) return core::fail(std::move(id).error().with_context("built-in CA"));
  auto self = std::unique_ptr<Registry>(new Registry(std::make_unique<store::Db>(std::move(*db)), builtin_ca,
                                                     std::move(partition), clock, options));
  self->builtin_id_ = *id;
  if (auto r = self->load(); !r) return core::fail(std::move(r).error().with_context("loading certificates"));
  if (auto r = self->ensure_builtin(); !r) return core::fail(std::move(r).error().with_context("built-in CA"));
  return self;
}

core::Result<void> Registry::load() {
  std::lock_guard w(write_mu_);
  std::unique_lock l(mu_);
  {
    auto st = db_->prepare(
        "SELECT certificate_id, certificate_pem, status, auto_registration, builtin, registration_config, "
        "created_at_ms, modified_at_ms, customer_version, generation_id FROM ca_certificates");
    if (!st) return core::propagate(std::move(st));
    while (true) {
      auto row = st->step();
      if (!row) return core::propagate(std::move(row));
      if (!*row) break;
      auto ca = std::make_shared<CaCertificate>();
      ca->id = st->column_text(0);
      ca->pem = st->column_text(1);
      ca->active = st->column_text(2) == "ACTIVE";
      ca->auto_registration = st->column_int(3) != 0;
      ca->builtin = st->column_int(4) != 0;
      ca->registration_config_json = st->column_text(5);
      ca->created_ms = st->column_int(6);
      ca->modified_ms = st->column_int(7);
      ca->customer_version = st->column_int(8);
      ca->generation_id = st->column_text(9);
      auto info = pki::inspect(ca->pem);
      if (!info) return core::fail(std::move(info).error().with_context("CA certificate " + ca->id));
      ca->info = std::move(*info);
      ca->not_before = ca->info.not_before;
      ca->not_after = ca->info.not_after;
      ca->arn = partition_.arn("cacert", ca->id);
      cas_[ca->id] = std::move(ca);
    }
  }
  {
    auto st = db_->prepare("SELECT ca_certificate_id, crl_der, loaded_at_ms FROM ca_crls");
    if (!st) return core::propagate(std::move(st));
    while (true) {
      auto row = st->step();
      if (!row) return core::propagate(std::move(row));
      if (!*row) break;
      auto it = cas_.find(st->column_text(0));
      if (it == cas_.end()) continue;
      auto crl = pki::parse_crl(st->column_blob(1));
      if (!crl) return core::fail(std::move(crl).error().with_context("CRL of CA " + it->first));
      auto ca = std::make_shared<CaCertificate>(*it->second);
      ca->crl = std::make_shared<const pki::Crl>(std::move(*crl));
      ca->crl_loaded_ms = st->column_int(2);
      it->second = std::move(ca);
    }
  }
  auto st = db_->prepare(
      "SELECT certificate_id, certificate_pem, ca_certificate_id, status, created_at_ms, modified_at_ms, "
      "customer_version, generation_id FROM certificates");
  if (!st) return core::propagate(std::move(st));
  while (true) {
    auto row = st->step();
    if (!row) return core::propagate(std::move(row));
    if (!*row) break;
    auto c = std::make_shared<Certificate>();
    c->id = st->column_text(0);
    c->pem = st->column_text(1);
    c->ca_certificate_id = st->column_text(2);
    c->status = parse_status(st->column_text(3)).value_or(Status::kInactive);
    c->created_ms = st->column_int(4);
    c->modified_ms = st->column_int(5);
    c->customer_version = st->column_int(6);
    c->generation_id = st->column_text(7);
    auto info = pki::inspect(c->pem);
    if (!info) return core::fail(std::move(info).error().with_context("certificate " + c->id));
    c->info = std::move(*info);
    c->not_before = c->info.not_before;
    c->not_after = c->info.not_after;
    c->arn = partition_.arn("cert", c->id);
    certs_[c->id] = std::move(c);
  }
  return {};
}

core::Result<void> Registry::ensure_builtin() {
  std::lock_guard w(write_mu_);
  // A built-in CA of an earlier data dir (ca.pem replaced) becomes an ordinary CA: its
  // certificates keep working until the operator deactivates it.
  for (const auto& [id, ca] : cas_) {
    if (ca->builtin && id != builtin_id_) {
      core::log::warn("certs: CA {} was the built-in CA of this data dir; it stays registered as an ordinary CA",
                      short_id(id));
      auto st = db_->cached("UPDATE ca_certificates SET builtin = 0 WHERE certificate_id = ?");
      if (!st) return core::propagate(std::move(st));
      (*st)->bind_text(1, id);
      if (auto r = (*st)->run(); !r) return r;
      auto copy = std::make_shared<CaCertificate>(*ca);
      copy->builtin = false;
      std::unique_lock l(mu_);
      cas_[id] = std::move(copy);
    }
  }
  if (auto it = cas_.find(builtin_id_); it != cas_.end()) {
    if (it->second->builtin && it->second->active) return {};
    // Registered as a customer CA earlier (or deactivated): it is the built-in CA now.
    auto st = db_->cached(
        "UPDATE ca_certificates SET builtin = 1, status = 'ACTIVE' WHERE certificate_id = ?");
    if (!st) return core::propagate(std::move(st));
    (*st)->bind_text(1, builtin_id_);
    if (auto r = (*st)->run(); !r) return r;
    auto copy = std::make_shared<CaCertificate>(*it->second);
    copy->builtin = copy->active = true;
    std::unique_lock l(mu_);
    cas_[builtin_id_] = std::move(copy);
    return {};
  }
  auto info = pki::inspect(builtin_ca_.cert_pem);
  if (!info) return core::propagate(std::move(info));
  auto ca = std::make_shared<CaCertificate>();
  ca->id = builtin_id_;
  ca->arn = partition_.arn("cacert", ca->id);
  ca->pem = builtin_ca_.cert_pem;
  ca->active = true;
  ca->builtin = true;
  ca->created_ms = ca->modified_ms = clock_.unix_ms();
  ca->generation_id = new_generation_id();
  ca->info = std::move(*info);
  ca->not_before = ca->info.not_before;
  ca->not_after = ca->info.not_after;
  auto st = db_->cached(
      "INSERT INTO ca_certificates (certificate_id, certificate_pem, status, auto_registration, builtin, "
      "registration_config, created_at_ms, modified_at_ms, customer_version, generation_id) "
      "VALUES (?, ?, 'ACTIVE', 0, 1, '', ?, ?, 1, ?)");
  if (!st) return core::propagate(std::move(st));
  (*st)->bind_text(1, ca->id).bind_text(2, ca->pem).bind(3, ca->created_ms).bind(4, ca->modified_ms).bind_text(
      5, ca->generation_id);
  if (auto r = (*st)->run(); !r) return r;
  std::unique_lock l(mu_);
  cas_[ca->id] = std::move(ca);
  return {};
}

std::string Registry::new_generation_id() const {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) std::abort();  // the CSPRNG failing is not recoverable
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

// ---- reads --------------------------------------------------------------------------------------

namespace {

Admission check(const CertificatePtr& c, const CaCertificatePtr& ca, std::chrono::system_clock::time_point now) {
  Admission a;
  a.certificate = c;
  const std::string who = "certificate " + short_id(c->id);
  if (!status_admits(c->status)) {
    a.refusal = c->status == Status::kRevoked             ? Refusal::kRevoked
                : c->status == Status::kPendingActivation ? Refusal::kPendingActivation
                                                          : Refusal::kInactive;
    a.reason = who + " is " + std::string(to_string(c->status));
    return a;
  }
  if (!c->ca_certificate_id.empty()) {
    if (!ca) {
      a.refusal = Refusal::kCaUnknown;
      a.reason = who + ": its CA " + short_id(c->ca_certificate_id) + " is not registered";
      return a;
    }
    if (!ca->active) {
      a.refusal = Refusal::kCaInactive;
      a.reason = who + ": its CA " + short_id(ca->id) + " is INACTIVE";
      return a;
    }
  }
  if (now < c->not_before) {
    a.refusal = Refusal::kNotYetValid;
    a.reason = who + " is not valid yet";
    return a;
  }
  if (now > c->not_after) {
    a.refusal = Refusal::kExpired;
    a.reason = who + " has expired";
    return a;
  }
  if (ca && ca->crl && ca->crl->is_revoked(c->info.serial_hex)) {
    a.refusal = Refusal::kRevoked;
    a.reason = who + " (serial " + c->info.serial_hex + ") is on the CRL of CA " + short_id(ca->id);
    return a;
  }
  a.refusal = Refusal::kNone;
  return a;
}

}  // namespace

Admission Registry::admit(std::string_view cert, std::chrono::system_clock::time_point now) {
  std::string der_storage;
  std::string_view der = cert;
  if (looks_pem(cert)) {
    auto d = pki::der_from_pem(cert);
    if (!d) return Admission{Refusal::kMalformed, nullptr, "client certificate does not parse"};
    der_storage = std::move(*d);
    der = der_storage;
  }
  const std::string id = sha256_hex(der);
  CertificatePtr c;
  CaCertificatePtr ca;
  {
    std::shared_lock l(mu_);
    if (auto it = certs_.find(id); it != certs_.end()) {
      c = it->second;
      if (auto ci = cas_.find(c->ca_certificate_id); ci != cas_.end()) ca = ci->second;
    }
  }
  if (c) return check(c, ca, now);

  // Not registered: parse it and look for an auto-registering CA that issued it (JITR).
  auto pem = pki::certificate_pem_from_der(der);
  if (!pem) return Admission{Refusal::kMalformed, nullptr, "client certificate does not parse"};
  auto info = pki::inspect(*pem);
  if (!info) return Admission{Refusal::kMalformed, nullptr, "client certificate does not parse"};
  Admission unknown{Refusal::kUnknown, nullptr, "certificate " + short_id(id) + " is not registered"};
  auto issuer = issuing_ca_for_jitr(*info, *pem);
  if (!issuer) return unknown;
  if (now < info->not_before || now > info->not_after) {
    unknown.reason += " (and outside its validity period: not auto-registered)";
    return unknown;
  }
  if (issuer->crl && issuer->crl->is_revoked(info->serial_hex)) {
    unknown.reason += " (and on its CA's CRL: not auto-registered)";
    return unknown;
  }
  Change change;
  {
    std::lock_guard w(write_mu_);
    {
      std::shared_lock l(mu_);
      if (auto it = certs_.find(id); it != certs_.end()) {  // registered meanwhile (concurrent attempt)
        c = it->second;
        if (auto ci = cas_.find(c->ca_certificate_id); ci != cas_.end()) ca = ci->second;
      }
    }
    if (c) return check(c, ca, now);
    auto inserted = insert_certificate(*pem, *info, issuer->id, Status::kPendingActivation, Change::kRegisteredPending);
    if (!inserted) {
      core::log::error("certs: JITR registration of {} failed: {}", short_id(id), inserted.error().to_string());
      return unknown;
    }
    c = *inserted;
  }
  change.kind = Change::kRegisteredPending;
  change.certificate_id = c->id;
  change.ca_certificate_id = issuer->id;
  change.affected = {c->id};
  change.event_topic = registered_event_topic(issuer->id);
  boost::json::object ev;
  ev["certificateId"] = c->id;
  ev["caCertificateId"] = issuer->id;
  ev["timestamp"] = c->created_ms;
  ev["certificateStatus"] = "PENDING_ACTIVATION";
  ev["awsAccountId"] = partition_.account_id;
  ev["certificateRegistrationTimestamp"] = c->created_ms;
  change.event_payload = boost::json::serialize(ev);
  notify(change);
  return Admission{Refusal::kPendingActivation, c,
                   "certificate " + short_id(c->id) + " was registered as PENDING_ACTIVATION by CA " +
                       short_id(issuer->id) + " (just-in-time registration); activate it with UpdateCertificate"};
}

CaCertificatePtr Registry::issuing_ca_for_jitr(const pki::CertInfo& info, std::string_view pem) const {
  std::vector<CaCertificatePtr> candidates;
  {
    std::shared_lock l(mu_);
    for (const auto& [id, ca] : cas_) {
      if (ca->active && ca->auto_registration && ca->info.subject_name_sha256 == info.issuer_name_sha256) {
        candidates.push_back(ca);
      }
    }
  }
  for (auto& ca : candidates) {
    if (pki::verify_issued_by(pem, ca->pem)) return ca;
  }
  return nullptr;
}

CertificatePtr Registry::find(std::string_view id) const {
  std::shared_lock l(mu_);
  auto it = certs_.find(std::string(id));
  return it == certs_.end() ? nullptr : it->second;
}

CaCertificatePtr Registry::find_ca(std::string_view id) const {
  std::shared_lock l(mu_);
  auto it = cas_.find(std::string(id));
  return it == cas_.end() ? nullptr : it->second;
}

std::vector<std::string> Registry::trusted_ca_pems() const {
  std::shared_lock l(mu_);
  std::vector<std::string> out;
  for (const auto& [id, ca] : cas_) {
    if (ca->active) out.push_back(ca->pem);
  }
  return out;
}

std::vector<std::string> Registry::certificates_of_ca(std::string_view ca_id) const {
  std::shared_lock l(mu_);
  std::vector<std::string> out;
  for (const auto& [id, c] : certs_) {
    if (c->ca_certificate_id == ca_id) out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool Registry::revoked_by_crl(const Certificate& cert) const {
  std::shared_lock l(mu_);
  auto it = cas_.find(cert.ca_certificate_id);
  return it != cas_.end() && it->second->crl && it->second->crl->is_revoked(cert.info.serial_hex);
}

std::vector<CertificatePtr> Registry::list() const {
  std::vector<CertificatePtr> out;
  {
    std::shared_lock l(mu_);
    out.reserve(certs_.size());
    for (const auto& [id, c] : certs_) out.push_back(c);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a->created_ms != b->created_ms ? a->created_ms < b->created_ms : a->id < b->id;
  });
  return out;
}

std::vector<CaCertificatePtr> Registry::list_cas() const {
  std::vector<CaCertificatePtr> out;
  {
    std::shared_lock l(mu_);
    for (const auto& [id, c] : cas_) out.push_back(c);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a->created_ms != b->created_ms ? a->created_ms < b->created_ms : a->id < b->id;
  });
  return out;
}

void Registry::on_change(std::function<void(const Change&)> observer) {
  std::unique_lock l(mu_);
  observers_.push_back(std::move(observer));
}

void Registry::set_attached_query(std::function<bool(std::string_view)> query) {
  std::unique_lock l(mu_);
  attached_ = std::move(query);
}

void Registry::notify(const Change& change) {
  std::vector<std::function<void(const Change&)>> observers;
  {
    std::shared_lock l(mu_);
    observers = observers_;
  }
  for (auto& o : observers) o(change);
}

// ---- writes -------------------------------------------------------------------------------------

core::Result<CertificatePtr> Registry::insert_certificate(std::string_view pem, const pki::CertInfo& info,
                                                          std::string ca_id, Status status, Change::Kind) {
  auto c = std::make_shared<Certificate>();
  c->id = info.certificate_id;
  c->arn = partition_.arn("cert", c->id);
  c->pem = std::string(pem);
  c->ca_certificate_id = std::move(ca_id);
  c->status = status;
  c->created_ms = c->modified_ms = clock_.unix_ms();
  c->generation_id = new_generation_id();
  c->info = info;
  c->not_before = info.not_before;
  c->not_after = info.not_after;
  auto st = db_->cached(
      "INSERT INTO certificates (certificate_id, certificate_pem, ca_certificate_id, status, created_at_ms, "
      "modified_at_ms, customer_version, generation_id) VALUES (?, ?, ?, ?, ?, ?, 1, ?)");
  if (!st) return core::propagate(std::move(st));
  (*st)->bind_text(1, c->id)
      .bind_text(2, c->pem)
      .bind_text(3, c->ca_certificate_id)
      .bind_text(4, to_string(c->status))
      .bind(5, c->created_ms)
      .bind(6, c->modified_ms)
      .bind_text(7, c->generation_id);
  if (auto r = (*st)->run(); !r) return core::propagate(std::move(r));
  CertificatePtr out = c;
  std::unique_lock l(mu_);
  certs_[out->id] = out;
  return out;
}

core::Result<Registry::Created> Registry::create_keys_and_certificate(pki::KeyType key_type, bool set_active) {
  auto made = pki::create_keys_and_certificate(builtin_ca_, key_type, options_.issued_valid_days);
  if (!made) return core::propagate(std::move(made));
  auto info = pki::inspect(made->cert_pem);
  if (!info) return core::propagate(std::move(info));
  CertificatePtr c;
  {
    std::lock_guard w(write_mu_);
    auto r = insert_certificate(made->cert_pem, *info, builtin_id_, set_active ? Status::kActive : Status::kInactive,
                                Change::kCertificateAdded);
    if (!r) return core::propagate(std::move(r));
    c = *r;
  }
  notify(Change{Change::kCertificateAdded, c->id, c->ca_certificate_id, {c->id}, {}, {}});
  return Created{c, std::move(*made)};
}

core::Result<CertificatePtr> Registry::create_from_csr(std::string_view csr_pem, bool set_active) {
  auto pem = pki::sign_csr(builtin_ca_, csr_pem, options_.issued_valid_days);
  if (!pem) return fault(Fault::kInvalidRequest, std::move(pem).error().detail);
  auto info = pki::inspect(*pem);
  if (!info) return core::propagate(std::move(info));
  CertificatePtr c;
  {
    std::lock_guard w(write_mu_);
    auto r = insert_certificate(*pem, *info, builtin_id_, set_active ? Status::kActive : Status::kInactive,
                                Change::kCertificateAdded);
    if (!r) return core::propagate(std::move(r));
    c = *r;
  }
  notify(Change{Change::kCertificateAdded, c->id, c->ca_certificate_id, {c->id}, {}, {}});
  return c;
}

core::Result<CertificatePtr> Registry::register_certificate(std::string_view cert_pem, bool with_ca,
                                                            std::optional<std::string_view> ca_pem, Status status) {
  if (status == Status::kPendingTransfer) {
    return fault(Fault::kInvalidRequest, "status PENDING_TRANSFER cannot be set by a caller");
  }
  auto info = pki::inspect(cert_pem);
  if (!info) return fault(Fault::kCertificateValidation, "certificatePem: " + info.error().detail);
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(clock_.wall());
  if (now > info->not_after) return fault(Fault::kCertificateValidation, "the certificate has expired");
  if (info->is_ca) return fault(Fault::kCertificateValidation, "the certificate is a CA certificate (basicConstraints CA:TRUE); register it with RegisterCACertificate");
  if (!pki::key_quality_ok(*info)) {
    return fault(Fault::kCertificateValidation, "the certificate key (" + info->key_algorithm + " " +
                                                    std::to_string(info->key_bits) +
                                                    " bits) is not allowed: use RSA of at least 2048 bits or EC "
                                                    "P-256, P-384 or P-521");
  }
  std::string ca_id;
  if (with_ca) {
    std::vector<CaCertificatePtr> candidates;
    if (ca_pem && !ca_pem->empty()) {
      auto id = pki::certificate_id(*ca_pem);
      if (!id) return fault(Fault::kCertificateValidation, "caCertificatePem: " + id.error().detail);
      auto ca = find_ca(*id);
      if (!ca) return fault(Fault::kCertificateValidation, "caCertificatePem is not a registered CA certificate");
      candidates.push_back(ca);
    } else {
      std::shared_lock l(mu_);
      for (const auto& [id, ca] : cas_) {
        if (ca->info.subject_name_sha256 == info->issuer_name_sha256) candidates.push_back(ca);
      }
    }
    std::vector<CaCertificatePtr> issuers;
    for (auto& ca : candidates) {
      if (pki::verify_issued_by(cert_pem, ca->pem)) issuers.push_back(ca);
    }
    if (issuers.empty()) {
      return fault(Fault::kCertificateValidation,
                   ca_pem && !ca_pem->empty() ? "the certificate was not issued by caCertificatePem"
                                              : "no registered CA certificate issued this certificate (issuer " +
                                                    info->issuer_text + ")");
    }
    if (issuers.size() > 1) {
      return fault(Fault::kCertificateConflict,
                   "several registered CA certificates could have issued this certificate; pass caCertificatePem");
    }
    if (!issuers[0]->active) {
      return fault(Fault::kCertificateState, "CA certificate " + issuers[0]->id + " is INACTIVE");
    }
    ca_id = issuers[0]->id;
  }
  CertificatePtr c;
  {
    std::lock_guard w(write_mu_);
    if (auto existing = find(info->certificate_id)) {
      return fault(Fault::kAlreadyExists, "certificate " + existing->id + " is already registered");
    }
    auto r = insert_certificate(cert_pem, *info, std::move(ca_id), status, Change::kCertificateAdded);
    if (!r) return core::propagate(std::move(r));
    c = *r;
  }
  notify(Change{Change::kCertificateAdded, c->id, c->ca_certificate_id, {c->id}, {}, {}});
  return c;
}

core::Result<void> Registry::set_status(std::string_view id, Status status) {
  if (status == Status::kPendingTransfer || status == Status::kPendingActivation) {
    return fault(Fault::kInvalidRequest, std::string(to_string(status)) + " is set by tenet only, not by UpdateCertificate");
  }
  if (status == Status::kRegisterInactive) {
    return fault(Fault::kInvalidRequest, "REGISTER_INACTIVE is deprecated; use INACTIVE");
  }
  CertificatePtr c;
  {
    std::lock_guard w(write_mu_);
    auto old = find(id);
    if (!old) return fault(Fault::kNotFound, "certificate " + std::string(id) + " does not exist");
    if (old->status == status) return {};  // idempotent, as AWS
    if (old->status == Status::kRevoked) {
      return fault(Fault::kCertificateState, "certificate " + old->id + " is REVOKED; revocation cannot be undone");
    }
    auto copy = std::make_shared<Certificate>(*old);
    copy->status = status;
    copy->modified_ms = clock_.unix_ms();
    copy->customer_version += 1;
    copy->generation_id = new_generation_id();
    auto st = db_->cached(
        "UPDATE certificates SET status = ?, modified_at_ms = ?, customer_version = ?, generation_id = ? "
        "WHERE certificate_id = ?");
    if (!st) return core::propagate(std::move(st));
    (*st)->bind_text(1, to_string(copy->status))
        .bind(2, copy->modified_ms)
        .bind(3, copy->customer_version)
        .bind_text(4, copy->generation_id)
        .bind_text(5, copy->id);
    if (auto r = (*st)->run(); !r) return r;
    c = copy;
    std::unique_lock l(mu_);
    certs_[c->id] = c;
  }
  notify(Change{Change::kCertificateStatus, c->id, c->ca_certificate_id, {c->id}, {}, {}});
  return {};
}

core::Result<void> Registry::remove(std::string_view id) {
  CertificatePtr c;
  {
    std::lock_guard w(write_mu_);
    c = find(id);
    if (!c) return fault(Fault::kNotFound, "certificate " + std::string(id) + " does not exist");
    if (c->status == Status::kActive) {
      return fault(Fault::kCertificateState,
                   "certificate " + c->id + " is ACTIVE; set it INACTIVE (UpdateCertificate) before deleting it");
    }
    std::function<bool(std::string_view)> attached;
    {
      std::shared_lock l(mu_);
      attached = attached_;
    }
    if (attached && attached(c->arn)) {
      return fault(Fault::kDeleteConflict, "certificate " + c->id + " is attached to a thing; detach it first");
    }
    auto st = db_->cached("DELETE FROM certificates WHERE certificate_id = ?");
    if (!st) return core::propagate(std::move(st));
    (*st)->bind_text(1, c->id);
    if (auto r = (*st)->run(); !r) return r;
    std::unique_lock l(mu_);
    certs_.erase(c->id);
  }
  notify(Change{Change::kCertificateDeleted, c->id, c->ca_certificate_id, {c->id}, {}, {}});
  return {};
}

core::Result<std::string> Registry::registration_code() {
  std::lock_guard w(write_mu_);
  auto st = db_->cached("SELECT value FROM certs_settings WHERE name = 'registration_code'");
  if (!st) return core::propagate(std::move(st));
  auto row = (*st)->step();
  if (!row) return core::propagate(std::move(row));
  if (*row) return (*st)->column_text(0);
  auto code = pki::make_registration_code();
  if (!code) return core::propagate(std::move(code));
  auto ins = db_->cached("INSERT INTO certs_settings (name, value) VALUES ('registration_code', ?)");
  if (!ins) return core::propagate(std::move(ins));
  (*ins)->bind_text(1, *code);
  if (auto r = (*ins)->run(); !r) return core::propagate(std::move(r));
  return code;
}

core::Result<CaCertificatePtr> Registry::register_ca(const CaRegistration& req) {
  auto info = pki::inspect(req.ca_pem);
  if (!info) return fault(Fault::kCertificateValidation, "caCertificate: " + info.error().detail);
  if (!info->is_ca) {
    return fault(Fault::kCertificateValidation, "caCertificate is not a CA certificate (basicConstraints CA:TRUE)");
  }
  if (!pki::key_quality_ok(*info)) {
    return fault(Fault::kCertificateValidation, "caCertificate key (" + info->key_algorithm + " " +
                                                    std::to_string(info->key_bits) + " bits) is not allowed");
  }
  if (req.verification_pem.empty()) {
    return fault(Fault::kInvalidRequest,
                 "verificationCertificate is required: tenet registers CAs in DEFAULT mode, with proof of possession");
  }
  auto code = registration_code();
  if (!code) return core::propagate(std::move(code));
  auto vinfo = pki::inspect(req.verification_pem);
  if (!vinfo) return fault(Fault::kCertificateValidation, "verificationCertificate: " + vinfo.error().detail);
  if (pki::first_value(vinfo->subject, "CN") != *code) {
    return fault(Fault::kRegistrationCode,
                 "the verification certificate's common name is not this server's registration code "
                 "(GetRegistrationCode)");
  }
  if (auto r = pki::verify_ca_registration(req.ca_pem, req.verification_pem, *code, clock_.wall()); !r) {
    return fault(Fault::kCertificateValidation, r.error().detail);
  }
  auto ca = std::make_shared<CaCertificate>();
  ca->id = info->certificate_id;
  ca->arn = partition_.arn("cacert", ca->id);
  ca->pem = req.ca_pem;
  ca->active = req.set_active;
  ca->auto_registration = req.allow_auto_registration;
  ca->registration_config_json = req.registration_config_json;
  ca->created_ms = ca->modified_ms = clock_.unix_ms();
  ca->generation_id = new_generation_id();
  ca->info = std::move(*info);
  ca->not_before = ca->info.not_before;
  ca->not_after = ca->info.not_after;
  {
    std::lock_guard w(write_mu_);
    std::size_t same_subject = 0;
    {
      std::shared_lock l(mu_);
      if (cas_.count(ca->id)) {
        return fault(Fault::kAlreadyExists, "CA certificate " + ca->id + " is already registered");
      }
      for (const auto& [id, other] : cas_) {
        if (other->info.subject_name_sha256 == ca->info.subject_name_sha256) ++same_subject;
      }
    }
    if (same_subject >= kMaxCasPerSubject) {
      return fault(Fault::kLimitExceeded, "10 CA certificates with this subject are registered already");
    }
    auto st = db_->cached(
        "INSERT INTO ca_certificates (certificate_id, certificate_pem, status, auto_registration, builtin, "
        "registration_config, created_at_ms, modified_at_ms, customer_version, generation_id) "
        "VALUES (?, ?, ?, ?, 0, ?, ?, ?, 1, ?)");
    if (!st) return core::propagate(std::move(st));
    (*st)->bind_text(1, ca->id)
        .bind_text(2, ca->pem)
        .bind_text(3, ca->active ? "ACTIVE" : "INACTIVE")
        .bind(4, ca->auto_registration ? 1 : 0)
        .bind_text(5, ca->registration_config_json)
        .bind(6, ca->created_ms)
        .bind(7, ca->modified_ms)
        .bind_text(8, ca->generation_id);
    if (auto r = (*st)->run(); !r) return core::propagate(std::move(r));
    std::unique_lock l(mu_);
    cas_[ca->id] = ca;
  }
  notify(Change{Change::kCaAdded, {}, ca->id, {}, {}, {}});
  return CaCertificatePtr(ca);
}

core::Result<void> Registry::update_ca(std::string_view id, std::optional<bool> active,
                                       std::optional<bool> auto_registration,
                                       std::optional<std::string> registration_config_json) {
  CaCertificatePtr updated;
  bool status_changed = false;
  {
    std::lock_guard w(write_mu_);
    auto old = find_ca(id);
    if (!old) return fault(Fault::kNotFound, "CA certificate " + std::string(id) + " does not exist");
    if (old->builtin && active && !*active) {
      return fault(Fault::kInvalidRequest, "the built-in CA cannot be deactivated");
    }
    auto copy = std::make_shared<CaCertificate>(*old);
    if (active) copy->active = *active;
    if (auto_registration) copy->auto_registration = *auto_registration;
    if (registration_config_json) copy->registration_config_json = *registration_config_json;
    status_changed = copy->active != old->active;
    if (!status_changed && copy->auto_registration == old->auto_registration &&
        copy->registration_config_json == old->registration_config_json) {
      return {};
    }
    copy->modified_ms = clock_.unix_ms();
    copy->customer_version += 1;
    copy->generation_id = new_generation_id();
    auto st = db_->cached(
        "UPDATE ca_certificates SET status = ?, auto_registration = ?, registration_config = ?, modified_at_ms = ?, "
        "customer_version = ?, generation_id = ? WHERE certificate_id = ?");
    if (!st) return core::propagate(std::move(st));
    (*st)->bind_text(1, copy->active ? "ACTIVE" : "INACTIVE")
        .bind(2, copy->auto_registration ? 1 : 0)
        .bind_text(3, copy->registration_config_json)
        .bind(4, copy->modified_ms)
        .bind(5, copy->customer_version)
        .bind_text(6, copy->generation_id)
        .bind_text(7, copy->id);
    if (auto r = (*st)->run(); !r) return r;
    updated = copy;
    std::unique_lock l(mu_);
    cas_[copy->id] = updated;
  }
  Change ch{Change::kCaStatus, {}, updated->id, {}, {}, {}};
  if (status_changed) ch.affected = certificates_of_ca(updated->id);
  notify(ch);
  return {};
}

core::Result<void> Registry::remove_ca(std::string_view id) {
  CaCertificatePtr ca;
  {
    std::lock_guard w(write_mu_);
    ca = find_ca(id);
    if (!ca) return fault(Fault::kNotFound, "CA certificate " + std::string(id) + " does not exist");
    if (ca->builtin) return fault(Fault::kCertificateState, "the built-in CA cannot be deleted");
    if (ca->active) {
      return fault(Fault::kCertificateState,
                   "CA certificate " + ca->id + " is ACTIVE; set it INACTIVE (UpdateCACertificate) before deleting it");
    }
    if (auto n = certificates_of_ca(ca->id).size(); n > 0) {
      return fault(Fault::kCertificateState, "CA certificate " + ca->id + " still has " + std::to_string(n) +
                                                 " registered certificate(s); delete them first");
    }
    auto txn = store::Txn::begin(*db_);
    if (!txn) return core::propagate(std::move(txn));
    for (const char* sql : {"DELETE FROM ca_crls WHERE ca_certificate_id = ?",
                            "DELETE FROM ca_certificates WHERE certificate_id = ?"}) {
      auto st = db_->cached(sql);
      if (!st) return core::propagate(std::move(st));
      (*st)->bind_text(1, ca->id);
      if (auto r = (*st)->run(); !r) return r;
    }
    if (auto r = txn->commit(); !r) return r;
    std::unique_lock l(mu_);
    cas_.erase(ca->id);
  }
  notify(Change{Change::kCaDeleted, {}, ca->id, {}, {}, {}});
  return {};
}

core::Result<std::shared_ptr<const pki::Crl>> Registry::load_crl(std::string_view ca_id, std::string_view bytes) {
  auto parsed = pki::parse_crl(bytes);
  if (!parsed) return fault(Fault::kCertificateValidation, "CRL: " + parsed.error().detail);
  auto crl = std::make_shared<const pki::Crl>(std::move(*parsed));
  std::vector<std::string> affected;
  {
    std::lock_guard w(write_mu_);
    auto old = find_ca(ca_id);
    if (!old) return fault(Fault::kNotFound, "CA certificate " + std::string(ca_id) + " does not exist");
    if (old->builtin) {
      return fault(Fault::kInvalidRequest,
                   "the built-in CA takes no CRL: revoke its certificates with UpdateCertificate newStatus=REVOKED");
    }
    if (auto r = pki::verify_crl_issued_by(*crl, old->pem); !r) {
      return fault(Fault::kCertificateValidation, "CRL not issued by CA " + old->id + ": " + r.error().detail);
    }
    const auto now = clock_.unix_ms();
    auto txn = store::Txn::begin(*db_);
    if (!txn) return core::propagate(std::move(txn));
    {
      auto del = db_->cached("DELETE FROM ca_crls WHERE ca_certificate_id = ?");
      if (!del) return core::propagate(std::move(del));
      (*del)->bind_text(1, old->id);
      if (auto r = (*del)->run(); !r) return core::propagate(std::move(r));
    }
    auto st = db_->cached("INSERT INTO ca_crls (ca_certificate_id, crl_der, loaded_at_ms) VALUES (?, ?, ?)");
    if (!st) return core::propagate(std::move(st));
    (*st)->bind_text(1, old->id).bind_blob(2, crl->der).bind(3, now);
    if (auto r = (*st)->run(); !r) return core::propagate(std::move(r));
    if (auto r = txn->commit(); !r) return core::propagate(std::move(r));
    auto copy = std::make_shared<CaCertificate>(*old);
    copy->crl = crl;
    copy->crl_loaded_ms = now;
    std::unique_lock l(mu_);
    cas_[copy->id] = std::move(copy);
    for (const auto& [id, c] : certs_) {
      if (c->ca_certificate_id == old->id && crl->is_revoked(c->info.serial_hex)) affected.push_back(id);
    }
  }
  std::sort(affected.begin(), affected.end());
  notify(Change{Change::kCrlLoaded, {}, std::string(ca_id), std::move(affected), {}, {}});
  return crl;
}

core::Result<void> Registry::remove_crl(std::string_view ca_id) {
  {
    std::lock_guard w(write_mu_);
    auto old = find_ca(ca_id);
    if (!old) return fault(Fault::kNotFound, "CA certificate " + std::string(ca_id) + " does not exist");
    if (!old->crl) return fault(Fault::kNotFound, "CA certificate " + old->id + " has no CRL");
    auto st = db_->cached("DELETE FROM ca_crls WHERE ca_certificate_id = ?");
    if (!st) return core::propagate(std::move(st));
    (*st)->bind_text(1, old->id);
    if (auto r = (*st)->run(); !r) return r;
    auto copy = std::make_shared<CaCertificate>(*old);
    copy->crl.reset();
    copy->crl_loaded_ms = 0;
    std::unique_lock l(mu_);
    cas_[copy->id] = std::move(copy);
  }
  notify(Change{Change::kCrlLoaded, {}, std::string(ca_id), {}, {}, {}});
  return {};
}

core::Result<void> register_offline(const std::string& db_path, std::string_view cert_pem,
                                    const pki::CertAndKey& builtin_ca, const core::Clock& clock) {
  if (auto r = pki::verify_issued_by(cert_pem, builtin_ca.cert_pem); !r) {
    return core::fail(Errc::kInvalidArgument, "not issued by the built-in CA: " + r.error().detail);
  }
  auto reg = Registry::open(db_path, builtin_ca, control::Partition{}, clock);
  if (!reg) return core::propagate(std::move(reg));
  auto r = (*reg)->register_certificate(cert_pem, true, builtin_ca.cert_pem, Status::kActive);
  if (!r && fault_of(r.error()) != Fault::kAlreadyExists) return core::propagate(std::move(r));
  return {};
}

}  // namespace tenet::certs
