#include "cli/api_client.h"

#include <cstdio>
#include <ctime>
#include <iostream>

#include <boost/json.hpp>

#include "cli/commands.h"

namespace tenet::cli {

namespace json = boost::json;

void add_conn_flags(CLI::App* cmd, const std::shared_ptr<Conn>& c) {
  cmd->add_option("--data-dir", c->flags.data_dir, "A tenet data dir (endpoint, admin credentials, CA); or TENET_DATA_DIR");
  cmd->add_option("--endpoint-url", c->flags.endpoint_url, "Control-plane URL, e.g. https://127.0.0.1:9443");
  cmd->add_option("--profile", c->flags.profile, "Profile in the AWS shared-credentials file");
  cmd->add_option("--region", c->flags.region, "Region to sign for");
  cmd->add_option("--ca-bundle", c->flags.ca_bundle, "CA certificate(s) to trust for the server");
  cmd->add_flag("--json", c->json, "Print the API's JSON response");
}

std::string format_time(const json::value& v) {
  if (!v.is_number()) return "-";
  std::time_t t = static_cast<std::time_t>(v.to_number<double>());
  char buf[32];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string str(const json::object& o, std::string_view k) {
  auto it = o.find(k);
  if (it == o.end()) return "-";
  if (it->value().is_string()) return std::string(it->value().as_string());
  return json::serialize(it->value());
}

// Sends the call; on failure prints the error and sets the exit code. Returns the JSON on success.
std::optional<json::value> call(const Conn& c, std::string_view method, const std::string& target,
                                const std::string& body) {
  auto cfg = control::resolve(c.flags);
  if (!cfg) {
    set_exit_code(cfg.error());
    return std::nullopt;
  }
  auto r = control::send(*cfg, method, target, body);
  if (!r) {
    set_exit_code(r.error());
    return std::nullopt;
  }
  if (!r->ok()) {
    std::fprintf(stderr, "tenet: %s (HTTP %d): %s\n", r->error_type.empty() ? "error" : r->error_type.c_str(), r->status,
                 r->message.empty() ? r->body.c_str() : r->message.c_str());
    set_exit_code(api_exit_code(r->status));
    return std::nullopt;
  }
  set_exit_code(0);
  return std::move(r->json);
}

void print_json(const json::value& v) { std::cout << json::serialize(v) << "\n"; }

void print_table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> w(head.size());
  for (std::size_t i = 0; i < head.size(); ++i) w[i] = head[i].size();
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
  auto line = [&](const std::vector<std::string>& r) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      std::cout << r[i];
      if (i + 1 < r.size()) std::cout << std::string(w[i] - r[i].size() + 2, ' ');
    }
    std::cout << "\n";
  };
  line(head);
  for (const auto& r : rows) line(r);
}

}  // namespace tenet::cli
