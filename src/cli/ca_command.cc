// `tenet ca issue`: issue a device certificate offline from the data dir's root CA. The control-plane
// API (CreateKeysAndCertificate) is the online way; this one is for bootstrapping, tests and demos.
#include <memory>

#include "cli/commands.h"
#include "pki/pki.h"

namespace tenet::cli {

void add_ca_command(CLI::App& app) {
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
    auto id = pki::certificate_id(issued->cert_pem);
    std::printf("%s\n", id ? id->c_str() : "");
    set_exit_code(0);
  });
}

}  // namespace tenet::cli
