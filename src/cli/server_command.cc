#include <memory>

#include "cli/commands.h"
#include "core/log.h"
#include "server/config.h"
#include "server/server.h"

namespace tenet::cli {

void add_server_command(CLI::App& app) {
  struct Flags {
    std::string data_dir, config, log_level, log_format, bind, authz, control_bind, region, account_id, endpoint_host;
    int control_port = -1;
    std::vector<std::string> server_names;
    int mqtt_port = -1;
    int threads = -1;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("server", "Run the hub");
  cmd->add_option("--data-dir", f->data_dir, "Data directory (created with mode 0700 on first start)");
  cmd->add_option("--config", f->config, "TOML config file; flags override it")->check(CLI::ExistingFile);
  cmd->add_option("--mqtt-port", f->mqtt_port, "MQTT (mTLS) port; 0 picks a free one")->check(CLI::Range(0, 65535));
  cmd->add_option("--bind", f->bind, "Address of the MQTT listener (default 127.0.0.1)");
  cmd->add_option("--threads", f->threads, "Event loops (default: one per core)")->check(CLI::Range(0, 256));
  cmd->add_option("--log-level", f->log_level, "trace|debug|info|warn|error");
  cmd->add_option("--log-format", f->log_format, "text|json");
  cmd->add_option("--server-name", f->server_names, "Extra DNS name or IP for the server certificate");
  cmd->add_option("--control-port", f->control_port, "HTTPS control-plane port (default 9443); 0 picks a free one")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--control-bind", f->control_bind, "Address of the control-plane listener (default 127.0.0.1)");
  cmd->add_option("--region", f->region, "Region in ARNs and the SigV4 scope (default us-east-1)");
  cmd->add_option("--account-id", f->account_id, "12-digit account id in ARNs (default 000000000000)");
  cmd->add_option("--endpoint-host", f->endpoint_host, "Host name DescribeEndpoint gives devices");
  cmd->add_option("--authz", f->authz, "policy (default: AWS IoT policies) | deny | allow-authenticated (tests and demos only)");
  cmd->callback([f] {
    server::Config c;
    if (!f->config.empty()) {
      auto r = server::load_config(f->config);
      if (!r) return set_exit_code(r.error());
      c = std::move(*r);
    }
    if (!f->data_dir.empty()) c.data_dir = f->data_dir;
    if (f->mqtt_port >= 0) c.mqtt.port = static_cast<std::uint16_t>(f->mqtt_port);
    if (!f->bind.empty()) c.mqtt.bind_address = f->bind;
    if (f->threads >= 0) c.mqtt.threads = static_cast<std::size_t>(f->threads);
    if (!f->log_level.empty()) c.log_level = f->log_level;
    if (!f->log_format.empty()) c.log_format = f->log_format;
    for (const auto& n : f->server_names) c.server_names.push_back(n);
    if (f->control_port >= 0) c.control.port = static_cast<std::uint16_t>(f->control_port);
    if (!f->control_bind.empty()) c.control.bind = f->control_bind;
    if (!f->region.empty()) c.region = f->region;
    if (!f->account_id.empty()) c.account_id = f->account_id;
    if (!f->endpoint_host.empty()) c.endpoint_host = f->endpoint_host;
    if (!f->authz.empty()) {
      auto m = server::parse_authz_mode(f->authz);
      if (!m) return set_exit_code(m.error());
      c.authz_mode = *m;
    }
    core::log::init(c.log_level, c.log_format == "json" ? core::log::Format::kJson : core::log::Format::kText);
    if (auto r = server::run(c); !r) return set_exit_code(r.error());
    set_exit_code(0);
  });
}

}  // namespace tenet::cli
