#pragma once

// The broker's Hooks as the server composes them: identity admission at CONNECT, connectivity
// updates and AWS lifecycle events. Each part is a slot the identity modules fill in server.cc;
// an empty `admit` slot refuses every device (zero trust: no registry, no entry).

#include <functional>
#include <string>
#include <string_view>

#include "broker/hooks.h"

namespace tenet::server {

class ServerHooks final : public broker::Hooks {
 public:
  using AdmitFn = std::function<broker::Admission(authz::Principal&, std::string_view der, std::string_view peer)>;
  using ConnectedFn = std::function<void(const authz::Principal&, std::string_view peer, bool session_present)>;
  using DisconnectedFn = std::function<void(const authz::Principal&, std::string_view aws_reason, bool client_initiated)>;

  AdmitFn admit_fn;
  ConnectedFn connected_fn;
  DisconnectedFn disconnected_fn;

  broker::Admission admit(authz::Principal& who, std::string_view der, std::string_view peer) override;
  void on_connected(const authz::Principal& who, std::string_view peer, bool session_present) override;
  void on_disconnected(const authz::Principal& who, mqtt::ReasonCode reason, bool client_initiated,
                       bool lost) override;
};

// AWS lifecycle-event disconnectReason for how a connection ended (docs/identity.md).
std::string_view aws_disconnect_reason(mqtt::ReasonCode reason, bool client_initiated, bool lost);

}  // namespace tenet::server
