#include "server/server.h"

#include <csignal>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>

#include "authz/authorizer.h"
#include "broker/broker.h"
#include "control/access_keys.h"
#include "control/audit_log.h"
#include "control/dispatcher.h"
#include "control/http_server.h"
#include "control/operations.h"
#include "control/tags.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/net/tls.h"
#include "server/data_dir.h"
#include "store/broker_store.h"

namespace tenet::server {
namespace {

std::string host_port(const boost::asio::ip::tcp::endpoint& ep) {
  const auto a = ep.address();
  std::string out;
  if (a.is_v6()) out.push_back('[');
  out += a.to_string();
  if (a.is_v6()) out.push_back(']');
  out.push_back(':');
  out += std::to_string(ep.port());
  return out;
}

// The host DescribeEndpoint hands to devices.
std::string endpoint_host(const Config& c) {
  if (!c.endpoint_host.empty()) return c.endpoint_host;
  const auto& b = c.mqtt.bind_address;
  if (b.empty() || b == "0.0.0.0" || b == "::") return "localhost";
  return b;
}

core::Result<void> fail_stop(broker::Broker& broker, core::Error e) {
  broker.stop();
  return core::fail(std::move(e));
}

}  // namespace

core::Result<void> run(const Config& config) {
  if (config.data_dir.empty()) return core::fail(core::Errc::kInvalidArgument, "--data-dir is required");
  if (auto r = validate_identity(config); !r) return r;
  auto dir = open_data_dir(config.data_dir, config.server_names, config.region);
  if (!dir) return core::propagate(std::move(dir));

  store::SqliteOptions so;
  so.path = dir->db_path();
  auto store = store::open_sqlite(so);
  if (!store) return core::fail(std::move(store).error().with_context("opening " + so.path));

  std::unique_ptr<authz::Authorizer> authorizer;
  if (config.authz_mode == AuthzMode::kAllowAuthenticated) {
    core::log::warn("authz.mode = allow-authenticated: every device with a valid certificate may do anything. "
                    "For tests and demos only.");
    authorizer = std::make_unique<authz::AllowAuthenticated>();
  } else {
    authorizer = std::make_unique<authz::DenyAll>();
  }

  core::net::ServerTlsOptions tls;
  tls.cert_pem = dir->server.cert_pem;
  tls.key_pem = dir->server.key_pem;
  tls.client_ca_pems = {dir->ca.cert_pem};
  tls.require_client_cert = true;
  tls.alpn = {"x-amzn-mqtt-ca", "mqtt"};
  auto ctx = core::net::make_server_context(tls);
  if (!ctx) return core::propagate(std::move(ctx));

  core::SystemClock clock;
  broker::Broker broker(config.mqtt, *ctx, *authorizer, **store, clock);
  if (auto r = broker.start(); !r) return r;

  // Control plane: access keys, routes, audit trail, HTTPS listener.
  auto keys = control::AccessKeys::open(dir->db_path(), dir->master_key, clock);
  if (!keys) return fail_stop(broker, std::move(keys).error().with_context("loading access keys"));
  if (auto r = (*keys)->ensure_bootstrap(dir->admin.access_key_id, dir->admin.secret_access_key); !r) {
    return fail_stop(broker, std::move(r).error());
  }
  auto tags = control::Tags::open(dir->db_path());
  if (!tags) return fail_stop(broker, std::move(tags).error());
  auto audit = control::AuditLog::open(dir->audit_log_path());
  if (!audit) return fail_stop(broker, std::move(audit).error());

  control::Partition partition{config.region, config.account_id};
  control::Router router;
  control::add_endpoint_operations(
      router, control::Endpoints{control::advertised_endpoint(endpoint_host(config), broker.endpoint().port()), "", ""});
  control::add_access_key_operations(router, **keys);
  control::add_tag_operations(router, **tags);
  control::add_introspection_operations(router);

  control::Dispatcher dispatcher(router, **keys,
                                 control::AuthOptions{config.region, std::chrono::seconds(config.clock_skew_seconds)},
                                 clock, [a = audit->get()](const boost::json::object& ev) { a->write(ev); });
  dispatcher.on_authenticated([k = keys->get()](std::string_view id) { k->touch(id); });

  core::net::ServerTlsOptions ctls;
  ctls.cert_pem = dir->server.cert_pem;
  ctls.key_pem = dir->server.key_pem;
  ctls.require_client_cert = false;
  ctls.alpn = {"http/1.1"};
  auto control_ctx = core::net::make_server_context(ctls);
  if (!control_ctx) return fail_stop(broker, std::move(control_ctx).error());
  control::HttpServer api(config.control, *control_ctx, dispatcher);
  if (auto r = api.start(); !r) return fail_stop(broker, std::move(r).error());

  boost::json::object endpoints{{"mqtt", host_port(broker.endpoint())},
                                {"control", "https://" + host_port(api.endpoint())}};
  if (auto r = pki::write_file_atomic(dir->endpoints_path(), boost::json::serialize(endpoints) + "\n", 0644); !r) {
    api.stop();
    broker.stop();
    return r;
  }
  core::log::info("tenet listening: mqtt {} (mTLS), control https://{} (SigV4, region {}), data dir {}",
                  host_port(broker.endpoint()), host_port(api.endpoint()), config.region, dir->path);

  boost::asio::io_context signals_ctx(1);
  boost::asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);
  int received = 0;
  signals.async_wait([&](boost::system::error_code, int sig) { received = sig; });
  signals_ctx.run();
  core::log::info("signal {}: shutting down", received);
  api.stop();
  broker.stop();
  (*store)->close();
  core::log::info("shutdown complete");
  return {};
}

}  // namespace tenet::server
