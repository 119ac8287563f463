#include "server/server.h"

#include <csignal>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>

#include "authz/authorizer.h"
#include "broker/broker.h"
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

}  // namespace

core::Result<void> run(const Config& config) {
  if (config.data_dir.empty()) return core::fail(core::Errc::kInvalidArgument, "--data-dir is required");
  auto dir = open_data_dir(config.data_dir, config.server_names);
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

  boost::json::object endpoints{{"mqtt", host_port(broker.endpoint())}};
  if (auto r = pki::write_file_atomic(dir->endpoints_path(), boost::json::serialize(endpoints) + "\n", 0644); !r) {
    broker.stop();
    return r;
  }
  core::log::info("tenet listening: mqtt {} (mTLS), data dir {}", host_port(broker.endpoint()), dir->path);

  boost::asio::io_context signals_ctx(1);
  boost::asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);
  int received = 0;
  signals.async_wait([&](boost::system::error_code, int sig) { received = sig; });
  signals_ctx.run();
  core::log::info("signal {}: shutting down", received);
  broker.stop();
  (*store)->close();
  core::log::info("shutdown complete");
  return {};
}

}  // namespace tenet::server
