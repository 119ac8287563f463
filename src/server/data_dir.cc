#include "server/data_dir.h"

#include <sys/stat.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>


#include "control/access_keys.h"
#include "core/log.h"

namespace tenet::server {
namespace {

namespace fs = std::filesystem;

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}


core::Result<pki::CertAndKey> load_pair(const std::string& cert, const std::string& key) {
  auto c = pki::read_file(cert);
  if (!c) return core::propagate(std::move(c));
  auto k = pki::read_file(key);
  if (!k) return core::propagate(std::move(k));
  return pki::CertAndKey{*c, *k};
}

core::Result<void> save_pair(const pki::CertAndKey& p, const std::string& cert, const std::string& key) {
  if (auto r = pki::write_file_atomic(key, p.key_pem, 0600); !r) return r;
  return pki::write_file_atomic(cert, p.cert_pem, 0644);
}

std::string_view kAllBytes() {
  static const std::string all = [] {
    std::string a;
    for (int i = 0; i < 256; ++i) a.push_back(static_cast<char>(i));
    return a;
  }();
  return all;
}

}  // namespace

std::optional<AdminCredential> parse_credentials(std::string_view text) {
  AdminCredential c;
  bool in_default = false;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    auto trim = [](std::string_view v) {
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) v.remove_suffix(1);
      return v;
    };
    line = trim(line);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      in_default = line == "[default]";
      continue;
    }
    if (!in_default) continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    auto key = trim(line.substr(0, eq));
    auto value = trim(line.substr(eq + 1));
    if (key == "aws_access_key_id") c.access_key_id = std::string(value);
    if (key == "aws_secret_access_key") c.secret_access_key = std::string(value);
  }
  if (c.access_key_id.empty() || c.secret_access_key.empty()) return std::nullopt;
  return c;
}

core::Result<DataDir> open_data_dir(const std::string& dir, const std::vector<std::string>& server_names,
                                    const std::string& region) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return core::fail(core::Errc::kUnavailable, "cannot create data dir " + dir, ec);
  if (::chmod(dir.c_str(), 0700) != 0) {
    return core::fail(core::Errc::kUnavailable, "cannot chmod data dir " + dir, std::error_code(errno, std::generic_category()));
  }
  DataDir d;
  d.path = fs::absolute(dir).string();
  const std::string ca_pem = d.path + "/ca.pem", ca_key = d.path + "/ca.key";
  if (fs::exists(ca_pem) && fs::exists(ca_key)) {
    auto p = load_pair(ca_pem, ca_key);
    if (!p) return core::fail(std::move(p).error().with_context("loading the root CA"));
    d.ca = std::move(*p);
  } else {
    auto p = pki::create_root_ca("tenet root CA", 3650);
    if (!p) return core::propagate(std::move(p));
    if (auto r = save_pair(*p, ca_pem, ca_key); !r) return core::propagate(std::move(r));
    d.ca = std::move(*p);
    core::log::info("created root CA {}", ca_pem);
  }

  // Server certificate: localhost, loopback and the configured names.
  pki::CertOptions so;
  so.common_name = "tenet server";
  so.dns_names = {"localhost"};
  so.ip_addresses = {"127.0.0.1", "::1"};
  for (const auto& n : server_names) (is_ip(n) ? so.ip_addresses : so.dns_names).push_back(n);
  so.valid_days = 825;
  const std::string srv_pem = d.path + "/server.pem", srv_key = d.path + "/server.key";
  const std::string names_file = d.path + "/server.names";
  std::string names_line;
  for (const auto& n : so.dns_names) names_line += n + "\n";
  for (const auto& n : so.ip_addresses) names_line += n + "\n";
  auto old_names = pki::read_file(names_file);
  if (fs::exists(srv_pem) && fs::exists(srv_key) && old_names && *old_names == names_line) {
    auto p = load_pair(srv_pem, srv_key);
    if (!p) return core::fail(std::move(p).error().with_context("loading the server certificate"));
    d.server = std::move(*p);
  } else {
    auto p = pki::issue(d.ca, so, true);
    if (!p) return core::propagate(std::move(p));
    if (auto r = save_pair(*p, srv_pem, srv_key); !r) return core::propagate(std::move(r));
    if (auto r = pki::write_file_atomic(names_file, names_line, 0644); !r) return core::propagate(std::move(r));
    d.server = std::move(*p);
    core::log::info("issued server certificate {}", srv_pem);
  }

  // Master key sealing the access-key secrets in the database (docs/operations.md#secrets).
  const std::string master_file = d.path + "/master.key";
  if (fs::exists(master_file)) {
    auto k = pki::read_file(master_file);
    if (!k) return core::propagate(std::move(k));
    if (k->size() != 32) return core::fail(core::Errc::kInvalidArgument, master_file + " must hold exactly 32 bytes");
    d.master_key = std::move(*k);
  } else {
    d.master_key = control::random_string(32, kAllBytes());
    if (auto r = pki::write_file_atomic(master_file, d.master_key, 0600); !r) return core::propagate(std::move(r));
  }

  // Administrator credential for the control plane, in the AWS shared-credentials format.
  const std::string cred_file = d.credentials_path();
  if (fs::exists(cred_file)) {
    auto text = pki::read_file(cred_file);
    if (!text) return core::propagate(std::move(text));
    auto parsed = parse_credentials(*text);
    if (!parsed) return core::fail(core::Errc::kInvalidArgument, cred_file + " has no [default] access key pair");
    d.admin = std::move(*parsed);
  } else {
    d.admin.access_key_id = "TNTA" + control::random_string(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
    d.admin.secret_access_key =
        control::random_string(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
  }
  // Rewritten at every start so the region follows the config.
  const std::string creds = "# tenet bootstrap administrator (AWS shared-credentials format). Keep it secret.\n"
                            "[default]\naws_access_key_id = " + d.admin.access_key_id +
                            "\naws_secret_access_key = " + d.admin.secret_access_key + "\nregion = " + region + "\n";
  if (auto r = pki::write_file_atomic(cred_file, creds, 0600); !r) return core::propagate(std::move(r));
  const std::string config = "# AWS CLI config for this tenet server: AWS_CONFIG_FILE=" + d.aws_config_path() +
                             "\n[default]\nregion = " + region + "\nca_bundle = " + d.path + "/ca.pem\n";
  if (auto r = pki::write_file_atomic(d.aws_config_path(), config, 0644); !r) return core::propagate(std::move(r));
  return d;
}

}  // namespace tenet::server
