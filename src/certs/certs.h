#pragma once

// The certificate and CA registry (issue 4, docs/identity.md#certificates-and-cas): device
// certificates and the CAs that issue them, in the AWS IoT shapes (certificate id = lowercase hex
// SHA-256 of the DER, statuses ACTIVE/INACTIVE/REVOKED/...), the CONNECT-time admission check, JITR,
// customer-CA CRLs, and the control-plane operations (add_operations).
//
// Storage: tables of migration 0003_certs.sql (docs/formats/sql-schema.md). Everything is loaded
// into memory at open(); every change is written to SQLite first (one transaction), then applied
// to memory, then announced to observers.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "control/arn.h"
#include "core/clock.h"
#include "core/result.h"
#include "pki/crl.h"
#include "pki/inspect.h"
#include "pki/pki.h"

namespace tenet::store {
class Db;
}
namespace tenet::control {
class Router;
class Tags;
}  // namespace tenet::control

namespace tenet::certs {

// AWS CertificateStatus.
enum class Status { kActive, kInactive, kRevoked, kPendingTransfer, kRegisterInactive, kPendingActivation };
std::string_view to_string(Status s);                      // "ACTIVE", "PENDING_ACTIVATION", ...
std::optional<Status> parse_status(std::string_view text);  // exact AWS spelling

// Registry failures carry a core::Errc (coarse) and, as Error::cause, one of these (the AWS error
// the control plane answers with). See fault_of().
enum class Fault {
  kInvalidRequest = 1,      // 400 InvalidRequestException
  kNotFound,                // 404 ResourceNotFoundException
  kAlreadyExists,           // 409 ResourceAlreadyExistsException
  kCertificateState,        // 406 CertificateStateException
  kCertificateValidation,   // 400 CertificateValidationException
  kCertificateConflict,     // 409 CertificateConflictException
  kRegistrationCode,        // 400 RegistrationCodeValidationException
  kDeleteConflict,          // 409 DeleteConflictException
  kLimitExceeded,           // 410 LimitExceededException
};
const std::error_category& fault_category();
// The Fault of a registry error; nullopt for errors from elsewhere (store, pki internals).
std::optional<Fault> fault_of(const core::Error& e);

// One registered device certificate: an immutable snapshot (a change replaces the snapshot).
struct Certificate {
  std::string id;                 // lowercase hex SHA-256 of the DER
  std::string arn;                // arn:aws:iot:<region>:<account>:cert/<id>
  std::string pem;
  std::string ca_certificate_id;  // "" when registered without a CA (RegisterCertificateWithoutCA)
  Status status = Status::kInactive;
  std::int64_t created_ms = 0;
  std::int64_t modified_ms = 0;
  std::int64_t customer_version = 1;  // +1 at every change
  std::string generation_id;          // new random id at every change
  std::chrono::sys_seconds not_before{};
  std::chrono::sys_seconds not_after{};
  std::string mode = "DEFAULT";  // certificateMode; tenet serves DEFAULT only (no SNI_ONLY)
  pki::CertInfo info;            // subject, serial, key, ... (as parsed at load)
};

struct CaCertificate {
  std::string id;
  std::string arn;  // arn:aws:iot:<region>:<account>:cacert/<id>
  std::string pem;
  bool active = false;
  bool auto_registration = false;
  bool builtin = false;  // the data dir's CA: always ACTIVE, cannot be deleted
  std::int64_t created_ms = 0;
  std::int64_t modified_ms = 0;
  std::int64_t customer_version = 1;
  std::string generation_id;
  std::chrono::sys_seconds not_before{};
  std::chrono::sys_seconds not_after{};
  std::string registration_config_json;  // RegistrationConfig as JSON text, "" when none
  pki::CertInfo info;
  std::shared_ptr<const pki::Crl> crl;  // the imported CRL, null when none
  std::int64_t crl_loaded_ms = 0;
};

using CertificatePtr = std::shared_ptr<const Certificate>;
using CaCertificatePtr = std::shared_ptr<const CaCertificate>;

// Why admit() refused a certificate (kNone: admitted).
enum class Refusal {
  kNone,
  kUnknown,            // not registered, and no auto-registering ACTIVE CA issued it
  kInactive,           // status INACTIVE, REGISTER_INACTIVE or PENDING_TRANSFER
  kRevoked,            // status REVOKED, or its serial is on its CA's CRL
  kExpired,            // now > notAfter
  kNotYetValid,        // now < notBefore
  kCaInactive,         // its CA is INACTIVE
  kCaUnknown,          // its CA is no longer registered (data damage: DeleteCACertificate prevents it)
  kPendingActivation,  // PENDING_ACTIVATION (JITR: registered at this or an earlier attempt)
  kMalformed,          // the bytes are not one DER certificate
};
std::string_view to_string(Refusal r);  // "UNKNOWN", "INACTIVE", ...

struct Admission {
  Refusal refusal = Refusal::kUnknown;
  CertificatePtr certificate;  // set whenever the certificate is registered (also when refused)
  std::string reason;          // operator-facing, e.g. "certificate 12ab... is INACTIVE"
  bool admitted() const { return refusal == Refusal::kNone; }
};

// A committed change, for observers.
struct Change {
  enum Kind {
    kCertificateStatus,   // a certificate's status changed (certificate_id)
    kCaStatus,            // a CA became ACTIVE/INACTIVE or its auto-registration changed
    kCrlLoaded,           // a CRL was imported, replaced or removed for ca_certificate_id
    kCertificateDeleted,  // certificate_id was deleted
    kRegisteredPending,   // JITR: certificate_id registered as PENDING_ACTIVATION
    kCertificateAdded,    // a certificate was created or registered (any status)
    kCaAdded,             // a CA was registered
    kCaDeleted,           // a CA was deleted
  };
  Kind kind;
  std::string certificate_id;     // "" for CA-level changes
  std::string ca_certificate_id;  // the CA concerned ("" for a certificate without CA)
  // Registered certificates whose admission may now differ (sessions using them should be
  // re-checked with admit() or closed): the certificate itself, every certificate of a CA that
  // changed, or the certificates on a new CRL.
  std::vector<std::string> affected;
  // kRegisteredPending only: the AWS event to publish on MQTT.
  std::string event_topic;    // $aws/events/certificates/registered/<caCertificateId>
  std::string event_payload;  // {"certificateId", "caCertificateId", "timestamp", ...}
};

// Key algorithm of CreateKeysAndCertificate (tenet extension: query parameter `keyAlgorithm`).
std::optional<pki::KeyType> parse_key_algorithm(std::string_view text);  // "EC_P256", "EC_P384", "RSA_2048"

struct Options {
  int issued_valid_days = 3650;  // validity of certificates made by CreateKeysAndCertificate/FromCsr
};

// The registry. Owned by the composition root; must outlive the router it adds operations to.
// Thread-safe: reads (admit, find, list...) take a shared lock on the in-memory maps and never touch
// SQLite; writes are serialised by a writer mutex that also owns the database connection, commit to
// SQLite, then swap snapshots in under the exclusive lock (held only for the map update), then
// call observers with no lock held.
class Registry {
 public:
  // Opens the tables in the migrated database at `db_path`, loads everything, and registers
  // `builtin_ca` (ACTIVE, builtin) if missing. A built-in CA of an earlier data dir stays
  // registered as an ordinary CA (logged). Errors: kUnavailable, kInternal, kInvalidArgument
  // (builtin_ca does not parse).
  static core::Result<std::unique_ptr<Registry>> open(const std::string& db_path, const pki::CertAndKey& builtin_ca,
                                                      control::Partition partition, const core::Clock& clock,
                                                      Options options = {});
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // CONNECT-time check, callable from any thread. `cert` is the client's leaf certificate as DER
  // (or PEM). Order: registered? (else JITR, else kUnknown) -> status -> CA registered and ACTIVE
  // -> validity window at `now` -> not on the CA's CRL. Cost: one SHA-256 of the DER and a hash
  // lookup under a shared lock. Unregistered certificates are also parsed (to find an issuing CA);
  // only the JITR case writes SQL (one INSERT, serialised with the control plane's writes) and
  // calls observers on the calling thread.
  Admission admit(std::string_view cert, std::chrono::system_clock::time_point now);

