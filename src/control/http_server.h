#pragma once

// The control plane's HTTPS listener (Boost.Beast over TLS 1.2+): reads requests within the limits
// below, hands each to the Dispatcher on the listener's own thread, and writes the response. It
// never touches the broker's event loops. Slow or huge requests are cut off by the limits:
//   - header bytes over max_header_bytes: 431, connection closed
//   - body bytes over max_body_bytes: 413 RequestEntityTooLargeException, connection closed
//   - a request (or the gap before the next one) longer than idle_timeout: connection closed
//   - more than max_requests_per_connection on one connection: the last answer says close
//   - more than max_connections at once: new connections are closed at accept

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "control/dispatcher.h"
#include "control/http_options.h"
#include "core/result.h"

namespace tenet::control {

class HttpServer {
 public:
  // `tls` and `dispatcher` must outlive the server.
  HttpServer(HttpOptions options, std::shared_ptr<boost::asio::ssl::context> tls, Dispatcher& dispatcher);
  ~HttpServer();

  // Binds and starts the listener thread. Errors: kUnavailable (bind), kInvalidArgument (address).
  core::Result<void> start();
  boost::asio::ip::tcp::endpoint endpoint() const { return endpoint_; }
  // Stops accepting, closes connections and joins the thread. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  boost::asio::ip::tcp::endpoint endpoint_;
};

}  // namespace tenet::control
