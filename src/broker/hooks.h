#pragma once

// What the broker asks and tells the rest of tenet about connections (identity, lifecycle events).
// The server installs one Hooks before Broker::start(); the default does nothing and admits all.
// Every method is called on the connection's event loop: implementations must be thread-safe, must
// not block on I/O (no SQL on this path), and must not call back into the broker synchronously.

#include <cstdint>
#include <string>
#include <string_view>

#include "authz/authorizer.h"
#include "mqtt/packet.h"

namespace tenet::broker {

struct Admission {
  bool admitted = true;
  // What a v5 client reads in CONNACK (v3.1.1 gets return code 5, not authorized). Keep it generic:
  // it must not tell a prober whether a certificate is known.
  std::string public_reason;
  // Why, for the server log only (certificate unknown / inactive / revoked / expired / CA inactive).
  std::string log_reason;
};

class Hooks {
 public:
  virtual ~Hooks() = default;

  // At CONNECT, after the packet is validated and before iot:Connect is authorized. `who` may be
  // enriched (thing name); `cert_der` is the client's verified-by-handshake leaf certificate.
  virtual Admission admit(authz::Principal& who, std::string_view cert_der, std::string_view peer) {
    (void)who, (void)cert_der, (void)peer;
    return {};
  }
  // After CONNACK accepted the connection.
  virtual void on_connected(const authz::Principal& who, std::string_view peer, bool session_present) {
    (void)who, (void)peer, (void)session_present;
  }
  // After an accepted connection ended. `reason` is the DISCONNECT reason (kSuccess for a client's
  // normal DISCONNECT); `lost` is true when the network went away without either side closing.
  virtual void on_disconnected(const authz::Principal& who, mqtt::ReasonCode reason, bool client_initiated,
                               bool lost) {
    (void)who, (void)reason, (void)client_initiated, (void)lost;
  }
};

}  // namespace tenet::broker