  CertificatePtr find(std::string_view certificate_id) const;
  CaCertificatePtr find_ca(std::string_view ca_certificate_id) const;
  const std::string& builtin_ca_id() const { return builtin_id_; }
  // PEMs of the ACTIVE CAs (for a TLS trust store).
  std::vector<std::string> trusted_ca_pems() const;
  // Ids of the registered certificates issued by `ca_id`, sorted.
  std::vector<std::string> certificates_of_ca(std::string_view ca_id) const;
  // Whether the certificate's serial is on its CA's imported CRL.
  bool revoked_by_crl(const Certificate& cert) const;
  // Sorted by (creation time, id), ascending.
  std::vector<CertificatePtr> list() const;
  std::vector<CaCertificatePtr> list_cas() const;

  // Observers run after the change is committed, on the thread that made it (the control plane,
  // or a network thread for JITR), with no registry lock held: they may call read functions but
  // must not call writes. Register them before serving.
  void on_change(std::function<void(const Change&)> observer);
  // Whether things are attached to a certificate ARN (DeleteCertificate answers 409 when true).
  // Set before serving; unset means "nothing attached".
  void set_attached_query(std::function<bool(std::string_view certificate_arn)> query);

  // ---- writes (control plane; also usable by CLI verbs). Errors carry a Fault (fault_of). ----

