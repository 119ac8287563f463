// `tenet ca issue`: issue a device certificate offline from the data dir's root CA. The control-plane
// API (CreateKeysAndCertificate) is the online way; this one is for bootstrapping, tests and demos.
#include <memory>

#include <boost/json.hpp>

#include "certs/certs.h"
#include "cli/commands.h"
#include "control/client.h"
#include "core/clock.h"
#include "pki/pki.h"

namespace tenet::cli {
namespace {

core::Result<void> register_issued(const std::string& data_dir, const std::string& cert_pem,
                                   const pki::CertAndKey& ca) {
  control::ClientFlags flags;
  flags.data_dir = data_dir;
  if (auto cfg = control::resolve(flags)) {
    boost::json::object body{{"certificatePem", cert_pem}, {"caCertificatePem", ca.cert_pem}, {"status", "ACTIVE"}};
    auto r = control::send(*cfg, "POST", "/certificate/register?setAsActive=true", boost::json::serialize(body));
    if (r && r->ok()) return {};
    if (r) {
      return core::fail(core::Errc::kInternal, "RegisterCertificate failed: " + r->error_type + ": " + r->message);
    }
    if (r.error().code != core::Errc::kUnavailable) return core::propagate(std::move(r));
    // Not reachable: the server is not running; register offline below.
  }
  core::SystemClock clock;
  return certs::register_offline(data_dir + "/tenet.db", cert_pem, ca, clock);
}

}  // namespace

CLI::App* add_ca_command(CLI::App& app) {
  struct Flags {
    std::string data_dir, name, out_dir, key_type = "ec-p256";
    int days = 365;
  };
  auto f = std::make_shared<Flags>();
  auto* ca = app.add_subcommand("ca", "Work with the built-in certificate authority");
  ca->require_subcommand(1);
  auto* issue = ca->add_subcommand("issue", "Issue a device (client) certificate signed by the root CA");
  issue->add_option("--data-dir", f->data_dir, "Server data directory holding ca.pem and ca.key")->required();
  issue->add_option("--name", f->name, "Device name: the certificate's common name")->required();
  issue->add_option("--out-dir", f->out_dir, "Where to write NAME.pem and NAME.key")->required();
  issue->add_option("--days", f->days, "Validity in days")->check(CLI::Range(1, 36500));
  issue->add_option("--key-type", f->key_type, "ec-p256 | ec-p384 | rsa-2048");
  issue->callback([f] {
    auto cert = pki::read_file(f->data_dir + "/ca.pem");
    if (!cert) return set_exit_code(cert.error());
    auto key = pki::read_file(f->data_dir + "/ca.key");
    if (!key) return set_exit_code(key.error());
    pki::CertOptions o;
    o.common_name = f->name;
    o.valid_days = f->days;
    if (f->key_type == "ec-p384") {
      o.key_type = pki::KeyType::kEcP384;
    } else if (f->key_type == "rsa-2048") {
      o.key_type = pki::KeyType::kRsa2048;
    } else if (f->key_type != "ec-p256") {
      return set_exit_code(core::Error{core::Errc::kInvalidArgument, "unknown key type " + f->key_type});
    }
    auto issued = pki::issue(pki::CertAndKey{*cert, *key}, o, false);
    if (!issued) return set_exit_code(issued.error());
    if (auto r = pki::write_file_atomic(f->out_dir + "/" + f->name + ".key", issued->key_pem, 0600); !r) {
      return set_exit_code(r.error());
    }
    if (auto r = pki::write_file_atomic(f->out_dir + "/" + f->name + ".pem", issued->cert_pem, 0644); !r) {
      return set_exit_code(r.error());
    }
    // Zero trust: a certificate only counts once it is registered. Through the running server's API
    // (RegisterCertificate, so live indexes see it at once), else straight into the stopped
    // server's database (loaded at its next start).
    if (auto r = register_issued(f->data_dir, issued->cert_pem, pki::CertAndKey{*cert, *key}); !r) {
      return set_exit_code(r.error());
    }
    auto id = pki::certificate_id(issued->cert_pem);
    std::printf("%s\n", id ? id->c_str() : "");
    set_exit_code(0);
  });
  return ca;
}

}  // namespace tenet::cli
