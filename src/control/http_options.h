#pragma once

// Limits of the control plane's HTTPS listener (docs/api.md#listener). A plain struct, kept apart
// from http_server.h so that configuration code does not pull in Asio and Beast.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tenet::control {

struct HttpOptions {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 9443;  // 0 = any free port
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  int max_requests_per_connection = 1000;
  std::chrono::seconds idle_timeout{30};
  std::chrono::seconds handshake_timeout{10};
  int max_connections = 256;
};

}  // namespace tenet::control