  struct Created {
    CertificatePtr certificate;
    pki::KeysAndCertificate keys;  // private key: returned once, never stored
  };
  // CreateKeysAndCertificate: a key pair and certificate signed by the built-in CA.
  core::Result<Created> create_keys_and_certificate(pki::KeyType key_type, bool set_active);
  // CreateCertificateFromCsr. Faults: kInvalidRequest (bad CSR, weak key: message says why).
  core::Result<CertificatePtr> create_from_csr(std::string_view csr_pem, bool set_active);
  // RegisterCertificate (with_ca) or RegisterCertificateWithoutCA. With a CA: `ca_pem` names a
  // registered CA, else the issuing CA is looked up among the registered ones.
  // Faults: kCertificateValidation (does not parse, expired, weak key, no registered CA issued it),
  // kCertificateState (the CA is INACTIVE), kCertificateConflict (several registered CAs could
  // have issued it), kAlreadyExists, kInvalidRequest (status PENDING_TRANSFER).
  core::Result<CertificatePtr> register_certificate(std::string_view cert_pem, bool with_ca,
                                                    std::optional<std::string_view> ca_pem, Status status);
  // UpdateCertificate. Faults: kNotFound, kInvalidRequest (PENDING_*, REGISTER_INACTIVE),
  // kCertificateState (leaving REVOKED: revocation is terminal).
  core::Result<void> set_status(std::string_view certificate_id, Status status);
  // DeleteCertificate. Faults: kNotFound, kCertificateState (ACTIVE), kDeleteConflict (things attached).
  core::Result<void> remove(std::string_view certificate_id);

  // GetRegistrationCode: one stable code per data dir (generated at first use, persisted).
  core::Result<std::string> registration_code();
  struct CaRegistration {
    std::string ca_pem;
    std::string verification_pem;  // required: proof of possession (CN = registration code)
    bool set_active = false;
    bool allow_auto_registration = false;
    std::string registration_config_json;
  };
  // RegisterCACertificate. Faults: kCertificateValidation (not a CA, expired, verification
  // certificate not issued by it), kRegistrationCode (verification CN is not the code),
  // kAlreadyExists, kLimitExceeded (10 CAs with the same subject), kInvalidRequest.
  core::Result<CaCertificatePtr> register_ca(const CaRegistration& request);
  // UpdateCACertificate; nullopt leaves a field unchanged. Faults: kNotFound, kInvalidRequest
  // (deactivating the built-in CA).
  core::Result<void> update_ca(std::string_view ca_id, std::optional<bool> active, std::optional<bool> auto_registration,
                               std::optional<std::string> registration_config_json);
  // DeleteCACertificate. Faults: kNotFound, kCertificateState (ACTIVE, built-in, or certificates
  // registered with it still exist).
  core::Result<void> remove_ca(std::string_view ca_id);
  // tenet's CRL import: parses (PEM or DER), verifies against the CA, persists and replaces the
  // CA's CRL. Faults: kNotFound, kInvalidRequest (the built-in CA: revoke its certificates with
  // UpdateCertificate), kCertificateValidation (does not parse, not issued by this CA).
  core::Result<std::shared_ptr<const pki::Crl>> load_crl(std::string_view ca_id, std::string_view crl_pem_or_der);
  // Faults: kNotFound (no CA, or no CRL).
  core::Result<void> remove_crl(std::string_view ca_id);

  const control::Partition& partition() const { return partition_; }

  // The control-plane operations (docs/identity.md): the certificate and CA operations of the AWS
  // model plus tenet's CRL operations; makes "cacert" ARNs taggable. `tags` must outlive the router.
  void add_operations(control::Router& router, control::Tags& tags);

 private:
  Registry(std::unique_ptr<store::Db> db, const pki::CertAndKey& builtin_ca, control::Partition partition,
           const core::Clock& clock, Options options);
  core::Result<void> load();
  core::Result<void> ensure_builtin();
  core::Result<CertificatePtr> insert_certificate(std::string_view pem, const pki::CertInfo& info, std::string ca_id,
                                                  Status status, Change::Kind kind);  // REQUIRES: write_mu_ held
  CaCertificatePtr issuing_ca_for_jitr(const pki::CertInfo& info, std::string_view pem) const;
  void notify(const Change& change);
  std::string new_generation_id() const;

  const pki::CertAndKey builtin_ca_;
  const control::Partition partition_;
  const core::Clock& clock_;
  const Options options_;
  std::string builtin_id_;

  std::mutex write_mu_;             // serialises writers; guards db_
  std::unique_ptr<store::Db> db_;   // TENET_GUARDED_BY(write_mu_)

  mutable std::shared_mutex mu_;  // guards the maps below and the hooks
  std::unordered_map<std::string, CertificatePtr> certs_;
  std::unordered_map<std::string, CaCertificatePtr> cas_;
  std::vector<std::function<void(const Change&)>> observers_;
  std::function<bool(std::string_view)> attached_;
};

// For `tenet ca issue` against a data dir while the server is stopped: registers `cert_pem`
// (issued by `builtin_ca`) as ACTIVE in the database at `db_path` (migrated), which the server
// loads at its next start. Registering an already registered certificate succeeds (no change).
// Errors: kInvalidArgument (not issued by builtin_ca), kUnavailable, kInternal.
core::Result<void> register_offline(const std::string& db_path, std::string_view cert_pem,
                                    const pki::CertAndKey& builtin_ca, const core::Clock& clock);

// The JITR event topic for a CA.
std::string registered_event_topic(std::string_view ca_certificate_id);

}  // namespace tenet::certs
