#include "server/data_dir.h"

#include <sys/stat.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <random>

#include <boost/json.hpp>

#include "core/log.h"

namespace tenet::server {
namespace {

namespace fs = std::filesystem;

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::string random_token(std::size_t n, std::string_view alphabet) {
  std::random_device rd;
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s.push_back(alphabet[rd() % alphabet.size()]);
  return s;
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

}  // namespace

core::Result<DataDir> open_data_dir(const std::string& dir, const std::vector<std::string>& server_names) {
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

  // Administrator credential for the control plane (SigV4 access key pair).
  const std::string admin_file = d.path + "/admin.json";
  if (fs::exists(admin_file)) {
    auto text = pki::read_file(admin_file);
    if (!text) return core::propagate(std::move(text));
    boost::system::error_code jec;
    auto v = boost::json::parse(*text, jec);
    if (jec || !v.is_object() || !v.as_object().contains("access_key_id")) {
      return core::fail(core::Errc::kInvalidArgument, admin_file + " is not a valid credential file");
    }
    d.admin.access_key_id = boost::json::value_to<std::string>(v.at("access_key_id"));
    d.admin.secret_access_key = boost::json::value_to<std::string>(v.at("secret_access_key"));
  } else {
    d.admin.access_key_id = "TNT" + random_token(17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
    d.admin.secret_access_key =
        random_token(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
    boost::json::object o{{"access_key_id", d.admin.access_key_id}, {"secret_access_key", d.admin.secret_access_key}};
    if (auto r = pki::write_file_atomic(admin_file, boost::json::serialize(o) + "\n", 0600); !r) {
      return core::propagate(std::move(r));
    }
  }
  return d;
}

}  // namespace tenet::server
